/*
 * zoom.h — users' own Zoom accounts (the Cal.com-style integration):
 * whether the server can connect them, the OAuth flow that does, and
 * whether the caller's is connected and still usable.
 */
#ifndef MEETD_ZOOM_H
#define MEETD_ZOOM_H

#include <stdbool.h>

#include "config/config.h"
#include "core/context.h"
#include "platforms/events.h"

/* A user OAuth app is configured (client id and secret). */
bool zoom_user_oauth_configured(const struct config *cfg);

/* ERR_OK if the caller connected a Zoom account whose grant still works;
 * else ZOOM_NOT_CONFIGURED, ZOOM_NOT_CONNECTED or ZOOM_REAUTHORIZATION_REQUIRED. */
enum err zoom_user_connected(struct ctx *c);

/* The URL of Zoom's consent page for the caller (a signed state inside). */
enum err zoom_oauth_authorize_url(struct ctx *c, const char **url);
/* Completes the callback: checks the state, exchanges the code for the
 * user's tokens (stored sealed) and marks the connection active.
 * INVALID_OAUTH_STATE, VALIDATION_FAILED (no code), PLATFORM_* errors. */
enum err zoom_oauth_finish(struct ctx *c, const char *code, const char *state);

/* The provider's hook (platforms/provider.h): checks x-zm-signature, then
 * reads the event, or answers the url_validation challenge in *reply. */
enum err zoom_hook(struct ctx *c, const struct hook_input *in, struct platform_event *ev,
    const char **reply);

#endif
