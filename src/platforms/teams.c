/*
 * teams.c — Microsoft Teams online meetings through Microsoft Graph
 * (protocols.md §2.8).
 *
 * meetd authenticates as an Entra ID application (client credentials:
 * tenant, client id, client secret) and acts for one user, teams.user_id;
 * Graph only lets an application do that once an administrator has granted
 * it an application access policy for the user. The token lasts about an
 * hour and is cached sealed by oauth_cache, shared by every responder.
 *
 * No duplicates: meetings are made with createOrGet keyed by meetd's own
 * meeting id (externalId), so a repeated request returns the meeting made
 * the first time. That makes the create safe to resend after a lost answer.
 *
 * Graph keeps no live state for an online meeting: status reports
 * "scheduled" while the meeting exists. There is no "end" call either.
 */
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "outbound/http_client.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "platforms/oauth_cache.h"
#include "platforms/provider.h"
#include "platforms/provider_kit.h"

#define SCOPE "https://graph.microsoft.com/.default"
#define BODY_MAX (64 * 1024)
#define DEFAULT_TTL_S 3599

static bool
configured(const struct config *cfg)
{
	return cfg->teams_tenant_id != NULL && cfg->teams_tenant_id[0] != '\0' &&
	    cfg->teams_client_id != NULL && cfg->teams_client_id[0] != '\0' &&
	    cfg->teams_user_id != NULL && cfg->teams_user_id[0] != '\0' &&
	    cfg->teams_client_secret.data != NULL && cfg->teams_client_secret.len > 0 &&
	    cfg->teams_login_url != NULL && cfg->teams_graph_url != NULL;
}

static enum err
rate_limited(struct provider_ctx *c, const struct http_result *res, const char *what)
{
	c->ctx->retry_after_s = res->retry_after_s > 0 ? res->retry_after_s : 60;
	return ctx_fail(c->ctx, ERR_PLATFORM_RATE_LIMITED, what);
}

/* --- token ----------------------------------------------------------------- */

/* The token cache's key: one application in one tenant. */
static const char *
account(struct provider_ctx *c)
{
	const struct config *cfg = c->ctx->app->cfg;

	return arena_printf(c->ctx->arena, "%s/%s", cfg->teams_tenant_id, cfg->teams_client_id);
}

/* Client credentials grant at the Microsoft identity platform. */
static enum err
fetch_token(struct provider_ctx *c, const char *refresh_token, void *arg, struct token_grant *out)
{
	const struct config *cfg = c->ctx->app->cfg;
	struct http_call call;
	struct http_result res;
	struct buf url, form;
	json_t *root, *ttl;
	const char *error;
	char *body;
	enum err e;

	(void)refresh_token;
	(void)arg;
	memset(&call, 0, sizeof(call));
	buf_init(&url, 4096);
	buf_puts(&url, cfg->teams_login_url);
	buf_puts(&url, "/");
	http_form_escape(&url, cfg->teams_tenant_id);
	buf_puts(&url, "/oauth2/v2.0/token");
	buf_init(&form, 8192);
	buf_puts(&form, "grant_type=client_credentials&client_id=");
	http_form_escape(&form, cfg->teams_client_id);
	buf_puts(&form, "&client_secret=");
	http_form_escape(&form, (const char *)cfg->teams_client_secret.data);  /* NUL-terminated */
	buf_puts(&form, "&scope=");
	http_form_escape(&form, SCOPE);
	call.verb = HV_POST;
	call.url = url.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&url));
	call.what = "teams.token";
	call.headers[0] = "Content-Type: application/x-www-form-urlencoded";
	call.headers[1] = "Accept: application/json";
	body = form.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&form));
	call.body = body;
	call.body_len = body != NULL ? strlen(body) : 0;
	call.idempotent = true;         /* a second token is harmless */
	/* the form holds the client secret: wiped once sent */
	if (form.data != NULL)
		memset(form.data, 0, form.len);
	buf_free(&url);
	buf_free(&form);
	if (call.url == NULL || body == NULL) {
		if (body != NULL)
			memset(body, 0, call.body_len);
		return ERR_NOMEM;
	}
	e = http_send(c->ctx->app->http, &call, &res);
	memset(body, 0, call.body_len);
	if (e != ERR_OK) {
		http_result_free(&res);
		return e;
	}
	root = provider_body_json(&res);
	error = json_string_value(json_object_get(root, "error"));
	if (res.status == 200) {
		out->access_token = provider_json_text(c->ctx, root, "access_token");
		out->refresh_token = NULL;
		ttl = json_object_get(root, "expires_in");
		out->expires_in_s = json_is_integer(ttl) ? json_integer_value(ttl) : DEFAULT_TTL_S;
		e = out->access_token != NULL ? ERR_OK :
		    ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Microsoft's token answer had no access token");
	} else if (res.status == 429) {
		e = rate_limited(c, &res, "Microsoft's token endpoint is rate limited; try again later");
	} else if (res.status >= 500) {
		e = ctx_fail(c->ctx, ERR_PLATFORM_UNAVAILABLE, "Microsoft's token endpoint is unavailable");
	} else if (error != NULL && strcmp(error, "invalid_client") == 0) {
		e = ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED,
		    "Microsoft refused the application's client secret (teams.client_secret_file)");
	} else if (error != NULL && (strcmp(error, "unauthorized_client") == 0 ||
	    strcmp(error, "invalid_request") == 0)) {
		e = ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED,
		    "Microsoft refused the application: check teams.tenant_id and teams.client_id");
	} else {
		log_msg(LOG_WARN, "teams", "token endpoint refused: status %ld error %s", res.status,
		    error != NULL && strlen(error) < 64 ? error : "-");
		e = ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED,
		    "Microsoft refused the application's credentials");
	}
	json_decref(root);
	http_result_free(&res);
	return e;
}

/* --- calls ----------------------------------------------------------------- */

/* {graph_url}/users/{user}/onlineMeetings{suffix}, the user id escaped. */
static const char *
meetings_url(struct provider_ctx *c, const char *remote_id, const char *suffix)
{
	const struct config *cfg = c->ctx->app->cfg;
	struct buf b;
	const char *out;

	buf_init(&b, 8192);
	buf_puts(&b, cfg->teams_graph_url);
	buf_puts(&b, "/users/");
	http_form_escape(&b, cfg->teams_user_id);
	buf_puts(&b, "/onlineMeetings");
	if (remote_id != NULL) {
		buf_puts(&b, "/");
		http_form_escape(&b, remote_id);
	}
	if (suffix != NULL)
		buf_puts(&b, suffix);
	out = b.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* One Graph call; a token Graph no longer accepts (401) is dropped and the
 * call made once more with a fresh one. */
static enum err
graph_call(struct provider_ctx *c, enum http_verb verb, const char *url, const char *body, const char *what,
    bool idempotent, struct http_result *res)
{
	struct http_call call;
	const char *token, *acct = account(c);
	int round;
	enum err e = ERR_OK;

	memset(res, 0, sizeof(*res));
	if (url == NULL || acct == NULL)
		return ERR_NOMEM;
	for (round = 0; round < 2; round++) {
		if ((e = oauth_token(c, "teams", acct, fetch_token, NULL, &token)) != ERR_OK)
			return e;
		if (provider_json_call(&call, c->ctx->arena, token, verb, url, body, what, idempotent) != ERR_OK)
			return ERR_NOMEM;
		e = http_send(c->ctx->app->http, &call, res);
		if (e != ERR_OK || res->status != 401 || round > 0)
			return e;
		/* Graph acts on nothing it did not authenticate: safe to resend */
		http_result_free(res);
		memset(res, 0, sizeof(*res));
		oauth_expire(c, "teams", acct);
	}
	return e;
}

/* Graph's refusal as meetd's error; Graph's error code (a word) is shown,
 * never its message, which may echo what we sent. */
static enum err
api_error(struct provider_ctx *c, const struct http_result *res, const char *doing)
{
	json_t *root;
	const char *code;
	enum err e;

	if (res->status == 403)
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR,
		    "Microsoft Graph refused to act for teams.user_id: an administrator must grant the "
		    "application an application access policy for that user (Grant-CsApplicationAccessPolicy) "
		    "and the OnlineMeetings.ReadWrite.All permission");
	root = provider_body_json(res);
	code = json_string_value(json_object_get(json_object_get(root, "error"), "code"));
	if (code != NULL && (strlen(code) > 64 || strspn(code, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
	    != strlen(code)))
		code = NULL;
	e = provider_refusal(c->ctx, res, "Microsoft Graph", "Microsoft Graph refused the application's token", doing,
	    code);
	json_decref(root);
	return e;
}

/* --- meeting objects ---------------------------------------------------------- */

/* Graph's times: UTC with up to seven fractional digits; seconds suffice. */
static bool
graph_time(const char *s, int64_t *ms)
{
	char whole[CLOCK_ISO_LEN];

	if (s == NULL || strlen(s) < 19 || s[strlen(s) - 1] != 'Z')
		return false;
	memcpy(whole, s, 19);
	whole[19] = 'Z';
	whole[20] = '\0';
	return clock_parse_iso8601(whole, ms);
}

static enum err
read_meeting(struct provider_ctx *c, json_t *o, struct remote_meeting *out)
{
	json_t *jm = json_object_get(o, "joinMeetingIdSettings"), *audio = json_object_get(o, "audioConferencing");
	int64_t start_ms, end_ms;
	const char *s, *e;

	remote_meeting_init(out);
	if ((out->remote_id = provider_json_text(c->ctx, o, "id")) == NULL)
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Microsoft Graph answered without a meeting id");
	out->join_url = provider_json_text(c->ctx, o, "joinWebUrl");
	if (out->join_url == NULL)
		out->join_url = provider_json_text(c->ctx, o, "joinUrl");
	out->passcode = provider_json_text(c->ctx, jm, "passcode");
	out->meeting_code = provider_json_text(c->ctx, jm, "joinMeetingId");
	out->dial_in_number = provider_json_text(c->ctx, audio, "tollNumber");
	if (out->dial_in_number == NULL)
		out->dial_in_number = provider_json_text(c->ctx, audio, "tollFreeNumber");
	out->dial_in_password = provider_json_text(c->ctx, audio, "conferenceId");
	if (out->dial_in_password == NULL)
		out->dial_in_password = provider_json_text(c->ctx, audio, "ConferenceId");
	out->status = "scheduled";      /* Graph keeps no live state */
	s = json_string_value(json_object_get(o, "startDateTime"));
	e = json_string_value(json_object_get(o, "endDateTime"));
	if (graph_time(s, &start_ms) && graph_time(e, &end_ms) && end_ms > start_ms)
		out->duration_min = (end_ms - start_ms) / 60000;
	out->start_time = provider_json_text(c->ctx, o, "startDateTime");
	return ERR_OK;
}

static enum err
answer_meeting(struct provider_ctx *c, const struct http_result *res, struct remote_meeting *out)
{
	return provider_read_answer(c, res, "Microsoft Graph", read_meeting, out);
}

/* subject, startDateTime, endDateTime (and, on create, externalId and the
 * lobby). */
static char *
meeting_body(struct provider_ctx *c, const struct remote_spec *s, bool create)
{
	char start[CLOCK_ISO_LEN], end[CLOCK_ISO_LEN];
	struct buf b;
	struct jsonw w;
	char *out;

	clock_iso8601_ms(s->start_ms, start);
	clock_iso8601_ms(s->start_ms + s->duration_min * 60000, end);
	buf_init(&b, BODY_MAX);
	jw_init(&w, &b);
	jw_obj_open(&w);
	if (create)
		jw_kstr(&w, "externalId", s->meeting_id);
	jw_kstr(&w, "subject", s->title);
	jw_kstr(&w, "startDateTime", start);
	jw_kstr(&w, "endDateTime", end);
	jw_key(&w, "lobbyBypassSettings");
	jw_obj_open(&w);
	/* a waiting room: only the organizer walks in, everyone else waits */
	jw_kstr(&w, "scope", s->waiting_room ? "organizer" : "everyone");
	jw_obj_close(&w);
	jw_obj_close(&w);
	out = b.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static enum err
create(struct provider_ctx *c, const struct remote_spec *s, struct remote_meeting *out)
{
	struct http_result res;
	const char *body = meeting_body(c, s, true);
	enum err e;

	remote_meeting_init(out);
	if (body == NULL)
		return ERR_NOMEM;
	/* createOrGet returns the same meeting for the same externalId: repeatable */
	e = graph_call(c, HV_POST, meetings_url(c, NULL, "/createOrGet"), body, "teams.create", true, &res);
	if (e == ERR_OK)
		e = res.status == 200 || res.status == 201 ? answer_meeting(c, &res, out) :
		    api_error(c, &res, "create the meeting");
	http_result_free(&res);
	return e;
}

static enum err
update(struct provider_ctx *c, const char *remote_id, const struct remote_spec *s, struct remote_meeting *out)
{
	struct http_result res;
	const char *body = meeting_body(c, s, false);
	enum err e;

	remote_meeting_init(out);
	if (body == NULL)
		return ERR_NOMEM;
	/* the whole set of our fields each time: repeating it is harmless */
	e = graph_call(c, HV_PATCH, meetings_url(c, remote_id, NULL), body, "teams.update", true, &res);
	if (e == ERR_OK)
		e = res.status == 200 ? answer_meeting(c, &res, out) :
		    res.status == 204 ? ERR_OK : api_error(c, &res, "update the meeting");
	http_result_free(&res);
	return e;
}

static enum err
cancel(struct provider_ctx *c, const char *remote_id)
{
	struct http_result res;
	enum err e;

	e = graph_call(c, HV_DELETE, meetings_url(c, remote_id, NULL), NULL, "teams.delete", true, &res);
	/* 404: already gone, which is what we wanted */
	if (e == ERR_OK && res.status != 204 && res.status != 200 && res.status != 404)
		e = api_error(c, &res, "delete the meeting");
	http_result_free(&res);
	return e;
}

static enum err
status(struct provider_ctx *c, const char *remote_id, struct remote_meeting *out)
{
	struct http_result res;
	enum err e;

	remote_meeting_init(out);
	e = graph_call(c, HV_GET, meetings_url(c, remote_id, NULL), NULL, "teams.get", true, &res);
	if (e == ERR_OK)
		e = res.status == 200 ? answer_meeting(c, &res, out) : api_error(c, &res, "read the meeting");
	http_result_free(&res);
	return e;
}

const struct provider provider_teams = {
	.name = "teams",
	.label = "Microsoft Teams",
	.not_configured = ERR_TEAMS_NOT_CONFIGURED,
	/* status reads the meeting, but Graph has no live state to report */
	.caps = CAP_UPDATE | CAP_DELETE | CAP_PASSCODE | CAP_WAITING_ROOM | CAP_DIAL_IN,
	.remote = true,
	.configured = configured,
	.create = create,
	.update = update,
	.cancel = cancel,
	.status = status,
};
