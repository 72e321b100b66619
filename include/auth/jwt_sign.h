/*
 * jwt_sign.h — the one JWT signer: meetd's own tokens (logins, guests,
 * `meetd token`), Google's service-account assertion, LiveKit and Jitsi
 * room tokens and Zoom's legacy JWT app all sign here, with libjwt (which
 * meetd uses for signing only: verification is jws.c's).
 */
#ifndef MEETD_JWT_SIGN_H
#define MEETD_JWT_SIGN_H

#include <stddef.h>

#include "auth/jws.h"
#include "core/arena.h"
#include "core/error.h"

/*
 * Signs claims_json (a JSON object, written with the JSON writer) as a
 * compact JWT with header {"alg", "typ": "JWT"[, "kid"]}. key is the HS256
 * secret, or a PEM private key (PKCS#8 or PKCS#1) for RS256/ES256. *out is
 * arena-owned. ERR_CONFIG for a key the algorithm cannot use, ERR_NOMEM,
 * ERR_NOT_SUPPORTED for EdDSA (meetd never signs with it).
 */
enum err jwt_sign(struct arena *a, enum jws_alg alg, const unsigned char *key, size_t key_len,
    const char *kid, const char *claims_json, const char **out);

#endif
