/*
 * routes.c — the route table: every endpoint meetd serves, in one place,
 * with the policy the dispatcher applies before its handler runs.
 * docs/openapi.yaml describes the same set; a test compares the two.
 */
#include "api.h"
#include "router.h"

const struct route routes[] = {
	{ M_GET,    "/api/v1/health",            api_health,        AUTH_NONE, LIMIT_NONE, FACE_V1, "health" },
	{ M_GET,    "/api/v1/ready",             api_ready,         AUTH_NONE, LIMIT_NONE, FACE_V1, "ready" },
	{ M_GET,    "/metrics",                  api_metrics,       AUTH_NONE, LIMIT_NONE, FACE_V1, "metrics" },
	{ M_POST,   "/api/v1/auth/register",     api_register,      AUTH_NONE, LIMIT_AUTH, FACE_V1, "auth_register" },
	{ M_POST,   "/api/v1/auth/login",        api_login,         AUTH_NONE, LIMIT_AUTH, FACE_V1, "auth_login" },
	{ M_GET,    "/api/v1/me",                api_me,            AUTH_USER, LIMIT_NONE, FACE_V1, "me" },
	{ M_POST,   "/api/v1/api-keys",          api_apikey_create, AUTH_USER, LIMIT_NONE, FACE_V1, "apikey_create" },
	{ M_GET,    "/api/v1/api-keys",          api_apikey_list,   AUTH_USER, LIMIT_NONE, FACE_V1, "apikey_list" },
	{ M_DELETE, "/api/v1/api-keys/:id",      api_apikey_delete, AUTH_USER, LIMIT_NONE, FACE_V1, "apikey_delete" },
};

const size_t routes_count = sizeof(routes) / sizeof(routes[0]);
