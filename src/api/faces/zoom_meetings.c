/*
 * zoom_meetings.c — 002's /api/zoom/meetings: meetings on the caller's own
 * connected Zoom account, in that document's ZoomMeeting shape.
 *
 * A 002 meeting is an ordinary meetd meeting on platform "zoom" whose
 * remote_account is its organizer: it is created by the canonical use case
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

#include <jansson.h>

#include "api/api.h"
#include "api/create_body.h"
#include "domain/connections.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/meeting.h"
#include "domain/meetings.h"

#define LIST_MAX 500
#define DAY_MS (24LL * 3600 * 1000)

/* { topic, startTime, duration }, with Zoom's agenda and a zone; on the
 * caller's own account, with a password and a waiting room. */
static const struct create_dialect zoom_user_dialect = {
	.name = { [CF_TITLE] = "topic", [CF_START] = "startTime", [CF_DURATION] = "duration",
	    [CF_DESCRIPTION] = "agenda", [CF_TIMEZONE] = "timezone" },
	.max = { [CF_DESCRIPTION] = 2000 },
	.required = CF_BIT(CF_TITLE) | CF_BIT(CF_START) | CF_BIT(CF_DURATION),
	.platform = "zoom",
	.default_duration = 60,
	.waiting_room_default = true,
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

/* One ZoomMeeting, from the meeting's canonical JSON as its organizer
 * sees it (the passcode is theirs). */
static void
write_zoom_meeting(struct jsonw *w, json_t *m)
{
#define S(k) json_string_value(json_object_get(m, k))
	jw_obj_open(w);
	jw_kstr(w, "id", S("id"));
	jw_kstr(w, "userId", S("organizer_id"));
	jw_kstr_or_null(w, "meetingId", S("platform_meeting_id"));
	jw_kstr(w, "topic", S("title"));
	jw_kstr(w, "status", status_face(meeting_status_parse(S("status"))));
	jw_kstr(w, "startTime", S("scheduled_for"));
	jw_kint(w, "duration", json_integer_value(json_object_get(m, "duration")));
	jw_kstr_or_null(w, "joinUrl", S("meeting_url"));
	jw_kstr_or_null(w, "password", S("passcode"));
	jw_key(w, "settings");
	jw_obj_open(w);
	jw_kstr(w, "timezone", S("timezone"));
	jw_kbool(w, "requirePassword", json_is_true(json_object_get(m, "require_password")));
	jw_kbool(w, "waitingRoom", json_is_true(json_object_get(m, "waiting_room")));
	jw_obj_close(w);
	jw_kstr_or_null(w, "recordingUrl", S("recording_url"));
	jw_key(w, "metadata");
	jw_obj_open(w);
	jw_kstr_or_null(w, "agenda", S("description"));
	jw_kstr_or_null(w, "zoomStatus", S("platform_status"));
	jw_obj_close(w);
	jw_kstr(w, "createdAt", S("created_at"));
	jw_kstr(w, "updatedAt", S("updated_at"));
	jw_obj_close(w);
#undef S
}

/* The integration's create answer NextResponse.json({ meeting }). */
static void
write_created(struct jsonw *w, json_t *m)
{
	jw_obj_open(w);
	jw_key(w, "meeting");
	write_zoom_meeting(w, m);
	jw_obj_close(w);
}

enum err
zoom_user_meeting_created(struct request *rq, struct response *rs, int status, const char *outcome)
{
	(void)rq;
	(void)status;
	return face_render_outcome(rs, outcome, write_created);
}

/* POST /api/zoom/meetings {topic, startTime, duration} */
enum err
zoom_user_meeting_create(struct request *rq, struct response *rs)
{
	char id[ULID_LEN + 1];
	struct new_meeting nm;
	struct buf out;
	enum err e;

	enum err connected = connections_zoom_check(&rq->ctx);

	if (connected == ERR_ZOOM_NOT_CONFIGURED)
		return connected;
	if ((e = create_body_parse(rq, &zoom_user_dialect, &nm)) != ERR_OK || (e = connected) != ERR_OK)
		return e;
	nm.remote_account = rq->ctx.who.subject;
	nm.require_password = true;     /* "meeting password requirements" */
	e = meetings_create(&rq->ctx, &nm, id, &out);
	if (e == ERR_OK && out.failed)
		e = ERR_NOMEM;
	if (e == ERR_OK)
		e = zoom_user_meeting_created(rq, rs, 201, buf_cstr(&out));
	buf_free(&out);
	return e;
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
	struct meeting *list;
	struct jsonw *w;
	size_t i, n;
	enum err e;

	if ((e = connections_zoom_check(&rq->ctx)) == ERR_ZOOM_NOT_CONFIGURED)
		return e;
	if (status_q != NULL && (status = status_ours(status_q)) == NULL)
		request_field_error(rq, "status", "must be SCHEDULED, STARTED, ENDED or CANCELED");
	has_from = query_day(rq, "startDate", &from_ms);
	has_to = query_day(rq, "endDate", &to_ms);
	if (has_from && has_to && to_ms < from_ms)
		request_field_error(rq, "endDate", "must not be before startDate");
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	if (e != ERR_OK)
		return e;
	clock_db_datetime(has_from ? from_ms : 0, from);
	clock_db_datetime(has_to ? to_ms + DAY_MS : clock_add_years_ms(clock_wall_ms(), 100), to);
	if ((e = meetings_on_my_zoom(&rq->ctx, from, to, status, LIST_MAX, &list, &n)) != ERR_OK)
		return e;
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_key(w, "meetings");
	jw_arr_open(w);
	for (i = 0; i < n; i++) {
		struct buf one;
		struct jsonw ow;
		json_t *m;

		/* the same canonical view the create answer is made from */
		buf_init(&one, 64 * 1024);
		jw_init(&ow, &one);
		if ((e = meeting_write(&rq->ctx, &ow, &list[i])) == ERR_OK &&
		    (m = json_loads(buf_cstr(&one), 0, NULL)) != NULL) {
			write_zoom_meeting(w, m);
			json_decref(m);
		} else if (e == ERR_OK) {
			e = ERR_INTERNAL;
		}
		buf_free(&one);
		if (e != ERR_OK)
			return e;
	}
	jw_arr_close(w);
	jw_obj_close(w);
	return ERR_OK;
}
