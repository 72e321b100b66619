/*
 * connections.h — a user's own accounts on platforms (today Zoom's, for the
 * Cal.com-style integration): connecting one by OAuth, and whether it still
 * works. The platform module does the protocol; this is the use case the
 * API calls.
 */
#ifndef MEETD_CONNECTIONS_H
#define MEETD_CONNECTIONS_H

#include "core/context.h"
#include "core/error.h"

/* Where to send the caller to consent (Zoom's authorize page). */
enum err connections_zoom_authorize(struct ctx *c, const char **url);
/* Zoom sent the browser back with code and state: connect the account the
 * state was issued to. */
enum err connections_zoom_finish(struct ctx *c, const char *code, const char *state);
/* ERR_OK when the caller's Zoom account is connected and usable. */
enum err connections_zoom_check(struct ctx *c);

#endif
