/*
 * members.c — who belongs to a meeting and what it did: the organizer
 * setting and removing members (a removed guest is disabled, so it stays
 * out), and the organizer's view of the audit log. See meetings.h.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "core/jsonw.h"
#include "core/parse.h"
#include "domain/journal.h"
#include "domain/meetings.h"
#include "domain/users.h"

/* --- members ---------------------------------------------------------------- */

struct member_tx {
	struct ctx *c;
	const char *id, *user_id;
	const char *role;       /* NULL: remove */
};

static enum err
member_in_tx(struct db *db, void *arg)
{
	struct member_tx *t = arg;
	struct ctx *c = t->c;
	struct db_val p[3];
	struct meeting m;
	struct user u;
	struct buf details;
	struct jsonw w;
	uint64_t n = 0;
	enum err e;

	if ((e = meeting_load(c, db, t->id, true, &m)) != ERR_OK)
		return e;
	if (m.my_role != ROLE_ORGANIZER)
		return ctx_fail(c, ERR_FORBIDDEN, "Only the organizer manages members");
	if (strcmp(t->user_id, m.organizer_id) == 0)
		return ctx_field_error(c, "user_id", "is the organizer, whose role cannot change");
	if ((e = users_get(db, c->arena, t->user_id, &u)) != ERR_OK)
		return e;
	if (t->role != NULL) {
		p[0] = DB_STR(t->user_id);
		p[1] = DB_STR(t->role);
		p[2] = DB_STR(m.id);
		e = db_exec(db, STMT_MEMBER_SET, p, 3, c->arena, NULL, 0, NULL);
	} else {
		p[0] = DB_STR(m.id);
		p[1] = DB_STR(t->user_id);
		if ((e = db_exec(db, STMT_MEMBER_DELETE, p, 2, c->arena, NULL, 0, &n)) == ERR_OK && n == 0)
			return ctx_fail(c, ERR_USER_NOT_FOUND, "This user is not a member of the meeting");
		/* a guest exists for this meeting alone: removed, it stays out */
		if (e == ERR_OK && strcmp(u.kind, "guest") == 0)
			e = users_set_disabled(db, c->arena, t->user_id, true);
	}
	if (e != ERR_OK)
		return e;
	buf_init(&details, 1024);
	jw_init(&w, &details);
	jw_obj_open(&w);
	jw_kstr(&w, "user_id", t->user_id);
	jw_kstr_or_null(&w, "role", t->role);
	jw_obj_close(&w);
	e = journal_record(c, db, m.id, t->role != NULL ? "member.set" : "member.removed",
	    buf_cstr(&details), NULL, NULL);
	buf_free(&details);
	return e;
}

enum err
meetings_set_member(struct ctx *c, const char *id, const char *user_id, const char *role)
{
	struct member_tx t = { .c = c, .id = id, .user_id = user_id, .role = role };

	return db_tx(c->app->db, member_in_tx, &t);
}

/* --- audit ------------------------------------------------------------------ */

enum err
meetings_audit(struct ctx *c, const char *id, int64_t before, int64_t limit, struct audit_entry **out,
    size_t *n)
{
	enum { A_ID, A_ACTION, A_ACTOR, A_ADDR, A_REQUEST, A_DETAILS, A_CREATED, A__MAX };
	struct db_val p[3];
	struct db_rows rows;
	struct meeting m;
	size_t i;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = meeting_load(c, c->app->db, id, false, &m)) != ERR_OK)
		return e;
	if (m.my_role != ROLE_ORGANIZER)
		return ctx_fail(c, ERR_FORBIDDEN, "Only the organizer reads the audit log");
	p[0] = DB_STR(m.id);
	p[1] = DB_I64(before);
	p[2] = DB_I64(limit);
	if ((e = db_exec(c->app->db, STMT_AUDIT_LIST, p, 3, c->arena, &rows, (size_t)limit, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;
	if (rows.ncols != A__MAX)
		return ERR_DB_SCHEMA;
	if ((*out = arena_alloc(c->arena, rows.nrows * sizeof(**out))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < rows.nrows; i++) {
		struct audit_entry *a = &(*out)[i];

		if (parse_i64z(db_cell(&rows, i, A_ID), 1, INT64_MAX, &a->id) != ERR_OK)
			return ERR_DB_SCHEMA;
		a->action = db_cell(&rows, i, A_ACTION);
		a->actor_id = db_cell(&rows, i, A_ACTOR);
		a->client_addr = db_cell(&rows, i, A_ADDR);
		a->request_id = db_cell(&rows, i, A_REQUEST);
		a->details = db_cell(&rows, i, A_DETAILS);
		a->created_at = db_cell(&rows, i, A_CREATED);
	}
	*n = rows.nrows;
	return ERR_OK;
}
