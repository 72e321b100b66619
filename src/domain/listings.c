/*
 * listings.c — meetings as lists and by other names: the caller's own
 * meetings (keyset-paged over the member index), the meetings on the
 * caller's connected Zoom account, a meeting found by a platform's id, and
 * what the platform reports of who is in it. See meetings.h.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "core/parse.h"
#include "domain/meetings.h"
#include "platforms/provider.h"

/* --- the caller's list ------------------------------------------------------ */

enum err
meetings_list(struct ctx *c, const struct list_filter *f, struct meeting **out, size_t *n)
{
	struct db_val p[13];
	struct db_rows rows;
	size_t i;
	enum err e;

	*out = NULL;
	*n = 0;
	p[0] = DB_STR(c->who.subject);
	p[1] = DB_STR(f->from);
	p[2] = DB_STR(f->to);
	p[3] = DB_STR(f->after_ts);
	p[4] = DB_STR(f->after_ts);
	p[5] = DB_STR(f->after_id);
	p[6] = DB_STR(f->status);
	p[7] = DB_STR(f->status);
	p[8] = DB_STR(f->platform);
	p[9] = DB_STR(f->platform);
	p[10] = DB_STR(f->role);
	p[11] = DB_STR(f->role);
	p[12] = DB_I64(f->limit);
	if ((e = db_exec(c->app->db, STMT_MEETING_LIST, p, 13, c->arena, &rows, (size_t)f->limit,
	    NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;
	if ((*out = arena_alloc(c->arena, rows.nrows * sizeof(**out))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < rows.nrows; i++)
		if ((e = meeting_from_row(&rows, i, &(*out)[i])) != ERR_OK)
			return e;
	*n = rows.nrows;
	return ERR_OK;
}

/* --- platform views (the Wakeve proxy and the Zoom integration) ---------------- */

enum err
meetings_platform_ready(struct ctx *c, const char *platform)
{
	const struct provider *p = provider_find(platform);

	return p != NULL ? provider_ready(p, c->app->cfg) : ERR_NOT_SUPPORTED;
}

enum err
meetings_find_by_remote(struct ctx *c, const char *platform, const char *remote_id, struct meeting *m)
{
	struct db_val p = DB_STR(remote_id);
	struct db_rows rows;
	enum err e;

	/* only Zoom's ids name meetings from outside today */
	if (strcmp(platform, "zoom") != 0 || remote_id == NULL || strlen(remote_id) > 20)
		return ERR_MEETING_NOT_FOUND;
	if ((e = db_exec(c->app->db, STMT_ZOOM_MEETING_BY_REMOTE, &p, 1, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_MEETING_NOT_FOUND;
	return meeting_load(c, c->app->db, db_cell(&rows, 0, 0), false, m);
}

enum err
meetings_remote_participants(struct ctx *c, const char *id, int64_t *count)
{
	struct db_val p = DB_STR(id);
	struct db_rows rows;
	enum err e;

	*count = 0;
	if ((e = db_exec(c->app->db, STMT_ZOOM_PARTICIPANTS_OPEN, &p, 1, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 1 && db_cell(&rows, 0, 0) != NULL &&
	    parse_i64z(db_cell(&rows, 0, 0), 0, INT64_MAX, count) != ERR_OK)
		return ERR_DB_SCHEMA;
	return ERR_OK;
}

enum err
meetings_on_my_zoom(struct ctx *c, const char *from, const char *to, const char *status, int64_t limit,
    struct meeting **out, size_t *n)
{
	struct db_val p[7];
	struct db_rows rows;
	size_t i;
	enum err e;

	*out = NULL;
	*n = 0;
	p[0] = DB_STR(c->who.subject);
	p[1] = DB_STR(c->who.subject);
	p[2] = DB_STR(from);
	p[3] = DB_STR(to);
	p[4] = DB_STR(status);
	p[5] = DB_STR(status);
	p[6] = DB_I64(limit);
	if ((e = db_exec(c->app->db, STMT_ZOOM_USER_MEETINGS, p, 7, c->arena, &rows, (size_t)limit,
	    NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;
	if ((*out = arena_alloc(c->arena, rows.nrows * sizeof(**out))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < rows.nrows; i++)
		if ((e = meeting_from_row(&rows, i, &(*out)[i])) != ERR_OK)
			return e;
	*n = rows.nrows;
	return ERR_OK;
}
