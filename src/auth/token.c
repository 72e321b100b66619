/*
 * token.c — JWT verification and issuing over libjwt; see token.h for the
 * checks and why each is here. The header and payload are decoded by us
 * (strict base64url, Jansson with duplicate keys rejected) so that claim
 * types are checked exactly; libjwt is used for the signature alone.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <jwt.h>

#include "b64.h"
#include "rand.h"
#include "token.h"

void
token_policy_from_config(const struct config *cfg, struct token_policy *out)
{
	memset(out, 0, sizeof(*out));
	out->alg = cfg->jwt_algorithm;
	out->verify_key = cfg->jwt_key.data;
	out->verify_key_len = cfg->jwt_key.len;
	if (cfg->jwt_algorithm == CFG_JWT_HS256) {
		out->sign_key = cfg->jwt_key.data;
		out->sign_key_len = cfg->jwt_key.len;
	} else if (cfg->jwt_signing_key.data != NULL) {
		out->sign_key = cfg->jwt_signing_key.data;
		out->sign_key_len = cfg->jwt_signing_key.len;
	}
	out->issuer = cfg->jwt_issuer;
	out->audience = cfg->jwt_audience;
	out->key_id = cfg->jwt_key_id;
	out->leeway = cfg->jwt_leeway;
	out->max_bytes = (size_t)cfg->jwt_max_bytes;
}

static jwt_alg_t
libjwt_alg(enum jwt_alg_id a)
{
	switch (a) {
	case CFG_JWT_HS256: return JWT_ALG_HS256;
	case CFG_JWT_RS256: return JWT_ALG_RS256;
	case CFG_JWT_ES256: return JWT_ALG_ES256;
	default: return JWT_ALG_INVAL;
	}
}

/* Decodes one base64url segment as a JSON object; NULL if anything is off. */
static json_t *
segment_object(const char *s, size_t n)
{
	unsigned char *raw;
	size_t len;
	json_t *j = NULL;

	if (n == 0 || (raw = malloc(n)) == NULL)
		return NULL;
	if (b64url_decode(s, n, raw, &len))
		j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static bool
header_ok(const struct token_policy *p, json_t *h)
{
	json_t *alg = json_object_get(h, "alg"), *typ = json_object_get(h, "typ");
	json_t *kid = json_object_get(h, "kid");

	if (!json_is_string(alg) || strcmp(json_string_value(alg), config_jwt_alg_name(p->alg)) != 0)
		return false;
	if (typ != NULL && (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0))
		return false;
	if (json_object_get(h, "crit") != NULL)
		return false;
	if (kid != NULL || p->key_id != NULL) {
		if (!json_is_string(kid) || p->key_id == NULL || strcmp(json_string_value(kid), p->key_id) != 0)
			return false;
	}
	/* keys embedded in or fetched for the token are never trusted */
	if (json_object_get(h, "jwk") != NULL || json_object_get(h, "jku") != NULL ||
	    json_object_get(h, "x5u") != NULL || json_object_get(h, "x5c") != NULL)
		return false;
	return true;
}

static bool
audience_ok(json_t *aud, const char *want)
{
	size_t i;
	json_t *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (json_is_array(aud))
		json_array_foreach(aud, i, v)
			if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
				return true;
	return false;
}

/* An optional string claim copied into the arena; NULL if absent, not a
 * string, or holding a NUL. */
static const char *
claim_text(struct arena *a, json_t *c, const char *key)
{
	json_t *v = json_object_get(c, key);
	size_t n;

	if (!json_is_string(v) || (n = json_string_length(v)) == 0 ||
	    memchr(json_string_value(v), '\0', n) != NULL)
		return NULL;
	return arena_strndup(a, json_string_value(v), n);
}

static bool
claims_ok(const struct token_policy *p, json_t *c, int64_t now, struct arena *a,
    struct token_claims *out)
{
	json_t *exp = json_object_get(c, "exp"), *nbf = json_object_get(c, "nbf");
	json_t *iss = json_object_get(c, "iss"), *sub = json_object_get(c, "sub");
	json_t *role = json_object_get(c, "role");
	int64_t leeway = p->leeway < 0 ? 0 : p->leeway > TOKEN_MAX_LEEWAY ? TOKEN_MAX_LEEWAY : p->leeway;
	size_t sublen;

	if (!json_is_integer(exp) || json_integer_value(exp) + leeway < now)
		return false;
	if (nbf != NULL && (!json_is_integer(nbf) || json_integer_value(nbf) - leeway > now))
		return false;
	if (p->issuer != NULL && (!json_is_string(iss) || strcmp(json_string_value(iss), p->issuer) != 0))
		return false;
	if (p->audience != NULL && !audience_ok(json_object_get(c, "aud"), p->audience))
		return false;
	if (!json_is_string(sub) || (sublen = json_string_length(sub)) == 0 || sublen > 255 ||
	    memchr(json_string_value(sub), '\0', sublen) != NULL)
		return false;
	if (role == NULL)
		out->role = "user";
	else if (json_is_string(role) && strcmp(json_string_value(role), "user") == 0)
		out->role = "user";
	else if (json_is_string(role) && strcmp(json_string_value(role), "admin") == 0)
		out->role = "admin";
	else
		return false;
	out->sub = arena_strndup(a, json_string_value(sub), sublen);
	out->exp = json_integer_value(exp);
	/* profile claims (OpenID Connect): taken when they are strings */
	out->name = claim_text(a, c, "name");
	out->email = claim_text(a, c, "email");
	out->email_verified = json_is_true(json_object_get(c, "email_verified"));
	return out->sub != NULL;
}

enum err
token_verify(const struct token_policy *p, const char *token, int64_t now,
    struct arena *a, struct token_claims *out)
{
	const char *dot1, *dot2;
	json_t *header = NULL, *claims = NULL;
	jwt_t *jwt = NULL;
	size_t len;
	bool ok = false;

	if (token == NULL || p->verify_key == NULL)
		return ERR_INVALID_TOKEN;
	len = strnlen(token, p->max_bytes + 1);
	if (len == 0 || len > p->max_bytes)
		return ERR_INVALID_TOKEN;
	if ((dot1 = strchr(token, '.')) == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL || dot2[1] == '\0')
		return ERR_INVALID_TOKEN;
	header = segment_object(token, (size_t)(dot1 - token));
	if (header == NULL || !header_ok(p, header))
		goto out;
	claims = segment_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (claims == NULL)
		goto out;
	/* signature: libjwt with the key always given, then the alg re-checked */
	if (jwt_decode(&jwt, token, p->verify_key, (int)p->verify_key_len) != 0 || jwt == NULL ||
	    jwt_get_alg(jwt) != libjwt_alg(p->alg))
		goto out;
	ok = claims_ok(p, claims, now, a, out);
out:
	jwt_free(jwt);
	json_decref(header);
	json_decref(claims);
	return ok ? ERR_OK : ERR_INVALID_TOKEN;
}

enum err
token_issue(const struct token_policy *p, const char *sub, const char *role,
    int64_t now, int64_t ttl, char **out)
{
	unsigned char rnd[16];
	char jti[32];
	jwt_t *jwt = NULL;
	enum err e = ERR_INTERNAL;

	*out = NULL;
	if (p->sign_key == NULL)
		return ERR_NOT_CONFIGURED;
	if (jwt_new(&jwt) != 0)
		return ERR_NOMEM;
	if (!rand_bytes(rnd, sizeof(rnd)))
		goto out;
	b64url_encode(rnd, sizeof(rnd), jti);
	if (jwt_add_grant(jwt, "sub", sub) != 0 || jwt_add_grant(jwt, "role", role) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "nbf", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(now + ttl)) != 0 ||
	    jwt_add_grant(jwt, "jti", jti) != 0)
		goto out;
	if (p->issuer != NULL && jwt_add_grant(jwt, "iss", p->issuer) != 0)
		goto out;
	if (p->audience != NULL && jwt_add_grant(jwt, "aud", p->audience) != 0)
		goto out;
	if (p->key_id != NULL && jwt_add_header(jwt, "kid", p->key_id) != 0)
		goto out;
	if (jwt_set_alg(jwt, libjwt_alg(p->alg), p->sign_key, (int)p->sign_key_len) != 0)
		goto out;
	if ((*out = jwt_encode_str(jwt)) != NULL)
		e = ERR_OK;
out:
	jwt_free(jwt);
	return e;
}
