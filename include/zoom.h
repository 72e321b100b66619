/*
 * zoom.h — what the Zoom provider offers beyond struct provider: calls on a
 * connected user's own account (002), with that user's rotating grant.
 */
#ifndef MEETD_ZOOM_H
#define MEETD_ZOOM_H

#include <jansson.h>

#include "provider.h"

/* GET /users/me/meetings?<query> as c->acting_user (required). ERR_OK
 * gives Zoom's list object (caller json_decref()s). A user who never
 * connected: ERR_ZOOM_NOT_CONNECTED; a dead grant: ERR_ZOOM_REAUTH_REQUIRED
 * (and the connection is marked needs_reauth). */
enum err zoom_user_meetings(struct provider_ctx *c, const char *query, json_t **out);

#endif
