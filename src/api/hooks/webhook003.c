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
 * Nothing is read or stored before the signature is good. The delivery is
 * mapped into one platform_event and applied by the domain like any
 * platform's (domain/platform_events.h): each event id applies once, and
 * participant times only move forward.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/validate.h"
#include "auth/crypto.h"
#include "auth/hmac.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "core/parse.h"
#include "core/rand.h"
#include "domain/platform_events.h"

#define EVENT_ID_MAX 190
#define KEY_MAX 190
#define NAME_MAX_BYTES 800      /* and at most NAME_MAX_CHARS characters */
#define NAME_MAX_CHARS 200

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
		int64_t t, now = (int64_t)time(NULL);
		char *signed_text;
		size_t tl;

		if (parse_i64z(ts, 0, INT64_MAX / 2, &t) != ERR_OK || t < now - cfg->webhook_tolerance ||
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
parse(struct request *rq, struct platform_event *d)
{
	static const char *const events[] = {
		"meeting.started", "meeting.ended", "participant.joined", "participant.left"
	};
	static const enum pe_kind kinds[] = { PE_STARTED, PE_ENDED, PE_JOINED, PE_LEFT };
	const char *when;
	json_t *part;
	bool bad = false;
	size_t i;

	memset(d, 0, sizeof(*d));
	if ((d->platform = provider_name(request_header(rq, "HTTP_X_PROVIDER"))) == NULL)
		return request_fail(rq, request_field_error(rq, "x-provider", "must be zoom, google-meet, jitsi, "
		    "teams, webex or livekit"), "x-provider is missing or unknown");
	if (rq->json == NULL || !json_is_object(rq->json))
		return request_fail(rq, ERR_VALIDATION_FAILED, "The body must be a JSON object");
	d->delivery = member(rq, rq->json, "id", "id", EVENT_ID_MAX, &bad);
	d->name = member(rq, rq->json, "event", "event", 64, &bad);
	d->meeting_id = member(rq, rq->json, "meeting_id", "meeting_id", 64, &bad);
	d->remote_id = member(rq, rq->json, "platform_meeting_id", "platform_meeting_id", 128, &bad);
	when = member(rq, rq->json, "timestamp", "timestamp", 64, &bad);
	part = json_object_get(rq->json, "participant");
	if (bad)
		return ERR_VALIDATION_FAILED;
	if (d->delivery == NULL)
		request_field_error(rq, "id", "is required");
	for (i = 0; d->name != NULL && i < 4 && strcmp(d->name, events[i]) != 0; i++)
		;
	if (d->name == NULL || i == 4)
		request_field_error(rq, "event", "must be meeting.started, meeting.ended, "
		    "participant.joined or participant.left");
	d->kind = i < 4 ? kinds[i] : PE_NONE;
	if (d->meeting_id == NULL && d->remote_id == NULL)
		request_field_error(rq, "meeting_id", "meeting_id or platform_meeting_id is required");
	if (d->meeting_id != NULL && !ulid_valid(d->meeting_id))
		request_field_error(rq, "meeting_id", "is not a meeting id");
	d->at_ms = clock_wall_ms();
	if (when != NULL && !clock_parse_iso8601(when, &d->at_ms))
		request_field_error(rq, "timestamp", "must be an ISO-8601 time");
	if (d->kind == PE_JOINED || d->kind == PE_LEFT) {
		if (part != NULL && !json_is_object(part)) {
			request_field_error(rq, "participant", "must be an object");
		} else {
			d->participant_key = member(rq, part, "id", "participant.id", KEY_MAX, &bad);
			d->participant_name = member(rq, part, "name", "participant.name", NAME_MAX_BYTES, &bad);
			if (d->participant_name != NULL &&
			    validate_utf8_chars(d->participant_name, strlen(d->participant_name)) > NAME_MAX_CHARS)
				request_field_error(rq, "participant.name", "must be at most 200 characters");
			if (d->participant_key == NULL && !bad)
				request_field_error(rq, "participant.id", "is required");
		}
	}
	return rq->ctx.err.nfields > 0 ? ERR_VALIDATION_FAILED : ERR_OK;
}

/* The answer of the Dheya system's webhook: a bare {"success": true, ...}. */
enum err
webhook003_meeting(struct request *rq, struct response *rs)
{
	struct platform_event ev;
	struct hook_result r;
	struct jsonw *w;
	enum err e;

	if ((e = verify(rq)) != ERR_OK)
		return e;
	if ((e = parse(rq, &ev)) != ERR_OK)
		return e;
	ev.source = "webhook";
	if ((e = platform_event_apply(&rq->ctx, &ev, &r)) != ERR_OK)
		return e;
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kbool(w, "success", true);
	jw_kstr(w, "event", ev.name);
	jw_kstr(w, "meeting_id", r.duplicate ? NULL : r.meeting_id);
	jw_kbool(w, "duplicate", r.duplicate);
	jw_kbool(w, "applied", r.applied);
	jw_obj_close(w);
	return ERR_OK;
}
