/*
 * limiter.h — the SQL rate limiter (design §6). Each decision is one
 * atomic statement on MariaDB, so it is exact across every responder and
 * host:
 *   - limiter_take(): GCRA, a token bucket kept as one "theoretical arrival
 *     time" per key; `count` requests per `period`, bursts up to `count`;
 *   - attempts_take()/attempts_refund(): a fixed-window failure counter for
 *     passcodes, locking the key until its window has passed.
 * Keys are built by the caller ("u:<user>:meeting"); they never hold secrets.
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

/* Takes one token from `key`. ERR_OK with d->applied set either way: the
 * caller reads d->remaining etc. for the headers, and refuses if
 * !allowed. Returns a database error if the decision could not be made. */
enum err limiter_take(struct db *db, struct arena *a, const char *key, const struct rate *r,
    struct limit_info *d, bool *allowed);

/* Reserves one failure on `key` (max failures per window_s). *allowed is
 * false while the key is locked; *retry_after_s then says for how long. */
enum err attempts_take(struct db *db, struct arena *a, const char *key, int64_t max,
    int64_t window_s, bool *allowed, int64_t *retry_after_s);
/* Gives back the failure reserved by attempts_take() (the answer was right). */
enum err attempts_refund(struct db *db, const char *key);

/* Deletes expired rows (a bounded batch); returns rows deleted or -1. */
int64_t limiter_purge(struct db *db);

#endif
