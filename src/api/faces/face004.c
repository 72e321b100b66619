/*
 * face004.c — the endpoints of 004 (password-protected rooms) in that
 * document's paths and shapes: bare JSON objects, the meeting code as
 * "meeting_id", the passcode as "password". Only names and shapes are
 * mapped here; creating, joining and listing are the canonical code's.
 * Errors keep meetd's envelope and add FastAPI's "detail" key.
 */
#include <string.h>

#include "api/api.h"
#include "api/create_body.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/credentials.h"
#include "domain/meeting.h"
#include "domain/meetings.h"
#include "domain/remote.h"
#include "api/validate.h"

#define MY_MEETINGS_MAX 500

/* The rooms app's dialect of a create: title required, everything else
 * optional, a native room starting now for an hour; rooms admit at once. */
static const struct create_dialect room_dialect = {
	.name = { [CF_TITLE] = "title", [CF_DESCRIPTION] = "description", [CF_START] = "scheduled_for",
	    [CF_DURATION] = "duration", [CF_TIMEZONE] = "timezone", [CF_LIMIT] = "participant_limit",
	    [CF_REQUIRE_PASSWORD] = "require_password", [CF_WAITING_ROOM] = "waiting_room" },
	.required = CF_BIT(CF_TITLE),
	.platform = "native",
	.default_duration = 60,
	.waiting_room_default = false,
};

/* The rooms app's create answer. FastAPI answers a POST with 200 unless
 * the route sets status_code; the rooms' create does not. */
static void
write_room_created(struct jsonw *w, json_t *m)
{
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", json_string_value(json_object_get(m, "meeting_code")));
	jw_kstr(w, "title", json_string_value(json_object_get(m, "title")));
	jw_kstr(w, "password", json_string_value(json_object_get(m, "passcode")));
	jw_kstr(w, "invitation_token", json_string_value(json_object_get(m, "invitation_token")));
	jw_kstr(w, "created_at", json_string_value(json_object_get(m, "created_at")));
	jw_obj_close(w);
}

enum err
face004_created(struct request *rq, struct response *rs, int status, const char *outcome)
{
	(void)rq;
	(void)status;
	return face_render_outcome(rs, outcome, write_room_created);
}

/* POST /meetings/create {"title", optional description, scheduled_for,
 * duration, timezone, ...} */
enum err
face004_create(struct request *rq, struct response *rs)
{
	char id[ULID_LEN + 1];
	struct new_meeting nm;
	struct buf out;
	enum err e;

	if ((e = create_body_parse(rq, &room_dialect, &nm)) != ERR_OK)
		return e;
	e = meetings_create(&rq->ctx, &nm, id, &out);
	if (e == ERR_OK && out.failed)
		e = ERR_NOMEM;
	if (e == ERR_OK)
		e = face004_created(rq, rs, 201, buf_cstr(&out));
	buf_free(&out);
	return e;
}

/* GET /meetings/invitation/{token} */
enum err
face004_invitation(struct request *rq, struct response *rs)
{
	struct invitation inv;
	struct jsonw *w;
	enum err e;

	if ((e = meetings_invitation(&rq->ctx, rq->params[0], &inv)) != ERR_OK)
		return e;
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", inv.code);
	jw_kstr(w, "title", inv.title);
	jw_kstr(w, "password", inv.passcode);
	jw_kstr(w, "host_id", inv.host_id);
	jw_kstr(w, "created_at", inv.created_at);
	jw_obj_close(w);
	return ERR_OK;
}

static const struct field_spec join_fields[] = {
	{ "meeting_id", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 1, 32 },
	{ "password", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 1, 32 },
};

/* POST /meetings/join {"meeting_id": "abc-def-ghi", "password": "123456"}
 * → {"status": "success", "message": "Successfully joined <title>",
 *    "data": {"room_id", "title", "joined_as"}}. The session is the
 * canonical join's (joining again keeps it); the caller's email comes from
 * the same lookup the platforms use for the organizer. */
enum err
face004_join(struct request *rq, struct response *rs)
{
	struct field_value v[2];
	struct join_request j;
	struct remote_spec caller;
	struct joined s;
	struct meeting m;
	const char *id;
	struct jsonw *w;
	enum err e;

	if ((e = validate_body(rq, join_fields, 2, v)) != ERR_OK)
		return e;
	memset(&j, 0, sizeof(j));
	memset(&caller, 0, sizeof(caller));
	if ((e = meetings_check_code(&rq->ctx, arena_strndup(rq->ctx.arena, v[0].s, v[0].len),
	    arena_strndup(rq->ctx.arena, v[1].s, v[1].len), &id)) != ERR_OK)
		return request_fail(rq, e, e == ERR_INVALID_MEETING_CREDENTIALS ?
		    "Meeting room not found or incorrect meeting password" : NULL);
	j.credentials_checked = true;
	j.device_type = "web";
	if ((e = meetings_join(&rq->ctx, id, &j, ERR_INVALID_MEETING_CREDENTIALS, &s)) != ERR_OK ||
	    (e = meeting_load(&rq->ctx, rq->ctx.app->db, id, false, &m)) != ERR_OK)
		return e;
	if ((e = remote_spec_organizer(&rq->ctx, &caller)) != ERR_OK)
		return e;
	/* 004's backend answers its own small envelope, naming the room by
	 * its code and the caller by email */
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kstr(w, "status", "success");
	jw_kstr(w, "message", arena_printf(rq->ctx.arena, "Successfully joined %s", m.title));
	jw_key(w, "data");
	jw_obj_open(w);
	jw_kstr(w, "room_id", m.code);
	jw_kstr(w, "title", m.title);
	/* an account without an address (a provider's subject, a guest)
	 * is known by its name */
	jw_kstr(w, "joined_as", caller.organizer_email != NULL ? caller.organizer_email :
	    caller.organizer_name);
	jw_obj_close(w);
	jw_obj_close(w);
	return ERR_OK;
}

/* GET /meetings/my-meetings: the rooms the caller hosts. */
enum err
face004_my_meetings(struct request *rq, struct response *rs)
{
	struct list_filter f = { .role = "organizer", .platform = "native",
	    .from = "1970-01-01 00:00:00.000", .to = "9999-12-31 23:59:59.999",
	    .after_ts = "1970-01-01 00:00:00.000", .after_id = "", .limit = MY_MEETINGS_MAX };
	const char *passcode, *token;
	struct meeting *list;
	struct jsonw *w;
	size_t i, n;
	enum err e;

	if ((e = meetings_list(&rq->ctx, &f, &list, &n)) != ERR_OK)
		return e;
	w = resp_json(rs, 200);
	jw_arr_open(w);
	for (i = 0; i < n; i++) {
		const struct meeting *m = &list[i];

		if ((e = cred_open(&rq->ctx, m->id, "passcode", &m->passcode_box, &passcode)) != ERR_OK ||
		    (e = cred_open(&rq->ctx, m->id, "invite", &m->invite_box, &token)) != ERR_OK)
			return e;
		jw_obj_open(w);
		jw_kstr(w, "meeting_id", m->code);
		jw_kstr(w, "title", m->title);
		jw_kstr(w, "password", passcode);
		jw_kstr(w, "invitation_token", token);
		jw_kbool(w, "is_active", m->status == MS_SCHEDULED || m->status == MS_STARTED);
		jw_kstr(w, "created_at", m->created_at);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	return ERR_OK;
}
