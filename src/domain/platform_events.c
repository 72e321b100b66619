/*
 * platform_events.c — what platforms report, applied to meetd's meetings;
 * see platform_events.h. Every path that changes a meeting because a
 * platform said so comes through platform_event_apply(), so the state
 * table, the de-duplication and the participant upsert exist once.
 */
#include <string.h>

#include "auth/crypto.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "domain/journal.h"
#include "domain/meeting.h"
#include "domain/platform_events.h"
#include "platforms/provider.h"
#include "store/db.h"

#define DELIVERY_EVENT_MAX 64
#define PARTICIPANT_KEY_MAX 190
#define PARTICIPANT_NAME_MAX 200
#define URL_MAX 2048
#define EVENT_MAX (16 * 1024)

struct apply_tx {
	struct ctx *c;
	const struct platform_event *ev;
	struct hook_result *out;
};

/* The meeting the event is about, locked; NULL id: none of ours. */
static enum err
lock_meeting(struct ctx *c, struct db *db, const struct platform_event *ev, const char **id,
    enum meeting_status *status)
{
	enum { L_ID, L_STATUS, L__MAX };
	struct db_val p[2];
	struct db_rows rows;
	enum err e;

	*id = NULL;
	if (ev->meeting_id != NULL) {
		p[0] = DB_STR(ev->meeting_id);
		p[1] = DB_STR(ev->platform);
		e = db_exec(db, STMT_WEBHOOK_MEETING_BY_ID, p, 2, c->arena, &rows, 1, NULL);
	} else if (ev->remote_id != NULL) {
		p[0] = DB_STR(ev->platform);
		p[1] = DB_STR(ev->remote_id);
		e = db_exec(db, STMT_WEBHOOK_MEETING_BY_REMOTE, p, 2, c->arena, &rows, 1, NULL);
	} else {
		return ERR_OK;
	}
	if (e != ERR_OK || rows.nrows != 1)
		return e;
	if (rows.ncols != L__MAX || (*status = meeting_status_parse(db_cell(&rows, 0, L_STATUS))) == MS__MAX)
		return ERR_DB_SCHEMA;
	*id = db_cell(&rows, 0, L_ID);
	return ERR_OK;
}

static enum err
record(struct ctx *c, struct db *db, const struct platform_event *ev, const char *id, const char *action,
    const char *at_key, int64_t at_ms)
{
	char iso[CLOCK_ISO_LEN];
	struct buf data;
	struct jsonw w;
	enum err e;

	clock_iso8601_ms(at_ms, iso);
	buf_init(&data, EVENT_MAX);
	jw_init(&w, &data);
	jw_obj_open(&w);
	jw_kstr(&w, "source", ev->source);
	jw_kstr(&w, "provider", ev->platform);
	jw_kstr(&w, at_key, iso);
	jw_obj_close(&w);
	e = data.failed ? ERR_NOMEM : journal_record(c, db, id, action, buf_cstr(&data), action, buf_cstr(&data));
	buf_free(&data);
	return e;
}

/* Started or ended, as the state table allows. */
static enum err
apply_state(struct ctx *c, struct db *db, const struct platform_event *ev, const char *id,
    enum meeting_status status, struct hook_result *out)
{
	bool start = ev->kind == PE_STARTED;
	char at[CLOCK_DB_LEN];
	struct meeting m = { .status = status };
	struct db_val p[3];
	uint64_t n = 0;
	enum err e;

	if (meeting_allows(&m, start ? MA_REMOTE_START : MA_REMOTE_END) != ERR_OK)
		return ERR_OK;          /* already there, or past it: a late delivery */
	clock_db_datetime(ev->at_ms, at);
	p[0] = DB_STR(at);
	if (start) {
		p[1] = DB_STR(id);
		e = db_exec(db, STMT_WEBHOOK_MEETING_START, p, 2, c->arena, NULL, 0, &n);
	} else {
		p[1] = DB_STR(at);
		p[2] = DB_STR(id);
		e = db_exec(db, STMT_WEBHOOK_MEETING_END, p, 3, c->arena, NULL, 0, &n);
	}
	if (e != ERR_OK || n == 0)
		return e;
	out->applied = true;
	if (!start) {
		p[0] = DB_STR(id);
		if ((e = db_exec(db, STMT_PART_CLOSE_ALL, p, 1, c->arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		p[0] = DB_STR(at);
		p[1] = DB_STR(id);
		if ((e = db_exec(db, STMT_REMOTE_PART_CLOSE_ALL, p, 2, c->arena, NULL, 0, NULL)) != ERR_OK)
			return e;
	}
	return record(c, db, ev, id, start ? "meeting.started" : "meeting.ended",
	    start ? "started_at" : "ended_at", ev->at_ms);
}

/* One participant's latest join or leave: deliveries are unordered, so
 * each time only moves forward. */
static enum err
apply_participant(struct ctx *c, struct db *db, const struct platform_event *ev, const char *id,
    struct hook_result *out)
{
	char at[CLOCK_DB_LEN];
	struct db_val p[4];

	if (ev->participant_key == NULL || strlen(ev->participant_key) > PARTICIPANT_KEY_MAX)
		return ERR_OK;          /* nobody we could tell apart */
	clock_db_datetime(ev->at_ms, at);
	p[0] = DB_STR(id);
	p[1] = DB_STR(ev->participant_key);
	p[2] = ev->participant_name != NULL && strlen(ev->participant_name) <= 4 * PARTICIPANT_NAME_MAX ?
	    DB_STR(ev->participant_name) : DB_NULL;
	p[3] = DB_STR(at);
	out->applied = true;
	return db_exec(db, ev->kind == PE_JOINED ? STMT_REMOTE_PART_JOINED : STMT_REMOTE_PART_LEFT,
	    p, 4, c->arena, NULL, 0, NULL);
}

static enum err
apply_recording(struct ctx *c, struct db *db, const struct platform_event *ev, const char *id,
    struct hook_result *out)
{
	char start[CLOCK_DB_LEN], end[CLOCK_DB_LEN];
	struct db_val p[8];
	size_t i;
	enum err e;

	for (i = 0; i < ev->nrecordings; i++) {
		const struct pe_recording *r = &ev->recordings[i];

		if (r->id == NULL || strlen(r->id) > 128 ||
		    (r->play_url != NULL && strlen(r->play_url) > URL_MAX) ||
		    (r->download_url != NULL && strlen(r->download_url) > URL_MAX))
			continue;
		clock_db_datetime(r->start_ms, start);
		clock_db_datetime(r->end_ms, end);
		p[0] = DB_STR(id);
		p[1] = DB_STR(r->id);
		p[2] = DB_STR(r->type);
		p[3] = r->size >= 0 ? DB_I64(r->size) : DB_NULL;
		p[4] = DB_STR(r->play_url);
		p[5] = DB_STR(r->download_url);
		p[6] = r->start_ms > 0 ? DB_STR(start) : DB_NULL;
		p[7] = r->end_ms > 0 ? DB_STR(end) : DB_NULL;
		if ((e = db_exec(db, STMT_ZOOM_RECORDING_PUT, p, 8, c->arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		out->applied = true;
	}
	if (ev->recording_url == NULL || strlen(ev->recording_url) > URL_MAX)
		return ERR_OK;
	p[0] = DB_STR(ev->recording_url);
	p[1] = DB_STR(id);
	out->applied = true;
	return db_exec(db, STMT_ZOOM_RECORDING_URL, p, 2, c->arena, NULL, 0, NULL);
}

static enum err
apply_in_tx(struct db *db, void *arg)
{
	struct apply_tx *t = arg;
	const struct platform_event *ev = t->ev;
	struct hook_result *out = t->out;
	struct ctx *c = t->c;
	unsigned char digest[SHA256_LEN];
	enum meeting_status status = MS_SCHEDULED;
	struct db_val p[3];
	uint64_t n = 0;
	const char *id;
	enum err e;

	out->duplicate = out->applied = out->not_ours = false;
	out->meeting_id = NULL;
	crypto_sha256(ev->delivery, strlen(ev->delivery), digest);
	p[0] = DB_STR(ev->platform);
	p[1] = DB_BLOB(digest, SHA256_LEN);
	p[2] = DB_STR(ev->name);
	if ((e = db_exec(db, STMT_WEBHOOK_CLAIM, p, 3, c->arena, NULL, 0, &n)) != ERR_OK)
		return e;
	if (n == 0) {
		out->duplicate = true;
		return ERR_OK;
	}
	if ((e = lock_meeting(c, db, ev, &id, &status)) != ERR_OK)
		return e;
	if (id == NULL) {
		if (!ev->unknown_meeting_ok)
			return ERR_MEETING_NOT_FOUND;   /* rolls the claim back too */
		out->not_ours = true;
		return ERR_OK;
	}
	out->meeting_id = id;
	switch (ev->kind) {
	case PE_STARTED:
	case PE_ENDED:
		return apply_state(c, db, ev, id, status, out);
	case PE_JOINED:
	case PE_LEFT:
		return apply_participant(c, db, ev, id, out);
	case PE_RECORDING:
		return apply_recording(c, db, ev, id, out);
	default:
		return ERR_OK;
	}
}

enum err
platform_event_apply(struct ctx *c, const struct platform_event *ev, struct hook_result *out)
{
	struct apply_tx t = { .c = c, .ev = ev, .out = out };

	if (ev->platform == NULL || ev->delivery == NULL || ev->name == NULL ||
	    strlen(ev->name) > DELIVERY_EVENT_MAX)
		return ERR_INTERNAL;
	/* events come from the platform, not from a user */
	return db_tx(c->app->db, apply_in_tx, &t);
}

enum err
platform_hook(struct ctx *c, const char *platform, const struct hook_input *in, struct hook_result *out)
{
	const struct provider *p = provider_find(platform);
	struct platform_event *ev;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (p == NULL || p->hook == NULL)
		return ERR_NOT_SUPPORTED;
	if ((ev = arena_alloc(c->arena, sizeof(*ev))) == NULL)
		return ERR_NOMEM;
	memset(ev, 0, sizeof(*ev));
	if ((e = p->hook(c, in, ev, &out->reply)) != ERR_OK || out->reply != NULL)
		return e;
	e = platform_event_apply(c, ev, out);
	return e == ERR_DB_DUPLICATE ? ERR_OK : e;
}
