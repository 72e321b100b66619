/*
 * test_dispatch.c — the request pipeline without a socket or a database:
 * routing errors, authentication, body caps, media type, JSON limits and
 * validation all answer with the right status and code before any handler
 * would touch the database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <jansson.h>

#include "config/config.h"
#include "core/app.h"
#include "http/dispatch.h"
#include "auth/token.h"

static struct config cfg;
static struct app app = { .cfg = &cfg };
static struct arena *arena;
static const char key[] = "a-unit-test-secret-long-enough-for-hs256";

struct mem { const char *p; size_t n; };

static ssize_t
mem_read(void *ctx, char *buf, size_t n)
{
	struct mem *m = ctx;

	if (n > m->n)
		n = m->n;
	memcpy(buf, m->p, n);
	m->p += n;
	m->n -= n;
	return (ssize_t)n;
}

struct result {
	int status;
	char code[64];
	char headers[512];
	json_t *body;
};

static struct result
run(const char *method, const char *path, const char *ctype, const char *body,
    const char *content_length, const char *auth)
{
	struct request rq;
	struct response rs;
	struct mem m = { body, body ? strlen(body) : 0 };
	char cl[32];
	struct result r;

	memset(&rq, 0, sizeof(rq));
	arena_reset(arena);
	rq.ctx.arena = arena;
	rq.ctx.app = &app;
	rq.method_name = method;
	rq.method = request_method(method);
	rq.path = path;
	rq.query = "";
	rq.content_type = ctype;
	if (content_length == NULL && body != NULL) {
		snprintf(cl, sizeof(cl), "%zu", strlen(body));
		content_length = cl;
	}
	rq.content_length = content_length;
	rq.authorization = auth;
	rq.body_src.read = mem_read;
	rq.body_src.ctx = &m;
	resp_init(&rs);
	dispatch(&rq, &rs);
	r.status = rs.status;
	r.body = json_loadb(rs.body.data, rs.body.len, 0, NULL);
	snprintf(r.code, sizeof(r.code), "%s",
	    json_string_value(json_object_get(r.body, "code")) ? json_string_value(json_object_get(r.body, "code")) : "");
	snprintf(r.headers, sizeof(r.headers), "%s", buf_cstr(&rs.headers));
	request_release(&rq);
	resp_free(&rs);
	return r;
}

static int
setup(void **state)
{
	(void)state;
	cfg.body_limit = 4096;
	cfg.body_limit_anonymous = 256;
	cfg.registration = true;
	cfg.jwt_algorithm = CFG_JWT_HS256;
	cfg.jwt_key.data = (unsigned char *)key;
	cfg.jwt_key.len = sizeof(key) - 1;
	cfg.jwt_leeway = 30;
	cfg.jwt_max_bytes = 4096;
	cfg.scrypt_log2n = 10;
	arena = arena_new(8 << 20);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(arena);
	return 0;
}

/* Checks status, code and envelope, then releases the parsed body. */
static void
expect(struct result r, int status, const char *code)
{
	assert_int_equal(r.status, status);
	assert_string_equal(r.code, code);
	assert_non_null(json_object_get(r.body, "timestamp"));
	json_decref(r.body);
}
#define EXPECT(r, st, c) expect((r), (st), (c))

static void
routing_errors(void **state)
{
	struct result r;

	(void)state;
	EXPECT(run("GET", "/api/v1/nothing", NULL, NULL, NULL, NULL), 404, "NOT_FOUND");
	r = run("DELETE", "/api/v1/health", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.headers, "Allow: GET, HEAD\r\n"));
	EXPECT(r, 405, "METHOD_NOT_ALLOWED");
	EXPECT(run("BREW", "/api/v1/health", NULL, NULL, NULL, NULL), 405, "METHOD_NOT_ALLOWED");
	r = run("GET", "/api/v1/health", NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.body, "status")), "success");
	json_decref(r.body);
}

static void
authentication(void **state)
{
	struct token_policy p;
	char *tok = NULL, hdr[4200];
	struct result r;

	(void)state;
	r = run("GET", "/api/v1/me", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
	EXPECT(r, 401, "AUTHENTICATION_REQUIRED");
	EXPECT(run("GET", "/api/v1/me", NULL, NULL, NULL, "Basic dXNlcjpwYXNz"), 401, "AUTHENTICATION_REQUIRED");
	EXPECT(run("GET", "/api/v1/me", NULL, NULL, NULL, "Bearer not.a.jwt"), 401, "INVALID_TOKEN");
	EXPECT(run("GET", "/api/v1/me", NULL, NULL, NULL, "Bearer mk_short"), 401, "INVALID_TOKEN");
	/* a valid token is checked, then needs the user lookup: without a
	 * database that is 503, never a crash or a pass */
	token_policy_from_config(&cfg, &p);
	assert_int_equal(token_issue(&p, "u1", "user", (int64_t)time(NULL), 60, &tok), ERR_OK);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	EXPECT(run("POST", "/api/v1/api-keys", "text/plain", "{\"name\":\"x\"}", NULL, hdr), 503,
	    "DATABASE_UNAVAILABLE");
	free(tok);
}

static void
body_caps(void **state)
{
	char big[1024];

	(void)state;
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	/* over the anonymous cap, decided from the declared length */
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", big, NULL, NULL), 413, "PAYLOAD_TOO_LARGE");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", NULL, "999999999999", NULL), 413,
	    "PAYLOAD_TOO_LARGE");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", NULL, "12x", NULL), 400, "INVALID_REQUEST");
	/* declared longer than what arrives */
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", "{}", "50", NULL), 400, "INVALID_REQUEST");
}

static void
json_limits(void **state)
{
	char deep[200];

	(void)state;
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", "{\"a\":", NULL, NULL), 400, "INVALID_JSON");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", "{\"a\":1,\"a\":2}", NULL, NULL), 400, "INVALID_JSON");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", "{\"a\":\"\\u0000\"}", NULL, NULL), 400, "INVALID_JSON");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", "{\"a\":1e400}", NULL, NULL), 400, "INVALID_JSON");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", "{\"a\":\"\xff\"}", NULL, NULL), 400, "INVALID_JSON");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", "{} x", NULL, NULL), 400, "INVALID_JSON");
	memset(deep, '[', 40);
	deep[40] = '\0';
	EXPECT(run("POST", "/api/v1/auth/login", "application/json", deep, NULL, NULL), 400, "INVALID_JSON");
	/* brackets inside strings do not count toward depth */
	memset(deep, 0, sizeof(deep));
	strcpy(deep, "{\"email\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\",\"password\":1}");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json; charset=UTF-8", deep, NULL, NULL), 400,
	    "VALIDATION_ERROR");
	EXPECT(run("POST", "/api/v1/auth/login", "application/json; charset=latin1", "{}", NULL, NULL), 415,
	    "UNSUPPORTED_MEDIA_TYPE");
}

static void
validation_lists_every_field(void **state)
{
	struct result r;
	json_t *d;

	(void)state;
	r = run("POST", "/api/v1/auth/register", "application/json",
	    "{\"email\":5,\"password\":\"short\",\"display_name\":\"   \",\"role\":\"admin\"}", NULL, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.code, "VALIDATION_ERROR");
	d = json_object_get(r.body, "details");
	assert_string_equal(json_string_value(json_object_get(d, "role")), "unknown field");
	assert_string_equal(json_string_value(json_object_get(d, "email")), "must be a string");
	assert_non_null(json_object_get(d, "password"));
	assert_string_equal(json_string_value(json_object_get(d, "display_name")), "must not be blank");
	json_decref(r.body);
	EXPECT(run("POST", "/api/v1/auth/register", "application/json", "[]", NULL, NULL), 400, "VALIDATION_ERROR");
	EXPECT(run("POST", "/api/v1/auth/register", NULL, NULL, NULL, NULL), 400, "VALIDATION_ERROR");
	EXPECT(run("POST", "/api/v1/auth/register", "application/json",
	    "{\"email\":\"no-at-sign\",\"password\":\"long enough\",\"display_name\":\"A\"}", NULL, NULL),
	    400, "VALIDATION_ERROR");
	cfg.registration = false;
	EXPECT(run("POST", "/api/v1/auth/register", "application/json", "{}", NULL, NULL), 403, "REGISTRATION_CLOSED");
	cfg.registration = true;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routing_errors),
		cmocka_unit_test(authentication),
		cmocka_unit_test(body_caps),
		cmocka_unit_test(json_limits),
		cmocka_unit_test(validation_lists_every_field),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
