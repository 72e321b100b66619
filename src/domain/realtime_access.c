/*
 * realtime_access.c — who may listen to a meeting, and what a client may
 * say on its WebSocket (see realtime.h).
 *
 * Browsers cannot set headers on a WebSocket or an EventSource, so a client
 * first asks for a ticket with its token; the ticket is 256 random bits,
 * kept only as its SHA-256, valid once and for at most a minute, for one
 * user and one meeting. Spending it is the one statement that reads it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "auth/crypto.h"
#include "config/config.h"
#include "core/app.h"
#include "core/b64.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/rand.h"
#include "domain/meeting.h"
#include "domain/realtime.h"
#include "store/db.h"
#include "store/limiter.h"

#define TICKET_BYTES 32
#define TICKET_LEN 43           /* base64url of 32 bytes, unpadded */
#define CLIENT_MESSAGE_MAX 8192
#define SIGNAL_DATA_MAX 8192

static enum err
still_open(const struct meeting *m)
{
	if (m->status == MS_ENDED)
		return ERR_MEETING_ENDED;
	if (m->status == MS_CANCELLED)
		return ERR_MEETING_CANCELLED;
	return ERR_OK;
}

enum err
realtime_ticket(struct ctx *c, const char *meeting_id, struct rt_ticket *out)
{
	unsigned char raw[TICKET_BYTES], hash[SHA256_LEN];
	char ticket[TICKET_LEN + 1], expires[CLOCK_ISO_LEN];
	int64_t ttl = c->app->cfg->realtime_ticket_ttl;
	struct db_val p[4];
	struct meeting m;
	enum err e;

	if ((e = meeting_load(c, c->app->db, meeting_id, false, &m)) != ERR_OK ||
	    (e = still_open(&m)) != ERR_OK)
		return e;
	if (!rand_bytes(raw, sizeof(raw)))
		return ERR_INTERNAL;
	b64url_encode(raw, sizeof(raw), ticket);
	ticket[TICKET_LEN] = '\0';
	crypto_sha256(ticket, TICKET_LEN, hash);
	crypto_wipe(raw, sizeof(raw));
	p[0] = DB_BLOB(hash, sizeof(hash));
	p[1] = DB_STR(c->who.subject);
	p[2] = DB_STR(m.id);
	p[3] = DB_I64(ttl);
	if ((e = db_exec(c->app->db, STMT_RT_TICKET_INSERT, p, 4, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	clock_iso8601((int64_t)time(NULL) + ttl, expires);
	out->ticket = arena_strdup(c->arena, ticket);
	out->expires_at = arena_strdup(c->arena, expires);
	out->expires_in = ttl;
	crypto_wipe(ticket, sizeof(ticket));
	return out->ticket != NULL && out->expires_at != NULL ? ERR_OK : ERR_NOMEM;
}

/* Spends `ticket`; on success the caller is its user. */
static enum err
spend_ticket(struct ctx *c, const char *meeting_id, const char *ticket)
{
	unsigned char hash[SHA256_LEN];
	struct db_val p[1];
	struct db_rows rows;
	size_t i;
	enum err e;

	for (i = 0; ticket[i] != '\0'; i++)
		if (!((ticket[i] >= 'A' && ticket[i] <= 'Z') || (ticket[i] >= 'a' && ticket[i] <= 'z') ||
		    (ticket[i] >= '0' && ticket[i] <= '9') || ticket[i] == '-' || ticket[i] == '_'))
			return ERR_INVALID_TICKET;
	if (i != TICKET_LEN)
		return ERR_INVALID_TICKET;
	crypto_sha256(ticket, TICKET_LEN, hash);
	p[0] = DB_BLOB(hash, sizeof(hash));
	if ((e = db_exec(c->app->db, STMT_RT_TICKET_TAKE, p, 1, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	/* unknown, spent, expired, or another meeting's: the same answer */
	if (rows.nrows != 1 || strcmp(db_cell(&rows, 0, 2), "1") != 0 ||
	    strcmp(db_cell(&rows, 0, 1), meeting_id) != 0)
		return ERR_INVALID_TICKET;
	c->who.kind = PRINCIPAL_JWT;
	c->who.subject = db_cell(&rows, 0, 0);
	return ERR_OK;
}

enum err
realtime_open(struct ctx *c, const char *meeting_id, const char *ticket, struct rt_grant *out)
{
	unsigned char raw[RT_CONN_LEN / 2];
	char conn[RT_CONN_LEN + 1];
	struct meeting m;
	size_t i, n;
	char *uri;
	enum err e;

	if (meeting_id == NULL || !ulid_valid(meeting_id))
		return ERR_MEETING_NOT_FOUND;
	if (ticket != NULL && (e = spend_ticket(c, meeting_id, ticket)) != ERR_OK)
		return e;
	if ((e = meeting_load(c, c->app->db, meeting_id, false, &m)) != ERR_OK ||
	    (e = still_open(&m)) != ERR_OK)
		return e;
	if (!rand_bytes(raw, sizeof(raw)))
		return ERR_INTERNAL;
	for (i = 0; i < sizeof(raw); i++)
		snprintf(conn + 2 * i, 3, "%02x", raw[i]);
	n = sizeof("/internal/sub///") + 2 * ULID_LEN + RT_CONN_LEN;
	if ((uri = arena_alloc(c->arena, n)) == NULL)
		return ERR_NOMEM;
	snprintf(uri, n, "/internal/sub/%s/%s/%s", m.id, c->who.subject, conn);
	out->user_id = c->who.subject;
	out->redirect = uri;
	return ERR_OK;
}

/* A reply for the sending connection only: {"type","meeting_id","user_id",
 * "data","timestamp"}. */
static const char *
reply_message(struct ctx *c, const char *type, const char *meeting_id, const char *user_id,
    enum err code, const char *message, const char *rest)
{
	char ts[CLOCK_ISO_LEN];
	struct buf b;
	struct jsonw w;
	const char *out;

	clock_iso8601((int64_t)time(NULL), ts);
	buf_init(&b, 4096);
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_kstr(&w, "type", type);
	jw_kstr(&w, "meeting_id", meeting_id);
	jw_kstr(&w, "user_id", user_id);
	jw_key(&w, "data");
	jw_obj_open(&w);
	if (code != ERR_OK) {
		jw_kstr(&w, "code", err_code(code));
		jw_kstr(&w, "message", message != NULL ? message : err_message(code));
		if (rest != NULL)
			jw_kstr(&w, "use", rest);
	}
	jw_obj_close(&w);
	jw_kstr(&w, "timestamp", ts);
	jw_obj_close(&w);
	out = b.failed ? NULL : arena_strdup(c->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
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

/* The first bad field as one line ("to must be a user id"), else the
 * recorded message. */
static const char *
field_message(struct ctx *c)
{
	size_t n;
	char *m;

	if (c->err.nfields == 0)
		return c->err.message;
	n = strlen(c->err.field[0]) + strlen(c->err.reason[0]) + 2;
	if ((m = arena_alloc(c->arena, n)) == NULL)
		return NULL;
	snprintf(m, n, "%s %s", c->err.field[0], c->err.reason[0]);
	return m;
}

void
client_message_read(struct ctx *c, const char *body, size_t len, struct client_message *out)
{
	json_t *j, *data_j, *to_j;
	const char *type;
	char *data_text = NULL;

	memset(out, 0, sizeof(*out));
	out->kind = CM_REFUSED;
	out->code = ERR_INVALID_REQUEST;
	if (len > CLIENT_MESSAGE_MAX) {
		out->message = "A message is at most 8 KiB";
		return;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	type = json_string_value(json_object_get(j, "type"));
	if (!json_is_object(j) || type == NULL) {
		out->message = "A message is a JSON object with a \"type\"";
	} else if (strcmp(type, "ping") == 0) {
		out->kind = CM_PING;
		out->code = ERR_OK;
	} else if (strcmp(type, "chat") == 0) {
		out->code = ERR_NOT_SUPPORTED;
		out->message = "Chat is not served on this server yet";
		out->use = "POST /api/v1/meetings/{id}/chat";
	} else if (strcmp(type, "hand_raise") == 0) {
		out->code = ERR_NOT_SUPPORTED;
		out->message = "Hand raising is not served on this server yet";
		out->use = "PUT /api/v1/meetings/{id}/participants/status";
	} else if ((out->signal.kind = signal_kind_parse(type)) == SIG__MAX) {
		out->message = "Unknown message type";
	} else {
		/* what the signal keeps lives in the arena, not in j */
		data_j = json_object_get(j, "data");
		to_j = json_object_get(j, "to");
		out->code = ERR_VALIDATION_FAILED;
		if (data_j != NULL) {
			char *text = json_dumps(data_j, JSON_COMPACT | JSON_ENCODE_ANY);

			data_text = text != NULL ? arena_strdup(c->arena, text) : NULL;
			free(text);
		}
		if (to_j != NULL && !json_is_string(to_j)) {
			out->message = "to must be a user id";
		} else if ((data_j != NULL && data_text == NULL) || (to_j != NULL &&
		    (out->signal.to_user = arena_strdup(c->arena, json_string_value(to_j))) == NULL)) {
			out->code = ERR_NOMEM;
		} else if (signal_check(c, &out->signal, data_text) != ERR_OK) {
			out->message = field_message(c);
		} else {
			out->kind = CM_SIGNAL;
			out->code = ERR_OK;
		}
	}
	json_decref(j);
}

enum err
realtime_client_message(struct ctx *c, const char *meeting_id, const char *user_id,
    const char *body, size_t len, const char **reply)
{
	const struct rate *rate = &c->app->cfg->limit_realtime;
	char key[LIMIT_KEY_MAX];
	struct client_message m;
	bool allowed;
	enum err e;

	*reply = NULL;
	if (!ulid_valid(meeting_id) || !ulid_valid(user_id))
		return ERR_NOT_FOUND;
	c->who.kind = PRINCIPAL_JWT;
	c->who.subject = user_id;
	snprintf(key, sizeof(key), "u:%s:websocket", user_id);
	if ((e = limiter_take(c->app->db, c->arena, key, rate, &c->limit, &allowed)) != ERR_OK)
		return e;
	if (!allowed) {
		*reply = reply_message(c, "error", meeting_id, user_id, ERR_RATE_LIMITED,
		    "More than the WebSocket message limit; wait before sending again", NULL);
		return ERR_OK;
	}
	client_message_read(c, body, len, &m);
	switch (m.kind) {
	case CM_PING:
		*reply = reply_message(c, "pong", meeting_id, user_id, ERR_OK, NULL, NULL);
		break;
	case CM_SIGNAL:
		if ((e = events_signal(c, meeting_id, &m.signal)) != ERR_OK)
			*reply = reply_message(c, "error", meeting_id, user_id, e, c->err.message, NULL);
		break;
	case CM_REFUSED:
		*reply = reply_message(c, "error", meeting_id, user_id, m.code, m.message, m.use);
		break;
	}
	return ERR_OK;
}
