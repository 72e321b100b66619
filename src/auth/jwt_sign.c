/*
 * jwt_sign.c — see jwt_sign.h.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/b64.h"
#include "auth/jwt_sign.h"

/* Appends base64url(s) at p; returns the number of characters written. */
static size_t
put_b64(char *p, const void *s, size_t n)
{
	b64url_encode(s, n, p);
	return strlen(p);
}

enum err
jwt_sign_rs256(struct arena *a, const char *pem, size_t pem_len, const char *header_json,
    const char *claims_json, const char **out)
{
	size_t hn = strlen(header_json), cn = strlen(claims_json), len, siglen = 0;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *sig = NULL;
	enum err e = ERR_CONFIG;
	BIO *bio;
	char *tok;

	*out = NULL;
	if (pem_len > (size_t)INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)pem_len)) == NULL)
		return ERR_NOMEM;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		goto done;
	/* header.claims.signature, each base64url; the signature is the key size */
	tok = arena_alloc(a, b64url_encoded_len(hn) + b64url_encoded_len(cn) +
	    b64url_encoded_len((size_t)EVP_PKEY_get_size(key)) + 3);
	if (tok == NULL || (sig = OPENSSL_malloc((size_t)EVP_PKEY_get_size(key))) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL) {
		e = ERR_NOMEM;
		goto done;
	}
	len = put_b64(tok, header_json, hn);
	tok[len++] = '.';
	len += put_b64(tok + len, claims_json, cn);
	siglen = (size_t)EVP_PKEY_get_size(key);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)tok, len) != 1)
		goto done;
	tok[len++] = '.';
	put_b64(tok + len, sig, siglen);
	*out = tok;
	e = ERR_OK;
done:
	EVP_MD_CTX_free(md);
	OPENSSL_free(sig);
	EVP_PKEY_free(key);
	return e;
}
