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

#include <string.h>

#include "core/parse.h"
#include "store/db.h"
#include "store/limiter.h"

/* The numbers a limiter statement returns, strictly parsed (NULL: 0). */
static enum err
cells_i64(const struct db_rows *rows, size_t n, int64_t *out)
{
	size_t i;

	if (rows->nrows != 1 || rows->ncols < n)
		return ERR_DB_SCHEMA;
	for (i = 0; i < n; i++) {
		const char *c = db_cell(rows, 0, i);

		out[i] = 0;
		if (c != NULL && parse_i64z(c, INT64_MIN, INT64_MAX, &out[i]) != ERR_OK)
			return ERR_DB_SCHEMA;
	}
	return ERR_OK;
}

static int64_t
ceil_div(int64_t a, int64_t b)
{
	return a <= 0 ? 0 : (a + b - 1) / b;
}

void
limiter_params(const struct rate *r, int64_t *step_ms, int64_t *window_ms)
{
	*window_ms = r->period_s * 1000;
	*step_ms = *window_ms / (r->count > 0 ? r->count : 1);
	if (*step_ms < 1)
		*step_ms = 1;
}

void
limiter_decide(const struct rate *r, bool allowed, int64_t tat, int64_t now, struct limit_info *d)
{
	int64_t step_ms, window_ms, used = tat - now; /* the part of the window in use */

	limiter_params(r, &step_ms, &window_ms);
	d->applied = true;
	d->limit = r->count;
	d->window_s = r->period_s;
	d->remaining = used >= window_ms ? 0 : (window_ms - used) / step_ms;
	if (d->remaining > r->count)
		d->remaining = r->count;
	d->reset_epoch_s = ceil_div(tat > now ? tat : now, 1000);
	d->retry_after_s = allowed ? 0 : ceil_div(used + step_ms - window_ms, 1000);
	if (!allowed && d->retry_after_s < 1)
		d->retry_after_s = 1;
}

/* A full limiter table lets the request through, counted and logged: a
 * limit that cannot be kept must not take the service down with it. The
 * expired rows go first, so the next take has room again. */
static void
full(struct db *db, const struct rate *r, struct limit_info *d, bool *allowed)
{
	db_count_limiter_full(db);
	(void)limiter_purge(db);
	memset(d, 0, sizeof(*d));
	d->applied = true;
	d->limit = r->count;
	d->remaining = r->count;
	d->window_s = r->period_s;
	*allowed = true;
}

enum err
limiter_take(struct db *db, struct arena *a, const char *key, const struct rate *r,
    struct limit_info *d, bool *allowed)
{
	int64_t step_ms, window_ms, v[3];
	struct db_val p[4];
	struct db_rows rows;
	enum err e;

	limiter_params(r, &step_ms, &window_ms);
	p[0] = DB_STR(key);
	p[1] = DB_I64(step_ms);
	p[2] = DB_I64(step_ms);
	p[3] = DB_I64(window_ms);
	e = db_exec(db, STMT_LIMIT_TAKE, p, 4, a, &rows, 1, NULL);
	if (e == ERR_DB_FULL) {
		full(db, r, d, allowed);
		return ERR_OK;
	}
	if (e != ERR_OK || (e = cells_i64(&rows, 3, v)) != ERR_OK)
		return e;
	*allowed = v[0] != 0;
	limiter_decide(r, *allowed, v[1], v[2], d);
	return ERR_OK;
}

enum err
limiter_take2(struct db *db, struct arena *a, const char *key1, const struct rate *r1, const char *key2,
    const struct rate *r2, struct limit_info d[2], bool allowed[2])
{
	enum { T_KEY, T_ALLOWED, T_TAT, T_NOW, T__MAX };
	int64_t s1, w1, s2, w2, tat, now, ok;
	struct db_val p[8];
	struct db_rows rows;
	size_t i;
	enum err e;

	limiter_params(r1, &s1, &w1);
	limiter_params(r2, &s2, &w2);
	p[0] = DB_STR(key1);
	p[1] = DB_I64(s1);
	p[2] = DB_I64(s1);
	p[3] = DB_I64(w1);
	p[4] = DB_STR(key2);
	p[5] = DB_I64(s2);
	p[6] = DB_I64(s2);
	p[7] = DB_I64(w2);
	e = db_exec(db, STMT_LIMIT_TAKE2, p, 8, a, &rows, 2, NULL);
	if (e == ERR_DB_FULL) {
		full(db, r1, &d[0], &allowed[0]);
		full(db, r2, &d[1], &allowed[1]);
		return ERR_OK;
	}
	if (e != ERR_OK)
		return e;
	if (rows.nrows != 2 || rows.ncols != T__MAX)
		return ERR_DB_SCHEMA;
	for (i = 0; i < 2; i++) {
		const char *k = db_cell(&rows, i, T_KEY);
		int which = k != NULL && strcmp(k, key1) == 0 ? 0 : 1;

		if (parse_i64z(db_cell(&rows, i, T_ALLOWED), 0, 1, &ok) != ERR_OK ||
		    parse_i64z(db_cell(&rows, i, T_TAT), INT64_MIN, INT64_MAX, &tat) != ERR_OK ||
		    parse_i64z(db_cell(&rows, i, T_NOW), INT64_MIN, INT64_MAX, &now) != ERR_OK)
			return ERR_DB_SCHEMA;
		allowed[which] = ok != 0;
		limiter_decide(which == 0 ? r1 : r2, allowed[which], tat, now, &d[which]);
	}
	return ERR_OK;
}

enum err
attempts_take_pair(struct db *db, struct arena *a, const char *key1, const char *key2, int64_t max,
    int64_t window_s, bool allowed[2], int64_t retry_after_s[2])
{
	enum { A_KEY, A_ADMITTED, A_LEFT_MS, A__MAX };
	struct db_val p[5];
	struct db_rows rows;
	int64_t ok, left;
	size_t i;
	enum err e;

	p[0] = DB_STR(key1);
	p[1] = DB_I64(window_s * 1000);
	p[2] = DB_STR(key2);
	p[3] = DB_I64(window_s * 1000);
	p[4] = DB_I64(max);
	if ((e = db_exec(db, STMT_ATTEMPT_TAKE_PAIR, p, 5, a, &rows, 2, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 2 || rows.ncols != A__MAX)
		return ERR_DB_SCHEMA;
	/* RETURNING's rows need not follow VALUES' order: match them by key */
	for (i = 0; i < 2; i++) {
		const char *k = db_cell(&rows, i, A_KEY);
		int which = k != NULL && strcmp(k, key1) == 0 ? 0 : 1;

		if (parse_i64z(db_cell(&rows, i, A_ADMITTED), 0, 1, &ok) != ERR_OK ||
		    parse_i64z(db_cell(&rows, i, A_LEFT_MS), INT64_MIN, INT64_MAX, &left) != ERR_OK)
			return ERR_DB_SCHEMA;
		allowed[which] = ok != 0;
		retry_after_s[which] = ceil_div(left, 1000);
		if (retry_after_s[which] < 1)
			retry_after_s[which] = 1;
	}
	return ERR_OK;
}

enum err
attempts_refund(struct db *db, const char *key)
{
	struct db_val p = DB_STR(key);

	return db_exec(db, STMT_ATTEMPT_REFUND, &p, 1, NULL, NULL, 0, NULL);
}

enum err
attempts_refund_pair(struct db *db, const char *key1, const char *key2)
{
	struct db_val p[2] = { DB_STR(key1), DB_STR(key2) };

	return db_exec(db, STMT_ATTEMPT_REFUND_PAIR, p, 2, NULL, NULL, 0, NULL);
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
