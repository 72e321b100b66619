/*
 * events.h — what a platform tells meetd about its meetings, in one shape
 * whoever tells it: Zoom's signed webhooks, LiveKit's, and the generic
 * provider webhook of the Dheya sessions system. A platform module turns
 * its own delivery into a platform_event (after checking its signature);
 * the domain applies every event through one function
 * (domain/platform_events.h), with one de-duplication table and one
 * participant upsert.
 */
#ifndef MEETD_PLATFORM_EVENTS_H
#define MEETD_PLATFORM_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/error.h"

enum pe_kind {
	PE_NONE,                /* nothing to apply (an event meetd does not use) */
	PE_STARTED, PE_ENDED,
	PE_JOINED, PE_LEFT,
	PE_RECORDING,
};

#define PE_RECORDINGS_MAX 200

struct pe_recording {
	const char *id, *type, *play_url, *download_url;
	int64_t size;           /* -1: not reported */
	int64_t start_ms, end_ms;       /* 0: not reported */
};

/* One event. Strings are borrowed (arena or the request body's JSON). */
struct platform_event {
	const char *platform;           /* meetd's platform name: "zoom", "livekit", ... */
	const char *delivery;           /* what makes the delivery unique (an event id, a body digest) */
	const char *name;               /* the event as the platform names it */
	enum pe_kind kind;
	const char *meeting_id;         /* meetd's id, when the sender knows it */
	const char *remote_id;          /* else the platform's meeting id (or room name) */
	int64_t at_ms;                  /* when it happened */
	const char *participant_key, *participant_name;
	const char *recording_url;      /* PE_RECORDING: the share link */
	struct pe_recording recordings[PE_RECORDINGS_MAX];
	size_t nrecordings;
	bool unknown_meeting_ok;        /* a meeting that is not meetd's: acknowledge (else 404) */
	const char *source;             /* for the audit: how it arrived */
};

/* A delivery as it came: the raw body and a way to read its headers. */
struct hook_input {
	const char *body;
	size_t body_len;
	const char *(*header)(void *arg, const char *name);    /* lower-case HTTP name */
	void *arg;
};

#endif
