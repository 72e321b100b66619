/*
 * identity.c — maps (issuer, subject) to meetd's user; see identity.h.
 *
 * The lookup is the one user read an authenticated request makes, so it
 * also carries what decides whether the user may act at all (disabled,
 * signed out everywhere). A subject seen for the first time gets its user
 * in one transaction: the user row, then the identity row whose primary key
 * (issuer, subject) is the arbiter. A concurrent first request blocks on
 * that key until the winner commits, then fails as a duplicate, rolls its
 * own user back and reads the winner's, so 50 racing requests make one user.
 */
#include <string.h>

#include "store/db.h"
#include "store/limiter.h"
#include "auth/identity.h"
#include "core/parse.h"
#include "core/rand.h"

#define NAME_MAX_CHARS 100      /* users.display_name */
#define EMAIL_MAX 254           /* user_identities.email */

enum { U_ID, U_ROLE, U_KIND, U_GUEST_MEETING, U_DISABLED, U_VALID_AFTER, U_EMAIL, U_EMAIL_VERIFIED,
	U_NAME, U_ZONE, U_LANGUAGE, U_CREATED, U_LOCAL, U__MAX };
/* the authenticate-and-limit statement's row */
enum { T_ID, T_ROLE, T_KIND, T_GUEST_MEETING, T_DISABLED, T_VALID_AFTER, T_ALLOWED, T_TAT, T_NOW, T__MAX };

struct new_user {
	const struct identity_claims *c;
	const char *name;
	const char *email;
	char id[ULID_LEN + 1];
};

/* Bytes of the first `max` code points of a valid UTF-8 string. */
static size_t
utf8_prefix(const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	while (s[i] != '\0' && chars < max) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	return i;
}

/* A claim taken as profile data: NULL when absent or holding control
 * characters, cut to `max_chars` code points otherwise. */
static const char *
profile_text(struct arena *a, const char *s, size_t max_chars)
{
	const unsigned char *p;

	if (s == NULL)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7F)
			return NULL;
	return arena_strndup(a, s, utf8_prefix(s, max_chars));
}

/* The account fields both lookups return, from columns id..valid_after. */
static enum err
account_from(const struct db_rows *rows, size_t id, size_t role, size_t kind, size_t guest, size_t disabled,
    size_t valid_after, struct identity_user *out)
{
	const char *d = db_cell(rows, 0, disabled);

	out->id = db_cell(rows, 0, id);
	out->role = db_cell(rows, 0, role) != NULL && strcmp(db_cell(rows, 0, role), "admin") == 0 ?
	    "admin" : "user";
	out->guest = db_cell(rows, 0, kind) != NULL && strcmp(db_cell(rows, 0, kind), "guest") == 0;
	out->guest_meeting_id = db_cell(rows, 0, guest);
	out->disabled = d != NULL && strcmp(d, "1") == 0;
	if (out->id == NULL || db_cell(rows, 0, valid_after) == NULL ||
	    parse_i64z(db_cell(rows, 0, valid_after), 0, INT64_MAX, &out->tokens_valid_after) != ERR_OK)
		return ERR_DB_SCHEMA;
	return ERR_OK;
}

static enum err
lookup(struct db *db, const struct identity_claims *c, struct arena *a, struct identity_user *out,
    bool *found)
{
	struct db_val p[2] = { DB_STR(c->issuer), DB_STR(c->subject) };
	struct db_rows rows;
	enum err e;

	*found = false;
	if ((e = db_exec(db, STMT_IDENTITY_USER, p, 2, a, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;
	if (rows.ncols != U__MAX)
		return ERR_DB_SCHEMA;
	if ((e = account_from(&rows, U_ID, U_ROLE, U_KIND, U_GUEST_MEETING, U_DISABLED, U_VALID_AFTER,
	    out)) != ERR_OK)
		return e;
	out->has_profile = true;
	out->email = db_cell(&rows, 0, U_EMAIL);
	out->email_verified = strcmp(db_cell(&rows, 0, U_EMAIL_VERIFIED), "1") == 0;
	out->display_name = db_cell(&rows, 0, U_NAME);
	out->time_zone = db_cell(&rows, 0, U_ZONE);
	out->language = db_cell(&rows, 0, U_LANGUAGE);
	out->created_at = db_cell(&rows, 0, U_CREATED);
	out->local_account = strcmp(db_cell(&rows, 0, U_LOCAL), "1") == 0;
	*found = true;
	return ERR_OK;
}

static enum err
create_tx(struct db *db, void *ctx)
{
	struct new_user *nu = ctx;
	struct db_val p[5];
	enum err e;

	ulid_new(nu->id);               /* anew on every attempt of the transaction */
	p[0] = DB_STR(nu->id);
	p[1] = DB_STR("account");
	p[2] = DB_NULL;
	p[3] = DB_STR(nu->name != NULL ? nu->name : "");
	if ((e = db_exec(db, STMT_IDENTITY_NEW_USER, p, 4, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	p[0] = DB_STR(nu->c->issuer);
	p[1] = DB_STR(nu->c->subject);
	p[2] = DB_STR(nu->id);
	p[3] = DB_STR(nu->email);
	p[4] = DB_I64(nu->email != NULL && nu->c->email_verified ? 1 : 0);
	return db_exec(db, STMT_IDENTITY_INSERT, p, 5, NULL, NULL, 0, NULL);
}

enum err
identity_resolve(struct db *db, const struct identity_claims *c, struct arena *a,
    struct identity_user *out)
{
	struct new_user nu;
	bool found;
	size_t n;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (c->issuer == NULL || c->subject == NULL)
		return ERR_INVALID_TOKEN;
	if (db == NULL)
		return ERR_DB_UNAVAILABLE;
	n = strlen(c->subject);
	if (n == 0 || n > IDENTITY_SUBJECT_MAX || strlen(c->issuer) > IDENTITY_ISSUER_MAX)
		return ERR_INVALID_TOKEN;
	if ((e = lookup(db, c, a, out, &found)) != ERR_OK || found)
		return e;

	memset(&nu, 0, sizeof(nu));
	nu.c = c;
	nu.name = profile_text(a, c->name, NAME_MAX_CHARS);
	nu.email = profile_text(a, c->email, EMAIL_MAX);
	if (nu.email != NULL && strlen(nu.email) != strlen(c->email))
		nu.email = NULL;        /* an address cut short is no address */
	e = db_tx(db, create_tx, &nu);
	if (e != ERR_OK && e != ERR_DB_DUPLICATE)
		return e;
	/* made by us, or by the request that won the race: read it back */
	if ((e = lookup(db, c, a, out, &found)) != ERR_OK)
		return e;
	return found ? ERR_OK : ERR_DB_UNAVAILABLE;
}

enum err
identity_link_local(struct db *db, const char *user_id, struct arena *a)
{
	struct db_val p[5] = { DB_STR(IDENTITY_LOCAL_ISSUER), DB_STR(user_id), DB_STR(user_id),
	    DB_NULL, DB_I64(0) };

	return db_exec(db, STMT_IDENTITY_INSERT, p, 5, a, NULL, 0, NULL);
}

enum err
identity_resolve_limited(struct db *db, const struct identity_claims *c, struct arena *a,
    const char *category, const struct rate *r, struct identity_user *out, bool *taken, bool *allowed,
    struct limit_info *d)
{
	struct db_val p[6];
	struct db_rows rows;
	int64_t step_ms, window_ms, tat, now;
	size_t n;
	enum err e;

	memset(out, 0, sizeof(*out));
	*taken = false;
	if (c->issuer == NULL || c->subject == NULL)
		return ERR_INVALID_TOKEN;
	if (db == NULL)
		return ERR_DB_UNAVAILABLE;
	n = strlen(c->subject);
	if (n == 0 || n > IDENTITY_SUBJECT_MAX || strlen(c->issuer) > IDENTITY_ISSUER_MAX)
		return ERR_INVALID_TOKEN;
	limiter_params(r, &step_ms, &window_ms);
	p[0] = DB_STR(category);
	p[1] = DB_I64(step_ms);
	p[2] = DB_I64(step_ms);
	p[3] = DB_I64(window_ms);
	p[4] = DB_STR(c->issuer);
	p[5] = DB_STR(c->subject);
	e = db_exec(db, STMT_IDENTITY_TAKE, p, 6, a, &rows, 1, NULL);
	if (e == ERR_DB_FULL)           /* the limiter's table: resolve alone, let the caller take */
		return identity_resolve(db, c, a, out);
	if (e != ERR_OK)
		return e;
	if (rows.nrows == 0)            /* first use: made now, limited by the caller */
		return identity_resolve(db, c, a, out);
	if (rows.ncols != T__MAX ||
	    (e = account_from(&rows, T_ID, T_ROLE, T_KIND, T_GUEST_MEETING, T_DISABLED, T_VALID_AFTER,
	    out)) != ERR_OK ||
	    parse_i64z(db_cell(&rows, 0, T_TAT), INT64_MIN, INT64_MAX, &tat) != ERR_OK ||
	    parse_i64z(db_cell(&rows, 0, T_NOW), INT64_MIN, INT64_MAX, &now) != ERR_OK)
		return ERR_DB_SCHEMA;
	*allowed = strcmp(db_cell(&rows, 0, T_ALLOWED), "1") == 0;
	limiter_decide(r, *allowed, tat, now, d);
	*taken = true;
	return ERR_OK;
}
