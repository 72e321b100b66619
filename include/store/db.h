/*
 * db.h — the data layer: one MariaDB connection per responder, every
 * statement prepared up front from the table in stmt.c, a transaction
 * helper, and the failure policy of reliability.md:
 *   - 2006/2013 (server gone/lost): reconnect, re-prepare, and retry the
 *     statement only if it is marked safe to repeat and no transaction is
 *     open; otherwise the caller gets ERR_DB_UNAVAILABLE (503);
 *   - 1213/1205 (deadlock, lock wait): db_tx() rolls back and re-runs the
 *     whole transaction with jitter, at most 3 times, then answers
 *     ERR_DB_UNAVAILABLE; a statement outside a transaction is re-run the
 *     same way (the server rolled it back whole). Each repeat is logged
 *     (db_tx_retry) and counted (meetd_db_tx_retries_total);
 *   - while the server is down every call fails fast with
 *     ERR_DB_UNAVAILABLE and the process stays up.
 * Only this module includes mysql.h.
 */
#ifndef MEETD_DB_H
#define MEETD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "config/config.h"
#include "core/error.h"
#include "store/stmt.h"

struct db;

/* Where the data layer counts what operators watch (the scoreboard's
 * shared counters, incremented atomically); a NULL field is not counted. */
struct db_counters {
	uint64_t *errors;               /* statements that failed on the server's side */
	uint64_t *tx_retries;           /* transactions or statements re-run after 1213/1205 */
	uint64_t *limiter_full;         /* takes let through because the limiter's table was full */
};

/* Counts a limiter take that found its table full. */
void db_count_limiter_full(struct db *db);

enum db_type { DBT_NULL, DBT_STR, DBT_I64, DBT_BLOB };

/* One bound parameter. Strings and blobs are borrowed for the call. */
struct db_val {
	enum db_type type;
	const char *s;
	size_t len;
	int64_t i;
};

#define DB_STR(x) ((struct db_val){ .type = (x) != NULL ? DBT_STR : DBT_NULL, .s = (x), .len = (x) != NULL ? strlen(x) : 0 })
#define DB_NULL ((struct db_val){ .type = DBT_NULL })
#define DB_I64(x) ((struct db_val){ .type = DBT_I64, .i = (x) })
#define DB_BLOB(p, n) ((struct db_val){ .type = DBT_BLOB, .s = (const char *)(p), .len = (n) })

/* Result rows as text, arena-owned. cell(r, c) is NULL for SQL NULL. */
struct db_rows {
	size_t nrows, ncols;
	char **cells;
	size_t *lens;
};

static inline const char *
db_cell(const struct db_rows *r, size_t row, size_t col)
{
	return r->cells[row * r->ncols + col];
}

/* New handle (not yet connected); caller owns, db_free(). counters may be
 * NULL (and is copied). */
struct db *db_new(const struct config *cfg, const struct db_counters *counters);
void db_free(struct db *db);
/* Connects and prepares every statement. ERR_DB_UNAVAILABLE if the server
 * cannot be reached, ERR_DB_SCHEMA if a statement does not prepare. */
enum err db_connect(struct db *db);
bool db_connected(const struct db *db);
/* Round trip to the server (reconnecting if needed). */
enum err db_ping(struct db *db);
/* Runs statement `id` with `n` parameters. For statements that return rows,
 * `rows` (may be NULL to discard) receives at most `max_rows` of them in `a`.
 * `affected` (may be NULL) receives the affected-row count of writes. */
enum err db_exec(struct db *db, enum stmt_id id, const struct db_val *params, size_t n,
    struct arena *a, struct db_rows *rows, size_t max_rows, uint64_t *affected);
/* Runs fn inside one transaction, committing if it returns ERR_OK and
 * rolling back otherwise; retries deadlocks, lock waits (even if fn returned
 * another error for them) and a connection lost before COMMIT. fn must be
 * safe to run again from scratch. */
enum err db_tx(struct db *db, enum err (*fn)(struct db *db, void *ctx), void *ctx);
/* Server error number of the last failure (0 if none), for logs. */
unsigned db_last_errno(const struct db *db);

#endif
