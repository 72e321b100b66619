/*
 * webhook.c — Zoom's event notifications, checked and read into one
 * platform_event (platforms/events.h); the domain applies it.
 *
 * Every delivery must carry x-zm-signature = "v0=" + hex(HMAC-SHA256(secret,
 * "v0:" + x-zm-request-timestamp + ":" + raw body)) with a timestamp within
 * five minutes; anything else is INVALID_SIGNATURE and nothing is read.
 * That includes the endpoint.url_validation challenge: answering it
 * unsigned would make us a signing oracle (a plainToken "v0:<ts>:<forged
 * body>" comes back as a valid signature), so it is answered only when
 * signed and free of ':'.
 *
 * Deliveries are at least once: the delivery key is the raw body itself
 * (its SHA-256 is claimed with the effect), so a repeated delivery changes
 * nothing. Meetings that are not meetd's are acknowledged.
 */
#include <string.h>

#include <jansson.h>

#include "auth/crypto.h"
#include "auth/hmac.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/parse.h"
#include "platforms/zoom.h"

#define TOLERANCE_S 300
#define PLAIN_TOKEN_MAX 256
#define EVENT_NAME_MAX 64

static enum err
check_signature(struct ctx *c, const struct hook_input *in)
{
	const struct secret *key = &c->app->cfg->zoom_webhook_secret;
	const char *ts = in->header(in->arg, "x-zm-request-timestamp");
	const char *sig = in->header(in->arg, "x-zm-signature");
	char want[3 + 2 * SHA256_LEN + 1];
	struct buf msg;
	int64_t t, now = clock_wall_ms() / 1000;
	bool ok;

	if (ts == NULL || sig == NULL || parse_i64z(ts, 0, INT64_MAX / 2, &t) != ERR_OK ||
	    t < now - TOLERANCE_S || t > now + TOLERANCE_S)
		return ERR_INVALID_SIGNATURE;
	buf_init(&msg, in->body_len + 64);
	buf_printf(&msg, "v0:%s:", ts);
	buf_append(&msg, in->body != NULL ? in->body : "", in->body_len);
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
url_validation(struct ctx *c, json_t *payload, const char **reply)
{
	const struct secret *key = &c->app->cfg->zoom_webhook_secret;
	const char *plain = json_string_value(json_object_get(payload, "plainToken"));
	char enc[2 * SHA256_LEN + 1];
	struct buf out;
	struct jsonw w;
	size_t n;

	n = plain != NULL ? strlen(plain) : 0;
	if (n == 0 || n > PLAIN_TOKEN_MAX || strchr(plain, ':') != NULL)
		return ctx_field_error(c, "payload.plainToken", "must be 1 to 256 characters without ':'");
	hmac_sha256_hex(key->data, key->len, plain, n, enc);
	buf_init(&out, 4096);
	jw_init(&w, &out);
	jw_obj_open(&w);
	jw_kstr(&w, "plainToken", plain);
	jw_kstr(&w, "encryptedToken", enc);
	jw_obj_close(&w);
	*reply = out.failed ? NULL : arena_strdup(c->arena, buf_cstr(&out));
	buf_free(&out);
	return *reply != NULL ? ERR_OK : ERR_NOMEM;
}

/* An id Zoom sends as a number or as a string. */
static const char *
id_text(struct ctx *c, json_t *v)
{
	if (json_is_string(v) && json_string_length(v) > 0)
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_printf(c->arena, "%lld", (long long)json_integer_value(v));
	return NULL;
}

static const char *
jtext(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* A Zoom time (ISO-8601) in ms; `fallback` if absent or unreadable. */
static int64_t
time_ms(json_t *v, int64_t fallback)
{
	int64_t ms;

	return json_is_string(v) && clock_parse_iso8601(json_string_value(v), &ms) ? ms : fallback;
}

static void
read_participant(struct ctx *c, json_t *object, bool joined, struct platform_event *ev)
{
	json_t *who = json_object_get(object, "participant");
	const char *key;

	key = jtext(who, "participant_uuid");
	if (key == NULL)
		key = id_text(c, json_object_get(who, "user_id"));
	if (key == NULL)
		key = id_text(c, json_object_get(who, "id"));
	if (key == NULL)
		key = jtext(who, "user_name");
	ev->participant_key = key;
	ev->participant_name = jtext(who, "user_name");
	ev->at_ms = time_ms(json_object_get(who, joined ? "join_time" : "leave_time"), ev->at_ms);
}

static void
read_recordings(struct ctx *c, json_t *object, struct platform_event *ev)
{
	json_t *files = json_object_get(object, "recording_files"), *f, *size;
	size_t i;

	ev->recording_url = jtext(object, "share_url");
	for (i = 0; i < json_array_size(files) && ev->nrecordings < PE_RECORDINGS_MAX; i++) {
		struct pe_recording *r = &ev->recordings[ev->nrecordings];

		f = json_array_get(files, i);
		if ((r->id = id_text(c, json_object_get(f, "id"))) == NULL)
			continue;
		size = json_object_get(f, "file_size");
		r->type = jtext(f, "file_type");
		r->size = json_is_integer(size) && json_integer_value(size) >= 0 ? json_integer_value(size) : -1;
		r->play_url = jtext(f, "play_url");
		r->download_url = jtext(f, "download_url");
		r->start_ms = time_ms(json_object_get(f, "recording_start"), 0);
		r->end_ms = time_ms(json_object_get(f, "recording_end"), 0);
		ev->nrecordings++;
	}
}

enum err
zoom_hook(struct ctx *c, const struct hook_input *in, struct platform_event *ev, const char **reply)
{
	json_t *root, *payload, *object, *ts;
	const char *name;
	enum err e;

	*reply = NULL;
	if (c->app->cfg->zoom_webhook_secret.data == NULL)
		return ERR_ZOOM_NOT_CONFIGURED;
	if ((e = check_signature(c, in)) != ERR_OK)
		return e;
	root = json_loadb(in->body != NULL ? in->body : "", in->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root) || (name = jtext(root, "event")) == NULL) {
		json_decref(root);
		return ctx_field_error(c, "event", "is required");
	}
	payload = json_object_get(root, "payload");
	if (strcmp(name, "endpoint.url_validation") == 0) {
		e = url_validation(c, payload, reply);
		json_decref(root);
		return e;
	}
	if (strlen(name) > EVENT_NAME_MAX) {
		json_decref(root);
		return ctx_field_error(c, "event", "must be at most 64 characters");
	}
	object = json_object_get(payload, "object");
	ts = json_object_get(root, "event_ts");
	ev->platform = "zoom";
	ev->source = "zoom";
	ev->unknown_meeting_ok = true;
	ev->name = arena_strdup(c->arena, name);
	ev->delivery = arena_strndup(c->arena, in->body, in->body_len);
	ev->remote_id = id_text(c, json_object_get(object, "id"));
	ev->at_ms = json_is_integer(ts) ? json_integer_value(ts) : clock_wall_ms();
	if (ev->remote_id != NULL)
		ev->remote_id = arena_strdup(c->arena, ev->remote_id);
	if (strcmp(name, "meeting.started") == 0) {
		ev->kind = PE_STARTED;
		ev->at_ms = time_ms(json_object_get(object, "start_time"), ev->at_ms);
	} else if (strcmp(name, "meeting.ended") == 0) {
		ev->kind = PE_ENDED;
		ev->at_ms = time_ms(json_object_get(object, "end_time"), ev->at_ms);
	} else if (strcmp(name, "meeting.participant_joined") == 0) {
		ev->kind = PE_JOINED;
		read_participant(c, object, true, ev);
	} else if (strcmp(name, "meeting.participant_left") == 0) {
		ev->kind = PE_LEFT;
		read_participant(c, object, false, ev);
	} else if (strcmp(name, "recording.completed") == 0) {
		ev->kind = PE_RECORDING;
		read_recordings(c, object, ev);
	}
	/* what the event points into lives in the JSON: keep copies */
	ev->participant_key = ev->participant_key != NULL ? arena_strdup(c->arena, ev->participant_key) : NULL;
	ev->participant_name = ev->participant_name != NULL ? arena_strdup(c->arena, ev->participant_name) : NULL;
	ev->recording_url = ev->recording_url != NULL ? arena_strdup(c->arena, ev->recording_url) : NULL;
	for (size_t i = 0; i < ev->nrecordings; i++) {
		struct pe_recording *r = &ev->recordings[i];

		r->id = arena_strdup(c->arena, r->id);
		r->type = r->type != NULL ? arena_strdup(c->arena, r->type) : NULL;
		r->play_url = r->play_url != NULL ? arena_strdup(c->arena, r->play_url) : NULL;
		r->download_url = r->download_url != NULL ? arena_strdup(c->arena, r->download_url) : NULL;
	}
	json_decref(root);
	return ev->name != NULL && ev->delivery != NULL ? ERR_OK : ERR_NOMEM;
}
