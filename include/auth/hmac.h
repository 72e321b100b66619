/*
 * hmac.h — HMAC-SHA256 and HS256 JWT signing for platform integrations
 * (Zoom webhook signatures, URL validation, the legacy Zoom JWT app), kept
 * under src/auth/ so only that directory includes OpenSSL.
 */
#ifndef MEETD_HMAC_H
#define MEETD_HMAC_H

#include <stddef.h>

#include "core/arena.h"
#include "auth/crypto.h"

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
    unsigned char out[SHA256_LEN]);
/* Lower-case hex of the HMAC into out[65]. */
void hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t n,
    char out[2 * SHA256_LEN + 1]);

#endif
