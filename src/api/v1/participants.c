/*
 * participants.c — the canonical participant routes: join (by id, or by
 * code and passcode or invitation token), leave, the participant list and
 * invitation lookups. Each parses, calls one use case of
 * src/domain/participants.c, and renders.
 */
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "config/config.h"
#include "core/app.h"
#include "domain/meetings.h"

enum { J_CONNECTION, J_DEVICE, J_MUTED, J_NO_VIDEO, J_PASSCODE, J_TOKEN, J_CODE, NJ };

static const struct field_spec join_fields[NJ] = {
	[J_CONNECTION] = { "connection_id", FT_STRING, FF_NO_CONTROL, 1, 128 },
	[J_DEVICE] = { "device_type", FT_STRING, FF_NO_CONTROL, 1, 16 },
	[J_MUTED] = { "join_muted", FT_BOOLEAN, 0, 0, 0 },
	[J_NO_VIDEO] = { "join_without_video", FT_BOOLEAN, 0, 0, 0 },
	[J_PASSCODE] = { "passcode", FT_STRING, FF_NO_CONTROL, 1, 32 },
	[J_TOKEN] = { "invitation_token", FT_STRING, FF_NO_CONTROL, 1, 128 },
	[J_CODE] = { "meeting_code", FT_STRING, FF_NO_CONTROL, 1, 32 },
};

static const char *const device_types[] = { "desktop", "mobile", "tablet", "web", "phone", "other" };

static char *
dup_value(struct request *rq, const struct field_value *v)
{
	return v->present ? arena_strndup(rq->ctx.arena, v->s, v->len) : NULL;
}

/* Reads the join body (with or without meeting_code). */
static enum err
parse_join(struct request *rq, bool with_code, struct join_request *j, const char **code)
{
	struct field_value v[NJ];
	size_t i, n = with_code ? NJ : NJ - 1;
	bool known = false;
	enum err e;

	memset(j, 0, sizeof(*j));
	if (rq->json == NULL && !with_code) {
		/* 001 shows join with a body, but an empty one is a plain join */
		memset(v, 0, sizeof(v));
	} else if ((e = validate_body(rq, join_fields, n, v)) != ERR_OK) {
		return e;
	}
	j->connection_id = dup_value(rq, &v[J_CONNECTION]);
	j->device_type = dup_value(rq, &v[J_DEVICE]);
	for (i = 0; j->device_type != NULL && i < sizeof(device_types) / sizeof(device_types[0]); i++)
		known |= strcmp(j->device_type, device_types[i]) == 0;
	if (j->device_type != NULL && !known)
		return request_field_error(rq, "device_type",
		    "must be desktop, mobile, tablet, web, phone or other");
	j->join_muted = v[J_MUTED].present && v[J_MUTED].b;
	j->join_without_video = v[J_NO_VIDEO].present && v[J_NO_VIDEO].b;
	j->passcode = dup_value(rq, &v[J_PASSCODE]);
	j->invitation_token = dup_value(rq, &v[J_TOKEN]);
	if (code != NULL)
		*code = with_code ? dup_value(rq, &v[J_CODE]) : NULL;
	return ERR_OK;
}

static void
write_joined(struct request *rq, struct jsonw *w, const struct joined *s)
{
	jw_obj_open(w);
	jw_kstr(w, "participant_id", s->participant_id);
	jw_kstr(w, "meeting_id", s->meeting_id);
	jw_kstr(w, "user_id", rq->ctx.who.subject);
	jw_kstr(w, "role", s->role);
	jw_kstr(w, "status", "joined");
	jw_kbool(w, "is_muted", s->is_muted);
	jw_kbool(w, "is_video_enabled", s->is_video_enabled);
	jw_kstr(w, "joined_at", s->joined_at);
	jw_obj_close(w);
}

enum err
api_meeting_join(struct request *rq, struct response *rs)
{
	struct join_request j;
	struct joined s;
	enum err e;

	if ((e = parse_join(rq, false, &j, NULL)) != ERR_OK)
		return e;
	if ((e = meetings_join(&rq->ctx, rq->params[0], &j, ERR_MEETING_NOT_FOUND, &s)) != ERR_OK)
		return e;
	write_joined(rq, resp_data(rs, 200, "Joined meeting successfully"), &s);
	return ERR_OK;
}

/* POST /api/v1/meetings/join: by code and passcode, or by invitation token. */
enum err
api_meeting_join_by_code(struct request *rq, struct response *rs)
{
	struct join_request j;
	struct invitation inv;
	const char *code, *id = NULL;
	struct joined s;
	enum err e;

	if ((e = parse_join(rq, true, &j, &code)) != ERR_OK)
		return e;
	if (j.invitation_token != NULL) {
		if ((e = meetings_invitation(&rq->ctx, j.invitation_token, &inv)) != ERR_OK)
			return e == ERR_INVITATION_NOT_FOUND ? ERR_INVALID_MEETING_CREDENTIALS : e;
		id = inv.meeting_id;
	} else if (code == NULL || j.passcode == NULL) {
		return request_fail(rq, ERR_VALIDATION_FAILED,
		    "Send meeting_code and passcode, or invitation_token");
	} else if ((e = meetings_check_code(&rq->ctx, code, j.passcode, &id)) != ERR_OK) {
		return e;
	}
	j.credentials_checked = true;
	if ((e = meetings_join(&rq->ctx, id, &j, ERR_INVALID_MEETING_CREDENTIALS, &s)) != ERR_OK)
		return e;
	write_joined(rq, resp_data(rs, 200, "Joined meeting successfully"), &s);
	return ERR_OK;
}

enum err
api_meeting_leave(struct request *rq, struct response *rs)
{
	struct left l;
	struct jsonw *w;
	enum err e;

	if ((e = meetings_leave(&rq->ctx, rq->params[0], &l)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Left meeting successfully");
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", l.meeting_id);
	jw_kstr(w, "left_at", l.left_at);
	jw_kint(w, "duration_minutes", l.duration_minutes);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_meeting_participants(struct request *rq, struct response *rs)
{
	struct participant *list;
	struct jsonw *w;
	size_t i, n;
	enum err e;

	if ((e = meetings_participants(&rq->ctx, rq->params[0], &list, &n)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Participants retrieved successfully");
	jw_arr_open(w);
	for (i = 0; i < n; i++) {
		jw_obj_open(w);
		jw_kstr(w, "participant_id", list[i].participant_id);
		jw_kstr(w, "user_id", list[i].user_id);
		jw_kstr(w, "user_name", list[i].user_name);
		jw_kstr(w, "role", list[i].role);
		jw_kstr(w, "status", list[i].status);
		jw_kbool(w, "is_muted", list[i].is_muted);
		jw_kbool(w, "is_video_enabled", list[i].is_video_enabled);
		jw_kbool(w, "is_screen_sharing", list[i].is_screen_sharing);
		jw_kbool(w, "is_hand_raised", list[i].is_hand_raised);
		jw_kstr(w, "joined_at", list[i].joined_at);
		jw_kstr(w, "device_type", list[i].device_type);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	return ERR_OK;
}

/* GET /api/v1/invitations/:token — what an invitee sees: the meeting, and
 * its passcode so they need not type it. */
enum err
api_invitation_get(struct request *rq, struct response *rs)
{
	struct invitation inv;
	struct jsonw *w;
	enum err e;

	if ((e = meetings_invitation(&rq->ctx, rq->params[0], &inv)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Invitation retrieved successfully");
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", inv.meeting_id);
	jw_kstr(w, "meeting_code", inv.code);
	jw_kstr(w, "title", inv.title);
	jw_kstr(w, "passcode", inv.passcode);
	jw_kstr(w, "host_id", inv.host_id);
	jw_kstr(w, "host_name", inv.host_name);
	jw_kstr(w, "scheduled_for", inv.scheduled_for);
	jw_kint(w, "duration", inv.duration);
	jw_kstr(w, "timezone", inv.timezone);
	jw_kstr(w, "status", inv.status);
	jw_kstr(w, "created_at", inv.created_at);
	jw_obj_close(w);
	return ERR_OK;
}
