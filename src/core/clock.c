/* clock.c — see clock.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
clock_iso8601(int64_t unix_seconds, char out[CLOCK_ISO_LEN])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, CLOCK_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil), so parsing depends on no time zone setting. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

bool
clock_parse_iso8601(const char *s, int64_t *ms_out)
{
	int y, mo, d, h, mi, sec, ms = 0, oh = 0, om = 0, sign = 0;
	size_t n = strlen(s), i = 19;

	if (n < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	if (s[i] == '.') {
		int nd = 0, scale;

		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			if (nd < 3)
				ms = ms * 10 + (s[i] - '0');
		if (nd == 0 || nd > 9)
			return false;
		for (scale = nd; scale < 3; scale++)
			ms *= 10;
	}
	if (i == n - 1 && (s[i] == 'Z' || s[i] == 'z')) {
		sign = 0;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2, &oh) &&
	    s[i + 3] == ':' && digits(s + i + 4, 2, &om)) {
		sign = s[i] == '+' ? 1 : -1;
	} else {
		return false;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59 || oh > 18 || om > 59)
		return false;
	*ms_out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
	    sign * (oh * 3600 + om * 60)) * 1000 + ms;
	return true;
}

int64_t
clock_add_years_ms(int64_t ms, int years)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	int y, d;

	gmtime_r(&t, &tm);
	y = tm.tm_year + 1900 + years;
	d = tm.tm_mday;
	if (d > days_in_month(y, tm.tm_mon + 1))
		d = days_in_month(y, tm.tm_mon + 1);        /* 29 February → 28th */
	return (days_from_civil(y, tm.tm_mon + 1, d) * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 +
	    tm.tm_sec) * 1000 + ms % 1000;
}

void
clock_db_datetime(int64_t ms, char out[CLOCK_DB_LEN])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[20];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, CLOCK_DB_LEN, "%.19s.%03u", base, (unsigned)(ms % 1000) % 1000u);
}

void
clock_iso8601_ms(int64_t ms, char out[CLOCK_ISO_LEN])
{
	clock_iso8601(ms / 1000, out);
}
