/*
 * oauth_cache.c — see oauth_cache.h.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/clock.h"
#include "store/db.h"
#include "core/log.h"
#include "platforms/oauth_cache.h"
#include "auth/secretbox.h"

#define EARLY_S 60              /* refresh a token with less than this left */
#define LOCK_WAIT_S 1           /* per GET_LOCK: below database.io_timeout */
#define TOKEN_MAX 8000

static const char *
aad(struct provider_ctx *c, const char *what, const char *provider, const char *account)
{
	return arena_printf(c->ctx->arena, "provider_tokens.%s:%s:%s", what, provider, account);
}

static enum err
open_box(struct provider_ctx *c, const char *what, const char *provider, const char *account,
    const struct db_rows *rows, size_t col, const char **out)
{
	const char *sealed = db_cell(rows, 0, col), *ad;
	size_t n = rows->lens[col], len;
	char *plain;

	*out = NULL;
	if (sealed == NULL)
		return ERR_OK;
	if (c->ctx->app->box == NULL)
		return ERR_NOT_CONFIGURED;
	if ((ad = aad(c, what, provider, account)) == NULL || (plain = arena_alloc(c->ctx->arena, n)) == NULL)
		return ERR_NOMEM;
	if (secretbox_open(c->ctx->app->box, ad, (const unsigned char *)sealed, n, plain, n, &len) != ERR_OK)
		return ERR_INTERNAL;
	*out = plain;
	return ERR_OK;
}

/* Reads the row: *fresh says whether the access token has EARLY_S left. */
static enum err
load(struct provider_ctx *c, const char *provider, const char *account, const char **access,
    const char **refresh, bool *fresh)
{
	struct db_val p[3];
	struct db_rows rows;
	enum err e;

	*access = *refresh = NULL;
	*fresh = false;
	p[0] = DB_I64(EARLY_S);
	p[1] = DB_STR(provider);
	p[2] = DB_STR(account);
	if ((e = db_exec(c->ctx->app->db, STMT_TOKEN_GET, p, 3, c->ctx->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;
	if ((e = open_box(c, "access", provider, account, &rows, 0, access)) != ERR_OK ||
	    (e = open_box(c, "refresh", provider, account, &rows, 1, refresh)) != ERR_OK)
		return e;
	*fresh = strcmp(db_cell(&rows, 0, 2), "1") == 0;
	return ERR_OK;
}

static enum err
seal(struct provider_ctx *c, const char *what, const char *provider, const char *account,
    const char *plain, struct db_val *out)
{
	unsigned char *box;
	const char *ad;
	size_t n, len;
	enum err e;

	if (plain == NULL) {
		*out = DB_NULL;
		return ERR_OK;
	}
	n = strlen(plain);
	if (c->ctx->app->box == NULL)
		return ctx_fail(c->ctx, ERR_NOT_CONFIGURED,
		    "Platform tokens need a data key for secrets at rest: set secrets.key_file");
	if (n > TOKEN_MAX)
		return ERR_PLATFORM_ERROR;
	if ((ad = aad(c, what, provider, account)) == NULL ||
	    (box = arena_alloc(c->ctx->arena, n + SECRETBOX_OVERHEAD)) == NULL)
		return ERR_NOMEM;
	if ((e = secretbox_seal(c->ctx->app->box, ad, plain, n, box, n + SECRETBOX_OVERHEAD, &len)) != ERR_OK)
		return e;
	*out = DB_BLOB(box, len);
	return ERR_OK;
}

enum err
oauth_store(struct provider_ctx *c, const char *provider, const char *account, const struct token_grant *g)
{
	struct db_val p[5];
	enum err e;

	p[0] = DB_STR(provider);
	p[1] = DB_STR(account);
	if ((e = seal(c, "access", provider, account, g->access_token, &p[2])) != ERR_OK)
		return e;
	if (g->refresh_token != NULL) {
		if ((e = seal(c, "refresh", provider, account, g->refresh_token, &p[3])) != ERR_OK)
			return e;
	} else {
		p[3] = DB_NULL;         /* COALESCE keeps the stored one */
	}
	p[4] = DB_I64(g->expires_in_s > 0 ? g->expires_in_s : 3600);
	return db_exec(c->ctx->app->db, STMT_TOKEN_PUT, p, 5, c->ctx->arena, NULL, 0, NULL);
}

static enum err
lock_take(struct provider_ctx *c, const char *name, int64_t deadline_ms)
{
	struct db_val p[2];
	struct db_rows rows;
	enum err e;

	p[0] = DB_STR(name);
	p[1] = DB_I64(LOCK_WAIT_S);
	while (clock_mono_ms() < deadline_ms) {
		if ((e = db_exec(c->ctx->app->db, STMT_LOCK_GET, p, 2, c->ctx->arena, &rows, 1, NULL)) != ERR_OK)
			return e;
		if (rows.nrows == 1 && db_cell(&rows, 0, 0) != NULL && strcmp(db_cell(&rows, 0, 0), "1") == 0)
			return ERR_OK;
	}
	return ERR_PLATFORM_TIMEOUT;
}

static void
lock_release(struct provider_ctx *c, const char *name)
{
	struct db_val p = DB_STR(name);

	(void)db_exec(c->ctx->app->db, STMT_LOCK_RELEASE, &p, 1, c->ctx->arena, NULL, 0, NULL);
}

enum err
oauth_token(struct provider_ctx *c, const char *provider, const char *account,
    token_fetch_fn fetch, void *arg, const char **access_token)
{
	const char *access, *refresh, *lock;
	struct token_grant g;
	bool fresh;
	enum err e;

	if ((e = load(c, provider, account, &access, &refresh, &fresh)) != ERR_OK)
		return e;
	if (fresh) {
		*access_token = access;
		return ERR_OK;
	}
	/* MariaDB lock names are at most 64 characters: hash long accounts */
	lock = arena_printf(c->ctx->arena, "meetd.token.%.20s.%.30s", provider, account);
	if (lock == NULL)
		return ERR_NOMEM;
	if ((e = lock_take(c, lock, clock_mono_ms() + c->ctx->app->cfg->http_timeout * 1000)) != ERR_OK)
		return e;
	/* someone may have refreshed while we waited */
	if ((e = load(c, provider, account, &access, &refresh, &fresh)) != ERR_OK || fresh) {
		lock_release(c, lock);
		*access_token = access;
		return e;
	}
	memset(&g, 0, sizeof(g));
	if ((e = fetch(c, refresh, arg, &g)) == ERR_OK) {
		/* persisted (a rotated refresh token above all) before it is used */
		e = oauth_store(c, provider, account, &g);
		if (e == ERR_OK)
			*access_token = g.access_token;
		else
			log_msg(LOG_ERROR, "oauth_cache", "a new %s token could not be stored", provider);
	}
	lock_release(c, lock);
	return e;
}

void
oauth_expire(struct provider_ctx *c, const char *provider, const char *account)
{
	struct db_val p[2] = { DB_STR(provider), DB_STR(account) };

	(void)db_exec(c->ctx->app->db, STMT_TOKEN_EXPIRE, p, 2, c->ctx->arena, NULL, 0, NULL);
}

void
oauth_forget(struct provider_ctx *c, const char *provider, const char *account)
{
	struct db_val p[2] = { DB_STR(provider), DB_STR(account) };

	(void)db_exec(c->ctx->app->db, STMT_TOKEN_DELETE, p, 2, c->ctx->arena, NULL, 0, NULL);
}
