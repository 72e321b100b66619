/*
 * webhook003.c — POST /api/webhooks/meeting, 003's provider webhooks:
 * meeting.started, meeting.ended, participant.joined, participant.left.
 *
 * 003 names the headers (x-webhook-signature, x-provider) but not the
 * scheme, so meetd's is (docs/openapi.yaml):
 *   x-webhook-signature: sha256=<hex HMAC-SHA256(webhooks.secret, M)>
 *   (the bare hex is accepted too), where M is the raw body, or
 *   "<t>.<body>" when x-webhook-timestamp: <t> (Unix seconds) is sent; a
 *   timestamp further than webhooks.tolerance from now is refused.
 *   body: {"id": delivery id, "event", "meeting_id" (meetd's) or
 *   "platform_meeting_id" (the platform's), "timestamp" (ISO-8601, when
 *   it happened; default now), "participant": {"id", "name"}}.
 * Nothing is read or stored before the signature is good. Each event id
 * applies once: a digest of it is claimed in the same transaction as the
 * change, so a redelivery answers success and changes nothing. Deliveries
 * are not ordered, so participant times only move forward and a "left"
 * seen before its "joined" still ends closed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/app.h"
#include "core/clock.h"
#include "auth/crypto.h"
#include "store/db.h"
#include "auth/hmac.h"
#include "domain/journal.h"
#include "domain/meeting.h"
#include "core/rand.h"
#include "api/validate.h"

#define EVENT_ID_MAX 190
#define KEY_MAX 190
#define NAME_MAX_BYTES 800      /* and at most NAME_MAX_CHARS characters */
#define NAME_MAX_CHARS 200

enum wh_event { WH_STARTED, WH_ENDED, WH_JOINED, WH_LEFT };

struct delivery {
	const char *provider;           /* meetd's platform name */
	const char *id, *event_name;
	enum wh_event event;
	const char *meeting_id, *remote_id;
	int64_t at_ms;
	const char *who, *who_name;     /* participant events */
	/* filled in the transaction */
	bool duplicate, applied;
	const char *found_id;
};

/* 003's x-provider words and meetd's own platform names. */
static const char *
provider_name(const char *h)
{
	static const char *const names[][2] = {
		{ "zoom", "zoom" }, { "google-meet", "google_meet" }, { "google_meet", "google_meet" },
		{ "jitsi", "jitsi" }, { "teams", "teams" }, { "webex", "webex" }, { "livekit", "livekit" },
	};
	size_t i;

	for (i = 0; h != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(h, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

/* Constant-time check of x-webhook-signature over the raw body. */
static enum err
verify(struct request *rq)
{
	const struct config *cfg = rq->ctx.app->cfg;
	const char *sig = request_header(rq, "HTTP_X_WEBHOOK_SIGNATURE");
	const char *ts = request_header(rq, "HTTP_X_WEBHOOK_TIMESTAMP");
	char want[2 * SHA256_LEN + 1], got[2 * SHA256_LEN + 1];
	const char *body = rq->body != NULL ? rq->body : "";
	size_t i;
	bool ok;

	if (cfg->webhook_secret.len == 0)
		return request_fail(rq, ERR_NOT_CONFIGURED, "Provider webhooks are not configured (webhooks.secret_file)");
	if (sig == NULL)
		return request_fail(rq, ERR_INVALID_SIGNATURE, "x-webhook-signature is missing");
	if (strncmp(sig, "sha256=", 7) == 0)
		sig += 7;
	if (strlen(sig) != 2 * SHA256_LEN)
		return ERR_INVALID_SIGNATURE;
	for (i = 0; i < 2 * SHA256_LEN; i++)
		got[i] = (char)tolower((unsigned char)sig[i]);
	got[i] = '\0';
	if (ts != NULL) {
		char *end;
		long long t = strtoll(ts, &end, 10);
		long long now = (long long)time(NULL);
		char *signed_text;
		size_t tl;

		if (!isdigit((unsigned char)*ts) || *end != '\0' || t < now - cfg->webhook_tolerance ||
		    t > now + cfg->webhook_tolerance)
			return request_fail(rq, ERR_INVALID_SIGNATURE, "x-webhook-timestamp is malformed or stale");
		/* the body is bytes (it may hold a NUL): copied, not formatted */
		tl = strlen(ts);
		if ((signed_text = arena_alloc(rq->ctx.arena, tl + 1 + rq->body_len + 1)) == NULL)
			return ERR_NOMEM;
		memcpy(signed_text, ts, tl);
		signed_text[tl] = '.';
		memcpy(signed_text + tl + 1, body, rq->body_len);
		hmac_sha256_hex(cfg->webhook_secret.data, cfg->webhook_secret.len, signed_text,
		    tl + 1 + rq->body_len, want);
	} else {
		hmac_sha256_hex(cfg->webhook_secret.data, cfg->webhook_secret.len, body, rq->body_len, want);
	}
	ok = crypto_equal(want, got, 2 * SHA256_LEN);
	crypto_wipe(want, sizeof(want));
	return ok ? ERR_OK : ERR_INVALID_SIGNATURE;
}

/* A string member of o in 1..max bytes without control characters;
 * NULL if absent. *bad set (and `field` named in the details) if present
 * but wrong. */
static const char *
member(struct request *rq, json_t *o, const char *key, const char *field, size_t max, bool *bad)
{
	json_t *v = o != NULL ? json_object_get(o, key) : NULL;
	const char *s;
	size_t i, n;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || (n = json_string_length(v)) == 0 || n > max) {
		request_field_error(rq, field, "must be a non-empty string of bounded length");
		*bad = true;
		return NULL;
	}
	s = json_string_value(v);
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			request_field_error(rq, field, "must not contain control characters");
			*bad = true;
			return NULL;
		}
	}
	return arena_strndup(rq->ctx.arena, s, n);
}

static enum err
parse(struct request *rq, struct delivery *d)
{
	static const char *const events[] = {
		"meeting.started", "meeting.ended", "participant.joined", "participant.left"
	};
	const char *when;
	json_t *part;
	bool bad = false;
	size_t i;

	memset(d, 0, sizeof(*d));
	if ((d->provider = provider_name(request_header(rq, "HTTP_X_PROVIDER"))) == NULL)
		return request_fail(rq, request_field_error(rq, "x-provider", "must be zoom, google-meet, jitsi, "
		    "teams, webex or livekit"), "x-provider is missing or unknown");
	if (rq->json == NULL || !json_is_object(rq->json))
		return request_fail(rq, ERR_VALIDATION_FAILED, "The body must be a JSON object");
	d->id = member(rq, rq->json, "id", "id", EVENT_ID_MAX, &bad);
	d->event_name = member(rq, rq->json, "event", "event", 64, &bad);
	d->meeting_id = member(rq, rq->json, "meeting_id", "meeting_id", 64, &bad);
	d->remote_id = member(rq, rq->json, "platform_meeting_id", "platform_meeting_id", 128, &bad);
	when = member(rq, rq->json, "timestamp", "timestamp", 64, &bad);
	part = json_object_get(rq->json, "participant");
	if (bad)
		return ERR_VALIDATION_FAILED;
	if (d->id == NULL)
		request_field_error(rq, "id", "is required");
	for (i = 0; d->event_name != NULL && i < 4 && strcmp(d->event_name, events[i]) != 0; i++)
		;
	if (d->event_name == NULL || i == 4)
		request_field_error(rq, "event", "must be meeting.started, meeting.ended, "
		    "participant.joined or participant.left");
	d->event = (enum wh_event)i;
	if (d->meeting_id == NULL && d->remote_id == NULL)
		request_field_error(rq, "meeting_id", "meeting_id or platform_meeting_id is required");
	if (d->meeting_id != NULL && !ulid_valid(d->meeting_id))
		request_field_error(rq, "meeting_id", "is not a meeting id");
	d->at_ms = clock_wall_ms();
	if (when != NULL && !clock_parse_iso8601(when, &d->at_ms))
		request_field_error(rq, "timestamp", "must be an ISO-8601 time");
	if (i == WH_JOINED || i == WH_LEFT) {
		if (part != NULL && !json_is_object(part)) {
			request_field_error(rq, "participant", "must be an object");
		} else {
			d->who = member(rq, part, "id", "participant.id", KEY_MAX, &bad);
			d->who_name = member(rq, part, "name", "participant.name", NAME_MAX_BYTES, &bad);
			if (d->who_name != NULL &&
			    validate_utf8_chars(d->who_name, strlen(d->who_name)) > NAME_MAX_CHARS)
				request_field_error(rq, "participant.name", "must be at most 200 characters");
			if (d->who == NULL && !bad)
				request_field_error(rq, "participant.id", "is required");
		}
	}
	return rq->ctx.err.nfields > 0 ? ERR_VALIDATION_FAILED : ERR_OK;
}

/* The meeting's new state, with its audit row and outbox event. */
static enum err
apply_meeting(struct request *rq, struct db *db, struct delivery *d, const char *at)
{
	char iso[CLOCK_ISO_LEN];
	struct db_val p[4];
	const char *data, *action;
	uint64_t n = 0;
	enum err e;

	p[0] = DB_STR(at);
	if (d->event == WH_STARTED) {
		p[1] = DB_STR(d->found_id);
		e = db_exec(db, STMT_WEBHOOK_MEETING_START, p, 2, rq->ctx.arena, NULL, 0, &n);
		action = "meeting.started";
	} else {
		p[1] = DB_STR(at);
		p[2] = DB_STR(d->found_id);
		e = db_exec(db, STMT_WEBHOOK_MEETING_END, p, 3, rq->ctx.arena, NULL, 0, &n);
		action = "meeting.ended";
	}
	if (e != ERR_OK || n == 0)
		return e;       /* already there (or past it): nothing to do */
	d->applied = true;
	if (d->event == WH_ENDED) {
		p[0] = DB_STR(d->found_id);
		if ((e = db_exec(db, STMT_PART_CLOSE_ALL, p, 1, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		p[0] = DB_STR(at);
		p[1] = DB_STR(d->found_id);
		if ((e = db_exec(db, STMT_REMOTE_PART_CLOSE_ALL, p, 2, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
	}
	clock_iso8601_ms(d->at_ms, iso);
	data = arena_printf(rq->ctx.arena, "{\"source\":\"webhook\",\"provider\":\"%s\",\"%s\":\"%s\"}",
	    d->provider, d->event == WH_STARTED ? "started_at" : "ended_at", iso);
	if (data == NULL)
		return ERR_NOMEM;
	return journal_record(rq, db, d->found_id, action, data, action, data);
}

static enum err
apply_in_tx(struct db *db, void *ctx)
{
	struct request *rq = ((void **)ctx)[0];
	struct delivery *d = ((void **)ctx)[1];
	unsigned char digest[SHA256_LEN];
	char at[CLOCK_DB_LEN];
	struct db_rows rows;
	struct db_val p[4];
	uint64_t n = 0;
	enum err e;

	d->duplicate = d->applied = false;
	crypto_sha256(d->id, strlen(d->id), digest);
	p[0] = DB_STR(d->provider);
	p[1] = DB_BLOB(digest, SHA256_LEN);
	p[2] = DB_STR(d->event_name);
	if ((e = db_exec(db, STMT_WEBHOOK_CLAIM, p, 3, rq->ctx.arena, NULL, 0, &n)) != ERR_OK)
		return e;
	if (n == 0) {
		d->duplicate = true;
		return ERR_OK;
	}
	if (d->meeting_id != NULL) {
		p[0] = DB_STR(d->meeting_id);
		p[1] = DB_STR(d->provider);
		e = db_exec(db, STMT_WEBHOOK_MEETING_BY_ID, p, 2, rq->ctx.arena, &rows, 1, NULL);
	} else {
		p[0] = DB_STR(d->provider);
		p[1] = DB_STR(d->remote_id);
		e = db_exec(db, STMT_WEBHOOK_MEETING_BY_REMOTE, p, 2, rq->ctx.arena, &rows, 1, NULL);
	}
	if (e != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_MEETING_NOT_FOUND;   /* rolls the claim back too */
	d->found_id = db_cell(&rows, 0, 0);
	clock_db_datetime(d->at_ms, at);
	if (d->event == WH_STARTED || d->event == WH_ENDED)
		return apply_meeting(rq, db, d, at);
	p[0] = DB_STR(d->found_id);
	p[1] = DB_STR(d->who);
	p[2] = DB_STR(d->who_name);
	p[3] = DB_STR(at);
	d->applied = true;
	return db_exec(db, d->event == WH_JOINED ? STMT_REMOTE_PART_JOINED : STMT_REMOTE_PART_LEFT,
	    p, 4, rq->ctx.arena, NULL, 0, NULL);
}

/* 003's own answer shape: a bare {"success": true, ...}. */
enum err
webhook003_meeting(struct request *rq, struct response *rs)
{
	struct delivery d;
	struct jsonw *w;
	void *ctx[2];
	enum err e;

	if ((e = verify(rq)) != ERR_OK)
		return e;
	if ((e = parse(rq, &d)) != ERR_OK)
		return e;
	ctx[0] = rq;
	ctx[1] = &d;
	if ((e = db_tx(rq->ctx.app->db, apply_in_tx, ctx)) != ERR_OK)
		return e;
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kbool(w, "success", true);
	jw_kstr(w, "event", d.event_name);
	jw_kstr(w, "meeting_id", d.duplicate ? NULL : d.found_id);
	jw_kbool(w, "duplicate", d.duplicate);
	jw_kbool(w, "applied", d.applied);
	jw_obj_close(w);
	return ERR_OK;
}
