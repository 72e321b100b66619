/*
 * livekit.h — LiveKit's signed webhooks (livekit_webhook.c).
 */
#ifndef MEETD_LIVEKIT_H
#define MEETD_LIVEKIT_H

#include "core/context.h"
#include "platforms/events.h"

/* The provider's hook (platforms/provider.h): checks the Authorization
 * token and the body digest, reads room and participant events. */
enum err livekit_hook(struct ctx *c, const struct hook_input *in, struct platform_event *ev,
    const char **reply);

#endif
