/*
 * zoom_oauth.c — 002's per-user Zoom connection (protocols.md §2.2):
 * GET /api/zoom/auth sends the signed-in user to Zoom's consent page, and
 * GET /api/zoom/auth/callback (where Zoom sends the browser back, without
 * our bearer token) exchanges the code for the user's tokens.
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

#include "api/api.h"
#include "core/app.h"
#include "core/b64.h"
#include "core/clock.h"
#include "auth/crypto.h"
#include "store/db.h"
#include "auth/hmac.h"
#include "outbound/http_client.h"
#include "platforms/oauth_cache.h"
#include "core/parse.h"
#include "core/rand.h"
#include "platforms/zoom.h"

#define STATE_TTL_S 600
#define STATE_MAX 200

bool
zoom_user_oauth_configured(const struct config *cfg)
{
	return cfg->zoom_client_id != NULL && cfg->zoom_client_secret.data != NULL;
}

enum err
zoom_user_connected(struct request *rq)
{
	struct db_val p = DB_STR(rq->ctx.who.subject);
	struct db_rows rows;
	enum err e;

	if (!zoom_user_oauth_configured(rq->ctx.app->cfg))
		return ERR_ZOOM_NOT_CONFIGURED;
	if ((e = db_exec(rq->ctx.app->db, STMT_ZOOM_CONNECTION_GET, &p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_ZOOM_NOT_CONNECTED;
	return strcmp(db_cell(&rows, 0, 0), "active") == 0 ? ERR_OK : ERR_ZOOM_REAUTH_REQUIRED;
}

static const char *
redirect_uri(struct request *rq)
{
	const struct config *cfg = rq->ctx.app->cfg;

	if (cfg->zoom_redirect_uri != NULL)
		return cfg->zoom_redirect_uri;
	return arena_printf(rq->ctx.arena, "%s/api/zoom/auth/callback", cfg->public_url);
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
state_check(struct request *rq, const char *state, const char **user)
{
	char want[2 * SHA256_LEN + 1];
	const char *dot1, *dot2, *last;
	int64_t exp;
	size_t n;

	if (state == NULL || (n = strlen(state)) > STATE_MAX || (last = strrchr(state, '.')) == NULL ||
	    (size_t)(state + n - last - 1) != 2 * SHA256_LEN)
		return ERR_INVALID_OAUTH_STATE;
	state_mac(rq->ctx.app->cfg, state, (size_t)(last - state), want);
	if (!crypto_equal(want, last + 1, 2 * SHA256_LEN))
		return ERR_INVALID_OAUTH_STATE;
	if ((dot1 = strchr(state, '.')) == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL || dot2 >= last ||
	    parse_i64(dot1 + 1, (size_t)(dot2 - dot1 - 1), 0, INT64_MAX / 2, &exp) != ERR_OK ||
	    exp < clock_wall_ms() / 1000)
		return ERR_INVALID_OAUTH_STATE;
	*user = arena_strndup(rq->ctx.arena, state, (size_t)(dot1 - state));
	return *user != NULL ? ERR_OK : ERR_NOMEM;
}

/* GET /api/zoom/auth: 302 to Zoom's authorize page. */
enum err
zoom_auth_start(struct request *rq, struct response *rs)
{
	const struct config *cfg = rq->ctx.app->cfg;
	char mac[2 * SHA256_LEN + 1], nonce_hex[33];
	unsigned char nonce[16];
	const char *payload, *redirect = redirect_uri(rq);
	struct buf url;
	size_t i;

	if (!zoom_user_oauth_configured(cfg))
		return ERR_ZOOM_NOT_CONFIGURED;
	if (!rand_bytes(nonce, sizeof(nonce)))
		return ERR_INTERNAL;
	for (i = 0; i < sizeof(nonce); i++)
		snprintf(nonce_hex + 2 * i, 3, "%02x", nonce[i]);
	payload = arena_printf(rq->ctx.arena, "%s.%lld.%s", rq->ctx.who.subject,
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
	if (url.failed) {
		buf_free(&url);
		return ERR_NOMEM;
	}
	resp_raw(rs, 302, "text/plain; charset=utf-8");
	resp_header(rs, "Location", buf_cstr(&url));
	resp_header(rs, "Cache-Control", "no-store");
	buf_free(&url);
	return ERR_OK;
}

/* Zoom's token endpoint with grant_type=authorization_code. */
static enum err
exchange(struct request *rq, const char *code, struct token_grant *g, const char **scope)
{
	const struct config *cfg = rq->ctx.app->cfg;
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
	http_form_escape(&form, redirect_uri(rq));
	/* Basic base64(client_id:client_secret), standard alphabet */
	buf_init(&raw, 4096);
	buf_printf(&raw, "%s:", cfg->zoom_client_id);
	buf_append(&raw, cfg->zoom_client_secret.data, cfg->zoom_client_secret.len);
	buf_init(&basic, 8192);
	buf_puts(&basic, "Authorization: Basic ");
	if (!raw.failed) {
		char *enc = arena_alloc(rq->ctx.arena, b64url_encoded_len(raw.len) + 1);
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
	call.url = arena_printf(rq->ctx.arena, "%s/oauth/token", cfg->zoom_oauth_url);
	call.what = "zoom.user_token";
	call.headers[0] = arena_strdup(rq->ctx.arena, buf_cstr(&basic));
	call.headers[1] = "Content-Type: application/x-www-form-urlencoded";
	call.body = arena_strdup(rq->ctx.arena, buf_cstr(&form));
	call.body_len = call.body != NULL ? strlen(call.body) : 0;
	call.idempotent = false;        /* a code is single-use */
	crypto_wipe(basic.data, basic.len);
	buf_free(&basic);
	buf_free(&form);
	if (call.url == NULL || call.headers[0] == NULL || call.body == NULL)
		return ERR_NOMEM;
	if ((e = http_send(rq->ctx.app->http, &call, &res)) != ERR_OK) {
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
			e = request_fail(rq, ERR_PLATFORM_ERROR, "Zoom's token answer had no access token");
		} else {
			g->access_token = arena_strdup(rq->ctx.arena, g->access_token);
			g->refresh_token = g->refresh_token != NULL ? arena_strdup(rq->ctx.arena, g->refresh_token) : NULL;
			*scope = *scope != NULL ? arena_strdup(rq->ctx.arena, *scope) : NULL;
		}
		json_decref(root);
	} else if (res.status == 400 || res.status == 401) {
		e = request_fail(rq, ERR_INVALID_OAUTH_STATE,
		    "Zoom refused the authorization code (expired or used): connect again");
	} else if (res.status == 429) {
		rq->ctx.retry_after_s = res.retry_after_s > 0 ? res.retry_after_s : 60;
		e = ERR_PLATFORM_RATE_LIMITED;
	} else {
		e = res.status >= 500 ? ERR_PLATFORM_UNAVAILABLE : ERR_PLATFORM_AUTH_FAILED;
	}
	http_result_free(&res);
	return e;
}

/* GET /api/zoom/auth/callback?code=…&state=… */
enum err
zoom_auth_callback(struct request *rq, struct response *rs)
{
	const char *code = request_query(rq, "code"), *user, *scope = NULL;
	struct provider_ctx c = { .rq = rq };
	struct token_grant g;
	struct db_val p[2];
	struct jsonw *w;
	enum err e;

	if (!zoom_user_oauth_configured(rq->ctx.app->cfg))
		return ERR_ZOOM_NOT_CONFIGURED;
	if ((e = state_check(rq, request_query(rq, "state"), &user)) != ERR_OK)
		return e;
	if (code == NULL || code[0] == '\0' || strlen(code) > 1024)
		return request_field_error(rq, "code", "is required");
	memset(&g, 0, sizeof(g));
	if ((e = exchange(rq, code, &g, &scope)) != ERR_OK)
		return e;
	c.acting_user = user;
	if ((e = oauth_store(&c, "zoom_user", user, &g)) != ERR_OK)
		return e;
	p[0] = DB_STR(user);
	p[1] = scope != NULL && strlen(scope) <= 1024 ? DB_STR(scope) : DB_NULL;
	if ((e = db_exec(rq->ctx.app->db, STMT_ZOOM_CONNECTION_PUT, p, 2, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Zoom account connected");
	jw_obj_open(w);
	jw_kbool(w, "connected", true);
	jw_kstr(w, "status", "active");
	jw_obj_close(w);
	return ERR_OK;
}
