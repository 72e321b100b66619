/*
 * clock.h — time sources. Monotonic milliseconds for deadlines and
 * latencies, wall-clock for timestamps; wire format is ISO-8601 UTC with 'Z'.
 */
#ifndef MEETD_CLOCK_H
#define MEETD_CLOCK_H

#include <stdint.h>

#define CLOCK_ISO_LEN 21        /* "2024-01-15T10:00:00Z" + NUL */

int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);
/* Unix time in milliseconds. */
int64_t clock_wall_ms(void);
/* Unix seconds → "YYYY-MM-DDTHH:MM:SSZ" into out[CLOCK_ISO_LEN]. */
void clock_iso8601(int64_t unix_seconds, char out[CLOCK_ISO_LEN]);

#endif
