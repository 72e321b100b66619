/*
 * provider_kit.h — what the remote providers share: reading a platform's
 * JSON answers, turning its refusals into meetd's errors, and the marked
 * create with its reconcile step (design §7) for platforms that have no
 * idempotency key (Zoom, Webex).
 *
 * Only src/providers/ includes this; the meeting core sees provider.h.
 */
#ifndef MEETD_PROVIDER_KIT_H
#define MEETD_PROVIDER_KIT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "outbound/http_client.h"
#include "platforms/provider.h"

/* The answer's body as JSON (new reference), or NULL if empty or not JSON. */
json_t *provider_body_json(const struct http_result *res);

/* o[key] as a non-empty string (an integer is written as text), copied to
 * the request's arena; NULL if absent. */
const char *provider_json_text(struct ctx *c, const json_t *o, const char *key);

/* Bytes of s that fit in max without cutting a UTF-8 character in half. */
size_t utf8_cut(const char *s, size_t max);

/* Prepares a JSON call with a bearer token: Accept and Content-Type set,
 * body (NUL-ended, or NULL) sent as is. Further headers may follow in the
 * free slots. ERR_NOMEM if the arena is exhausted. */
enum err provider_json_call(struct http_call *call, struct arena *a, const char *token, enum http_verb verb,
    const char *url, const char *body, const char *what, bool idempotent);

/* Reads a 200/201 answer with read(); a body that is no JSON object is
 * PLATFORM_ERROR "<label>'s answer was not a meeting". */
enum err provider_read_answer(struct provider_ctx *c, const struct http_result *res, const char *label,
    enum err (*read)(struct provider_ctx *c, json_t *o, struct remote_meeting *out),
    struct remote_meeting *out);

/* The platform said no: 429 → PLATFORM_RATE_LIMITED passing its
 * Retry-After on (60 s when it gave none); 5xx → PLATFORM_UNAVAILABLE;
 * 401 → PLATFORM_AUTH_FAILED with auth_message; anything else →
 * PLATFORM_ERROR "<label> could not <doing>: <detail>". detail is the
 * platform's own words (never a secret: platforms do not echo them). */
enum err provider_refusal(struct ctx *c, const struct http_result *res, const char *label,
    const char *auth_message, const char *doing, const char *detail);

/* Whether a create that failed with e may still have happened remotely:
 * a 5xx answer, or a request sent whose answer never came. */
bool provider_outcome_unknown(enum err e, const struct http_result *res);

/* A create for a platform without idempotency keys: the meeting carries
 * a marker with meetd's id, and an unknown outcome is followed by a look
 * for the marker before sending again. */
struct marked_create {
	const char *platform;           /* for the log */
	/* Optional: charged before every POST (a platform quota). */
	enum err (*charge)(struct provider_ctx *c);
	/* One POST of the prepared body; *unknown as provider_outcome_unknown. */
	enum err (*post)(struct provider_ctx *c, const void *arg, struct remote_meeting *out, bool *unknown);
	/* The id of the meeting that carries s's marker in *found, or NULL when
	 * there is none; an error leaves the outcome unknown. */
	enum err (*find)(struct provider_ctx *c, const struct remote_spec *s, const char **found);
	enum err (*get)(struct provider_ctx *c, const char *remote_id, struct remote_meeting *out);
	const void *arg;                /* handed to post() */
};

/* At most two POSTs, each followed by a look when its outcome is unknown;
 * a marked meeting found is adopted instead of created again. */
enum err provider_create_marked(struct provider_ctx *c, const struct remote_spec *s,
    const struct marked_create *m, struct remote_meeting *out);

#endif
