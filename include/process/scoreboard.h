/*
 * scoreboard.h — state shared between the master and its responders, in
 * one anonymous MAP_SHARED mapping made by the master before it forks
 * (Apache's scoreboard, php-fpm's shm status).
 *
 * Each responder owns one slot: its state and the request it is serving,
 * which the master reads to enforce request_timeout and to log the stuck
 * request. Counters for /metrics are process-wide totals updated with
 * atomic adds, so they survive a responder's death and any responder can
 * expose them.
 */
#ifndef MEETD_SCOREBOARD_H
#define MEETD_SCOREBOARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_MAX_SLOTS 512        /* two generations of the largest pool */
#define SB_MAX_ROUTES 96        /* routes_count + 1 (unmatched) must fit */
#define SB_LAT_BUCKETS 12

enum slot_state { SLOT_EMPTY, SLOT_STARTING, SLOT_IDLE, SLOT_BUSY };

/* Status codes counted individually; anything else counts as "other". */
#define SB_STATUS_LIST 200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 410, \
	413, 415, 422, 429, 500, 501, 502, 503, 504
#define SB_NSTATUS 21   /* the list above + other */

struct sb_slot {
	int state;              /* enum slot_state, atomic */
	pid_t pid;
	uint32_t generation;
	int64_t req_start_ms;   /* monotonic; 0 when idle */
	char req_method[8];
	char req_path[120];
	char req_id[64];
};

struct sb_metrics {
	uint64_t requests[SB_MAX_ROUTES][SB_NSTATUS];
	uint64_t latency[SB_MAX_ROUTES][SB_LAT_BUCKETS];   /* per bucket, not cumulative */
	uint64_t latency_sum_us[SB_MAX_ROUTES];
	uint64_t db_errors;
	uint64_t db_tx_retries; /* transactions or statements re-run after 1213/1205 */
	uint64_t limiter_full;  /* takes let through because the limiter's table was full */
	uint64_t rt_published;  /* events nchan took from a responder, per node */
	uint64_t rt_publish_failed; /* publishes a node refused or did not answer (the worker retries) */
	uint64_t respawns;      /* responders started after the first generation */
	uint64_t crashes;       /* died by a signal or a failure exit */
	uint64_t timeouts;      /* killed past request_timeout */
	uint64_t recycles;      /* exited after max_requests */
};

struct scoreboard {
	int degraded;           /* master: responders are crash-looping */
	uint32_t generation;    /* master: current generation */
	int64_t started_wall;   /* unix seconds the master started */
	struct sb_metrics m;
	struct sb_slot slots[SB_MAX_SLOTS];
};

/* Upper bounds of the latency buckets, in microseconds (last is +Inf). */
extern const int64_t sb_latency_bounds_us[SB_LAT_BUCKETS];
extern const int sb_statuses[SB_NSTATUS - 1];

/* Maps a shared scoreboard; NULL on failure. Caller owns, sb_destroy(). */
struct scoreboard *sb_create(void);
void sb_destroy(struct scoreboard *sb);
/* Index into requests[][...] for an HTTP status. */
int sb_status_index(int status);
/* Responder side. */
void sb_request_begin(struct scoreboard *sb, int slot, const char *method,
    const char *path, const char *request_id);
void sb_request_end(struct scoreboard *sb, int slot, size_t route_index,
    int status, int64_t duration_us);
void sb_set_state(struct scoreboard *sb, int slot, enum slot_state st);
enum slot_state sb_get_state(const struct scoreboard *sb, int slot);
void sb_count(uint64_t *counter);
uint64_t sb_read(const uint64_t *counter);

#endif
