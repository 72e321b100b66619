/*
 * google.c — Google Meet, through Google Calendar events with conference
 * data (protocols.md §2.6–2.7).
 *
 * meetd authenticates as a service account: an RS256 assertion signed with
 * the account's key (google.service_account_file, the JSON key Google
 * issues) is exchanged for an access token, cached sealed by oauth_cache.
 * With google.subject set the account acts for that user (domain-wide
 * delegation); without it, for itself.
 *
 * A meeting is an event whose id meetd chooses: the meeting's ULID, lower-
 * cased, with the four Crockford letters outside base32hex mapped onto the
 * four base32hex letters Crockford leaves out (w→i, x→l, y→o, z→u). The
 * mapping is one-to-one, so every meeting has its own event id, and a
 * repeated insert (a retry after a lost answer) gets 409 from Google
 * instead of a second event: meetd then reads the event and adopts it.
 * Google may create the conference asynchronously ("pending"): meetd polls
 * the event until it succeeds or fails, and deletes the event on failure
 * so nothing is left half-created. Meet has no "end" call: ending is
 * meetd's record only (remote_end).
 *
 * Longer than our files usually are, on purpose: it is Google's whole
 * contract in one place (the service-account token, the event with its
 * pending conference, adoption after a lost answer, update, delete).
 */
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config/config.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/clock.h"
#include "outbound/http_client.h"
#include "core/jsonw.h"
#include "auth/jwt_sign.h"
#include "core/log.h"
#include "platforms/oauth_cache.h"
#include "platforms/provider.h"
#include "platforms/provider_kit.h"

#define SCOPE "https://www.googleapis.com/auth/calendar"
#define ASSERTION_TTL_S 3600
#define BODY_MAX (64 * 1024)
#define POLL_FIRST_MS 250
#define POLL_MAX_MS 2000
#define EVENT_ID_LEN 26         /* a ULID */

/* The parts of the service account's JSON key meetd uses. */
struct service_account {
	const char *email, *key, *key_id;
	size_t key_len;
};

/* One Calendar call's context: the account, its token, the calendar URL. */
struct gcal {
	struct provider_ctx *c;
	struct service_account sa;
	const char *account;            /* token cache key: email/subject */
	const char *token;
	const char *events_url;         /* {api_url}/calendars/{calendar_id}/events */
};

static const char *
json_text(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Reads the key file; strings are copied into a (or only checked when a is
 * NULL). */
static bool
service_account_read(const struct config *cfg, struct arena *a, struct service_account *out)
{
	const struct secret *sec = &cfg->google_service_account;
	const char *email, *key, *kid;
	json_t *root;
	bool ok;

	if (sec->data == NULL || sec->len == 0)
		return false;
	if ((root = json_loadb((const char *)sec->data, sec->len, 0, NULL)) == NULL)
		return false;
	email = json_text(root, "client_email");
	key = json_text(root, "private_key");
	kid = json_text(root, "private_key_id");
	ok = email != NULL && key != NULL;
	if (ok && a != NULL) {
		out->email = arena_strdup(a, email);
		out->key = arena_strdup(a, key);
		out->key_id = kid != NULL ? arena_strdup(a, kid) : NULL;
		out->key_len = strlen(key);
		ok = out->email != NULL && out->key != NULL && (kid == NULL || out->key_id != NULL);
	}
	json_decref(root);
	return ok;
}

static bool
configured(const struct config *cfg)
{
	return cfg->google_token_url != NULL && cfg->google_api_url != NULL &&
	    cfg->google_calendar_id != NULL && service_account_read(cfg, NULL, NULL);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* --- errors ---------------------------------------------------------------- */

/* The first errors[].reason of a Calendar error body, or NULL. */
static const char *
api_reason(struct provider_ctx *c, const struct http_result *res)
{
	json_t *root, *err;
	const char *r;
	char *out = NULL;

	if (res->body.len == 0 || (root = json_loadb(res->body.data, res->body.len, 0, NULL)) == NULL)
		return NULL;
	err = json_object_get(root, "error");
	r = json_text(json_array_get(json_object_get(err, "errors"), 0), "reason");
	if (r == NULL)
		r = json_text(err, "status");
	if (r != NULL && strlen(r) < 64 && strspn(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") ==
	    strlen(r))
		out = arena_strdup(c->ctx->arena, r);    /* a code word: safe to show */
	json_decref(root);
	return out;
}

static enum err
rate_limited(struct provider_ctx *c, const struct http_result *res)
{
	if (res->retry_after_s > 0)
		c->ctx->retry_after_s = res->retry_after_s;
	return ctx_fail(c->ctx, ERR_PLATFORM_RATE_LIMITED,
	    "Google Calendar's rate limit was reached; try again later");
}

/* Maps a Calendar answer that is not a success to meetd's error. */
static enum err
api_error(struct provider_ctx *c, const struct http_result *res)
{
	const char *reason = api_reason(c, res);

	if (res->status == 429 || (res->status == 403 && reason != NULL &&
	    (strcmp(reason, "rateLimitExceeded") == 0 || strcmp(reason, "userRateLimitExceeded") == 0)))
		return rate_limited(c, res);
	if (res->status >= 500)
		return ctx_fail(c->ctx, ERR_PLATFORM_UNAVAILABLE,
		    "Google Calendar did not answer; try again shortly");
	if (res->status == 401)
		return ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED,
		    "Google refused the service account's access token");
	if (reason != NULL && strcmp(reason, "forbiddenForServiceAccounts") == 0)
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR,
		    "Google refuses this for a service account acting as itself: configure google.subject "
		    "(a user the account impersonates with domain-wide delegation)");
	log_msg(LOG_WARN, "google", "calendar refused: status %ld reason %s", res->status,
	    reason != NULL ? reason : "-");
	return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, reason == NULL ?
	    "Google Calendar refused the request" :
	    arena_printf(c->ctx->arena, "Google Calendar refused the request (%s)", reason));
}

/* --- token ----------------------------------------------------------------- */

/* Builds and signs the assertion of RFC 7523 that Google's token endpoint
 * reads. */
static enum err
assertion(struct provider_ctx *c, const struct service_account *sa, const char **out)
{
	const struct config *cfg = c->ctx->app->cfg;
	int64_t now = clock_wall_ms() / 1000;
	struct buf cb;
	struct jsonw w;
	enum err e;

	buf_init(&cb, 4096);
	jw_init(&w, &cb);
	jw_obj_open(&w);
	jw_kstr(&w, "iss", sa->email);
	jw_kstr(&w, "scope", SCOPE);
	jw_kstr(&w, "aud", cfg->google_token_url);
	jw_kint(&w, "iat", now);
	jw_kint(&w, "exp", now + ASSERTION_TTL_S);
	if (cfg->google_subject != NULL && cfg->google_subject[0] != '\0')
		jw_kstr(&w, "sub", cfg->google_subject);
	jw_obj_close(&w);
	if (cb.failed)
		e = ERR_NOMEM;
	else if ((e = jwt_sign(c->ctx->arena, JWS_RS256, (const unsigned char *)sa->key, sa->key_len, sa->key_id,
	    buf_cstr(&cb), out)) == ERR_CONFIG)
		e = ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED,
		    "The Google service account's private_key is not a readable RSA key");
	buf_free(&cb);
	return e;
}

/* Why the token endpoint said no, in words an operator can act on. */
static enum err
token_refused(struct provider_ctx *c, const struct http_result *res)
{
	bool dwd = c->ctx->app->cfg->google_subject != NULL;
	const char *error = NULL;
	json_t *root = NULL;
	enum err e;

	if (res->status == 429)
		return rate_limited(c, res);
	if (res->status >= 500)
		return ctx_fail(c->ctx, ERR_PLATFORM_UNAVAILABLE,
		    "Google's token endpoint did not answer; try again shortly");
	if (res->body.len > 0 && (root = json_loadb(res->body.data, res->body.len, 0, NULL)) != NULL)
		error = json_text(root, "error");
	if (error != NULL && strcmp(error, "unauthorized_client") == 0)
		e = ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED, dwd ?
		    "Google refused the service account (unauthorized_client): authorize its client ID for "
		    "domain-wide delegation with the calendar scope, or unset google.subject" :
		    "Google refused the service account (unauthorized_client)");
	else if (error != NULL && strcmp(error, "invalid_grant") == 0)
		e = ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED, dwd ?
		    "Google refused the service account's assertion (invalid_grant): check the key, the "
		    "server clock, and that google.subject is a user of the delegating domain" :
		    "Google refused the service account's assertion (invalid_grant): check the key and the "
		    "server clock");
	else
		e = ctx_fail(c->ctx, ERR_PLATFORM_AUTH_FAILED,
		    "Google's token endpoint refused the service account");
	log_msg(LOG_WARN, "google", "token refused: status %ld error %s", res->status,
	    error != NULL && strlen(error) < 64 ? error : "-");
	json_decref(root);
	return e;
}

static enum err
fetch_token(struct provider_ctx *c, const char *refresh_token, void *arg, struct token_grant *out)
{
	const struct service_account *sa = arg;
	const char *jwt;
	struct http_result res;
	struct http_call call;
	struct buf form;
	json_t *root;
	enum err e;

	(void)refresh_token;
	memset(out, 0, sizeof(*out));
	if ((e = assertion(c, sa, &jwt)) != ERR_OK)
		return e;
	buf_init(&form, BODY_MAX);
	buf_puts(&form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=");
	http_form_escape(&form, jwt);
	if (form.failed) {
		buf_free(&form);
		return ERR_NOMEM;
	}
	memset(&call, 0, sizeof(call));
	call.verb = HV_POST;
	call.url = c->ctx->app->cfg->google_token_url;
	call.what = "google.token";
	call.headers[0] = "Content-Type: application/x-www-form-urlencoded";
	call.headers[1] = "Accept: application/json";
	call.body = form.data;
	call.body_len = form.len;
	call.idempotent = true;         /* a second token is harmless */
	e = http_send(c->ctx->app->http, &call, &res);
	buf_free(&form);
	if (e == ERR_OK && res.status != 200)
		e = token_refused(c, &res);
	else if (e == ERR_OK) {
		root = json_loadb(res.body.data, res.body.len, 0, NULL);
		out->access_token = json_text(root, "access_token");
		out->expires_in_s = json_integer_value(json_object_get(root, "expires_in"));
		if (out->access_token != NULL)
			out->access_token = arena_strdup(c->ctx->arena, out->access_token);
		if (out->expires_in_s <= 0)
			out->expires_in_s = 3600;
		if (out->access_token == NULL)
			e = ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Google's token endpoint answered without a token");
		json_decref(root);
	}
	http_result_free(&res);
	return e;
}

static enum err
gcal_open(struct provider_ctx *c, struct gcal *g)
{
	const struct config *cfg = c->ctx->app->cfg;
	struct buf url;

	memset(g, 0, sizeof(*g));
	g->c = c;
	if (!service_account_read(cfg, c->ctx->arena, &g->sa))
		return ERR_GOOGLE_MEET_NOT_CONFIGURED;
	g->account = arena_printf(c->ctx->arena, "%s/%s", g->sa.email,
	    cfg->google_subject != NULL ? cfg->google_subject : "");
	buf_init(&url, 8192);
	buf_printf(&url, "%s/calendars/", cfg->google_api_url);
	http_form_escape(&url, cfg->google_calendar_id);
	buf_puts(&url, "/events");
	g->events_url = url.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&url));
	buf_free(&url);
	if (g->account == NULL || g->events_url == NULL)
		return ERR_NOMEM;
	return oauth_token(c, "google", g->account, fetch_token, &g->sa, &g->token);
}

/* --- Calendar calls --------------------------------------------------------- */

/* {events_url}[/{id}][?query] */
static const char *
event_url(struct gcal *g, const char *id, const char *query)
{
	return arena_printf(g->c->ctx->arena, "%s%s%s%s%s", g->events_url, id != NULL ? "/" : "",
	    id != NULL ? id : "", query != NULL ? "?" : "", query != NULL ? query : "");
}

/* Sends one Calendar call; a refused token is fetched again once. ERR_OK
 * whenever Google answered: read res->status. */
static enum err
gcal_send(struct gcal *g, enum http_verb verb, const char *url, const char *what, const struct buf *body,
    bool idempotent, struct http_result *res)
{
	struct http_call call;
	enum err e;
	int round;

	memset(res, 0, sizeof(*res));
	if (url == NULL)
		return ERR_NOMEM;
	for (round = 0;; round++) {
		if (provider_json_call(&call, g->c->ctx->arena, g->token, verb, url,
		    body != NULL ? buf_cstr(body) : NULL, what, idempotent) != ERR_OK)
			return ERR_NOMEM;
		e = http_send(g->c->ctx->app->http, &call, res);
		if (e != ERR_OK || res->status != 401 || round > 0)
			return e;
		http_result_free(res);
		oauth_expire(g->c, "google", g->account);
		if ((e = oauth_token(g->c, "google", g->account, fetch_token, &g->sa, &g->token)) != ERR_OK) {
			memset(res, 0, sizeof(*res));
			return e;
		}
	}
}

/* meetd's ULID → a base32hex event id (see the top of this file). */
static const char *
event_id(struct provider_ctx *c, const char *meeting_id)
{
	char *id = arena_strdup(c->ctx->arena, meeting_id);
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; id[i] != '\0'; i++) {
		char ch = id[i] >= 'A' && id[i] <= 'Z' ? (char)(id[i] - 'A' + 'a') : id[i];

		switch (ch) {
		case 'w': ch = 'i'; break;
		case 'x': ch = 'l'; break;
		case 'y': ch = 'o'; break;
		case 'z': ch = 'u'; break;
		default: break;
		}
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'v')))
			return NULL;
		id[i] = ch;
	}
	return i >= 5 ? id : NULL;
}

static void
write_time(struct jsonw *w, const char *key, int64_t ms, const char *zone)
{
	char iso[CLOCK_ISO_LEN];

	clock_iso8601(ms / 1000, iso);
	jw_key(w, key);
	jw_obj_open(w);
	jw_kstr(w, "dateTime", iso);
	jw_kstr(w, "timeZone", zone != NULL ? zone : "UTC");
	jw_obj_close(w);
}

/* Who is invited: the organizer, when the account acts for a user of the
 * domain (a service account acting as itself may invite nobody). */
static const char *
attendee(const struct config *cfg, const struct remote_spec *s)
{
	if (cfg->google_subject == NULL || cfg->google_subject[0] == '\0' || s->organizer_email == NULL ||
	    strcmp(s->organizer_email, cfg->google_subject) == 0)
		return NULL;
	return s->organizer_email;
}

/* The event meetd wants: with id, the organizer invited and a conference
 * request on insert; without them on patch (the conference, its link and
 * the guests stay). */
static void
event_body(const struct remote_spec *s, const char *id, const char *guest, struct buf *b)
{
	struct jsonw w;

	jw_init(&w, b);
	jw_obj_open(&w);
	if (id != NULL)
		jw_kstr(&w, "id", id);
	jw_kstr(&w, "summary", s->title);
	jw_kstr(&w, "description", s->description != NULL ? s->description : "");
	write_time(&w, "start", s->start_ms, s->timezone);
	write_time(&w, "end", s->start_ms + s->duration_min * 60000, s->timezone);
	if (id != NULL && guest != NULL) {
		jw_key(&w, "attendees");
		jw_arr_open(&w);
		jw_obj_open(&w);
		jw_kstr(&w, "email", guest);
		jw_obj_close(&w);
		jw_arr_close(&w);
	}
	if (id != NULL) {
		jw_key(&w, "conferenceData");
		jw_obj_open(&w);
		jw_key(&w, "createRequest");
		jw_obj_open(&w);
		jw_kstr(&w, "requestId", s->meeting_id);
		jw_key(&w, "conferenceSolutionKey");
		jw_obj_open(&w);
		jw_kstr(&w, "type", "hangoutsMeet");
		jw_obj_close(&w);
		jw_obj_close(&w);
		jw_obj_close(&w);
	}
	jw_obj_close(&w);
}

static const char *
dup_text(struct provider_ctx *c, const json_t *o, const char *key)
{
	const char *s = json_text(o, key);

	return s != NULL ? arena_strdup(c->ctx->arena, s) : NULL;
}

/* Reads an Event into out; *state is the conference's createRequest status
 * ("pending", "success", "failure"), or NULL if the event says none. */
static enum err
event_read(struct provider_ctx *c, const struct http_result *res, struct remote_meeting *out,
    const char **state)
{
	json_t *root, *conf, *ep;
	const char *status, *uri;
	size_t i;

	remote_meeting_init(out);
	*state = NULL;
	if ((root = json_loadb(res->body.data, res->body.len, 0, NULL)) == NULL || !json_is_object(root)) {
		json_decref(root);
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Google Calendar answered with no event");
	}
	out->remote_id = dup_text(c, root, "id");
	out->join_url = dup_text(c, root, "hangoutLink");
	status = json_text(root, "status");
	out->status = status != NULL && strcmp(status, "cancelled") == 0 ? "cancelled" : "scheduled";
	out->start_time = dup_text(c, json_object_get(root, "start"), "dateTime");
	conf = json_object_get(root, "conferenceData");
	out->meeting_code = dup_text(c, conf, "conferenceId");
	status = json_text(json_object_get(json_object_get(conf, "createRequest"), "status"), "statusCode");
	if (status != NULL)
		*state = arena_strdup(c->ctx->arena, status);
	json_array_foreach(json_object_get(conf, "entryPoints"), i, ep) {
		const char *type = json_text(ep, "entryPointType");

		if (type == NULL || (uri = json_text(ep, "uri")) == NULL)
			continue;
		if (strcmp(type, "video") == 0 && out->join_url == NULL)
			out->join_url = arena_strdup(c->ctx->arena, uri);
		else if (strcmp(type, "phone") == 0 && out->dial_in_number == NULL) {
			out->dial_in_number = arena_strdup(c->ctx->arena,
			    strncmp(uri, "tel:", 4) == 0 ? uri + 4 : uri);
			out->dial_in_password = dup_text(c, ep, "pin");
		}
	}
	/* a conference given at once has no createRequest status: it is there */
	if (*state == NULL && out->join_url != NULL)
		*state = "success";
	json_decref(root);
	return out->remote_id != NULL ? ERR_OK :
	    ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Google Calendar answered with no event id");
}

/* GET the event: ERR_OK with *found false when it does not exist. */
static enum err
event_get(struct gcal *g, const char *id, struct remote_meeting *out, const char **state, bool *found)
{
	struct http_result res;
	enum err e;

	*found = false;
	e = gcal_send(g, HV_GET, event_url(g, id, NULL), "google.get", NULL, true, &res);
	if (e == ERR_OK && (res.status == 404 || res.status == 410))
		e = ERR_OK;
	else if (e == ERR_OK && res.status == 200) {
		*found = true;
		e = event_read(g->c, &res, out, state);
	} else if (e == ERR_OK)
		e = api_error(g->c, &res);
	http_result_free(&res);
	return e;
}

static enum err
event_delete(struct gcal *g, const char *id)
{
	struct http_result res;
	enum err e;

	e = gcal_send(g, HV_DELETE, event_url(g, id, "sendUpdates=all"), "google.delete", NULL, true, &res);
	/* 404: not (or no longer) on this calendar; 410: deleted before */
	if (e == ERR_OK && res.status != 200 && res.status != 204 && res.status != 404 && res.status != 410)
		e = api_error(g->c, &res);
	http_result_free(&res);
	return e;
}

/* Deletes the event of a create that failed, keeping the create's error
 * (message, Retry-After) as the one the caller sees. */
static bool
undo_insert(struct gcal *g, const char *id)
{
	const char *message = g->c->ctx->err.message;
	int64_t retry_after = g->c->ctx->retry_after_s;
	enum err e = event_delete(g, id);

	g->c->ctx->err.message = message;
	g->c->ctx->retry_after_s = retry_after;
	return e == ERR_OK;
}

/* Inserts the event; after an answer lost or a 409, the event with our id
 * is read back and adopted (Google may not detect a duplicate id at once,
 * so meetd looks rather than re-sends). */
static enum err
event_insert(struct gcal *g, const struct remote_spec *s, const char *id, struct remote_meeting *out,
    const char **state)
{
	struct http_result res;
	struct buf body;
	bool found, sent;
	enum err e, lost;

	buf_init(&body, BODY_MAX);
	event_body(s, id, attendee(g->c->ctx->app->cfg, s), &body);
	if (body.failed) {
		buf_free(&body);
		return ERR_NOMEM;
	}
	/* the fixed id makes a repeated insert harmless: it gets 409 */
	e = gcal_send(g, HV_POST, event_url(g, NULL, "conferenceDataVersion=1&sendUpdates=all"),
	    "google.create", &body, true, &res);
	buf_free(&body);
	if (e == ERR_OK && res.status == 200) {
		e = event_read(g->c, &res, out, state);
		http_result_free(&res);
		return e;
	}
	if (e == ERR_OK && res.status != 409 && res.status < 500) {
		e = api_error(g->c, &res);
		http_result_free(&res);
		return e;
	}
	/* 409: ours already; 5xx or no answer: maybe created, maybe not */
	lost = e != ERR_OK ? e : res.status == 409 ? ERR_OK : ERR_PLATFORM_UNAVAILABLE;
	sent = res.sent;
	http_result_free(&res);
	if (lost != ERR_OK && !sent)
		return lost;    /* never reached Google: nothing to look for */
	if ((e = event_get(g, id, out, state, &found)) != ERR_OK)
		return lost != ERR_OK ? lost : e;
	if (!found)
		return lost != ERR_OK ? lost : ctx_fail(g->c->ctx, ERR_PLATFORM_ERROR,
		    "Google Calendar reported the event as existing but has none with its id");
	log_msg(LOG_INFO, "google", "adopted event of %s after %s", s->meeting_id,
	    lost != ERR_OK ? err_name(lost) : "a duplicate id");
	return ERR_OK;
}

/* How long a create may wait for a pending conference: one call's time,
 * and well inside the request's, which also holds the calls around it. */
static int64_t
poll_budget_ms(const struct config *cfg)
{
	int64_t s = cfg->http_timeout < cfg->request_timeout / 3 ? cfg->http_timeout : cfg->request_timeout / 3;

	return (s > 0 ? s : 1) * 1000;
}

static enum err
create(struct provider_ctx *c, const struct remote_spec *s, struct remote_meeting *out)
{
	int64_t deadline = clock_mono_ms() + poll_budget_ms(c->ctx->app->cfg), wait = POLL_FIRST_MS;
	const char *id, *state = NULL;
	struct gcal g;
	bool found;
	enum err e;

	remote_meeting_init(out);
	if ((e = gcal_open(c, &g)) != ERR_OK)
		return e;
	if ((id = event_id(c, s->meeting_id)) == NULL)
		return ERR_INTERNAL;
	if ((e = event_insert(&g, s, id, out, &state)) != ERR_OK) {
		/* no answer, and none found by its id: should it appear late,
		 * delete it now rather than leave a meeting nobody knows of */
		if ((e == ERR_PLATFORM_TIMEOUT || e == ERR_PLATFORM_UNAVAILABLE) && !undo_insert(&g, id))
			log_msg(LOG_WARN, "google", "could not make sure no event of %s is left", s->meeting_id);
		remote_meeting_init(out);
		return e;
	}
	/* the conference may come later: read the event until it is settled */
	while (state != NULL && strcmp(state, "pending") == 0) {
		if (clock_mono_ms() + wait >= deadline) {
			e = ctx_fail(c->ctx, ERR_PLATFORM_TIMEOUT,
			    "Google Meet did not finish creating the conference in time");
			break;
		}
		sleep_ms(wait);
		wait = wait * 2 < POLL_MAX_MS ? wait * 2 : POLL_MAX_MS;
		if ((e = event_get(&g, id, out, &state, &found)) != ERR_OK)
			break;
		if (!found) {
			e = ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "The Google Calendar event disappeared");
			break;
		}
	}
	if (e == ERR_OK && (state == NULL || strcmp(state, "success") != 0 || out->join_url == NULL))
		e = ctx_fail(c->ctx, ERR_PLATFORM_ERROR, state != NULL && strcmp(state, "failure") == 0 ?
		    "Google could not create a Meet conference for the event (check that the calendar's "
		    "account may use Google Meet)" :
		    "Google Calendar created the event without a Meet conference");
	if (e == ERR_OK) {
		out->status = "scheduled";
		return ERR_OK;
	}
	/* nothing half-created: the event goes with the failed conference */
	if (!undo_insert(&g, id))
		log_msg(LOG_ERROR, "google", "could not delete the event of %s after a failed conference",
		    s->meeting_id);
	remote_meeting_init(out);
	return e;
}

static enum err
update(struct provider_ctx *c, const char *remote_id, const struct remote_spec *s, struct remote_meeting *out)
{
	struct http_result res;
	const char *state;
	struct buf body;
	struct gcal g;
	enum err e;

	remote_meeting_init(out);
	if (remote_id == NULL)
		return ERR_INTERNAL;
	if ((e = gcal_open(c, &g)) != ERR_OK)
		return e;
	buf_init(&body, BODY_MAX);
	event_body(s, NULL, NULL, &body);
	if (body.failed) {
		buf_free(&body);
		return ERR_NOMEM;
	}
	/* a PATCH of the same fields twice is the same event: safe to repeat */
	e = gcal_send(&g, HV_PATCH, event_url(&g, remote_id, "conferenceDataVersion=1&sendUpdates=all"),
	    "google.update", &body, true, &res);
	buf_free(&body);
	if (e == ERR_OK && res.status == 200)
		e = event_read(c, &res, out, &state);
	else if (e == ERR_OK && (res.status == 404 || res.status == 410))
		e = ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "The Google Calendar event no longer exists");
	else if (e == ERR_OK)
		e = api_error(c, &res);
	http_result_free(&res);
	return e;
}

static enum err
cancel(struct provider_ctx *c, const char *remote_id)
{
	struct gcal g;
	enum err e;

	if (remote_id == NULL)
		return ERR_OK;          /* never created there */
	if ((e = gcal_open(c, &g)) != ERR_OK)
		return e;
	return event_delete(&g, remote_id);
}

static enum err
status(struct provider_ctx *c, const char *remote_id, struct remote_meeting *out)
{
	const char *state;
	struct gcal g;
	bool found;
	enum err e;

	remote_meeting_init(out);
	if ((e = gcal_open(c, &g)) != ERR_OK || (e = event_get(&g, remote_id, out, &state, &found)) != ERR_OK)
		return e;
	if (!found)
		out->status = "cancelled";
	return ERR_OK;
}

const struct provider provider_google_meet = {
	.name = "google_meet",
	.label = "Google Meet",
	.not_configured = ERR_GOOGLE_MEET_NOT_CONFIGURED,
	/* no END: Meet has no call to end a meeting (remote_end ends meetd's
	 * record); no webhooks, passcode or waiting room in Calendar's API */
	.caps = CAP_UPDATE | CAP_DELETE | CAP_STATUS | CAP_DIAL_IN,
	.remote = true,
	.configured = configured,
	.create = create,
	.update = update,
	.cancel = cancel,
	.status = status,
};
