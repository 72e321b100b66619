/*
 * waiting_room.c — knocks, the queue and decisions (see waiting_room.h).
 */
#include <string.h>

#include "core/app.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "core/parse.h"
#include "domain/journal.h"
#include "domain/realtime.h"
#include "domain/waiting_room.h"
#include "store/db.h"

/* One event on every host's own channel (they are few). */
static enum err
tell_hosts(struct ctx *c, struct db *db, const char *meeting_id, const char *event, const char *data)
{
	struct db_val p[1] = { DB_STR(meeting_id) };
	struct db_rows rows;
	size_t r;
	enum err e;

	if ((e = db_exec(db, STMT_MEETING_HOSTS, p, 1, c->arena, &rows, 100, NULL)) != ERR_OK)
		return e;
	for (r = 0; r < rows.nrows; r++)
		if ((e = events_append(c, db, meeting_id, db_cell(&rows, r, 0), event, data, data)) != ERR_OK)
			return e;
	return ERR_OK;
}

static const char *
person_json(struct ctx *c, const char *user_id, const char *key, const char *value, int64_t position)
{
	struct buf b;
	struct jsonw w;
	const char *out;

	buf_init(&b, 1024);
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_kstr(&w, "user_id", user_id);
	if (key != NULL)
		jw_kstr(&w, key, value);
	if (position > 0)
		jw_kint(&w, "position", position);
	jw_obj_close(&w);
	out = b.failed ? NULL : arena_strdup(c->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

enum err
waiting_knock(struct ctx *c, struct db *db, const struct meeting *m, int64_t *position)
{
	struct db_val p[2] = { DB_STR(m->id), DB_STR(c->who.subject) };
	struct db_rows rows;
	uint64_t changed = 0;
	const char *data;
	enum err e;

	if ((e = db_exec(db, STMT_WAIT_KNOCK, p, 2, NULL, NULL, 0, &changed)) != ERR_OK ||
	    (e = db_exec(db, STMT_WAIT_POSITION, p, 2, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1 || parse_i64z(db_cell(&rows, 0, 1), 0, INT64_MAX, position) != ERR_OK)
		return ERR_DB_SCHEMA;
	if (changed == 0)
		return ERR_OK;          /* knocking again in the same place tells nobody */
	if ((data = person_json(c, c->who.subject, NULL, NULL, *position)) == NULL)
		return ERR_NOMEM;
	if ((e = journal_record(c, db, m->id, "participant.waiting", data, NULL, NULL)) != ERR_OK)
		return e;
	return tell_hosts(c, db, m->id, "participant.waiting", data);
}

static enum err
host_meeting(struct ctx *c, struct db *db, const char *meeting_id, bool locked, struct meeting *m)
{
	enum err e;

	if ((e = meeting_load(c, db, meeting_id, locked, m)) != ERR_OK)
		return e;
	if (!meeting_is_host(m))
		return ctx_fail(c, ERR_FORBIDDEN, "Only the meeting's hosts manage its waiting room");
	return ERR_OK;
}

enum err
waiting_list(struct ctx *c, const char *meeting_id, struct waiting_person **out, size_t *n)
{
	struct db_val p[1];
	struct db_rows rows;
	struct meeting m;
	size_t r;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = host_meeting(c, c->app->db, meeting_id, false, &m)) != ERR_OK)
		return e;
	p[0] = DB_STR(m.id);
	if ((e = db_exec(c->app->db, STMT_WAIT_LIST, p, 1, c->arena, &rows, 1000, NULL)) != ERR_OK)
		return e;
	if ((*out = arena_alloc(c->arena, sizeof(**out) * (rows.nrows + 1))) == NULL)
		return ERR_NOMEM;
	for (r = 0; r < rows.nrows; r++) {
		(*out)[r].user_id = db_cell(&rows, r, 0);
		(*out)[r].display_name = db_cell(&rows, r, 1);
		(*out)[r].knocked_at = db_cell(&rows, r, 2);
	}
	*n = rows.nrows;
	return ERR_OK;
}

struct decide_tx {
	struct ctx *c;
	const char *id;
	const char *const *users;
	size_t n;
	bool all, admit;
	size_t decided;
};

static enum err
decide_in_tx(struct db *db, void *arg)
{
	struct decide_tx *t = arg;
	struct ctx *c = t->c;
	const char *const *users = t->users;
	const char *status = t->admit ? "admitted" : "denied";
	const char *event = t->admit ? "participant.admitted" : "participant.denied";
	struct db_val p[4];
	struct db_rows rows;
	struct meeting m;
	size_t i, n = t->n;
	enum err e;

	t->decided = 0;
	if ((e = host_meeting(c, db, t->id, true, &m)) != ERR_OK)
		return e;
	if (t->all) {
		const char **list;

		p[0] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_WAIT_LIST, p, 1, c->arena, &rows, WAITING_MAX_BATCH, NULL)) != ERR_OK)
			return e;
		if ((list = arena_alloc(c->arena, sizeof(*list) * (rows.nrows + 1))) == NULL)
			return ERR_NOMEM;
		for (i = 0; i < rows.nrows; i++)
			list[i] = db_cell(&rows, i, 0);
		users = list;
		n = rows.nrows;
	}
	for (i = 0; i < n; i++) {
		uint64_t changed = 0;
		const char *data;

		p[0] = DB_STR(status);
		p[1] = DB_STR(c->who.subject);
		p[2] = DB_STR(m.id);
		p[3] = DB_STR(users[i]);
		if ((e = db_exec(db, STMT_WAIT_DECIDE, p, 4, NULL, NULL, 0, &changed)) != ERR_OK)
			return e;
		if (changed == 0)
			continue;       /* not waiting (decided already, or never knocked) */
		if ((data = person_json(c, users[i], "decided_by", c->who.subject, 0)) == NULL)
			return ERR_NOMEM;
		/* the person learns it on their own channel; the audit keeps it */
		if ((e = journal_record(c, db, m.id, event, data, NULL, NULL)) != ERR_OK ||
		    (e = events_append(c, db, m.id, users[i], event, data, data)) != ERR_OK)
			return e;
		t->decided++;
	}
	return ERR_OK;
}

enum err
waiting_decide(struct ctx *c, const char *meeting_id, const char *const *users, size_t n, bool all,
    bool admit, size_t *decided)
{
	struct decide_tx t = { .c = c, .id = meeting_id, .users = users, .n = n, .all = all,
	    .admit = admit };
	enum err e;

	e = db_tx(c->app->db, decide_in_tx, &t);
	*decided = t.decided;
	return e;
}
