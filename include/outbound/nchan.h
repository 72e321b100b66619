/*
 * nchan.h — meetd's side of nginx's nchan module: publishing to, closing
 * and counting channels on every configured nchan node ([realtime]
 * publish_urls), over HTTP to each node's publisher location.
 *
 * meetd pushes each event to every node itself (there are few), so a
 * subscriber on any node gets it and meetd never reproduces nginx's
 * hashing. A call is bounded by a short timeout: publishing happens after
 * a request has been answered, and a node that does not answer only delays
 * that event until the worker publishes it from the outbox.
 */
#ifndef MEETD_NCHAN_H
#define MEETD_NCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/error.h"

#define NCHAN_MAX_NODES 8

struct nchan;

/* Where successes and failures are counted (shared memory for /metrics);
 * either may be NULL. */
struct nchan_counters {
	uint64_t *published;
	uint64_t *failed;
};

/* NULL if out of memory. A config without publish_urls gives a client whose
 * calls answer ERR_NOT_CONFIGURED. */
struct nchan *nchan_new(const struct config *cfg, const struct nchan_counters *counters);
void nchan_free(struct nchan *n);
bool nchan_enabled(const struct nchan *n);

/* Posts `msg` (JSON) to `channel` on every node, with `event` as its
 * EventSource event name. ERR_OK only if every node took it (nchan answers
 * 201 or 202); ERR_PLATFORM_UNAVAILABLE otherwise (some nodes may have). */
enum err nchan_publish(struct nchan *n, const char *channel, const char *event,
    const char *msg, size_t len);
/* Deletes `channel` on every node, closing its subscribers; a channel no
 * node has is already closed. */
enum err nchan_delete(struct nchan *n, const char *channel);
/* Subscribers of `channel` summed over every node (0 for a channel a node
 * does not have). */
enum err nchan_subscribers(struct nchan *n, const char *channel, int64_t *count);

#endif
