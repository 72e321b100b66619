/*
 * clock.h — time sources. Monotonic milliseconds for deadlines and
 * latencies, wall-clock for timestamps; wire format is ISO-8601 UTC with 'Z'.
 */
#ifndef MEETD_CLOCK_H
#define MEETD_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_ISO_LEN 21        /* "2024-01-15T10:00:00Z" + NUL */

int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);
/* Unix time in milliseconds. */
int64_t clock_wall_ms(void);
/* Unix seconds → "YYYY-MM-DDTHH:MM:SSZ" into out[CLOCK_ISO_LEN]. */
void clock_iso8601(int64_t unix_seconds, char out[CLOCK_ISO_LEN]);

#define CLOCK_DB_LEN 24         /* "2024-01-15 10:00:00.000" + NUL */

/* Parses ISO-8601 "YYYY-MM-DDTHH:MM:SS[.fff]" with "Z" or "±HH:MM" (an
 * offset is required: a time without one names no instant) into Unix
 * milliseconds. Years 1970..9999; false if malformed or impossible. */
bool clock_parse_iso8601(const char *s, int64_t *ms);
/* The same UTC wall time `years` calendar years later (29 February
 * becomes the 28th in a common year). */
int64_t clock_add_years_ms(int64_t ms, int years);
/* Unix ms → "YYYY-MM-DD HH:MM:SS.mmm" (UTC), MariaDB's DATETIME(3) text. */
void clock_db_datetime(int64_t ms, char out[CLOCK_DB_LEN]);
/* Unix ms → ISO-8601 seconds with 'Z'. */
void clock_iso8601_ms(int64_t ms, char out[CLOCK_ISO_LEN]);

#endif
