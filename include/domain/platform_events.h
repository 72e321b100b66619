/*
 * platform_events.h — applying what a platform reports (platforms/events.h)
 * to meetd's meetings: one transaction per delivery that claims it in
 * webhook_deliveries (a redelivery changes nothing), locks the meeting,
 * asks the state table whether the change applies (a late "started" never
 * reopens an ended meeting), writes it with its audit row and outbox event,
 * and keeps each participant's latest join and latest leave (deliveries are
 * unordered).
 */
#ifndef MEETD_DOMAIN_PLATFORM_EVENTS_H
#define MEETD_DOMAIN_PLATFORM_EVENTS_H

#include <stdbool.h>

#include "core/context.h"
#include "platforms/events.h"

struct hook_result {
	bool duplicate;                 /* applied before */
	bool applied;                   /* something changed */
	bool not_ours;                  /* no such meeting, acknowledged */
	const char *meeting_id;         /* meetd's, when found */
	const char *reply;              /* a platform's own answer (JSON), e.g. Zoom's url_validation */
};

/* Applies one event. MEETING_NOT_FOUND for an unknown meeting unless
 * ev->unknown_meeting_ok. */
enum err platform_event_apply(struct ctx *c, const struct platform_event *ev, struct hook_result *out);

/*
 * A platform's signed delivery: the platform module checks its signature
 * and reads it (INVALID_SIGNATURE, VALIDATION_FAILED, <PLATFORM>_NOT_CONFIGURED
 * before anything is stored), then the event is applied. out->reply is set
 * when the platform expects a particular answer instead.
 */
enum err platform_hook(struct ctx *c, const char *platform, const struct hook_input *in,
    struct hook_result *out);

#endif
