/*
 * zoom.c — Zoom meetings over the REST API (protocols.md §2.1–2.4).
 *
 * Credentials: a Server-to-Server OAuth app (account_id, client_id,
 * client_secret), whose hour-long tokens are cached sealed and shared by
 * every responder (oauth_cache.h), or the legacy JWT app (api key and
 * secret, a short HS256 token per call). Zoom retired JWT apps in 2023;
 * they are kept for old installations only.
 *
 * No duplicates: a create that may have reached Zoom is never sent again
 * blindly. Its agenda carries a "meetd:<meeting id>" line; after a lost or
 * failed answer we list the user's meetings for that line and adopt what
 * we find, and only when it is absent create once more.
 *
 * Zoom allows about 100 creates and updates per user and day; meetd counts
 * them itself (zoom.daily_limit) so a burst is refused here, with a
 * Retry-After, before Zoom starts refusing everyone on the account.
 *
 * Longer than our files usually are, on purpose: it is Zoom's whole REST
 * contract in one place (tokens, the create with its reconcile step,
 * update, cancel, end, status); the webhook and the users' own OAuth live
 * beside it in this folder.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/b64.h"
#include "core/buf.h"
#include "core/clock.h"
#include "store/db.h"
#include "auth/jwt_sign.h"
#include "outbound/http_client.h"
#include "core/jsonw.h"
#include "store/limiter.h"
#include "core/log.h"
#include "platforms/oauth_cache.h"
#include "platforms/provider.h"
#include "platforms/zoom.h"
#include "platforms/provider_kit.h"

#define AGENDA_MAX 2000         /* Zoom's limit on agenda (characters) */
#define MARKER "meetd:"
#define LIST_PAGES_MAX 50       /* 300 meetings a page */
#define JWT_TTL_S 90
#define BODY_MAX (64 * 1024)

static bool
s2s_app(const struct config *cfg)
{
	return cfg->zoom_account_id != NULL && cfg->zoom_client_id != NULL &&
	    cfg->zoom_client_secret.data != NULL;
}

static bool
jwt_app(const struct config *cfg)
{
	return cfg->zoom_jwt_api_key != NULL && cfg->zoom_jwt_api_secret.data != NULL;
}

static bool
configured(const struct config *cfg)
{
	return s2s_app(cfg) || jwt_app(cfg);
}

/* --- tokens -------------------------------------------------------------- */

/* Standard base64 (with padding) for HTTP Basic auth. */
static char *
basic_auth(struct arena *a, const char *user, const char *pass, size_t pass_len)
{
	size_t ul = strlen(user), n = ul + 1 + pass_len, el = b64url_encoded_len(n), i;
	char *raw, *out;

	if ((raw = arena_alloc(a, n)) == NULL || (out = arena_alloc(a, el + 4 + 32)) == NULL)
		return NULL;
	memcpy(raw, user, ul);
	raw[ul] = ':';
	memcpy(raw + ul + 1, pass, pass_len);
	memcpy(out, "Authorization: Basic ", 21);
	b64url_encode(raw, n, out + 21);
	memset(raw, 0, n);
	for (i = 21; i < 21 + el; i++)
		out[i] = out[i] == '-' ? '+' : out[i] == '_' ? '/' : out[i];
	while ((el % 4) != 0)
		out[21 + el++] = '=';
	out[21 + el] = '\0';
	return out;
}

/* Zoom's token endpoint: account_credentials (Server-to-Server OAuth). */
static enum err
fetch_s2s(struct provider_ctx *c, const char *refresh_token, void *arg, struct token_grant *out)
{
	const struct config *cfg = c->ctx->app->cfg;
	struct http_call call;
	struct http_result res;
	struct buf url;
	json_t *root = NULL, *tok, *ttl;
	enum err e;

	(void)refresh_token;
	(void)arg;
	memset(&call, 0, sizeof(call));
	buf_init(&url, 4096);
	buf_printf(&url, "%s/oauth/token?grant_type=account_credentials&account_id=", cfg->zoom_oauth_url);
	http_form_escape(&url, cfg->zoom_account_id);
	call.verb = HV_POST;
	call.url = arena_strdup(c->ctx->arena, buf_cstr(&url));
	buf_free(&url);
	call.what = "zoom.token";
	call.headers[0] = basic_auth(c->ctx->arena, cfg->zoom_client_id,
	    (const char *)cfg->zoom_client_secret.data, cfg->zoom_client_secret.len);
	call.headers[1] = "Content-Type: application/x-www-form-urlencoded";
	call.body = "";
	call.idempotent = true;         /* a second token is harmless */
	if (call.url == NULL || call.headers[0] == NULL)
		return ERR_NOMEM;
	e = http_send(c->ctx->app->http, &call, &res);
	if (e == ERR_OK) {
		if (res.status == 200) {
			root = json_loadb(buf_cstr(&res.body), res.body.len, 0, NULL);
			tok = json_object_get(root, "access_token");
			ttl = json_object_get(root, "expires_in");
			if (!json_is_string(tok) || json_string_length(tok) == 0) {
				e = ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Zoom's token answer had no access token");
			} else {
				out->access_token = arena_strdup(c->ctx->arena, json_string_value(tok));
				out->refresh_token = NULL;
				out->expires_in_s = json_is_integer(ttl) ? json_integer_value(ttl) : 3600;
				e = out->access_token != NULL ? ERR_OK : ERR_NOMEM;
			}
			json_decref(root);
		} else if (res.status == 429) {
			c->ctx->retry_after_s = res.retry_after_s > 0 ? res.retry_after_s : 60;
			e = ctx_fail(c->ctx, ERR_PLATFORM_RATE_LIMITED, "Zoom's token endpoint is rate limited");
		} else if (res.status >= 400 && res.status < 500) {
			e = ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED,
			    "Zoom refused the server's Server-to-Server OAuth credentials");
		} else {
			e = ctx_fail(c->ctx, ERR_PLATFORM_UNAVAILABLE, "Zoom's token endpoint is unavailable");
		}
	}
	http_result_free(&res);
	return e;
}

/* A user's own grant (002): refresh_token, rotated at each use. A dead
 * grant marks the connection needs_reauth and is forgotten. */
static enum err
fetch_user(struct provider_ctx *c, const char *refresh_token, void *arg, struct token_grant *out)
{
	const struct config *cfg = c->ctx->app->cfg;
	struct http_call call;
	struct http_result res;
	struct buf form;
	struct db_val p;
	json_t *root, *ttl;
	const char *error;
	enum err e;

	(void)arg;
	if (refresh_token == NULL)
		return ERR_ZOOM_NOT_CONNECTED;
	memset(&call, 0, sizeof(call));
	buf_init(&form, 16384);
	buf_puts(&form, "grant_type=refresh_token&refresh_token=");
	http_form_escape(&form, refresh_token);
	call.verb = HV_POST;
	call.url = arena_printf(c->ctx->arena, "%s/oauth/token", cfg->zoom_oauth_url);
	call.what = "zoom.user_refresh";
	call.headers[0] = basic_auth(c->ctx->arena, cfg->zoom_client_id,
	    (const char *)cfg->zoom_client_secret.data, cfg->zoom_client_secret.len);
	call.headers[1] = "Content-Type: application/x-www-form-urlencoded";
	call.body = form.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&form));
	call.body_len = call.body != NULL ? strlen(call.body) : 0;
	call.idempotent = false;        /* a refresh token is spent once */
	buf_free(&form);
	if (call.url == NULL || call.headers[0] == NULL || call.body == NULL)
		return ERR_NOMEM;
	if ((e = http_send(c->ctx->app->http, &call, &res)) != ERR_OK) {
		http_result_free(&res);
		return e;
	}
	root = provider_body_json(&res);
	if (res.status == 200) {
		out->access_token = provider_json_text(c->ctx, root, "access_token");
		out->refresh_token = provider_json_text(c->ctx, root, "refresh_token");
		ttl = json_object_get(root, "expires_in");
		out->expires_in_s = json_is_integer(ttl) ? json_integer_value(ttl) : 3600;
		e = out->access_token != NULL ? ERR_OK :
		    ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Zoom's token answer had no access token");
	} else if ((error = json_string_value(json_object_get(root, "error"))) != NULL &&
	    strcmp(error, "invalid_grant") == 0) {
		p = DB_STR(c->acting_user);
		(void)db_exec(c->ctx->app->db, STMT_ZOOM_CONNECTION_REAUTH, &p, 1, c->ctx->arena, NULL, 0, NULL);
		oauth_forget(c, "zoom_user", c->acting_user);
		e = ERR_ZOOM_REAUTH_REQUIRED;
	} else {
		e = res.status == 429 ? ERR_PLATFORM_RATE_LIMITED : res.status >= 500 ?
		    ERR_PLATFORM_UNAVAILABLE : ERR_PLATFORM_AUTH_FAILED;
		if (e == ERR_PLATFORM_RATE_LIMITED)
			c->ctx->retry_after_s = res.retry_after_s > 0 ? res.retry_after_s : 60;
	}
	json_decref(root);
	http_result_free(&res);
	return e;
}

/* An access token for the server's account, or for the acting user's own. */
static enum err
bearer(struct provider_ctx *c, const char **token)
{
	const struct config *cfg = c->ctx->app->cfg;
	struct buf claims;
	struct jsonw w;

	if (c->acting_user != NULL)
		return oauth_token(c, "zoom_user", c->acting_user, fetch_user, NULL, token);
	if (s2s_app(cfg))
		return oauth_token(c, "zoom", cfg->zoom_account_id, fetch_s2s, NULL, token);
	/* legacy JWT app: {iss: api key, exp} signed with the api secret */
	buf_init(&claims, 1024);
	jw_init(&w, &claims);
	jw_obj_open(&w);
	jw_kstr(&w, "iss", cfg->zoom_jwt_api_key);
	jw_kint(&w, "exp", clock_wall_ms() / 1000 + JWT_TTL_S);
	jw_obj_close(&w);
	if (claims.failed || jwt_sign(c->ctx->arena, JWS_HS256, cfg->zoom_jwt_api_secret.data,
	    cfg->zoom_jwt_api_secret.len, NULL, buf_cstr(&claims), token) != ERR_OK)
		*token = NULL;
	buf_free(&claims);
	return *token != NULL ? ERR_OK : ERR_NOMEM;
}

/* --- calls --------------------------------------------------------------- */

static int64_t
zoom_code(const struct http_result *res)
{
	json_t *root = provider_body_json(res);
	int64_t code = json_integer_value(json_object_get(root, "code"));

	json_decref(root);
	return code;
}

/* One REST call with the server's token; a token Zoom no longer accepts
 * (401, code 124) is dropped and the call made once more. */
static enum err
api_call(struct provider_ctx *c, enum http_verb verb, const char *path, const char *body,
    const char *what, bool idempotent, struct http_result *res)
{
	const struct config *cfg = c->ctx->app->cfg;
	struct http_call call;
	const char *token;
	int round;
	enum err e;

	memset(res, 0, sizeof(*res));
	for (round = 0; round < 2; round++) {
		if ((e = bearer(c, &token)) != ERR_OK)
			return e;
		if (provider_json_call(&call, c->ctx->arena, token, verb,
		    arena_printf(c->ctx->arena, "%s%s", cfg->zoom_api_url, path), body, what, idempotent) != ERR_OK)
			return ERR_NOMEM;
		e = http_send(c->ctx->app->http, &call, res);
		if (e != ERR_OK || res->status != 401 || round > 0 || (c->acting_user == NULL && !s2s_app(cfg)) ||
		    zoom_code(res) != 124)
			return e;
		/* Zoom never acted on a request it did not authenticate */
		http_result_free(res);
		memset(res, 0, sizeof(*res));
		if (c->acting_user != NULL)
			oauth_expire(c, "zoom_user", c->acting_user);
		else
			oauth_expire(c, "zoom", cfg->zoom_account_id);
	}
	return e;
}

/* Zoom's refusal as meetd's error, with Zoom's message (never a secret). */
static enum err
api_error(struct provider_ctx *c, const struct http_result *res, const char *doing)
{
	json_t *root = provider_body_json(res);
	enum err e = provider_refusal(c->ctx, res, "Zoom", "Zoom refused the server's credentials", doing,
	    json_string_value(json_object_get(root, "message")));

	json_decref(root);
	return e;
}

static bool
numeric_id(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0' || strlen(id) > 20)
		return false;
	for (i = 0; id[i] != '\0'; i++)
		if (!isdigit((unsigned char)id[i]))
			return false;
	return true;
}

/* Zoom's per-user daily quota of creates and updates, counted by meetd.
 * It is taken here, after the caller's own limits allowed the request,
 * not in the create's combined limiter statement: a statement charges every
 * bucket it names, so a caller already over their limit would drain the
 * quota the server's Zoom user shares with everyone. */
static enum err
charge_daily(struct provider_ctx *pc)
{
	struct ctx *c = pc->ctx;
	char key[LIMIT_KEY_MAX];
	struct limit_info d;
	bool allowed;
	enum err e;

	memset(&d, 0, sizeof(d));
	/* the quota is Zoom's per user: the server's host user, or a connected user's own */
	if (pc->acting_user != NULL)
		snprintf(key, sizeof(key), "zoom:day:u:%s", pc->acting_user);
	else
		snprintf(key, sizeof(key), "zoom:day:%s", c->app->cfg->zoom_user_id);
	if ((e = limiter_take(c->app->db, c->arena, key, &c->app->cfg->zoom_daily_limit, &d, &allowed)) != ERR_OK)
		return e;
	if (allowed)
		return ERR_OK;
	c->retry_after_s = d.retry_after_s > 0 ? d.retry_after_s : 1;
	return ctx_fail(c, ERR_PLATFORM_RATE_LIMITED,
	    "Zoom's daily limit of meeting creates and updates for this account is reached");
}

/* --- meeting objects ------------------------------------------------------ */

static const char *
status_word(const char *zoom)
{
	if (zoom == NULL)
		return NULL;
	if (strcmp(zoom, "waiting") == 0)
		return "scheduled";
	if (strcmp(zoom, "started") == 0)
		return "started";
	if (strcmp(zoom, "finished") == 0)
		return "ended";
	return NULL;
}

/* A Zoom meeting object into out. */
static enum err
read_meeting(struct provider_ctx *c, json_t *o, struct remote_meeting *out)
{
	json_t *settings = json_object_get(o, "settings"), *dial, *dur;

	remote_meeting_init(out);
	out->remote_id = provider_json_text(c->ctx, o, "id");
	if (!numeric_id(out->remote_id))
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Zoom answered without a meeting id");
	out->remote_uuid = provider_json_text(c->ctx, o, "uuid");
	out->join_url = provider_json_text(c->ctx, o, "join_url");
	out->host_url = provider_json_text(c->ctx, o, "start_url");
	out->passcode = provider_json_text(c->ctx, o, "password");
	out->host_key = provider_json_text(c->ctx, o, "host_key");
	dial = json_array_get(json_object_get(settings, "global_dial_in_numbers"), 0);
	out->dial_in_number = provider_json_text(c->ctx, dial, "number");
	out->dial_in_password = provider_json_text(c->ctx, o, "pstn_password");
	if (out->dial_in_password == NULL)
		out->dial_in_password = provider_json_text(c->ctx, o, "h323_password");
	out->status = status_word(json_string_value(json_object_get(o, "status")));
	out->start_time = provider_json_text(c->ctx, o, "start_time");
	dur = json_object_get(o, "duration");
	out->duration_min = json_is_integer(dur) ? json_integer_value(dur) : 0;
	return ERR_OK;
}

/* Reads the body of a 200/201 answer as a meeting. */
static enum err
answer_meeting(struct provider_ctx *c, const struct http_result *res, struct remote_meeting *out)
{
	return provider_read_answer(c, res, "Zoom", read_meeting, out);
}

/* The body of a create or update: our fields only, Zoom keeps the rest. */
static char *
meeting_body(struct provider_ctx *c, const struct remote_spec *s)
{
	char start[CLOCK_ISO_LEN], marker[64];
	struct buf b, agenda;
	struct jsonw w;
	size_t room;
	char *out;

	clock_iso8601(s->start_ms / 1000, start);
	snprintf(marker, sizeof(marker), MARKER "%s", s->meeting_id);
	buf_init(&agenda, AGENDA_MAX * 4 + 1);
	if (s->description != NULL && s->description[0] != '\0') {
		/* Zoom counts characters; bytes are a safe upper bound */
		room = AGENDA_MAX - strlen(marker) - 2;
		buf_append(&agenda, s->description, utf8_cut(s->description, room));
		buf_puts(&agenda, "\n\n");
	}
	buf_puts(&agenda, marker);
	buf_init(&b, BODY_MAX);
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_kstr(&w, "topic", s->title);
	jw_kint(&w, "type", 2);
	jw_kstr(&w, "start_time", start);
	jw_kint(&w, "duration", s->duration_min);
	jw_kstr(&w, "timezone", s->timezone != NULL ? s->timezone : "UTC");
	jw_kstr(&w, "agenda", buf_cstr(&agenda));
	if (s->passcode != NULL)
		jw_kstr(&w, "password", s->passcode);
	jw_key(&w, "settings");
	jw_obj_open(&w);
	jw_kbool(&w, "waiting_room", s->waiting_room);
	jw_obj_close(&w);
	jw_obj_close(&w);
	out = b.failed || agenda.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&b));
	buf_free(&b);
	buf_free(&agenda);
	return out;
}

static const char *
user_path(struct provider_ctx *c, const char *suffix)
{
	struct buf b;
	const char *out;

	buf_init(&b, 1024);
	buf_puts(&b, "/users/");
	/* a connected user's calls are about that user's own account */
	http_form_escape(&b, c->acting_user != NULL ? "me" : c->ctx->app->cfg->zoom_user_id);
	buf_puts(&b, suffix);
	out = b.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static enum err
get_meeting(struct provider_ctx *c, const char *remote_id, struct remote_meeting *out)
{
	struct http_result res;
	enum err e;

	if (!numeric_id(remote_id))
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Not a Zoom meeting id");
	e = api_call(c, HV_GET, arena_printf(c->ctx->arena, "/meetings/%s", remote_id), NULL, "zoom.get",
	    true, &res);
	if (e == ERR_OK)
		e = res.status == 200 ? answer_meeting(c, &res, out) : api_error(c, &res, "read the meeting");
	http_result_free(&res);
	return e;
}

/* Looks for the meeting whose agenda carries our marker. *found is its
 * id, or NULL if Zoom has none; an error (or a list too long to read to
 * its end) leaves the outcome unknown. */
static enum err
find_marked(struct provider_ctx *c, const struct remote_spec *s, const char **found)
{
	const char *next = NULL, *base = user_path(c, "/meetings?type=scheduled&page_size=300");
	char marker[64];
	struct http_result res;
	struct buf path;
	json_t *root, *list, *m;
	const char *agenda;
	size_t i;
	int page;
	enum err e = ERR_OK;

	*found = NULL;
	if (base == NULL)
		return ERR_NOMEM;
	snprintf(marker, sizeof(marker), MARKER "%s", s->meeting_id);
	for (page = 0; page < LIST_PAGES_MAX && *found == NULL; page++) {
		buf_init(&path, 4096);
		buf_puts(&path, base);
		if (next != NULL) {
			buf_puts(&path, "&next_page_token=");
			http_form_escape(&path, next);
		}
		e = api_call(c, HV_GET, arena_strdup(c->ctx->arena, buf_cstr(&path)), NULL, "zoom.list", true, &res);
		buf_free(&path);
		if (e == ERR_OK && res.status != 200)
			e = api_error(c, &res, "list meetings");
		if (e != ERR_OK) {
			http_result_free(&res);
			return e;
		}
		root = provider_body_json(&res);
		http_result_free(&res);
		list = json_object_get(root, "meetings");
		for (i = 0; i < json_array_size(list) && *found == NULL; i++) {
			m = json_array_get(list, i);
			agenda = json_string_value(json_object_get(m, "agenda"));
			if (agenda != NULL && strstr(agenda, marker) != NULL)
				*found = provider_json_text(c->ctx, m, "id");
		}
		next = json_string_value(json_object_get(root, "next_page_token"));
		next = next != NULL && next[0] != '\0' ? arena_strdup(c->ctx->arena, next) : NULL;
		json_decref(root);
		if (next == NULL)
			return ERR_OK;
	}
	return *found != NULL ? ERR_OK : ERR_PLATFORM_UNAVAILABLE;
}

/* The POST of a marked create. */
struct zoom_post {
	const char *path, *body;
};

/* One POST; *unknown says whether Zoom may have created it anyway. */
static enum err
post_create(struct provider_ctx *c, const void *arg, struct remote_meeting *out, bool *unknown)
{
	const struct zoom_post *p = arg;
	struct http_result res;
	enum err e;

	e = api_call(c, HV_POST, p->path, p->body, "zoom.create", false, &res);
	*unknown = false;
	if (e == ERR_OK && (res.status == 201 || res.status == 200))
		e = answer_meeting(c, &res, out);
	else if ((*unknown = provider_outcome_unknown(e, &res)), e == ERR_OK)
		e = api_error(c, &res, "create the meeting");
	http_result_free(&res);
	return e;
}

static enum err
create(struct provider_ctx *c, const struct remote_spec *s, struct remote_meeting *out)
{
	struct zoom_post p = { user_path(c, "/meetings"), meeting_body(c, s) };
	const struct marked_create m = {
		.platform = "zoom", .charge = charge_daily, .post = post_create, .find = find_marked,
		.get = get_meeting, .arg = &p,
	};

	if (p.path == NULL || p.body == NULL)
		return ERR_NOMEM;
	return provider_create_marked(c, s, &m, out);
}

static enum err
update(struct provider_ctx *c, const char *remote_id, const struct remote_spec *s, struct remote_meeting *out)
{
	struct http_result res;
	const char *body;
	enum err e;

	if (!numeric_id(remote_id))
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Not a Zoom meeting id");
	if ((body = meeting_body(c, s)) == NULL)
		return ERR_NOMEM;
	if ((e = charge_daily(c)) != ERR_OK)
		return e;
	/* the whole set of our fields each time: repeating it is harmless */
	e = api_call(c, HV_PATCH, arena_printf(c->ctx->arena, "/meetings/%s", remote_id), body, "zoom.update",
	    true, &res);
	if (e == ERR_OK && res.status != 204 && res.status != 200)
		e = api_error(c, &res, "update the meeting");
	http_result_free(&res);
	if (e != ERR_OK)
		return e;
	return get_meeting(c, remote_id, out);
}

static enum err
cancel(struct provider_ctx *c, const char *remote_id)
{
	struct http_result res;
	enum err e;

	if (!numeric_id(remote_id))
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Not a Zoom meeting id");
	e = api_call(c, HV_DELETE, arena_printf(c->ctx->arena, "/meetings/%s", remote_id), NULL, "zoom.delete",
	    true, &res);
	/* 3001: the meeting is already gone, which is what we wanted */
	if (e == ERR_OK && res.status != 204 && res.status != 200 &&
	    !(res.status == 404 && zoom_code(&res) == 3001))
		e = api_error(c, &res, "delete the meeting");
	http_result_free(&res);
	return e;
}

static enum err
end(struct provider_ctx *c, const char *remote_id)
{
	struct http_result res;
	enum err e;

	if (!numeric_id(remote_id))
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Not a Zoom meeting id");
	e = api_call(c, HV_PUT, arena_printf(c->ctx->arena, "/meetings/%s/status", remote_id),
	    "{\"action\":\"end\"}", "zoom.end", true, &res);
	if (e == ERR_OK && res.status != 204 && res.status != 200)
		e = api_error(c, &res, "end the meeting");
	http_result_free(&res);
	return e;
}

static enum err
status(struct provider_ctx *c, const char *remote_id, struct remote_meeting *out)
{
	return get_meeting(c, remote_id, out);
}

const struct provider provider_zoom = {
	.name = "zoom",
	.label = "Zoom",
	.not_configured = ERR_ZOOM_NOT_CONFIGURED,
	.caps = CAP_UPDATE | CAP_DELETE | CAP_END | CAP_STATUS | CAP_WEBHOOKS | CAP_PASSCODE |
	    CAP_WAITING_ROOM | CAP_DIAL_IN,
	.remote = true,
	.configured = configured,
	.create = create,
	.update = update,
	.cancel = cancel,
	.end = end,
	.status = status,
	.hook = zoom_hook,
};
