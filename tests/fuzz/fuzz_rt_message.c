/*
 * fuzz_rt_message.c — libFuzzer target: a frame a client sends on its
 * WebSocket, as nchan's publisher hook hands it to meetd, through
 * client_message_read() (no I/O: the limiter and the publish come after).
 * What it accepts as a signal must be one meetd may publish as it is.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/rand.h"
#include "domain/realtime.h"

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
	struct client_message m;
	struct ctx c;

	if (arena == NULL && (arena = arena_new(ARENA_CEILING)) == NULL)
		abort();
	arena_reset(arena);
	memset(&c, 0, sizeof(c));
	c.arena = arena;
	client_message_read(&c, (const char *)data, size, &m);
	switch (m.kind) {
	case CM_PING:
		if (m.code != ERR_OK)
			abort();
		break;
	case CM_SIGNAL:
		if (m.code != ERR_OK || size > 8192)
			abort();
		check_signal(&m.signal);
		break;
	case CM_REFUSED:
		if (m.code == ERR_OK || (m.message == NULL && m.code != ERR_NOMEM &&
		    m.code != ERR_VALIDATION_FAILED))
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
