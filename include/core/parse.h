/*
 * parse.h — strict parsers for numbers and flags that arrive as text
 * (config values, FastCGI params, query strings). "Strict" means: the whole
 * input is consumed, no white space, no sign where none is allowed, no
 * overflow, and the value is inside [min, max]. Nothing here trusts errno
 * or atoi-style partial parses.
 */
#ifndef MEETD_PARSE_H
#define MEETD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Decimal integer, optional leading '-'. ERR_INVALID_REQUEST if malformed
 * or outside [min, max]. `n` is the length of `s` (no NUL needed). */
enum err parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);
/* As parse_i64 on a NUL-terminated string. */
enum err parse_i64z(const char *s, int64_t min, int64_t max, int64_t *out);

/* CONTENT_LENGTH: NULL or "" is 0; otherwise digits only (RFC 9110 §8.6).
 * ERR_INVALID_REQUEST if malformed, ERR_PAYLOAD_TOO_LARGE if > cap. */
enum err parse_content_length(const char *s, size_t cap, size_t *out);

/* on/off, yes/no, true/false, 1/0 (case-insensitive). */
enum err parse_bool(const char *s, bool *out);

/* Octal file mode such as 0660, at most 0777. */
enum err parse_mode(const char *s, unsigned *out);

/* Size with an optional k/m/g suffix (powers of 1024), within [min, max]. */
enum err parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Duration in seconds: digits with an optional s/m/h/d suffix, in [min, max]. */
enum err parse_duration_s(const char *s, int64_t min, int64_t max, int64_t *out);

/* A rate "N/period" such as 100/1h: 1 ≤ N ≤ 10^9, 1 s ≤ period ≤ 1 day. */
/* A rate limit: `count` requests per `period_s` seconds. */
struct rate {
	int64_t count;
	int64_t period_s;
};

enum err parse_rate(const char *s, struct rate *out);
/* The index of s in names[0..n-1] (exact match), or n if it is not there
 * or s is NULL: how the enums' *_parse() read a name. */
size_t parse_name(const char *s, const char *const *names, size_t n);

#endif
