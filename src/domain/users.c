/*
 * users.c — profiles and account administration; see users.h.
 *
 * Every write names the user by id and skips a deleted one, so a tombstone
 * never comes back to life through a profile edit or an `enable`. Deleting
 * is one transaction: the row is erased in place, the email claims of its
 * identities are forgotten, API keys revoked and platform grants dropped.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "store/db.h"
#include "auth/identity.h"
#include "core/parse.h"
#include "core/rand.h"
#include "domain/users.h"
#include "core/zone.h"

/* The columns of USER_COLS (stmt.c), in order. */
enum user_col {
	UC_ID, UC_KIND, UC_EMAIL, UC_EMAIL_VERIFIED, UC_NAME, UC_ROLE, UC_ZONE, UC_LANGUAGE,
	UC_GUEST_MEETING, UC_CREATED, UC_DISABLED, UC_DELETED, UC_LOCAL, UC__MAX
};

static const char *const languages[] = { "en", "fr" };

bool
users_language_known(const char *lang)
{
	size_t i;

	for (i = 0; lang != NULL && i < sizeof(languages) / sizeof(languages[0]); i++)
		if (strcmp(lang, languages[i]) == 0)
			return true;
	return false;
}

static void
from_row(const struct db_rows *r, size_t i, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = db_cell(r, i, UC_ID);
	u->kind = db_cell(r, i, UC_KIND);
	u->email = db_cell(r, i, UC_EMAIL);
	u->email_verified = strcmp(db_cell(r, i, UC_EMAIL_VERIFIED), "1") == 0;
	u->display_name = db_cell(r, i, UC_NAME);
	u->role = strcmp(db_cell(r, i, UC_ROLE), "admin") == 0 ? "admin" : "user";
	u->time_zone = db_cell(r, i, UC_ZONE);
	u->language = db_cell(r, i, UC_LANGUAGE);
	u->guest_meeting_id = db_cell(r, i, UC_GUEST_MEETING);
	u->created_at = db_cell(r, i, UC_CREATED);
	u->disabled_at = db_cell(r, i, UC_DISABLED);
	u->deleted_at = db_cell(r, i, UC_DELETED);
	u->local_account = strcmp(db_cell(r, i, UC_LOCAL), "1") == 0;
}

enum err
users_get(struct db *db, struct arena *a, const char *id, struct user *out)
{
	struct db_val p = DB_STR(id);
	struct db_rows rows;
	enum err e;

	if (id == NULL || !ulid_valid(id))
		return ERR_USER_NOT_FOUND;
	if ((e = db_exec(db, STMT_USERS_GET, &p, 1, a, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_USER_NOT_FOUND;
	if (rows.ncols != UC__MAX)
		return ERR_DB_SCHEMA;
	from_row(&rows, 0, out);
	return ERR_OK;
}

enum err
users_me(struct ctx *c, struct user *out)
{
	const struct principal *w = &c->who;
	enum err e;

	if (!w->has_profile) {
		e = users_get(c->app->db, c->arena, w->subject, out);
		return e == ERR_USER_NOT_FOUND ? ERR_DB_UNAVAILABLE : e;   /* it was there a moment ago */
	}
	memset(out, 0, sizeof(*out));
	out->id = w->subject;
	out->kind = w->guest ? "guest" : "account";
	out->email = w->email;
	out->email_verified = w->email_verified;
	out->display_name = w->display_name;
	out->role = w->role;
	out->time_zone = w->time_zone;
	out->language = w->language;
	out->guest_meeting_id = w->guest_meeting_id;
	out->created_at = w->created_at;
	out->local_account = w->local_account;
	return ERR_OK;
}

enum err
users_list(struct db *db, struct arena *a, const char *after, size_t limit, struct user **out,
    size_t *n)
{
	struct db_val p[2] = { DB_STR(after != NULL ? after : ""), DB_I64((int64_t)limit) };
	struct db_rows rows;
	size_t i;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, STMT_USERS_LIST, p, 2, a, &rows, limit, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;
	if (rows.ncols != UC__MAX)
		return ERR_DB_SCHEMA;
	if ((*out = arena_alloc(a, rows.nrows * sizeof(**out))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < rows.nrows; i++)
		from_row(&rows, i, &(*out)[i]);
	*n = rows.nrows;
	return ERR_OK;
}

/* Runs a one-statement change of a live user; ERR_USER_NOT_FOUND when the
 * user is absent or deleted. */
static enum err
change(struct db *db, struct arena *a, const char *id, enum stmt_id st, struct db_val *p, size_t n)
{
	struct user u;
	enum err e;

	if ((e = users_get(db, a, id, &u)) != ERR_OK)
		return e;
	if (u.deleted_at != NULL)
		return ERR_USER_NOT_FOUND;
	return db_exec(db, st, p, n, a, NULL, 0, NULL);
}

enum err
users_update_profile(struct db *db, struct arena *a, const char *id,
    const struct profile_change *c, struct user *out, const char **bad_field)
{
	struct db_val p[7];
	enum err e;

	*bad_field = NULL;
	if (c->set_zone && c->time_zone != NULL && !zone_exists(c->time_zone)) {
		*bad_field = "time_zone";
		return ERR_VALIDATION_FAILED;
	}
	if (c->set_language && c->language != NULL && !users_language_known(c->language)) {
		*bad_field = "language";
		return ERR_VALIDATION_FAILED;
	}
	p[0] = DB_I64(c->set_name);
	p[1] = DB_STR(c->display_name != NULL ? c->display_name : "");
	p[2] = DB_I64(c->set_zone);
	p[3] = DB_STR(c->time_zone);
	p[4] = DB_I64(c->set_language);
	p[5] = DB_STR(c->language);
	p[6] = DB_STR(id);
	if ((e = change(db, a, id, STMT_USERS_UPDATE_PROFILE, p, 7)) != ERR_OK)
		return e;
	return users_get(db, a, id, out);
}

enum err
users_set_disabled(struct db *db, struct arena *a, const char *id, bool disabled)
{
	struct db_val p[2] = { DB_I64(disabled), DB_STR(id) };

	return change(db, a, id, STMT_USERS_SET_DISABLED, p, 2);
}

enum err
users_sign_out_everywhere(struct db *db, struct arena *a, const char *id, int64_t now_s)
{
	/* tokens carry whole seconds: one issued in this very second may
	 * predate the request, so the cut is the next second */
	struct db_val p[2] = { DB_I64(now_s + 1), DB_STR(id) };

	return change(db, a, id, STMT_USERS_SIGN_OUT, p, 2);
}

struct erase {
	const char *id;
	int64_t cut;
	bool found;
};

static enum err
erase_tx(struct db *db, void *ctx)
{
	struct erase *x = ctx;
	struct db_val p[2] = { DB_I64(x->cut), DB_STR(x->id) };
	uint64_t affected = 0;
	enum err e;

	if ((e = db_exec(db, STMT_USERS_ERASE, p, 2, NULL, NULL, 0, &affected)) != ERR_OK)
		return e;
	if ((x->found = affected == 1) == false)
		return ERR_USER_NOT_FOUND;
	p[0] = DB_STR(x->id);
	if ((e = db_exec(db, STMT_USERS_FORGET_CLAIMS, p, 1, NULL, NULL, 0, NULL)) != ERR_OK ||
	    (e = db_exec(db, STMT_USERS_REVOKE_KEYS, p, 1, NULL, NULL, 0, NULL)) != ERR_OK ||
	    (e = db_exec(db, STMT_USERS_DROP_ZOOM, p, 1, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	return db_exec(db, STMT_USERS_DROP_GRANTS, p, 1, NULL, NULL, 0, NULL);
}

enum err
users_delete(struct db *db, struct arena *a, const char *id)
{
	struct erase x = { .id = id, .cut = INT64_MAX / 2 };
	struct user u;
	enum err e;

	if ((e = users_get(db, a, id, &u)) != ERR_OK)
		return e;
	return db_tx(db, erase_tx, &x);
}

enum err
users_new_guest(struct db *db, const char *meeting_id, const char *display_name, char id[27])
{
	struct db_val p[4];
	enum err e;

	ulid_new(id);
	p[0] = DB_STR(id);
	p[1] = DB_STR("guest");
	p[2] = DB_STR(meeting_id);
	p[3] = DB_STR(display_name);
	if ((e = db_exec(db, STMT_IDENTITY_NEW_USER, p, 4, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	return identity_link_local(db, id, NULL);
}
