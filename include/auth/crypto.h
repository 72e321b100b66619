/*
 * crypto.h — the small set of primitives meetd needs from OpenSSL, behind
 * our own names so that only src/auth/ includes OpenSSL headers.
 */
#ifndef MEETD_CRYPTO_H
#define MEETD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define SHA256_LEN 32

void crypto_sha256(const void *data, size_t n, unsigned char out[SHA256_LEN]);
/* Lower-case hex of SHA-256 into out[65]. */
void crypto_sha256_hex(const void *data, size_t n, char out[2 * SHA256_LEN + 1]);
/* Constant-time equality of two n-byte buffers (CRYPTO_memcmp). */
bool crypto_equal(const void *a, const void *b, size_t n);
/* Wipes n bytes in a way the compiler may not optimise away. */
void crypto_wipe(void *p, size_t n);

#endif
