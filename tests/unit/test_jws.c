/*
 * test_jws.c — signature checks of jws.c against keys and tokens made
 * independently (Python's cryptography and PyJWT, embedded below), and
 * reliability.md T30: the HS256 MAC is compared with CRYPTO_memcmp over
 * its full length. The link wraps CRYPTO_memcmp (-Wl,--wrap) so the test
 * sees every call jws.c makes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/b64.h"
#include "auth/hmac.h"
#include "auth/jws.h"

/* --- the wrap: counts calls and records their lengths ------------------- */
int __real_CRYPTO_memcmp(const void *a, const void *b, size_t n);
int __wrap_CRYPTO_memcmp(const void *a, const void *b, size_t n);

static int memcmp_calls;
static size_t memcmp_last_len;

int
__wrap_CRYPTO_memcmp(const void *a, const void *b, size_t n)
{
	memcmp_calls++;
	memcmp_last_len = n;
	return __real_CRYPTO_memcmp(a, b, n);
}

static const char jwks_text[] =
	"{\"keys\":[{\"kty\":\"RSA\",\"key_ops\":[\"verify\"],\"n\":\"khEJ1fli--pyT_JnL4z3KgpEKf7OB"
	"Tzv0zccARwIzOTku1lh5f6umIg-aiMYR6PPYvbvutp6Ht2Jg_I9KsCQH2eZWX2ztdeZ_nWKOlLkn72ljvEx0iW8xId"
	"kER1AxCLrquD9RHsY9PQN0V9fLVVxxIswux9HuzYVOTxfxVvJgm8Rs8nzlvabUk6HryFB2jtyb755Vo-gmnLHZ8omT"
	"NurHjwRYIv1PgbPzJ8yByLMJc2QVm7_YMfyujunUAMI2KUSq9cobrmBvyralDQAft0-1O7YDKQcz-mSXKjAkr4SLre"
	"1-Mkt6c4Z1yszWXyYenm_t7yqoKC9OQU9gdlJoffG2Q\",\"e\":\"AQAB\",\"kid\":\"rs1\"},{\"kty\":\"E"
	"C\",\"crv\":\"P-256\",\"x\":\"FHh3sJcXAd9bCSAuoIFNmMe5wMabq14Da697q2BvB7Q\",\"y\":\"hshuDA"
	"U6Pz2uunis-q07IdEbDqdvx9YfcBqBJ9fD_Zc\",\"kid\":\"ec1\"},{\"x\":\"6GRgRmRkb8PKIXtWLEj1HWdu"
	"VDQ1zXXjYdEyK6cEgHs\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed1\"}]}";
static const char rs_token[] =
	"eyJhbGciOiJSUzI1NiIsImtpZCI6InJzMSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImV4cCI6MTgwMDAwMDEwM"
	"CwiaXNzIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZSIsImF1ZCI6Im1lZXRkIn0.a5UvMBw2xKupj6FC_xu7_TJ6HBJ40RR"
	"8t8Ml0hZmfNeHtU-VKK6myA6UEucosqruQGUMT4Odbds5y6ZF2wnngZRKzQd1Cb7TBj7t3sYjo3PG1S2IBUOlP3Wrt"
	"rnu7T0OIbFjCICUGG_zMXvu-Ta5PPdUTQDbO4r2od5hRNiIhal3XJqLAARffBPNBRtHS9Vt7nprzTiKk44An09E15U"
	"FG6PVc3dSKoU2QMu5mvcct4ASrxbRsuX7-TOUZw8G8qGkROikTOAszgEngu_DuxZf-6CoNB0LsIOozxIM1qFCTKvd5"
	"aV5VdPjLnZ-8ymGYSsHm6K4tbw2so-t9iFsd0FtSg";
static const char es_token[] =
	"eyJhbGciOiJFUzI1NiIsImtpZCI6ImVjMSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImV4cCI6MTgwMDAwMDEwM"
	"CwiaXNzIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZSIsImF1ZCI6Im1lZXRkIn0.Bdon000mihYZXqOz0MFHLMQQRaPSAm3"
	"qB5jLJcm1GdIeb5gqVoC70s83EKqpahYkD5zz77Ae3rNkAwICJ4x78w";
static const char ed_token[] =
	"eyJhbGciOiJFZERTQSIsImtpZCI6ImVkMSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImV4cCI6MTgwMDAwMDEwM"
	"CwiaXNzIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZSIsImF1ZCI6Im1lZXRkIn0.plcsMaNJTgd-Q4tI-O1Pm0f7LsfqUup"
	"P39hsyEbjBEIFbctZUYstQThnNcgSCB5orAiPQI-6gginGJcsgP4-Bg";

static const char hs_secret[] = "0123456789abcdef0123456789abcdef-test";

/* Splits a token; sig is malloc'd. Returns the signing input's length. */
static size_t
split(const char *tok, unsigned char **sig, size_t *siglen)
{
	const char *dot = strrchr(tok, '.');
	size_t n = strlen(dot + 1);

	*sig = malloc(n + 1);
	assert_non_null(*sig);
	assert_true(b64url_decode(dot + 1, n, *sig, siglen));
	return (size_t)(dot - tok);
}

static struct jwks *
load_set(void)
{
	struct jwks *s = NULL;
	struct buf why;

	buf_init(&why, 1024);
	assert_int_equal(jwks_parse(jwks_text, strlen(jwks_text), &s, &why), ERR_OK);
	buf_free(&why);
	return s;
}

static void
independent_tokens_verify(void **state)
{
	struct { const char *tok, *kid; enum jws_alg alg; } cases[] = {
		{ rs_token, "rs1", JWS_RS256 }, { es_token, "ec1", JWS_ES256 }, { ed_token, "ed1", JWS_EDDSA },
	};
	struct jwks *s = load_set();
	unsigned char *sig;
	size_t i, n, siglen;

	(void)state;
	assert_int_equal(jwks_count(s), 3);
	assert_null(jwks_find(s, NULL));        /* three keys: a kid is needed */
	assert_null(jwks_find(s, "nope"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct jws_key *k = jwks_find(s, cases[i].kid);

		assert_non_null(k);
		assert_int_equal(jws_key_alg(k), cases[i].alg);
		n = split(cases[i].tok, &sig, &siglen);
		assert_true(jws_verify(k, cases[i].alg, cases[i].tok, n, sig, siglen));
		/* one changed input byte, one flipped signature bit, a wrong
		 * algorithm, another key: all refused */
		assert_false(jws_verify(k, cases[i].alg, cases[i].tok, n - 1, sig, siglen));
		sig[siglen / 2] ^= 1;
		assert_false(jws_verify(k, cases[i].alg, cases[i].tok, n, sig, siglen));
		sig[siglen / 2] ^= 1;
		assert_false(jws_verify(k, JWS_HS256, cases[i].tok, n, sig, siglen));
		assert_false(jws_verify(jwks_find(s, cases[(i + 1) % 3].kid), cases[i].alg, cases[i].tok, n, sig,
		    siglen));
		free(sig);
	}
	jwks_free(s);
}

/* ES256 signatures are raw R||S: 64 bytes exactly. */
static void
es256_lengths(void **state)
{
	struct jwks *s = load_set();
	const struct jws_key *k = jwks_find(s, "ec1");
	unsigned char *sig, longer[65];
	size_t n, siglen;

	(void)state;
	n = split(es_token, &sig, &siglen);
	assert_int_equal(siglen, 64);
	assert_false(jws_verify(k, JWS_ES256, es_token, n, sig, 63));
	memcpy(longer, sig, 64);
	longer[64] = 0;
	assert_false(jws_verify(k, JWS_ES256, es_token, n, longer, 65));
	assert_false(jws_verify(k, JWS_ES256, es_token, n, sig, 0));
	/* a short signature in a buffer of its own size: nothing past it is
	 * read (AddressSanitizer watches in the sanitizer build) */
	{
		unsigned char *tiny = malloc(1);

		assert_non_null(tiny);
		tiny[0] = sig[0];
		assert_false(jws_verify(k, JWS_ES256, es_token, n, tiny, 1));
		free(tiny);
	}
	free(sig);
	jwks_free(s);
}

/* T30: the HS256 check calls CRYPTO_memcmp over all 32 bytes, also when
 * the very first byte differs; no early-exit comparison decides. */
static void
hs256_compare_is_constant_time(void **state)
{
	struct jws_key *k = jws_key_from_config(JWS_HS256, (const unsigned char *)hs_secret, strlen(hs_secret));
	const char input[] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9";
	unsigned char mac[SHA256_LEN];

	(void)state;
	assert_non_null(k);
	hmac_sha256(hs_secret, strlen(hs_secret), input, strlen(input), mac);
	memcmp_calls = 0;
	assert_true(jws_verify(k, JWS_HS256, input, strlen(input), mac, sizeof(mac)));
	assert_int_equal(memcmp_calls, 1);
	assert_int_equal(memcmp_last_len, SHA256_LEN);
	mac[0] ^= 0x80;                         /* first byte differs */
	memcmp_calls = 0;
	memcmp_last_len = 0;
	assert_false(jws_verify(k, JWS_HS256, input, strlen(input), mac, sizeof(mac)));
	assert_int_equal(memcmp_calls, 1);
	assert_int_equal(memcmp_last_len, SHA256_LEN);
	mac[0] ^= 0x80;
	mac[SHA256_LEN - 1] ^= 1;               /* last byte differs */
	memcmp_calls = 0;
	assert_false(jws_verify(k, JWS_HS256, input, strlen(input), mac, sizeof(mac)));
	assert_int_equal(memcmp_calls, 1);
	assert_int_equal(memcmp_last_len, SHA256_LEN);
	/* a short secret is no HS256 key at all */
	assert_null(jws_key_from_config(JWS_HS256, (const unsigned char *)"short", 5));
	jws_key_free(k);
}

static void
bad_sets_refused(void **state)
{
	static const char *const bad[] = {
		"[]", "{}", "{\"keys\":{}}", "{\"keys\":[]}", "not json",
		"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}",                /* no usable key */
		"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}",      /* malformed */
		"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
		"\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}]}",                   /* private */
		"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"kid\":\"a\"},"
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"kid\":\"a\"}]}", /* dup */
	};
	struct jwks *s;
	struct buf why;
	size_t i;

	(void)state;
	buf_init(&why, 1024);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&why);
		if (jwks_parse(bad[i], strlen(bad[i]), &s, &why) == ERR_OK)
			fail_msg("accepted set %zu", i);
		assert_true(why.len > 0);
	}
	/* encryption keys and other curves are skipped, not fatal; a lone
	 * key serves tokens without kid */
	assert_int_equal(jwks_parse("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"use\":\"enc\",\"x\":\"AA\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}",
	    strlen("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"use\":\"enc\",\"x\":\"AA\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}"),
	    &s, &why), ERR_OK);
	assert_int_equal(jwks_count(s), 1);
	assert_non_null(jwks_find(s, NULL));
	jwks_free(s);
	buf_free(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(independent_tokens_verify),
		cmocka_unit_test(es256_lengths),
		cmocka_unit_test(hs256_compare_is_constant_time),
		cmocka_unit_test(bad_sets_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
