/*
 * token.h — the JWT wrapper (reliability.md, first section; RFC 8725).
 *
 * libjwt 1.10 verifies with whatever `alg` a token names and checks no
 * claim, so every token goes through token_verify(), which:
 *   - caps the token's size and requires exactly three base64url segments;
 *   - pins the algorithm: the header's alg must equal the configured one
 *     (this also stops HS256 tokens "signed" with an RSA public key), and
 *     rejects `crit`, and any `kid` other than the configured one;
 *   - always passes the key to libjwt for the signature check;
 *   - requires an integer `exp`, checks `nbf`, `iss` and `aud` when
 *     configured, with a leeway of at most 60 s;
 *   - requires a non-empty `sub` and a known `role` (default "user").
 * Every failure is the same ERR_INVALID_TOKEN, so a caller learns nothing
 * about which check failed.
 */
#ifndef MEETD_TOKEN_H
#define MEETD_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "config.h"
#include "error.h"

#define TOKEN_MAX_LEEWAY 60

struct token_policy {
	enum jwt_alg_id alg;
	const unsigned char *verify_key;        /* HS secret or PEM public key; borrowed */
	size_t verify_key_len;
	const unsigned char *sign_key;          /* HS secret or PEM private key; may be NULL */
	size_t sign_key_len;
	const char *issuer;                     /* NULL: not checked */
	const char *audience;                   /* NULL: not checked */
	const char *key_id;                     /* NULL: tokens must carry no kid */
	int64_t leeway;                         /* clamped to TOKEN_MAX_LEEWAY */
	size_t max_bytes;
};

struct token_claims {
	const char *sub;        /* arena-owned */
	const char *role;       /* "user" or "admin" (static) */
	int64_t exp;
	const char *name;       /* profile claims, arena-owned; NULL if absent */
	const char *email;
	bool email_verified;
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
