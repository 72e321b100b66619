/*
 * request.c — small helpers around struct request: method names, error
 * details, query parameters and percent-decoding.
 */
#include <string.h>

#include "core/parse.h"
#include "http/request.h"

static const char *const method_names[M__MAX] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"
};

enum http_method
request_method(const char *name)
{
	int i;

	if (name == NULL)
		return M__MAX;
	for (i = 0; i < M__MAX; i++)
		if (strcmp(name, method_names[i]) == 0)
			return (enum http_method)i;
	return M__MAX;
}

const char *
request_method_name(enum http_method m)
{
	return (unsigned)m < M__MAX ? method_names[m] : "?";
}

void
request_release(struct request *rq)
{
	if (rq->json != NULL)
		json_decref(rq->json);
	rq->json = NULL;
}

enum err
request_field_error(struct request *rq, const char *field, const char *reason)
{
	return ctx_field_error(&rq->ctx, field, reason);
}

enum err
request_fail(struct request *rq, enum err e, const char *message)
{
	return ctx_fail(&rq->ctx, e, message);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

char *
request_pct_decode(struct arena *a, const char *s, size_t n, bool forbid_slash)
{
	char *out = arena_alloc(a, n + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return NULL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && !forbid_slash) {
			c = ' ';        /* form encoding, in query strings only */
		}
		if (c == '\0' || (forbid_slash && c == '/'))
			return NULL;
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

const char *
request_header(struct request *rq, const char *cgi_name)
{
	const char *v;

	if (rq->header_src.get == NULL || (v = rq->header_src.get(rq->header_src.ctx, cgi_name)) == NULL)
		return NULL;
	return arena_strdup(rq->ctx.arena, v);
}

const char *
request_query(struct request *rq, const char *name)
{
	const char *p = rq->query;
	size_t nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		const char *end = amp != NULL ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));

		if (eq != NULL && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0)
			return request_pct_decode(rq->ctx.arena, eq + 1, (size_t)(end - eq - 1), false);
		p = amp != NULL ? amp + 1 : NULL;
	}
	return NULL;
}

enum err
request_if_match(struct request *rq, int64_t *version)
{
	const char *v = request_header(rq, "HTTP_IF_MATCH");
	size_t n;
	char digits[24];

	*version = -1;
	if (v == NULL || strcmp(v, "*") == 0)
		return ERR_OK;
	if (strncmp(v, "W/", 2) == 0)
		v += 2;
	n = strlen(v);
	if (n < 3 || n - 2 >= sizeof(digits) || v[0] != '"' || v[n - 1] != '"')
		return request_field_error(rq, "If-Match", "must be an ETag this server gave (\"7\")");
	memcpy(digits, v + 1, n - 2);
	digits[n - 2] = '\0';
	if (parse_i64z(digits, 0, INT64_MAX, version) != ERR_OK) {
		*version = -1;
		return request_field_error(rq, "If-Match", "must be an ETag this server gave (\"7\")");
	}
	return ERR_OK;
}
