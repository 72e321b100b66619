/*
 * fuzz_token.c — libFuzzer target: bearer tokens through token_verify(),
 * the path every authenticated request takes, with meetd's own key (HS256,
 * RS256 or ES256) and one identity provider whose JWK Set (P-256, RSA,
 * Ed25519) is parsed here from fixed keys (fuzz_keys.h); no database.
 *
 * The first byte picks what the rest is:
 *   mode 0: a whole token, verified under one of the three policies;
 *   modes 1-4: a header and claims (JSON, split at the first newline) that
 *   this target encodes and signs — HS256 with meetd's secret, ES256 with
 *   meetd's key, ES256 or EdDSA with the provider's — so that mutations
 *   reach the claim checks behind the signature.
 * Whatever verifies is checked against the rules token.h states.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "core/arena.h"
#include "core/b64.h"
#include "auth/jws.h"
#include "auth/token.h"

#include "fuzz_keys.h"

#define NOW 1767225600          /* 2026-01-01T00:00:00Z: the seeds' tokens are valid then */
#define MAX_TOKEN 8192
#define IDP_ISS "https://idp.example"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { POL_HS, POL_RS, POL_ES, NPOL };

static struct arena *arena;
static struct jwks *idp_keys;
static struct token_issuer idp;
static struct token_policy pol[NPOL];
static EVP_PKEY *es_priv, *idp_es_priv, *idp_ed_priv;

static EVP_PKEY *
pem_private(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (k == NULL)
		abort();
	return k;
}

static void
setup(void)
{
	struct buf why;
	int i;

	buf_init(&why, 128);
	if ((arena = arena_new(1u << 20)) == NULL ||
	    jwks_parse(fuzz_jwks, strlen(fuzz_jwks), &idp_keys, &why) != ERR_OK)
		abort();
	buf_free(&why);
	idp.iss = IDP_ISS;
	idp.audience = "meetd-api";
	idp.algs = (1u << JWS_RS256) | (1u << JWS_ES256) | (1u << JWS_EDDSA);
	idp.keys = idp_keys;
	for (i = 0; i < NPOL; i++) {
		pol[i].leeway = 30;
		pol[i].max_bytes = 4096;
		pol[i].idps = &idp;
		pol[i].nidps = 1;
	}
	/* HS256: the key parsed once, no issuer or audience, no kid */
	pol[POL_HS].alg = CFG_JWT_HS256;
	pol[POL_HS].verify_key = (const unsigned char *)fuzz_hs_secret;
	pol[POL_HS].verify_key_len = strlen(fuzz_hs_secret);
	pol[POL_HS].local_key = jws_key_from_config(JWS_HS256, pol[POL_HS].verify_key,
	    pol[POL_HS].verify_key_len);
	/* RS256: the PEM parsed per call, a kid and an audience */
	pol[POL_RS].alg = CFG_JWT_RS256;
	pol[POL_RS].verify_key = (const unsigned char *)fuzz_rs_pub;
	pol[POL_RS].verify_key_len = strlen(fuzz_rs_pub);
	pol[POL_RS].key_id = "meetd-rs";
	pol[POL_RS].audience = "meetd";
	/* ES256: an issuer */
	pol[POL_ES].alg = CFG_JWT_ES256;
	pol[POL_ES].verify_key = (const unsigned char *)fuzz_es_pub;
	pol[POL_ES].verify_key_len = strlen(fuzz_es_pub);
	pol[POL_ES].local_key = jws_key_from_config(JWS_ES256, pol[POL_ES].verify_key,
	    pol[POL_ES].verify_key_len);
	pol[POL_ES].issuer = "https://meetd.example";
	if (pol[POL_HS].local_key == NULL || pol[POL_ES].local_key == NULL)
		abort();
	es_priv = pem_private(fuzz_es_priv);
	idp_es_priv = pem_private(fuzz_idp_es_priv);
	idp_ed_priv = pem_private(fuzz_idp_ed_priv);
}

/* A JWS signature over in[0..n) into sig (at most 64 bytes); its length or 0. */
static size_t
sign(EVP_PKEY *k, const char *in, size_t n, unsigned char sig[64])
{
	unsigned char der[80];
	const unsigned char *p = der;
	size_t len = sizeof(der);
	EVP_MD_CTX *ctx;
	ECDSA_SIG *es;
	unsigned int hl = 32;
	int ok;

	if (k == NULL)
		return HMAC(EVP_sha256(), fuzz_hs_secret, (int)strlen(fuzz_hs_secret),
		    (const unsigned char *)in, n, sig, &hl) != NULL ? hl : 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		abort();
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		len = 64;
		ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
		    EVP_DigestSign(ctx, sig, &len, (const unsigned char *)in, n) == 1;
		EVP_MD_CTX_free(ctx);
		return ok ? len : 0;
	}
	ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(ctx, der, &len, (const unsigned char *)in, n) == 1;
	EVP_MD_CTX_free(ctx);
	/* JWS carries ES256 as raw R||S, not DER */
	if (!ok || (es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return 0;
	ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
	ECDSA_SIG_free(es);
	return ok ? 64 : 0;
}

/* header.claims.signature from the two JSON texts; false if too long. */
static bool
make_token(EVP_PKEY *k, const uint8_t *h, size_t hn, const uint8_t *c, size_t cn, char *out)
{
	unsigned char sig[64];
	size_t at, sl;

	if (b64url_encoded_len(hn) + b64url_encoded_len(cn) + b64url_encoded_len(64) + 3 > MAX_TOKEN)
		return false;
	b64url_encode(h, hn, out);
	at = strlen(out);
	out[at++] = '.';
	b64url_encode(c, cn, out + at);
	at += strlen(out + at);
	if ((sl = sign(k, out, at, sig)) == 0)
		return false;
	out[at++] = '.';
	b64url_encode(sig, sl, out + at);
	return true;
}

/* What token.h promises of a verified token. */
static void
check_claims(const struct token_policy *p, const struct token_claims *c)
{
	size_t n;

	if (c->sub == NULL || (n = strlen(c->sub)) == 0 || n > 255 || c->iss == NULL)
		abort();
	if (c->exp + TOKEN_MAX_LEEWAY < NOW)
		abort();
	if (c->local && c->role != NULL && strcmp(c->role, "user") != 0 && strcmp(c->role, "admin") != 0)
		abort();
	if (!c->local && strcmp(c->iss, IDP_ISS) != 0)
		abort();
	if (c->local && p->issuer != NULL && strcmp(c->iss, p->issuer) != 0)
		abort();
}

static void
verify(const struct token_policy *p, const char *token)
{
	struct token_claims c;

	arena_reset(arena);
	if (token_verify(p, token, NOW, arena, &c) == ERR_OK)
		check_claims(p, &c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char token[MAX_TOKEN + 1];
	const uint8_t *nl;
	EVP_PKEY *key;
	int mode, which;

	if (arena == NULL)
		setup();
	if (size < 1)
		return 0;
	mode = data[0] % 5;
	which = (data[0] / 5) % NPOL;
	data++;
	size--;
	if (mode == 0) {
		if (size > MAX_TOKEN)
			return 0;
		memcpy(token, data, size);
		token[size] = '\0';
		verify(&pol[which], token);
		return 0;
	}
	if ((nl = memchr(data, '\n', size)) == NULL)
		return 0;
	key = mode == 1 ? NULL : mode == 2 ? es_priv : mode == 3 ? idp_es_priv : idp_ed_priv;
	if (!make_token(key, data, (size_t)(nl - data), nl + 1, size - (size_t)(nl - data) - 1, token))
		return 0;
	verify(&pol[mode == 1 ? POL_HS : mode == 2 ? POL_ES : which], token);
	return 0;
}
