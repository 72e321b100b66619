/*
 * oauth.c — a user's own Zoom account, connected by OAuth (the Cal.com-style
 * integration): the authorize URL, the callback's code exchanged for the
 * user's tokens, and whether the grant still works.
 *
 * The state ties the callback to the user who started it: "<user id>.<expiry
 * s>.<nonce>.<mac>", mac = HMAC-SHA256(client secret, "zoom-oauth-state:" +
 * the rest), valid ten minutes (Zoom's code itself lives five). Tokens are
 * stored sealed through oauth_store (provider "zoom_user", account = user
 * id); the zoom_connections row says whether the grant still works.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/crypto.h"
#include "auth/hmac.h"
#include "config/config.h"
#include "core/app.h"
#include "core/b64.h"
#include "core/clock.h"
#include "core/parse.h"
#include "core/rand.h"
#include "outbound/http_client.h"
#include "platforms/oauth_cache.h"
#include "platforms/provider.h"
#include "platforms/zoom.h"
#include "store/db.h"

#define STATE_TTL_S 600
#define STATE_MAX 200


bool
zoom_user_oauth_configured(const struct config *cfg)
{
	return cfg->zoom_client_id != NULL && cfg->zoom_client_secret.data != NULL;
}

enum err
zoom_user_connected(struct ctx *c)
{
	struct db_val p = DB_STR(c->who.subject);
	struct db_rows rows;
	enum err e;

	if (!zoom_user_oauth_configured(c->app->cfg))
		return ERR_ZOOM_NOT_CONFIGURED;
	if ((e = db_exec(c->app->db, STMT_ZOOM_CONNECTION_GET, &p, 1, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_ZOOM_NOT_CONNECTED;
	return strcmp(db_cell(&rows, 0, 0), "active") == 0 ? ERR_OK : ERR_ZOOM_REAUTH_REQUIRED;
}

static const char *
redirect_uri(struct ctx *c)
{
	const struct config *cfg = c->app->cfg;

	if (cfg->zoom_redirect_uri != NULL)
		return cfg->zoom_redirect_uri;
	return arena_printf(c->arena, "%s/api/zoom/auth/callback", cfg->public_url);
}

static void
state_mac(const struct config *cfg, const char *payload, size_t n, char out[2 * SHA256_LEN + 1])
{
	struct buf b;

	buf_init(&b, STATE_MAX + 64);
	buf_puts(&b, "zoom-oauth-state:");
	buf_append(&b, payload, n);
	hmac_sha256_hex(cfg->zoom_client_secret.data, cfg->zoom_client_secret.len, b.data, b.len, out);
	buf_free(&b);
}

/* Checks the state; *user is the user it was issued to. */
static enum err
state_check(struct ctx *c, const char *state, const char **user)
{
	char want[2 * SHA256_LEN + 1];
	const char *dot1, *dot2, *last;
	int64_t exp;
	size_t n;

	if (state == NULL || (n = strlen(state)) > STATE_MAX || (last = strrchr(state, '.')) == NULL ||
	    (size_t)(state + n - last - 1) != 2 * SHA256_LEN)
		return ERR_INVALID_OAUTH_STATE;
	state_mac(c->app->cfg, state, (size_t)(last - state), want);
	if (!crypto_equal(want, last + 1, 2 * SHA256_LEN))
		return ERR_INVALID_OAUTH_STATE;
	if ((dot1 = strchr(state, '.')) == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL || dot2 >= last ||
	    parse_i64(dot1 + 1, (size_t)(dot2 - dot1 - 1), 0, INT64_MAX / 2, &exp) != ERR_OK ||
	    exp < clock_wall_ms() / 1000)
		return ERR_INVALID_OAUTH_STATE;
	*user = arena_strndup(c->arena, state, (size_t)(dot1 - state));
	return *user != NULL ? ERR_OK : ERR_NOMEM;
}

/* Zoom's token endpoint with grant_type=authorization_code. */
static enum err
exchange(struct ctx *c, const char *code, struct token_grant *g, const char **scope)
{
	const struct config *cfg = c->app->cfg;
	struct http_call call;
	struct http_result res;
	struct buf form, basic, raw;
	json_t *root = NULL, *ttl;
	enum err e;

	memset(&call, 0, sizeof(call));
	buf_init(&form, 8192);
	buf_puts(&form, "grant_type=authorization_code&code=");
	http_form_escape(&form, code);
	buf_puts(&form, "&redirect_uri=");
	http_form_escape(&form, redirect_uri(c));
	/* Basic base64(client_id:client_secret), standard alphabet */
	buf_init(&raw, 4096);
	buf_printf(&raw, "%s:", cfg->zoom_client_id);
	buf_append(&raw, cfg->zoom_client_secret.data, cfg->zoom_client_secret.len);
	buf_init(&basic, 8192);
	buf_puts(&basic, "Authorization: Basic ");
	if (!raw.failed) {
		char *enc = arena_alloc(c->arena, b64url_encoded_len(raw.len) + 1);
		size_t i, n;

		if (enc != NULL) {
			b64url_encode(raw.data, raw.len, enc);
			n = strlen(enc);
			for (i = 0; i < n; i++)
				enc[i] = enc[i] == '-' ? '+' : enc[i] == '_' ? '/' : enc[i];
			buf_puts(&basic, enc);
			while ((n++ % 4) != 0)
				buf_putc(&basic, '=');
			crypto_wipe(enc, n);
		}
	}
	crypto_wipe(raw.data, raw.len);
	buf_free(&raw);
	call.verb = HV_POST;
	call.url = arena_printf(c->arena, "%s/oauth/token", cfg->zoom_oauth_url);
	call.what = "zoom.user_token";
	call.headers[0] = arena_strdup(c->arena, buf_cstr(&basic));
	call.headers[1] = "Content-Type: application/x-www-form-urlencoded";
	call.body = arena_strdup(c->arena, buf_cstr(&form));
	call.body_len = call.body != NULL ? strlen(call.body) : 0;
	call.idempotent = false;        /* a code is single-use */
	crypto_wipe(basic.data, basic.len);
	buf_free(&basic);
	buf_free(&form);
	if (call.url == NULL || call.headers[0] == NULL || call.body == NULL)
		return ERR_NOMEM;
	if ((e = http_send(c->app->http, &call, &res)) != ERR_OK) {
		http_result_free(&res);
		return e;
	}
	if (res.status == 200) {
		root = json_loadb(buf_cstr(&res.body), res.body.len, 0, NULL);
		ttl = json_object_get(root, "expires_in");
		g->access_token = json_string_value(json_object_get(root, "access_token"));
		g->refresh_token = json_string_value(json_object_get(root, "refresh_token"));
		g->expires_in_s = json_is_integer(ttl) ? json_integer_value(ttl) : 3600;
		*scope = json_string_value(json_object_get(root, "scope"));
		if (g->access_token == NULL) {
			e = ctx_fail(c, ERR_PLATFORM_ERROR, "Zoom's token answer had no access token");
		} else {
			g->access_token = arena_strdup(c->arena, g->access_token);
			g->refresh_token = g->refresh_token != NULL ? arena_strdup(c->arena, g->refresh_token) : NULL;
			*scope = *scope != NULL ? arena_strdup(c->arena, *scope) : NULL;
		}
		json_decref(root);
	} else if (res.status == 400 || res.status == 401) {
		e = ctx_fail(c, ERR_INVALID_OAUTH_STATE,
		    "Zoom refused the authorization code (expired or used): connect again");
	} else if (res.status == 429) {
		c->retry_after_s = res.retry_after_s > 0 ? res.retry_after_s : 60;
		e = ERR_PLATFORM_RATE_LIMITED;
	} else {
		e = res.status >= 500 ? ERR_PLATFORM_UNAVAILABLE : ERR_PLATFORM_AUTH_FAILED;
	}
	http_result_free(&res);
	return e;
}

enum err
zoom_oauth_authorize_url(struct ctx *c, const char **url_out)
{
	const struct config *cfg = c->app->cfg;
	char mac[2 * SHA256_LEN + 1], nonce_hex[33];
	unsigned char nonce[16];
	const char *payload, *redirect = redirect_uri(c);
	struct buf url;
	size_t i;

	if (!zoom_user_oauth_configured(cfg))
		return ERR_ZOOM_NOT_CONFIGURED;
	if (!rand_bytes(nonce, sizeof(nonce)))
		return ERR_INTERNAL;
	for (i = 0; i < sizeof(nonce); i++)
		snprintf(nonce_hex + 2 * i, 3, "%02x", nonce[i]);
	payload = arena_printf(c->arena, "%s.%lld.%s", c->who.subject,
	    (long long)(clock_wall_ms() / 1000 + STATE_TTL_S), nonce_hex);
	if (payload == NULL || redirect == NULL)
		return ERR_NOMEM;
	state_mac(cfg, payload, strlen(payload), mac);
	buf_init(&url, 8192);
	buf_printf(&url, "%s/oauth/authorize?response_type=code&client_id=", cfg->zoom_oauth_url);
	http_form_escape(&url, cfg->zoom_client_id);
	buf_puts(&url, "&redirect_uri=");
	http_form_escape(&url, redirect);
	buf_printf(&url, "&state=%s.%s", payload, mac);
	*url_out = url.failed ? NULL : arena_strdup(c->arena, buf_cstr(&url));
	buf_free(&url);
	return *url_out != NULL ? ERR_OK : ERR_NOMEM;
}

enum err
zoom_oauth_finish(struct ctx *c, const char *code, const char *state)
{
	struct provider_ctx pc = { .ctx = c };
	const char *user, *scope = NULL;
	struct token_grant g;
	struct db_val p[2];
	enum err e;

	if (!zoom_user_oauth_configured(c->app->cfg))
		return ERR_ZOOM_NOT_CONFIGURED;
	if ((e = state_check(c, state, &user)) != ERR_OK)
		return e;
	if (code == NULL || code[0] == '\0' || strlen(code) > 1024)
		return ctx_field_error(c, "code", "is required");
	memset(&g, 0, sizeof(g));
	if ((e = exchange(c, code, &g, &scope)) != ERR_OK)
		return e;
	pc.acting_user = user;
	if ((e = oauth_store(&pc, "zoom_user", user, &g)) != ERR_OK)
		return e;
	p[0] = DB_STR(user);
	p[1] = scope != NULL && strlen(scope) <= 1024 ? DB_STR(scope) : DB_NULL;
	return db_exec(c->app->db, STMT_ZOOM_CONNECTION_PUT, p, 2, c->arena, NULL, 0, NULL);
}
