/* clock.c — see clock.h. */
#include <time.h>

#include "clock.h"

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
