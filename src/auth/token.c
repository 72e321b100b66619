/*
 * token.c — JWT verification (see token.h) and issuing. The header and
 * payload are decoded by us (strict base64url, Jansson with duplicate keys
 * rejected) so that claim types are checked exactly; the signature is
 * checked by jws.c over OpenSSL. libjwt only signs (token_issue).
 */
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <strings.h>

#include <jansson.h>

#include "core/b64.h"
#include "auth/jws.h"
#include "core/rand.h"
#include "auth/jwt_sign.h"
#include "auth/token.h"
#include "core/jsonw.h"

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
typ_ok(json_t *typ)
{
	const char *t;

	if (typ == NULL)
		return true;
	if (!json_is_string(typ))
		return false;
	t = json_string_value(typ);
	return strcasecmp(t, "JWT") == 0 || strcasecmp(t, "at+jwt") == 0 ||
	    strcasecmp(t, "application/at+jwt") == 0;
}

/* Header checks common to every issuer; fills alg and kid (borrowed from h). */
static bool
header_ok(json_t *h, enum jws_alg *alg, const char **kid)
{
	json_t *a = json_object_get(h, "alg"), *k = json_object_get(h, "kid");

	if (!json_is_string(a) || !jws_alg_parse(json_string_value(a), alg))
		return false;   /* also "none" */
	if (!typ_ok(json_object_get(h, "typ")) || json_object_get(h, "crit") != NULL)
		return false;
	/* keys embedded in or fetched for the token are never trusted */
	if (json_object_get(h, "jwk") != NULL || json_object_get(h, "jku") != NULL ||
	    json_object_get(h, "x5u") != NULL || json_object_get(h, "x5c") != NULL)
		return false;
	*kid = NULL;
	if (k != NULL) {
		if (!json_is_string(k) || json_string_length(k) == 0 || json_string_length(k) > JWS_KID_MAX ||
		    strlen(json_string_value(k)) != json_string_length(k))
			return false;
		*kid = json_string_value(k);
	}
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

/* A NumericDate (RFC 7519: seconds, possibly fractional) or false. */
static bool
numeric_date(json_t *v, double *out)
{
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return isfinite(*out) && *out > -1e15 && *out < 1e15;
}

/* An optional string claim copied into the arena; NULL if absent or not a
 * string (informational claims do not fail the token). */
static const char *
opt_string(json_t *c, const char *name, struct arena *a)
{
	json_t *v = json_object_get(c, name);

	if (!json_is_string(v) || json_string_length(v) > 1024 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return arena_strndup(a, json_string_value(v), json_string_length(v));
}

static bool
claims_ok(const struct token_policy *p, const char *audience, json_t *c, int64_t now,
    struct arena *a, struct token_claims *out)
{
	json_t *sub = json_object_get(c, "sub"), *role = json_object_get(c, "role");
	json_t *ev = json_object_get(c, "email_verified");
	int64_t leeway = p->leeway < 0 ? 0 : p->leeway > TOKEN_MAX_LEEWAY ? TOKEN_MAX_LEEWAY : p->leeway;
	double exp, nbf, iat;
	size_t sublen;

	if (!numeric_date(json_object_get(c, "exp"), &exp) || exp + (double)leeway < (double)now)
		return false;
	if (json_object_get(c, "nbf") != NULL &&
	    (!numeric_date(json_object_get(c, "nbf"), &nbf) || nbf - (double)leeway > (double)now))
		return false;
	iat = 0;
	if (json_object_get(c, "iat") != NULL && !numeric_date(json_object_get(c, "iat"), &iat))
		return false;
	if (audience != NULL && !audience_ok(json_object_get(c, "aud"), audience))
		return false;
	if (!json_is_string(sub) || (sublen = json_string_length(sub)) == 0 || sublen > 255 ||
	    memchr(json_string_value(sub), '\0', sublen) != NULL)
		return false;
	if (out->local) {
		/* meetd issues only these two roles: anything else is not ours */
		if (role == NULL)
			out->role = NULL;
		else if (json_is_string(role) && strcmp(json_string_value(role), "user") == 0)
			out->role = "user";
		else if (json_is_string(role) && strcmp(json_string_value(role), "admin") == 0)
			out->role = "admin";
		else
			return false;
	} else {
		out->role = opt_string(c, "role", a);
	}
	out->sub = arena_strndup(a, json_string_value(sub), sublen);
	out->name = opt_string(c, "name", a);
	out->email = opt_string(c, "email", a);
	out->email_verified = json_is_true(ev);
	out->exp = (int64_t)exp;
	out->iat = (int64_t)iat;
	return out->sub != NULL;
}

/* The provider whose issuer is the token's iss claim, or NULL (meetd). */
static const struct token_issuer *
pick_issuer(const struct token_policy *p, json_t *claims)
{
	json_t *iss = json_object_get(claims, "iss");
	size_t i;

	if (!json_is_string(iss))
		return NULL;
	for (i = 0; i < p->nidps; i++)
		if (strcmp(p->idps[i].iss, json_string_value(iss)) == 0)
			return &p->idps[i];
	return NULL;
}

/* meetd's own key with its rules; *owned is set when the key was parsed
 * for this call. */
static const struct jws_key *
local_key(const struct token_policy *p, json_t *claims, enum jws_alg alg, const char *kid,
    struct jws_key **owned)
{
	json_t *iss = json_object_get(claims, "iss");

	*owned = NULL;
	if ((int)alg != (int)p->alg)
		return NULL;
	if (kid != NULL && (p->key_id == NULL || strcmp(kid, p->key_id) != 0))
		return NULL;
	if (p->issuer != NULL && (!json_is_string(iss) || strcmp(json_string_value(iss), p->issuer) != 0))
		return NULL;
	if (p->local_key != NULL)
		return p->local_key;
	*owned = jws_key_from_config(alg, p->verify_key, p->verify_key_len);
	return *owned;
}

enum err
token_verify(const struct token_policy *p, const char *token, int64_t now,
    struct arena *a, struct token_claims *out)
{
	const char *dot1, *dot2, *kid = NULL, *audience;
	const struct token_issuer *idp;
	const struct jws_key *key;
	struct jws_key *owned = NULL;
	json_t *header = NULL, *claims = NULL;
	unsigned char *sig = NULL;
	enum jws_alg alg;
	size_t len, siglen = 0;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (token == NULL)
		return ERR_INVALID_TOKEN;
	len = strnlen(token, p->max_bytes + 1);
	if (len == 0 || len > p->max_bytes)
		return ERR_INVALID_TOKEN;
	if ((dot1 = strchr(token, '.')) == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL || dot2[1] == '\0')
		return ERR_INVALID_TOKEN;
	header = segment_object(token, (size_t)(dot1 - token));
	if (header == NULL || !header_ok(header, &alg, &kid))
		goto out;
	claims = segment_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (claims == NULL)
		goto out;
	if ((idp = pick_issuer(p, claims)) != NULL) {
		if ((idp->algs & (1u << alg)) == 0 || (key = jwks_find(idp->keys, kid)) == NULL)
			goto out;
		audience = idp->audience;
		out->iss = idp->iss;
	} else {
		if ((key = local_key(p, claims, alg, kid, &owned)) == NULL)
			goto out;
		audience = p->audience;
		out->iss = p->issuer != NULL ? p->issuer : TOKEN_LOCAL_ISSUER;
		out->local = true;
	}
	len = strlen(dot2 + 1);
	if ((sig = malloc(len)) == NULL || !b64url_decode(dot2 + 1, len, sig, &siglen) ||
	    !jws_verify(key, alg, token, (size_t)(dot2 - token), sig, siglen))
		goto out;
	if (kid != NULL && (out->kid = arena_strndup(a, kid, strlen(kid))) == NULL)
		goto out;
	ok = claims_ok(p, audience, claims, now, a, out);
out:
	free(sig);
	jws_key_free(owned);
	json_decref(header);
	json_decref(claims);
	if (!ok)
		memset(out, 0, sizeof(*out));
	return ok ? ERR_OK : ERR_INVALID_TOKEN;
}

enum err
token_issue(const struct token_policy *p, const char *sub, const char *role,
    int64_t now, int64_t ttl, char **out)
{
	unsigned char rnd[16];
	char jti[32];
	struct arena *a;
	struct buf claims;
	struct jsonw w;
	const char *signed_tok = NULL;
	enum err e;

	*out = NULL;
	if (p->sign_key == NULL)
		return ERR_NOT_CONFIGURED;
	if (!rand_bytes(rnd, sizeof(rnd)))
		return ERR_INTERNAL;
	b64url_encode(rnd, sizeof(rnd), jti);
	buf_init(&claims, 4096);
	jw_init(&w, &claims);
	jw_obj_open(&w);
	jw_kstr(&w, "sub", sub);
	jw_kstr(&w, "role", role);
	jw_kint(&w, "iat", now);
	jw_kint(&w, "nbf", now);
	jw_kint(&w, "exp", now + ttl);
	jw_kstr(&w, "jti", jti);
	if (p->issuer != NULL)
		jw_kstr(&w, "iss", p->issuer);
	if (p->audience != NULL)
		jw_kstr(&w, "aud", p->audience);
	jw_obj_close(&w);
	if (claims.failed || (a = arena_new(64 * 1024)) == NULL) {
		buf_free(&claims);
		return ERR_NOMEM;
	}
	/* meetd's key ids are the configured algorithms of jws.h, in order */
	e = jwt_sign(a, (enum jws_alg)p->alg, p->sign_key, p->sign_key_len, p->key_id, buf_cstr(&claims),
	    &signed_tok);
	if (e == ERR_OK && (*out = strdup(signed_tok)) == NULL)
		e = ERR_NOMEM;
	buf_free(&claims);
	arena_free(a);
	return e == ERR_CONFIG ? ERR_INTERNAL : e;
}
