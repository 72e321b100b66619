/*
 * realtime_events.c — lasting events through the outbox to nchan, the
 * resume read, and ephemeral signals (see realtime.h).
 *
 * A lasting event is written once, in its change's transaction: the outbox
 * row holds the webhook payload and the client's message, numbered in its
 * channel. After the request is answered its responder publishes it and
 * marks it taken in a MEMORY table (no durable commit); the worker folds
 * those marks into the outbox in batches, and publishes whatever a
 * responder could not (nchan down, a crash between commit and publish). A client that sees a gap in the numbers
 * reads the missing ones from the outbox, so late or twice is harmless and
 * lost is impossible.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config/config.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/rand.h"
#include "domain/meeting.h"
#include "domain/realtime.h"
#include "outbound/nchan.h"
#include "store/db.h"

#define MESSAGE_MAX (64 * 1024)
#define SIGNAL_DATA_MAX 8192
/* the worker leaves an event to the responder that wrote it this long */
#define RESPONDER_GRACE_S 3
#define DUE_BATCH 100

/* Outbox event → 001's message type; events not listed are not pushed. */
static const struct {
	const char *event, *type;
} pushed[] = {
	{ "meeting.updated", "meeting_updated" },
	{ "meeting.started", "meeting_updated" },
	{ "meeting.cancelled", "meeting_updated" },
	{ "meeting.ended", "meeting_ended" },
	{ "participant.joined", "join" },
	{ "participant.left", "leave" },
	{ "meeting.policy_updated", "meeting_updated" },
	{ "participant.updated", "participant_update" },
	{ "participant.hand", "hand_raise" },
	{ "participant.removed", "participant_removed" },
	{ "participant.waiting", "participant_waiting" },
	{ "participant.admitted", "waiting_room_admitted" },
	{ "participant.denied", "waiting_room_denied" },
};

static const char *const signal_names[SIG__MAX] = {
	[SIG_TYPING] = "typing", [SIG_REACTION] = "reaction", [SIG_OFFER] = "webrtc_offer",
	[SIG_ANSWER] = "webrtc_answer", [SIG_CANDIDATE] = "webrtc_candidate",
};

void
rt_meeting_channel(const char *meeting_id, char out[RT_CHANNEL_MAX])
{
	snprintf(out, RT_CHANNEL_MAX, "m%s", meeting_id);
}

void
rt_user_channel(const char *meeting_id, const char *user_id, char out[RT_CHANNEL_MAX])
{
	snprintf(out, RT_CHANNEL_MAX, "u%s%s", meeting_id, user_id);
}

static const char *
pushed_type(const char *event)
{
	size_t i;

	for (i = 0; i < sizeof(pushed) / sizeof(pushed[0]); i++)
		if (strcmp(pushed[i].event, event) == 0)
			return pushed[i].type;
	return NULL;
}

/* {"type","event","meeting_id","user_id","data","timestamp"}: 001's message
 * (plus the event's own name), without the number it gets on the way out. */
static void
write_message(struct jsonw *w, const char *type, const char *event, const char *meeting_id,
    const char *user_id, const char *data, const char *channel)
{
	char ts[CLOCK_ISO_LEN];

	clock_iso8601((int64_t)time(NULL), ts);
	jw_obj_open(w);
	jw_kstr(w, "type", type);
	if (event != NULL)
		jw_kstr(w, "event", event);
	if (channel != NULL)
		jw_kstr(w, "channel", channel);
	jw_kstr(w, "meeting_id", meeting_id);
	jw_kstr_or_null(w, "user_id", user_id != NULL && user_id[0] != '\0' ? user_id : NULL);
	jw_key(w, "data");
	if (data != NULL)
		jw_raw(w, data, strlen(data));
	else {
		jw_obj_open(w);
		jw_obj_close(w);
	}
	jw_kstr(w, "timestamp", ts);
	jw_obj_close(w);
}

/* 001's user_id of a message: the participant an event is about (its
 * data's user_id: who joined, left, was muted or removed), else who acted.
 * The string lives in the arena. */
static const char *
subject_of(struct ctx *c, const char *data)
{
	const char *who = c->who.subject;
	json_t *j, *u;

	if (data != NULL && (j = json_loads(data, 0, NULL)) != NULL) {
		if (json_is_string(u = json_object_get(j, "user_id")))
			who = arena_strdup(c->arena, json_string_value(u));
		json_decref(j);
	}
	return who;
}

enum err
events_append(struct ctx *c, struct db *db, const char *meeting_id, const char *to_user,
    const char *event_type, const char *data, const char *payload)
{
	const char *type = pushed_type(event_type), *user = to_user != NULL ? to_user : "";
	char id[ULID_LEN + 1];
	struct db_val p[6];
	struct buf msg;
	struct jsonw w;
	enum err e;

	ulid_new(id);
	p[0] = DB_STR(id);
	p[1] = DB_STR(event_type);
	p[2] = DB_STR(meeting_id);
	if (type == NULL) {
		p[3] = DB_STR(payload);
		return db_exec(db, STMT_OUTBOX_INSERT, p, 4, NULL, NULL, 0, NULL);
	}
	buf_init(&msg, MESSAGE_MAX);
	jw_init(&w, &msg);
	write_message(&w, type, event_type, meeting_id, subject_of(c, data), data,
	    to_user != NULL ? "own" : "meeting");
	if (msg.failed) {
		buf_free(&msg);
		return ERR_NOMEM;
	}
	p[3] = DB_STR(user);
	p[4] = DB_STR(payload);
	p[5] = DB_STR(buf_cstr(&msg));
	{
		struct db_val s[2] = { DB_STR(meeting_id), DB_STR(user) };

		e = db_exec(db, STMT_RT_SEQ_NEXT, s, 2, NULL, NULL, 0, NULL);
	}
	if (e == ERR_OK)
		e = db_exec(db, STMT_OUTBOX_INSERT_RT, p, 6, NULL, NULL, 0, NULL);
	buf_free(&msg);
	if (e == ERR_OK && c->nevents < CTX_MAX_EVENTS &&
	    (c->events[c->nevents] = arena_strdup(c->arena, id)) != NULL)
		c->nevents++;
	return e;
}

/* An ended or cancelled meeting's last message, or a removed participant's
 * on their own channel: the channel closes after it (with it, every
 * connection listening on it). The stored message starts with its type and
 * event (write_message). */
static bool
closes_meeting(const char *stored)
{
	return strncmp(stored, "{\"type\":\"meeting_ended\"", 23) == 0 ||
	    strncmp(stored, "{\"type\":\"participant_removed\"", 29) == 0 ||
	    strncmp(stored, "{\"type\":\"meeting_updated\",\"event\":\"meeting.cancelled\"", 53) == 0;
}

/* The stored message with its number: {"seq":N, + the rest. */
static const char *
numbered(struct arena *a, const char *seq, const char *msg)
{
	size_t n = strlen(seq) + strlen(msg) + 16;
	char *out;

	if (msg[0] != '{' || (out = arena_alloc(a, n)) == NULL)
		return NULL;
	snprintf(out, n, "{\"seq\":%s,%s", seq, msg + 1);
	return out;
}

/* Publishes one outbox row (columns seq, meeting_id, channel_user,
 * channel_seq, rt_message) and marks it taken. */
static enum err
publish_row(struct ctx *c, const struct db_rows *rows, size_t r)
{
	const char *meeting_id = db_cell(rows, r, 1), *user = db_cell(rows, r, 2);
	const char *msg = numbered(c->arena, db_cell(rows, r, 3), db_cell(rows, r, 4));
	char channel[RT_CHANNEL_MAX];
	struct db_val p[1];
	bool ended;
	enum err e;

	if (msg == NULL)
		return ERR_DB_SCHEMA;
	if (user[0] == '\0')
		rt_meeting_channel(meeting_id, channel);
	else
		rt_user_channel(meeting_id, user, channel);
	ended = closes_meeting(db_cell(rows, r, 4));
	/* no EventSource event name: a browser's onmessage gets every message,
	 * whose type is in its data */
	if ((e = nchan_publish(c->app->nchan, channel, NULL, msg, strlen(msg))) != ERR_OK)
		return e;
	/* the meeting is over (ended or cancelled), or someone was put out of
	 * it: close the channel, and with it every connection listening on it */
	if (ended)
		(void)nchan_delete(c->app->nchan, channel);
	p[0] = DB_STR(db_cell(rows, r, 0));
	return db_exec(c->app->db, STMT_OUTBOX_RT_DONE, p, 1, NULL, NULL, 0, NULL);
}

void
events_publish_written(struct ctx *c)
{
	struct db_rows rows;
	struct db_val p[1];
	size_t i;

	for (i = 0; i < c->nevents; i++) {
		if (!nchan_enabled(c->app->nchan))
			break;
		p[0] = DB_STR(c->events[i]);
		if (db_exec(c->app->db, STMT_OUTBOX_RT_GET, p, 1, c->arena, &rows, 1, NULL) != ERR_OK)
			break;
		/* rolled back, or already published */
		if (rows.nrows == 1 && publish_row(c, &rows, 0) != ERR_OK)
			break;  /* the rest keep their order: the worker takes them all */
	}
	c->nevents = 0;
}

enum err
events_publish_due(struct ctx *c, int64_t *published)
{
	struct db_rows rows;
	struct db_val p[2];
	size_t r;
	enum err e;

	*published = 0;
	if (!nchan_enabled(c->app->nchan))
		return ERR_OK;
	/* what responders marked taken (cheaply) becomes durable, in one batch */
	if ((e = db_exec(c->app->db, STMT_OUTBOX_RT_FOLD, NULL, 0, NULL, NULL, 0, NULL)) != ERR_OK ||
	    (e = db_exec(c->app->db, STMT_OUTBOX_RT_FOLD_CLEAN, NULL, 0, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	p[0] = DB_I64(RESPONDER_GRACE_S);
	p[1] = DB_I64(DUE_BATCH);
	if ((e = db_exec(c->app->db, STMT_OUTBOX_RT_PENDING, p, 2, c->arena, &rows, DUE_BATCH,
	    NULL)) != ERR_OK)
		return e;
	for (r = 0; r < rows.nrows; r++) {
		if ((e = publish_row(c, &rows, r)) != ERR_OK)
			return e;       /* nchan still down: the next round starts here */
		(*published)++;
	}
	return ERR_OK;
}

enum err
events_purge(struct ctx *c)
{
	struct db_val p[1] = { DB_I64(c->app->cfg->realtime_resume_window) };
	enum err e;

	if ((e = db_exec(c->app->db, STMT_OUTBOX_PURGE, p, 1, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	return db_exec(c->app->db, STMT_RT_TICKET_PURGE, NULL, 0, NULL, NULL, 0, NULL);
}

/* One channel's events after `after` into out->events; *last the
 * channel's latest number. */
static enum err
read_channel(struct ctx *c, const char *meeting_id, const char *user, int64_t after,
    int64_t last, int64_t limit, struct event_page *out)
{
	struct db_rows rows;
	struct db_val p[4];
	int64_t first;
	size_t r;
	enum err e;

	if (after > last) {
		out->resync = true;     /* ahead of the server: its state is not ours */
		return ERR_OK;
	}
	if (after == last)
		return ERR_OK;
	p[0] = DB_STR(meeting_id);
	p[1] = DB_STR(user);
	p[2] = DB_I64(after);
	p[3] = DB_I64(limit);
	if ((e = db_exec(c->app->db, STMT_RT_EVENTS_AFTER, p, 4, c->arena, &rows, (size_t)limit,
	    NULL)) != ERR_OK)
		return e;
	/* the next one was purged: what happened in between is unknown */
	if (rows.nrows == 0 || parse_i64z(db_cell(&rows, 0, 0), 1, INT64_MAX, &first) != ERR_OK ||
	    first != after + 1) {
		out->resync = true;
		return ERR_OK;
	}
	for (r = 0; r < rows.nrows; r++) {
		const char *m = numbered(c->arena, db_cell(&rows, r, 0), db_cell(&rows, r, 1));

		if (m == NULL)
			return ERR_DB_SCHEMA;
		out->events[out->n++] = m;
	}
	if ((int64_t)rows.nrows == limit && after + limit < last)
		out->has_more = true;
	return ERR_OK;
}

enum err
events_after(struct ctx *c, const char *meeting_id, int64_t after, int64_t own_after,
    int64_t limit, struct event_page *out)
{
	struct db_rows rows;
	struct db_val p[2];
	struct meeting m;
	bool own_only;
	size_t r;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = realtime_access(c, meeting_id, &m, &own_only)) != ERR_OK)
		return e;
	p[0] = DB_STR(m.id);
	p[1] = DB_STR(c->who.subject);
	if ((e = db_exec(c->app->db, STMT_RT_LAST_SEQ, p, 2, c->arena, &rows, 2, NULL)) != ERR_OK)
		return e;
	for (r = 0; r < rows.nrows; r++) {
		int64_t v;

		if (parse_i64z(db_cell(&rows, r, 1), 0, INT64_MAX, &v) != ERR_OK)
			return ERR_DB_SCHEMA;
		if (db_cell(&rows, r, 0)[0] == '\0')
			out->meeting_seq = v;
		else
			out->own_seq = v;
	}
	if ((out->events = arena_alloc(c->arena, sizeof(*out->events) * (size_t)limit * 2)) == NULL)
		return ERR_NOMEM;
	if (own_only)
		out->meeting_seq = 0;   /* not theirs to read while they wait */
	else if ((e = read_channel(c, m.id, "", after, out->meeting_seq, limit, out)) != ERR_OK)
		return e;
	if (own_after >= 0)
		e = read_channel(c, m.id, c->who.subject, own_after, out->own_seq, limit, out);
	if (out->resync) {
		out->n = 0;
		out->has_more = false;
	}
	return e;
}

/* Data of a signal: an object of bounded size; a reaction names itself. */
static enum err
check_signal_data(struct ctx *c, enum signal_kind kind, json_t *data)
{
	json_t *rt, *dur;

	if (data == NULL)
		return kind == SIG_REACTION ? ctx_field_error(c, "data.reaction_type", "is required") : ERR_OK;
	if (!json_is_object(data))
		return ctx_field_error(c, "data", "must be an object");
	if (kind != SIG_REACTION)
		return ERR_OK;
	rt = json_object_get(data, "reaction_type");
	if (!json_is_string(rt) || json_string_length(rt) < 1 || json_string_length(rt) > 32)
		return ctx_field_error(c, "data.reaction_type", "must be a string of 1 to 32 characters");
	dur = json_object_get(data, "duration");
	if (dur != NULL && (!json_is_integer(dur) || json_integer_value(dur) < 1 ||
	    json_integer_value(dur) > 60))
		return ctx_field_error(c, "data.duration", "must be an integer from 1 to 60");
	return ERR_OK;
}

enum err
signal_check(struct ctx *c, struct signal *s, const char *data_text)
{
	json_t *data = NULL;
	enum err e;

	if (s->kind >= SIG__MAX)
		return ctx_field_error(c, "type", "must be typing, reaction, webrtc_offer, webrtc_answer or webrtc_candidate");
	if ((s->kind == SIG_OFFER || s->kind == SIG_ANSWER || s->kind == SIG_CANDIDATE) &&
	    s->to_user == NULL)
		return ctx_field_error(c, "to", "is required for WebRTC signaling");
	if (s->to_user != NULL && !ulid_valid(s->to_user))
		return ctx_field_error(c, "to", "must be a user id");
	if (data_text != NULL) {
		if (strlen(data_text) > SIGNAL_DATA_MAX)
			return ctx_field_error(c, "data", "is larger than 8 KiB");
		if ((data = json_loads(data_text, JSON_REJECT_DUPLICATES, NULL)) == NULL)
			return ctx_field_error(c, "data", "must be a JSON object");
	}
	e = check_signal_data(c, s->kind, data);
	json_decref(data);
	s->data = data_text;
	return e;
}

const char *
signal_kind_name(enum signal_kind k)
{
	return k < SIG__MAX ? signal_names[k] : NULL;
}

enum signal_kind
signal_kind_parse(const char *s)
{
	return (enum signal_kind)parse_name(s, signal_names, SIG__MAX);
}

enum err
events_signal(struct ctx *c, const char *meeting_id, const struct signal *s)
{
	char channel[RT_CHANNEL_MAX];
	struct meeting m;
	struct buf msg;
	struct jsonw w;
	enum err e;

	if ((e = meeting_load(c, c->app->db, meeting_id, false, &m)) != ERR_OK)
		return e;
	if (!nchan_enabled(c->app->nchan))
		return ctx_fail(c, ERR_NOT_CONFIGURED, "Real time is not configured on this server");
	if (m.status == MS_ENDED || m.status == MS_CANCELLED)
		return m.status == MS_ENDED ? ERR_MEETING_ENDED : ERR_MEETING_CANCELLED;
	if (s->to_user != NULL)
		rt_user_channel(m.id, s->to_user, channel);
	else
		rt_meeting_channel(m.id, channel);
	buf_init(&msg, MESSAGE_MAX);
	jw_init(&w, &msg);
	write_message(&w, signal_kind_name(s->kind), NULL, m.id, c->who.subject, s->data,
	    s->to_user != NULL ? "own" : "meeting");
	e = msg.failed ? ERR_NOMEM : nchan_publish(c->app->nchan, channel, NULL, msg.data, msg.len);
	buf_free(&msg);
	if (e == ERR_PLATFORM_UNAVAILABLE)
		return ctx_fail(c, ERR_REALTIME_UNAVAILABLE, NULL);
	return e;
}
