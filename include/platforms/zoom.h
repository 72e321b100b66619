/*
 * zoom.h — 002's per-user Zoom accounts: whether the server can connect
 * them, and whether the caller's is connected and still usable.
 */
#ifndef MEETD_ZOOM_H
#define MEETD_ZOOM_H

#include <stdbool.h>

#include "config/config.h"
#include "core/context.h"

/* A user OAuth app is configured (client id and secret). */
bool zoom_user_oauth_configured(const struct config *cfg);

/* ERR_OK if the caller connected a Zoom account whose grant still works;
 * else ZOOM_NOT_CONFIGURED, ZOOM_NOT_CONNECTED or ZOOM_REAUTHORIZATION_REQUIRED. */
enum err zoom_user_connected(struct ctx *c);

#endif
