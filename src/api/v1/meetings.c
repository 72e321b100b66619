/*
 * meetings.c — the canonical meeting routes under /api/v1/meetings: each
 * handler parses its input, calls one use case of src/domain/meetings.c,
 * and renders the answer in the Goravel envelope.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/create_body.h"
#include "api/validate.h"
#include "config/config.h"
#include "core/app.h"
#include "core/b64.h"
#include "core/clock.h"
#include "core/parse.h"
#include "domain/meeting.h"
#include "domain/meetings.h"

#define LIST_MAX 100
#define AUDIT_MAX 100

/* Sends canonical JSON (a use case's *out) as the envelope's data. */
static enum err
send_canonical(struct response *rs, int status, const char *message, struct buf *data, enum err e)
{
	if (e == ERR_OK && data->failed)
		e = ERR_NOMEM;
	if (e == ERR_OK)
		jw_raw(resp_data(rs, status, message), data->data, data->len);
	buf_free(data);
	return e;
}

/* --- create ------------------------------------------------------------------ */

/* The answer of a create, first or replayed: the canonical meeting. */
enum err
api_meeting_created(struct request *rq, struct response *rs, int status, const char *outcome)
{
	(void)rq;
	jw_raw(resp_data(rs, status, "Meeting created successfully"), outcome, strlen(outcome));
	return ERR_OK;
}

enum err
api_meeting_create(struct request *rq, struct response *rs)
{
	char id[ULID_LEN + 1];
	struct new_meeting nm;
	struct buf out;
	enum err e;

	if ((e = create_body_parse(rq, &create_dialect_v1, &nm)) != ERR_OK)
		return e;
	e = meetings_create(&rq->ctx, &nm, id, &out);
	if (e == ERR_OK && out.failed)
		e = ERR_NOMEM;
	if (e == ERR_OK)
		e = api_meeting_created(rq, rs, 201, buf_cstr(&out));
	buf_free(&out);
	return e;
}

/* --- read -------------------------------------------------------------------- */

enum err
api_meeting_get(struct request *rq, struct response *rs)
{
	struct meeting m;
	enum err e;

	if ((e = meeting_load(&rq->ctx, rq->ctx.app->db, rq->params[0], false, &m)) != ERR_OK)
		return e;
	resp_etag(rs, m.version);
	return meeting_write(&rq->ctx, resp_data(rs, 200, "Meeting retrieved successfully"), &m);
}

/* Cursor: base64url of "<scheduled_for DATETIME>|<id>". */
static enum err
decode_cursor(struct request *rq, const char *c, const char **ts, const char **id)
{
	size_t n = strlen(c), len;
	unsigned char *raw;
	char *bar, *s;
	int64_t ms;

	if (n > 128 || (raw = arena_alloc(rq->ctx.arena, n + 1)) == NULL ||
	    !b64url_decode(c, n, raw, &len))
		return request_field_error(rq, "cursor", "is not a cursor this server gave");
	s = (char *)raw;
	s[len] = '\0';
	bar = strchr(s, '|');
	if (bar == NULL || bar - s != CLOCK_DB_LEN - 1 || !ulid_valid(bar + 1) ||
	    !clock_parse_iso8601(arena_printf(rq->ctx.arena, "%.10sT%.12sZ", s, s + 11), &ms))
		return request_field_error(rq, "cursor", "is not a cursor this server gave");
	*bar = '\0';
	*ts = s;
	*id = bar + 1;
	return ERR_OK;
}

static const char *
encode_cursor(struct request *rq, const char *ts, const char *id)
{
	char *raw = arena_printf(rq->ctx.arena, "%s|%s", ts, id), *out;

	if (raw == NULL || (out = arena_alloc(rq->ctx.arena, b64url_encoded_len(strlen(raw)) + 1)) == NULL)
		return NULL;
	b64url_encode(raw, strlen(raw), out);
	return out;
}

static const char *
query_time(struct request *rq, const char *name, const char *if_absent)
{
	const char *v = request_query(rq, name);
	char *out;
	int64_t ms;

	if (v == NULL)
		return if_absent;
	if (!clock_parse_iso8601(v, &ms)) {
		request_field_error(rq, name, "must be an ISO-8601 date-time with an offset");
		return if_absent;
	}
	if ((out = arena_alloc(rq->ctx.arena, CLOCK_DB_LEN)) != NULL)
		clock_db_datetime(ms, out);
	return out;
}

enum err
api_meeting_list(struct request *rq, struct response *rs)
{
	struct list_filter f = { .from = "1970-01-01 00:00:00.000", .to = "9999-12-31 23:59:59.999",
	    .after_ts = "1970-01-01 00:00:00.000", .after_id = "" };
	const char *limit = request_query(rq, "limit"), *cursor = request_query(rq, "cursor");
	struct meeting *list;
	struct jsonw *w;
	int64_t n = 20;
	size_t i, count, shown;
	enum err e;

	f.status = request_query(rq, "status");
	f.platform = request_query(rq, "platform");
	f.role = request_query(rq, "role");
	if (f.status != NULL && meeting_status_parse(f.status) == MS__MAX)
		request_field_error(rq, "status", "must be scheduled, started, ended or cancelled");
	if (f.platform != NULL && !meeting_platform_known(f.platform))
		request_field_error(rq, "platform", "is not a known platform");
	if (f.role != NULL && member_role_parse(f.role) == ROLE_NONE)
		request_field_error(rq, "role", "must be organizer, co_host, participant or guest");
	if (limit != NULL && parse_i64z(limit, 1, LIST_MAX, &n) != ERR_OK)
		request_field_error(rq, "limit", "must be an integer from 1 to 100");
	f.from = query_time(rq, "from", f.from);
	f.to = query_time(rq, "to", f.to);
	if (cursor != NULL)
		(void)decode_cursor(rq, cursor, &f.after_ts, &f.after_id);
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	f.limit = n + 1;        /* one more tells whether there is a next page */
	if ((e = meetings_list(&rq->ctx, &f, &list, &count)) != ERR_OK)
		return e;
	shown = count > (size_t)n ? (size_t)n : count;
	w = resp_data(rs, 200, "Meetings retrieved successfully");
	jw_obj_open(w);
	jw_key(w, "meetings");
	jw_arr_open(w);
	for (i = 0; i < shown; i++)
		if ((e = meeting_write(&rq->ctx, w, &list[i])) != ERR_OK)
			return e;
	jw_arr_close(w);
	if (count > (size_t)n)
		jw_kstr(w, "next_cursor", encode_cursor(rq, list[shown - 1].scheduled_for_db, list[shown - 1].id));
	else
		jw_knull(w, "next_cursor");
	jw_obj_close(w);
	return ERR_OK;
}

/* --- update ------------------------------------------------------------------ */

enum {
	U_TITLE, U_DESCRIPTION, U_START, U_DURATION, U_TIMEZONE, U_LIMIT, U_REQUIRE_PASSWORD,
	U_WAITING_ROOM, NU
};

/* The create rules, nothing required; platform and event fixed. */
static const struct field_spec update_fields[NU] = {
	[U_TITLE] = { "title", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	[U_DESCRIPTION] = { "description", FT_STRING, 0, 0, 5000 },
	[U_START] = { "scheduled_for", FT_STRING, FF_NO_CONTROL, 20, 35 },
	[U_DURATION] = { "duration", FT_INTEGER, 0, 1, 1440 },
	[U_TIMEZONE] = { "timezone", FT_STRING, FF_NO_CONTROL, 1, 64 },
	[U_LIMIT] = { "participant_limit", FT_INTEGER, 0, 1, 10000 },
	[U_REQUIRE_PASSWORD] = { "require_password", FT_BOOLEAN, 0, 0, 0 },
	[U_WAITING_ROOM] = { "waiting_room", FT_BOOLEAN, 0, 0, 0 },
};

enum err
api_meeting_update(struct request *rq, struct response *rs)
{
	struct field_value v[NU];
	struct meeting_changes ch;
	struct buf out;
	int i, n = 0;
	enum err e;

	memset(v, 0, sizeof(v));
	memset(&ch, 0, sizeof(ch));
	e = validate_body(rq, update_fields, NU, v);
	if (e != ERR_OK && (e != ERR_VALIDATION_FAILED || rq->ctx.err.nfields == 0))
		return e;
	for (i = 0; i < NU; i++)
		n += v[i].present;
	if (n == 0 && rq->ctx.err.nfields == 0)
		return request_fail(rq, ERR_VALIDATION_FAILED, "Nothing to update: send at least one field");
	create_body_check_when(rq, "scheduled_for", v[U_START].present ? validate_dup(rq, &v[U_START]) : NULL,
	    "timezone", v[U_TIMEZONE].present ? validate_dup(rq, &v[U_TIMEZONE]) : NULL, &ch.start_ms);
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	ch.set_title = v[U_TITLE].present;
	ch.title = validate_dup(rq, &v[U_TITLE]);
	ch.set_description = v[U_DESCRIPTION].present;
	ch.description = validate_dup(rq, &v[U_DESCRIPTION]);
	ch.set_start = v[U_START].present;
	ch.set_duration = v[U_DURATION].present;
	ch.duration = v[U_DURATION].i;
	ch.set_timezone = v[U_TIMEZONE].present;
	ch.timezone = validate_dup(rq, &v[U_TIMEZONE]);
	ch.set_limit = v[U_LIMIT].present;
	ch.participant_limit = v[U_LIMIT].i;
	ch.set_require_password = v[U_REQUIRE_PASSWORD].present;
	ch.require_password = v[U_REQUIRE_PASSWORD].b;
	ch.set_waiting_room = v[U_WAITING_ROOM].present;
	ch.waiting_room = v[U_WAITING_ROOM].b;
	if ((e = request_if_match(rq, &ch.if_match)) != ERR_OK)
		return e;
	e = meetings_update(&rq->ctx, rq->params[0], &ch, &out);
	return send_canonical(rs, 200, "Meeting updated successfully", &out, e);
}

/* --- start, end, cancel -------------------------------------------------------- */

enum err
api_meeting_start(struct request *rq, struct response *rs)
{
	struct transition t;
	struct jsonw *w;
	enum err e;

	e = meetings_transition(&rq->ctx, rq->params[0], MA_START, &t);
	buf_free(&t.meeting);
	if (e != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Meeting started successfully");
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", t.meeting_id);
	jw_kstr(w, "started_by", t.by);
	jw_kstr(w, "started_at", t.at);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_meeting_end(struct request *rq, struct response *rs)
{
	struct transition t;
	struct jsonw *w;
	enum err e;

	e = meetings_transition(&rq->ctx, rq->params[0], MA_END, &t);
	buf_free(&t.meeting);
	if (e != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Meeting ended successfully");
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", t.meeting_id);
	jw_kstr(w, "ended_by", t.by);
	jw_kstr(w, "ended_at", t.at);
	jw_kint(w, "duration_minutes", t.duration_minutes);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_meeting_cancel(struct request *rq, struct response *rs)
{
	struct transition t;
	enum err e;

	e = meetings_transition(&rq->ctx, rq->params[0], MA_CANCEL, &t);
	return send_canonical(rs, 200, "Meeting cancelled successfully", &t.meeting, e);
}

/* The Goravel status shape; "started" is its "in_progress". */
enum err
api_meeting_status(struct request *rq, struct response *rs)
{
	static const char *const wire[] = { "scheduled", "in_progress", "ended", "cancelled" };
	const char *refresh = request_query(rq, "refresh");
	struct meeting_status_view v;
	struct jsonw *w;
	enum err e;

	if ((e = meetings_status(&rq->ctx, rq->params[0], refresh != NULL && strcmp(refresh, "true") == 0,
	    &v)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Meeting status retrieved successfully");
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", v.m.id);
	jw_kstr(w, "status", wire[v.m.status]);
	jw_kbool(w, "is_active", v.m.status == MS_STARTED);
	jw_kstr_or_null(w, "started_at", v.m.started_at);
	jw_kstr_or_null(w, "ended_at", v.m.ended_at);
	jw_kint(w, "attendance_count", v.attendance_count);
	jw_kbool(w, "is_recording", false);
	jw_kint(w, "active_participants", v.active_participants);
	jw_obj_close(w);
	return ERR_OK;
}

/* --- credentials ----------------------------------------------------------------- */

enum err
api_meeting_new_invite(struct request *rq, struct response *rs)
{
	struct buf out;
	enum err e = meetings_regenerate(&rq->ctx, rq->params[0], true, &out);

	return send_canonical(rs, 200, "Invitation link regenerated", &out, e);
}

enum err
api_meeting_new_passcode(struct request *rq, struct response *rs)
{
	struct buf out;
	enum err e = meetings_regenerate(&rq->ctx, rq->params[0], false, &out);

	return send_canonical(rs, 200, "Passcode regenerated", &out, e);
}

/* --- members ----------------------------------------------------------------------- */

static const struct field_spec member_fields[] = {
	{ "role", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 1, 32 },
};

static enum err
render_member(struct request *rq, struct response *rs, const char *role)
{
	struct jsonw *w = resp_data(rs, 200, role != NULL ? "Member updated" : "Member removed");

	jw_obj_open(w);
	jw_kstr(w, "meeting_id", rq->params[0]);
	jw_kstr(w, "user_id", rq->params[1]);
	jw_kstr_or_null(w, "role", role);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_meeting_member_set(struct request *rq, struct response *rs)
{
	struct field_value v[1];
	const char *role;
	enum member_role r;
	enum err e;

	if ((e = validate_body(rq, member_fields, 1, v)) != ERR_OK)
		return e;
	role = validate_dup(rq, &v[0]);
	r = member_role_parse(role);
	if (r != ROLE_CO_HOST && r != ROLE_PARTICIPANT && r != ROLE_GUEST)
		return request_field_error(rq, "role", "must be co_host, participant or guest");
	if ((e = meetings_set_member(&rq->ctx, rq->params[0], rq->params[1], role)) != ERR_OK)
		return e;
	return render_member(rq, rs, role);
}

enum err
api_meeting_member_delete(struct request *rq, struct response *rs)
{
	enum err e;

	if ((e = meetings_set_member(&rq->ctx, rq->params[0], rq->params[1], NULL)) != ERR_OK)
		return e;
	return render_member(rq, rs, NULL);
}

/* --- audit -------------------------------------------------------------------------- */

enum err
api_meeting_audit(struct request *rq, struct response *rs)
{
	const char *limit = request_query(rq, "limit"), *cursor = request_query(rq, "cursor");
	int64_t n = 50, before = INT64_MAX;
	struct audit_entry *list;
	struct jsonw *w;
	size_t i, count, shown;
	enum err e;

	bool bad_limit = limit != NULL && parse_i64z(limit, 1, AUDIT_MAX, &n) != ERR_OK;
	bool bad_cursor = cursor != NULL && parse_i64z(cursor, 1, INT64_MAX, &before) != ERR_OK;

	/* who may read comes first (404, 403), then the query's values */
	if ((e = meetings_audit(&rq->ctx, rq->params[0], bad_cursor ? INT64_MAX : before,
	    bad_limit ? 1 : n + 1, &list, &count)) != ERR_OK)
		return e;
	if (bad_limit)
		request_field_error(rq, "limit", "must be an integer from 1 to 100");
	if (bad_cursor)
		request_field_error(rq, "cursor", "is not a cursor this server gave");
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	shown = count > (size_t)n ? (size_t)n : count;
	w = resp_data(rs, 200, "Audit log retrieved successfully");
	jw_obj_open(w);
	jw_key(w, "entries");
	jw_arr_open(w);
	for (i = 0; i < shown; i++) {
		jw_obj_open(w);
		jw_kint(w, "id", list[i].id);
		jw_kstr(w, "action", list[i].action);
		jw_kstr(w, "actor_id", list[i].actor_id);
		jw_kstr(w, "client_addr", list[i].client_addr);
		jw_kstr(w, "request_id", list[i].request_id);
		jw_key(w, "details");
		/* written by the domain with the JSON writer */
		if (list[i].details != NULL)
			jw_raw(w, list[i].details, strlen(list[i].details));
		else
			jw_null(w);
		jw_kstr(w, "created_at", list[i].created_at);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	if (count > (size_t)n)
		jw_kstr(w, "next_cursor", arena_printf(rq->ctx.arena, "%lld", (long long)list[shown - 1].id));
	else
		jw_knull(w, "next_cursor");
	jw_obj_close(w);
	return ERR_OK;
}
