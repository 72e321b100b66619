/*
 * secretbox.c — AES-256-GCM boxes for secrets at rest (see secretbox.h).
 * Nonces are 96 random bits: with one key, the birthday bound on nonce reuse
 * is far beyond the number of secrets a meetd installation seals.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/crypto.h"
#include "core/log.h"
#include "core/rand.h"
#include "auth/secretbox.h"

#define BOX_VERSION 0x01
#define NONCE_LEN 12
#define TAG_LEN 16

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
decode_key(const struct secret *s, unsigned char key[SECRETBOX_KEY_LEN])
{
	size_t len = s->len, i;

	while (len > 0 && (s->data[len - 1] == '\n' || s->data[len - 1] == '\r' || s->data[len - 1] == ' '))
		len--;
	if (s->data == NULL || len != 2 * SECRETBOX_KEY_LEN)
		return false;
	for (i = 0; i < SECRETBOX_KEY_LEN; i++) {
		int hi = hexval(s->data[2 * i]), lo = hexval(s->data[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		key[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

bool
secretbox_key_valid(const struct secret *s)
{
	unsigned char key[SECRETBOX_KEY_LEN];
	bool ok = decode_key(s, key);

	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}

bool
secretbox_init(struct secretbox *b, const struct secret *s)
{
	unsigned char digest[SHA256_LEN];

	b->older = NULL;
	if (!decode_key(s, b->key))
		return false;
	crypto_sha256(b->key, sizeof(b->key), digest);
	memcpy(b->key_id, digest, sizeof(b->key_id));
	return true;
}

bool
secretbox_ring_init(struct secretbox ring[SECRETBOX_MAX_KEYS], const struct secret *current,
    const struct secret *previous, size_t nprevious)
{
	size_t i;

	if (nprevious + 1 > SECRETBOX_MAX_KEYS || !secretbox_init(&ring[0], current))
		return false;
	for (i = 0; i < nprevious; i++) {
		if (!secretbox_init(&ring[i + 1], &previous[i]))
			return false;
		ring[i].older = &ring[i + 1];
	}
	return true;
}

void
secretbox_wipe(struct secretbox *b)
{
	OPENSSL_cleanse(b, sizeof(*b));
}

/* One GCM pass; enc selects the direction. On decrypt, tag is checked. */
static bool
gcm(const struct secretbox *b, int enc, const unsigned char *nonce, const char *aad,
    const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	bool ok;

	if (ctx == NULL)
		return false;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	    EVP_CipherInit_ex(ctx, NULL, NULL, b->key, nonce, enc) == 1 &&
	    EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	    (n == 0 || EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1) &&
	    (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
	    EVP_CipherFinal_ex(ctx, out + (n == 0 ? 0 : len), &fin) == 1 &&
	    (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

enum err
secretbox_seal(const struct secretbox *b, const char *aad, const void *pt, size_t n,
    unsigned char *out, size_t cap, size_t *outlen)
{
	unsigned char *nonce = out + 5, *ct = out + 5 + NONCE_LEN;

	if (n > SECRETBOX_MAX_PLAIN || cap < n + SECRETBOX_OVERHEAD)
		return ERR_TOO_LONG;
	out[0] = BOX_VERSION;
	memcpy(out + 1, b->key_id, 4);
	if (!rand_bytes(nonce, NONCE_LEN) || !gcm(b, 1, nonce, aad, pt, n, ct, ct + n))
		return ERR_INTERNAL;
	*outlen = n + SECRETBOX_OVERHEAD;
	return ERR_OK;
}

bool
secretbox_is_current(const struct secretbox *b, const unsigned char *box, size_t n)
{
	return n >= SECRETBOX_OVERHEAD && box[0] == BOX_VERSION && memcmp(box + 1, b->key_id, 4) == 0;
}

enum err
secretbox_open(const struct secretbox *b, const char *aad, const unsigned char *in,
    size_t n, char *out, size_t cap, size_t *outlen)
{
	size_t ctlen;
	unsigned char tag[TAG_LEN];

	if (n < SECRETBOX_OVERHEAD || in[0] != BOX_VERSION || cap < n - SECRETBOX_OVERHEAD + 1)
		return ERR_INTERNAL;
	while (b != NULL && memcmp(in + 1, b->key_id, 4) != 0)
		b = b->older;
	if (b == NULL) {
		log_msg(LOG_ERROR, "secretbox", "a box was sealed under an unknown data key");
		return ERR_INTERNAL;
	}
	ctlen = n - SECRETBOX_OVERHEAD;
	memcpy(tag, in + 5 + NONCE_LEN + ctlen, TAG_LEN);
	if (!gcm(b, 0, in + 5, aad, in + 5 + NONCE_LEN, ctlen, (unsigned char *)out, tag)) {
		OPENSSL_cleanse(out, cap);
		log_msg(LOG_ERROR, "secretbox", "a box failed authentication");
		return ERR_INTERNAL;
	}
	out[ctlen] = '\0';
	*outlen = ctlen;
	return ERR_OK;
}
