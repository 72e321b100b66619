/*
 * rand.c — random bytes straight from the kernel CSPRNG. getrandom(2) with
 * no flags blocks only before the pool is initialised at boot, never after.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/rand.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

bool
rand_bytes(void *p, size_t n)
{
	unsigned char *b = p;

	while (n > 0) {
		ssize_t r = getrandom(b, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		b += r;
		n -= (size_t)r;
	}
	return true;
}

uint32_t
rand_below(uint32_t bound)
{
	uint32_t x, limit;

	if (bound < 2)
		return 0;
	/* rejection sampling: no modulo bias */
	limit = UINT32_MAX - (UINT32_MAX % bound);
	do {
		if (!rand_bytes(&x, sizeof(x)))
			return 0;
	} while (x >= limit);
	return x % bound;
}

void
ulid_new(char out[ULID_LEN + 1])
{
	unsigned char r[10];
	uint64_t t = (uint64_t)clock_wall_ms();
	int i;

	if (!rand_bytes(r, sizeof(r)))
		memset(r, 0, sizeof(r));
	/* 10 characters of time (50 bits, top 2 zero) */
	for (i = 9; i >= 0; i--) {
		out[i] = crockford[t & 31];
		t >>= 5;
	}
	/* 16 characters of randomness: 80 bits = 16 × 5 */
	uint64_t hi = ((uint64_t)r[0] << 32) | ((uint64_t)r[1] << 24) |
	    ((uint64_t)r[2] << 16) | ((uint64_t)r[3] << 8) | r[4];
	uint64_t lo = ((uint64_t)r[5] << 32) | ((uint64_t)r[6] << 24) |
	    ((uint64_t)r[7] << 16) | ((uint64_t)r[8] << 8) | r[9];
	for (i = 17; i >= 10; i--) {
		out[i] = crockford[hi & 31];
		hi >>= 5;
	}
	for (i = 25; i >= 18; i--) {
		out[i] = crockford[lo & 31];
		lo >>= 5;
	}
	out[ULID_LEN] = '\0';
}

bool
ulid_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != ULID_LEN || s[0] > '7')
		return false;
	for (i = 0; i < ULID_LEN; i++)
		if (strchr(crockford, s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}
