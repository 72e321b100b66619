/*
 * meetings.c — the meeting lifecycle under /api/v1/meetings: create, list,
 * get, update, cancel, start, end, status, credentials, members, audit.
 *
 * Every write runs in one transaction that re-reads the meeting FOR UPDATE,
 * checks the caller's role and the state machine, writes, and leaves its
 * audit row and outbox event; the answer is rendered inside the transaction
 * (so an Idempotency-Key can store it with the effect) and sent after it
 * commits.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/app.h"
#include "core/b64.h"
#include "core/clock.h"
#include "domain/credentials.h"
#include "store/db.h"
#include "store/idempotency.h"
#include "domain/journal.h"
#include "store/limiter.h"
#include "domain/meeting.h"
#include "domain/meetings.h"
#include "core/parse.h"
#include "platforms/provider.h"
#include "domain/remote.h"
#include "core/rand.h"
#include "domain/users.h"
#include "api/validate.h"
#include "core/zone.h"

#define PAST_GRACE_MS (5 * 60 * 1000)
#define FUTURE_MAX_YEARS 10
#define CODE_ATTEMPTS 4
#define LIST_MAX 100

enum {
	F_TITLE, F_DESCRIPTION, F_SCHEDULED_FOR, F_DURATION, F_TIMEZONE, F_PARTICIPANT_LIMIT,
	F_REQUIRE_PASSWORD, F_WAITING_ROOM, F_PLATFORM, F_EVENT_ID, NFIELDS
};

/* Rules of 000 "Validation Rules"; create requires what 000 requires. */
static const struct field_spec create_fields[NFIELDS] = {
	[F_TITLE] = { "title", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	[F_DESCRIPTION] = { "description", FT_STRING, 0, 0, 5000 },
	[F_SCHEDULED_FOR] = { "scheduled_for", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 20, 35 },
	[F_DURATION] = { "duration", FT_INTEGER, FF_REQUIRED, 1, 1440 },
	[F_TIMEZONE] = { "timezone", FT_STRING, FF_NO_CONTROL, 1, 64 },
	[F_PARTICIPANT_LIMIT] = { "participant_limit", FT_INTEGER, 0, 1, 10000 },
	[F_REQUIRE_PASSWORD] = { "require_password", FT_BOOLEAN, 0, 0, 0 },
	[F_WAITING_ROOM] = { "waiting_room", FT_BOOLEAN, 0, 0, 0 },
	[F_PLATFORM] = { "platform", FT_STRING, FF_NO_CONTROL, 1, 32 },
	[F_EVENT_ID] = { "event_id", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 64 },
};

/* 004's create: the same rules for what it may send; a native room
 * starting now for an hour unless told otherwise. */
static const struct field_spec room_fields[F_PLATFORM] = {
	[F_TITLE] = { "title", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	[F_DESCRIPTION] = { "description", FT_STRING, 0, 0, 5000 },
	[F_SCHEDULED_FOR] = { "scheduled_for", FT_STRING, FF_NO_CONTROL, 20, 35 },
	[F_DURATION] = { "duration", FT_INTEGER, 0, 1, 1440 },
	[F_TIMEZONE] = { "timezone", FT_STRING, FF_NO_CONTROL, 1, 64 },
	[F_PARTICIPANT_LIMIT] = { "participant_limit", FT_INTEGER, 0, 1, 10000 },
	[F_REQUIRE_PASSWORD] = { "require_password", FT_BOOLEAN, 0, 0, 0 },
	[F_WAITING_ROOM] = { "waiting_room", FT_BOOLEAN, 0, 0, 0 },
};

/* Update: the same rules, nothing required, platform and event fixed. */
static const struct field_spec update_fields[F_PLATFORM] = {
	[F_TITLE] = { "title", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	[F_DESCRIPTION] = { "description", FT_STRING, 0, 0, 5000 },
	[F_SCHEDULED_FOR] = { "scheduled_for", FT_STRING, FF_NO_CONTROL, 20, 35 },
	[F_DURATION] = { "duration", FT_INTEGER, 0, 1, 1440 },
	[F_TIMEZONE] = { "timezone", FT_STRING, FF_NO_CONTROL, 1, 64 },
	[F_PARTICIPANT_LIMIT] = { "participant_limit", FT_INTEGER, 0, 1, 10000 },
	[F_REQUIRE_PASSWORD] = { "require_password", FT_BOOLEAN, 0, 0, 0 },
	[F_WAITING_ROOM] = { "waiting_room", FT_BOOLEAN, 0, 0, 0 },
};


void
meetings_check_when(struct request *rq, const char *start_name, const struct field_value *start,
    const char *zone_name, const struct field_value *zone, int64_t *start_ms)
{
	int64_t now = clock_wall_ms();
	char *s;

	if (start->present && !validate_failed(rq, start_name)) {
		s = validate_dup(rq, start);
		if (s == NULL || !clock_parse_iso8601(s, start_ms))
			request_field_error(rq, start_name,
			    "must be an ISO-8601 date-time with an offset, such as 2026-01-15T10:00:00Z");
		else if (*start_ms < now - PAST_GRACE_MS)
			request_field_error(rq, start_name, "must not be in the past");
		else if (*start_ms > clock_add_years_ms(now, FUTURE_MAX_YEARS))
			request_field_error(rq, start_name, "must be within ten years");
	}
	if (zone->present && !validate_failed(rq, zone_name)) {
		s = validate_dup(rq, zone);
		if (s == NULL || !zone_exists(s))
			request_field_error(rq, zone_name, "must be an IANA time zone such as Europe/Paris");
	}
}

/* Field rules that a field_spec cannot say; every failure is recorded, so
 * the answer lists every bad field at once. */
static void
check_time_fields(struct request *rq, const struct field_value *v, int64_t *sched_ms)
{
	meetings_check_when(rq, "scheduled_for", &v[F_SCHEDULED_FOR], "timezone", &v[F_TIMEZONE], sched_ms);
}

/* The answer of a write, rendered inside its transaction. */
struct answer {
	struct buf data;
	int status;
	const char *message;
};

static void
answer_init(struct answer *a)
{
	buf_init(&a->data, RESP_BODY_MAX);
	a->status = 200;
	a->message = "OK";
}

static enum err
answer_send(struct answer *a, struct response *rs, enum err e)
{
	struct jsonw *w;

	if (e == ERR_OK && a->data.failed)
		e = ERR_NOMEM;
	if (e == ERR_OK) {
		w = resp_data(rs, a->status, a->message);
		jw_raw(w, a->data.data, a->data.len);
	}
	buf_free(&a->data);
	return e;
}

/* Renders meeting `id` as the caller now sees it into a->data. */
static enum err
render_meeting(struct request *rq, struct db *db, const char *id, struct answer *a)
{
	struct meeting m;
	struct jsonw w;
	enum err e;

	buf_reset(&a->data);
	if ((e = meeting_load(rq, db, id, false, &m)) != ERR_OK)
		return e;
	jw_init(&w, &a->data);
	return meeting_write(rq, &w, &m);
}

/* --- create --------------------------------------------------------- */

struct create_tx {
	struct request *rq;
	const struct new_meeting *nm;
	struct idem *idem;
	char id[ULID_LEN + 1];
	char code[CODE_LEN + 1];
	char token[INVITE_TOKEN_LEN + 1];
	unsigned char passcode_box[SEALED_MAX], invite_box[SEALED_MAX], invite_hash[SHA256_LEN];
	size_t passcode_box_len, invite_box_len;
	char sched_db[CLOCK_DB_LEN];
	struct answer *answer;
	struct remote_target target;    /* platform, and whose account */
	struct remote_meeting remote;   /* what the platform gave */
};

static enum err
create_in_tx(struct db *db, void *ctx)
{
	struct create_tx *t = ctx;
	const struct new_meeting *nm = t->nm;
	struct request *rq = t->rq;
	const char *url = t->target.provider->create == NULL ?
	    arena_printf(rq->ctx.arena, "%s/room/%s", rq->ctx.app->cfg->public_url, t->code) : t->remote.join_url;
	char *event;
	struct db_val p[17];
	enum err e;

	p[0] = DB_STR(t->id);
	p[1] = DB_STR(nm->event_id);
	p[2] = DB_STR(rq->ctx.who.subject);
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
	if ((e = db_exec(db, STMT_MEETING_INSERT, p, 17, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	if (t->target.provider->create != NULL &&
	    (e = remote_record(rq, db, &t->target, t->id, &t->remote)) != ERR_OK)
		return e;
	p[0] = DB_STR(rq->ctx.who.subject);
	p[1] = DB_STR("organizer");
	p[2] = DB_STR(t->id);
	if ((e = db_exec(db, STMT_MEMBER_SET, p, 3, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	event = arena_printf(rq->ctx.arena, "{\"organizer_id\":\"%s\",\"platform\":\"%s\",\"scheduled_for_ms\":%lld}",
	    rq->ctx.who.subject, nm->platform, (long long)nm->scheduled_ms);
	if (event == NULL)
		return ERR_NOMEM;
	if ((e = journal_record(rq, db, t->id, "meeting.created", NULL, "meeting.created", event)) != ERR_OK)
		return e;
	if ((e = render_meeting(rq, db, t->id, t->answer)) != ERR_OK)
		return e;
	if (t->answer->data.failed)
		return ERR_NOMEM;
	return idem_store(rq, db, t->idem, 201, t->answer->message, buf_cstr(&t->answer->data));
}

enum err
meetings_create(struct request *rq, const struct new_meeting *nm, struct idem *idem,
    struct answer_out *out)
{
	const struct provider *pf = provider_find(nm->platform);
	struct remote_spec spec;
	struct create_tx t;
	struct answer a;
	char passcode[PASSCODE_LEN + 1];
	const char *room_passcode;
	int attempt;
	enum err e;

	if (pf == NULL)
		return ERR_INTERNAL;
	if ((e = provider_ready(pf, rq->ctx.app->cfg)) != ERR_OK)
		return e;
	memset(&t, 0, sizeof(t));
	t.rq = rq;
	t.nm = nm;
	t.idem = idem;
	t.target.provider = pf;
	t.target.account = nm->remote_account;
	clock_db_datetime(nm->scheduled_ms, t.sched_db);
	ulid_new(t.id);
	if (!cred_passcode(passcode) || !cred_invite_token(t.token))
		return ERR_INTERNAL;
	cred_invite_hash(t.token, t.invite_hash);
	memset(&spec, 0, sizeof(spec));
	spec.meeting_id = t.id;
	spec.title = nm->title;
	spec.description = nm->description;
	spec.timezone = nm->timezone;
	spec.start_ms = nm->scheduled_ms;
	spec.duration_min = nm->duration;
	spec.require_password = nm->require_password;
	spec.waiting_room = nm->waiting_room;
	if (pf->create != NULL && ((e = remote_spec_organizer(rq, &spec)) != ERR_OK ||
	    (e = remote_provision(rq, &t.target, &spec, &t.remote)) != ERR_OK))
		return e;
	/* a platform's meeting carries the platform's passcode, or none */
	room_passcode = pf->create == NULL ? passcode : t.remote.passcode;
	if ((room_passcode != NULL &&
	    (e = cred_seal(rq, t.id, "passcode", room_passcode, t.passcode_box, &t.passcode_box_len)) != ERR_OK) ||
	    (e = cred_seal(rq, t.id, "invite", t.token, t.invite_box, &t.invite_box_len)) != ERR_OK) {
		remote_compensate(rq, &t.target, t.id, &t.remote);
		return e;
	}
	answer_init(&a);
	a.status = 201;
	a.message = "Meeting created successfully";
	t.answer = &a;
	/* 26^9 codes: a collision is rare, and then we draw again */
	for (attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
		if (!cred_code(t.code)) {
			e = ERR_INTERNAL;
			break;
		}
		if ((e = db_tx(rq->ctx.app->db, create_in_tx, &t)) != ERR_DB_DUPLICATE)
			break;
	}
	if (e != ERR_OK) {
		remote_compensate(rq, &t.target, t.id, &t.remote);
		buf_free(&a.data);
		return e;
	}
	memcpy(out->id, t.id, sizeof(t.id));
	out->data = a.data;
	return ERR_OK;
}

/* Reads and checks a create body into nm. */
enum err
meetings_parse_create(struct request *rq, enum create_face face, struct new_meeting *nm)
{
	struct field_value v[NFIELDS];
	bool room = face == CREATE_ROOM_004;
	enum err e;

	memset(nm, 0, sizeof(*nm));
	memset(v, 0, sizeof(v));
	e = room ? validate_body(rq, room_fields, F_PLATFORM, v) :
	    validate_body(rq, create_fields, NFIELDS, v);
	if (e != ERR_OK && (e != ERR_VALIDATION_FAILED || rq->ctx.err.nfields == 0))
		return e;       /* not an object: nothing more to say */
	nm->scheduled_ms = clock_wall_ms();
	check_time_fields(rq, v, &nm->scheduled_ms);
	nm->platform = v[F_PLATFORM].present ? validate_dup(rq, &v[F_PLATFORM]) : "native";
	if (nm->platform != NULL && !validate_failed(rq, "platform") && provider_find(nm->platform) == NULL)
		request_field_error(rq, "platform",
		    "must be one of native, jitsi, zoom, google_meet, teams, webex, facetime, livekit");
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	nm->title = validate_dup(rq, &v[F_TITLE]);
	nm->description = validate_dup(rq, &v[F_DESCRIPTION]);
	nm->timezone = v[F_TIMEZONE].present ? validate_dup(rq, &v[F_TIMEZONE]) : "UTC";
	nm->event_id = validate_dup(rq, &v[F_EVENT_ID]);
	nm->duration = v[F_DURATION].present ? v[F_DURATION].i : 60;
	nm->participant_limit = v[F_PARTICIPANT_LIMIT].present ? v[F_PARTICIPANT_LIMIT].i : 0;
	nm->require_password = v[F_REQUIRE_PASSWORD].present ? v[F_REQUIRE_PASSWORD].b : true;
	/* 004's rooms admit at once; the canonical default holds guests back */
	nm->waiting_room = v[F_WAITING_ROOM].present ? v[F_WAITING_ROOM].b : !room;
	return ERR_OK;
}

/* 000: at most N creates per hour per user per platform, beside the
 * category limit the dispatcher applied. */
enum err
meetings_charge_platform(struct request *rq, const char *platform)
{
	char key[LIMIT_KEY_MAX];
	struct limit_info d;
	bool allowed;
	enum err e;

	memset(&d, 0, sizeof(d));
	snprintf(key, sizeof(key), "u:%s:create:%s", rq->ctx.who.subject, platform);
	if ((e = limiter_take(rq->ctx.app->db, rq->ctx.arena, key, &rq->ctx.app->cfg->limit_create_platform,
	    &d, &allowed)) != ERR_OK)
		return e;
	if (allowed)
		return ERR_OK;
	rq->ctx.limit = d;
	rq->ctx.retry_after_s = d.retry_after_s;
	rq->ctx.err.limit = &rq->ctx.limit;
	return request_fail(rq, ERR_RATE_LIMITED, "Meeting creation limit for this platform exceeded");
}

enum err
meetings_create_for_face(struct request *rq, const struct new_meeting *nm, struct meeting *m)
{
	struct answer_out out;
	struct idem idem;
	enum err e;

	memset(&idem, 0, sizeof(idem));
	if ((e = meetings_charge_platform(rq, nm->platform)) != ERR_OK ||
	    (e = meetings_create(rq, nm, &idem, &out)) != ERR_OK)
		return e;
	buf_free(&out.data);
	return meeting_load(rq, rq->ctx.app->db, out.id, false, m);
}

enum err
api_meeting_create(struct request *rq, struct response *rs)
{
	struct new_meeting nm;
	struct answer_out out;
	struct idem idem;
	struct jsonw *w;
	bool replayed;
	enum err e;

	if ((e = meetings_parse_create(rq, CREATE_V1, &nm)) != ERR_OK)
		return e;
	if ((e = idem_begin(rq, &idem, rs, &replayed)) != ERR_OK || replayed)
		return e;
	if ((e = meetings_charge_platform(rq, nm.platform)) != ERR_OK ||
	    (e = meetings_create(rq, &nm, &idem, &out)) != ERR_OK) {
		idem_release(rq, &idem);
		return e;
	}
	w = resp_data(rs, 201, "Meeting created successfully");
	jw_raw(w, out.data.data, out.data.len);
	buf_free(&out.data);
	return ERR_OK;
}

/* --- read ------------------------------------------------------------ */

enum err
api_meeting_get(struct request *rq, struct response *rs)
{
	struct meeting m;
	enum err e;

	if ((e = meeting_load(rq, rq->ctx.app->db, rq->params[0], false, &m)) != ERR_OK)
		return e;
	return meeting_write(rq, resp_data(rs, 200, "Meeting retrieved successfully"), &m);
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
meetings_list(struct request *rq, const struct list_filter *f, struct db_rows *rows)
{
	struct db_val p[13];

	p[0] = DB_STR(rq->ctx.who.subject);
	p[1] = DB_STR(f->from);
	p[2] = DB_STR(f->to);
	p[3] = DB_STR(f->after_ts);
	p[4] = DB_STR(f->after_ts);
	p[5] = DB_STR(f->after_id);
	p[6] = DB_STR(f->status);
	p[7] = DB_STR(f->status);
	p[8] = DB_STR(f->platform);
	p[9] = DB_STR(f->platform);
	p[10] = DB_STR(f->role);
	p[11] = DB_STR(f->role);
	p[12] = DB_I64(f->limit);
	return db_exec(rq->ctx.app->db, STMT_MEETING_LIST, p, 13, rq->ctx.arena, rows, (size_t)f->limit, NULL);
}

enum err
api_meeting_list(struct request *rq, struct response *rs)
{
	struct list_filter f = { .from = "1970-01-01 00:00:00.000", .to = "9999-12-31 23:59:59.999",
	    .after_ts = "1970-01-01 00:00:00.000", .after_id = "" };
	const char *limit = request_query(rq, "limit"), *cursor = request_query(rq, "cursor");
	struct db_rows rows;
	struct jsonw *w;
	struct meeting m;
	int64_t n = 20;
	size_t i, shown;
	enum err e;

	f.status = request_query(rq, "status");
	f.platform = request_query(rq, "platform");
	f.role = request_query(rq, "role");
	if (f.status != NULL && strcmp(f.status, "scheduled") != 0 && strcmp(f.status, "started") != 0 &&
	    strcmp(f.status, "ended") != 0 && strcmp(f.status, "cancelled") != 0)
		request_field_error(rq, "status", "must be scheduled, started, ended or cancelled");
	if (f.platform != NULL && provider_find(f.platform) == NULL)
		request_field_error(rq, "platform", "is not a known platform");
	if (f.role != NULL && member_role_parse(f.role) == ROLE_NONE)
		request_field_error(rq, "role", "must be organizer, co_host, participant or guest");
	if (limit != NULL && parse_limit(limit, LIST_MAX, &n) != ERR_OK)
		request_field_error(rq, "limit", "must be an integer from 1 to 100");
	f.from = query_time(rq, "from", f.from);
	f.to = query_time(rq, "to", f.to);
	if (cursor != NULL)
		(void)decode_cursor(rq, cursor, &f.after_ts, &f.after_id);
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	f.limit = n + 1;        /* one more tells whether there is a next page */
	if ((e = meetings_list(rq, &f, &rows)) != ERR_OK)
		return e;
	shown = rows.nrows > (size_t)n ? (size_t)n : rows.nrows;
	w = resp_data(rs, 200, "Meetings retrieved successfully");
	jw_obj_open(w);
	jw_key(w, "meetings");
	jw_arr_open(w);
	for (i = 0; i < shown; i++) {
		meeting_from_row(&rows, i, &m);
		if ((e = meeting_write(rq, w, &m)) != ERR_OK)
			return e;
	}
	jw_arr_close(w);
	if (rows.nrows > (size_t)n) {
		meeting_from_row(&rows, shown - 1, &m);
		jw_kstr(w, "next_cursor", encode_cursor(rq, m.scheduled_for_db, m.id));
	} else {
		jw_knull(w, "next_cursor");
	}
	jw_obj_close(w);
	return ERR_OK;
}

/* --- update ---------------------------------------------------------- */

struct update_tx {
	struct request *rq;
	struct field_value *v;
	int64_t sched_ms;
	struct answer *answer;
};

static enum err
update_in_tx(struct db *db, void *ctx)
{
	struct update_tx *t = ctx;
	struct request *rq = t->rq;
	struct field_value *v = t->v;
	char sched[CLOCK_DB_LEN];
	struct db_val p[9];
	struct meeting m;
	struct buf changed;
	struct jsonw w;
	int i;
	enum err e;

	if ((e = meeting_load(rq, db, rq->params[0], true, &m)) != ERR_OK)
		return e;
	if (!meeting_is_host(&m))
		return request_fail(rq, ERR_FORBIDDEN, "Only hosts can update a meeting");
	if ((e = meeting_allows(&m, MA_EDIT)) != ERR_OK)
		return e;
	if ((v[F_SCHEDULED_FOR].present || v[F_DURATION].present || v[F_TIMEZONE].present) &&
	    (e = meeting_allows(&m, MA_RESCHEDULE)) != ERR_OK)
		return request_fail(rq, e, "The time of a meeting in progress cannot change");
	if (v[F_SCHEDULED_FOR].present)
		clock_db_datetime(t->sched_ms, sched);
	p[0] = DB_STR(v[F_TITLE].present ? validate_dup(rq, &v[F_TITLE]) : m.title);
	p[1] = DB_STR(v[F_DESCRIPTION].present ? validate_dup(rq, &v[F_DESCRIPTION]) : m.description);
	p[2] = DB_STR(v[F_SCHEDULED_FOR].present ? sched : m.scheduled_for_db);
	p[3] = DB_I64(v[F_DURATION].present ? v[F_DURATION].i : m.duration);
	p[4] = DB_STR(v[F_TIMEZONE].present ? validate_dup(rq, &v[F_TIMEZONE]) : m.timezone);
	p[5] = v[F_PARTICIPANT_LIMIT].present ? DB_I64(v[F_PARTICIPANT_LIMIT].i) :
	    m.participant_limit > 0 ? DB_I64(m.participant_limit) : DB_NULL;
	p[6] = DB_I64(v[F_REQUIRE_PASSWORD].present ? v[F_REQUIRE_PASSWORD].b : m.require_password);
	p[7] = DB_I64(v[F_WAITING_ROOM].present ? v[F_WAITING_ROOM].b : m.waiting_room);
	p[8] = DB_STR(m.id);
	if ((e = db_exec(db, STMT_MEETING_UPDATE, p, 9, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	if (v[F_SCHEDULED_FOR].present) {
		p[0] = DB_STR(sched);
		p[1] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_MEMBERS_RESCHEDULE, p, 2, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
	}
	/* which fields changed, by name only: the audit never holds values */
	buf_init(&changed, 4096);
	jw_init(&w, &changed);
	jw_obj_open(&w);
	jw_key(&w, "fields");
	jw_arr_open(&w);
	for (i = 0; i < F_PLATFORM; i++)
		if (v[i].present)
			jw_str(&w, update_fields[i].name);
	jw_arr_close(&w);
	jw_obj_close(&w);
	e = journal_record(rq, db, m.id, "meeting.updated", buf_cstr(&changed), "meeting.updated",
	    buf_cstr(&changed));
	buf_free(&changed);
	if (e != ERR_OK)
		return e;
	return render_meeting(rq, db, m.id, t->answer);
}

/* A platform's meeting changes there first, outside any transaction; the
 * local write re-checks everything under its row lock. */
static enum err
update_remote(struct request *rq, const struct field_value *v, int64_t sched_ms)
{
	struct remote_spec s;
	struct meeting m;
	enum err e;

	if ((e = meeting_load(rq, rq->ctx.app->db, rq->params[0], false, &m)) != ERR_OK)
		return e;
	if (strcmp(m.platform, "native") == 0)
		return ERR_OK;
	if (!meeting_is_host(&m))
		return request_fail(rq, ERR_FORBIDDEN, "Only hosts can update a meeting");
	if ((e = meeting_allows(&m, MA_EDIT)) != ERR_OK)
		return e;
	if ((v[F_SCHEDULED_FOR].present || v[F_DURATION].present || v[F_TIMEZONE].present) &&
	    (e = meeting_allows(&m, MA_RESCHEDULE)) != ERR_OK)
		return request_fail(rq, e, "The time of a meeting in progress cannot change");
	memset(&s, 0, sizeof(s));
	s.meeting_id = m.id;
	s.title = v[F_TITLE].present ? validate_dup(rq, &v[F_TITLE]) : m.title;
	s.description = v[F_DESCRIPTION].present ? validate_dup(rq, &v[F_DESCRIPTION]) : m.description;
	s.timezone = v[F_TIMEZONE].present ? validate_dup(rq, &v[F_TIMEZONE]) : m.timezone;
	if (v[F_SCHEDULED_FOR].present)
		s.start_ms = sched_ms;
	else if (!clock_parse_iso8601(m.scheduled_for, &s.start_ms))
		return ERR_INTERNAL;
	s.duration_min = v[F_DURATION].present ? v[F_DURATION].i : m.duration;
	s.require_password = v[F_REQUIRE_PASSWORD].present ? v[F_REQUIRE_PASSWORD].b : m.require_password;
	s.waiting_room = v[F_WAITING_ROOM].present ? v[F_WAITING_ROOM].b : m.waiting_room;
	if ((e = remote_spec_organizer(rq, &s)) != ERR_OK)
		return e;
	return remote_update(rq, &m, &s);
}

enum err
api_meeting_update(struct request *rq, struct response *rs)
{
	struct field_value v[F_PLATFORM];
	struct update_tx t = { .rq = rq, .v = v };
	struct answer a;
	int i, n = 0;
	enum err e;

	memset(v, 0, sizeof(v));
	e = validate_body(rq, update_fields, F_PLATFORM, v);
	if (e != ERR_OK && (e != ERR_VALIDATION_FAILED || rq->ctx.err.nfields == 0))
		return e;
	for (i = 0; i < F_PLATFORM; i++)
		n += v[i].present;
	if (n == 0 && rq->ctx.err.nfields == 0)
		return request_fail(rq, ERR_VALIDATION_FAILED, "Nothing to update: send at least one field");
	check_time_fields(rq, v, &t.sched_ms);
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	if ((e = update_remote(rq, v, t.sched_ms)) != ERR_OK)
		return e;
	answer_init(&a);
	a.message = "Meeting updated successfully";
	t.answer = &a;
	return answer_send(&a, rs, db_tx(rq->ctx.app->db, update_in_tx, &t));
}

/* --- state changes ----------------------------------------------------- */

struct transition_tx {
	struct request *rq;
	enum meeting_action action;
	struct answer *answer;
};

static enum err
transition_in_tx(struct db *db, void *ctx)
{
	struct transition_tx *t = ctx;
	struct request *rq = t->rq;
	char now[CLOCK_ISO_LEN], now_db[CLOCK_DB_LEN], *data;
	int64_t now_ms = clock_wall_ms();
	struct db_val p[3];
	struct meeting m;
	struct jsonw w;
	uint64_t n = 0;
	int64_t minutes;
	enum err e;

	if ((e = meeting_load(rq, db, rq->params[0], true, &m)) != ERR_OK)
		return e;
	if (!meeting_is_host(&m))
		return request_fail(rq, ERR_FORBIDDEN, "Only hosts can start, end or cancel a meeting");
	if ((e = meeting_allows(&m, t->action)) != ERR_OK)
		return e;
	/* one reading of the clock for the row and the answer */
	clock_iso8601(now_ms / 1000, now);
	clock_db_datetime(now_ms, now_db);
	buf_reset(&t->answer->data);
	jw_init(&w, &t->answer->data);
	switch (t->action) {
	case MA_START:
		p[0] = DB_STR(now_db);
		p[1] = DB_STR(rq->ctx.who.subject);
		p[2] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_MEETING_START, p, 3, rq->ctx.arena, NULL, 0, &n)) != ERR_OK)
			return e;
		jw_obj_open(&w);
		jw_kstr(&w, "meeting_id", m.id);
		jw_kstr(&w, "started_by", rq->ctx.who.subject);
		jw_kstr(&w, "started_at", now);
		jw_obj_close(&w);
		t->answer->message = "Meeting started successfully";
		data = arena_printf(rq->ctx.arena, "{\"started_by\":\"%s\",\"started_at\":\"%s\"}", rq->ctx.who.subject, now);
		return n != 1 ? ERR_DB_RETRY :
		    journal_record(rq, db, m.id, "meeting.started", NULL, "meeting.started", data);
	case MA_END:
		p[0] = DB_STR(now_db);
		p[1] = DB_STR(rq->ctx.who.subject);
		p[2] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_MEETING_END, p, 3, rq->ctx.arena, NULL, 0, &n)) != ERR_OK)
			return e;
		if (n != 1)
			return ERR_DB_RETRY;
		p[0] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_PART_CLOSE_ALL, p, 1, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		minutes = m.active_seconds > 0 ? (m.active_seconds + 30) / 60 : 0;
		jw_obj_open(&w);
		jw_kstr(&w, "meeting_id", m.id);
		jw_kstr(&w, "ended_by", rq->ctx.who.subject);
		jw_kstr(&w, "ended_at", now);
		jw_kint(&w, "duration_minutes", minutes);
		jw_obj_close(&w);
		t->answer->message = "Meeting ended successfully";
		data = arena_printf(rq->ctx.arena, "{\"ended_by\":\"%s\",\"ended_at\":\"%s\",\"duration_minutes\":%lld}",
		    rq->ctx.who.subject, now, (long long)minutes);
		return journal_record(rq, db, m.id, "meeting.ended", NULL, "meeting.ended", data);
	case MA_CANCEL:
		p[0] = DB_STR(now_db);
		p[1] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_MEETING_CANCEL, p, 2, rq->ctx.arena, NULL, 0, &n)) != ERR_OK)
			return e;
		if (n != 1)
			return ERR_DB_RETRY;
		p[0] = DB_STR(m.id);
		if ((e = db_exec(db, STMT_PART_CLOSE_ALL, p, 1, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		t->answer->message = "Meeting cancelled successfully";
		data = arena_printf(rq->ctx.arena, "{\"cancelled_by\":\"%s\",\"cancelled_at\":\"%s\"}", rq->ctx.who.subject, now);
		if ((e = journal_record(rq, db, m.id, "meeting.cancelled", NULL, "meeting.cancelled", data)) != ERR_OK)
			return e;
		return render_meeting(rq, db, m.id, t->answer);
	default:
		return ERR_INTERNAL;
	}
}

/* Cancelling or ending a platform's meeting happens there first. */
static enum err
transition_remote(struct request *rq, enum meeting_action action)
{
	struct meeting m;
	enum err e;

	if (action == MA_START)
		return ERR_OK;          /* hosts start platform meetings in the platform */
	if ((e = meeting_load(rq, rq->ctx.app->db, rq->params[0], false, &m)) != ERR_OK)
		return e;
	if (strcmp(m.platform, "native") == 0)
		return ERR_OK;
	if (!meeting_is_host(&m))
		return request_fail(rq, ERR_FORBIDDEN, "Only hosts can start, end or cancel a meeting");
	if ((e = meeting_allows(&m, action)) != ERR_OK)
		return e;
	return action == MA_CANCEL ? remote_cancel(rq, &m) : remote_end(rq, &m);
}

static enum err
transition(struct request *rq, struct response *rs, enum meeting_action action)
{
	struct transition_tx t = { .rq = rq, .action = action };
	struct answer a;
	enum err e;

	if ((e = transition_remote(rq, action)) != ERR_OK)
		return e;
	answer_init(&a);
	t.answer = &a;
	return answer_send(&a, rs, db_tx(rq->ctx.app->db, transition_in_tx, &t));
}

enum err
api_meeting_start(struct request *rq, struct response *rs)
{
	return transition(rq, rs, MA_START);
}

enum err
api_meeting_end(struct request *rq, struct response *rs)
{
	return transition(rq, rs, MA_END);
}

enum err
api_meeting_cancel(struct request *rq, struct response *rs)
{
	return transition(rq, rs, MA_CANCEL);
}

/* 001's status shape; "started" is 001's "in_progress". */
enum err
api_meeting_status(struct request *rq, struct response *rs)
{
	static const char *const wire[] = { "scheduled", "in_progress", "ended", "cancelled" };
	struct db_rows rows;
	struct meeting m;
	struct db_val p;
	const char *refresh = request_query(rq, "refresh");
	struct jsonw *w;
	enum err e;

	if ((e = meeting_load(rq, rq->ctx.app->db, rq->params[0], false, &m)) != ERR_OK)
		return e;
	/* 000: the platform's status, cached five minutes (?refresh=true reads
	 * it now); 001's shape has no field for it: the meeting object shows it */
	if ((e = remote_refresh_status(rq, &m, refresh != NULL && strcmp(refresh, "true") == 0)) != ERR_OK)
		return e;
	p = DB_STR(m.id);
	if ((e = db_exec(rq->ctx.app->db, STMT_PART_STATS, &p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Meeting status retrieved successfully");
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", m.id);
	jw_kstr(w, "status", wire[m.status]);
	jw_kbool(w, "is_active", m.status == MS_STARTED);
	if (m.started_at != NULL)
		jw_kstr(w, "started_at", m.started_at);
	else
		jw_knull(w, "started_at");
	if (m.ended_at != NULL)
		jw_kstr(w, "ended_at", m.ended_at);
	else
		jw_knull(w, "ended_at");
	jw_kint(w, "attendance_count", rows.nrows == 1 ? strtoll(db_cell(&rows, 0, 0), NULL, 10) : 0);
	jw_kbool(w, "is_recording", false);
	jw_kint(w, "active_participants", rows.nrows == 1 ? strtoll(db_cell(&rows, 0, 1), NULL, 10) : 0);
	jw_obj_close(w);
	return ERR_OK;
}

/* --- credentials ------------------------------------------------------- */

struct regen_tx {
	struct request *rq;
	bool invite;            /* else the passcode */
	struct answer *answer;
};

static enum err
regen_in_tx(struct db *db, void *ctx)
{
	struct regen_tx *t = ctx;
	struct request *rq = t->rq;
	unsigned char box[SEALED_MAX], hash[SHA256_LEN];
	char token[INVITE_TOKEN_LEN + 1], passcode[PASSCODE_LEN + 1];
	size_t box_len;
	struct db_val p[3];
	struct meeting m;
	enum err e;

	if ((e = meeting_load(rq, db, rq->params[0], true, &m)) != ERR_OK)
		return e;
	if (!meeting_is_host(&m))
		return request_fail(rq, ERR_FORBIDDEN, "Only hosts can change a meeting's credentials");
	if ((e = meeting_allows(&m, MA_EDIT)) != ERR_OK)
		return e;
	if (t->invite) {
		if (!cred_invite_token(token))
			return ERR_INTERNAL;
		cred_invite_hash(token, hash);
		if ((e = cred_seal(rq, m.id, "invite", token, box, &box_len)) != ERR_OK)
			return e;
		p[0] = DB_BLOB(hash, SHA256_LEN);
		p[1] = DB_BLOB(box, box_len);
		p[2] = DB_STR(m.id);
		e = db_exec(db, STMT_MEETING_SET_INVITE, p, 3, rq->ctx.arena, NULL, 0, NULL);
	} else {
		if (!cred_passcode(passcode))
			return ERR_INTERNAL;
		if ((e = cred_seal(rq, m.id, "passcode", passcode, box, &box_len)) != ERR_OK)
			return e;
		p[0] = DB_BLOB(box, box_len);
		p[1] = DB_STR(m.id);
		e = db_exec(db, STMT_MEETING_SET_PASSCODE, p, 2, rq->ctx.arena, NULL, 0, NULL);
	}
	if (e != ERR_OK)
		return e;
	if ((e = journal_record(rq, db, m.id, t->invite ? "meeting.invitation_regenerated" :
	    "meeting.passcode_regenerated", NULL, NULL, NULL)) != ERR_OK)
		return e;
	return render_meeting(rq, db, m.id, t->answer);
}

static enum err
regenerate(struct request *rq, struct response *rs, bool invite)
{
	struct regen_tx t = { .rq = rq, .invite = invite };
	struct answer a;

	answer_init(&a);
	a.message = invite ? "Invitation link regenerated" : "Passcode regenerated";
	t.answer = &a;
	return answer_send(&a, rs, db_tx(rq->ctx.app->db, regen_in_tx, &t));
}

enum err
api_meeting_new_invite(struct request *rq, struct response *rs)
{
	return regenerate(rq, rs, true);
}

enum err
api_meeting_new_passcode(struct request *rq, struct response *rs)
{
	return regenerate(rq, rs, false);
}

/* --- members ------------------------------------------------------------ */

static const struct field_spec member_fields[] = {
	{ "role", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 1, 32 },
};

struct member_tx {
	struct request *rq;
	const char *role;       /* NULL: remove */
	struct answer *answer;
};

static enum err
member_in_tx(struct db *db, void *ctx)
{
	struct member_tx *t = ctx;
	struct request *rq = t->rq;
	const char *user = rq->params[1];
	struct db_val p[3];
	struct db_rows rows;
	struct meeting m;
	struct jsonw w;
	uint64_t n = 0;
	char *details;
	enum err e;

	if ((e = meeting_load(rq, db, rq->params[0], true, &m)) != ERR_OK)
		return e;
	if (m.my_role != ROLE_ORGANIZER)
		return request_fail(rq, ERR_FORBIDDEN, "Only the organizer manages members");
	if (strcmp(user, m.organizer_id) == 0)
		return request_field_error(rq, "user_id", "is the organizer, whose role cannot change");
	if (!ulid_valid(user))
		return ERR_USER_NOT_FOUND;
	p[0] = DB_STR(user);
	if ((e = db_exec(db, STMT_USER_BY_ID, p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_USER_NOT_FOUND;
	if (t->role != NULL) {
		p[0] = DB_STR(user);
		p[1] = DB_STR(t->role);
		p[2] = DB_STR(m.id);
		e = db_exec(db, STMT_MEMBER_SET, p, 3, rq->ctx.arena, NULL, 0, NULL);
	} else {
		p[0] = DB_STR(m.id);
		p[1] = DB_STR(user);
		if ((e = db_exec(db, STMT_MEMBER_DELETE, p, 2, rq->ctx.arena, NULL, 0, &n)) == ERR_OK && n == 0)
			return request_fail(rq, ERR_USER_NOT_FOUND, "This user is not a member of the meeting");
		/* a guest exists for this meeting alone: removed, it stays out */
		if (e == ERR_OK && strcmp(db_cell(&rows, 0, 6), "guest") == 0)
			e = users_set_disabled(db, rq->ctx.arena, user, true);
	}
	if (e != ERR_OK)
		return e;
	details = arena_printf(rq->ctx.arena, "{\"user_id\":\"%s\",\"role\":%s%s%s}", user,
	    t->role ? "\"" : "", t->role ? t->role : "null", t->role ? "\"" : "");
	if ((e = journal_record(rq, db, m.id, t->role ? "member.set" : "member.removed", details,
	    NULL, NULL)) != ERR_OK)
		return e;
	buf_reset(&t->answer->data);
	jw_init(&w, &t->answer->data);
	jw_obj_open(&w);
	jw_kstr(&w, "meeting_id", m.id);
	jw_kstr(&w, "user_id", user);
	if (t->role != NULL)
		jw_kstr(&w, "role", t->role);
	else
		jw_knull(&w, "role");
	jw_obj_close(&w);
	return ERR_OK;
}

enum err
api_meeting_member_set(struct request *rq, struct response *rs)
{
	struct field_value v[1];
	struct member_tx t = { .rq = rq };
	struct answer a;
	enum member_role r;
	enum err e;

	if ((e = validate_body(rq, member_fields, 1, v)) != ERR_OK)
		return e;
	t.role = validate_dup(rq, &v[0]);
	r = member_role_parse(t.role);
	if (r != ROLE_CO_HOST && r != ROLE_PARTICIPANT && r != ROLE_GUEST)
		return request_field_error(rq, "role", "must be co_host, participant or guest");
	answer_init(&a);
	a.message = "Member updated";
	t.answer = &a;
	return answer_send(&a, rs, db_tx(rq->ctx.app->db, member_in_tx, &t));
}

enum err
api_meeting_member_delete(struct request *rq, struct response *rs)
{
	struct member_tx t = { .rq = rq };
	struct answer a;

	answer_init(&a);
	a.message = "Member removed";
	t.answer = &a;
	return answer_send(&a, rs, db_tx(rq->ctx.app->db, member_in_tx, &t));
}

/* --- audit ---------------------------------------------------------------- */

enum err
api_meeting_audit(struct request *rq, struct response *rs)
{
	const char *limit = request_query(rq, "limit"), *cursor = request_query(rq, "cursor");
	int64_t n = 50, before = INT64_MAX;
	struct db_val p[3];
	struct db_rows rows;
	struct meeting m;
	struct jsonw *w;
	size_t i, shown;
	enum err e;

	if ((e = meeting_load(rq, rq->ctx.app->db, rq->params[0], false, &m)) != ERR_OK)
		return e;
	if (m.my_role != ROLE_ORGANIZER)
		return request_fail(rq, ERR_FORBIDDEN, "Only the organizer reads the audit log");
	if (limit != NULL && parse_limit(limit, LIST_MAX, &n) != ERR_OK)
		request_field_error(rq, "limit", "must be an integer from 1 to 100");
	if (cursor != NULL && parse_i64z(cursor, 1, INT64_MAX, &before) != ERR_OK)
		request_field_error(rq, "cursor", "is not a cursor this server gave");
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	p[0] = DB_STR(m.id);
	p[1] = DB_I64(before);
	p[2] = DB_I64(n + 1);
	if ((e = db_exec(rq->ctx.app->db, STMT_AUDIT_LIST, p, 3, rq->ctx.arena, &rows, (size_t)n + 1, NULL)) != ERR_OK)
		return e;
	shown = rows.nrows > (size_t)n ? (size_t)n : rows.nrows;
	w = resp_data(rs, 200, "Audit log retrieved successfully");
	jw_obj_open(w);
	jw_key(w, "entries");
	jw_arr_open(w);
	for (i = 0; i < shown; i++) {
		const char *details = db_cell(&rows, i, 5);

		jw_obj_open(w);
		jw_kint(w, "id", strtoll(db_cell(&rows, i, 0), NULL, 10));
		jw_kstr(w, "action", db_cell(&rows, i, 1));
		jw_kstr(w, "actor_id", db_cell(&rows, i, 2));
		jw_kstr(w, "client_addr", db_cell(&rows, i, 3));
		jw_kstr(w, "request_id", db_cell(&rows, i, 4));
		jw_key(w, "details");
		if (details != NULL)
			jw_raw(w, details, strlen(details));
		else
			jw_null(w);
		jw_kstr(w, "created_at", db_cell(&rows, i, 6));
		jw_obj_close(w);
	}
	jw_arr_close(w);
	if (rows.nrows > (size_t)n)
		jw_kstr(w, "next_cursor", db_cell(&rows, shown - 1, 0));
	else
		jw_knull(w, "next_cursor");
	jw_obj_close(w);
	return ERR_OK;
}
