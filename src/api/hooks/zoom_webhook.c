/*
 * zoom_webhook.c — POST /api/zoom/webhook: Zoom's event notifications
 * (protocols.md §2.5).
 *
 * Every request must carry x-zm-signature = "v0=" + hex(HMAC-SHA256(secret,
 * "v0:" + x-zm-request-timestamp + ":" + raw body)) with a timestamp within
 * five minutes; anything else is 401 and changes nothing. That includes the
 * endpoint.url_validation challenge: answering it unsigned would make us a
 * signing oracle (a plainToken "v0:<ts>:<forged body>" comes back as a valid
 * signature), so it is answered only when signed and free of ':'.
 *
 * Deliveries are at least once: the SHA-256 of the raw body is recorded in
 * webhook_deliveries in the same transaction as the event's effect, so a
 * repeated delivery is acknowledged and changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "core/clock.h"
#include "auth/crypto.h"
#include "store/db.h"
#include "auth/hmac.h"
#include "domain/journal.h"
#include "core/log.h"
#include "core/parse.h"

#define TOLERANCE_S 300
#define PLAIN_TOKEN_MAX 256

static enum err
check_signature(struct request *rq)
{
	const struct secret *key = &rq->ctx.app->cfg->zoom_webhook_secret;
	const char *ts = request_header(rq, "HTTP_X_ZM_REQUEST_TIMESTAMP");
	const char *sig = request_header(rq, "HTTP_X_ZM_SIGNATURE");
	char want[3 + 2 * SHA256_LEN + 1];
	struct buf msg;
	int64_t t, now = clock_wall_ms() / 1000;
	bool ok;

	if (ts == NULL || sig == NULL || parse_i64z(ts, 0, INT64_MAX / 2, &t) != ERR_OK ||
	    t < now - TOLERANCE_S || t > now + TOLERANCE_S)
		return ERR_INVALID_SIGNATURE;
	buf_init(&msg, rq->body_len + 64);
	buf_printf(&msg, "v0:%s:", ts);
	buf_append(&msg, rq->body != NULL ? rq->body : "", rq->body_len);
	if (msg.failed) {
		buf_free(&msg);
		return ERR_NOMEM;
	}
	memcpy(want, "v0=", 3);
	hmac_sha256_hex(key->data, key->len, msg.data, msg.len, want + 3);
	buf_free(&msg);
	ok = strlen(sig) == sizeof(want) - 1 && crypto_equal(sig, want, sizeof(want) - 1);
	crypto_wipe(want, sizeof(want));
	return ok ? ERR_OK : ERR_INVALID_SIGNATURE;
}

/* endpoint.url_validation: {"plainToken", "encryptedToken"}. */
static enum err
url_validation(struct request *rq, struct response *rs, json_t *payload)
{
	const struct secret *key = &rq->ctx.app->cfg->zoom_webhook_secret;
	const char *plain = json_string_value(json_object_get(payload, "plainToken"));
	char enc[2 * SHA256_LEN + 1];
	struct jsonw *w;
	size_t n;

	n = plain != NULL ? strlen(plain) : 0;
	if (n == 0 || n > PLAIN_TOKEN_MAX || strchr(plain, ':') != NULL)
		return request_field_error(rq, "payload.plainToken",
		    "must be 1 to 256 characters without ':'");
	hmac_sha256_hex(key->data, key->len, plain, n, enc);
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kstr(w, "plainToken", plain);
	jw_kstr(w, "encryptedToken", enc);
	jw_obj_close(w);
	return ERR_OK;
}

/* --- events ----------------------------------------------------------------- */

struct delivery {
	struct request *rq;
	unsigned char digest[SHA256_LEN];
	const char *event;
	json_t *object;         /* payload.object */
	int64_t event_ms;
};

/* An id Zoom sends as a number or as a string. */
static const char *
id_text(struct request *rq, json_t *v)
{
	if (json_is_string(v) && json_string_length(v) > 0)
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_printf(rq->ctx.arena, "%lld", (long long)json_integer_value(v));
	return NULL;
}

/* A Zoom time (ISO-8601) as DATETIME text; `fallback_ms` if absent. */
static const char *
db_time(struct request *rq, json_t *v, int64_t fallback_ms)
{
	char *out = arena_alloc(rq->ctx.arena, CLOCK_DB_LEN);
	int64_t ms = fallback_ms;

	if (out == NULL)
		return NULL;
	if (json_is_string(v))
		(void)clock_parse_iso8601(json_string_value(v), &ms);
	clock_db_datetime(ms, out);
	return out;
}

static const char *
jtext(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

static enum err
meeting_state(struct delivery *d, struct db *db, const char *id, const char *status)
{
	struct request *rq = d->rq;
	const char *data;
	struct db_val p[3];
	uint64_t n = 0;
	enum err e;

	p[0] = DB_NULL;                 /* the database's time */
	p[1] = DB_NULL;                 /* by the platform, not a user */
	p[2] = DB_STR(id);
	if (strcmp(d->event, "meeting.started") == 0) {
		if (strcmp(status, "scheduled") != 0)
			return ERR_OK;          /* already started, or a late delivery */
		if ((e = db_exec(db, STMT_MEETING_START, p, 3, rq->ctx.arena, NULL, 0, &n)) != ERR_OK)
			return e;
		data = "{\"source\":\"zoom\"}";
		if (n == 1 && (e = journal_record(rq, db, id, "meeting.started", data, "meeting.started",
		    data)) != ERR_OK)
			return e;
		p[0] = DB_STR("started");
	} else {
		if (strcmp(status, "scheduled") != 0 && strcmp(status, "started") != 0)
			return ERR_OK;
		if (strcmp(status, "scheduled") == 0 &&
		    (e = db_exec(db, STMT_MEETING_START, p, 3, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		if ((e = db_exec(db, STMT_MEETING_END, p, 3, rq->ctx.arena, NULL, 0, &n)) != ERR_OK)
			return e;
		p[0] = DB_STR(id);
		if ((e = db_exec(db, STMT_PART_CLOSE_ALL, p, 1, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
		data = "{\"source\":\"zoom\"}";
		if (n == 1 && (e = journal_record(rq, db, id, "meeting.ended", data, "meeting.ended",
		    data)) != ERR_OK)
			return e;
		p[0] = DB_STR("ended");
	}
	p[1] = DB_STR(id);
	return db_exec(db, STMT_MEETING_REMOTE_STATUS, p, 2, rq->ctx.arena, NULL, 0, NULL);
}

static enum err
participant(struct delivery *d, struct db *db, const char *id, bool joined)
{
	struct request *rq = d->rq;
	json_t *who = json_object_get(d->object, "participant");
	const char *key, *name, *at;
	struct db_val p[4];

	key = jtext(who, "participant_uuid");
	if (key == NULL)
		key = id_text(rq, json_object_get(who, "user_id"));
	if (key == NULL)
		key = id_text(rq, json_object_get(who, "id"));
	if (key == NULL)
		key = jtext(who, "user_name");
	if (key == NULL || strlen(key) > 190)
		return ERR_OK;          /* nobody we could tell apart */
	name = jtext(who, "user_name");
	at = db_time(rq, json_object_get(who, joined ? "join_time" : "leave_time"), d->event_ms);
	if (at == NULL)
		return ERR_NOMEM;
	p[0] = DB_STR(id);
	p[1] = DB_STR(key);
	p[2] = name != NULL && strlen(name) <= 200 ? DB_STR(name) : DB_NULL;
	p[3] = DB_STR(at);
	return db_exec(db, joined ? STMT_ZOOM_PART_JOINED : STMT_ZOOM_PART_LEFT, p, 4, rq->ctx.arena, NULL, 0, NULL);
}

static enum err
recording(struct delivery *d, struct db *db, const char *id)
{
	struct request *rq = d->rq;
	json_t *files = json_object_get(d->object, "recording_files"), *f, *size;
	const char *share = jtext(d->object, "share_url"), *rid;
	struct db_val p[8];
	size_t i;
	enum err e;

	for (i = 0; i < json_array_size(files); i++) {
		f = json_array_get(files, i);
		if ((rid = id_text(rq, json_object_get(f, "id"))) == NULL || strlen(rid) > 128)
			continue;
		size = json_object_get(f, "file_size");
		p[0] = DB_STR(id);
		p[1] = DB_STR(rid);
		p[2] = DB_STR(jtext(f, "file_type"));
		p[3] = json_is_integer(size) && json_integer_value(size) >= 0 ? DB_I64(json_integer_value(size)) : DB_NULL;
		p[4] = DB_STR(jtext(f, "play_url"));
		p[5] = DB_STR(jtext(f, "download_url"));
		p[6] = json_is_string(json_object_get(f, "recording_start")) ?
		    DB_STR(db_time(rq, json_object_get(f, "recording_start"), 0)) : DB_NULL;
		p[7] = json_is_string(json_object_get(f, "recording_end")) ?
		    DB_STR(db_time(rq, json_object_get(f, "recording_end"), 0)) : DB_NULL;
		if ((p[4].type == DBT_STR && p[4].len > 2048) || (p[5].type == DBT_STR && p[5].len > 2048))
			continue;
		if ((e = db_exec(db, STMT_ZOOM_RECORDING_PUT, p, 8, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
			return e;
	}
	if (share == NULL || strlen(share) > 2048)
		return ERR_OK;
	p[0] = DB_STR(share);
	p[1] = DB_STR(id);
	return db_exec(db, STMT_ZOOM_RECORDING_URL, p, 2, rq->ctx.arena, NULL, 0, NULL);
}

static enum err
apply_in_tx(struct db *db, void *ctx)
{
	struct delivery *d = ctx;
	struct request *rq = d->rq;
	const char *zoom_id, *id, *status;
	struct db_rows rows;
	struct db_val p[2];
	enum err e;

	p[0] = DB_BLOB(d->digest, SHA256_LEN);
	p[1] = DB_STR(d->event);
	if ((e = db_exec(db, STMT_ZOOM_DELIVERY_INSERT, p, 2, rq->ctx.arena, NULL, 0, NULL)) != ERR_OK)
		return e;       /* ERR_DB_DUPLICATE: applied before */
	if ((zoom_id = id_text(rq, json_object_get(d->object, "id"))) == NULL)
		return ERR_OK;
	p[0] = DB_STR(zoom_id);
	if ((e = db_exec(db, STMT_ZOOM_MEETING_LOCK, p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 0)
		return ERR_OK;  /* not one of ours: acknowledged, nothing to do */
	id = db_cell(&rows, 0, 0);
	status = db_cell(&rows, 0, 1);
	if (strcmp(d->event, "meeting.started") == 0 || strcmp(d->event, "meeting.ended") == 0)
		return meeting_state(d, db, id, status);
	if (strcmp(d->event, "meeting.participant_joined") == 0)
		return participant(d, db, id, true);
	if (strcmp(d->event, "meeting.participant_left") == 0)
		return participant(d, db, id, false);
	if (strcmp(d->event, "recording.completed") == 0)
		return recording(d, db, id);
	return ERR_OK;
}

/* POST /api/zoom/webhook */
enum err
zoom_webhook(struct request *rq, struct response *rs)
{
	struct delivery d;
	json_t *payload, *ts;
	struct jsonw *w;
	enum err e;

	if (rq->ctx.app->cfg->zoom_webhook_secret.data == NULL)
		return ERR_ZOOM_NOT_CONFIGURED;
	if ((e = check_signature(rq)) != ERR_OK)
		return e;
	if (!json_is_object(rq->json) || (d.event = jtext(rq->json, "event")) == NULL)
		return request_field_error(rq, "event", "is required");
	payload = json_object_get(rq->json, "payload");
	if (strcmp(d.event, "endpoint.url_validation") == 0)
		return url_validation(rq, rs, payload);
	if (strlen(d.event) > 64)
		return request_field_error(rq, "event", "must be at most 64 characters");
	d.rq = rq;
	d.object = json_object_get(payload, "object");
	ts = json_object_get(rq->json, "event_ts");
	d.event_ms = json_is_integer(ts) ? json_integer_value(ts) : clock_wall_ms();
	crypto_sha256(rq->body, rq->body_len, d.digest);
	e = db_tx(rq->ctx.app->db, apply_in_tx, &d);
	if (e != ERR_OK && e != ERR_DB_DUPLICATE)
		return e;
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kstr(w, "status", e == ERR_DB_DUPLICATE ? "duplicate" : "ok");
	jw_obj_close(w);
	return ERR_OK;
}
