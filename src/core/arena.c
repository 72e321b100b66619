/*
 * arena.c — chunked bump allocator. The first chunk (8 KiB) is kept across
 * resets so a typical request makes no malloc call for its own strings;
 * larger requests chain further chunks, released at reset.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define FIRST_CHUNK 8192
#define ALIGN 16

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	_Alignas(ALIGN) unsigned char mem[];
};

struct arena {
	struct chunk *head;     /* current chunk; the first one is last in the list */
	size_t total;           /* bytes held in chunks */
	size_t max;
};

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c = malloc(sizeof(*c) + size);

	if (c != NULL) {
		c->next = NULL;
		c->size = size;
		c->used = 0;
	}
	return c;
}

struct arena *
arena_new(size_t max)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	if ((a->head = chunk_new(FIRST_CHUNK)) == NULL) {
		free(a);
		return NULL;
	}
	a->total = FIRST_CHUNK;
	a->max = max < FIRST_CHUNK ? FIRST_CHUNK : max;
	return a;
}

void
arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void
arena_reset(struct arena *a)
{
	struct chunk *c = a->head;

	while (c->next != NULL) {
		struct chunk *next = c->next;
		a->total -= c->size;
		free(c);
		c = next;
	}
	c->used = 0;
	a->head = c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t off, size;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (n == 0)
		n = ALIGN;
	if (c->size - c->used < n) {
		size = c->size * 2;
		while (size < n)
			size *= 2;
		if (size > a->max - a->total) {
			if (n > a->max - a->total)
				return NULL;
			size = n;
		}
		if ((c = chunk_new(size)) == NULL)
			return NULL;
		c->next = a->head;
		a->head = c;
		a->total += size;
	}
	off = c->used;
	c->used += n;
	p = c->mem + off;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
