/*
 * dispatch.c — the request pipeline; see dispatch.h.
 *
 * Order matters. The route is found first (404/405 cost nothing). Then the
 * caller is authenticated from the header alone, because the body cap
 * depends on it: anonymous callers get the smaller body_limit_anonymous.
 * The declared Content-Length is checked against the cap before a byte of
 * the body is read, the media type before it is parsed, and the JSON nesting
 * depth before Jansson sees it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "core/app.h"
#include "auth/auth.h"
#include "http/dispatch.h"
#include "http/idempotency.h"
#include "store/limiter.h"
#include "core/parse.h"
#include "http/router.h"

static enum err
read_body(struct request *rq, size_t cap)
{
	size_t len, got = 0;
	char *body;
	enum err e;

	if ((e = parse_content_length(rq->content_length, cap, &len)) != ERR_OK)
		return request_fail(rq, e, e == ERR_PAYLOAD_TOO_LARGE ? NULL :
		    "Content-Length is malformed");
	if (len == 0)
		return ERR_OK;
	if ((body = arena_alloc(rq->ctx.arena, len + 1)) == NULL)
		return ERR_NOMEM;
	while (got < len) {
		ssize_t n = rq->body_src.read != NULL ?
		    rq->body_src.read(rq->body_src.ctx, body + got, len - got) : 0;
		if (n <= 0)
			return request_fail(rq, ERR_INVALID_REQUEST, "The body is shorter than Content-Length");
		got += (size_t)n;
	}
	rq->body = body;
	rq->body_len = len;
	return ERR_OK;
}

void
dispatch_drain(struct request *rq, size_t limit)
{
	char scratch[4096];
	size_t total = 0;

	if (rq->body_src.read == NULL)
		return;
	while (total < limit) {
		ssize_t n = rq->body_src.read(rq->body_src.ctx, scratch, sizeof(scratch));
		if (n <= 0)
			break;
		total += (size_t)n;
	}
}

/* application/json, or a JSON structured-syntax suffix type (RFC 6839:
 * application/webhook+json, which LiveKit sends), optionally with
 * charset=utf-8 (any case). */
static bool
is_json_media_type(const char *ct)
{
	static const char suffix[] = "+json";
	const char *p, *end;
	size_t n;

	if (ct == NULL || strncasecmp(ct, "application/", 12) != 0)
		return false;
	end = ct + strcspn(ct, "; ");
	n = (size_t)(end - ct);
	if (!(n == 16 && strncasecmp(ct, "application/json", 16) == 0) &&
	    !(n > 12 + sizeof(suffix) - 1 && strncasecmp(end - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) == 0 &&
	    strspn(ct + 12, "abcdefghijklmnopqrstuvwxyz0123456789.-+") == n - 12))
		return false;
	p = end;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return true;
	if (*p != ';')
		return false;
	p++;
	while (*p == ' ')
		p++;
	return strcasecmp(p, "charset=utf-8") == 0 || strcasecmp(p, "charset=\"utf-8\"") == 0;
}

/* Nesting depth of JSON text, counting brackets outside strings. */
static bool
depth_ok(const char *s, size_t n, int max)
{
	bool in_string = false;
	int depth = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return false;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return true;
}

enum err
dispatch_parse_body(struct request *rq)
{
	json_error_t jerr;

	if (rq->body_len == 0)
		return ERR_OK;
	if (!is_json_media_type(rq->content_type))
		return ERR_UNSUPPORTED_MEDIA_TYPE;
	if (!depth_ok(rq->body, rq->body_len, DISPATCH_JSON_MAX_DEPTH))
		return request_fail(rq, ERR_INVALID_JSON, "JSON nesting is deeper than 32 levels");
	rq->json = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (rq->json == NULL) {
		rq->ctx.err.message = arena_printf(rq->ctx.arena, "The request body is not valid JSON: %s", jerr.text);
		return ERR_INVALID_JSON;
	}
	return ERR_OK;
}

/* The configured rate of a route's limiter category; NULL if unlimited here
 * (LIMIT_AUTH is left to nginx's per-address limit_req: before login there
 * is no user to key on). */
static const struct rate *
category_rate(const struct config *cfg, enum limit_category c, const char **name)
{
	switch (c) {
	case LIMIT_MEETING: *name = "meeting"; return &cfg->limit_meeting;
	case LIMIT_PARTICIPANT: *name = "participant"; return &cfg->limit_participant;
	case LIMIT_CHAT: *name = "chat"; return &cfg->limit_chat;
	case LIMIT_STATUS: *name = "status"; return &cfg->limit_status;
	case LIMIT_REALTIME: *name = "websocket"; return &cfg->limit_realtime;
	default: return NULL;
	}
}

/* One SQL decision per limited request, keyed by the authenticated user. */
static enum err
apply_limit(struct request *rq, enum limit_category category)
{
	const char *name = NULL;
	const struct rate *r = category_rate(rq->ctx.app->cfg, category, &name);
	char key[LIMIT_KEY_MAX];
	bool allowed;
	enum err e;

	if (r == NULL || rq->ctx.app->db == NULL)
		return ERR_OK;
	if (rq->limit_taken) {
		/* authentication took it, in the same round trip */
		allowed = rq->limit_allowed;
		goto decided;
	}
	if (rq->ctx.who.kind != PRINCIPAL_NONE) {
		if ((size_t)snprintf(key, sizeof(key), "u:%s:%s", rq->ctx.who.subject, name) >= sizeof(key))
			return ERR_TOO_LONG;
	} else if (rq->route->auth == AUTH_OPTIONAL) {
		/* no account to charge: the client address pays */
		if ((size_t)snprintf(key, sizeof(key), "a:%s:%s", rq->remote_addr != NULL ?
		    rq->remote_addr : "-", name) >= sizeof(key))
			return ERR_TOO_LONG;
	} else {
		return ERR_OK;
	}
	if ((e = limiter_take(rq->ctx.app->db, rq->ctx.arena, key, r, &rq->ctx.limit, &allowed)) != ERR_OK)
		return e;
decided:
	if (!allowed) {
		rq->ctx.retry_after_s = rq->ctx.limit.retry_after_s;
		rq->ctx.err.limit = &rq->ctx.limit;
		return ERR_RATE_LIMITED;
	}
	return ERR_OK;
}

/* A guest's token opens its own meeting's routes alone: another meeting
 * is as unknown to it as to any stranger, an account route is forbidden. */
static enum err
guest_scope(struct request *rq, const struct route *r)
{
	if (r->auth == AUTH_OPTIONAL)
		return ERR_OK;
	if (r->auth != AUTH_MEETING && r->auth != AUTH_REALTIME)
		return request_fail(rq, ERR_FORBIDDEN, "A guest token opens its meeting's routes only");
	if (rq->params[0] == NULL || rq->ctx.who.guest_meeting_id == NULL ||
	    strcmp(rq->params[0], rq->ctx.who.guest_meeting_id) != 0)
		return ERR_MEETING_NOT_FOUND;
	return ERR_OK;
}

/* Set by nginx's hook server block only: no client can send a FastCGI
 * parameter without the HTTP_ prefix. */
static bool
from_hook_server(struct request *rq)
{
	const char *v = request_header(rq, "MEETD_HOOK");

	return v != NULL && strcmp(v, "1") == 0;
}

/* A subscription's credentials: a ticket is left to the use case; a token
 * in the query is read as if sent as Authorization. */
static enum err
realtime_credentials(struct request *rq)
{
	const char *token;

	if (request_query(rq, "ticket") != NULL) {
		rq->authorization = NULL;       /* the ticket alone decides */
		return ERR_OK;
	}
	if ((token = request_query(rq, "token")) != NULL)
		rq->authorization = arena_printf(rq->ctx.arena, "Bearer %s", token);
	if (rq->authorization == NULL || rq->authorization[0] == '\0')
		return request_fail(rq, ERR_AUTH_REQUIRED,
		    "Send a ticket (POST /api/v1/meetings/{id}/realtime-ticket) or a token");
	return ERR_OK;
}

/* A route that honours Idempotency-Key: a replay is rendered from the
 * stored outcome in this route's face; a first request runs with the
 * outcome hook set, and gives its claim back if it fails. */
static enum err
run_idempotent(struct request *rq, struct response *rs, const struct route *r)
{
	struct idem idem;
	const char *outcome;
	int status;
	enum err e;

	if ((e = idem_begin(rq, &idem, &status, &outcome)) != ERR_OK)
		return e;
	if (outcome != NULL) {
		/* a replayed create is still a request of the meeting category
		 * (the use case, which takes it otherwise, does not run) */
		if (r->limit == LIMIT_CREATE && (e = apply_limit(rq, LIMIT_MEETING)) != ERR_OK)
			return e;
		if ((e = r->outcome(rq, rs, status, outcome)) == ERR_OK)
			resp_header(rs, "Idempotent-Replayed", "true");
		return e;
	}
	rq->ctx.outcome.record = idem_record;
	rq->ctx.outcome.arg = &idem;
	if ((e = r->handler(rq, rs)) != ERR_OK)
		idem_release(rq, &idem);
	rq->ctx.outcome.record = NULL;
	return e;
}

static enum err
run(struct request *rq, struct response *rs)
{
	const struct config *cfg = rq->ctx.app->cfg;
	const struct route *r;
	enum err e;
	unsigned allow;

	if (rq->method == M__MAX)
		return request_fail(rq, ERR_METHOD_NOT_ALLOWED, "Unknown HTTP method");
	r = router_match(routes, routes_count, rq->method, rq->path, rq->ctx.arena, rq->params, &e, &allow);
	if (r == NULL) {
		if (e == ERR_METHOD_NOT_ALLOWED) {
			struct buf list;
			int m;

			buf_init(&list, 128);
			for (m = 0; m < M__MAX; m++) {
				if (allow & (1u << m)) {
					if (list.len > 0)
						buf_puts(&list, ", ");
					buf_puts(&list, request_method_name((enum http_method)m));
				}
			}
			resp_header(rs, "Allow", buf_cstr(&list));
			buf_free(&list);
		}
		return e;
	}
	rq->route = r;
	rq->face = r->face;
	if (r->auth == AUTH_HOOK && !from_hook_server(rq))
		return ERR_NOT_FOUND;
	if (r->auth == AUTH_REALTIME && (e = realtime_credentials(rq)) != ERR_OK)
		return e;
	if (r->auth == AUTH_USER || r->auth == AUTH_ADMIN || r->auth == AUTH_MEETING ||
	    (r->auth == AUTH_REALTIME && rq->authorization != NULL) ||
	    (r->auth == AUTH_OPTIONAL && rq->authorization != NULL && rq->authorization[0] != '\0')) {
		const char *name = NULL;
		const struct rate *rate = category_rate(cfg, r->limit, &name);

		if ((e = auth_authenticate(rq, name, rate)) != ERR_OK)
			return e;
		if (rq->ctx.who.guest && (e = guest_scope(rq, r)) != ERR_OK)
			return e;
		if (r->auth == AUTH_ADMIN && strcmp(rq->ctx.who.role, "admin") != 0)
			return ERR_FORBIDDEN;
	}
	if ((e = apply_limit(rq, r->limit)) != ERR_OK)
		return e;
	e = read_body(rq, (size_t)(rq->ctx.who.kind != PRINCIPAL_NONE || r->body == BODY_SIGNED ?
	    cfg->body_limit : cfg->body_limit_anonymous));
	if (e != ERR_OK)
		return e;
	if ((e = dispatch_parse_body(rq)) != ERR_OK)
		return e;
	if (r->outcome == NULL || rq->idempotency_key == NULL)
		return r->handler(rq, rs);
	return run_idempotent(rq, rs, r);
}

enum err
dispatch(struct request *rq, struct response *rs)
{
	enum err e;

	/* what the audit of any write needs from the transport */
	rq->ctx.client_addr = rq->remote_addr;
	rq->ctx.request_id = rq->request_id;
	e = run(rq, rs);

	if (e == ERR_OK && (rs->kind == RESP_NONE || rs->body.failed)) {
		e = ERR_INTERNAL;       /* a handler bug or an oversized answer */
		rq->ctx.err.message = NULL;
		rq->ctx.err.nfields = 0;
	}
	if (e != ERR_OK) {
		resp_error(rs, e, &rq->ctx.err, rq->face);
		if (err_http_status(e) == 401)
			resp_header(rs, "WWW-Authenticate", "Bearer");
		if (err_http_status(e) == 503)
			resp_header(rs, "Retry-After", "1");
		if (err_http_status(e) == 429 && rq->ctx.retry_after_s > 0) {
			char v[24];

			snprintf(v, sizeof(v), "%lld", (long long)rq->ctx.retry_after_s);
			resp_header(rs, "Retry-After", v);
		}
	}
	if (rq->ctx.limit.applied) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", (long long)rq->ctx.limit.limit);
		resp_header(rs, "X-RateLimit-Limit", v);
		snprintf(v, sizeof(v), "%lld", (long long)rq->ctx.limit.remaining);
		resp_header(rs, "X-RateLimit-Remaining", v);
		snprintf(v, sizeof(v), "%lld", (long long)rq->ctx.limit.reset_epoch_s);
		resp_header(rs, "X-RateLimit-Reset", v);
	}
	resp_finish(rs);
	return e;
}
