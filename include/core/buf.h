/*
 * buf.h — one growable byte buffer with a ceiling (curl's dynbuf idea).
 *
 * Appends never write past `max`; the first append that would is refused,
 * the buffer keeps what it had, and `failed` stays set until buf_reset(), so
 * a writer can append freely and check once at the end. Contents are always
 * NUL-terminated (the terminator is not counted in `len`).
 */
#ifndef MEETD_BUF_H
#define MEETD_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;     /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;     /* ceiling on len */
	bool failed;    /* an append was refused (ceiling or out of memory) */
};

void buf_init(struct buf *b, size_t max);
/* Releases the storage; the buffer may be reused after buf_init(). */
void buf_free(struct buf *b);
/* Empties the buffer, keeps the storage, clears `failed`. */
void buf_reset(struct buf *b);
/* Each returns false (and sets `failed`) when the append was refused. */
bool buf_append(struct buf *b, const void *p, size_t n);
bool buf_puts(struct buf *b, const char *s);
bool buf_putc(struct buf *b, char c);
bool buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* NUL-terminated contents ("" when empty); borrowed, valid until the next append. */
const char *buf_cstr(const struct buf *b);

#endif
