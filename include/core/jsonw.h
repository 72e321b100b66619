/*
 * jsonw.h — the one JSON writer. Streams JSON text into a struct buf,
 * placing commas itself, escaping strings (invalid UTF-8 becomes U+FFFD, so
 * output is always valid JSON). Errors are sticky in the buf (`failed`).
 * Every response body and every log line is written through it.
 */
#ifndef MEETD_JSONW_H
#define MEETD_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define JSONW_MAX_DEPTH 32

struct jsonw {
	struct buf *out;        /* borrowed */
	int depth;
	bool need_comma[JSONW_MAX_DEPTH + 1];
	bool after_key;
};

void jw_init(struct jsonw *w, struct buf *out);
void jw_obj_open(struct jsonw *w);
void jw_obj_close(struct jsonw *w);
void jw_arr_open(struct jsonw *w);
void jw_arr_close(struct jsonw *w);
void jw_key(struct jsonw *w, const char *key);
/* A NULL string writes null. */
void jw_str(struct jsonw *w, const char *s);
void jw_strn(struct jsonw *w, const char *s, size_t n);
void jw_int(struct jsonw *w, int64_t v);
void jw_double(struct jsonw *w, double v);
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);
/* Already-encoded JSON text, copied as is; the caller vouches for it. */
void jw_raw(struct jsonw *w, const char *json, size_t n);

/* key + value in one call */
void jw_kstr(struct jsonw *w, const char *key, const char *s);
void jw_kint(struct jsonw *w, const char *key, int64_t v);
void jw_kbool(struct jsonw *w, const char *key, bool v);
void jw_knull(struct jsonw *w, const char *key);
/* key: s, or null when s is NULL. */
void jw_kstr_or_null(struct jsonw *w, const char *key, const char *s);

/* Appends `s` escaped as the inside of a JSON string (no quotes). */
void jw_escape(struct buf *out, const char *s, size_t n);

#endif
