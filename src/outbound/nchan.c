/*
 * nchan.c — publishing to nchan nodes (see nchan.h).
 *
 * One libcurl handle per process, kept between calls so each node's
 * connection is reused. Channel ids are made by the domain from ULIDs and
 * hex: they need no escaping in a URL.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/log.h"
#include "outbound/nchan.h"

/* nchan answers from shared memory: a node that takes longer is unwell,
 * and the event waits for the worker rather than holding a responder. */
#define CONNECT_TIMEOUT_MS 300L
#define CALL_TIMEOUT_MS 1000L
#define REPLY_MAX 4096

struct nchan {
	CURL *curl;
	char *nodes[NCHAN_MAX_NODES];
	size_t nnodes;
	struct nchan_counters counters;
};

static void
count(uint64_t *counter)
{
	if (counter != NULL)
		__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Splits "http://a:8090, http://b:8090/" into bases without a trailing
 * slash. */
static bool
parse_nodes(struct nchan *n, const char *list)
{
	const char *p = list;

	while (p != NULL && *p != '\0' && n->nnodes < NCHAN_MAX_NODES) {
		size_t len;

		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, ", ");
		while (len > 0 && p[len - 1] == '/')
			len--;
		if (len > 0 && (n->nodes[n->nnodes++] = strndup(p, len)) == NULL)
			return false;
		p += strcspn(p, ", ");
	}
	return true;
}

struct nchan *
nchan_new(const struct config *cfg, const struct nchan_counters *counters)
{
	struct nchan *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	if (counters != NULL)
		n->counters = *counters;
	if (!parse_nodes(n, cfg->realtime_publish_urls)) {
		nchan_free(n);
		return NULL;
	}
	return n;
}

void
nchan_free(struct nchan *n)
{
	size_t i;

	if (n == NULL)
		return;
	if (n->curl != NULL)
		curl_easy_cleanup(n->curl);
	for (i = 0; i < n->nnodes; i++)
		free(n->nodes[i]);
	free(n);
}

bool
nchan_enabled(const struct nchan *n)
{
	return n != NULL && n->nnodes > 0;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t len = size * nmemb;

	if (b->len + len <= REPLY_MAX)
		buf_append(b, p, len);
	return len;
}

/* One call to one node; *status 0 if it did not answer. */
static void
call(struct nchan *n, size_t node, const char *method, const char *channel, const char *event,
    const char *body, size_t len, long *status, struct buf *reply)
{
	struct curl_slist *h = NULL;
	struct buf url, ev;

	*status = 0;
	if (n->curl == NULL && (n->curl = curl_easy_init()) == NULL)
		return;
	buf_init(&url, 512);
	buf_init(&ev, 128);
	buf_printf(&url, "%s/pub/%s", n->nodes[node], channel);
	curl_easy_reset(n->curl);
	curl_easy_setopt(n->curl, CURLOPT_URL, buf_cstr(&url));
	curl_easy_setopt(n->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(n->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(n->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(n->curl, CURLOPT_TIMEOUT_MS, CALL_TIMEOUT_MS);
	curl_easy_setopt(n->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(n->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(n->curl, CURLOPT_WRITEDATA, reply);
	h = curl_slist_append(h, "Accept: text/json");
	if (body != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		if (event != NULL) {
			buf_printf(&ev, "X-EventSource-Event: %s", event);
			h = curl_slist_append(h, buf_cstr(&ev));
		}
		curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(n->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(n->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(n->curl, CURLOPT_CUSTOMREQUEST, NULL);
	}
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, h);
	if (!url.failed && !ev.failed && curl_easy_perform(n->curl) == CURLE_OK)
		curl_easy_getinfo(n->curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	buf_free(&url);
	buf_free(&ev);
}

/* A node's channel info ({"subscribers": N, ...}) added to *sum. */
static bool
add_subscribers(const struct buf *reply, int64_t *sum)
{
	json_t *j = reply->failed ? NULL : json_loadb(reply->data, reply->len, 0, NULL);
	json_t *subs = json_object_get(j, "subscribers");
	bool ok = json_is_integer(subs) && json_integer_value(subs) >= 0;

	if (ok)
		*sum += json_integer_value(subs);
	json_decref(j);
	return ok;
}

/* One call to every node: ERR_OK if each answered `ok` or `also_ok`. With
 * `subscribers`, an `ok` answer is channel info whose count is summed. */
static enum err
every_node(struct nchan *n, const char *method, const char *channel, const char *event,
    const char *body, size_t len, long ok, long also_ok, int64_t *subscribers)
{
	bool publish = body != NULL;
	struct buf reply;
	size_t i;
	long status;
	enum err e = ERR_OK;

	if (!nchan_enabled(n))
		return ERR_NOT_CONFIGURED;
	buf_init(&reply, REPLY_MAX);
	for (i = 0; i < n->nnodes; i++) {
		buf_reset(&reply);
		call(n, i, method, channel, event, body, len, &status, &reply);
		if ((status == ok && (subscribers == NULL || add_subscribers(&reply, subscribers))) ||
		    status == also_ok) {
			if (publish)
				count(n->counters.published);
			continue;
		}
		if (publish)
			count(n->counters.failed);
		log_msg(LOG_WARN, "nchan", "%s %s on %s: %s", method, publish ? "event" : "channel",
		    n->nodes[i], status == 0 ? "no answer" : "refused");
		e = ERR_PLATFORM_UNAVAILABLE;
	}
	buf_free(&reply);
	return e;
}

enum err
nchan_publish(struct nchan *n, const char *channel, const char *event, const char *msg, size_t len)
{
	/* 201: someone listens; 202: nobody does yet, and it is kept */
	return every_node(n, "POST", channel, event, msg, len, 201, 202, NULL);
}

enum err
nchan_delete(struct nchan *n, const char *channel)
{
	/* 404: no node had it, so nothing is open */
	return every_node(n, "DELETE", channel, NULL, NULL, 0, 200, 404, NULL);
}

enum err
nchan_subscribers(struct nchan *n, const char *channel, int64_t *count_out)
{
	/* 404: that node has no such channel, so no one listens there */
	*count_out = 0;
	return every_node(n, "GET", channel, NULL, NULL, 0, 200, 404, count_out);
}
