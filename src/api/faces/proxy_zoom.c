/*
 * proxy_zoom.c — 000's Zoom proxy under /api/meetings/proxy/zoom/ in that
 * document's shapes: a camelCase create body, bare JSON answers, Zoom's
 * meeting id in the path. A proxied meeting is an ordinary meetd meeting
 * on platform "zoom" (created through meetings_create, so provisioning,
 * limits, audit and outbox apply); only members see it and only hosts
 * cancel it. Errors keep meetd's envelope.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/credentials.h"
#include "store/db.h"
#include "domain/meeting.h"
#include "domain/meetings.h"
#include "platforms/provider.h"
#include "domain/remote.h"
#include "api/validate.h"

enum {
	P_TITLE, P_DESCRIPTION, P_SCHEDULED_FOR, P_DURATION, P_TIMEZONE, P_PARTICIPANT_LIMIT,
	P_REQUIRE_PASSWORD, P_WAITING_ROOM, P_NFIELDS
};

/* 000 "Create Zoom Meeting": meetd's rules under 000's names. */
static const struct field_spec create_fields[P_NFIELDS] = {
	[P_TITLE] = { "title", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	[P_DESCRIPTION] = { "description", FT_STRING, 0, 0, 5000 },
	[P_SCHEDULED_FOR] = { "scheduledFor", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 20, 35 },
	[P_DURATION] = { "duration", FT_INTEGER, FF_REQUIRED, 1, 1440 },
	[P_TIMEZONE] = { "timezone", FT_STRING, FF_NO_CONTROL, 1, 64 },
	[P_PARTICIPANT_LIMIT] = { "participantLimit", FT_INTEGER, 0, 1, 10000 },
	[P_REQUIRE_PASSWORD] = { "requirePassword", FT_BOOLEAN, 0, 0, 0 },
	[P_WAITING_ROOM] = { "waitingRoom", FT_BOOLEAN, 0, 0, 0 },
};

static enum err
parse_create(struct request *rq, struct new_meeting *nm)
{
	struct field_value v[P_NFIELDS];
	enum err e;

	memset(nm, 0, sizeof(*nm));
	memset(v, 0, sizeof(v));
	e = validate_body(rq, create_fields, P_NFIELDS, v);
	if (e != ERR_OK && (e != ERR_VALIDATION_FAILED || rq->ctx.err.nfields == 0))
		return e;
	meetings_check_when(rq, "scheduledFor", &v[P_SCHEDULED_FOR], "timezone", &v[P_TIMEZONE],
	    &nm->scheduled_ms);
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	nm->platform = "zoom";
	nm->title = validate_dup(rq, &v[P_TITLE]);
	nm->description = validate_dup(rq, &v[P_DESCRIPTION]);
	nm->timezone = v[P_TIMEZONE].present ? validate_dup(rq, &v[P_TIMEZONE]) : "UTC";
	nm->duration = v[P_DURATION].i;
	nm->participant_limit = v[P_PARTICIPANT_LIMIT].present ? v[P_PARTICIPANT_LIMIT].i : 0;
	nm->require_password = v[P_REQUIRE_PASSWORD].present ? v[P_REQUIRE_PASSWORD].b : true;
	nm->waiting_room = v[P_WAITING_ROOM].present ? v[P_WAITING_ROOM].b : true;
	return ERR_OK;
}

/* POST /api/meetings/proxy/zoom/create */
enum err
proxy_zoom_create(struct request *rq, struct response *rs)
{
	const char *passcode, *host_url, *host_key, *dial_pw;
	struct new_meeting nm;
	struct meeting m;
	struct jsonw *w;
	enum err e;

	if ((e = provider_ready(&provider_zoom, rq->ctx.app->cfg)) != ERR_OK)
		return e;
	if ((e = parse_create(rq, &nm)) != ERR_OK)
		return e;
	if ((e = meetings_create_for_face(rq, &nm, &m)) != ERR_OK ||
	    (e = cred_open(rq, m.id, "passcode", &m.passcode_box, &passcode)) != ERR_OK ||
	    (e = cred_open(rq, m.id, "host_url", &m.host_url_box, &host_url)) != ERR_OK ||
	    (e = cred_open(rq, m.id, "host_key", &m.host_key_box, &host_key)) != ERR_OK ||
	    (e = cred_open(rq, m.id, "dial_in_password", &m.dial_in_password_box, &dial_pw)) != ERR_OK)
		return e;
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kstr_or_null(w, "meetingId", m.platform_meeting_id);
	jw_kstr_or_null(w, "joinUrl", m.meeting_url);
	jw_kstr_or_null(w, "password", passcode);
	jw_kstr_or_null(w, "hostUrl", host_url);
	jw_kstr_or_null(w, "hostKey", host_key);
	jw_kstr_or_null(w, "dialInNumber", m.dial_in_number);
	jw_kstr_or_null(w, "dialInPassword", dial_pw);
	jw_obj_close(w);
	return ERR_OK;
}

/* The meetd meeting behind Zoom meeting `zoom_id`, as the caller sees it:
 * not a member (or no such meeting) is 404 alike. */
static enum err
load_by_zoom_id(struct request *rq, const char *zoom_id, struct meeting *m)
{
	struct db_val p = DB_STR(zoom_id);
	struct db_rows rows;
	size_t i;
	enum err e;

	if ((e = provider_ready(&provider_zoom, rq->ctx.app->cfg)) != ERR_OK)
		return e;
	for (i = 0; zoom_id[i] != '\0'; i++)
		if (zoom_id[i] < '0' || zoom_id[i] > '9' || i >= 20)
			return ERR_MEETING_NOT_FOUND;
	if ((e = db_exec(rq->ctx.app->db, STMT_ZOOM_MEETING_BY_REMOTE, &p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_MEETING_NOT_FOUND;
	return meeting_load(rq, rq->ctx.app->db, db_cell(&rows, 0, 0), false, m);
}

/* POST /api/meetings/proxy/zoom/{meetingId}/cancel: the canonical cancel
 * (Zoom first, then meetd's record, audit and outbox). */
enum err
proxy_zoom_cancel(struct request *rq, struct response *rs)
{
	const char *zoom_id = rq->params[0];
	struct meeting m;
	struct jsonw *w;
	char msg[128];
	enum err e;

	if ((e = load_by_zoom_id(rq, zoom_id, &m)) != ERR_OK)
		return e;
	rq->params[0] = m.id;
	if ((e = api_meeting_cancel(rq, rs)) != ERR_OK)
		return e;
	snprintf(msg, sizeof(msg), "Meeting %s cancelled successfully", zoom_id);
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kbool(w, "success", true);
	jw_kstr(w, "message", msg);
	jw_obj_close(w);
	return ERR_OK;
}

/* GET /api/meetings/proxy/zoom/{meetingId}/status: Zoom's status, read at
 * most every five minutes; a meeting cancelled in meetd says so. */
enum err
proxy_zoom_status(struct request *rq, struct response *rs)
{
	char start[CLOCK_ISO_LEN];
	struct db_rows rows;
	struct meeting m;
	struct db_val p;
	struct jsonw *w;
	const char *status;
	int64_t ms, count = 0;
	enum err e;

	if ((e = load_by_zoom_id(rq, rq->params[0], &m)) != ERR_OK)
		return e;
	if (m.status != MS_CANCELLED && (e = remote_refresh_status(rq, &m, false)) != ERR_OK)
		return e;
	if (m.status == MS_CANCELLED || m.status == MS_ENDED || m.remote_status == NULL)
		status = meeting_status_name(m.status);
	else
		status = m.remote_status;
	p = DB_STR(m.id);
	if ((e = db_exec(rq->ctx.app->db, STMT_ZOOM_PARTICIPANTS_OPEN, &p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 1 && db_cell(&rows, 0, 0) != NULL)
		count = strtoll(db_cell(&rows, 0, 0), NULL, 10);
	if (!clock_parse_iso8601(m.scheduled_for, &ms))
		return ERR_INTERNAL;
	clock_iso8601(ms / 1000, start);
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kstr(w, "meetingId", m.platform_meeting_id);
	jw_kstr(w, "status", status);
	jw_kstr(w, "startTime", start);
	jw_kint(w, "duration", m.duration);
	jw_kint(w, "participantCount", count);
	jw_obj_close(w);
	return ERR_OK;
}
