/*
 * password.c — see password.h. scrypt's memory cost is 128·r·N bytes
 * (32 MiB at the default ln=15): transient, and returned to the system
 * after the call because allocations that large are mmap'd.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/b64.h"
#include "core/parse.h"
#include "auth/password.h"
#include "core/rand.h"

#define SALT_LEN 16
#define HASH_LEN 32

static bool
derive(const char *pw, size_t len, const unsigned char *salt, size_t salt_len,
    int log2n, uint64_t r, uint64_t p, unsigned char out[HASH_LEN])
{
	uint64_t n = (uint64_t)1 << log2n;
	uint64_t maxmem = 128 * r * n * p + 128 * r * p + (1u << 20);

	return EVP_PBE_scrypt(pw, len, salt, salt_len, n, r, p, maxmem, out, HASH_LEN) == 1;
}

enum err
password_hash(const char *pw, size_t len, int log2n, char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	char salt_b64[32], hash_b64[48];

	if (!rand_bytes(salt, sizeof(salt)) || !derive(pw, len, salt, sizeof(salt), log2n, 8, 1, hash))
		return ERR_INTERNAL;
	b64url_encode(salt, sizeof(salt), salt_b64);
	b64url_encode(hash, sizeof(hash), hash_b64);
	snprintf(out, PASSWORD_HASH_MAX, "$scrypt$ln=%d,r=8,p=1$%s$%s", log2n, salt_b64, hash_b64);
	OPENSSL_cleanse(hash, sizeof(hash));
	return ERR_OK;
}

/* Reads "<digits><term>" at *s within [min, max]; advances past term. */
static bool
number(const char **s, char term, int64_t min, int64_t max, int64_t *out)
{
	const char *end = strchr(*s, term);

	if (end == NULL || parse_i64(*s, (size_t)(end - *s), min, max, out) != ERR_OK)
		return false;
	*s = end + 1;
	return true;
}

bool
password_verify(const char *pw, size_t len, const char *stored)
{
	const char *s = stored, *dollar;
	unsigned char salt[64], want[64], got[HASH_LEN];
	size_t salt_len, want_len;
	int64_t ln, r, p;
	bool ok;

	if (strncmp(s, "$scrypt$ln=", 11) != 0)
		return false;
	s += 11;
	if (!number(&s, ',', 10, 20, &ln) || strncmp(s, "r=", 2) != 0)
		return false;
	s += 2;
	if (!number(&s, ',', 1, 32, &r) || strncmp(s, "p=", 2) != 0)
		return false;
	s += 2;
	if (!number(&s, '$', 1, 16, &p) || (dollar = strchr(s, '$')) == NULL)
		return false;
	if ((size_t)(dollar - s) > 80 || strlen(dollar + 1) > 80 ||
	    !b64url_decode(s, (size_t)(dollar - s), salt, &salt_len) ||
	    !b64url_decode(dollar + 1, strlen(dollar + 1), want, &want_len) || want_len != HASH_LEN)
		return false;
	if (!derive(pw, len, salt, salt_len, (int)ln, (uint64_t)r, (uint64_t)p, got))
		return false;
	ok = CRYPTO_memcmp(got, want, HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

void
password_burn(const char *pw, size_t len, int log2n)
{
	static const unsigned char salt[SALT_LEN] = { 0 };
	unsigned char out[HASH_LEN];

	derive(pw, len, salt, sizeof(salt), log2n, 8, 1, out);
}
