/*
 * zoom_meetings.c — 002's /api/zoom/meetings: meetings on the caller's own
 * connected Zoom account, in that document's ZoomMeeting shape.
 *
 * A 002 meeting is an ordinary meetd meeting on platform "zoom" whose
 * remote_account is its organizer: it is created through meetings_create
 * (provisioning with its reconcile step, limits, audit, outbox) with the
 * user's own grant, and later updates, cancels and status reads through
 * /api/v1/meetings use that grant too. The list is meetd's record of those
 * meetings (with the statuses Zoom's webhooks and status reads gave it),
 * which is what 002's ZoomMeeting table holds; Zoom itself cannot list
 * ended or cancelled meetings. Answers are bare JSON; errors keep meetd's
 * envelope.
 */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/credentials.h"
#include "domain/meeting.h"
#include "domain/meetings.h"
#include "api/validate.h"
#include "platforms/zoom.h"

#define LIST_MAX 500
#define DAY_MS (24LL * 3600 * 1000)

enum { Z_TOPIC, Z_START_TIME, Z_DURATION, Z_AGENDA, Z_TIMEZONE, Z_NFIELDS };

/* 002: { topic, startTime, duration }, with Zoom's agenda and a zone. */
static const struct field_spec create_fields[Z_NFIELDS] = {
	[Z_TOPIC] = { "topic", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	[Z_START_TIME] = { "startTime", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 20, 35 },
	[Z_DURATION] = { "duration", FT_INTEGER, FF_REQUIRED, 1, 1440 },
	[Z_AGENDA] = { "agenda", FT_STRING, 0, 0, 2000 },
	[Z_TIMEZONE] = { "timezone", FT_STRING, FF_NO_CONTROL, 1, 64 },
};

/* 002's MeetingStatus words and meetd's. */
static const struct {
	const char *face, *ours;
} statuses[] = {
	{ "SCHEDULED", "scheduled" },
	{ "STARTED", "started" },
	{ "ENDED", "ended" },
	{ "CANCELED", "cancelled" },
	{ "CANCELLED", "cancelled" },
};

static const char *
status_face(enum meeting_status s)
{
	const char *ours = meeting_status_name(s);
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(statuses[i].ours, ours) == 0)
			return statuses[i].face;
	return "SCHEDULED";
}

static const char *
status_ours(const char *face)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcasecmp(statuses[i].face, face) == 0)
			return statuses[i].ours;
	return NULL;
}

/* One ZoomMeeting. The caller is the organizer: the passcode is theirs. */
static enum err
write_meeting(struct request *rq, struct jsonw *w, const struct meeting *m)
{
	const char *passcode;
	enum err e;

	if ((e = cred_open(rq, m->id, "passcode", &m->passcode_box, &passcode)) != ERR_OK)
		return e;
	jw_obj_open(w);
	jw_kstr(w, "id", m->id);
	jw_kstr(w, "userId", m->organizer_id);
	jw_kstr_or_null(w, "meetingId", m->platform_meeting_id);
	jw_kstr(w, "topic", m->title);
	jw_kstr(w, "status", status_face(m->status));
	jw_kstr(w, "startTime", m->scheduled_for);
	jw_kint(w, "duration", m->duration);
	jw_kstr_or_null(w, "joinUrl", m->meeting_url);
	jw_kstr_or_null(w, "password", passcode);
	jw_key(w, "settings");
	jw_obj_open(w);
	jw_kstr(w, "timezone", m->timezone);
	jw_kbool(w, "requirePassword", m->require_password);
	jw_kbool(w, "waitingRoom", m->waiting_room);
	jw_obj_close(w);
	jw_kstr_or_null(w, "recordingUrl", m->recording_url);
	jw_key(w, "metadata");
	jw_obj_open(w);
	jw_kstr_or_null(w, "agenda", m->description);
	jw_kstr_or_null(w, "zoomStatus", m->remote_status);
	jw_obj_close(w);
	jw_kstr(w, "createdAt", m->created_at);
	jw_kstr(w, "updatedAt", m->updated_at);
	jw_obj_close(w);
	return ERR_OK;
}

static enum err
parse_create(struct request *rq, struct new_meeting *nm)
{
	struct field_value v[Z_NFIELDS];
	enum err e;

	memset(nm, 0, sizeof(*nm));
	memset(v, 0, sizeof(v));
	e = validate_body(rq, create_fields, Z_NFIELDS, v);
	if (e != ERR_OK && (e != ERR_VALIDATION_FAILED || rq->ctx.err.nfields == 0))
		return e;
	meetings_check_when(rq, "startTime", &v[Z_START_TIME], "timezone", &v[Z_TIMEZONE], &nm->scheduled_ms);
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	nm->platform = "zoom";
	nm->remote_account = rq->ctx.who.subject;
	nm->title = validate_dup(rq, &v[Z_TOPIC]);
	nm->description = validate_dup(rq, &v[Z_AGENDA]);
	nm->timezone = v[Z_TIMEZONE].present ? validate_dup(rq, &v[Z_TIMEZONE]) : "UTC";
	nm->duration = v[Z_DURATION].i;
	nm->require_password = true;    /* 002: "meeting password requirements" */
	nm->waiting_room = true;
	return ERR_OK;
}

/* POST /api/zoom/meetings {topic, startTime, duration}: 201 {meeting}. */
enum err
zoom_user_meeting_create(struct request *rq, struct response *rs)
{
	struct new_meeting nm;
	struct meeting m;
	struct jsonw *w;
	enum err e;

	if (!zoom_user_oauth_configured(rq->ctx.app->cfg))
		return ERR_ZOOM_NOT_CONFIGURED;
	if ((e = parse_create(rq, &nm)) != ERR_OK || (e = zoom_user_connected(rq)) != ERR_OK)
		return e;
	if ((e = meetings_create_for_face(rq, &nm, &m)) != ERR_OK)
		return e;
	/* 002's route handler answers NextResponse.json({ meeting }): 200 */
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_key(w, "meeting");
	if ((e = write_meeting(rq, w, &m)) != ERR_OK)
		return e;
	jw_obj_close(w);
	return ERR_OK;
}

/* A YYYY-MM-DD query value as the start of that day (UTC). */
static bool
query_day(struct request *rq, const char *name, int64_t *ms)
{
	const char *s = request_query(rq, name);
	char full[32];

	if (s == NULL)
		return false;
	if (strlen(s) != 10 || snprintf(full, sizeof(full), "%sT00:00:00Z", s) <= 0 ||
	    !clock_parse_iso8601(full, ms)) {
		request_field_error(rq, name, "must be a date such as 2026-01-15");
		return false;
	}
	return true;
}

/* GET /api/zoom/meetings?status=&startDate=&endDate=: {meetings}, by start
 * time; the dates are whole UTC days, both included. */
enum err
zoom_user_meetings_list(struct request *rq, struct response *rs)
{
	const char *status_q = request_query(rq, "status"), *status = NULL;
	char from[CLOCK_DB_LEN], to[CLOCK_DB_LEN];
	int64_t from_ms = 0, to_ms = 0;
	bool has_from, has_to;
	struct db_val p[7];
	struct db_rows rows;
	struct meeting m;
	struct jsonw *w;
	size_t i;
	enum err e;

	if (!zoom_user_oauth_configured(rq->ctx.app->cfg))
		return ERR_ZOOM_NOT_CONFIGURED;
	if (status_q != NULL && (status = status_ours(status_q)) == NULL)
		request_field_error(rq, "status", "must be SCHEDULED, STARTED, ENDED or CANCELED");
	has_from = query_day(rq, "startDate", &from_ms);
	has_to = query_day(rq, "endDate", &to_ms);
	if (has_from && has_to && to_ms < from_ms)
		request_field_error(rq, "endDate", "must not be before startDate");
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	if ((e = zoom_user_connected(rq)) != ERR_OK)
		return e;
	clock_db_datetime(has_from ? from_ms : 0, from);
	clock_db_datetime(has_to ? to_ms + DAY_MS : clock_add_years_ms(clock_wall_ms(), 100), to);
	p[0] = DB_STR(rq->ctx.who.subject);
	p[1] = DB_STR(rq->ctx.who.subject);
	p[2] = DB_STR(from);
	p[3] = DB_STR(to);
	p[4] = DB_STR(status);
	p[5] = DB_STR(status);
	p[6] = DB_I64(LIST_MAX);
	if ((e = db_exec(rq->ctx.app->db, STMT_ZOOM_USER_MEETINGS, p, 7, rq->ctx.arena, &rows, LIST_MAX, NULL)) != ERR_OK)
		return e;
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_key(w, "meetings");
	jw_arr_open(w);
	for (i = 0; i < rows.nrows; i++) {
		meeting_from_row(&rows, i, &m);
		if ((e = write_meeting(rq, w, &m)) != ERR_OK)
			return e;
	}
	jw_arr_close(w);
	jw_obj_close(w);
	return ERR_OK;
}
