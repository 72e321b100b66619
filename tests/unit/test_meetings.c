/* test_meetings.c — the meeting model without a database: the state
 * machine table, ISO-8601 parsing, time zones, native credentials, the
 * secret boxes (round trip, wrong row, tampering, wrong key), rates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "config/config.h"
#include "domain/credentials.h"
#include "domain/meeting.h"
#include "core/parse.h"
#include "auth/secretbox.h"
#include "core/zone.h"

static void
state_machine(void **state)
{
	struct meeting m;
	static const struct { enum meeting_status s; enum meeting_action a; enum err want; } cases[] = {
		{ MS_SCHEDULED, MA_START, ERR_OK },
		{ MS_SCHEDULED, MA_CANCEL, ERR_OK },
		{ MS_SCHEDULED, MA_END, ERR_MEETING_NOT_ACTIVE },
		{ MS_STARTED, MA_END, ERR_OK },
		{ MS_STARTED, MA_START, ERR_MEETING_ALREADY_ACTIVE },
		{ MS_STARTED, MA_CANCEL, ERR_MEETING_ALREADY_ACTIVE },
		{ MS_STARTED, MA_EDIT, ERR_OK },
		{ MS_STARTED, MA_RESCHEDULE, ERR_MEETING_ALREADY_ACTIVE },
		{ MS_STARTED, MA_JOIN, ERR_OK },
		{ MS_ENDED, MA_START, ERR_MEETING_ENDED },
		{ MS_ENDED, MA_END, ERR_MEETING_ENDED },
		{ MS_ENDED, MA_JOIN, ERR_MEETING_ENDED },
		{ MS_CANCELLED, MA_START, ERR_MEETING_CANCELLED },
		{ MS_CANCELLED, MA_CANCEL, ERR_MEETING_CANCELLED },
		{ MS_CANCELLED, MA_EDIT, ERR_MEETING_CANCELLED },
	};
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m.status = cases[i].s;
		assert_int_equal(meeting_allows(&m, cases[i].a), cases[i].want);
	}
	assert_int_equal(err_http_status(ERR_MEETING_ALREADY_ACTIVE), 409);
	assert_string_equal(err_code(ERR_ZOOM_NOT_CONFIGURED), "PLATFORM_NOT_CONFIGURED");
	assert_string_equal(err_platform(ERR_ZOOM_NOT_CONFIGURED), "zoom");
}

static void
iso8601(void **state)
{
	int64_t ms;
	static const char *const bad[] = {
		"2024-01-15T10:00:00", "2024-01-15 10:00:00Z", "2024-02-30T10:00:00Z",
		"2023-02-29T00:00:00Z", "2024-01-15T24:00:00Z", "2024-01-15T10:00:00+25:00",
		"2024-01-15T10:00:00.Z", "1969-12-31T23:59:59Z", "2024-1-15T10:00:00Z",
		"2024-01-15T10:00:00Zjunk", "", "yesterday",
	};
	size_t i;

	(void)state;
	assert_true(clock_parse_iso8601("1970-01-01T00:00:00Z", &ms));
	assert_true(ms == 0);
	assert_true(clock_parse_iso8601("2024-01-15T10:00:00Z", &ms));
	assert_true(ms == 1705312800000LL);
	assert_true(clock_parse_iso8601("2024-01-15T11:30:00.250+01:30", &ms));
	assert_true(ms == 1705312800250LL);
	assert_true(clock_parse_iso8601("2024-02-29T00:00:00-05:00", &ms));
	/* ten calendar years, not 10 × 366 days; a leap day lands on the 28th */
	{
		int64_t from, to;

		assert_true(clock_parse_iso8601("2026-11-23T08:30:00.125Z", &from));
		assert_true(clock_parse_iso8601("2036-11-23T08:30:00.125Z", &to));
		assert_true(clock_add_years_ms(from, 10) == to);
		assert_true(clock_parse_iso8601("2028-02-29T12:00:00Z", &from));
		assert_true(clock_parse_iso8601("2038-02-28T12:00:00Z", &to));
		assert_true(clock_add_years_ms(from, 10) == to);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(clock_parse_iso8601(bad[i], &ms));
}

static void
zones(void **state)
{
	(void)state;
	assert_true(zone_exists("UTC"));
	assert_true(zone_exists("Europe/Paris"));
	assert_true(zone_exists("America/Argentina/Buenos_Aires"));
	assert_false(zone_exists("Mars/Base"));
	assert_false(zone_exists("../../etc/passwd"));
	assert_false(zone_exists("Europe/../UTC"));
	assert_false(zone_exists("/UTC"));
	assert_false(zone_exists("Europe/"));
	assert_false(zone_exists(""));
	assert_false(zone_exists("Europe"));        /* a directory, not a zone */
}

static void
native_credentials(void **state)
{
	char code[CODE_LEN + 1], pass[PASSCODE_LEN + 1], tok[INVITE_TOKEN_LEN + 1], tok2[INVITE_TOKEN_LEN + 1];
	int i, digits[10] = { 0 };

	(void)state;
	for (i = 0; i < 1000; i++) {
		assert_true(cred_code(code));
		assert_true(cred_code_valid(code));
		assert_true(cred_passcode(pass));
		assert_int_equal(strlen(pass), 6);
		assert_true(strspn(pass, "0123456789") == 6);
		digits[pass[0] - '0']++;
	}
	for (i = 0; i < 10; i++)        /* each first digit appears (p of failure ~ 1e-40) */
		assert_true(digits[i] > 40);
	assert_false(cred_code_valid("abc-def-gh"));
	assert_false(cred_code_valid("abc_def_ghi"));
	assert_false(cred_code_valid("ABC-DEF-GHI"));
	assert_true(cred_invite_token(tok));
	assert_true(cred_invite_token(tok2));
	assert_int_equal(strlen(tok), INVITE_TOKEN_LEN);
	assert_string_not_equal(tok, tok2);
}

static void
boxes(void **state)
{
	char hex[65] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	struct secret sec = { (unsigned char *)hex, 64 }, sec2;
	struct secretbox b, other;
	unsigned char box[128];
	char out[128], hex2[65];
	size_t n, len;

	(void)state;
	assert_true(secretbox_key_valid(&sec));
	assert_true(secretbox_init(&b, &sec));
	assert_int_equal(secretbox_seal(&b, "meetings.passcode:A", "123456", 6, box, sizeof(box), &n), ERR_OK);
	assert_int_equal(n, 6 + SECRETBOX_OVERHEAD);
	assert_null(memmem(box, n, "123456", 6));
	assert_int_equal(secretbox_open(&b, "meetings.passcode:A", box, n, out, sizeof(out), &len), ERR_OK);
	assert_string_equal(out, "123456");
	/* moved to another row or column: does not open */
	assert_int_not_equal(secretbox_open(&b, "meetings.passcode:B", box, n, out, sizeof(out), &len), ERR_OK);
	assert_int_not_equal(secretbox_open(&b, "meetings.invite:A", box, n, out, sizeof(out), &len), ERR_OK);
	/* any flipped byte: does not open */
	box[n - 1] ^= 1;
	assert_int_not_equal(secretbox_open(&b, "meetings.passcode:A", box, n, out, sizeof(out), &len), ERR_OK);
	box[n - 1] ^= 1;
	box[20] ^= 0x80;
	assert_int_not_equal(secretbox_open(&b, "meetings.passcode:A", box, n, out, sizeof(out), &len), ERR_OK);
	box[20] ^= 0x80;
	/* another key: refused by its id before any decryption */
	memcpy(hex2, hex, sizeof(hex2));
	hex2[0] = 'f';
	sec2.data = (unsigned char *)hex2;
	sec2.len = 64;
	assert_true(secretbox_init(&other, &sec2));
	assert_int_not_equal(secretbox_open(&other, "meetings.passcode:A", box, n, out, sizeof(out), &len), ERR_OK);
	/* malformed keys */
	sec2.len = 63;
	assert_false(secretbox_key_valid(&sec2));
	hex2[5] = 'g';
	sec2.len = 64;
	assert_false(secretbox_key_valid(&sec2));
}

static void
rates(void **state)
{
	struct rate r;
	int64_t s;

	(void)state;
	assert_int_equal(parse_rate("100/1h", &r), ERR_OK);
	assert_true(r.count == 100 && r.period_s == 3600);
	assert_int_equal(parse_rate("60/1m", &r), ERR_OK);
	assert_true(r.count == 60 && r.period_s == 60);
	assert_int_equal(parse_rate("5/30s", &r), ERR_OK);
	assert_true(r.period_s == 30);
	assert_int_not_equal(parse_rate("0/1h", &r), ERR_OK);
	assert_int_not_equal(parse_rate("100", &r), ERR_OK);
	assert_int_not_equal(parse_rate("100/2d", &r), ERR_OK);
	assert_int_not_equal(parse_rate("100/h", &r), ERR_OK);
	assert_int_not_equal(parse_rate("-1/1h", &r), ERR_OK);
	assert_int_equal(parse_duration_s("1h", 1, 86400, &s), ERR_OK);
	assert_true(s == 3600);
	assert_int_not_equal(parse_duration_s("0s", 1, 86400, &s), ERR_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_machine),
		cmocka_unit_test(iso8601),
		cmocka_unit_test(zones),
		cmocka_unit_test(native_credentials),
		cmocka_unit_test(boxes),
		cmocka_unit_test(rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
