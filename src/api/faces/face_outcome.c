/*
 * face_outcome.c — a face's create answer, from the canonical outcome the
 * use case recorded: the first answer and an Idempotency-Key replay go
 * through the same writer, so each face replays its own shape.
 */
#include <jansson.h>

#include "api/api.h"

enum err
face_render_outcome(struct response *rs, const char *outcome,
    void (*write)(struct jsonw *w, json_t *meeting))
{
	json_t *m = json_loads(outcome, 0, NULL);

	if (!json_is_object(m)) {
		json_decref(m);
		return ERR_INTERNAL;
	}
	/* every source system answers its create with 200 */
	write(resp_json(rs, 200), m);
	json_decref(m);
	return ERR_OK;
}
