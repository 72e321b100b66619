/*
 * jwt_sign.h — signing a compact JWT with an RSA private key (RS256), for
 * platforms that authenticate a server by a signed assertion (Google's
 * service accounts). OpenSSL stays inside src/auth.
 */
#ifndef MEETD_JWT_SIGN_H
#define MEETD_JWT_SIGN_H

#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"

/*
 * Signs base64url(header_json) "." base64url(claims_json) with the PEM
 * private key (PKCS#8 or PKCS#1) and returns the whole token in the arena.
 * ERR_CONFIG if the key cannot be read or is not RSA; ERR_NOMEM.
 */
enum err jwt_sign_rs256(struct arena *a, const char *pem, size_t pem_len, const char *header_json,
    const char *claims_json, const char **out);

#endif
