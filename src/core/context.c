/*
 * context.c — failure details and the outcome hook of a context; see
 * context.h.
 */
#include <string.h>

#include "core/context.h"

enum err
ctx_fail(struct ctx *c, enum err e, const char *message)
{
	c->err.message = message;
	return e;
}

enum err
ctx_field_error(struct ctx *c, const char *field, const char *reason)
{
	if (c->err.nfields < ERRINFO_MAX_FIELDS) {
		c->err.field[c->err.nfields] = field;
		c->err.reason[c->err.nfields] = reason;
		c->err.nfields++;
	}
	return ERR_VALIDATION_FAILED;
}

bool
ctx_field_failed(const struct ctx *c, const char *field)
{
	size_t i;

	for (i = 0; i < c->err.nfields; i++)
		if (strcmp(c->err.field[i], field) == 0)
			return true;
	return false;
}

enum err
ctx_record_outcome(struct ctx *c, struct db *db, int status, const char *outcome)
{
	if (c->outcome.record == NULL)
		return ERR_OK;
	return c->outcome.record(c->outcome.arg, db, status, outcome);
}

bool
ctx_detail_json(struct ctx *c, const char *key, const char *json)
{
	if (json == NULL || c->err.nextra >= sizeof(c->err.extra_key) / sizeof(c->err.extra_key[0]))
		return false;
	c->err.extra_key[c->err.nextra] = key;
	c->err.extra_json[c->err.nextra++] = json;
	return true;
}
