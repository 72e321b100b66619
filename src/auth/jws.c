/*
 * jws.c — see jws.h. Only this file (with crypto.c and jwt_sign.c) talks
 * to OpenSSL's key and signature APIs.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "core/b64.h"
#include "auth/crypto.h"
#include "auth/jws.h"

#define HS256_MIN_SECRET 32
#define RSA_MIN_BITS 2048
#define RSA_MAX_BYTES 1024      /* 8192-bit modulus */

struct jws_key {
	enum jws_alg alg;
	char kid[JWS_KID_MAX + 1];      /* "" when the key has none */
	EVP_PKEY *pkey;                 /* RS256, ES256, EdDSA */
	unsigned char *secret;          /* HS256 */
	size_t secret_len;
};

struct jwks {
	size_t n;
	struct jws_key *keys[JWKS_MAX_KEYS];
};

static const char *const alg_names[JWS__MAX] = { "HS256", "RS256", "ES256", "EdDSA" };

const char *
jws_alg_name(enum jws_alg alg)
{
	return (unsigned)alg < JWS__MAX ? alg_names[alg] : "?";
}

bool
jws_alg_parse(const char *name, enum jws_alg *out)
{
	size_t i;

	for (i = 0; i < JWS__MAX; i++) {
		if (strcmp(name, alg_names[i]) == 0) {
			*out = (enum jws_alg)i;
			return true;
		}
	}
	return false;
}

/* The algorithm a public key can verify, or JWS__MAX. */
static enum jws_alg
pkey_alg(EVP_PKEY *pk)
{
	char group[32];
	size_t glen = 0;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return EVP_PKEY_get_bits(pk) >= RSA_MIN_BITS ? JWS_RS256 : JWS__MAX;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) == 1 &&
		    (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0))
			return JWS_ES256;
		return JWS__MAX;
	case EVP_PKEY_ED25519:
		return JWS_EDDSA;
	default:
		return JWS__MAX;
	}
}

static struct jws_key *
key_new(enum jws_alg alg)
{
	struct jws_key *k = calloc(1, sizeof(*k));

	if (k != NULL)
		k->alg = alg;
	return k;
}

void
jws_key_free(struct jws_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	if (k->secret != NULL) {
		crypto_wipe(k->secret, k->secret_len);
		free(k->secret);
	}
	free(k);
}

enum jws_alg
jws_key_alg(const struct jws_key *k)
{
	return k->alg;
}

struct jws_key *
jws_key_from_config(enum jws_alg alg, const unsigned char *data, size_t len)
{
	struct jws_key *k;
	BIO *bio;

	if (data == NULL || (k = key_new(alg)) == NULL)
		return NULL;
	if (alg == JWS_HS256) {
		if (len < HS256_MIN_SECRET || (k->secret = malloc(len)) == NULL) {
			free(k);
			return NULL;
		}
		memcpy(k->secret, data, len);
		k->secret_len = len;
		return k;
	}
	if (len > 64 * 1024 || (bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		free(k);
		return NULL;
	}
	k->pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (k->pkey == NULL || pkey_alg(k->pkey) != alg) {
		jws_key_free(k);
		return NULL;
	}
	return k;
}

/* Raw R||S (32 + 32 bytes) to the DER ECDSA-Sig-Value EVP expects. */
static unsigned char *
es256_der(const unsigned char *sig, size_t siglen, size_t *derlen)
{
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	int n;

	*derlen = 0;
	/* the length first: a shorter signature must not be read past its end
	 * (found by fuzz_token under ASan) */
	if (siglen != 64)
		return NULL;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	/* r and s now belong to es */
	if ((n = i2d_ECDSA_SIG(es, &der)) > 0)
		*derlen = (size_t)n;
	ECDSA_SIG_free(es);
	return der;
}

static bool
pkey_verify(EVP_PKEY *pk, const EVP_MD *md, const void *input, size_t n,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, input, n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

bool
jws_verify(const struct jws_key *k, enum jws_alg alg, const void *input, size_t n,
    const unsigned char *sig, size_t siglen)
{
	unsigned char mac[EVP_MAX_MD_SIZE], *der;
	unsigned int maclen = 0;
	size_t derlen;
	bool ok;

	if (k == NULL || alg != k->alg)
		return false;
	switch (alg) {
	case JWS_HS256:
		if (HMAC(EVP_sha256(), k->secret, (int)k->secret_len, input, n, mac, &maclen) == NULL ||
		    maclen != SHA256_LEN)
			return false;
		/* the length is public (always 32); the bytes are compared in
		 * constant time, never with an early exit */
		ok = siglen == SHA256_LEN && CRYPTO_memcmp(mac, sig, SHA256_LEN) == 0;
		crypto_wipe(mac, sizeof(mac));
		return ok;
	case JWS_RS256:
		if (siglen != (size_t)EVP_PKEY_get_size(k->pkey))
			return false;
		return pkey_verify(k->pkey, EVP_sha256(), input, n, sig, siglen);
	case JWS_ES256:
		if ((der = es256_der(sig, siglen, &derlen)) == NULL)
			return false;
		ok = pkey_verify(k->pkey, EVP_sha256(), input, n, der, derlen);
		OPENSSL_free(der);
		return ok;
	case JWS_EDDSA:
		return siglen == 64 && pkey_verify(k->pkey, NULL, input, n, sig, siglen);
	default:
		return false;
	}
}

/* --- JWK Sets ---------------------------------------------------------- */

/* Decodes a base64url member of at most max bytes; len 0 on failure. */
static size_t
member_bytes(json_t *jwk, const char *name, unsigned char *out, size_t max)
{
	json_t *v = json_object_get(jwk, name);
	size_t n, len = 0;

	if (!json_is_string(v) || (n = json_string_length(v)) == 0 || n > (max * 4 + 2) / 3 ||
	    !b64url_decode(json_string_value(v), n, out, &len))
		return 0;
	return len;
}

static bool
member_is(json_t *jwk, const char *name, const char *want)
{
	json_t *v = json_object_get(jwk, name);

	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY *pk = NULL;

	if (ctx == NULL || params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static EVP_PKEY *
rsa_key(json_t *jwk)
{
	unsigned char n[RSA_MAX_BYTES], e[8];
	size_t nl = member_bytes(jwk, "n", n, sizeof(n)), el = member_bytes(jwk, "e", e, sizeof(e));
	OSSL_PARAM_BLD *bld;
	BIGNUM *bn = NULL, *be = NULL;
	EVP_PKEY *pk = NULL;

	if (nl == 0 || el == 0 || (bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if ((bn = BN_bin2bn(n, (int)nl, NULL)) != NULL && (be = BN_bin2bn(e, (int)el, NULL)) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
		pk = from_params("RSA", bld);
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* A P-256 coordinate into out[32]. RFC 7518 wants all 32 bytes, but some
 * issuers (and PyJWT before 2.8) drop leading zero bytes, one key in 128:
 * such a value is the same number, so it is padded back; OpenSSL then
 * checks that the point is on the curve. */
static bool
ec_coordinate(json_t *jwk, const char *name, unsigned char out[32])
{
	unsigned char v[32];
	size_t n = member_bytes(jwk, name, v, sizeof(v));

	if (n == 0)
		return false;
	memset(out, 0, 32 - n);
	memcpy(out + 32 - n, v, n);
	return true;
}

static EVP_PKEY *
ec_key(json_t *jwk)
{
	unsigned char pub[65];
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pk = NULL;

	pub[0] = 0x04;  /* uncompressed point: 04 || x || y */
	if (!member_is(jwk, "crv", "P-256") || !ec_coordinate(jwk, "x", pub + 1) ||
	    !ec_coordinate(jwk, "y", pub + 33) || (bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) == 1)
		pk = from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

static EVP_PKEY *
okp_key(json_t *jwk)
{
	unsigned char x[32];

	if (!member_is(jwk, "crv", "Ed25519") || member_bytes(jwk, "x", x, sizeof(x)) != 32)
		return NULL;
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof(x));
}

/* One set member: 1 added, 0 skipped (not for us), -1 malformed. */
static int
add_jwk(struct jwks *s, json_t *jwk, size_t index, struct buf *why)
{
	json_t *kty = json_object_get(jwk, "kty"), *kid = json_object_get(jwk, "kid");
	json_t *alg = json_object_get(jwk, "alg"), *use = json_object_get(jwk, "use");
	const char *t;
	struct jws_key *k;
	enum jws_alg want;
	EVP_PKEY *pk;
	size_t i;

	if (!json_is_object(jwk) || !json_is_string(kty)) {
		buf_printf(why, "key %zu: not an object with a string kty", index);
		return -1;
	}
	t = json_string_value(kty);
	if (use != NULL && !member_is(jwk, "use", "sig"))
		return 0;       /* an encryption key */
	if (json_object_get(jwk, "d") != NULL) {
		buf_printf(why, "key %zu: holds a private key (d): publish public keys only", index);
		return -1;
	}
	if (strcmp(t, "RSA") == 0)
		pk = rsa_key(jwk);
	else if (strcmp(t, "EC") == 0 && member_is(jwk, "crv", "P-256"))
		pk = ec_key(jwk);
	else if (strcmp(t, "OKP") == 0 && member_is(jwk, "crv", "Ed25519"))
		pk = okp_key(jwk);
	else
		return 0;       /* another curve or type: not usable here */
	if (pk == NULL || (want = pkey_alg(pk)) == JWS__MAX) {
		EVP_PKEY_free(pk);
		buf_printf(why, "key %zu: malformed or too weak %s key", index, t);
		return -1;
	}
	if (alg != NULL && !member_is(jwk, "alg", jws_alg_name(want))) {
		EVP_PKEY_free(pk);
		return 0;       /* e.g. an RSA key published for PS256 */
	}
	if (kid != NULL && (!json_is_string(kid) || json_string_length(kid) == 0 ||
	    json_string_length(kid) > JWS_KID_MAX || strlen(json_string_value(kid)) != json_string_length(kid))) {
		EVP_PKEY_free(pk);
		buf_printf(why, "key %zu: kid must be a string of 1 to %d characters", index, JWS_KID_MAX);
		return -1;
	}
	if (s->n == JWKS_MAX_KEYS) {
		EVP_PKEY_free(pk);
		buf_printf(why, "more than %d usable keys", JWKS_MAX_KEYS);
		return -1;
	}
	for (i = 0; kid != NULL && i < s->n; i++) {
		if (strcmp(s->keys[i]->kid, json_string_value(kid)) == 0) {
			EVP_PKEY_free(pk);
			buf_printf(why, "key %zu: duplicate kid", index);
			return -1;
		}
	}
	if ((k = key_new(want)) == NULL) {
		EVP_PKEY_free(pk);
		buf_printf(why, "out of memory");
		return -1;
	}
	k->pkey = pk;
	if (kid != NULL)
		memcpy(k->kid, json_string_value(kid), json_string_length(kid) + 1);
	s->keys[s->n++] = k;
	return 1;
}

enum err
jwks_parse(const char *text, size_t n, struct jwks **out, struct buf *why)
{
	json_t *root, *keys, *jwk;
	struct jwks *s;
	size_t i;

	*out = NULL;
	root = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
	keys = json_object_get(root, "keys");
	if (!json_is_array(keys)) {
		buf_printf(why, "not a JWK Set (a JSON object with a \"keys\" array)");
		json_decref(root);
		return ERR_CONFIG;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		json_decref(root);
		return ERR_NOMEM;
	}
	json_array_foreach(keys, i, jwk) {
		if (add_jwk(s, jwk, i, why) < 0) {
			jwks_free(s);
			json_decref(root);
			return ERR_CONFIG;
		}
	}
	json_decref(root);
	if (s->n == 0) {
		buf_printf(why, "no usable signing key (RSA, EC P-256 or OKP Ed25519)");
		jwks_free(s);
		return ERR_CONFIG;
	}
	*out = s;
	return ERR_OK;
}

void
jwks_free(struct jwks *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		jws_key_free(s->keys[i]);
	free(s);
}

size_t
jwks_count(const struct jwks *s)
{
	return s != NULL ? s->n : 0;
}

const struct jws_key *
jwks_find(const struct jwks *s, const char *kid)
{
	size_t i;

	if (s == NULL)
		return NULL;
	if (kid == NULL)
		return s->n == 1 ? s->keys[0] : NULL;
	for (i = 0; i < s->n; i++)
		if (s->keys[i]->kid[0] != '\0' && strcmp(s->keys[i]->kid, kid) == 0)
			return s->keys[i];
	return NULL;
}
