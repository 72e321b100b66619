/*
 * token.h — bearer JWT verification (reliability.md, first section;
 * RFC 8725) and issuing.
 *
 * A token is trusted by its issuer: meetd itself (its own key, used for
 * logins and `meetd token`) or one of the configured identity providers,
 * each with its exact `iss`, audience, allowed algorithms and JWK Set.
 * token_verify():
 *   - caps the token's size and requires exactly three strict base64url
 *     segments whose header and claims are JSON objects without duplicate
 *     keys;
 *   - accepts `typ` absent, "JWT", "at+jwt" or "application/at+jwt" (any
 *     case); refuses `crit`, keys embedded in or fetched for the token
 *     (jwk, jku, x5u, x5c) and every `alg` but HS256, RS256, ES256, EdDSA;
 *   - picks the issuer by the (not yet verified) `iss`: a provider whose
 *     issuer it equals, else meetd. A provider's token needs an algorithm
 *     the provider allows and the key its `kid` names (no kid: the set's
 *     only key); meetd's needs the configured algorithm and, if it has a
 *     kid, the configured one. The key's type fixes the algorithm, so an
 *     RSA public key never serves as an HMAC secret (jws.h);
 *   - requires `exp` and checks `nbf` (NumericDates: integer or real) with
 *     a leeway of at most 60 s, and `aud` (string or array);
 *   - requires a `sub` of 1 to 255 bytes.
 * Every failure is the same ERR_INVALID_TOKEN, so a caller learns nothing
 * about which check failed.
 */
#ifndef MEETD_TOKEN_H
#define MEETD_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "config/config.h"
#include "core/error.h"
#include "auth/jws.h"

#define TOKEN_MAX_LEEWAY 60

/* A configured identity provider, as token_verify sees it. */
struct token_issuer {
	const char *iss;                        /* exact iss claim */
	const char *audience;                   /* required in aud */
	unsigned algs;                          /* bit (1u << enum jws_alg) per allowed alg */
	const struct jwks *keys;                /* borrowed; NULL: none known yet (refused) */
};

struct token_policy {
	/* meetd's own key */
	enum jwt_alg_id alg;
	const unsigned char *verify_key;        /* HS secret or PEM public key; borrowed */
	size_t verify_key_len;
	const struct jws_key *local_key;        /* verify_key parsed; NULL: parsed per call */
	const unsigned char *sign_key;          /* HS secret or PEM private key; may be NULL */
	size_t sign_key_len;
	const char *issuer;                     /* NULL: not checked (claims say "meetd") */
	const char *audience;                   /* NULL: not checked */
	const char *key_id;                     /* NULL: tokens must carry no kid */
	/* both */
	int64_t leeway;                         /* clamped to TOKEN_MAX_LEEWAY */
	size_t max_bytes;
	const struct token_issuer *idps;        /* borrowed */
	size_t nidps;
};

#define TOKEN_LOCAL_ISSUER "meetd"

/* What a verified token says. Strings are arena-owned or borrowed from
 * the policy; optional ones are NULL when absent or not strings. */
struct token_claims {
	const char *iss;        /* provider's issuer, or auth.jwt_issuer / "meetd" */
	bool local;             /* signed with meetd's own key */
	const char *sub;        /* 1..255 bytes, no NUL */
	const char *role;       /* raw claim; meetd's own tokens: "user", "admin" or NULL */
	const char *name;
	const char *email;
	bool email_verified;
	int64_t iat;            /* 0 if absent */
	int64_t exp;
	const char *kid;
};

/* Policy view of a loaded config (borrows the config's secrets). */
void token_policy_from_config(const struct config *cfg, struct token_policy *out);
/* Verifies `token` at unix time `now`; ERR_OK fills *out. */
enum err token_verify(const struct token_policy *p, const char *token, int64_t now,
    struct arena *a, struct token_claims *out);
/* Signs a token for sub/role valid for ttl seconds from now. *out is
 * malloc'd (caller frees). ERR_NOT_CONFIGURED without a signing key. */
enum err token_issue(const struct token_policy *p, const char *sub, const char *role,
    int64_t now, int64_t ttl, char **out);

#endif
