/* validate.c — see validate.h. Jansson has already rejected invalid UTF-8. */
#include <string.h>

#include "core/arena.h"
#include "api/validate.h"

size_t
validate_utf8_chars(const char *s, size_t n)
{
	size_t i, chars = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			chars++;
	return chars;
}

static bool
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

static bool
has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

enum err
validate_body(struct request *rq, const struct field_spec *specs, size_t n,
    struct field_value *values)
{
	const char *key;
	json_t *v;
	size_t i;
	bool bad = false;

	memset(values, 0, sizeof(*values) * n);
	if (rq->json == NULL)
		return request_fail(rq, ERR_VALIDATION_FAILED, "A JSON object body is required");
	if (!json_is_object(rq->json))
		return request_fail(rq, ERR_VALIDATION_FAILED, "The body must be a JSON object");
	json_object_foreach(rq->json, key, v) {
		for (i = 0; i < n && strcmp(specs[i].name, key) != 0; i++)
			;
		if (i == n) {
			const char *k = arena_strdup(rq->ctx.arena, key);
			request_field_error(rq, k != NULL ? k : "?", "unknown field");
			bad = true;
		}
	}
	for (i = 0; i < n; i++) {
		const struct field_spec *f = &specs[i];
		struct field_value *out = &values[i];

		v = json_object_get(rq->json, f->name);
		if (v == NULL || json_is_null(v)) {
			if (f->flags & FF_REQUIRED) {
				request_field_error(rq, f->name, "is required");
				bad = true;
			}
			continue;
		}
		switch (f->type) {
		case FT_STRING: {
			size_t chars;

			if (!json_is_string(v)) {
				request_field_error(rq, f->name, "must be a string");
				bad = true;
				continue;
			}
			out->s = json_string_value(v);
			out->len = json_string_length(v);
			chars = validate_utf8_chars(out->s, out->len);
			if (memchr(out->s, '\0', out->len) != NULL ||
			    ((f->flags & FF_NO_CONTROL) && has_control(out->s, out->len))) {
				request_field_error(rq, f->name, "must not contain control characters");
				bad = true;
			} else if ((f->flags & FF_NOT_BLANK) && blank(out->s, out->len)) {
				request_field_error(rq, f->name, "must not be blank");
				bad = true;
			} else if ((int64_t)chars < f->min || (int64_t)chars > f->max) {
				request_field_error(rq, f->name, arena_printf(rq->ctx.arena,
				    "must be %lld to %lld characters long", (long long)f->min, (long long)f->max));
				bad = true;
			}
			break;
		}
		case FT_INTEGER:
			if (!json_is_integer(v) || json_integer_value(v) < f->min ||
			    json_integer_value(v) > f->max) {
				request_field_error(rq, f->name, arena_printf(rq->ctx.arena,
				    "must be an integer from %lld to %lld", (long long)f->min, (long long)f->max));
				bad = true;
				continue;
			}
			out->i = json_integer_value(v);
			break;
		case FT_BOOLEAN:
			if (!json_is_boolean(v)) {
				request_field_error(rq, f->name, "must be true or false");
				bad = true;
				continue;
			}
			out->b = json_is_true(v);
			break;
		}
		out->present = true;
	}
	return bad ? ERR_VALIDATION_FAILED : ERR_OK;
}

bool
validate_failed(const struct request *rq, const char *name)
{
	size_t i;

	for (i = 0; i < rq->ctx.err.nfields; i++)
		if (strcmp(rq->ctx.err.field[i], name) == 0)
			return true;
	return false;
}

char *
validate_dup(struct request *rq, const struct field_value *v)
{
	return v->present ? arena_strndup(rq->ctx.arena, v->s, v->len) : NULL;
}
