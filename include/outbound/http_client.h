/*
 * http_client.h — meetd's one outbound HTTP module (design §7), over
 * libcurl. One client per process keeps connections alive between calls.
 *
 * A call has a deadline (http.timeout, 30 s by default, retries included)
 * and retries with exponential back-off and full jitter after 429, 5xx and
 * time-outs — honouring Retry-After (seconds, an HTTP date, or an ISO-8601
 * date as Zoom sends) — but only where repeating is safe: a request that
 * never reached the server (refused connection) or is marked idempotent.
 * A non-idempotent request that failed after being sent is not repeated:
 * the caller reconciles first (design §7, no duplicates).
 *
 * Logs name the call (`what`), status, attempts and time: never the URL's
 * query, a header or a body, so no secret reaches a log line.
 */
#ifndef MEETD_HTTP_CLIENT_H
#define MEETD_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "config/config.h"
#include "core/error.h"

enum http_verb { HV_GET, HV_POST, HV_PUT, HV_PATCH, HV_DELETE };

#define HTTP_MAX_HEADERS 8

struct http_call {
	enum http_verb verb;
	const char *url;
	const char *what;               /* "zoom.create": names the call in logs */
	const char *headers[HTTP_MAX_HEADERS];  /* "Name: value", NULL-ended */
	const char *body;               /* NULL: none */
	size_t body_len;
	bool idempotent;                /* safe to send twice */
};

struct http_result {
	long status;                    /* 0 if no answer was received */
	struct buf body;                /* owned: http_result_free */
	int64_t retry_after_s;          /* from the last answer; -1 if none */
	int attempts;
	bool sent;                      /* the request may have reached the server */
};

struct http_client;

/* NULL on allocation failure. The config is borrowed. */
struct http_client *http_client_new(const struct config *cfg);
void http_client_free(struct http_client *c);

/*
 * Makes the call. ERR_OK whenever an answer was received — even 4xx/5xx:
 * read res->status. Otherwise ERR_PLATFORM_TIMEOUT (deadline passed),
 * ERR_PLATFORM_UNAVAILABLE (no connection, connection dropped, answer too
 * large or malformed), ERR_NOMEM. res must be released with
 * http_result_free in every case.
 */
enum err http_send(struct http_client *c, const struct http_call *call, struct http_result *res);
void http_result_free(struct http_result *res);

/* Parses a Retry-After value: delta seconds, an IMF-fixdate ("Sun, 06 Nov
 * 1994 08:49:37 GMT") or ISO-8601 UTC ("2020-05-31T00:00:00Z"). Returns
 * seconds from now_s (≥ 0), or -1 if unparseable. */
int64_t http_parse_retry_after(const char *v, int64_t now_s);

/* Appends s form-urlencoded (RFC 3986 unreserved kept) to b. */
bool http_form_escape(struct buf *b, const char *s);

#endif
