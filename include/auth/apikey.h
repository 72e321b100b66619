/*
 * apikey.h — API keys for server-to-server callers:
 *   mk_<16-character id prefix>_<43-character base64url secret (256 bits)>
 * Only the prefix (to find the row) and SHA-256 of the secret are stored;
 * a 256-bit random secret needs no slow hash.
 */
#ifndef MEETD_APIKEY_H
#define MEETD_APIKEY_H

#include <stdbool.h>

#include "auth/crypto.h"

#define APIKEY_PREFIX_LEN 16
#define APIKEY_TEXT_MAX 80

struct apikey {
	char text[APIKEY_TEXT_MAX];             /* shown to the user once */
	char prefix[APIKEY_PREFIX_LEN + 1];
	unsigned char hash[SHA256_LEN];
};

/* New random key; false if randomness is unavailable. */
bool apikey_generate(struct apikey *out);
/* True if text has the shape of a key (so the caller tries key auth). */
bool apikey_looks_like(const char *text);
/* Splits text into prefix and secret hash; false if malformed. */
bool apikey_parse(const char *text, struct apikey *out);

#endif
