/*
 * webex.c — Webex meetings over the Webex REST API (protocols.md §2.9).
 *
 * meetd calls Webex with one access token read from a file
 * (webex.access_token_file): a bot's or an integration's token, kept
 * fresh by the operator. A token Webex refuses is PLATFORM_AUTH_FAILED.
 *
 * No duplicates: Webex has no idempotency key, and the HTTP client never
 * resends a POST that may have been received. Each meeting's agenda
 * carries a "meetd:<meeting id>" line; after a lost answer or a 5xx we list
 * the meetings of the meeting's own time window for that line and adopt
 * what we find, and only when it is absent create once more.
 *
 * Webex generates the meeting password (it cannot be left out on a site
 * that requires one, and its own meets the site's rules); meetd reports it.
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
#include "platforms/provider.h"
#include "platforms/provider_kit.h"

#define MARKER "meetd:"
#define TITLE_MAX 128           /* Webex's limit (characters; bytes are an upper bound) */
#define AGENDA_MAX 1300
#define BODY_MAX (64 * 1024)
#define LIST_MAX 100            /* the most one list page holds */
#define WINDOW_SLACK_MS 60000   /* Webex keeps times to the minute */

static bool
configured(const struct config *cfg)
{
	return cfg->webex_access_token.data != NULL && cfg->webex_access_token.len > 0 &&
	    cfg->webex_api_url != NULL && cfg->webex_api_url[0] != '\0';
}

/* --- calls ----------------------------------------------------------------- */

/* {api_url}/meetings[/{id}][suffix], the id escaped. */
static const char *
meetings_url(struct provider_ctx *c, const char *remote_id, const char *suffix)
{
	struct buf b;
	const char *out;

	buf_init(&b, 8192);
	buf_puts(&b, c->ctx->app->cfg->webex_api_url);
	buf_puts(&b, "/meetings");
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

static enum err
api_call(struct provider_ctx *c, enum http_verb verb, const char *url, const char *body, const char *what,
    bool idempotent, struct http_result *res)
{
	const struct secret *tok = &c->ctx->app->cfg->webex_access_token;
	struct http_call call;

	memset(res, 0, sizeof(*res));
	if (provider_json_call(&call, c->ctx->arena, (const char *)tok->data, verb, url, body, what, idempotent)
	    != ERR_OK)
		return ERR_NOMEM;
	/* answers' times in UTC, whatever the meeting's zone */
	call.headers[body != NULL ? 3 : 2] = "timezone: UTC";
	return http_send(c->ctx->app->http, &call, res);
}

/* Webex's refusal as meetd's error, with Webex's message (never a secret). */
static enum err
api_error(struct provider_ctx *c, const struct http_result *res, const char *doing)
{
	json_t *root = provider_body_json(res);
	enum err e = provider_refusal(c->ctx, res, "Webex",
	    "Webex refused the server's access token (webex.access_token_file): it may have expired", doing,
	    json_string_value(json_object_get(root, "message")));

	json_decref(root);
	return e;
}

/* --- meeting objects ---------------------------------------------------------- */

/* Webex's meeting states in meetd's words. */
static const char *
status_word(const char *state)
{
	static const struct {
		const char *webex, *meetd;
	} map[] = {
		{ "active", "scheduled" }, { "scheduled", "scheduled" }, { "ready", "scheduled" },
		{ "lobby", "started" }, { "inProgress", "started" },
		{ "ended", "ended" }, { "missed", "ended" }, { "expired", "ended" },
	};
	size_t i;

	for (i = 0; state != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(state, map[i].webex) == 0)
			return map[i].meetd;
	return NULL;
}

static enum err
read_meeting(struct provider_ctx *c, json_t *o, struct remote_meeting *out)
{
	json_t *call_in = json_array_get(json_object_get(json_object_get(o, "telephony"), "callInNumbers"), 0);
	const char *start = json_string_value(json_object_get(o, "start"));
	const char *end = json_string_value(json_object_get(o, "end"));
	int64_t start_ms, end_ms;

	remote_meeting_init(out);
	if ((out->remote_id = provider_json_text(c->ctx, o, "id")) == NULL)
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Webex answered without a meeting id");
	out->join_url = provider_json_text(c->ctx, o, "webLink");
	out->passcode = provider_json_text(c->ctx, o, "password");
	out->meeting_code = provider_json_text(c->ctx, o, "meetingNumber");
	out->dial_in_number = provider_json_text(c->ctx, call_in, "callInNumber");
	out->dial_in_password = provider_json_text(c->ctx, o, "phoneAndVideoSystemPassword");
	out->host_key = provider_json_text(c->ctx, o, "hostKey");
	out->status = status_word(json_string_value(json_object_get(o, "state")));
	out->start_time = provider_json_text(c->ctx, o, "start");
	if (start != NULL && end != NULL && clock_parse_iso8601(start, &start_ms) &&
	    clock_parse_iso8601(end, &end_ms) && end_ms > start_ms)
		out->duration_min = (end_ms - start_ms) / 60000;
	return ERR_OK;
}

static enum err
answer_meeting(struct provider_ctx *c, const struct http_result *res, struct remote_meeting *out)
{
	return provider_read_answer(c, res, "Webex", read_meeting, out);
}

/* The body of a create or update: title, agenda with our marker, times. */
static char *
meeting_body(struct provider_ctx *c, const struct remote_spec *s)
{
	char start[CLOCK_ISO_LEN], end[CLOCK_ISO_LEN], marker[64];
	struct buf b, agenda;
	struct jsonw w;
	char *out;

	clock_iso8601_ms(s->start_ms, start);
	clock_iso8601_ms(s->start_ms + s->duration_min * 60000, end);
	snprintf(marker, sizeof(marker), MARKER "%s", s->meeting_id);
	buf_init(&agenda, AGENDA_MAX * 4 + 1);
	if (s->description != NULL && s->description[0] != '\0') {
		buf_append(&agenda, s->description, utf8_cut(s->description, AGENDA_MAX - strlen(marker) - 2));
		buf_puts(&agenda, "\n\n");
	}
	buf_puts(&agenda, marker);
	buf_init(&b, BODY_MAX);
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_key(&w, "title");
	jw_strn(&w, s->title, utf8_cut(s->title, TITLE_MAX));
	jw_kstr(&w, "agenda", buf_cstr(&agenda));
	jw_kstr(&w, "start", start);
	jw_kstr(&w, "end", end);
	/* the times are UTC; the zone is how Webex shows the meeting to people */
	jw_kstr(&w, "timezone", s->timezone != NULL ? s->timezone : "UTC");
	jw_obj_close(&w);
	out = b.failed || agenda.failed ? NULL : arena_strdup(c->ctx->arena, buf_cstr(&b));
	buf_free(&b);
	buf_free(&agenda);
	return out;
}

static enum err
get_meeting(struct provider_ctx *c, const char *remote_id, struct remote_meeting *out)
{
	struct http_result res;
	enum err e;

	remote_meeting_init(out);
	e = api_call(c, HV_GET, meetings_url(c, remote_id, NULL), NULL, "webex.get", true, &res);
	if (e == ERR_OK)
		e = res.status == 200 ? answer_meeting(c, &res, out) : api_error(c, &res, "read the meeting");
	http_result_free(&res);
	return e;
}

/* Looks, among the meetings of s's time window, for the one whose agenda
 * carries our marker: *found is its id, or NULL when Webex has none. */
static enum err
find_marked(struct provider_ctx *c, const struct remote_spec *s, const char **found)
{
	char from[CLOCK_ISO_LEN], to[CLOCK_ISO_LEN], marker[64];
	struct http_result res;
	struct buf q;
	json_t *root, *items, *m;
	const char *agenda, *url;
	size_t i;
	enum err e;

	*found = NULL;
	clock_iso8601_ms(s->start_ms - WINDOW_SLACK_MS, from);
	clock_iso8601_ms(s->start_ms + s->duration_min * 60000 + WINDOW_SLACK_MS, to);
	snprintf(marker, sizeof(marker), MARKER "%s", s->meeting_id);
	buf_init(&q, 1024);
	buf_printf(&q, "?meetingType=meetingSeries&max=%d&from=", LIST_MAX);
	http_form_escape(&q, from);
	buf_puts(&q, "&to=");
	http_form_escape(&q, to);
	url = q.failed ? NULL : meetings_url(c, NULL, buf_cstr(&q));
	buf_free(&q);
	e = api_call(c, HV_GET, url, NULL, "webex.list", true, &res);
	if (e == ERR_OK && res.status != 200)
		e = api_error(c, &res, "list meetings");
	if (e != ERR_OK) {
		http_result_free(&res);
		return e;
	}
	root = provider_body_json(&res);
	http_result_free(&res);
	items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		json_decref(root);
		return ctx_fail(c->ctx, ERR_PLATFORM_ERROR, "Webex's answer was not a meeting list");
	}
	for (i = 0; i < json_array_size(items) && *found == NULL; i++) {
		m = json_array_get(items, i);
		agenda = json_string_value(json_object_get(m, "agenda"));
		if (agenda != NULL && strstr(agenda, marker) != NULL)
			*found = provider_json_text(c->ctx, m, "id");
	}
	/* a full page without it: more may follow that we cannot see here */
	if (*found == NULL && json_array_size(items) >= LIST_MAX)
		e = ERR_PLATFORM_UNAVAILABLE;
	json_decref(root);
	return e;
}

/* One POST of the body in arg; *unknown says whether Webex may have
 * created it anyway. */
static enum err
post_create(struct provider_ctx *c, const void *arg, struct remote_meeting *out, bool *unknown)
{
	struct http_result res;
	enum err e;

	e = api_call(c, HV_POST, meetings_url(c, NULL, NULL), arg, "webex.create", false, &res);
	*unknown = false;
	if (e == ERR_OK && (res.status == 200 || res.status == 201))
		e = answer_meeting(c, &res, out);
	else if ((*unknown = provider_outcome_unknown(e, &res)), e == ERR_OK)
		e = api_error(c, &res, "create the meeting");
	http_result_free(&res);
	return e;
}

static enum err
create(struct provider_ctx *c, const struct remote_spec *s, struct remote_meeting *out)
{
	const struct marked_create m = {
		.platform = "webex", .post = post_create, .find = find_marked, .get = get_meeting,
		.arg = meeting_body(c, s),
	};

	if (m.arg == NULL)
		return ERR_NOMEM;
	return provider_create_marked(c, s, &m, out);
}

static enum err
update(struct provider_ctx *c, const char *remote_id, const struct remote_spec *s, struct remote_meeting *out)
{
	struct http_result res;
	const char *body = meeting_body(c, s);
	enum err e;

	remote_meeting_init(out);
	if (body == NULL)
		return ERR_NOMEM;
	/* PATCH keeps what we do not send (the password among them); the whole
	 * set of our fields each time, so repeating it is harmless */
	e = api_call(c, HV_PATCH, meetings_url(c, remote_id, NULL), body, "webex.update", true, &res);
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

	e = api_call(c, HV_DELETE, meetings_url(c, remote_id, NULL), NULL, "webex.delete", true, &res);
	/* 404: already gone, which is what we wanted */
	if (e == ERR_OK && res.status != 204 && res.status != 200 && res.status != 404)
		e = api_error(c, &res, "delete the meeting");
	http_result_free(&res);
	return e;
}

static enum err
status(struct provider_ctx *c, const char *remote_id, struct remote_meeting *out)
{
	return get_meeting(c, remote_id, out);
}

const struct provider provider_webex = {
	.name = "webex",
	.label = "Webex",
	.not_configured = ERR_WEBEX_NOT_CONFIGURED,
	.caps = CAP_UPDATE | CAP_DELETE | CAP_STATUS | CAP_PASSCODE | CAP_DIAL_IN,
	.remote = true,
	.configured = configured,
	.create = create,
	.update = update,
	.cancel = cancel,
	.status = status,
};
