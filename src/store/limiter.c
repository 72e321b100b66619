/*
 * limiter.c — the SQL rate limiter (see limiter.h). The statements are in
 * stmt.c; the arithmetic they do is:
 *
 *   GCRA: step T = period / count, burst window W = period.
 *         x = max(tat, now); allowed iff x + T - now <= W; then tat = x + T.
 *         remaining = floor((W - (tat - now)) / T); full again at tat.
 *
 * "now" is the database server's clock, one value per statement, so hosts
 * with skewed clocks still share one exact limiter.
 */
#include <stdlib.h>

#include "store/db.h"
#include "store/limiter.h"

static int64_t
cell_i64(const struct db_rows *rows, size_t col)
{
	const char *c = db_cell(rows, 0, col);

	return c != NULL ? strtoll(c, NULL, 10) : 0;
}

static int64_t
ceil_div(int64_t a, int64_t b)
{
	return a <= 0 ? 0 : (a + b - 1) / b;
}

enum err
limiter_take(struct db *db, struct arena *a, const char *key, const struct rate *r,
    struct limit_info *d, bool *allowed)
{
	int64_t window_ms = r->period_s * 1000, step_ms = window_ms / r->count, tat, now, used;
	struct db_val p[4];
	struct db_rows rows;
	enum err e;

	if (step_ms < 1)
		step_ms = 1;
	p[0] = DB_STR(key);
	p[1] = DB_I64(step_ms);
	p[2] = DB_I64(step_ms);
	p[3] = DB_I64(window_ms);
	e = db_exec(db, STMT_LIMIT_TAKE, p, 4, a, &rows, 1, NULL);
	if (e == ERR_OK && rows.nrows != 1)
		e = ERR_INTERNAL;
	if (e != ERR_OK)
		return e;
	*allowed = cell_i64(&rows, 0) != 0;
	tat = cell_i64(&rows, 1);
	now = cell_i64(&rows, 2);

	used = tat - now;               /* the part of the window in use */
	d->applied = true;
	d->limit = r->count;
	d->window_s = r->period_s;
	d->remaining = used >= window_ms ? 0 : (window_ms - used) / step_ms;
	if (d->remaining > r->count)
		d->remaining = r->count;
	d->reset_epoch_s = ceil_div(tat > now ? tat : now, 1000);
	d->retry_after_s = *allowed ? 0 : ceil_div(used + step_ms - window_ms, 1000);
	if (!*allowed && d->retry_after_s < 1)
		d->retry_after_s = 1;
	return ERR_OK;
}

enum err
attempts_take(struct db *db, struct arena *a, const char *key, int64_t max, int64_t window_s,
    bool *allowed, int64_t *retry_after_s)
{
	struct db_val p[3];
	struct db_rows rows;
	enum err e;

	p[0] = DB_STR(key);
	p[1] = DB_I64(window_s * 1000);
	p[2] = DB_I64(max);
	e = db_exec(db, STMT_ATTEMPT_TAKE, p, 3, a, &rows, 1, NULL);
	if (e == ERR_OK && rows.nrows != 1)
		e = ERR_INTERNAL;
	if (e == ERR_OK) {
		*allowed = cell_i64(&rows, 0) != 0;
		*retry_after_s = ceil_div(cell_i64(&rows, 1), 1000);
		if (*retry_after_s < 1)
			*retry_after_s = 1;
	}
	return e;
}

enum err
attempts_refund(struct db *db, const char *key)
{
	struct db_val p = DB_STR(key);

	return db_exec(db, STMT_ATTEMPT_REFUND, &p, 1, NULL, NULL, 0, NULL);
}

int64_t
limiter_purge(struct db *db)
{
	uint64_t n1 = 0, n2 = 0, n3 = 0;

	if (db_exec(db, STMT_LIMIT_PURGE, NULL, 0, NULL, NULL, 0, &n1) != ERR_OK ||
	    db_exec(db, STMT_ATTEMPT_PURGE, NULL, 0, NULL, NULL, 0, &n2) != ERR_OK ||
	    db_exec(db, STMT_IDEM_PURGE, NULL, 0, NULL, NULL, 0, &n3) != ERR_OK)
		return -1;
	return (int64_t)(n1 + n2 + n3);
}
