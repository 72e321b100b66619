/*
 * proxy_zoom.c — 000's Zoom proxy under /api/meetings/proxy/zoom/ in that
 * document's shapes: a camelCase create body, bare JSON answers, Zoom's
 * meeting id in the path. A proxied meeting is an ordinary meetd meeting
 * on platform "zoom" (created by the canonical use case, so provisioning,
 * limits, audit and outbox apply); only members see it and only hosts
 * cancel it. Errors keep meetd's envelope.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/create_body.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/meeting.h"
#include "domain/meetings.h"

/* "Create Zoom Meeting": meetd's rules under the Wakeve spec's names. */
static const struct create_dialect zoom_dialect = {
	.name = { [CF_TITLE] = "title", [CF_DESCRIPTION] = "description", [CF_START] = "scheduledFor",
	    [CF_DURATION] = "duration", [CF_TIMEZONE] = "timezone", [CF_LIMIT] = "participantLimit",
	    [CF_REQUIRE_PASSWORD] = "requirePassword", [CF_WAITING_ROOM] = "waitingRoom" },
	.required = CF_BIT(CF_TITLE) | CF_BIT(CF_START) | CF_BIT(CF_DURATION),
	.platform = "zoom",
	.default_duration = 60,
	.waiting_room_default = true,
};

/* The Wakeve create answer (the organizer's view, which carries the
 * host's secrets). */
static void
write_zoom_created(struct jsonw *w, json_t *m)
{
	static const char *const map[][2] = {
		{ "meetingId", "platform_meeting_id" }, { "joinUrl", "meeting_url" }, { "password", "passcode" },
		{ "hostUrl", "host_url" }, { "hostKey", "host_key" }, { "dialInNumber", "dial_in_number" },
		{ "dialInPassword", "dial_in_password" },
	};
	size_t i;

	jw_obj_open(w);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		jw_kstr_or_null(w, map[i][0], json_string_value(json_object_get(m, map[i][1])));
	jw_obj_close(w);
}

enum err
proxy_zoom_created(struct request *rq, struct response *rs, int status, const char *outcome)
{
	(void)rq;
	(void)status;
	return face_render_outcome(rs, outcome, write_zoom_created);
}

/* POST /api/meetings/proxy/zoom/create */
enum err
proxy_zoom_create(struct request *rq, struct response *rs)
{
	char id[ULID_LEN + 1];
	struct new_meeting nm;
	struct buf out;
	enum err e;

	if ((e = meetings_platform_ready(&rq->ctx, "zoom")) != ERR_OK)
		return e;
	if ((e = create_body_parse(rq, &zoom_dialect, &nm)) != ERR_OK)
		return e;
	e = meetings_create(&rq->ctx, &nm, id, &out);
	if (e == ERR_OK && out.failed)
		e = ERR_NOMEM;
	if (e == ERR_OK)
		e = proxy_zoom_created(rq, rs, 201, buf_cstr(&out));
	buf_free(&out);
	return e;
}

/* The meetd meeting behind Zoom meeting `zoom_id`, as the caller sees it:
 * not a member (or no such meeting) is 404 alike. */
static enum err
load_by_zoom_id(struct request *rq, const char *zoom_id, struct meeting *m)
{
	size_t i;
	enum err e;

	if ((e = meetings_platform_ready(&rq->ctx, "zoom")) != ERR_OK)
		return e;
	for (i = 0; zoom_id[i] != '\0'; i++)
		if (zoom_id[i] < '0' || zoom_id[i] > '9' || i >= 20)
			return ERR_MEETING_NOT_FOUND;
	return meetings_find_by_remote(&rq->ctx, "zoom", zoom_id, m);
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

	struct transition t;

	if ((e = load_by_zoom_id(rq, zoom_id, &m)) != ERR_OK)
		return e;
	e = meetings_transition(&rq->ctx, m.id, MA_CANCEL, &t);
	buf_free(&t.meeting);
	if (e != ERR_OK)
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
	struct meeting_status_view v;
	struct meeting m;
	struct jsonw *w;
	const char *status;
	int64_t ms, count = 0;
	enum err e;

	if ((e = load_by_zoom_id(rq, rq->params[0], &m)) != ERR_OK)
		return e;
	/* Zoom's status, read at most every five minutes (not once cancelled) */
	if (m.status != MS_CANCELLED) {
		if ((e = meetings_status(&rq->ctx, m.id, false, &v)) != ERR_OK)
			return e;
		m = v.m;
	}
	if (m.status == MS_CANCELLED || m.status == MS_ENDED || m.remote_status == NULL)
		status = meeting_status_name(m.status);
	else
		status = m.remote_status;
	if ((e = meetings_remote_participants(&rq->ctx, m.id, &count)) != ERR_OK)
		return e;
	if (!clock_parse_iso8601(m.scheduled_for, &ms))
		return ERR_DB_SCHEMA;
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
