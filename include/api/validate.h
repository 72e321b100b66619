/*
 * validate.h — table-driven validation of JSON request bodies (kcgi's
 * kvalid idea). A handler describes the fields it accepts; validate_body()
 * rejects unknown fields, wrong types, missing required fields, and
 * strings out of bounds, recording every failing field in the error
 * details at once, before the handler touches any value.
 */
#ifndef MEETD_VALIDATE_H
#define MEETD_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "http/request.h"

enum field_type { FT_STRING, FT_INTEGER, FT_BOOLEAN };

#define FF_REQUIRED   0x1
#define FF_NOT_BLANK  0x2       /* strings: not only white space */
#define FF_NO_CONTROL 0x4       /* strings: no control characters */

struct field_spec {
	const char *name;
	enum field_type type;
	unsigned flags;
	int64_t min, max;       /* strings: length in characters; integers: value */
};

struct field_value {
	bool present;
	const char *s;          /* borrowed from rq->json, valid for the request */
	size_t len;             /* bytes */
	int64_t i;
	bool b;
};

/* Validates rq->json (must be an object) against n specs into values[n]. */
enum err validate_body(struct request *rq, const struct field_spec *specs, size_t n,
    struct field_value *values);
/* Has a failure already been recorded for field `name`? */
bool validate_failed(const struct request *rq, const char *name);
/* A present string value copied into the request's arena; NULL if absent. */
char *validate_dup(struct request *rq, const struct field_value *v);
/* Number of Unicode code points in valid UTF-8. */
size_t validate_utf8_chars(const char *s, size_t n);

#endif
