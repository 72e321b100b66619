/*
 * http_client.c — outbound HTTP over one reused libcurl easy handle (see
 * http_client.h for the retry contract).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "core/clock.h"
#include "outbound/http_client.h"
#include "core/log.h"
#include "core/rand.h"

#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 5000

struct http_client {
	const struct config *cfg;
	CURL *easy;
};

struct transfer {
	struct http_result *res;
	size_t cap;
	bool too_large;
};

struct http_client *
http_client_new(const struct config *cfg)
{
	static bool global_done;
	struct http_client *c;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = true;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cfg = cfg;
	if ((c->easy = curl_easy_init()) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->easy);
	free(c);
}

void
http_result_free(struct http_result *res)
{
	buf_free(&res->body);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;

	n *= size;
	if (t->res->body.len + n > t->cap) {
		t->too_large = true;
		return 0;       /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return buf_append(&t->res->body, p, n) ? n : 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	static const char name[] = "retry-after:";
	char v[64];
	size_t i, j = 0;

	n *= size;
	if (n > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
		for (i = sizeof(name) - 1; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		for (; i < n && p[i] != '\r' && p[i] != '\n' && j < sizeof(v) - 1; i++)
			v[j++] = p[i];
		v[j] = '\0';
		t->res->retry_after_s = http_parse_retry_after(v, clock_wall_ms() / 1000);
	}
	return n;
}

static const char *
verb_name(enum http_verb v)
{
	static const char *const names[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

	return names[v];
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Full jitter: uniform in [0, min(cap, base·2^attempt)]. */
static int64_t
backoff_ms(int attempt)
{
	int64_t ceiling = BACKOFF_BASE_MS << (attempt < 5 ? attempt : 5);

	if (ceiling > BACKOFF_CAP_MS)
		ceiling = BACKOFF_CAP_MS;
	return (int64_t)rand_below((uint32_t)ceiling + 1);
}

/* One attempt; returns curl's code and fills res. */
static CURLcode
perform(struct http_client *c, const struct http_call *call, struct http_result *res,
    int64_t remaining_ms, bool *too_large, bool *sent)
{
	struct transfer t = { .res = res, .cap = (size_t)c->cfg->http_max_response };
	struct curl_slist *hdrs = NULL, *more;
	curl_off_t pretransfer = 0;
	CURL *h = c->easy;
	CURLcode rc;
	size_t i;

	buf_reset(&res->body);
	res->status = 0;
	res->retry_after_s = -1;
	for (i = 0; i < HTTP_MAX_HEADERS && call->headers[i] != NULL; i++) {
		if ((more = curl_slist_append(hdrs, call->headers[i])) == NULL) {
			curl_slist_free_all(hdrs);
			return CURLE_OUT_OF_MEMORY;
		}
		hdrs = more;
	}
	/* no "Expect: 100-continue" round trip on larger bodies */
	if ((more = curl_slist_append(hdrs, "Expect:")) != NULL)
		hdrs = more;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, call->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)remaining_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(c->cfg->http_connect_timeout * 1000 < remaining_ms ?
	    c->cfg->http_connect_timeout * 1000 : remaining_ms));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "meetd/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, verb_name(call->verb));
	/* libcurl silently re-sends a request whose reused connection died
	 * without an answer; an unsafe request must never go twice, so it
	 * gets a connection of its own */
	if (!call->idempotent)
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	if (call->verb == HV_GET)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (call->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
	} else if (call->verb != HV_GET && call->verb != HV_DELETE) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	/* a transfer that got past connecting may have been acted upon */
	curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
	*sent = rc == CURLE_OK || pretransfer > 0;
	*too_large = t.too_large;
	if (rc != CURLE_OK)
		res->status = 0;
	return rc;
}

static void
log_call(const struct http_call *call, const struct http_result *res, CURLcode rc, int64_t t0)
{
	struct logline *l = log_begin(res->status >= 500 || rc != CURLE_OK ? LOG_WARN : LOG_INFO,
	    "platform_call");

	log_str(l, "call", call->what);
	log_int(l, "status", res->status);
	log_int(l, "attempts", res->attempts);
	log_int(l, "duration_ms", clock_mono_ms() - t0);
	if (rc != CURLE_OK)
		log_str(l, "transport", curl_easy_strerror(rc));
	log_end(l);
}

enum err
http_send(struct http_client *c, const struct http_call *call, struct http_result *res)
{
	int64_t t0 = clock_mono_ms(), deadline = t0 + c->cfg->http_timeout * 1000;
	int64_t remaining, wait;
	bool too_large = false, sent = false;
	CURLcode rc = CURLE_OK;
	enum err e = ERR_OK;

	memset(res, 0, sizeof(*res));
	buf_init(&res->body, (size_t)c->cfg->http_max_response + 1);
	res->retry_after_s = -1;
	for (;;) {
		bool retryable;

		remaining = deadline - clock_mono_ms();
		if (remaining <= 0) {
			e = ERR_PLATFORM_TIMEOUT;
			break;
		}
		res->attempts++;
		rc = perform(c, call, res, remaining, &too_large, &sent);
		res->sent |= sent;
		if (rc == CURLE_OUT_OF_MEMORY) {
			e = ERR_NOMEM;
			break;
		}
		if (too_large) {
			e = ERR_PLATFORM_UNAVAILABLE;
			break;
		}
		if (rc == CURLE_OK) {
			/* 429: the platform refused without acting, so any verb may
			 * repeat; a 5xx may have acted, so only a safe request */
			retryable = res->status == 429 ||
			    (res->status >= 500 && res->status != 501 && call->idempotent);
			e = ERR_OK;
		} else {
			retryable = !sent || call->idempotent;
			e = rc == CURLE_OPERATION_TIMEDOUT ? ERR_PLATFORM_TIMEOUT : ERR_PLATFORM_UNAVAILABLE;
		}
		if (!retryable || res->attempts > c->cfg->http_retries)
			break;
		if (res->retry_after_s > c->cfg->http_retry_max_wait)
			break;          /* too long to wait here: the caller passes it on */
		wait = res->retry_after_s >= 0 ? res->retry_after_s * 1000 : backoff_ms(res->attempts);
		if (clock_mono_ms() + wait >= deadline)
			break;
		sleep_ms(wait);
	}
	log_call(call, res, rc, t0);
	return e;
}

/* --- Retry-After ---------------------------------------------------------- */

int64_t
http_parse_retry_after(const char *v, int64_t now_s)
{
	int64_t ms, secs = 0;
	time_t t;
	size_t i;

	if (v == NULL || v[0] == '\0')
		return -1;
	for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 10; i++)
		secs = secs * 10 + (v[i] - '0');
	if (i > 0 && v[i] == '\0')
		return secs;
	if (clock_parse_iso8601(v, &ms))
		return ms / 1000 > now_s ? ms / 1000 - now_s : 0;
	/* IMF-fixdate; curl_getdate also reads the obsolete RFC 850 and asctime forms */
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	return (int64_t)t > now_s ? (int64_t)t - now_s : 0;
}

bool
http_form_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	bool ok = true;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			ok &= buf_putc(b, (char)ch);
		} else {
			ok &= buf_putc(b, '%');
			ok &= buf_putc(b, hex[ch >> 4]);
			ok &= buf_putc(b, hex[ch & 15]);
		}
	}
	return ok;
}
