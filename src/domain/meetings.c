/*
 * meetings.c — the meeting lifecycle: create, update, start, end, cancel,
 * status and the rotation of a meeting's passcode and invitation. Members
 * are in members.c, lists in listings.c. See meetings.h for the contract
 * every write keeps. (Over 600 lines because every use case here shares the
 * create/update transaction helpers and the canonical rendering; split, each
 * half would need them exported.)
 *
 * A write's transaction callback may run again from scratch (deadlock,
 * lock wait, lost connection before COMMIT: db_tx), so it only reads its
 * input and writes its own output fields. Event and audit payloads are
 * built with the JSON writer, never printf, so an odd subject or title can
 * never make invalid JSON.
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
#include "domain/remote.h"
#include "platforms/provider.h"
#include "store/limiter.h"

#define CODE_ATTEMPTS 4
#define CANONICAL_MAX (256 * 1024)
#define EVENT_MAX (16 * 1024)

/* Renders meeting `id` as the caller sees it now into *out (reset first). */
static enum err
canonical(struct ctx *c, struct db *db, const char *id, struct buf *out)
{
	struct meeting m;
	struct jsonw w;
	enum err e;

	buf_reset(out);
	if ((e = meeting_load(c, db, id, false, &m)) != ERR_OK)
		return e;
	jw_init(&w, out);
	if ((e = meeting_write(c, &w, &m)) != ERR_OK)
		return e;
	return out->failed ? ERR_NOMEM : ERR_OK;
}

/* --- create --------------------------------------------------------------- */

struct create_tx {
	struct ctx *c;
	const struct new_meeting *nm;
	char id[ULID_LEN + 1];
	char code[CODE_LEN + 1];
	unsigned char passcode_box[SEALED_MAX], invite_box[SEALED_MAX], invite_hash[SHA256_LEN];
	size_t passcode_box_len, invite_box_len;
	char sched_db[CLOCK_DB_LEN];
	struct buf *out;
	struct remote_target target;    /* platform, and whose account */
	struct remote_meeting remote;   /* what the platform gave */
	const char *passcode, *token;   /* in clear, for the organizer's answer */
};

/* The new meeting as its organizer sees it, from the values just written:
 * nothing is read back or opened again. */
static enum err
created(struct create_tx *t, const char *url, const char *now_iso, const char *sched_iso)
{
	const struct new_meeting *nm = t->nm;
	bool remote = t->target.provider->create != NULL;
	struct meeting m;
	struct meeting_secrets sec;
	struct jsonw w;

	memset(&m, 0, sizeof(m));
	memset(&sec, 0, sizeof(sec));
	m.id = t->id;
	m.event_id = nm->event_id;
	m.organizer_id = t->c->who.subject;
	m.platform = nm->platform;
	m.platform_meeting_id = remote ? t->remote.remote_id : NULL;
	m.meeting_url = url;
	m.code = t->code;
	m.title = nm->title;
	m.description = nm->description;
	m.scheduled_for = sched_iso;
	m.duration = nm->duration;
	m.timezone = nm->timezone;
	m.participant_limit = nm->participant_limit;
	m.require_password = nm->require_password;
	m.waiting_room = nm->waiting_room;
	m.status = MS_SCHEDULED;
	m.created_at = m.updated_at = now_iso;
	m.my_role = ROLE_ORGANIZER;
	m.dial_in_number = remote ? t->remote.dial_in_number : NULL;
	m.remote_status = remote ? t->remote.status : NULL;
	sec.passcode = t->passcode;
	sec.invitation_token = t->token;
	if (remote) {
		sec.host_key = t->remote.host_key;
		sec.dial_in_password = t->remote.dial_in_password;
		sec.host_url = t->remote.host_url;
	}
	buf_reset(t->out);
	jw_init(&w, t->out);
	meeting_write_with(t->c, &w, &m, &sec);
	return t->out->failed ? ERR_NOMEM : ERR_OK;
}

static enum err
create_in_tx(struct db *db, void *arg)
{
	struct create_tx *t = arg;
	const struct new_meeting *nm = t->nm;
	struct ctx *c = t->c;
	const char *url = t->target.provider->create == NULL ?
	    arena_printf(c->arena, "%s/room/%s", c->app->cfg->public_url, t->code) : t->remote.join_url;
	int64_t now_ms = clock_wall_ms();
	char now_db[CLOCK_DB_LEN], now_iso[CLOCK_ISO_LEN], sched_iso[CLOCK_ISO_LEN];
	struct db_val p[19];
	struct buf event;
	struct jsonw w;
	enum err e;

	p[0] = DB_STR(t->id);
	p[1] = DB_STR(nm->event_id);
	p[2] = DB_STR(c->who.subject);
	p[3] = DB_STR(nm->platform);
	p[4] = DB_STR(url);
	p[5] = DB_STR(t->code);
	p[6] = t->passcode_box_len > 0 ? DB_BLOB(t->passcode_box, t->passcode_box_len) : DB_NULL;
	p[7] = DB_BLOB(t->invite_hash, SHA256_LEN);
	p[8] = DB_BLOB(t->invite_box, t->invite_box_len);
	p[9] = DB_STR(nm->title);
	p[10] = DB_STR(nm->description);
	p[11] = DB_STR(t->sched_db);
	p[12] = DB_I64(nm->duration);
	p[13] = DB_STR(nm->timezone);
	p[14] = nm->participant_limit > 0 ? DB_I64(nm->participant_limit) : DB_NULL;
	p[15] = DB_I64(nm->require_password);
	p[16] = DB_I64(nm->waiting_room);
	/* one clock reading for the row and the answer */
	clock_db_datetime(now_ms, now_db);
	clock_iso8601(now_ms / 1000, now_iso);
	clock_iso8601(nm->scheduled_ms / 1000, sched_iso);
	p[17] = DB_STR(now_db);
	p[18] = DB_STR(now_db);
	if ((e = db_exec(db, STMT_MEETING_INSERT, p, 19, c->arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	if (t->target.provider->create != NULL &&
	    (e = remote_record(c, db, &t->target, t->id, &t->remote)) != ERR_OK)
		return e;
	p[0] = DB_STR(c->who.subject);
	p[1] = DB_STR("organizer");
	p[2] = DB_STR(t->id);
	if ((e = db_exec(db, STMT_MEMBER_SET, p, 3, c->arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	buf_init(&event, EVENT_MAX);
	jw_init(&w, &event);
	jw_obj_open(&w);
	jw_kstr(&w, "organizer_id", c->who.subject);
	jw_kstr(&w, "platform", nm->platform);
	jw_kint(&w, "scheduled_for_ms", nm->scheduled_ms);
	jw_obj_close(&w);
	e = event.failed ? ERR_NOMEM :
	    journal_record(c, db, t->id, "meeting.created", NULL, "meeting.created", buf_cstr(&event));
	buf_free(&event);
	if (e != ERR_OK || (e = created(t, url, now_iso, sched_iso)) != ERR_OK)
		return e;
	/* an Idempotency-Key keeps the answer with its effect */
	return ctx_record_outcome(c, db, 201, buf_cstr(t->out));
}

static void
spec_from(const struct new_meeting *nm, const char *id, struct remote_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->meeting_id = id;
	s->title = nm->title;
	s->description = nm->description;
	s->timezone = nm->timezone;
	s->start_ms = nm->scheduled_ms;
	s->duration_min = nm->duration;
	s->require_password = nm->require_password;
	s->waiting_room = nm->waiting_room;
}

enum err
meetings_create(struct ctx *c, const struct new_meeting *nm, char id[ULID_LEN + 1], struct buf *out)
{
	const struct provider *pf = provider_find(nm->platform);
	char token[INVITE_TOKEN_LEN + 1], passcode[PASSCODE_LEN + 1];
	struct remote_spec spec;
	struct create_tx t;
	const char *room_passcode;
	int attempt;
	enum err e;

	buf_init(out, CANONICAL_MAX);
	if (pf == NULL)
		return ERR_INTERNAL;
	if ((e = meetings_charge_platform(c, nm->platform)) != ERR_OK ||
	    (e = provider_ready(pf, c->app->cfg)) != ERR_OK)
		return e;
	memset(&t, 0, sizeof(t));
	t.c = c;
	t.nm = nm;
	t.out = out;
	t.target.provider = pf;
	t.target.account = nm->remote_account;
	clock_db_datetime(nm->scheduled_ms, t.sched_db);
	ulid_new(t.id);
	if (!cred_passcode(passcode) || !cred_invite_token(token))
		return ERR_INTERNAL;
	cred_invite_hash(token, t.invite_hash);
	spec_from(nm, t.id, &spec);
	if (pf->create != NULL && ((e = remote_spec_organizer(c, &spec)) != ERR_OK ||
	    (e = remote_provision(c, &t.target, &spec, &t.remote)) != ERR_OK))
		return e;
	/* a platform's meeting carries the platform's passcode, or none */
	room_passcode = pf->create == NULL ? passcode : t.remote.passcode;
	t.passcode = room_passcode;
	t.token = token;
	if ((room_passcode != NULL &&
	    (e = cred_seal(c, t.id, "passcode", room_passcode, t.passcode_box, &t.passcode_box_len)) != ERR_OK) ||
	    (e = cred_seal(c, t.id, "invite", token, t.invite_box, &t.invite_box_len)) != ERR_OK) {
		remote_compensate(c, &t.target, t.id, &t.remote);
		return e;
	}
	/* 26^9 codes: a collision is rare, and then we draw again */
	for (attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
		if (!cred_code(t.code)) {
			e = ERR_INTERNAL;
			break;
		}
		if ((e = db_tx(c->app->db, create_in_tx, &t)) != ERR_DB_DUPLICATE)
			break;
	}
	explicit_bzero(passcode, sizeof(passcode));
	explicit_bzero(token, sizeof(token));
	if (e != ERR_OK) {
		remote_compensate(c, &t.target, t.id, &t.remote);
		return e;
	}
	memcpy(id, t.id, sizeof(t.id));
	return ERR_OK;
}

enum err
meetings_charge_platform(struct ctx *c, const char *platform)
{
	char cat[LIMIT_KEY_MAX], plat[LIMIT_KEY_MAX];
	struct limit_info d[2];
	bool allowed[2];
	enum err e;

	memset(d, 0, sizeof(d));
	/* the "meeting" category and the platform's bucket, in one statement */
	snprintf(cat, sizeof(cat), "u:%s:meeting", c->who.subject);
	snprintf(plat, sizeof(plat), "u:%s:create:%s", c->who.subject, platform);
	if ((e = limiter_take2(c->app->db, c->arena, cat, &c->app->cfg->limit_meeting, plat,
	    &c->app->cfg->limit_create_platform, d, allowed)) != ERR_OK)
		return e;
	c->limit = d[0];
	if (!allowed[0]) {
		c->retry_after_s = d[0].retry_after_s;
		c->err.limit = &c->limit;
		return ERR_RATE_LIMITED;
	}
	if (allowed[1])
		return ERR_OK;
	c->limit = d[1];
	c->retry_after_s = d[1].retry_after_s;
	c->err.limit = &c->limit;
	return ctx_fail(c, ERR_RATE_LIMITED, "Meeting creation limit for this platform exceeded");
}

/* --- update --------------------------------------------------------------- */

static bool
touches_time(const struct meeting_changes *ch)
{
	return ch->set_start || ch->set_duration || ch->set_timezone;
}

/* May the caller change m as asked? (the same rules before the platform
 * call and under the row lock) */
static enum err
update_allowed(struct ctx *c, const struct meeting *m, const struct meeting_changes *ch)
{
	enum err e;

	if (!meeting_is_host(m))
		return ctx_fail(c, ERR_FORBIDDEN, "Only hosts can update a meeting");
	if ((e = meeting_allows(m, MA_EDIT)) != ERR_OK)
		return e;
	if (touches_time(ch) && (e = meeting_allows(m, MA_RESCHEDULE)) != ERR_OK)
		return ctx_fail(c, e, "The time of a meeting in progress cannot change");
	return ERR_OK;
}

struct update_tx {
	struct ctx *c;
	const char *id;
	const struct meeting_changes *ch;
	struct buf *out;
};

static enum err
update_in_tx(struct db *db, void *arg)
{
	static const char *const names[] = { "title", "description", "scheduled_for", "duration",
	    "timezone", "participant_limit", "require_password", "waiting_room" };
	struct update_tx *t = arg;
	const struct meeting_changes *ch = t->ch;
	struct ctx *c = t->c;
	bool set[8] = { ch->set_title, ch->set_description, ch->set_start, ch->set_duration,
	    ch->set_timezone, ch->set_limit, ch->set_require_password, ch->set_waiting_room };
	char sched[CLOCK_DB_LEN];
	struct db_val p[9];
	struct meeting m;
	struct buf changed;
	struct jsonw w;
	size_t i;
	enum err e;

	if ((e = meeting_load(c, db, t->id, true, &m)) != ERR_OK || (e = update_allowed(c, &m, ch)) != ERR_OK)
		return e;
	/* two hosts editing at once: the second one's If-Match no longer holds */
	if (ch->if_match >= 0 && ch->if_match != m.version)
		return ERR_PRECONDITION_FAILED;
	if (ch->set_start)
		clock_db_datetime(ch->start_ms, sched);
	p[0] = DB_STR(ch->set_title ? ch->title : m.title);
	p[1] = DB_STR(ch->set_description ? ch->description : m.description);
	p[2] = DB_STR(ch->set_start ? sched : m.scheduled_for_db);
	p[3] = DB_I64(ch->set_duration ? ch->duration : m.duration);
	p[4] = DB_STR(ch->set_timezone ? ch->timezone : m.timezone);
	p[5] = ch->set_limit ? DB_I64(ch->participant_limit) :
	    m.participant_limit > 0 ? DB_I64(m.participant_limit) : DB_NULL;
	p[6] = DB_I64(ch->set_require_password ? ch->require_password : m.require_password);
	p[7] = DB_I64(ch->set_waiting_room ? ch->waiting_room : m.waiting_room);
	p[8] = DB_STR(m.id);
	if ((e = db_exec(db, STMT_MEETING_UPDATE, p, 9, c->arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	if (ch->set_start) {
		p[0] = DB_STR(sched);
		p[1] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_MEMBERS_RESCHEDULE, p, 2, c->arena, NULL, 0, NULL)) != ERR_OK)
			return e;
	}
	/* which fields changed, by name only: the audit never holds values */
	buf_init(&changed, 4096);
	jw_init(&w, &changed);
	jw_obj_open(&w);
	jw_key(&w, "fields");
	jw_arr_open(&w);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (set[i])
			jw_str(&w, names[i]);
	jw_arr_close(&w);
	jw_obj_close(&w);
	e = journal_record(c, db, m.id, "meeting.updated", buf_cstr(&changed), "meeting.updated",
	    buf_cstr(&changed));
	buf_free(&changed);
	if (e != ERR_OK)
		return e;
	return canonical(c, db, m.id, t->out);
}

/* A platform's meeting changes there first, outside any transaction; the
 * local write re-checks everything under its row lock. */
static enum err
update_remote(struct ctx *c, const char *id, const struct meeting_changes *ch)
{
	struct remote_spec s;
	struct meeting m;
	enum err e;

	if ((e = meeting_load(c, c->app->db, id, false, &m)) != ERR_OK)
		return e;
	if (strcmp(m.platform, "native") == 0)
		return ERR_OK;
	if ((e = update_allowed(c, &m, ch)) != ERR_OK)
		return e;
	memset(&s, 0, sizeof(s));
	s.meeting_id = m.id;
	s.title = ch->set_title ? ch->title : m.title;
	s.description = ch->set_description ? ch->description : m.description;
	s.timezone = ch->set_timezone ? ch->timezone : m.timezone;
	if (ch->set_start)
		s.start_ms = ch->start_ms;
	else if (!clock_parse_iso8601(m.scheduled_for, &s.start_ms))
		return ERR_DB_SCHEMA;
	s.duration_min = ch->set_duration ? ch->duration : m.duration;
	s.require_password = ch->set_require_password ? ch->require_password : m.require_password;
	s.waiting_room = ch->set_waiting_room ? ch->waiting_room : m.waiting_room;
	if ((e = remote_spec_organizer(c, &s)) != ERR_OK)
		return e;
	return remote_update(c, &m, &s);
}

enum err
meetings_update(struct ctx *c, const char *id, const struct meeting_changes *ch, struct buf *out)
{
	struct update_tx t = { .c = c, .id = id, .ch = ch, .out = out };
	enum err e;

	buf_init(out, CANONICAL_MAX);
	if ((e = update_remote(c, id, ch)) != ERR_OK)
		return e;
	return db_tx(c->app->db, update_in_tx, &t);
}

/* --- start, end, cancel --------------------------------------------------- */

struct transition_tx {
	struct ctx *c;
	const char *id;
	enum meeting_action action;
	struct transition *out;
};

static enum err
transition_allowed(struct ctx *c, const struct meeting *m, enum meeting_action action)
{
	if (!meeting_is_host(m))
		return ctx_fail(c, ERR_FORBIDDEN, "Only hosts can start, end or cancel a meeting");
	return meeting_allows(m, action);
}

static enum err
transition_in_tx(struct db *db, void *arg)
{
	struct transition_tx *t = arg;
	struct transition *out = t->out;
	struct ctx *c = t->c;
	char now[CLOCK_ISO_LEN], now_db[CLOCK_DB_LEN];
	int64_t now_ms = clock_wall_ms();
	const char *type;
	struct db_val p[3];
	struct meeting m;
	struct buf event;
	struct jsonw w;
	uint64_t n = 0;
	enum err e;

	if ((e = meeting_load(c, db, t->id, true, &m)) != ERR_OK ||
	    (e = transition_allowed(c, &m, t->action)) != ERR_OK)
		return e;
	/* one reading of the clock for the row and the answer */
	clock_iso8601(now_ms / 1000, now);
	clock_db_datetime(now_ms, now_db);
	out->meeting_id = m.id;
	out->by = c->who.subject;
	out->at = arena_strdup(c->arena, now);
	out->duration_minutes = 0;
	p[0] = DB_STR(now_db);
	if (t->action == MA_CANCEL) {
		p[1] = DB_STR(m.id);
		e = db_exec(db, STMT_MEETING_CANCEL, p, 2, c->arena, NULL, 0, &n);
	} else {
		p[1] = DB_STR(c->who.subject);
		p[2] = DB_STR(m.id);
		e = db_exec(db, t->action == MA_START ? STMT_MEETING_START : STMT_MEETING_END, p, 3,
		    c->arena, NULL, 0, &n);
	}
	if (e != ERR_OK)
		return e;
	if (n != 1)
		return ERR_DB_RETRY;    /* the row changed under us: read it again */
	if (t->action != MA_START) {
		p[0] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_PART_CLOSE_ALL, p, 1, c->arena, NULL, 0, NULL)) != ERR_OK)
			return e;
	}
	if (t->action == MA_END)
		out->duration_minutes = m.active_seconds > 0 ? (m.active_seconds + 30) / 60 : 0;
	type = t->action == MA_START ? "meeting.started" : t->action == MA_END ? "meeting.ended" :
	    "meeting.cancelled";
	buf_init(&event, EVENT_MAX);
	jw_init(&w, &event);
	jw_obj_open(&w);
	jw_kstr(&w, t->action == MA_START ? "started_by" : t->action == MA_END ? "ended_by" :
	    "cancelled_by", c->who.subject);
	jw_kstr(&w, t->action == MA_START ? "started_at" : t->action == MA_END ? "ended_at" :
	    "cancelled_at", now);
	if (t->action == MA_END)
		jw_kint(&w, "duration_minutes", out->duration_minutes);
	jw_obj_close(&w);
	e = event.failed ? ERR_NOMEM : journal_record(c, db, m.id, type, NULL, type, buf_cstr(&event));
	buf_free(&event);
	if (e != ERR_OK || t->action != MA_CANCEL)
		return e;
	return canonical(c, db, m.id, &out->meeting);
}

/* Cancelling or ending a platform's meeting happens there first. */
static enum err
transition_remote(struct ctx *c, const char *id, enum meeting_action action)
{
	struct meeting m;
	enum err e;

	if (action == MA_START)
		return ERR_OK;          /* hosts start platform meetings in the platform */
	if ((e = meeting_load(c, c->app->db, id, false, &m)) != ERR_OK)
		return e;
	if (strcmp(m.platform, "native") == 0)
		return ERR_OK;
	if ((e = transition_allowed(c, &m, action)) != ERR_OK)
		return e;
	return action == MA_CANCEL ? remote_cancel(c, &m) : remote_end(c, &m);
}

enum err
meetings_transition(struct ctx *c, const char *id, enum meeting_action action, struct transition *out)
{
	struct transition_tx t = { .c = c, .id = id, .action = action, .out = out };
	enum err e;

	memset(out, 0, sizeof(*out));
	buf_init(&out->meeting, CANONICAL_MAX);
	if (action != MA_START && action != MA_END && action != MA_CANCEL)
		return ERR_INTERNAL;
	if ((e = transition_remote(c, id, action)) != ERR_OK)
		return e;
	return db_tx(c->app->db, transition_in_tx, &t);
}

/* --- status ----------------------------------------------------------------- */

enum err
meetings_status(struct ctx *c, const char *id, bool refresh, struct meeting_status_view *out)
{
	enum { S_ID, S_PLATFORM, S_REMOTE_ID, S_STATUS, S_STARTED, S_ENDED, S_ROLE, S_REMOTE_STATUS,
	    S_REMOTE_AGE, S_ACCOUNT, S_START, S_DURATION, S_ATTENDANCE, S_ACTIVE, S__MAX };
	struct meeting *m = &out->m;
	struct db_val p[2];
	struct db_rows rows;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (id == NULL || !ulid_valid(id))
		return ERR_MEETING_NOT_FOUND;
	p[0] = DB_STR(c->who.subject);
	p[1] = DB_STR(id);
	if ((e = db_exec(c->app->db, STMT_MEETING_STATUS, p, 2, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_MEETING_NOT_FOUND;
	if (rows.ncols != S__MAX)
		return ERR_DB_SCHEMA;
	m->my_role = member_role_parse(db_cell(&rows, 0, S_ROLE));
	if (m->my_role == ROLE_NONE)
		return ERR_MEETING_NOT_FOUND;   /* a stranger learns nothing */
	m->id = db_cell(&rows, 0, S_ID);
	m->platform = db_cell(&rows, 0, S_PLATFORM);
	m->platform_meeting_id = db_cell(&rows, 0, S_REMOTE_ID);
	m->status = meeting_status_parse(db_cell(&rows, 0, S_STATUS));
	m->started_at = db_cell(&rows, 0, S_STARTED);
	m->ended_at = db_cell(&rows, 0, S_ENDED);
	m->remote_status = db_cell(&rows, 0, S_REMOTE_STATUS);
	m->remote_account = db_cell(&rows, 0, S_ACCOUNT);
	m->scheduled_for = db_cell(&rows, 0, S_START);
	m->remote_age_s = -1;
	if (m->status == MS__MAX || m->platform == NULL || m->scheduled_for == NULL ||
	    (db_cell(&rows, 0, S_REMOTE_AGE) != NULL &&
	    parse_i64z(db_cell(&rows, 0, S_REMOTE_AGE), INT64_MIN, INT64_MAX, &m->remote_age_s) != ERR_OK) ||
	    parse_i64z(db_cell(&rows, 0, S_DURATION), 0, INT32_MAX, &m->duration) != ERR_OK ||
	    parse_i64z(db_cell(&rows, 0, S_ATTENDANCE), 0, INT64_MAX, &out->attendance_count) != ERR_OK ||
	    parse_i64z(db_cell(&rows, 0, S_ACTIVE), 0, INT64_MAX, &out->active_participants) != ERR_OK)
		return ERR_DB_SCHEMA;
	/* the platform's status, cached five minutes (refresh reads it now) */
	return remote_refresh_status(c, m, refresh);
}

/* --- credentials ---------------------------------------------------------- */

struct regen_tx {
	struct ctx *c;
	const char *id;
	bool invite;            /* else the passcode */
	struct buf *out;
};

static enum err
regen_in_tx(struct db *db, void *arg)
{
	struct regen_tx *t = arg;
	struct ctx *c = t->c;
	unsigned char box[SEALED_MAX], hash[SHA256_LEN];
	char token[INVITE_TOKEN_LEN + 1], passcode[PASSCODE_LEN + 1];
	size_t box_len;
	struct db_val p[3];
	struct meeting m;
	enum err e;

	if ((e = meeting_load(c, db, t->id, true, &m)) != ERR_OK)
		return e;
	if (!meeting_is_host(&m))
		return ctx_fail(c, ERR_FORBIDDEN, "Only hosts can change a meeting's credentials");
	if ((e = meeting_allows(&m, MA_EDIT)) != ERR_OK)
		return e;
	if (t->invite) {
		if (!cred_invite_token(token))
			return ERR_INTERNAL;
		cred_invite_hash(token, hash);
		e = cred_seal(c, m.id, "invite", token, box, &box_len);
		explicit_bzero(token, sizeof(token));
		if (e != ERR_OK)
			return e;
		p[0] = DB_BLOB(hash, SHA256_LEN);
		p[1] = DB_BLOB(box, box_len);
		p[2] = DB_STR(m.id);
		e = db_exec(db, STMT_MEETING_SET_INVITE, p, 3, c->arena, NULL, 0, NULL);
	} else {
		if (!cred_passcode(passcode))
			return ERR_INTERNAL;
		e = cred_seal(c, m.id, "passcode", passcode, box, &box_len);
		explicit_bzero(passcode, sizeof(passcode));
		if (e != ERR_OK)
			return e;
		p[0] = DB_BLOB(box, box_len);
		p[1] = DB_STR(m.id);
		e = db_exec(db, STMT_MEETING_SET_PASSCODE, p, 2, c->arena, NULL, 0, NULL);
	}
	if (e != ERR_OK)
		return e;
	if ((e = journal_record(c, db, m.id, t->invite ? "meeting.invitation_regenerated" :
	    "meeting.passcode_regenerated", NULL, NULL, NULL)) != ERR_OK)
		return e;
	return canonical(c, db, m.id, t->out);
}

enum err
meetings_regenerate(struct ctx *c, const char *id, bool invite, struct buf *out)
{
	struct regen_tx t = { .c = c, .id = id, .invite = invite, .out = out };

	buf_init(out, CANONICAL_MAX);
	return db_tx(c->app->db, regen_in_tx, &t);
}
