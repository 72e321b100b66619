/*
 * router.h — the route table and its matcher.
 *
 * A route is one row: method, path pattern (literal segments and `:name`
 * segments that capture one non-empty segment), handler, and the policy the
 * dispatcher enforces before the handler runs: auth level, limiter category,
 * body expectations and the face (which envelope the answer uses).
 * Handlers never re-check policy.
 */
#ifndef MEETD_ROUTER_H
#define MEETD_ROUTER_H

#include <stddef.h>

#include "core/error.h"
#include "http/request.h"
#include "http/response.h"

enum auth_level {
	AUTH_NONE,      /* public */
	AUTH_USER,      /* any valid JWT or API key */
	AUTH_ADMIN,     /* role "admin" */
	/* no caller identity, but the handler verifies an HMAC over the whole
	 * body before acting on it (platform webhooks): such senders get the
	 * full body_limit (Zoom's recording.completed runs past 16k) */
	AUTH_SIGNED,
	/* a user, or a guest of the meeting named by the route's first
	 * parameter; a guest's token opens no other route */
	AUTH_MEETING,
	/* public, but a caller who sends a token is authenticated (asking for
	 * a guest token again keeps the guest's identity); anonymous callers
	 * are limited by address */
	AUTH_OPTIONAL,
	/* a subscription: a single-use ticket in the query (the use case
	 * spends it), or a token as for AUTH_MEETING, sent as Authorization or
	 * in the query as `token` (browsers cannot set headers there) */
	AUTH_REALTIME,
	/* nchan's callbacks through nginx's loopback hook server, which alone
	 * sets the FastCGI parameter MEETD_HOOK; anyone else finds nothing */
	AUTH_HOOK,
	AUTH__MAX
};

/* Limiter categories of 001 "Rate Limiting"; decided by the SQL limiter. */
enum limit_category {
	LIMIT_NONE,
	LIMIT_AUTH,             /* login / register attempts */
	LIMIT_MEETING,          /* meeting management */
	LIMIT_PARTICIPANT,      /* participant actions */
	LIMIT_CHAT,
	LIMIT_STATUS,
	/* meeting management, taken by the create use case itself together
	 * with the per-user-per-platform bucket, in one statement */
	LIMIT_CREATE,
	LIMIT_REALTIME,         /* WebSocket messages and signals */
	LIMIT__MAX
};

typedef enum err (*route_handler)(struct request *rq, struct response *rs);

/* How much body a route reads (config: body_limit, body_limit_anonymous). */
enum body_policy {
	BODY_STD,       /* body_limit once the caller is known, the anonymous cap before */
	BODY_SIGNED,    /* body_limit without a caller: the handler checks an HMAC over
			 * the whole body before acting (platform webhooks) */
};

/* Renders an outcome (canonical JSON) in the route's face: the answer of a
 * create, first or replayed for an Idempotency-Key. */
typedef enum err (*outcome_renderer)(struct request *rq, struct response *rs, int status,
    const char *outcome);

struct route {
	enum http_method method;
	const char *pattern;
	route_handler handler;
	enum auth_level auth;
	enum limit_category limit;
	enum face face;
	const char *name;       /* stable label for metrics and logs */
	enum body_policy body;
	/* non-NULL: the route honours Idempotency-Key, and this renders its
	 * stored outcome on a replay */
	outcome_renderer outcome;
};

/* Finds the route for (method, path). On a match returns the route and
 * fills params (percent-decoded into the arena). Otherwise returns NULL and
 * sets *why to ERR_NOT_FOUND, or ERR_METHOD_NOT_ALLOWED with *allow a bit
 * mask of the methods (1 << enum http_method) that the path does accept. */
const struct route *router_match(const struct route *table, size_t n,
    enum http_method method, const char *path, struct arena *a,
    const char *params[ROUTE_MAX_PARAMS], enum err *why, unsigned *allow);

/* The path as it may be logged: when it matches (under any method) a
 * pattern with a `:token` segment — a bearer secret in the URL — the
 * pattern itself, otherwise the path unchanged. */
const char *router_loggable_path(const struct route *table, size_t n, const char *path);

/* The application's table (routes.c) and its size. */
extern const struct route routes[];
extern const size_t routes_count;
/* Index of a route in `routes`, for per-route metrics. */
size_t router_index(const struct route *r);

#endif
