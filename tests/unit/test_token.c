/*
 * test_token.c — the JWT wrapper against forged tokens (reliability.md
 * T29/T30). Keys are generated in memory; forged tokens are assembled by
 * hand so each one differs from a valid token in exactly one way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "core/b64.h"
#include "auth/crypto.h"
#include "auth/token.h"

#define NOW 1800000000

static const char hs_key[] = "an-hs256-secret-of-more-than-32-bytes!!";
static char *rsa_pub, *rsa_priv, *ec_pub, *ec_priv;
static struct arena *arena;

static char *
pem(EVP_PKEY *k, bool priv)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (priv)
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PUBKEY(b, k);
	n = BIO_get_mem_data(b, &data);
	out = calloc(1, (size_t)n + 1);
	memcpy(out, data, (size_t)n);
	BIO_free(b);
	return out;
}

static int
setup(void **state)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");

	(void)state;
	if (rsa == NULL || ec == NULL)
		return -1;
	rsa_pub = pem(rsa, false);
	rsa_priv = pem(rsa, true);
	ec_pub = pem(ec, false);
	ec_priv = pem(ec, true);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	arena = arena_new(1 << 20);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(rsa_pub);
	free(rsa_priv);
	free(ec_pub);
	free(ec_priv);
	arena_free(arena);
	return 0;
}

static struct token_policy
hs_policy(void)
{
	struct token_policy p = {
		.alg = CFG_JWT_HS256,
		.verify_key = (const unsigned char *)hs_key, .verify_key_len = sizeof(hs_key) - 1,
		.sign_key = (const unsigned char *)hs_key, .sign_key_len = sizeof(hs_key) - 1,
		.leeway = 30, .max_bytes = 4096,
	};
	return p;
}

static struct token_policy
rs_policy(void)
{
	struct token_policy p = {
		.alg = CFG_JWT_RS256,
		.verify_key = (const unsigned char *)rsa_pub, .verify_key_len = strlen(rsa_pub),
		.sign_key = (const unsigned char *)rsa_priv, .sign_key_len = strlen(rsa_priv),
		.leeway = 30, .max_bytes = 4096,
	};
	return p;
}

static char *
seg(const char *json)
{
	char *out = malloc(b64url_encoded_len(strlen(json)) + 1);

	b64url_encode(json, strlen(json), out);
	return out;
}

/* header.payload signed with HMAC-SHA256 under key (or unsigned). */
static char *
forge(const char *header, const char *payload, const void *key, size_t keylen)
{
	char *h = seg(header), *p = seg(payload), *out;
	unsigned char mac[32];
	unsigned int maclen = 0;
	char sig[64] = "";
	size_t n;

	n = strlen(h) + strlen(p) + 2;
	out = malloc(n + 64);
	snprintf(out, n + 64, "%s.%s", h, p);
	if (key != NULL) {
		HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)out, strlen(out), mac, &maclen);
		b64url_encode(mac, maclen, sig);
	}
	snprintf(out + strlen(out), 64, ".%s", sig);
	free(h);
	free(p);
	return out;
}

static enum err
verify(const struct token_policy *p, const char *tok)
{
	struct token_claims c;

	arena_reset(arena);
	return token_verify(p, tok, NOW, arena, &c);
}

#define HS "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define GOOD "{\"sub\":\"u1\",\"exp\":1800000100}"
#define S16 "0123456789abcdef"
#define S256 S16 S16 S16 S16 S16 S16 S16 S16 S16 S16 S16 S16 S16 S16 S16 S16

/* RFC 7519 NumericDates may be real; typ may name an access token. */
static void
real_dates_and_typ(void **state)
{
	struct token_policy p = hs_policy();
	struct token_claims c;
	const size_t kl = strlen(hs_key);
	const char *typs[] = { "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt" };
	char hdr[96];
	char *t;
	size_t i;

	(void)state;
	t = forge(HS, "{\"sub\":\"u1\",\"exp\":1800000100.5,\"nbf\":1799999999.25,\"iat\":1799999999.75,"
	    "\"name\":\"Ada\",\"email\":\"ada@example.org\",\"email_verified\":true}", hs_key, kl);
	assert_int_equal(token_verify(&p, t, NOW, arena, &c), ERR_OK);
	assert_int_equal(c.exp, 1800000100);
	assert_int_equal(c.iat, 1799999999);
	assert_true(c.local);
	assert_string_equal(c.iss, "meetd");
	assert_null(c.role);
	assert_null(c.kid);
	assert_string_equal(c.name, "Ada");
	assert_string_equal(c.email, "ada@example.org");
	assert_true(c.email_verified);
	free(t);
	for (i = 0; i < sizeof(typs) / sizeof(typs[0]); i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"%s\"}", typs[i]);
		t = forge(hdr, GOOD, hs_key, kl);
		if (verify(&p, t) != ERR_OK)
			fail_msg("refused typ %s", typs[i]);
		free(t);
	}
	/* a sub of 256 bytes is refused (identities are keyed on 255) */
	t = forge(HS, "{\"sub\":\"" S256 "\",\"exp\":1800000100}", hs_key, kl);
	assert_int_equal(verify(&p, t), ERR_INVALID_TOKEN);     /* 256 */
	free(t);
}

static void
valid_hs256(void **state)
{
	struct token_policy p = hs_policy();
	struct token_claims c;
	char *t = forge(HS, "{\"sub\":\"u1\",\"exp\":1800000100,\"role\":\"admin\"}", hs_key, strlen(hs_key));

	(void)state;
	assert_int_equal(token_verify(&p, t, NOW, arena, &c), ERR_OK);
	assert_string_equal(c.sub, "u1");
	assert_string_equal(c.role, "admin");
	free(t);
}

static void
forged_tokens_rejected(void **state)
{
	struct token_policy p = hs_policy();
	const size_t kl = strlen(hs_key);
	struct { const char *name; char *tok; } cases[] = {
		{ "alg none, empty signature", forge("{\"alg\":\"none\"}", GOOD, NULL, 0) },
		{ "alg none, HMAC signature", forge("{\"alg\":\"none\"}", GOOD, hs_key, kl) },
		{ "alg HS512", forge("{\"alg\":\"HS512\"}", GOOD, hs_key, kl) },
		{ "alg lower-case", forge("{\"alg\":\"hs256\"}", GOOD, hs_key, kl) },
		{ "no alg", forge("{\"typ\":\"JWT\"}", GOOD, hs_key, kl) },
		{ "wrong key", forge(HS, GOOD, "another-secret-another-secret-123", 33) },
		{ "expired", forge(HS, "{\"sub\":\"u1\",\"exp\":1799999960}", hs_key, kl) },
		{ "nbf in the future", forge(HS, "{\"sub\":\"u1\",\"exp\":1800000100,\"nbf\":1800000040}", hs_key, kl) },
		{ "missing exp", forge(HS, "{\"sub\":\"u1\"}", hs_key, kl) },
		{ "exp as string", forge(HS, "{\"sub\":\"u1\",\"exp\":\"1800000100\"}", hs_key, kl) },
		{ "exp as real, expired", forge(HS, "{\"sub\":\"u1\",\"exp\":1799999969.5}", hs_key, kl) },
		{ "nbf as real, in the future", forge(HS, "{\"sub\":\"u1\",\"exp\":1800000100,\"nbf\":1800000030.5}", hs_key, kl) },
		{ "exp as bool", forge(HS, "{\"sub\":\"u1\",\"exp\":true}", hs_key, kl) },
		{ "sub over 255 bytes", forge(HS, "{\"sub\":\"" S256 "\",\"exp\":1800000100}", hs_key, kl) },
		{ "typ at+jwt+x", forge("{\"alg\":\"HS256\",\"typ\":\"at+jwt+x\"}", GOOD, hs_key, kl) },
		{ "alg EdDSA with the HS key", forge("{\"alg\":\"EdDSA\"}", GOOD, hs_key, kl) },
		{ "missing sub", forge(HS, "{\"exp\":1800000100}", hs_key, kl) },
		{ "empty sub", forge(HS, "{\"sub\":\"\",\"exp\":1800000100}", hs_key, kl) },
		{ "unknown role", forge(HS, "{\"sub\":\"u\",\"exp\":1800000100,\"role\":\"root\"}", hs_key, kl) },
		{ "duplicate claim", forge(HS, "{\"sub\":\"u\",\"exp\":1,\"exp\":1800000100}", hs_key, kl) },
		{ "kid not configured", forge("{\"alg\":\"HS256\",\"kid\":\"k1\"}", GOOD, hs_key, kl) },
		{ "crit header", forge("{\"alg\":\"HS256\",\"crit\":[\"x\"]}", GOOD, hs_key, kl) },
		{ "embedded jwk", forge("{\"alg\":\"HS256\",\"jwk\":{}}", GOOD, hs_key, kl) },
		{ "typ not JWT", forge("{\"alg\":\"HS256\",\"typ\":\"at+jwt+x\"}", GOOD, hs_key, kl) },
		{ "payload not an object", forge(HS, "[1]", hs_key, kl) },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (verify(&p, cases[i].tok) != ERR_INVALID_TOKEN)
			fail_msg("accepted: %s", cases[i].name);
		free(cases[i].tok);
	}
}

static void
malformed_tokens_rejected(void **state)
{
	struct token_policy p = hs_policy();
	char *good = forge(HS, GOOD, hs_key, strlen(hs_key));
	char buf[8192];
	char *big;

	(void)state;
	assert_int_equal(verify(&p, good), ERR_OK);
	/* four segments */
	snprintf(buf, sizeof(buf), "%s.x", good);
	assert_int_equal(verify(&p, buf), ERR_INVALID_TOKEN);
	/* two segments */
	snprintf(buf, sizeof(buf), "%.*s", (int)(strrchr(good, '.') - good), good);
	assert_int_equal(verify(&p, buf), ERR_INVALID_TOKEN);
	/* bad base64 in the header, padding, standard alphabet */
	snprintf(buf, sizeof(buf), "!%s", good);
	assert_int_equal(verify(&p, buf), ERR_INVALID_TOKEN);
	snprintf(buf, sizeof(buf), "%s=", good);
	assert_int_equal(verify(&p, buf), ERR_INVALID_TOKEN);
	assert_int_equal(verify(&p, ""), ERR_INVALID_TOKEN);
	assert_int_equal(verify(&p, ".."), ERR_INVALID_TOKEN);
	assert_int_equal(verify(&p, NULL), ERR_INVALID_TOKEN);
	/* 100 KB token */
	big = malloc(100 * 1024 + 1);
	memset(big, 'A', 100 * 1024);
	big[100] = '.';
	big[200] = '.';
	big[100 * 1024] = '\0';
	assert_int_equal(verify(&p, big), ERR_INVALID_TOKEN);
	free(big);
	/* a flipped signature bit */
	snprintf(buf, sizeof(buf), "%s", good);
	buf[strlen(buf) - 2] = buf[strlen(buf) - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(&p, buf), ERR_INVALID_TOKEN);
	free(good);
}

static void
leeway_is_bounded(void **state)
{
	struct token_policy p = hs_policy();
	char *t = forge(HS, "{\"sub\":\"u1\",\"exp\":1799999980}", hs_key, strlen(hs_key));

	(void)state;
	assert_int_equal(verify(&p, t), ERR_OK);         /* 20 s late, leeway 30 */
	p.leeway = 10;
	assert_int_equal(verify(&p, t), ERR_INVALID_TOKEN);
	free(t);
	t = forge(HS, "{\"sub\":\"u1\",\"exp\":1799999900}", hs_key, strlen(hs_key));
	p.leeway = 3600;                                 /* clamped to 60 */
	assert_int_equal(verify(&p, t), ERR_INVALID_TOKEN);
	free(t);
}

static void
issuer_and_audience(void **state)
{
	struct token_policy p = hs_policy();
	const size_t kl = strlen(hs_key);
	char *ok1 = forge(HS, "{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"meetd\",\"aud\":\"api\"}", hs_key, kl);
	char *ok2 = forge(HS, "{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"meetd\",\"aud\":[\"x\",\"api\"]}", hs_key, kl);
	char *bad_iss = forge(HS, "{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"evil\",\"aud\":\"api\"}", hs_key, kl);
	char *bad_aud = forge(HS, "{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"meetd\",\"aud\":[\"x\"]}", hs_key, kl);
	char *no_aud = forge(HS, "{\"sub\":\"u\",\"exp\":1800000100,\"iss\":\"meetd\"}", hs_key, kl);

	(void)state;
	p.issuer = "meetd";
	p.audience = "api";
	assert_int_equal(verify(&p, ok1), ERR_OK);
	assert_int_equal(verify(&p, ok2), ERR_OK);
	assert_int_equal(verify(&p, bad_iss), ERR_INVALID_TOKEN);
	assert_int_equal(verify(&p, bad_aud), ERR_INVALID_TOKEN);
	assert_int_equal(verify(&p, no_aud), ERR_INVALID_TOKEN);
	free(ok1);
	free(ok2);
	free(bad_iss);
	free(bad_aud);
	free(no_aud);
}

/* RFC 8725 §2.1: an HS256 token MACed with the RSA public key as the
 * secret must not pass an RS256 verifier. */
static void
algorithm_confusion(void **state)
{
	struct token_policy p = rs_policy();
	char *forged = forge(HS, GOOD, rsa_pub, strlen(rsa_pub));
	char *issued = NULL;

	(void)state;
	assert_int_equal(verify(&p, forged), ERR_INVALID_TOKEN);
	assert_int_equal(token_issue(&p, "u2", "user", NOW, 60, &issued), ERR_OK);
	assert_int_equal(verify(&p, issued), ERR_OK);
	/* and an RS256 token does not pass an HS256 verifier */
	struct token_policy h = hs_policy();
	assert_int_equal(verify(&h, issued), ERR_INVALID_TOKEN);
	free(forged);
	free(issued);
}

static void
issue_round_trips(void **state)
{
	struct token_policy es = {
		.alg = CFG_JWT_ES256,
		.verify_key = (const unsigned char *)ec_pub, .verify_key_len = strlen(ec_pub),
		.sign_key = (const unsigned char *)ec_priv, .sign_key_len = strlen(ec_priv),
		.leeway = 30, .max_bytes = 4096, .issuer = "meetd", .audience = "api", .key_id = "k1",
	};
	struct token_policy hs = hs_policy();
	struct token_claims c;
	char *t = NULL;

	(void)state;
	assert_int_equal(token_issue(&es, "u3", "admin", NOW, 60, &t), ERR_OK);
	assert_int_equal(token_verify(&es, t, NOW, arena, &c), ERR_OK);
	assert_string_equal(c.sub, "u3");
	assert_string_equal(c.role, "admin");
	assert_int_equal(token_verify(&es, t, NOW + 91, arena, &c), ERR_INVALID_TOKEN);
	es.key_id = "k2";
	assert_int_equal(token_verify(&es, t, NOW, arena, &c), ERR_INVALID_TOKEN);
	free(t);
	assert_int_equal(token_issue(&hs, "u4", "user", NOW, 60, &t), ERR_OK);
	assert_int_equal(token_verify(&hs, t, NOW, arena, &c), ERR_OK);
	free(t);
	hs.sign_key = NULL;
	assert_int_equal(token_issue(&hs, "u4", "user", NOW, 60, &t), ERR_NOT_CONFIGURED);
}

/* T30: secret comparisons go through CRYPTO_memcmp; check its contract. */
static void
constant_time_compare(void **state)
{
	unsigned char a[32], b[32];

	(void)state;
	memset(a, 7, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(crypto_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	assert_false(crypto_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	b[0] ^= 0x80;
	assert_false(crypto_equal(a, b, sizeof(a)));
	assert_true(crypto_equal(a, b, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_hs256),
		cmocka_unit_test(real_dates_and_typ),
		cmocka_unit_test(forged_tokens_rejected),
		cmocka_unit_test(malformed_tokens_rejected),
		cmocka_unit_test(leeway_is_bounded),
		cmocka_unit_test(issuer_and_audience),
		cmocka_unit_test(algorithm_confusion),
		cmocka_unit_test(issue_round_trips),
		cmocka_unit_test(constant_time_compare),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
