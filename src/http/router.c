/*
 * router.c — matches a raw request path against the route table segment by
 * segment. Paths are matched before decoding, so an encoded '/' (%2F) can
 * never split a segment; captured segments are decoded afterwards and must
 * not decode to '/' or NUL. No trailing-slash or case folding: one resource,
 * one spelling.
 */
#include <string.h>

#include "http/router.h"

/* Matches one pattern; returns true and fills params on success. */
static bool
match_pattern(const char *pat, const char *path, struct arena *a,
    const char *params[ROUTE_MAX_PARAMS], bool decode)
{
	size_t np = 0;

	while (*pat != '\0' && *path != '\0') {
		if (*pat != '/' || *path != '/')
			return false;
		pat++;
		path++;
		const char *pe = strchr(pat, '/');
		const char *se = strchr(path, '/');
		size_t plen = pe ? (size_t)(pe - pat) : strlen(pat);
		size_t slen = se ? (size_t)(se - path) : strlen(path);

		if (plen > 0 && pat[0] == ':') {
			if (slen == 0 || np >= ROUTE_MAX_PARAMS)
				return false;
			if (decode) {
				char *v = request_pct_decode(a, path, slen, true);
				if (v == NULL)
					return false;
				params[np] = v;
			}
			np++;
		} else if (plen != slen || memcmp(pat, path, plen) != 0) {
			return false;
		}
		pat += plen;
		path += slen;
	}
	return *pat == '\0' && *path == '\0';
}

const struct route *
router_match(const struct route *table, size_t n, enum http_method method,
    const char *path, struct arena *a, const char *params[ROUTE_MAX_PARAMS],
    enum err *why, unsigned *allow)
{
	size_t i;

	*allow = 0;
	*why = ERR_NOT_FOUND;
	if (path == NULL || path[0] != '/')
		return NULL;
	for (i = 0; i < n; i++) {
		if (!match_pattern(table[i].pattern, path, a, params, false))
			continue;
		/* HEAD is answered by the GET handler; the body is never sent */
		if (table[i].method == method || (method == M_HEAD && table[i].method == M_GET)) {
			if (!match_pattern(table[i].pattern, path, a, params, true))
				return NULL;    /* segment decodes to something forbidden */
			return &table[i];
		}
		*allow |= 1u << table[i].method;
		if (table[i].method == M_GET)
			*allow |= 1u << M_HEAD;
	}
	if (*allow != 0)
		*why = ERR_METHOD_NOT_ALLOWED;
	return NULL;
}

const char *
router_loggable_path(const struct route *table, size_t n, const char *path)
{
	size_t i;

	if (path == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strstr(table[i].pattern, "/:token") != NULL &&
		    match_pattern(table[i].pattern, path, NULL, NULL, false))
			return table[i].pattern;
	return path;
}

size_t
router_index(const struct route *r)
{
	return (size_t)(r - routes);
}
