/*
 * limiter.h — the SQL rate limiter (design §6). Each decision is one
 * atomic statement on MariaDB, so it is exact across every responder and
 * host:
 *   - limiter_take(): GCRA, a token bucket kept as one "theoretical arrival
 *     time" per key; `count` requests per `period`, bursts up to `count`;
 *   - attempts_take_pair()/attempts_refund(): a fixed-window failure counter for
 *     passcodes, locking the key until its window has passed.
 * Keys are built by the caller ("u:<user>:meeting"); they never hold secrets.
 * The buckets live in a MEMORY table (schema 007): a take never waits for a
 * durable commit, a restart resets the windows, and a full table lets the
 * request through, counted. A take keyed by user may also tell who the
 * user is (identity.c's authenticate-and-limit statement).
 */
#ifndef MEETD_LIMITER_H
#define MEETD_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "config/config.h"
#include "core/error.h"
#include "core/context.h"

struct db;

#define LIMIT_KEY_MAX 160

/* The GCRA step and window of a rate. */
void limiter_params(const struct rate *r, int64_t *step_ms, int64_t *window_ms);
/* The decision as headers report it, from a take's (allowed, tat, now). */
void limiter_decide(const struct rate *r, bool allowed, int64_t tat, int64_t now, struct limit_info *d);

/* Takes one token from `key`. ERR_OK with d->applied set either way: the
 * caller reads d->remaining etc. for the headers, and refuses if
 * !allowed. Returns a database error if the decision could not be made. */
enum err limiter_take(struct db *db, struct arena *a, const char *key, const struct rate *r,
    struct limit_info *d, bool *allowed);

/* Takes one token from each of two keys in one statement (a create's
 * category and platform buckets); d[i], allowed[i] as limiter_take's. */
enum err limiter_take2(struct db *db, struct arena *a, const char *key1, const struct rate *r1,
    const char *key2, const struct rate *r2, struct limit_info d[2], bool allowed[2]);

/* Reserves one failure on each of two keys (a meeting's and an address's
 * counter; max failures per window_s) in one statement. allowed[i] is
 * false while key i is locked; retry_after_s[i] then says for how long.
 * Both are charged even when one refuses: the caller refunds. */
enum err attempts_take_pair(struct db *db, struct arena *a, const char *key1, const char *key2,
    int64_t max, int64_t window_s, bool allowed[2], int64_t retry_after_s[2]);
/* Gives back one failure reserved by attempts_take_pair() (the answer was
 * right, or the other key refused). */
enum err attempts_refund(struct db *db, const char *key);
/* Gives back both, in one statement. */
enum err attempts_refund_pair(struct db *db, const char *key1, const char *key2);

/* Deletes expired rows (a bounded batch); returns rows deleted or -1. */
int64_t limiter_purge(struct db *db);

#endif
