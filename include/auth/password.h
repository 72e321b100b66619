/*
 * password.h — scrypt password hashes (OpenSSL EVP_PBE_scrypt), stored as
 *   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt b64url>$<hash b64url>
 * so cost can be raised later without invalidating stored hashes.
 */
#ifndef MEETD_PASSWORD_H
#define MEETD_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define PASSWORD_HASH_MAX 128

/* Hashes pw with N = 2^log2n, r = 8, p = 1 and a random 16-byte salt. */
enum err password_hash(const char *pw, size_t len, int log2n, char out[PASSWORD_HASH_MAX]);
/* True if pw matches stored; false for a mismatch or a malformed hash.
 * The comparison is constant-time. */
bool password_verify(const char *pw, size_t len, const char *stored);
/* Spends the time of a verification at cost log2n, for unknown accounts,
 * so response time does not reveal whether an email is registered. */
void password_burn(const char *pw, size_t len, int log2n);

#endif
