/*
 * participants.c — joining and leaving meetings, the participant list,
 * joining by code and passcode, and what an invitation shows.
 *
 * Passcodes are guarded twice: each attempt reserves a failure on the
 * meeting's counter and on the client address's counter before the
 * passcode is compared (a right one gives it back), so concurrent guessers
 * cannot get past the limit. An unknown meeting, a wrong passcode and a
 * wrong invitation token all get the same answer.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/parse.h"
#include "domain/credentials.h"
#include "domain/journal.h"
#include "domain/meetings.h"
#include "domain/policy.h"
#include "domain/waiting_room.h"
#include "domain/users.h"
#include "platforms/provider.h"
#include "store/limiter.h"

#define EVENT_MAX (16 * 1024)
#define PARTICIPANTS_MAX 1000

static void
attempt_keys(struct ctx *c, const char *meeting_key, char mk[LIMIT_KEY_MAX], char ak[LIMIT_KEY_MAX])
{
	snprintf(mk, LIMIT_KEY_MAX, "pc:m:%s", meeting_key);
	snprintf(ak, LIMIT_KEY_MAX, "pc:a:%s", c->client_addr != NULL ? c->client_addr : "-");
}

/* Reserves one failure on the meeting's and the address's counters. */
static enum err
take_attempt(struct ctx *c, const char *meeting_key, bool *ok)
{
	const struct config *cfg = c->app->cfg;
	char mk[LIMIT_KEY_MAX], ak[LIMIT_KEY_MAX];
	int64_t retry[2] = { 0, 0 };
	bool allowed[2];
	enum err e;

	attempt_keys(c, meeting_key, mk, ak);
	if ((e = attempts_take_pair(c->app->db, c->arena, mk, ak, cfg->passcode_attempts, cfg->passcode_window,
	    allowed, retry)) != ERR_OK)
		return e;
	*ok = allowed[0] && allowed[1];
	if (*ok)
		return ERR_OK;
	/* a refused attempt is no failure: give back what was reserved */
	if (allowed[0])
		(void)attempts_refund(c->app->db, mk);
	if (allowed[1])
		(void)attempts_refund(c->app->db, ak);
	/* until every refusing counter's window has passed */
	c->retry_after_s = 0;
	if (!allowed[0])
		c->retry_after_s = retry[0];
	if (!allowed[1] && retry[1] > c->retry_after_s)
		c->retry_after_s = retry[1];
	return ERR_TOO_MANY_ATTEMPTS;
}

static void
refund_attempt(struct ctx *c, const char *meeting_key)
{
	char mk[LIMIT_KEY_MAX], ak[LIMIT_KEY_MAX];

	attempt_keys(c, meeting_key, mk, ak);
	(void)attempts_refund_pair(c->app->db, mk, ak);
}

/* Checks a passcode against meeting m (which may be NULL: unknown), with
 * the attempt counters around it. */
static enum err
check_passcode(struct ctx *c, const char *meeting_key, const struct meeting *m,
    const char *passcode, bool *match)
{
	bool ok;
	enum err e;

	*match = false;
	if ((e = take_attempt(c, meeting_key, &ok)) != ERR_OK)
		return e;
	if (m != NULL && m->passcode_box.p != NULL &&
	    (e = cred_check(c, m->id, "passcode", &m->passcode_box, passcode, match)) != ERR_OK)
		return e;
	if (*match)
		refund_attempt(c, meeting_key);
	return ERR_OK;
}

enum err
meetings_check_code(struct ctx *c, const char *code, const char *passcode,
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
	if ((e = db_exec(c->app->db, STMT_MEETING_BY_CODE, &p, 1, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 1) {
		if ((e = meeting_load_any(c, c->app->db, db_cell(&rows, 0, 0), false, &m)) != ERR_OK &&
		    e != ERR_MEETING_NOT_FOUND)
			return e;
		if (e == ERR_OK)
			found = &m;
	}
	/* one counter per meeting whichever route guesses at it; an unknown
	 * code gets its own, so the answer cannot tell the two apart */
	if ((e = check_passcode(c, found != NULL ? found->id : code, found, passcode, &match)) != ERR_OK)
		return e;
	if (!match)
		return ERR_INVALID_MEETING_CREDENTIALS;
	*meeting_id = found->id;
	return ERR_OK;
}

/* Checks an invitation token; *meeting_id is NULL if it names no meeting. */
static enum err
find_invitation(struct ctx *c, const char *token, struct db_rows *rows)
{
	unsigned char hash[SHA256_LEN];
	struct db_val p;

	cred_invite_hash(token, hash);
	p = DB_BLOB(hash, SHA256_LEN);
	return db_exec(c->app->db, STMT_MEETING_BY_INVITE, &p, 1, c->arena, rows, 1, NULL);
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
	struct ctx *c;
	const char *id;
	struct join_request *j;
	enum err unknown;
	struct joined *out;
	bool refused;           /* a wrong passcode, counted and committed */
	bool waiting;           /* a knock on the waiting room, committed */
	int64_t position;       /* its place in the queue */
	char participant_id[ULID_LEN + 1];
	char joined_at[CLOCK_ISO_LEN];
};

static enum err
open_session(struct ctx *c, struct db *db, const char *meeting_id, struct joined *out)
{
	struct db_val p[2];
	struct db_rows rows;
	enum err e;

	p[0] = DB_STR(meeting_id);
	p[1] = DB_STR(c->who.subject);
	if ((e = db_exec(db, STMT_PART_OPEN_GET, p, 2, c->arena, &rows, 1, NULL)) != ERR_OK)
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

/* Records a participant event: data built with the JSON writer. */
static enum err
participant_event(struct ctx *c, struct db *db, const char *meeting_id, const char *user_id,
    const char *type, const char *role, const char *at_key, const char *at, const char *reason)
{
	struct buf data;
	struct jsonw w;
	enum err e;

	buf_init(&data, EVENT_MAX);
	jw_init(&w, &data);
	jw_obj_open(&w);
	jw_kstr(&w, "user_id", user_id);
	if (role != NULL)
		jw_kstr(&w, "role", role);
	jw_kstr(&w, at_key, at);
	if (reason != NULL)
		jw_kstr(&w, "reason", reason);
	jw_obj_close(&w);
	e = data.failed ? ERR_NOMEM : journal_record(c, db, meeting_id, type, NULL, type, buf_cstr(&data));
	buf_free(&data);
	return e;
}

/* Whether the caller may join without being a member: proof checked here,
 * in the join's own transaction, so a wrong passcode's failure and a right
 * one's join are one durable commit each. ERR_OK with *refused set: commit
 * the counted failure and answer t->unknown. */
static enum err
prove(struct join_tx *t, const struct meeting *m, bool *refused)
{
	struct ctx *c = t->c;
	struct db_rows rows;
	bool match = false;
	enum err e;

	*refused = false;
	if (t->j->credentials_checked || (m != NULL && m->my_role != ROLE_NONE))
		return ERR_OK;          /* members need none */
	if (t->j->invitation_token != NULL) {
		if ((e = find_invitation(c, t->j->invitation_token, &rows)) != ERR_OK)
			return e;
		if (m == NULL || rows.nrows != 1 || strcmp(db_cell(&rows, 0, 0), m->id) != 0)
			return t->unknown;
		return ERR_OK;
	}
	if (t->j->passcode != NULL) {
		/* an unknown meeting counts on its own id, so the two look alike */
		if ((e = check_passcode(c, m != NULL ? m->id : t->id, m, t->j->passcode, &match)) != ERR_OK)
			return e;       /* TOO_MANY_ATTEMPTS: rolled back, nothing counted */
		*refused = !match;
		return ERR_OK;
	}
	return m == NULL || m->require_password ? t->unknown : ERR_OK;
}

static enum err
join_in_tx(struct db *db, void *ctx)
{
	struct join_tx *t = ctx;
	struct ctx *c = t->c;
	char now_db[CLOCK_DB_LEN];
	struct db_val p[9];
	struct meeting m;
	const char *role;
	bool found, refused, admitted, waiting, muted, video;
	int64_t now_ms;
	enum err e;

	t->refused = t->waiting = false;
	if ((e = meeting_load_any(c, db, t->id, true, &m)) != ERR_OK && e != ERR_MEETING_NOT_FOUND)
		return e;
	found = e == ERR_OK;
	if ((e = prove(t, found ? &m : NULL, &refused)) != ERR_OK)
		return e;
	if (refused) {
		t->refused = true;
		return ERR_OK;          /* the failure is counted: commit it */
	}
	if (!found)
		return t->unknown;
	if ((e = meeting_allows(&m, MA_JOIN)) != ERR_OK)
		return e;
	if ((e = open_session(c, db, m.id, t->out)) != ERR_PARTICIPANT_NOT_FOUND)
		return e;       /* already in: the open session is the answer */
	/* lock, block, removal, domains; then the waiting room (a knock is
	 * committed, and answered 202), then the cap: policy.h */
	if ((e = policy_admits(c, db, &m, &admitted, &waiting)) != ERR_OK)
		return e;
	if (policy_must_wait(&m) && !admitted) {
		if ((e = waiting_knock(c, db, &m, &t->position)) != ERR_OK)
			return e;
		t->waiting = true;
		return ERR_OK;
	}
	/* the row is locked: its count of open sessions is exact */
	if (m.participant_limit > 0 && m.open_participants >= m.participant_limit)
		return ERR_MAX_PARTICIPANTS;
	if (m.my_role == ROLE_NONE) {
		p[0] = DB_STR(c->who.subject);
		p[1] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_MEMBER_ADD_GUEST, p, 2, c->arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		m.my_role = ROLE_GUEST;
	}
	role = session_role(m.my_role);
	ulid_new(t->participant_id);
	/* one clock reading, written and answered: nothing is read back */
	now_ms = clock_wall_ms();
	clock_db_datetime(now_ms, now_db);
	clock_iso8601_ms(now_ms, t->joined_at);
	p[0] = DB_STR(t->participant_id);
	p[1] = DB_STR(m.id);
	p[2] = DB_STR(c->who.subject);
	p[3] = DB_STR(role);
	p[4] = DB_STR(t->j->connection_id);
	p[5] = DB_STR(t->j->device_type);
	/* the policy may mute everyone on entry and keep cameras off */
	muted = t->j->join_muted || m.policy.mute_on_entry;
	video = !t->j->join_without_video && !m.policy.disable_camera;
	p[6] = DB_I64(muted);
	p[7] = DB_I64(video);
	p[8] = DB_STR(now_db);
	if ((e = db_exec(db, STMT_PART_INSERT, p, 9, c->arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	p[0] = DB_STR(m.id);
	if ((e = db_exec(db, STMT_MEETING_SEAT_TAKE, p, 1, c->arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	/* the answer outlives this call's frame: it lives in the arena */
	if ((t->out->participant_id = arena_strdup(c->arena, t->participant_id)) == NULL ||
	    (t->out->joined_at = arena_strdup(c->arena, t->joined_at)) == NULL)
		return ERR_NOMEM;
	t->out->meeting_id = t->id;
	t->out->role = role;
	t->out->is_muted = muted;
	t->out->is_video_enabled = video;
	return participant_event(c, db, m.id, c->who.subject, "participant.joined", role, "joined_at",
	    t->joined_at, NULL);
}

/* A member already in the meeting: the open session is the answer, read
 * with the meeting in one statement and no transaction. *done says so. */
static enum err
repeat_join(struct ctx *c, const char *id, struct joined *out, bool *done)
{
	enum { S_STATUS, S_ID, S_ROLE, S_MUTED, S_VIDEO, S_JOINED, S__MAX };
	struct db_val p[2] = { DB_STR(c->who.subject), DB_STR(id) };
	struct db_rows rows;
	struct meeting m;
	enum err e;

	*done = false;
	if ((e = db_exec(c->app->db, STMT_MEETING_WITH_SESSION, p, 2, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_OK;          /* not in it yet: the transaction joins */
	if (rows.ncols != S__MAX)
		return ERR_DB_SCHEMA;
	memset(&m, 0, sizeof(m));
	if ((m.status = meeting_status_parse(db_cell(&rows, 0, S_STATUS))) == MS__MAX)
		return ERR_DB_SCHEMA;
	if (meeting_allows(&m, MA_JOIN) != ERR_OK)
		return ERR_OK;          /* the transaction answers it */
	out->participant_id = db_cell(&rows, 0, S_ID);
	out->meeting_id = id;
	out->role = db_cell(&rows, 0, S_ROLE);
	out->is_muted = strcmp(db_cell(&rows, 0, S_MUTED), "1") == 0;
	out->is_video_enabled = strcmp(db_cell(&rows, 0, S_VIDEO), "1") == 0;
	out->joined_at = db_cell(&rows, 0, S_JOINED);
	*done = true;
	return ERR_OK;
}

/* 202 WAITING_ROOM_REQUIRED, with the place in the queue and how to
 * follow the decision (the caller's own real-time channel). */
static enum err
waiting_answer(struct ctx *c, const char *id, int64_t position)
{
	const char *follow = arena_printf(c->arena, "\"POST /api/v1/meetings/%s/realtime-ticket, then "
	    "/ws/meetings/%s: the decision arrives as waiting_room_admitted or waiting_room_denied; "
	    "then join again\"", id, id);

	ctx_detail_json(c, "position", arena_printf(c->arena, "%lld", (long long)position));
	ctx_detail_json(c, "follow", follow);
	return ctx_fail(c, ERR_WAITING_ROOM_REQUIRED, "Waiting for a host to let you in");
}

enum err
meetings_join(struct ctx *c, const char *id, struct join_request *j, enum err unknown,
    struct joined *out)
{
	struct join_tx t = { .c = c, .id = id, .j = j, .unknown = unknown, .out = out };
	bool done;
	enum err e;

	if (id == NULL || !ulid_valid(id))
		return unknown;
	if ((e = repeat_join(c, id, out, &done)) != ERR_OK || done)
		return e;
	if ((e = db_tx(c->app->db, join_in_tx, &t)) != ERR_OK)
		return e;
	if (t.waiting)
		return waiting_answer(c, id, t.position);
	return t.refused ? unknown : ERR_OK;
}

struct leave_tx {
	struct ctx *c;
	const char *id;
	int64_t seconds;
	char left_at[CLOCK_ISO_LEN];
};

static enum err
leave_in_tx(struct db *db, void *ctx)
{
	struct leave_tx *t = ctx;
	struct ctx *c = t->c;
	struct db_val p[2];
	struct db_rows rows;
	struct meeting m;
	enum err e;

	if ((e = meeting_load(c, db, t->id, true, &m)) != ERR_OK)
		return e;
	p[0] = DB_STR(m.id);
	p[1] = DB_STR(c->who.subject);
	if ((e = db_exec(db, STMT_PART_OPEN_GET, p, 2, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_PARTICIPANT_NOT_FOUND;
	if (parse_i64z(db_cell(&rows, 0, 5), 0, INT64_MAX, &t->seconds) != ERR_OK)
		return ERR_DB_SCHEMA;
	return participant_end_session(c, db, m.id, NULL, t->left_at);
}

enum err
participant_end_session(struct ctx *c, struct db *db, const char *meeting_id, const char *reason,
    char left_at[CLOCK_ISO_LEN])
{
	return participant_end_session_of(c, db, meeting_id, c->who.subject, reason, left_at);
}

enum err
participant_end_session_of(struct ctx *c, struct db *db, const char *meeting_id, const char *user_id,
    const char *reason, char left_at[CLOCK_ISO_LEN])
{
	struct db_val p[2] = { DB_STR(meeting_id), DB_STR(user_id) };
	uint64_t n = 0;
	enum err e;

	if ((e = db_exec(db, STMT_PART_LEAVE, p, 2, c->arena, NULL, 0, &n)) != ERR_OK)
		return e;
	if (n == 0)
		return ERR_PARTICIPANT_NOT_FOUND;
	clock_iso8601((int64_t)time(NULL), left_at);
	return participant_event(c, db, meeting_id, user_id, "participant.left", NULL, "left_at", left_at,
	    reason);
}

enum err
meetings_leave(struct ctx *c, const char *id, struct left *out)
{
	struct leave_tx t = { .c = c, .id = id };
	enum err e;

	if ((e = db_tx(c->app->db, leave_in_tx, &t)) != ERR_OK)
		return e;
	out->meeting_id = id;
	out->duration_minutes = (t.seconds + 30) / 60;
	out->left_at = arena_strdup(c->arena, t.left_at);
	return out->left_at != NULL ? ERR_OK : ERR_NOMEM;
}

enum err
meetings_participants(struct ctx *c, const char *id, struct participant **out, size_t *n)
{
	enum { P_ID, P_USER, P_NAME, P_ROLE, P_MUTED, P_VIDEO, P_SCREEN, P_HAND, P_JOINED, P_DEVICE, P__MAX };
	struct db_rows rows;
	struct meeting m;
	struct db_val p;
	size_t i;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = meeting_load(c, c->app->db, id, false, &m)) != ERR_OK)
		return e;
	p = DB_STR(m.id);
	if ((e = db_exec(c->app->db, STMT_PART_LIST, &p, 1, c->arena, &rows, PARTICIPANTS_MAX, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;
	if (rows.ncols != P__MAX)
		return ERR_DB_SCHEMA;
	if ((*out = arena_alloc(c->arena, rows.nrows * sizeof(**out))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < rows.nrows; i++) {
		struct participant *x = &(*out)[i];

		memset(x, 0, sizeof(*x));
		x->participant_id = db_cell(&rows, i, P_ID);
		x->user_id = db_cell(&rows, i, P_USER);
		x->user_name = db_cell(&rows, i, P_NAME);
		x->role = db_cell(&rows, i, P_ROLE);
		x->status = "joined";
		x->is_muted = strcmp(db_cell(&rows, i, P_MUTED), "1") == 0;
		x->is_video_enabled = strcmp(db_cell(&rows, i, P_VIDEO), "1") == 0;
		x->is_screen_sharing = strcmp(db_cell(&rows, i, P_SCREEN), "1") == 0;
		x->is_hand_raised = strcmp(db_cell(&rows, i, P_HAND), "1") == 0;
		x->joined_at = db_cell(&rows, i, P_JOINED);
		x->device_type = db_cell(&rows, i, P_DEVICE);
	}
	*n = rows.nrows;
	return ERR_OK;
}

enum err
meetings_invitation(struct ctx *c, const char *token, struct invitation *out)
{
	enum { I_ID, I_CODE, I_TITLE, I_PASSCODE, I_HOST, I_HOST_NAME, I_START, I_DURATION, I_ZONE,
	    I_STATUS, I_CREATED, I__MAX };
	struct db_rows rows;
	struct blob box;
	enum err e;

	if (token == NULL || strlen(token) > 128)
		return ERR_INVITATION_NOT_FOUND;
	if ((e = find_invitation(c, token, &rows)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_INVITATION_NOT_FOUND;
	if (rows.ncols != I__MAX ||
	    parse_i64z(db_cell(&rows, 0, I_DURATION), 0, INT32_MAX, &out->duration) != ERR_OK)
		return ERR_DB_SCHEMA;
	out->meeting_id = db_cell(&rows, 0, I_ID);
	out->code = db_cell(&rows, 0, I_CODE);
	out->title = db_cell(&rows, 0, I_TITLE);
	box.p = (const unsigned char *)db_cell(&rows, 0, I_PASSCODE);
	box.n = rows.lens[I_PASSCODE];
	out->host_id = db_cell(&rows, 0, I_HOST);
	out->host_name = db_cell(&rows, 0, I_HOST_NAME);
	out->scheduled_for = db_cell(&rows, 0, I_START);
	out->timezone = db_cell(&rows, 0, I_ZONE);
	out->status = db_cell(&rows, 0, I_STATUS);
	out->created_at = db_cell(&rows, 0, I_CREATED);
	return cred_open(c, out->meeting_id, "passcode", &box, &out->passcode);
}

enum err
meetings_room_token(struct ctx *c, const char *id, const char *user_name, struct room_token_view *out)
{
	const struct provider *p;
	struct room_grant g;
	struct user u;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = meeting_load(c, c->app->db, id, false, &out->m)) != ERR_OK ||
	    (e = meeting_allows(&out->m, MA_JOIN)) != ERR_OK)
		return e;
	/* a room token lets its holder into the media: the same admission as a
	 * join (policy.h), and the waiting room must have let them in */
	if (!meeting_is_host(&out->m)) {
		const char *status;

		if ((e = policy_exclusion(c, c->app->db, &out->m, &status)) != ERR_OK)
			return e;
		if (policy_must_wait(&out->m) && (status == NULL || strcmp(status, "admitted") != 0))
			return ctx_fail(c, ERR_FORBIDDEN, "Wait for a host to let you in first");
	}
	if ((p = provider_find(out->m.platform)) == NULL)
		return ERR_INTERNAL;
	if (p->room_token == NULL)
		return ctx_fail(c, ERR_NOT_SUPPORTED, "This platform has no room tokens");
	if ((e = provider_ready(p, c->app->cfg)) != ERR_OK ||
	    (e = users_get(c->app->db, c->arena, c->who.subject, &u)) != ERR_OK)
		return e == ERR_USER_NOT_FOUND ? ERR_DB_UNAVAILABLE : e;
	memset(&g, 0, sizeof(g));
	g.meeting_id = out->m.id;
	g.room = out->m.platform_meeting_id != NULL ? out->m.platform_meeting_id : out->m.id;
	g.meeting_url = out->m.meeting_url;
	g.user_id = c->who.subject;
	g.email = u.email;
	g.user_name = user_name != NULL ? user_name : u.display_name != NULL && u.display_name[0] != '\0' ?
	    u.display_name : c->who.subject;
	g.host = meeting_is_host(&out->m);
	/* what the policy lets a non-host publish */
	g.no_camera = !g.host && out->m.policy.disable_camera;
	g.no_screen_share = !g.host && out->m.policy.screen_share != PERM_ALL;
	out->user_name = g.user_name;
	out->host = g.host;
	if (strcmp(p->name, "jitsi") == 0)
		g.room = out->m.platform_meeting_id;
	return p->room_token(c, &g, &out->token);
}
