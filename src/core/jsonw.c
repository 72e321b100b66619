/*
 * jsonw.c — streaming JSON writer. Nesting state is a small fixed stack of
 * "a value was already written at this level" flags; writing past
 * JSONW_MAX_DEPTH marks the buffer failed rather than emitting bad JSON.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"

void
jw_init(struct jsonw *w, struct buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Comma before a value or key, unless it directly follows a key. */
static void
sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		buf_putc(w->out, ',');
	w->need_comma[w->depth] = true;
}

static void
open_level(struct jsonw *w, char c)
{
	sep(w);
	if (w->depth >= JSONW_MAX_DEPTH) {
		w->out->failed = true;
		return;
	}
	buf_putc(w->out, c);
	w->depth++;
	w->need_comma[w->depth] = false;
}

static void
close_level(struct jsonw *w, char c)
{
	if (w->depth == 0) {
		w->out->failed = true;
		return;
	}
	w->depth--;
	buf_putc(w->out, c);
}

void jw_obj_open(struct jsonw *w) { open_level(w, '{'); }
void jw_obj_close(struct jsonw *w) { close_level(w, '}'); }
void jw_arr_open(struct jsonw *w) { open_level(w, '['); }
void jw_arr_close(struct jsonw *w) { close_level(w, ']'); }

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void
jw_escape(struct buf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, len;
	char esc[8];

	while (i < n) {
		unsigned c = s[i];
		const char *rep = NULL;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80) {
			if ((len = utf8_seq(s + i, n - i)) > 0) {
				i += len;
				run += len;
				continue;
			}
			rep = "\\ufffd";
		} else if (c == '"') rep = "\\\"";
		else if (c == '\\') rep = "\\\\";
		else if (c == '\n') rep = "\\n";
		else if (c == '\r') rep = "\\r";
		else if (c == '\t') rep = "\\t";
		else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			rep = esc;
		}
		buf_append(out, s + i - run, run);
		run = 0;
		buf_puts(out, rep);
		i++;
	}
	buf_append(out, s + i - run, run);
}

void
jw_strn(struct jsonw *w, const char *s, size_t n)
{
	sep(w);
	if (s == NULL) {
		buf_puts(w->out, "null");
		return;
	}
	buf_putc(w->out, '"');
	jw_escape(w->out, s, n);
	buf_putc(w->out, '"');
}

void
jw_str(struct jsonw *w, const char *s)
{
	jw_strn(w, s, s != NULL ? strlen(s) : 0);
}

void
jw_key(struct jsonw *w, const char *key)
{
	jw_str(w, key);
	buf_putc(w->out, ':');
	w->after_key = true;
}

void
jw_int(struct jsonw *w, int64_t v)
{
	sep(w);
	buf_printf(w->out, "%lld", (long long)v);
}

void
jw_double(struct jsonw *w, double v)
{
	sep(w);
	if (!isfinite(v))
		buf_puts(w->out, "null");
	else
		buf_printf(w->out, "%.17g", v);
}

void
jw_bool(struct jsonw *w, bool v)
{
	sep(w);
	buf_puts(w->out, v ? "true" : "false");
}

void
jw_null(struct jsonw *w)
{
	sep(w);
	buf_puts(w->out, "null");
}

void
jw_raw(struct jsonw *w, const char *json, size_t n)
{
	sep(w);
	buf_append(w->out, json, n);
}

void jw_kstr(struct jsonw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
void jw_kint(struct jsonw *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
void jw_kbool(struct jsonw *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }
void jw_knull(struct jsonw *w, const char *k) { jw_key(w, k); jw_null(w); }

void
jw_kstr_or_null(struct jsonw *w, const char *k, const char *s)
{
	jw_key(w, k);
	if (s != NULL)
		jw_str(w, s);
	else
		jw_null(w);
}
