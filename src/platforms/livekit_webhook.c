/*
 * livekit_webhook.c — LiveKit's webhooks, checked as LiveKit documents and
 * read into one platform_event (platforms/events.h).
 *
 * LiveKit POSTs a WebhookEvent (Content-Type application/webhook+json) with
 * `Authorization: <JWT>` — no "Bearer " — an HS256 token signed with the
 * API secret whose `iss` is the API key, valid for five minutes, and whose
 * `sha256` claim is the standard base64 (padded) of SHA-256 of the body.
 * We require all of it: the algorithm, the key, `exp` (with a minute of
 * leeway, as LiveKit's verifier), and the body digest, compared in
 * constant time. A LiveKit room is named after meetd's meeting id.
 *
 * Used: room_started, room_finished, participant_joined, participant_left;
 * other events are acknowledged. The delivery key is the event's `id`.
 */
#include <string.h>

#include <jansson.h>

#include "auth/crypto.h"
#include "auth/hmac.h"
#include "config/config.h"
#include "core/app.h"
#include "core/b64.h"
#include "core/clock.h"
#include "core/rand.h"
#include "platforms/livekit.h"

#define LEEWAY_S 60
#define TOKEN_MAX 4096
#define ID_MAX 128

/* Decodes one base64url JWT segment as a JSON object; NULL if anything is off. */
static json_t *
segment(struct ctx *c, const char *s, size_t n)
{
	unsigned char *raw;
	size_t len;
	json_t *j;

	if (n == 0 || (raw = arena_alloc(c->arena, n)) == NULL || !b64url_decode(s, n, raw, &len))
		return NULL;
	j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* Standard base64 with padding of SHA-256(body): what `sha256` must say. */
static void
body_digest_b64(const struct hook_input *in, char out[45])
{
	unsigned char d[SHA256_LEN];
	char url[48];
	size_t i;

	crypto_sha256(in->body != NULL ? in->body : "", in->body_len, d);
	b64url_encode(d, sizeof(d), url);       /* 43 characters */
	for (i = 0; i < 43; i++)
		out[i] = url[i] == '-' ? '+' : url[i] == '_' ? '/' : url[i];
	out[43] = '=';
	out[44] = '\0';
}

static enum err
verify(struct ctx *c, const struct hook_input *in)
{
	const struct config *cfg = c->app->cfg;
	const char *tok = in->header(in->arg, "authorization"), *d1, *d2, *iss, *sum;
	unsigned char mac[SHA256_LEN], sig[SHA256_LEN + 4];
	char want[45];
	json_t *h = NULL, *claims = NULL, *exp, *nbf;
	int64_t now = clock_wall_ms() / 1000;
	size_t n, siglen;
	bool ok = false;

	if (tok == NULL || (n = strlen(tok)) == 0 || n > TOKEN_MAX)
		return ERR_INVALID_SIGNATURE;
	if (strncmp(tok, "Bearer ", 7) == 0)
		tok += 7;       /* tolerated: LiveKit sends none, proxies sometimes add one */
	if ((d1 = strchr(tok, '.')) == NULL || (d2 = strchr(d1 + 1, '.')) == NULL || strchr(d2 + 1, '.') != NULL)
		return ERR_INVALID_SIGNATURE;
	if ((h = segment(c, tok, (size_t)(d1 - tok))) == NULL ||
	    !json_is_string(json_object_get(h, "alg")) ||
	    strcmp(json_string_value(json_object_get(h, "alg")), "HS256") != 0)
		goto out;
	if (strlen(d2 + 1) > sizeof(sig) * 2 || !b64url_decode(d2 + 1, strlen(d2 + 1), sig, &siglen) ||
	    siglen != SHA256_LEN)
		goto out;
	hmac_sha256(cfg->livekit_api_secret.data, cfg->livekit_api_secret.len, tok, (size_t)(d2 - tok), mac);
	if (!crypto_equal(mac, sig, SHA256_LEN))
		goto out;
	if ((claims = segment(c, d1 + 1, (size_t)(d2 - d1 - 1))) == NULL)
		goto out;
	iss = json_string_value(json_object_get(claims, "iss"));
	exp = json_object_get(claims, "exp");
	nbf = json_object_get(claims, "nbf");
	sum = json_string_value(json_object_get(claims, "sha256"));
	if (iss == NULL || strcmp(iss, cfg->livekit_api_key) != 0 || !json_is_number(exp) ||
	    json_number_value(exp) + LEEWAY_S < (double)now ||
	    (nbf != NULL && (!json_is_number(nbf) || json_number_value(nbf) - LEEWAY_S > (double)now)) ||
	    sum == NULL || strlen(sum) != 44)
		goto out;
	body_digest_b64(in, want);
	ok = crypto_equal(want, sum, 44);
out:
	json_decref(h);
	json_decref(claims);
	return ok ? ERR_OK : ERR_INVALID_SIGNATURE;
}

static const char *
copy(struct ctx *c, json_t *o, const char *key, size_t max)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' && strlen(s) <= max ? arena_strdup(c->arena, s) : NULL;
}

enum err
livekit_hook(struct ctx *c, const struct hook_input *in, struct platform_event *ev, const char **reply)
{
	const struct config *cfg = c->app->cfg;
	json_t *root, *room, *who, *at;
	const char *name;
	enum err e;

	*reply = NULL;
	if (cfg->livekit_api_key == NULL || cfg->livekit_api_secret.data == NULL)
		return ERR_LIVEKIT_NOT_CONFIGURED;
	if ((e = verify(c, in)) != ERR_OK)
		return e;
	root = json_loadb(in->body != NULL ? in->body : "", in->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root) || (name = json_string_value(json_object_get(root, "event"))) == NULL ||
	    strlen(name) == 0 || strlen(name) > 64) {
		json_decref(root);
		return ctx_field_error(c, "event", "is required");
	}
	room = json_object_get(root, "room");
	who = json_object_get(root, "participant");
	at = json_object_get(root, "createdAt");
	if (at == NULL)
		at = json_object_get(root, "created_at");
	ev->platform = "livekit";
	ev->source = "livekit";
	ev->name = arena_strdup(c->arena, name);
	/* protojson writes int64 as a string: "createdAt": "1700000000" */
	ev->at_ms = json_is_integer(at) ? json_integer_value(at) * 1000 : clock_wall_ms();
	if (json_is_string(at)) {
		int64_t s = 0;
		const char *p;

		for (p = json_string_value(at); *p >= '0' && *p <= '9' && s < INT64_MAX / 10000; p++)
			s = s * 10 + (*p - '0');
		if (*p == '\0' && s > 0)
			ev->at_ms = s * 1000;
	}
	ev->delivery = copy(c, root, "id", ID_MAX);
	ev->remote_id = copy(c, room, "name", ID_MAX);
	/* meetings that are not meetd's rooms are acknowledged */
	ev->unknown_meeting_ok = true;
	if (strcmp(name, "room_started") == 0)
		ev->kind = PE_STARTED;
	else if (strcmp(name, "room_finished") == 0)
		ev->kind = PE_ENDED;
	else if (strcmp(name, "participant_joined") == 0)
		ev->kind = PE_JOINED;
	else if (strcmp(name, "participant_left") == 0)
		ev->kind = PE_LEFT;
	if (ev->kind == PE_JOINED || ev->kind == PE_LEFT) {
		ev->participant_key = copy(c, who, "identity", 190);
		ev->participant_name = copy(c, who, "name", 800);
	}
	json_decref(root);
	if (ev->name == NULL)
		return ERR_NOMEM;
	if (ev->delivery == NULL)
		return ctx_field_error(c, "id", "is required");
	return ERR_OK;
}
