/*
 * fuzz_json.c — libFuzzer target: a JSON request body through
 * dispatch_parse_body() (the nesting pre-scan before Jansson, then Jansson
 * without duplicate keys) and, when it parses, through the meeting create
 * body's reader (create_body_parse() in the canonical dialect and in a
 * renaming one like the faces', then the checks a field table cannot
 * say). What validation accepts is checked against the tables'
 * rules, so a validator that lets a bad value through fails here too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/create_body.h"
#include "api/validate.h"
#include "core/arena.h"
#include "domain/meeting.h"
#include "domain/meetings.h"
#include "http/dispatch.h"
#include "http/request.h"

#define ARENA_CEILING (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A face's dialect: other names, fewer fields, a fixed platform. */
static const struct create_dialect renamed = {
	.name = { [CF_TITLE] = "topic", [CF_START] = "startTime", [CF_DURATION] = "duration",
	    [CF_DESCRIPTION] = "agenda", [CF_TIMEZONE] = "timezone" },
	.max = { [CF_DESCRIPTION] = 2000 },
	.required = CF_BIT(CF_TITLE),
	.platform = "native",
	.default_duration = 60,
};

/* The accepted meeting obeys the create tables (title 1..200 characters
 * and not blank, duration 1..1440, a platform, a zone). */
static void
check_accepted(const struct new_meeting *nm)
{
	size_t chars;

	if (nm->title == NULL || nm->platform == NULL || nm->timezone == NULL)
		abort();
	chars = validate_utf8_chars(nm->title, strlen(nm->title));
	if (chars < 1 || chars > 200 || strspn(nm->title, " \t\r\n") == strlen(nm->title))
		abort();
	if (nm->duration < 1 || nm->duration > 1440)
		abort();
	if (nm->participant_limit < 0 || nm->participant_limit > 10000)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *arena;
	struct request rq;
	struct new_meeting nm;
	char *body;
	enum err e;

	if (arena == NULL && (arena = arena_new(ARENA_CEILING)) == NULL)
		abort();
	arena_reset(arena);
	memset(&rq, 0, sizeof(rq));
	rq.ctx.arena = arena;
	rq.content_type = "application/json; charset=utf-8";
	/* as dispatch reads it: arena memory, one NUL past the end */
	if ((body = arena_alloc(arena, size + 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	rq.body = body;
	rq.body_len = size;
	e = dispatch_parse_body(&rq);
	if (e == ERR_OK && size > 0 && rq.json == NULL)
		abort();        /* a non-empty body accepted must have parsed */
	if (e != ERR_OK && rq.json != NULL)
		abort();
	if (rq.json != NULL) {
		if (create_body_parse(&rq, &create_dialect_v1, &nm) == ERR_OK)
			check_accepted(&nm);
		memset(&rq.ctx.err, 0, sizeof(rq.ctx.err));
		if (create_body_parse(&rq, &renamed, &nm) == ERR_OK)
			check_accepted(&nm);
	}
	request_release(&rq);
	return 0;
}
