/*
 * service.h — what the service tells about itself: whether its database
 * answers with the schema this binary expects, and which platforms it can
 * use with what they really support.
 */
#ifndef MEETD_SERVICE_H
#define MEETD_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"

struct readiness {
	bool ready;
	const char *database;           /* "ok", "unavailable" */
	const char *schema;             /* "ok", "outdated", "newer_than_binary", "unknown" */
	int64_t schema_version;
};
/* Fills *out; never fails (an unreachable database is a state). */
void service_readiness(struct ctx *c, struct readiness *out);

enum platform_capability {
	PCAP_UPDATE, PCAP_DELETE, PCAP_END, PCAP_STATUS, PCAP_WEBHOOKS, PCAP_PASSCODE,
	PCAP_WAITING_ROOM, PCAP_DIAL_IN, PCAP__MAX
};
/* The wire name of each capability ("update", "waiting_room", ...). */
extern const char *const platform_capability_names[PCAP__MAX];

struct platform_info {
	const char *name, *label;
	bool configured;
	bool can[PCAP__MAX];
};
/* Every platform meetd knows, at most max of them; returns how many. */
size_t service_platforms(struct ctx *c, struct platform_info *out, size_t max);

#endif
