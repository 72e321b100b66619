/* test_parse.c — strict parsers, base64url, the bounded buffer and the arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/b64.h"
#include "core/buf.h"
#include "outbound/http_client.h"
#include "core/parse.h"
#include "core/rand.h"

static void
integers(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(parse_i64z("0", 0, 10, &v), ERR_OK);
	assert_int_equal(v, 0);
	assert_int_equal(parse_i64z("-5", -10, 10, &v), ERR_OK);
	assert_int_equal(v, -5);
	assert_int_equal(parse_i64z("9223372036854775807", INT64_MIN, INT64_MAX, &v), ERR_OK);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_i64z("-9223372036854775808", INT64_MIN, INT64_MAX, &v), ERR_OK);
	assert_true(v == INT64_MIN);
	static const char *const bad[] = {
		"", "-", "+1", " 1", "1 ", "1a", "0x10", "9223372036854775808",
		"-9223372036854775809", "11", "1e3", "1.0", "--1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(parse_i64z(bad[i], -10, 10, &v), ERR_OK);
	assert_int_not_equal(parse_i64z(NULL, 0, 1, &v), ERR_OK);
}

static void
content_length(void **state)
{
	size_t n;

	(void)state;
	assert_int_equal(parse_content_length(NULL, 100, &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(parse_content_length("", 100, &n), ERR_OK);
	assert_int_equal(parse_content_length("100", 100, &n), ERR_OK);
	assert_int_equal(n, 100);
	assert_int_equal(parse_content_length("101", 100, &n), ERR_PAYLOAD_TOO_LARGE);
	assert_int_equal(parse_content_length("99999999999999999999999", 100, &n), ERR_PAYLOAD_TOO_LARGE);
	assert_int_equal(parse_content_length("-1", 100, &n), ERR_INVALID_REQUEST);
	assert_int_equal(parse_content_length("+1", 100, &n), ERR_INVALID_REQUEST);
	assert_int_equal(parse_content_length("1,1", 100, &n), ERR_INVALID_REQUEST);
	assert_int_equal(parse_content_length(" 1", 100, &n), ERR_INVALID_REQUEST);
}

static void
flags_modes_sizes(void **state)
{
	bool b;
	unsigned m;
	uint64_t s;

	(void)state;
	assert_int_equal(parse_bool("ON", &b), ERR_OK);
	assert_true(b);
	assert_int_equal(parse_bool("no", &b), ERR_OK);
	assert_false(b);
	assert_int_not_equal(parse_bool("maybe", &b), ERR_OK);
	assert_int_equal(parse_mode("0660", &m), ERR_OK);
	assert_int_equal(m, 0660);
	assert_int_not_equal(parse_mode("0668", &m), ERR_OK);
	assert_int_not_equal(parse_mode("07777", &m), ERR_OK);
	assert_int_equal(parse_size("16k", 0, UINT64_MAX, &s), ERR_OK);
	assert_int_equal(s, 16384);
	assert_int_equal(parse_size("1M", 0, UINT64_MAX, &s), ERR_OK);
	assert_int_equal(s, 1048576);
	assert_int_not_equal(parse_size("1t", 0, UINT64_MAX, &s), ERR_OK);
	assert_int_not_equal(parse_size("k", 0, UINT64_MAX, &s), ERR_OK);
	assert_int_not_equal(parse_size("2m", 0, 1024, &s), ERR_OK);
	assert_int_not_equal(parse_size("99999999999999999g", 0, UINT64_MAX, &s), ERR_OK);
}

static void
base64url(void **state)
{
	unsigned char out[64];
	char enc[64];
	size_t n;

	(void)state;
	b64url_encode("\xfb\xff", 2, enc);
	assert_string_equal(enc, "-_8");
	assert_true(b64url_decode("-_8", 3, out, &n));
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\xfb\xff", 2);
	for (size_t len = 0; len < 20; len++) {
		unsigned char in[20];
		memset(in, (int)(len * 7 + 1), len);
		b64url_encode(in, len, enc);
		assert_int_equal(strlen(enc), b64url_encoded_len(len));
		assert_true(b64url_decode(enc, strlen(enc), out, &n));
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
	}
	assert_false(b64url_decode("ab=", 3, out, &n));       /* padding */
	assert_false(b64url_decode("a+b/", 4, out, &n));      /* standard alphabet */
	assert_false(b64url_decode("a", 1, out, &n));         /* impossible length */
	assert_false(b64url_decode("-_9", 3, out, &n));       /* non-zero trailing bits */
	assert_false(b64url_decode("ab c", 4, out, &n));
}

static void
bounded_buffer(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_true(buf_puts(&b, "12345678"));
	assert_false(buf_putc(&b, '9'));
	assert_true(b.failed);
	assert_string_equal(buf_cstr(&b), "12345678");
	assert_false(buf_puts(&b, ""));        /* sticky until reset */
	buf_reset(&b);
	assert_true(buf_printf(&b, "%d-%s", 42, "ok"));
	assert_string_equal(buf_cstr(&b), "42-ok");
	assert_false(buf_printf(&b, "%s", "too long"));
	buf_free(&b);
}

static void
arena_bounds(void **state)
{
	struct arena *a = arena_new(64 * 1024);
	char *p;

	(void)state;
	p = arena_strdup(a, "hello");
	assert_string_equal(p, "hello");
	assert_non_null(arena_alloc(a, 40 * 1024));
	assert_null(arena_alloc(a, 40 * 1024));         /* past the ceiling */
	arena_reset(a);
	assert_non_null(arena_alloc(a, 40 * 1024));
	assert_string_equal(arena_printf(a, "%s=%d", "x", 7), "x=7");
	arena_free(a);
	arena_free(NULL);
}

static void
ulids(void **state)
{
	char a[ULID_LEN + 1], b[ULID_LEN + 1];

	(void)state;
	ulid_new(a);
	ulid_new(b);
	assert_true(ulid_valid(a));
	assert_string_not_equal(a, b);
	assert_false(ulid_valid("01HXYZ"));
	assert_false(ulid_valid("01HXYZ123456789ABCDEFGHIJU"));    /* U is not Crockford */
	assert_false(ulid_valid("81HXYZ123456789ABCDEFGHIJK"));    /* overflows 48 bits */
	assert_true(ulid_valid("01HXYZ123456789ABCDEFGHJKM"));
}

/* Retry-After as Zoom and others send it: seconds, an HTTP date or ISO-8601. */
static void
retry_after(void **state)
{
	const int64_t now = 1590876000;         /* 2020-05-30T22:00:00Z */
	struct buf b;

	(void)state;
	assert_int_equal(http_parse_retry_after("120", now), 120);
	assert_int_equal(http_parse_retry_after("0", now), 0);
	assert_int_equal(http_parse_retry_after("2020-05-31T00:00:00Z", now), 7200);
	assert_int_equal(http_parse_retry_after("Sun, 31 May 2020 00:00:00 GMT", now), 7200);
	assert_int_equal(http_parse_retry_after("2020-05-01T00:00:00Z", now), 0);   /* past: now */
	assert_int_equal(http_parse_retry_after("", now), -1);
	assert_int_equal(http_parse_retry_after("soon", now), -1);
	assert_int_equal(http_parse_retry_after("12abc", now), -1);
	buf_init(&b, 256);
	assert_true(http_form_escape(&b, "a b&c=d/é~"));
	assert_string_equal(buf_cstr(&b), "a%20b%26c%3Dd%2F%C3%A9~");
	buf_free(&b);
}

/* parse_name: an enum's name to its index, n for anything else. */
static void
names(void **state)
{
	static const char *const list[] = { "host", "all", "none" };

	(void)state;
	assert_int_equal(parse_name("host", list, 3), 0);
	assert_int_equal(parse_name("none", list, 3), 2);
	assert_int_equal(parse_name("Host", list, 3), 3);
	assert_int_equal(parse_name("", list, 3), 3);
	assert_int_equal(parse_name(NULL, list, 3), 3);
	assert_int_equal(parse_name("none", list, 2), 2);       /* past n is not looked at */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers),
		cmocka_unit_test(content_length),
		cmocka_unit_test(flags_modes_sizes),
		cmocka_unit_test(base64url),
		cmocka_unit_test(bounded_buffer),
		cmocka_unit_test(arena_bounds),
		cmocka_unit_test(ulids),
		cmocka_unit_test(retry_after),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
