/*
 * hmac.c — see hmac.h.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/b64.h"
#include "auth/hmac.h"

void
hmac_sha256(const void *key, size_t key_len, const void *data, size_t n, unsigned char out[SHA256_LEN])
{
	unsigned int len = SHA256_LEN;
	static const unsigned char none;

	/* OpenSSL refuses a NULL key even when it is empty */
	if (HMAC(EVP_sha256(), key_len > 0 ? key : &none, (int)key_len, data != NULL ? data : &none, n,
	    out, &len) == NULL)
		memset(out, 0, SHA256_LEN);
}

void
hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t n, char out[2 * SHA256_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[SHA256_LEN];
	size_t i;

	hmac_sha256(key, key_len, data, n, mac);
	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[2 * SHA256_LEN] = '\0';
	crypto_wipe(mac, sizeof(mac));
}

