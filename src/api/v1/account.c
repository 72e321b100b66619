/*
 * account.c — local accounts and API keys: register, login, me, and the
 * caller's own API keys. Emails are stored lower-cased so that one mailbox
 * is one account. Login spends the same scrypt time whether or not the
 * email exists, and answers the same INVALID_CREDENTIALS either way.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "auth/apikey.h"
#include "core/app.h"
#include "core/clock.h"
#include "store/db.h"
#include "auth/identity.h"
#include "auth/password.h"
#include "core/rand.h"
#include "auth/token.h"
#include "domain/users.h"
#include "api/validate.h"

enum { F_EMAIL, F_PASSWORD, F_NAME };

static const struct field_spec register_fields[] = {
	[F_EMAIL] = { "email", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 3, 254 },
	[F_PASSWORD] = { "password", FT_STRING, FF_REQUIRED, 8, 128 },
	[F_NAME] = { "display_name", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 100 },
};

static const struct field_spec login_fields[] = {
	[F_EMAIL] = { "email", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 3, 254 },
	[F_PASSWORD] = { "password", FT_STRING, FF_REQUIRED, 1, 128 },
};

static const struct field_spec apikey_fields[] = {
	{ "name", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 100 },
};

/* Lower-cased copy if s looks like an address (one '@', a dot in the
 * domain, no spaces); NULL otherwise. */
static char *
normalise_email(struct arena *a, const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	char *out;
	size_t i;

	if (at == NULL || at == s || memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL ||
	    memchr(at, '.', n - (size_t)(at - s)) == NULL || s[n - 1] == '.' || at[1] == '.')
		return NULL;
	if ((out = arena_strndup(a, s, n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (isspace((unsigned char)out[i]))
			return NULL;
		out[i] = (char)tolower((unsigned char)out[i]);
	}
	return out;
}

static void
write_user(struct jsonw *w, const char *id, const char *email, const char *name,
    const char *role, const char *created_at)
{
	jw_obj_open(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "email", email);
	jw_kstr(w, "display_name", name);
	jw_kstr(w, "role", role);
	jw_kstr(w, "created_at", created_at);
	jw_obj_close(w);
}

struct new_account {
	const char *id, *email, *hash, *name;
};

/* The account and the identity its own tokens name, together. */
static enum err
register_tx(struct db *db, void *ctx)
{
	const struct new_account *nu = ctx;
	struct db_val p[5] = { DB_STR(nu->id), DB_STR(nu->email), DB_STR(nu->hash),
	    DB_STR(nu->name), DB_STR("user") };
	enum err e;

	if ((e = db_exec(db, STMT_USER_INSERT, p, 5, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	return identity_link_local(db, nu->id, NULL);
}

enum err
api_register(struct request *rq, struct response *rs)
{
	struct field_value v[3];
	char id[ULID_LEN + 1], hash[PASSWORD_HASH_MAX], now[CLOCK_ISO_LEN];
	const char *email, *name;
	struct new_account nu;
	struct jsonw *w;
	enum err e;

	if (!rq->ctx.app->cfg->registration)
		return ERR_REGISTRATION_CLOSED;
	if ((e = validate_body(rq, register_fields, 3, v)) != ERR_OK)
		return e;
	if ((email = normalise_email(rq->ctx.arena, v[F_EMAIL].s, v[F_EMAIL].len)) == NULL)
		return request_field_error(rq, "email", "must be a valid email address");
	if ((name = arena_strndup(rq->ctx.arena, v[F_NAME].s, v[F_NAME].len)) == NULL)
		return ERR_NOMEM;
	if ((e = password_hash(v[F_PASSWORD].s, v[F_PASSWORD].len,
	    (int)rq->ctx.app->cfg->scrypt_log2n, hash)) != ERR_OK)
		return e;
	ulid_new(id);
	nu.id = id;
	nu.email = email;
	nu.hash = hash;
	nu.name = name;
	e = db_tx(rq->ctx.app->db, register_tx, &nu);
	if (e == ERR_DB_DUPLICATE)
		return ERR_EMAIL_TAKEN;
	if (e != ERR_OK)
		return e;
	clock_iso8601((int64_t)time(NULL), now);
	w = resp_data(rs, 201, "Account created");
	jw_obj_open(w);
	jw_key(w, "user");
	write_user(w, id, email, name, "user", now);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_login(struct request *rq, struct response *rs)
{
	const struct config *cfg = rq->ctx.app->cfg;
	struct field_value v[2];
	struct token_policy policy;
	struct db_rows rows;
	struct db_val p;
	const char *email;
	char *token = NULL;
	struct jsonw *w;
	enum err e;

	if ((e = validate_body(rq, login_fields, 2, v)) != ERR_OK)
		return e;
	token_policy_from_config(cfg, &policy);
	if (policy.sign_key == NULL)
		return request_fail(rq, ERR_NOT_CONFIGURED, "Login needs auth.jwt_signing_key_file");
	email = normalise_email(rq->ctx.arena, v[F_EMAIL].s, v[F_EMAIL].len);
	if (email == NULL) {
		password_burn(v[F_PASSWORD].s, v[F_PASSWORD].len, (int)cfg->scrypt_log2n);
		return ERR_INVALID_CREDENTIALS;
	}
	p = DB_STR(email);
	if ((e = db_exec(rq->ctx.app->db, STMT_USER_BY_EMAIL, &p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0) {
		password_burn(v[F_PASSWORD].s, v[F_PASSWORD].len, (int)cfg->scrypt_log2n);
		return ERR_INVALID_CREDENTIALS;
	}
	if (!password_verify(v[F_PASSWORD].s, v[F_PASSWORD].len, db_cell(&rows, 0, 2)))
		return ERR_INVALID_CREDENTIALS;
	if (strcmp(db_cell(&rows, 0, 6), "1") == 0)
		return ERR_ACCOUNT_DISABLED;    /* told only to who knows the password */
	if ((e = token_issue(&policy, db_cell(&rows, 0, 0), db_cell(&rows, 0, 4),
	    (int64_t)time(NULL), cfg->token_ttl, &token)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Logged in");
	jw_obj_open(w);
	jw_kstr(w, "access_token", token);
	jw_kstr(w, "token_type", "Bearer");
	jw_kint(w, "expires_in", cfg->token_ttl);
	jw_key(w, "user");
	write_user(w, db_cell(&rows, 0, 0), db_cell(&rows, 0, 1), db_cell(&rows, 0, 3),
	    db_cell(&rows, 0, 4), db_cell(&rows, 0, 5));
	jw_obj_close(w);
	free(token);
	return ERR_OK;
}

/* The account as /me and the admin routes show it. */
void
account_write_user(struct jsonw *w, const struct user *u, const char *role)
{
	jw_kstr(w, "id", u->id);
	jw_kstr(w, "kind", u->kind);
	jw_kstr(w, "email", u->email);
	jw_kbool(w, "email_verified", u->email_verified);
	jw_kstr(w, "display_name", u->display_name);
	jw_kstr(w, "role", role != NULL ? role : u->role);
	jw_kstr(w, "time_zone", u->time_zone != NULL ? u->time_zone : "UTC");
	jw_kstr(w, "language", u->language != NULL ? u->language : "en");
	jw_kstr(w, "created_at", u->created_at);
	jw_kbool(w, "local_account", u->local_account);
}

static enum err
render_me(struct request *rq, struct response *rs, const struct user *u, const char *message)
{
	struct jsonw *w = resp_data(rs, 200, message);

	jw_obj_open(w);
	/* the role this request acts with: meetd's own tokens may carry admin */
	account_write_user(w, u, rq->ctx.who.role);
	jw_kstr(w, "auth", rq->ctx.who.kind == PRINCIPAL_API_KEY ? "api_key" : "jwt");
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_me(struct request *rq, struct response *rs)
{
	struct user u;
	enum err e;

	if ((e = users_get(rq->ctx.app->db, rq->ctx.arena, rq->ctx.who.subject, &u)) != ERR_OK)
		return e == ERR_USER_NOT_FOUND ? ERR_DB_UNAVAILABLE : e;
	return render_me(rq, rs, &u, "Current user");
}

enum { P_NAME, P_ZONE, P_LANGUAGE, NP };

static const struct field_spec profile_fields[NP] = {
	[P_NAME] = { "display_name", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, USER_NAME_MAX },
	[P_ZONE] = { "time_zone", FT_STRING, FF_NO_CONTROL, 1, 64 },
	[P_LANGUAGE] = { "language", FT_STRING, FF_NO_CONTROL, 2, 2 },
};

enum err
api_me_update(struct request *rq, struct response *rs)
{
	struct field_value v[NP];
	struct profile_change c = { 0 };
	const char *bad = NULL;
	struct user u;
	enum err e;

	if ((e = validate_body(rq, profile_fields, NP, v)) != ERR_OK)
		return e;
	/* null puts a time zone or language back to its default */
	c.set_name = v[P_NAME].present;
	c.display_name = validate_dup(rq, &v[P_NAME]);
	c.set_zone = json_object_get(rq->json, "time_zone") != NULL;
	c.time_zone = validate_dup(rq, &v[P_ZONE]);
	c.set_language = json_object_get(rq->json, "language") != NULL;
	c.language = validate_dup(rq, &v[P_LANGUAGE]);
	e = users_update_profile(rq->ctx.app->db, rq->ctx.arena, rq->ctx.who.subject, &c, &u, &bad);
	if (e == ERR_VALIDATION_FAILED)
		return request_field_error(rq, bad, strcmp(bad, "language") == 0 ?
		    "must be en or fr" : "must be an IANA time zone such as Europe/Paris");
	if (e != ERR_OK)
		return e == ERR_USER_NOT_FOUND ? ERR_DB_UNAVAILABLE : e;
	return render_me(rq, rs, &u, "Profile updated");
}

enum err
api_me_sign_out(struct request *rq, struct response *rs)
{
	int64_t now = (int64_t)time(NULL);
	char at[CLOCK_ISO_LEN];
	struct jsonw *w;
	enum err e;

	if ((e = users_sign_out_everywhere(rq->ctx.app->db, rq->ctx.arena, rq->ctx.who.subject, now)) != ERR_OK)
		return e == ERR_USER_NOT_FOUND ? ERR_DB_UNAVAILABLE : e;
	clock_iso8601(now, at);
	w = resp_data(rs, 200, "Signed out everywhere: every token issued until now is refused");
	jw_obj_open(w);
	jw_kstr(w, "signed_out_at", at);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_apikey_create(struct request *rq, struct response *rs)
{
	struct field_value v[1];
	struct apikey key;
	struct db_val p[5];
	char id[ULID_LEN + 1], now[CLOCK_ISO_LEN];
	const char *name;
	struct jsonw *w;
	enum err e;

	if ((e = validate_body(rq, apikey_fields, 1, v)) != ERR_OK)
		return e;
	if (rq->ctx.who.guest)
		return request_fail(rq, ERR_FORBIDDEN, "API keys belong to accounts, not guests");
	if (!apikey_generate(&key) || (name = arena_strndup(rq->ctx.arena, v[0].s, v[0].len)) == NULL)
		return ERR_INTERNAL;
	ulid_new(id);
	p[0] = DB_STR(id);
	p[1] = DB_STR(rq->ctx.who.subject);
	p[2] = DB_STR(key.prefix);
	p[3] = DB_BLOB(key.hash, sizeof(key.hash));
	p[4] = DB_STR(name);
	if ((e = db_exec(rq->ctx.app->db, STMT_APIKEY_INSERT, p, 5, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
		return e == ERR_DB_DUPLICATE ? ERR_INTERNAL : e;
	clock_iso8601((int64_t)time(NULL), now);
	w = resp_data(rs, 201, "API key created; store it now, it is not shown again");
	jw_obj_open(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "name", name);
	jw_kstr(w, "prefix", key.prefix);
	jw_kstr(w, "key", key.text);
	jw_kstr(w, "created_at", now);
	jw_obj_close(w);
	explicit_bzero(&key, sizeof(key));
	return ERR_OK;
}

enum err
api_apikey_list(struct request *rq, struct response *rs)
{
	struct db_rows rows;
	struct db_val p = DB_STR(rq->ctx.who.subject);
	struct jsonw *w;
	size_t i;
	enum err e;

	if ((e = db_exec(rq->ctx.app->db, STMT_APIKEY_LIST, &p, 1, rq->ctx.arena, &rows, 100, NULL)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "API keys");
	jw_arr_open(w);
	for (i = 0; i < rows.nrows; i++) {
		jw_obj_open(w);
		jw_kstr(w, "id", db_cell(&rows, i, 0));
		jw_kstr(w, "prefix", db_cell(&rows, i, 1));
		jw_kstr(w, "name", db_cell(&rows, i, 2));
		jw_kstr(w, "created_at", db_cell(&rows, i, 3));
		jw_kstr(w, "last_used_at", db_cell(&rows, i, 4));
		jw_obj_close(w);
	}
	jw_arr_close(w);
	return ERR_OK;
}

enum err
api_apikey_delete(struct request *rq, struct response *rs)
{
	struct db_val p[2];
	uint64_t affected = 0;
	struct jsonw *w;
	enum err e;

	if (!ulid_valid(rq->params[0]))
		return ERR_NOT_FOUND;
	p[0] = DB_STR(rq->params[0]);
	p[1] = DB_STR(rq->ctx.who.subject);
	if ((e = db_exec(rq->ctx.app->db, STMT_APIKEY_REVOKE, p, 2, rq->ctx.arena, NULL, 0, &affected)) != ERR_OK)
		return e;
	if (affected == 0)
		return ERR_NOT_FOUND;
	w = resp_data(rs, 200, "API key revoked");
	jw_obj_open(w);
	jw_kstr(w, "id", rq->params[0]);
	jw_kbool(w, "revoked", true);
	jw_obj_close(w);
	return ERR_OK;
}
