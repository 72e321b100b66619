/*
 * arena.h — per-request memory. Everything a request allocates through its
 * arena is released by one arena_reset() when the response is sent, so a
 * handler never frees and never leaks. Allocation fails (NULL) past the
 * arena's ceiling, which bounds what one hostile request can take.
 */
#ifndef MEETD_ARENA_H
#define MEETD_ARENA_H

#include <stddef.h>

struct arena;

/* New arena that may hold at most `max` bytes; caller owns, arena_free(). */
struct arena *arena_new(size_t max);
/* arena_free(NULL) is a no-op. */
void arena_free(struct arena *a);
/* Releases every allocation; keeps the first chunk for the next request. */
void arena_reset(struct arena *a);
/* 16-byte aligned, zeroed memory, or NULL past the ceiling. Arena owns it. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
