/*
 * realtime.c — the real-time routes: a subscription ticket, the
 * subscription itself (handed to nchan by X-Accel-Redirect: this responder
 * is free again as soon as it answers), the resume read and ephemeral
 * signals. Each parses, calls one use case of domain/realtime.h, renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/validate.h"
#include "core/jsonw.h"
#include "core/parse.h"
#include "domain/realtime.h"

/* POST /api/v1/meetings/{id}/realtime-ticket */
enum err
api_realtime_ticket(struct request *rq, struct response *rs)
{
	struct rt_ticket t;
	struct jsonw *w;
	size_t n;
	char *url;
	enum err e;

	if ((e = realtime_ticket(&rq->ctx, rq->params[0], &t)) != ERR_OK)
		return e;
	n = strlen(rq->params[0]) + strlen(t.ticket) + sizeof("/ws/meetings/?ticket=");
	w = resp_data(rs, 201, "Ticket issued; open the URL within its lifetime, once");
	jw_obj_open(w);
	jw_kstr(w, "ticket", t.ticket);
	jw_kstr(w, "expires_at", t.expires_at);
	jw_kint(w, "expires_in", t.expires_in);
	url = arena_alloc(rq->ctx.arena, n);
	if (url == NULL)
		return ERR_NOMEM;
	snprintf(url, n, "/ws/meetings/%s?ticket=%s", rq->params[0], t.ticket);
	jw_kstr(w, "url", url);
	jw_obj_close(w);
	return ERR_OK;
}

/* A subscription must be one nchan can carry. */
static bool
realtime_transport(struct request *rq)
{
	const char *upgrade = request_header(rq, "HTTP_UPGRADE");
	const char *accept = request_header(rq, "HTTP_ACCEPT");

	return (upgrade != NULL && strcasecmp(upgrade, "websocket") == 0) ||
	    (accept != NULL && strstr(accept, "text/event-stream") != NULL);
}

/* GET /ws/meetings/{id}: 001's WebSocket URL, also an EventSource. */
enum err
api_realtime_subscribe(struct request *rq, struct response *rs)
{
	struct rt_grant g;
	enum err e;

	if (!realtime_transport(rq))
		return request_fail(rq, ERR_INVALID_REQUEST,
		    "Open this URL as a WebSocket, or as an EventSource (Accept: text/event-stream)");
	if ((e = realtime_open(&rq->ctx, rq->params[0], request_query(rq, "ticket"), &g)) != ERR_OK)
		return e;
	resp_raw(rs, 200, "text/plain");
	resp_header(rs, "X-Accel-Redirect", g.redirect);
	resp_header(rs, "X-Accel-Buffering", "no");
	return ERR_OK;
}

/* GET /api/v1/meetings/{id}/events?after=N[&own_after=M][&limit=K] */
enum err
api_meeting_events(struct request *rq, struct response *rs)
{
	const char *after_s = request_query(rq, "after"), *own_s = request_query(rq, "own_after");
	const char *limit_s = request_query(rq, "limit");
	int64_t after = 0, own_after = -1, limit = 100;
	struct event_page page;
	struct jsonw *w;
	size_t i;
	enum err e;

	bool bad_after = after_s == NULL || parse_i64z(after_s, 0, INT64_MAX, &after) != ERR_OK;
	bool bad_own = own_s != NULL && parse_i64z(own_s, 0, INT64_MAX, &own_after) != ERR_OK;
	bool bad_limit = limit_s != NULL && parse_i64z(limit_s, 1, RT_PAGE_MAX, &limit) != ERR_OK;
	bool bad = bad_after || bad_own || bad_limit;

	/* who may read comes first (404), then the query's values */
	if ((e = events_after(&rq->ctx, rq->params[0], bad ? 0 : after, bad ? -1 : own_after,
	    bad ? 1 : limit, &page)) != ERR_OK)
		return e;
	if (bad_after)
		request_field_error(rq, "after", after_s == NULL ?
		    "is required: the last sequence number seen (0 for none)" : "must be an integer from 0");
	if (bad_own)
		request_field_error(rq, "own_after", "must be an integer from 0");
	if (bad_limit)
		request_field_error(rq, "limit", "must be an integer from 1 to 500");
	if (bad)
		return ERR_VALIDATION_FAILED;
	w = resp_data(rs, 200, page.resync ? "Too far behind: reload the meeting's state" :
	    "Events retrieved successfully");
	jw_obj_open(w);
	jw_kbool(w, "resync", page.resync);
	jw_kint(w, "meeting_seq", page.meeting_seq);
	jw_kint(w, "own_seq", page.own_seq);
	jw_kbool(w, "has_more", page.has_more);
	jw_key(w, "events");
	jw_arr_open(w);
	for (i = 0; i < page.n; i++)
		jw_raw(w, page.events[i], strlen(page.events[i]));    /* written by the domain */
	jw_arr_close(w);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
signal_body_read(struct request *rq, struct signal *s)
{
	const char *key, *type = NULL;
	char *data = NULL, *text;
	json_t *v;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(rq->json))
		return request_fail(rq, ERR_VALIDATION_FAILED, "The body must be a JSON object");
	json_object_foreach(rq->json, key, v) {
		if (strcmp(key, "type") == 0 && json_is_string(v)) {
			type = json_string_value(v);
		} else if (strcmp(key, "to") == 0 && json_is_string(v)) {
			s->to_user = json_string_value(v);
		} else if (strcmp(key, "data") == 0 && json_is_object(v)) {
			/* kept in the arena: the signal outlives nothing but the request */
			if ((text = json_dumps(v, JSON_COMPACT)) == NULL)
				return ERR_NOMEM;
			data = arena_strdup(rq->ctx.arena, text);
			free(text);
			if (data == NULL)
				return ERR_NOMEM;
		} else if (strcmp(key, "type") == 0 || strcmp(key, "to") == 0 || strcmp(key, "data") == 0) {
			request_field_error(rq, key, strcmp(key, "data") == 0 ? "must be an object" :
			    "must be a string");
		} else {
			request_field_error(rq, "body", "has an unknown field");
		}
	}
	if (type == NULL && !validate_failed(rq, "type"))
		request_field_error(rq, "type", "is required");
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	s->kind = signal_kind_parse(type);
	return signal_check(&rq->ctx, s, data);
}

/* POST /api/v1/meetings/{id}/signals {"type", "to"?, "data"?} */
enum err
api_meeting_signal(struct request *rq, struct response *rs)
{
	struct signal s;
	struct jsonw *w;
	enum err e;

	if ((e = signal_body_read(rq, &s)) != ERR_OK ||
	    (e = events_signal(&rq->ctx, rq->params[0], &s)) != ERR_OK)
		return e;
	w = resp_data(rs, 202, "Signal sent");
	jw_obj_open(w);
	jw_kstr(w, "type", signal_kind_name(s.kind));
	jw_obj_close(w);
	return ERR_OK;
}
