/* apikey.c — see apikey.h. */
#include <string.h>

#include "auth/apikey.h"
#include "core/b64.h"
#include "core/rand.h"

#define SECRET_BYTES 32
#define SECRET_CHARS 43

static const char lower32[] = "0123456789abcdefghjkmnpqrstvwxyz";

bool
apikey_generate(struct apikey *out)
{
	unsigned char id[APIKEY_PREFIX_LEN], secret[SECRET_BYTES];
	char secret_b64[SECRET_CHARS + 1];
	size_t i;

	if (!rand_bytes(id, sizeof(id)) || !rand_bytes(secret, sizeof(secret)))
		return false;
	for (i = 0; i < APIKEY_PREFIX_LEN; i++)
		out->prefix[i] = lower32[id[i] & 31];
	out->prefix[APIKEY_PREFIX_LEN] = '\0';
	b64url_encode(secret, sizeof(secret), secret_b64);
	memcpy(out->text, "mk_", 3);
	memcpy(out->text + 3, out->prefix, APIKEY_PREFIX_LEN);
	out->text[3 + APIKEY_PREFIX_LEN] = '_';
	memcpy(out->text + 4 + APIKEY_PREFIX_LEN, secret_b64, SECRET_CHARS + 1);
	crypto_sha256(secret_b64, SECRET_CHARS, out->hash);
	return true;
}

bool
apikey_looks_like(const char *text)
{
	return strncmp(text, "mk_", 3) == 0;
}

bool
apikey_parse(const char *text, struct apikey *out)
{
	unsigned char tmp[SECRET_BYTES + 2];
	size_t i, n;

	if (strlen(text) != 4 + APIKEY_PREFIX_LEN + SECRET_CHARS || !apikey_looks_like(text) ||
	    text[3 + APIKEY_PREFIX_LEN] != '_')
		return false;
	for (i = 0; i < APIKEY_PREFIX_LEN; i++)
		if (strchr(lower32, text[3 + i]) == NULL)
			return false;
	if (!b64url_decode(text + 4 + APIKEY_PREFIX_LEN, SECRET_CHARS, tmp, &n) || n != SECRET_BYTES)
		return false;
	memcpy(out->prefix, text + 3, APIKEY_PREFIX_LEN);
	out->prefix[APIKEY_PREFIX_LEN] = '\0';
	memcpy(out->text, text, strlen(text) + 1);
	crypto_sha256(text + 4 + APIKEY_PREFIX_LEN, SECRET_CHARS, out->hash);
	return true;
}
