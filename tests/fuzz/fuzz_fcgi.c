/*
 * fuzz_fcgi.c — libFuzzer target: one FastCGI request as nginx sends it,
 * through what a responder does before authentication. The input is the
 * FCGI_PARAMS stream (name-value pairs, each length one byte, or four
 * with the top bit set); whatever follows the last whole pair is the body.
 * The pairs become libfcgi's envp ("NAME=value"; a NUL cuts the string as
 * libfcgi's would) and go through fcgi_request_from_params(), then the
 * router over the real route table, the loggable path, query and header
 * lookups, percent-decoding and the Content-Length parse.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/fcgi.h"
#include "core/parse.h"
#include "http/request.h"
#include "http/router.h"

#define MAX_PARAMS 64
#define ARENA_CEILING (8u << 20)        /* a bound like the responder's arena */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One FastCGI length at data[*at]; false if the input ends first. */
static bool
get_len(const uint8_t *data, size_t size, size_t *at, size_t *out)
{
	if (*at >= size)
		return false;
	if ((data[*at] & 0x80) == 0) {
		*out = data[(*at)++];
		return true;
	}
	if (size - *at < 4)
		return false;
	*out = ((size_t)(data[*at] & 0x7f) << 24) | ((size_t)data[*at + 1] << 16) |
	    ((size_t)data[*at + 2] << 8) | data[*at + 3];
	*at += 4;
	return true;
}

struct body { const uint8_t *p; size_t n; };

static ssize_t
body_read(void *ctx, char *buf, size_t n)
{
	struct body *b = ctx;

	if (n > b->n)
		n = b->n;
	memcpy(buf, b->p, n);
	b->p += n;
	b->n -= n;
	return (ssize_t)n;
}

static void
exercise(struct request *rq)
{
	static const char *const queries[] = { "limit", "cursor", "status", "refresh", "state", "" };
	static const char *const headers[] = { "HTTP_X_PROVIDER", "HTTP_X_WEBHOOK_SIGNATURE", "HTTP_HOST" };
	const char *params[ROUTE_MAX_PARAMS];
	enum err why;
	unsigned allow;
	size_t i, len;

	if (rq->path != NULL) {
		router_match(routes, routes_count, rq->method == M__MAX ? M_GET : rq->method, rq->path,
		    rq->ctx.arena, params, &why, &allow);
		router_loggable_path(routes, routes_count, rq->path);
		request_pct_decode(rq->ctx.arena, rq->path, strlen(rq->path), false);
		request_pct_decode(rq->ctx.arena, rq->path, strlen(rq->path), true);
	}
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		request_query(rq, queries[i]);
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		request_header(rq, headers[i]);
	request_method_name(rq->method);
	if (parse_content_length(rq->content_length, 65536, &len) == ERR_OK && len > 0) {
		char *buf = arena_alloc(rq->ctx.arena, len);
		size_t got = 0;
		ssize_t r;

		/* the body as dispatch reads it: up to the declared length */
		while (buf != NULL && got < len && (r = rq->body_src.read(rq->body_src.ctx,
		    buf + got, len - got)) > 0)
			got += (size_t)r;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *arena;
	char *envp[MAX_PARAMS + 1];
	size_t n = 0, at = 0, i;
	struct request rq;
	struct body b;

	if (arena == NULL && (arena = arena_new(ARENA_CEILING)) == NULL)
		abort();
	arena_reset(arena);
	while (n < MAX_PARAMS) {
		size_t start = at, nl, vl;
		char *s;

		if (!get_len(data, size, &at, &nl) || !get_len(data, size, &at, &vl) ||
		    nl > size - at || vl > size - at - nl) {
			at = start;
			break;
		}
		if ((s = malloc(nl + vl + 2)) == NULL)
			abort();
		memcpy(s, data + at, nl);
		s[nl] = '=';
		memcpy(s + nl + 1, data + at + nl, vl);
		s[nl + 1 + vl] = '\0';
		envp[n++] = s;
		at += nl + vl;
	}
	envp[n] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.ctx.arena = arena;
	fcgi_request_from_params(envp, &rq);
	b.p = data + at;
	b.n = size - at;
	rq.body_src.read = body_read;
	rq.body_src.ctx = &b;
	exercise(&rq);
	request_release(&rq);
	for (i = 0; i < n; i++)
		free(envp[i]);
	return 0;
}
