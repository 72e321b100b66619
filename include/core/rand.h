/*
 * rand.h — cryptographically secure random bytes (getrandom(2)) and the
 * identifiers made from them: ULIDs (public ids, request ids) and
 * base64url tokens.
 */
#ifndef MEETD_RAND_H
#define MEETD_RAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ULID_LEN 26

/* Fills p with n random bytes; false only if the kernel refuses. */
bool rand_bytes(void *p, size_t n);
/* Uniform integer in [0, bound). */
uint32_t rand_below(uint32_t bound);
/* New ULID (48-bit ms time, 80 random bits, Crockford base32) into out[27]. */
void ulid_new(char out[ULID_LEN + 1]);
/* True if s is 26 Crockford base32 characters of a well-formed ULID. */
bool ulid_valid(const char *s);

#endif
