/*
 * provider_kit.c — helpers the remote providers share (provider_kit.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "platforms/provider_kit.h"

#define REFUSAL_MAX 200         /* bytes of a platform's refusal shown to the caller */
#define DEFAULT_RETRY_S 60      /* a 429 without Retry-After */

json_t *
provider_body_json(const struct http_result *res)
{
	return res->body.len > 0 ? json_loadb(res->body.data, res->body.len, 0, NULL) : NULL;
}

const char *
provider_json_text(struct ctx *c, const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	char num[32];

	if (json_is_string(v) && json_string_length(v) > 0)
		return arena_strdup(c->arena, json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return arena_strdup(c->arena, num);
	}
	return NULL;
}

size_t
utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

enum err
provider_json_call(struct http_call *call, struct arena *a, const char *token, enum http_verb verb,
    const char *url, const char *body, const char *what, bool idempotent)
{
	memset(call, 0, sizeof(*call));
	call->verb = verb;
	call->url = url;
	call->what = what;
	call->idempotent = idempotent;
	call->headers[0] = arena_printf(a, "Authorization: Bearer %s", token);
	call->headers[1] = "Accept: application/json";
	if (body != NULL) {
		call->headers[2] = "Content-Type: application/json";
		call->body = body;
		call->body_len = strlen(body);
	}
	return url != NULL && call->headers[0] != NULL ? ERR_OK : ERR_NOMEM;
}

enum err
provider_read_answer(struct provider_ctx *c, const struct http_result *res, const char *label,
    enum err (*read)(struct provider_ctx *c, json_t *o, struct remote_meeting *out),
    struct remote_meeting *out)
{
	json_t *root = provider_body_json(res);
	enum err e;

	if (!json_is_object(root))
		e = ctx_fail(c->ctx, ERR_PLATFORM_ERROR, arena_printf(c->ctx->arena,
		    "%s's answer was not a meeting", label));
	else
		e = read(c, root, out);
	json_decref(root);
	return e;
}

enum err
provider_refusal(struct ctx *c, const struct http_result *res, const char *label,
    const char *auth_message, const char *doing, const char *detail)
{
	char text[REFUSAL_MAX];

	if (res->status == 429) {
		c->retry_after_s = res->retry_after_s > 0 ? res->retry_after_s : DEFAULT_RETRY_S;
		return ctx_fail(c, ERR_PLATFORM_RATE_LIMITED, arena_printf(c->arena,
		    "%s's rate limit was reached; try again later", label));
	}
	if (res->status >= 500)
		return ctx_fail(c, ERR_PLATFORM_UNAVAILABLE, arena_printf(c->arena,
		    "%s is unavailable; try again shortly", label));
	if (res->status == 401)
		return ctx_fail(c, ERR_PLATFORM_AUTH_FAILED, auth_message);
	log_msg(LOG_WARN, "provider", "%s refused to %s: status %ld", label, doing, res->status);
	snprintf(text, sizeof(text), "%s could not %s: %s", label, doing, detail != NULL ? detail : "refused");
	text[utf8_cut(text, sizeof(text) - 2)] = '\0';
	return ctx_fail(c, ERR_PLATFORM_ERROR, arena_strdup(c->arena, text));
}

bool
provider_outcome_unknown(enum err e, const struct http_result *res)
{
	if (e == ERR_OK)
		return res->status >= 500;
	return res->sent && (e == ERR_PLATFORM_TIMEOUT || e == ERR_PLATFORM_UNAVAILABLE);
}

enum err
provider_create_marked(struct provider_ctx *c, const struct remote_spec *s, const struct marked_create *m,
    struct remote_meeting *out)
{
	const char *found, *msg;
	bool unknown;
	int attempt;
	enum err e = ERR_OK;

	remote_meeting_init(out);
	for (attempt = 0; attempt < 2; attempt++) {
		if (m->charge != NULL && (e = m->charge(c)) != ERR_OK)
			return e;
		if ((e = m->post(c, m->arg, out, &unknown)) == ERR_OK || !unknown)
			return e;
		/* the answer was lost: did the platform create it? */
		log_msg(LOG_WARN, m->platform, "create of %s had no clear answer; reconciling", s->meeting_id);
		msg = c->ctx->err.message;
		if (m->find(c, s, &found) != ERR_OK) {
			c->ctx->err.message = msg;       /* the create's own failure is the answer */
			return e;
		}
		if (found != NULL) {
			log_msg(LOG_INFO, m->platform, "adopting the meeting created for %s", s->meeting_id);
			c->ctx->err.message = NULL;
			return m->get(c, found, out);
		}
		c->ctx->err.message = attempt == 0 ? NULL : msg;
	}
	return e;
}
