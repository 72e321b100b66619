/*
 * participants.c — joining and leaving meetings, the participant list,
 * joining by code and passcode, and invitation lookups.
 *
 * Passcodes are guarded twice: each attempt reserves a failure on the
 * meeting's counter and on the client address's counter before the
 * passcode is compared (a right one gives it back), so concurrent guessers
 * cannot get past the limit. An unknown meeting, a wrong passcode and a
 * wrong invitation token all get the same answer.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/credentials.h"
#include "store/db.h"
#include "domain/journal.h"
#include "store/limiter.h"
#include "domain/meeting.h"
#include "domain/meetings.h"
#include "core/parse.h"
#include "core/rand.h"
#include "api/validate.h"

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

enum err
parse_limit(const char *s, int64_t max, int64_t *out)
{
	return parse_i64z(s, 1, max, out);
}

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

/* Reserves one failure on the meeting's and the address's counters. */
static enum err
take_attempt(struct request *rq, const char *meeting_key, bool *ok)
{
	const struct config *cfg = rq->ctx.app->cfg;
	char mk[LIMIT_KEY_MAX], ak[LIMIT_KEY_MAX];
	int64_t retry_m = 0, retry_a = 0;
	bool allowed_m, allowed_a;
	enum err e;

	snprintf(mk, sizeof(mk), "pc:m:%s", meeting_key);
	snprintf(ak, sizeof(ak), "pc:a:%s", rq->remote_addr != NULL ? rq->remote_addr : "-");
	if ((e = attempts_take(rq->ctx.app->db, rq->ctx.arena, mk, cfg->passcode_attempts, cfg->passcode_window,
	    &allowed_m, &retry_m)) != ERR_OK)
		return e;
	if ((e = attempts_take(rq->ctx.app->db, rq->ctx.arena, ak, cfg->passcode_attempts, cfg->passcode_window,
	    &allowed_a, &retry_a)) != ERR_OK)
		return e;
	*ok = allowed_m && allowed_a;
	if (*ok)
		return ERR_OK;
	/* a refused attempt is no failure: give back what was reserved */
	if (allowed_m)
		(void)attempts_refund(rq->ctx.app->db, mk);
	if (allowed_a)
		(void)attempts_refund(rq->ctx.app->db, ak);
	rq->ctx.retry_after_s = retry_m > retry_a ? retry_m : retry_a;
	return ERR_TOO_MANY_ATTEMPTS;
}

static void
refund_attempt(struct request *rq, const char *meeting_key)
{
	char key[LIMIT_KEY_MAX];

	snprintf(key, sizeof(key), "pc:m:%s", meeting_key);
	(void)attempts_refund(rq->ctx.app->db, key);
	snprintf(key, sizeof(key), "pc:a:%s", rq->remote_addr != NULL ? rq->remote_addr : "-");
	(void)attempts_refund(rq->ctx.app->db, key);
}

/* Checks a passcode against meeting m (which may be NULL: unknown), with
 * the attempt counters around it. */
static enum err
check_passcode(struct request *rq, const char *meeting_key, const struct meeting *m,
    const char *passcode, bool *match)
{
	bool ok;
	enum err e;

	*match = false;
	if ((e = take_attempt(rq, meeting_key, &ok)) != ERR_OK)
		return e;
	if (m != NULL && m->passcode_box.p != NULL &&
	    (e = cred_check(rq, m->id, "passcode", &m->passcode_box, passcode, match)) != ERR_OK)
		return e;
	if (*match)
		refund_attempt(rq, meeting_key);
	return ERR_OK;
}

enum err
meetings_check_code(struct request *rq, const char *code, const char *passcode,
    const char **meeting_id)
{
	struct db_rows rows;
	struct meeting m, *found = NULL;
	struct db_val p;
	bool match;
	enum err e;

	*meeting_id = NULL;
	if (code == NULL || passcode == NULL || !cred_code_valid(code))
		return ERR_INVALID_MEETING_CREDENTIALS;
	p = DB_STR(code);
	if ((e = db_exec(rq->ctx.app->db, STMT_MEETING_BY_CODE, &p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 1) {
		if ((e = meeting_load_any(rq, rq->ctx.app->db, db_cell(&rows, 0, 0), false, &m)) != ERR_OK &&
		    e != ERR_MEETING_NOT_FOUND)
			return e;
		if (e == ERR_OK)
			found = &m;
	}
	/* one counter per meeting whichever route guesses at it; an unknown
	 * code gets its own, so the answer cannot tell the two apart */
	if ((e = check_passcode(rq, found != NULL ? found->id : code, found, passcode, &match)) != ERR_OK)
		return e;
	if (!match)
		return ERR_INVALID_MEETING_CREDENTIALS;
	*meeting_id = found->id;
	return ERR_OK;
}

/* Checks an invitation token; *meeting_id is NULL if it names no meeting. */
static enum err
find_invitation(struct request *rq, const char *token, struct db_rows *rows)
{
	unsigned char hash[SHA256_LEN];
	struct db_val p;

	cred_invite_hash(token, hash);
	p = DB_BLOB(hash, SHA256_LEN);
	return db_exec(rq->ctx.app->db, STMT_MEETING_BY_INVITE, &p, 1, rq->ctx.arena, rows, 1, NULL);
}

static const char *
session_role(enum member_role r)
{
	switch (r) {
	case ROLE_ORGANIZER: return "host";
	case ROLE_CO_HOST: return "co_host";
	case ROLE_PARTICIPANT: return "attendee";
	default: return "guest";
	}
}

struct join_tx {
	struct request *rq;
	const char *id;
	struct join_request *j;
	enum err unknown;
	struct joined *out;
	char participant_id[ULID_LEN + 1];
};

static enum err
open_session(struct request *rq, struct db *db, const char *meeting_id, struct joined *out)
{
	struct db_val p[2];
	struct db_rows rows;
	enum err e;

	p[0] = DB_STR(meeting_id);
	p[1] = DB_STR(rq->ctx.who.subject);
	if ((e = db_exec(db, STMT_PART_OPEN_GET, p, 2, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_PARTICIPANT_NOT_FOUND;
	out->participant_id = db_cell(&rows, 0, 0);
	out->meeting_id = meeting_id;
	out->role = db_cell(&rows, 0, 1);
	out->is_muted = strcmp(db_cell(&rows, 0, 2), "1") == 0;
	out->is_video_enabled = strcmp(db_cell(&rows, 0, 3), "1") == 0;
	out->joined_at = db_cell(&rows, 0, 4);
	return ERR_OK;
}

static enum err
join_in_tx(struct db *db, void *ctx)
{
	struct join_tx *t = ctx;
	struct request *rq = t->rq;
	struct db_val p[8];
	struct db_rows rows;
	struct meeting m;
	const char *role;
	char *data;
	enum err e;

	if ((e = meeting_load_any(rq, db, t->id, true, &m)) != ERR_OK)
		return e == ERR_MEETING_NOT_FOUND ? t->unknown : e;
	if (m.my_role == ROLE_NONE && m.require_password && !t->j->credentials_checked)
		return t->unknown;
	if ((e = meeting_allows(&m, MA_JOIN)) != ERR_OK)
		return e;
	if ((e = open_session(rq, db, m.id, t->out)) != ERR_PARTICIPANT_NOT_FOUND)
		return e;       /* already in: the open session is the answer */
	if (m.participant_limit > 0) {
		p[0] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_PART_COUNT_OPEN, p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
			return e;
		if (rows.nrows == 1 && strtoll(db_cell(&rows, 0, 0), NULL, 10) >= m.participant_limit)
			return ERR_MAX_PARTICIPANTS;
	}
	if (m.my_role == ROLE_NONE) {
		p[0] = DB_STR(rq->ctx.who.subject);
		p[1] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_MEMBER_ADD_GUEST, p, 2, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		m.my_role = ROLE_GUEST;
	}
	role = session_role(m.my_role);
	ulid_new(t->participant_id);
	p[0] = DB_STR(t->participant_id);
	p[1] = DB_STR(m.id);
	p[2] = DB_STR(rq->ctx.who.subject);
	p[3] = DB_STR(role);
	p[4] = DB_STR(t->j->connection_id);
	p[5] = DB_STR(t->j->device_type);
	p[6] = DB_I64(t->j->join_muted);
	p[7] = DB_I64(!t->j->join_without_video);
	if ((e = db_exec(db, STMT_PART_INSERT, p, 8, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	if ((e = open_session(rq, db, m.id, t->out)) != ERR_OK)
		return e;
	data = arena_printf(rq->ctx.arena, "{\"user_id\":\"%s\",\"role\":\"%s\",\"joined_at\":\"%s\"}",
	    rq->ctx.who.subject, role, t->out->joined_at);
	return journal_record(rq, db, m.id, "participant.joined", NULL, "participant.joined", data);
}

enum err
meetings_join(struct request *rq, const char *id, struct join_request *j, enum err unknown,
    struct joined *out)
{
	struct join_tx t = { .rq = rq, .id = id, .j = j, .unknown = unknown, .out = out };
	struct db_rows rows;
	struct meeting m;
	bool match = false;
	enum err e;

	if (id == NULL || !ulid_valid(id))
		return unknown;
	if (!j->credentials_checked && (j->passcode != NULL || j->invitation_token != NULL)) {
		e = meeting_load_any(rq, rq->ctx.app->db, id, false, &m);
		if (e != ERR_OK && e != ERR_MEETING_NOT_FOUND)
			return e;
		if (e == ERR_OK && m.my_role != ROLE_NONE) {
			j->credentials_checked = true;  /* members need none */
		} else if (j->invitation_token != NULL) {
			if ((e = find_invitation(rq, j->invitation_token, &rows)) != ERR_OK)
				return e;
			match = rows.nrows == 1 && strcmp(db_cell(&rows, 0, 0), id) == 0;
		} else {
			if ((e = check_passcode(rq, id, e == ERR_OK ? &m : NULL, j->passcode, &match)) != ERR_OK)
				return e;
		}
		if (!j->credentials_checked && !match)
			return unknown;
		j->credentials_checked = true;
	}
	return db_tx(rq->ctx.app->db, join_in_tx, &t);
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
	if ((e = meetings_join(rq, rq->params[0], &j, ERR_MEETING_NOT_FOUND, &s)) != ERR_OK)
		return e;
	write_joined(rq, resp_data(rs, 200, "Joined meeting successfully"), &s);
	return ERR_OK;
}

/* POST /api/v1/meetings/join: by code and passcode, or by invitation token. */
enum err
api_meeting_join_by_code(struct request *rq, struct response *rs)
{
	struct join_request j;
	struct db_rows rows;
	const char *code, *id = NULL;
	struct joined s;
	enum err e;

	if ((e = parse_join(rq, true, &j, &code)) != ERR_OK)
		return e;
	if (j.invitation_token != NULL) {
		if ((e = find_invitation(rq, j.invitation_token, &rows)) != ERR_OK)
			return e;
		if (rows.nrows != 1)
			return ERR_INVALID_MEETING_CREDENTIALS;
		id = db_cell(&rows, 0, 0);
	} else if (code == NULL || j.passcode == NULL) {
		return request_fail(rq, ERR_VALIDATION_FAILED,
		    "Send meeting_code and passcode, or invitation_token");
	} else if ((e = meetings_check_code(rq, code, j.passcode, &id)) != ERR_OK) {
		return e;
	}
	j.credentials_checked = true;
	if ((e = meetings_join(rq, id, &j, ERR_INVALID_MEETING_CREDENTIALS, &s)) != ERR_OK)
		return e;
	write_joined(rq, resp_data(rs, 200, "Joined meeting successfully"), &s);
	return ERR_OK;
}

struct leave_tx {
	struct request *rq;
	struct joined session;
	int64_t seconds;
	char left_at[CLOCK_ISO_LEN];
};

static enum err
leave_in_tx(struct db *db, void *ctx)
{
	struct leave_tx *t = ctx;
	struct request *rq = t->rq;
	struct db_val p[2];
	struct db_rows rows;
	struct meeting m;
	char *data;
	enum err e;

	if ((e = meeting_load(rq, db, rq->params[0], true, &m)) != ERR_OK)
		return e;
	p[0] = DB_STR(m.id);
	p[1] = DB_STR(rq->ctx.who.subject);
	if ((e = db_exec(db, STMT_PART_OPEN_GET, p, 2, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_PARTICIPANT_NOT_FOUND;
	t->seconds = strtoll(db_cell(&rows, 0, 5), NULL, 10);
	if ((e = db_exec(db, STMT_PART_LEAVE, p, 2, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	t->session.meeting_id = m.id;
	clock_iso8601((int64_t)time(NULL), t->left_at);
	data = arena_printf(rq->ctx.arena, "{\"user_id\":\"%s\",\"left_at\":\"%s\"}", rq->ctx.who.subject, t->left_at);
	return journal_record(rq, db, m.id, "participant.left", NULL, "participant.left", data);
}

enum err
api_meeting_leave(struct request *rq, struct response *rs)
{
	struct leave_tx t = { .rq = rq };
	struct jsonw *w;
	enum err e;

	if ((e = db_tx(rq->ctx.app->db, leave_in_tx, &t)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Left meeting successfully");
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", t.session.meeting_id);
	jw_kstr(w, "left_at", t.left_at);
	jw_kint(w, "duration_minutes", (t.seconds + 30) / 60);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_meeting_participants(struct request *rq, struct response *rs)
{
	struct db_rows rows;
	struct meeting m;
	struct db_val p;
	struct jsonw *w;
	size_t i;
	enum err e;

	if ((e = meeting_load(rq, rq->ctx.app->db, rq->params[0], false, &m)) != ERR_OK)
		return e;
	p = DB_STR(m.id);
	if ((e = db_exec(rq->ctx.app->db, STMT_PART_LIST, &p, 1, rq->ctx.arena, &rows, 1000, NULL)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Participants retrieved successfully");
	jw_arr_open(w);
	for (i = 0; i < rows.nrows; i++) {
		jw_obj_open(w);
		jw_kstr(w, "participant_id", db_cell(&rows, i, 0));
		jw_kstr(w, "user_id", db_cell(&rows, i, 1));
		jw_kstr(w, "user_name", db_cell(&rows, i, 2));
		jw_kstr(w, "role", db_cell(&rows, i, 3));
		jw_kstr(w, "status", "joined");
		jw_kbool(w, "is_muted", strcmp(db_cell(&rows, i, 4), "1") == 0);
		jw_kbool(w, "is_video_enabled", strcmp(db_cell(&rows, i, 5), "1") == 0);
		jw_kbool(w, "is_screen_sharing", strcmp(db_cell(&rows, i, 6), "1") == 0);
		jw_kbool(w, "is_hand_raised", strcmp(db_cell(&rows, i, 7), "1") == 0);
		jw_kstr(w, "joined_at", db_cell(&rows, i, 8));
		jw_kstr(w, "device_type", db_cell(&rows, i, 9));
		jw_obj_close(w);
	}
	jw_arr_close(w);
	return ERR_OK;
}

/* GET /api/v1/invitations/:token — what an invitee sees (004): the
 * meeting, and its passcode so they need not type it. */
enum err
meetings_invitation(struct request *rq, const char *token, struct invitation *out)
{
	struct db_rows rows;
	struct blob box;
	enum err e;

	if (token == NULL || strlen(token) > 128)
		return ERR_INVITATION_NOT_FOUND;
	if ((e = find_invitation(rq, token, &rows)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_INVITATION_NOT_FOUND;
	out->meeting_id = db_cell(&rows, 0, 0);
	out->code = db_cell(&rows, 0, 1);
	out->title = db_cell(&rows, 0, 2);
	box.p = (const unsigned char *)db_cell(&rows, 0, 3);
	box.n = rows.lens[3];
	out->host_id = db_cell(&rows, 0, 4);
	out->host_name = db_cell(&rows, 0, 5);
	out->scheduled_for = db_cell(&rows, 0, 6);
	out->duration = strtoll(db_cell(&rows, 0, 7), NULL, 10);
	out->timezone = db_cell(&rows, 0, 8);
	out->status = db_cell(&rows, 0, 9);
	out->created_at = db_cell(&rows, 0, 10);
	return cred_open(rq, out->meeting_id, "passcode", &box, &out->passcode);
}

enum err
api_invitation_get(struct request *rq, struct response *rs)
{
	struct invitation inv;
	struct jsonw *w;
	enum err e;

	if ((e = meetings_invitation(rq, rq->params[0], &inv)) != ERR_OK)
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
