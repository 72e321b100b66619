/*
 * fuzz_jwks.c — libFuzzer target: a JWK Set as an identity provider's URL
 * or file serves it, through jwks_parse() (the worker parses fetched sets,
 * responders the stored ones), then key lookups in what it accepted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "auth/jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kids[] = { NULL, "idp-es", "idp-rs", "idp-ed", "" };
	struct jwks *s = NULL;
	struct buf why;
	size_t i, n;

	buf_init(&why, 128);
	if (jwks_parse((const char *)data, size, &s, &why) == ERR_OK) {
		if (s == NULL || (n = jwks_count(s)) == 0 || n > JWKS_MAX_KEYS)
			abort();        /* jws.h: at least one usable key, at most the cap */
		for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
			const struct jws_key *k = jwks_find(s, kids[i]);

			if (k != NULL && (int)jws_key_alg(k) >= JWS__MAX)
				abort();
		}
	}
	jwks_free(s);
	buf_free(&why);
	return 0;
}
