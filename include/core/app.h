/*
 * app.h — the services one responder process hands to its handlers. Built
 * once per responder (after fork) and passed explicitly through each
 * request; there is no global application object.
 */
#ifndef MEETD_APP_H
#define MEETD_APP_H

#include <stdint.h>

struct config;
struct db;
struct http_client;
struct nchan;
struct idp_trust;
struct scoreboard;
struct secretbox;

struct app {
	const struct config *cfg;       /* borrowed from the master's copy */
	struct db *db;                  /* owned by the responder */
	struct scoreboard *sb;          /* shared mapping; NULL in unit tests */
	const struct secretbox *box;    /* data key for secrets at rest; NULL if none */
	struct http_client *http;       /* outbound calls to platforms; owned */
	struct nchan *nchan;            /* real-time publisher; owned */
	struct idp_trust *trust;        /* token issuers and their keys, built on first use; owned */
	int64_t next_purge_ms;          /* monotonic time of the next limiter purge */
	int slot;
};

#endif
