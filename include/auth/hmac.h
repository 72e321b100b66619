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
/* A compact JWT {"alg":"HS256","typ":"JWT"}.payload.signature over the
 * given claims (JSON object text); arena-owned, NULL on allocation failure. */
char *hmac_jwt_hs256(struct arena *a, const void *key, size_t key_len, const char *claims_json);

#endif
