/*
 * parse.c — strict text-to-number parsers; see parse.h for the contract.
 */
#include <string.h>
#include <strings.h>

#include "core/parse.h"

enum err
parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, limit;
	size_t i = 0;

	if (s == NULL || n == 0)
		return ERR_INVALID_REQUEST;
	if (s[0] == '-') {
		neg = true;
		i = 1;
		if (n == 1)
			return ERR_INVALID_REQUEST;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return ERR_INVALID_REQUEST;
		d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return ERR_INVALID_REQUEST;
		v = v * 10 + d;
	}
	int64_t r = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v)
	    : (int64_t)v;
	if (r < min || r > max)
		return ERR_INVALID_REQUEST;
	*out = r;
	return ERR_OK;
}

enum err
parse_i64z(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return parse_i64(s, s != NULL ? strlen(s) : 0, min, max, out);
}

enum err
parse_content_length(const char *s, size_t cap, size_t *out)
{
	size_t v = 0, i;

	if (s == NULL || s[0] == '\0') {
		*out = 0;
		return ERR_OK;
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ERR_INVALID_REQUEST;
		if (i >= 19)    /* more digits than any real body */
			return ERR_PAYLOAD_TOO_LARGE;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	if (v > cap)
		return ERR_PAYLOAD_TOO_LARGE;
	*out = v;
	return ERR_OK;
}

enum err
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return ERR_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return ERR_OK;
		}
	}
	return ERR_INVALID_REQUEST;
}

enum err
parse_mode(const char *s, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 4)
		return ERR_INVALID_REQUEST;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '7')
			return ERR_INVALID_REQUEST;
		v = v * 8 + (unsigned)(s[i] - '0');
	}
	if (v > 0777)
		return ERR_INVALID_REQUEST;
	*out = v;
	return ERR_OK;
}

enum err
parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	size_t n = s != NULL ? strlen(s) : 0;
	uint64_t mult = 1;
	int64_t v;

	if (n == 0)
		return ERR_INVALID_REQUEST;
	switch (s[n - 1]) {
	case 'k': case 'K': mult = 1024; n--; break;
	case 'm': case 'M': mult = 1024 * 1024; n--; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; n--; break;
	default: break;
	}
	if (parse_i64(s, n, 0, INT64_MAX, &v) != ERR_OK)
		return ERR_INVALID_REQUEST;
	if ((uint64_t)v > UINT64_MAX / mult)
		return ERR_INVALID_REQUEST;
	if ((uint64_t)v * mult < min || (uint64_t)v * mult > max)
		return ERR_INVALID_REQUEST;
	*out = (uint64_t)v * mult;
	return ERR_OK;
}

enum err
parse_duration_s(const char *s, int64_t min, int64_t max, int64_t *out)
{
	size_t n = s != NULL ? strlen(s) : 0;
	int64_t mult = 1, v;

	if (n == 0)
		return ERR_INVALID_REQUEST;
	switch (s[n - 1]) {
	case 's': n--; break;
	case 'm': mult = 60; n--; break;
	case 'h': mult = 3600; n--; break;
	case 'd': mult = 86400; n--; break;
	default: break;
	}
	if (parse_i64(s, n, 0, INT64_MAX / 86400, &v) != ERR_OK || v * mult < min || v * mult > max)
		return ERR_INVALID_REQUEST;
	*out = v * mult;
	return ERR_OK;
}

enum err
parse_rate(const char *s, struct rate *out)
{
	const char *slash = s != NULL ? strchr(s, '/') : NULL;
	int64_t count, period;

	if (slash == NULL || parse_i64(s, (size_t)(slash - s), 1, 1000000000, &count) != ERR_OK ||
	    parse_duration_s(slash + 1, 1, 86400, &period) != ERR_OK)
		return ERR_INVALID_REQUEST;
	out->count = count;
	out->period_s = period;
	return ERR_OK;
}

size_t
parse_name(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return i;
	return n;
}
