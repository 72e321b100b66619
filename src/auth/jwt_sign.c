/*
 * jwt_sign.c — the one JWT signer; see jwt_sign.h. libjwt 1.10 encodes the
 * header and claims and signs (HMAC, or the PEM key through OpenSSL); the
 * claims are ours, written with the JSON writer, so nothing here builds
 * JSON by hand.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "auth/crypto.h"
#include "auth/jwt_sign.h"

enum err
jwt_sign(struct arena *a, enum jws_alg alg, const unsigned char *key, size_t key_len, const char *kid,
    const char *claims_json, const char **out)
{
	jwt_alg_t la;
	jwt_t *jwt = NULL;
	char *s = NULL;
	enum err e = ERR_CONFIG;

	*out = NULL;
	switch (alg) {
	case JWS_HS256: la = JWT_ALG_HS256; break;
	case JWS_RS256: la = JWT_ALG_RS256; break;
	case JWS_ES256: la = JWT_ALG_ES256; break;
	default: return ERR_NOT_SUPPORTED;
	}
	if (key == NULL || key_len == 0 || key_len > INT32_MAX || claims_json == NULL)
		return ERR_CONFIG;
	if (jwt_new(&jwt) != 0)
		return ERR_NOMEM;
	if (jwt_add_grants_json(jwt, claims_json) != 0 ||
	    (kid != NULL && jwt_add_header(jwt, "kid", kid) != 0)) {
		e = ERR_INTERNAL;
		goto out;
	}
	/* a PEM key that does not fit the algorithm fails here or at encode */
	if (jwt_set_alg(jwt, la, key, (int)key_len) != 0 || (s = jwt_encode_str(jwt)) == NULL)
		goto out;
	e = (*out = arena_strdup(a, s)) != NULL ? ERR_OK : ERR_NOMEM;
	crypto_wipe(s, strlen(s));
	free(s);
out:
	jwt_free(jwt);
	return e;
}
