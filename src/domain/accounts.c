/*
 * accounts.c — local accounts and API keys; see accounts.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/apikey.h"
#include "auth/identity.h"
#include "auth/password.h"
#include "auth/token.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/accounts.h"
#include "store/db.h"

#define KEYS_MAX 100

const char *
accounts_normalise_email(struct arena *a, const char *s, size_t n)
{
	const char *at = n > 0 ? memchr(s, '@', n) : NULL;
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

struct new_account {
	const char *id, *email, *hash, *name;
};

/* The account and the identity its own tokens name, together. */
static enum err
register_tx(struct db *db, void *arg)
{
	const struct new_account *nu = arg;
	struct db_val p[5] = { DB_STR(nu->id), DB_STR(nu->email), DB_STR(nu->hash),
	    DB_STR(nu->name), DB_STR("user") };
	enum err e;

	if ((e = db_exec(db, STMT_USER_INSERT, p, 5, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	return identity_link_local(db, nu->id, NULL);
}

enum err
accounts_register(struct ctx *c, const char *email, const char *password, size_t password_len,
    const char *name, struct account *out)
{
	char id[ULID_LEN + 1], hash[PASSWORD_HASH_MAX], now[CLOCK_ISO_LEN];
	struct new_account nu;
	enum err e;

	if (!c->app->cfg->registration)
		return ERR_REGISTRATION_CLOSED;
	if ((e = password_hash(password, password_len, (int)c->app->cfg->scrypt_log2n, hash)) != ERR_OK)
		return e;
	ulid_new(id);
	nu.id = id;
	nu.email = email;
	nu.hash = hash;
	nu.name = name;
	e = db_tx(c->app->db, register_tx, &nu);
	if (e == ERR_DB_DUPLICATE)
		return ERR_EMAIL_TAKEN;
	if (e != ERR_OK)
		return e;
	clock_iso8601((int64_t)time(NULL), now);
	out->id = arena_strdup(c->arena, id);
	out->email = email;
	out->display_name = name;
	out->role = "user";
	out->created_at = arena_strdup(c->arena, now);
	return out->id != NULL && out->created_at != NULL ? ERR_OK : ERR_NOMEM;
}

enum err
accounts_login(struct ctx *c, const char *email_in, size_t email_len, const char *password,
    size_t password_len, struct account *out, char **token, int64_t *expires_in)
{
	enum { L_ID, L_EMAIL, L_HASH, L_NAME, L_ROLE, L_CREATED, L_DISABLED, L__MAX };
	const struct config *cfg = c->app->cfg;
	struct token_policy policy;
	struct db_rows rows;
	struct db_val p;
	const char *email;
	enum err e;

	*token = NULL;
	token_policy_from_config(cfg, &policy);
	if (policy.sign_key == NULL)
		return ctx_fail(c, ERR_NOT_CONFIGURED, "Login needs auth.jwt_signing_key_file");
	email = accounts_normalise_email(c->arena, email_in, email_len);
	if (email == NULL) {
		password_burn(password, password_len, (int)cfg->scrypt_log2n);
		return ERR_INVALID_CREDENTIALS;
	}
	p = DB_STR(email);
	if ((e = db_exec(c->app->db, STMT_USER_BY_EMAIL, &p, 1, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0) {
		password_burn(password, password_len, (int)cfg->scrypt_log2n);
		return ERR_INVALID_CREDENTIALS;
	}
	if (rows.ncols != L__MAX)
		return ERR_DB_SCHEMA;
	if (!password_verify(password, password_len, db_cell(&rows, 0, L_HASH)))
		return ERR_INVALID_CREDENTIALS;
	if (strcmp(db_cell(&rows, 0, L_DISABLED), "1") == 0)
		return ERR_ACCOUNT_DISABLED;
	out->id = db_cell(&rows, 0, L_ID);
	out->email = db_cell(&rows, 0, L_EMAIL);
	out->display_name = db_cell(&rows, 0, L_NAME);
	out->role = db_cell(&rows, 0, L_ROLE);
	out->created_at = db_cell(&rows, 0, L_CREATED);
	*expires_in = cfg->token_ttl;
	return token_issue(&policy, out->id, out->role, (int64_t)time(NULL), cfg->token_ttl, token);
}

enum err
accounts_key_create(struct ctx *c, const char *name, struct api_key_view *out)
{
	char id[ULID_LEN + 1], now[CLOCK_ISO_LEN];
	struct apikey key;
	struct db_val p[5];
	enum err e;

	if (c->who.guest)
		return ctx_fail(c, ERR_FORBIDDEN, "API keys belong to accounts, not guests");
	if (!apikey_generate(&key))
		return ERR_INTERNAL;
	ulid_new(id);
	p[0] = DB_STR(id);
	p[1] = DB_STR(c->who.subject);
	p[2] = DB_STR(key.prefix);
	p[3] = DB_BLOB(key.hash, sizeof(key.hash));
	p[4] = DB_STR(name);
	e = db_exec(c->app->db, STMT_APIKEY_INSERT, p, 5, c->arena, NULL, 0, NULL);
	if (e == ERR_OK) {
		clock_iso8601((int64_t)time(NULL), now);
		out->id = arena_strdup(c->arena, id);
		out->name = name;
		out->prefix = arena_strdup(c->arena, key.prefix);
		out->key = arena_strdup(c->arena, key.text);
		out->created_at = arena_strdup(c->arena, now);
		out->last_used_at = NULL;
		if (out->id == NULL || out->prefix == NULL || out->key == NULL || out->created_at == NULL)
			e = ERR_NOMEM;
	}
	explicit_bzero(&key, sizeof(key));
	return e == ERR_DB_DUPLICATE ? ERR_INTERNAL : e;
}

enum err
accounts_key_list(struct ctx *c, struct api_key_view **out, size_t *n)
{
	enum { K_ID, K_PREFIX, K_NAME, K_CREATED, K_USED, K__MAX };
	struct db_val p = DB_STR(c->who.subject);
	struct db_rows rows;
	size_t i;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(c->app->db, STMT_APIKEY_LIST, &p, 1, c->arena, &rows, KEYS_MAX, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;
	if (rows.ncols != K__MAX)
		return ERR_DB_SCHEMA;
	if ((*out = arena_alloc(c->arena, rows.nrows * sizeof(**out))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < rows.nrows; i++) {
		memset(&(*out)[i], 0, sizeof(**out));
		(*out)[i].id = db_cell(&rows, i, K_ID);
		(*out)[i].prefix = db_cell(&rows, i, K_PREFIX);
		(*out)[i].name = db_cell(&rows, i, K_NAME);
		(*out)[i].created_at = db_cell(&rows, i, K_CREATED);
		(*out)[i].last_used_at = db_cell(&rows, i, K_USED);
	}
	*n = rows.nrows;
	return ERR_OK;
}

enum err
accounts_key_revoke(struct ctx *c, const char *id)
{
	struct db_val p[2];
	uint64_t affected = 0;
	enum err e;

	if (id == NULL || !ulid_valid(id))
		return ERR_NOT_FOUND;
	p[0] = DB_STR(id);
	p[1] = DB_STR(c->who.subject);
	if ((e = db_exec(c->app->db, STMT_APIKEY_REVOKE, p, 2, c->arena, NULL, 0, &affected)) != ERR_OK)
		return e;
	return affected == 0 ? ERR_NOT_FOUND : ERR_OK;
}
