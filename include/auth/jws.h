/*
 * jws.h — JWS signature verification and public keys, over OpenSSL 3.
 *
 * libjwt 1.10 compares HMACs with an early-exit strcmp and reads no JWK,
 * so meetd checks signatures itself (libjwt still signs):
 *   - HS256: HMAC-SHA256 recomputed and compared with CRYPTO_memcmp over
 *     the full 32 bytes (constant time);
 *   - RS256: RSASSA-PKCS1-v1_5 with SHA-256;
 *   - ES256: P-256 with SHA-256; the JWS signature is raw R||S (64 bytes,
 *     any other length refused) and is re-encoded as a DER ECDSA-Sig;
 *   - EdDSA: Ed25519.
 * A key is usable for exactly one algorithm, which follows from its type
 * (an HS256 secret, an RSA, P-256 or Ed25519 public key): a token cannot
 * make an RSA public key act as an HMAC secret.
 *
 * Keys come from a PEM public key, a raw HS256 secret, or a JWK Set
 * (RFC 7517: kty RSA n/e, EC crv P-256 x/y, OKP crv Ed25519 x). Sets are
 * malloc'd: jwks_free() releases them (jwks_free(NULL) is a no-op).
 */
#ifndef MEETD_JWS_H
#define MEETD_JWS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

enum jws_alg { JWS_HS256, JWS_RS256, JWS_ES256, JWS_EDDSA, JWS__MAX };

#define JWS_KID_MAX 128         /* longest kid kept; longer ones are refused */
#define JWKS_MAX_KEYS 16        /* keys in one set: rotation needs two or three */

struct jws_key;
struct jwks;

/* "HS256", "RS256", "ES256", "EdDSA". */
const char *jws_alg_name(enum jws_alg alg);
/* Exact (case-sensitive) name to algorithm; false if unknown. */
bool jws_alg_parse(const char *name, enum jws_alg *out);

/* One key from PEM text (public key: RS256 needs RSA, ES256 a P-256 key,
 * EdDSA Ed25519) or, for HS256, the secret bytes. NULL if the key does
 * not fit the algorithm. Caller owns: jws_key_free. */
struct jws_key *jws_key_from_config(enum jws_alg alg, const unsigned char *data, size_t len);
void jws_key_free(struct jws_key *k);
enum jws_alg jws_key_alg(const struct jws_key *k);

/*
 * Checks `sig` over `input` with key k for algorithm alg. False when alg
 * is not the key's algorithm, the signature has the wrong length or does
 * not verify. Every byte of an HS256 MAC is compared (CRYPTO_memcmp).
 */
bool jws_verify(const struct jws_key *k, enum jws_alg alg, const void *input, size_t n,
    const unsigned char *sig, size_t siglen);

/* Parses a JWK Set. Keys of other types or curves, private members and
 * "use" other than "sig" are skipped; a malformed usable key, a duplicate
 * kid, no usable key at all or more than JWKS_MAX_KEYS fail with a reason
 * in why (ERR_CONFIG). *out: caller owns. */
enum err jwks_parse(const char *text, size_t n, struct jwks **out, struct buf *why);
void jwks_free(struct jwks *s);
size_t jwks_count(const struct jwks *s);
/* The key with this kid (NULL kid: the set's only key, if it has one). */
const struct jws_key *jwks_find(const struct jwks *s, const char *kid);

#endif
