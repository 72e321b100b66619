/* test_router.c — the route matcher and the application's route table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "http/router.h"

static enum err h(struct request *rq, struct response *rs) { (void)rq; (void)rs; return ERR_OK; }

static const struct route table[] = {
	{ M_GET, "/api/v1/meetings", h, AUTH_USER, LIMIT_NONE, FACE_V1, "list" },
	{ M_POST, "/api/v1/meetings", h, AUTH_USER, LIMIT_MEETING, FACE_V1, "create" },
	{ M_GET, "/api/v1/meetings/:id", h, AUTH_USER, LIMIT_NONE, FACE_V1, "get" },
	{ M_DELETE, "/api/v1/meetings/:id", h, AUTH_USER, LIMIT_NONE, FACE_V1, "delete" },
	{ M_POST, "/api/v1/meetings/:id/participants/:pid", h, AUTH_USER, LIMIT_NONE, FACE_V1, "p" },
};
#define N (sizeof(table) / sizeof(table[0]))

static const struct route *
match(enum http_method m, const char *path, const char **params, enum err *why, unsigned *allow)
{
	static struct arena *a;

	if (a == NULL)
		a = arena_new(1 << 20);
	return router_match(table, N, m, path, a, params, why, allow);
}

static void
literal_and_params(void **state)
{
	const char *p[ROUTE_MAX_PARAMS] = { 0 };
	enum err why;
	unsigned allow;
	const struct route *r;

	(void)state;
	r = match(M_GET, "/api/v1/meetings", p, &why, &allow);
	assert_non_null(r);
	assert_string_equal(r->name, "list");
	r = match(M_POST, "/api/v1/meetings", p, &why, &allow);
	assert_string_equal(r->name, "create");
	r = match(M_GET, "/api/v1/meetings/01HXYZ", p, &why, &allow);
	assert_string_equal(r->name, "get");
	assert_string_equal(p[0], "01HXYZ");
	r = match(M_POST, "/api/v1/meetings/a%20b/participants/c", p, &why, &allow);
	assert_string_equal(r->name, "p");
	assert_string_equal(p[0], "a b");
	assert_string_equal(p[1], "c");
}

static void
not_found(void **state)
{
	const char *p[ROUTE_MAX_PARAMS];
	enum err why;
	unsigned allow;

	(void)state;
	static const char *const paths[] = {
		"/api/v1/meeting", "/api/v1/meetings/", "/api/v1/meetings//x", "/API/v1/meetings",
		"/api/v1/meetings/x/y", "", "api/v1/meetings", "/api/v1/meetings/%2F",
		"/api/v1/meetings/%00", "/api/v1/meetings/%zz", "/api/v1/meetings/%4",
		"/api/v1/meetings/../meetings",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_null(match(M_GET, paths[i], p, &why, &allow));
	assert_null(match(M_GET, NULL, p, &why, &allow));
	assert_int_equal(why, ERR_NOT_FOUND);
}

static void
method_not_allowed(void **state)
{
	const char *p[ROUTE_MAX_PARAMS];
	enum err why;
	unsigned allow;

	(void)state;
	assert_null(match(M_PUT, "/api/v1/meetings/abc", p, &why, &allow));
	assert_int_equal(why, ERR_METHOD_NOT_ALLOWED);
	assert_int_equal(allow, (1u << M_GET) | (1u << M_HEAD) | (1u << M_DELETE));
	assert_null(match(M_PATCH, "/api/v1/meetings", p, &why, &allow));
	assert_int_equal(allow, (1u << M_GET) | (1u << M_HEAD) | (1u << M_POST));
}

/* HEAD reaches the GET handler (the body is dropped when sending). */
static void
head_uses_get(void **state)
{
	const char *p[ROUTE_MAX_PARAMS];
	enum err why;
	unsigned allow;
	const struct route *r;

	(void)state;
	r = match(M_HEAD, "/api/v1/meetings/abc", p, &why, &allow);
	assert_non_null(r);
	assert_int_equal(r->method, M_GET);
	assert_null(match(M_HEAD, "/api/v1/meetings/abc/participants/x", p, &why, &allow));
	assert_int_equal(why, ERR_METHOD_NOT_ALLOWED);
}

/* Every route of the real table is reachable by its own pattern, and no
 * two rows claim the same method and pattern. */
static void
application_table(void **state)
{
	struct arena *a = arena_new(1 << 20);
	const char *p[ROUTE_MAX_PARAMS];
	enum err why;
	unsigned allow;
	size_t i, j;

	(void)state;
	assert_true(routes_count + 1 <= 96);
	for (i = 0; i < routes_count; i++) {
		char path[256];
		const char *s = routes[i].pattern;
		size_t o = 0;

		/* substitute "x" for each :param */
		while (*s != '\0' && o < sizeof(path) - 2) {
			if (*s == ':') {
				path[o++] = 'x';
				while (*s != '\0' && *s != '/')
					s++;
			} else {
				path[o++] = *s++;
			}
		}
		path[o] = '\0';
		assert_ptr_equal(router_match(routes, routes_count, routes[i].method, path, a, p, &why, &allow),
		    &routes[i]);
		assert_int_equal(router_index(&routes[i]), i);
		for (j = i + 1; j < routes_count; j++)
			assert_false(routes[i].method == routes[j].method &&
			    strcmp(routes[i].pattern, routes[j].pattern) == 0);
	}
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literal_and_params),
		cmocka_unit_test(not_found),
		cmocka_unit_test(method_not_allowed),
		cmocka_unit_test(head_uses_get),
		cmocka_unit_test(application_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
