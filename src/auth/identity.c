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

#include "db.h"
#include "identity.h"
#include "parse.h"
#include "rand.h"

#define NAME_MAX_CHARS 100      /* users.display_name */
#define EMAIL_MAX 254           /* user_identities.email */

enum { U_ID, U_ROLE, U_KIND, U_GUEST_MEETING, U_DISABLED, U_VALID_AFTER, U__MAX };

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
	out->id = db_cell(&rows, 0, U_ID);
	out->role = strcmp(db_cell(&rows, 0, U_ROLE), "admin") == 0 ? "admin" : "user";
	out->guest = strcmp(db_cell(&rows, 0, U_KIND), "guest") == 0;
	out->guest_meeting_id = db_cell(&rows, 0, U_GUEST_MEETING);
	out->disabled = strcmp(db_cell(&rows, 0, U_DISABLED), "1") == 0;
	if (parse_i64z(db_cell(&rows, 0, U_VALID_AFTER), 0, INT64_MAX, &out->tokens_valid_after) != ERR_OK)
		return ERR_DB_SCHEMA;
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
