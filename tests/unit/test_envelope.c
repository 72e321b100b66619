/* test_envelope.c — the JSON writer and the response envelope of 001. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "core/jsonw.h"
#include "http/response.h"

static json_t *
parse(const struct buf *b)
{
	json_error_t e;
	json_t *j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &e);

	if (j == NULL)
		fail_msg("invalid JSON: %s in %s", e.text, buf_cstr(b));
	return j;
}

static void
writer_escapes(void **state)
{
	struct buf b;
	struct jsonw w;
	json_t *j;

	(void)state;
	buf_init(&b, 4096);
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_kstr(&w, "quote", "a\"b\\c");
	jw_kstr(&w, "ctl", "l1\nl2\r\t\x01\x1f");
	jw_kstr(&w, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	jw_kstr(&w, "bad", "x\xff\xc3(\xed\xa0\x80\xc0\xafy");  /* invalid, surrogate, overlong */
	jw_knull(&w, "nothing");
	jw_kstr(&w, "nullstr", NULL);
	jw_kint(&w, "min", INT64_MIN);
	jw_kbool(&w, "t", true);
	jw_key(&w, "arr");
	jw_arr_open(&w);
	jw_int(&w, 1);
	jw_str(&w, "two");
	jw_arr_open(&w);
	jw_arr_close(&w);
	jw_obj_open(&w);
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_obj_close(&w);
	assert_false(b.failed);
	j = parse(&b);
	assert_string_equal(json_string_value(json_object_get(j, "quote")), "a\"b\\c");
	assert_string_equal(json_string_value(json_object_get(j, "ctl")), "l1\nl2\r\t\x01\x1f");
	assert_string_equal(json_string_value(json_object_get(j, "utf8")), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* every invalid byte became U+FFFD; valid ASCII around kept */
	const char *bad = json_string_value(json_object_get(j, "bad"));
	assert_non_null(strstr(bad, "x\xef\xbf\xbd"));
	assert_non_null(strstr(bad, "y"));
	assert_true(json_is_null(json_object_get(j, "nothing")));
	assert_true(json_is_null(json_object_get(j, "nullstr")));
	assert_int_equal(json_array_size(json_object_get(j, "arr")), 4);
	json_decref(j);
	buf_free(&b);
}

static void
writer_depth_limit(void **state)
{
	struct buf b;
	struct jsonw w;
	int i;

	(void)state;
	buf_init(&b, 4096);
	jw_init(&w, &b);
	for (i = 0; i < JSONW_MAX_DEPTH; i++)
		jw_arr_open(&w);
	assert_false(b.failed);
	jw_arr_open(&w);
	assert_true(b.failed);
	buf_free(&b);
	/* closing more than opened is also refused */
	buf_init(&b, 64);
	jw_init(&w, &b);
	jw_obj_close(&w);
	assert_true(b.failed);
	buf_free(&b);
}

static void
success_envelope(void **state)
{
	struct response rs;
	struct jsonw *w;
	json_t *j;

	(void)state;
	resp_init(&rs);
	w = resp_data(&rs, 201, "Created");
	jw_obj_open(w);
	jw_kstr(w, "id", "01HXYZ123456789ABCDEFGHJKM");
	jw_obj_close(w);
	resp_finish(&rs);
	assert_int_equal(rs.status, 201);
	j = parse(&rs.body);
	assert_int_equal(json_object_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "success");
	assert_string_equal(json_string_value(json_object_get(j, "message")), "Created");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "id")),
	    "01HXYZ123456789ABCDEFGHJKM");
	const char *ts = json_string_value(json_object_get(j, "timestamp"));
	assert_int_equal(strlen(ts), 20);
	assert_int_equal(ts[10], 'T');
	assert_int_equal(ts[19], 'Z');
	json_decref(j);
	resp_free(&rs);
}

static void
error_envelope(void **state)
{
	struct response rs;
	struct errinfo info = { .message = "Bad fields", .nfields = 2,
	    .field = { "title", "duration" }, .reason = { "is required", "must be 1 to 1440" } };
	json_t *j, *d;

	(void)state;
	resp_init(&rs);
	resp_data(&rs, 200, "partial");         /* replaced wholesale by the error */
	resp_error(&rs, ERR_VALIDATION_FAILED, &info, FACE_V1);
	resp_finish(&rs);
	assert_int_equal(rs.status, 400);
	j = parse(&rs.body);
	assert_int_equal(json_object_size(j), 5);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
	assert_string_equal(json_string_value(json_object_get(j, "code")), "VALIDATION_ERROR");
	assert_string_equal(json_string_value(json_object_get(j, "message")), "Bad fields");
	d = json_object_get(j, "details");
	assert_string_equal(json_string_value(json_object_get(d, "duration")), "must be 1 to 1440");
	json_decref(j);

	resp_reset(&rs);
	resp_error(&rs, ERR_DB_UNAVAILABLE, NULL, FACE_V1);
	resp_finish(&rs);
	assert_int_equal(rs.status, 503);
	j = parse(&rs.body);
	assert_string_equal(json_string_value(json_object_get(j, "code")), "DATABASE_UNAVAILABLE");
	assert_int_equal(json_object_size(json_object_get(j, "details")), 0);
	json_decref(j);
	resp_free(&rs);
}

/* The error table: every code maps to a real status and a stable string;
 * internal causes never show as anything but their public code. */
static void
error_table(void **state)
{
	int e;

	(void)state;
	for (e = 0; e < ERR__MAX; e++) {
		int s = err_http_status((enum err)e);
		assert_true(s >= 200 && s <= 599);
		assert_non_null(err_code((enum err)e));
		assert_true(strlen(err_message((enum err)e)) > 0);
	}
	assert_string_equal(err_code(ERR_NOMEM), "INTERNAL_ERROR");
	/* one vocabulary: every public code is UPPER_SNAKE_CASE */
	for (e = 0; e < ERR__MAX; e++) {
		const char *c = err_code((enum err)e);
		size_t i;

		assert_true(c[0] >= 'A' && c[0] <= 'Z');
		for (i = 0; c[i] != '\0'; i++)
			assert_true((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9') ||
			    (c[i] == '_' && c[i + 1] != '_' && c[i + 1] != '\0'));
		/* a platform is named exactly for the not-configured causes */
		assert_int_equal(err_platform((enum err)e) != NULL,
		    strcmp(c, "PLATFORM_NOT_CONFIGURED") == 0);
	}
	assert_null(err_platform(ERR_NOT_CONFIGURED));
	assert_int_equal(err_http_status(ERR_METHOD_NOT_ALLOWED), 405);
	assert_int_equal(err_http_status(ERR_PAYLOAD_TOO_LARGE), 413);
	assert_int_equal(err_http_status(ERR_UNSUPPORTED_MEDIA_TYPE), 415);
	assert_int_equal(err_http_status((enum err)9999), 500);
}

/* Each face keeps the envelope and adds the key its clients read. */
static json_t *
face_error(enum face face, enum err e)
{
	struct response rs;
	struct errinfo info = { 0 };
	json_t *j;

	resp_init(&rs);
	resp_error(&rs, e, &info, face);
	resp_finish(&rs);
	j = parse(&rs.body);
	resp_free(&rs);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
	assert_string_equal(json_string_value(json_object_get(j, "code")), err_code(e));
	return j;
}

static void
face_error_keys(void **state)
{
	json_t *j;

	(void)state;
	j = face_error(FACE_V1, ERR_GOOGLE_MEET_NOT_CONFIGURED);
	assert_int_equal(json_object_size(j), 5);
	assert_string_equal(json_string_value(json_object_get(j, "code")), "PLATFORM_NOT_CONFIGURED");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "details"), "platform")),
	    "google_meet");
	json_decref(j);

	j = face_error(FACE_000, ERR_ZOOM_NOT_CONFIGURED);
	assert_int_equal(json_object_size(j), 6);
	assert_string_equal(json_string_value(json_object_get(j, "error")), "zoom_not_configured");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "details"), "platform")), "zoom");
	json_decref(j);
	j = face_error(FACE_000, ERR_RATE_LIMITED);
	assert_string_equal(json_string_value(json_object_get(j, "error")), "rate_limit_exceeded");
	assert_int_equal(json_object_size(json_object_get(j, "details")), 0);
	json_decref(j);

	j = face_error(FACE_003, ERR_INVALID_SIGNATURE);
	assert_int_equal(json_object_size(j), 6);
	assert_true(json_is_false(json_object_get(j, "success")));
	json_decref(j);

	j = face_error(FACE_004, ERR_INVITATION_NOT_FOUND);
	assert_int_equal(json_object_size(j), 6);
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "Invitation link not found");
	json_decref(j);

	j = face_error(FACE_002, ERR_ZOOM_NOT_CONNECTED);
	assert_int_equal(json_object_size(j), 5);
	json_decref(j);
}

static void
header_injection_refused(void **state)
{
	struct response rs;

	(void)state;
	resp_init(&rs);
	resp_header(&rs, "X-Ok", "fine");
	resp_header(&rs, "X-Bad", "a\r\nSet-Cookie: x=1");
	resp_header(&rs, "X-Bad\r\nY", "v");
	assert_string_equal(buf_cstr(&rs.headers), "X-Ok: fine\r\n");
	resp_free(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writer_escapes),
		cmocka_unit_test(writer_depth_limit),
		cmocka_unit_test(success_envelope),
		cmocka_unit_test(error_envelope),
		cmocka_unit_test(error_table),
		cmocka_unit_test(face_error_keys),
		cmocka_unit_test(header_injection_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
