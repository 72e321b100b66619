/*
 * fuzz_signal.c — libFuzzer target: the body of POST
 * /api/v1/meetings/{id}/signals, through dispatch_parse_body() and
 * signal_body_read() as the route reads it (no I/O: the publish comes
 * after). What it accepts must be a signal meetd may publish as it is.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "core/rand.h"
#include "domain/realtime.h"
#include "http/dispatch.h"

#define ARENA_CEILING (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_signal(const struct signal *s)
{
	json_t *d, *rt;

	if (s->kind >= SIG__MAX)
		abort();
	if ((s->kind == SIG_OFFER || s->kind == SIG_ANSWER || s->kind == SIG_CANDIDATE) &&
	    s->to_user == NULL)
		abort();        /* signaling always has its addressee */
	if (s->to_user != NULL && !ulid_valid(s->to_user))
		abort();
	if (s->data == NULL) {
		if (s->kind == SIG_REACTION)
			abort();
		return;
	}
	if (strlen(s->data) > 8192 || (d = json_loads(s->data, 0, NULL)) == NULL)
		abort();
	if (!json_is_object(d))
		abort();
	rt = json_object_get(d, "reaction_type");
	if (s->kind == SIG_REACTION && (!json_is_string(rt) || json_string_length(rt) < 1 ||
	    json_string_length(rt) > 32))
		abort();
	json_decref(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *arena;
	struct request rq;
	struct signal s;
	char *body;
	enum err e;

	if (arena == NULL && (arena = arena_new(ARENA_CEILING)) == NULL)
		abort();
	arena_reset(arena);
	memset(&rq, 0, sizeof(rq));
	rq.ctx.arena = arena;
	rq.content_type = "application/json";
	if ((body = arena_alloc(arena, size + 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	rq.body = body;
	rq.body_len = size;
	if (dispatch_parse_body(&rq) == ERR_OK && rq.json != NULL) {
		e = signal_body_read(&rq, &s);
		if (e == ERR_OK)
			check_signal(&s);
		else if (e != ERR_VALIDATION_FAILED && e != ERR_NOMEM)
			abort();
		else if (e == ERR_VALIDATION_FAILED && rq.ctx.err.nfields == 0 && rq.ctx.err.message == NULL)
			abort();        /* a refusal always says why */
	}
	request_release(&rq);
	return 0;
}
