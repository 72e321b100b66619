/*
 * request.h — one HTTP request as a responder sees it, independent of
 * FastCGI so handlers and the dispatcher can be tested without a socket.
 *
 * Everything a request points to is owned by its arena (or, for `json`,
 * released by request_release()).
 */
#ifndef MEETD_REQUEST_H
#define MEETD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/context.h"
#include "core/error.h"

enum http_method { M_GET, M_HEAD, M_POST, M_PUT, M_PATCH, M_DELETE, M_OPTIONS, M__MAX };

#define ROUTE_MAX_PARAMS 4
/* Which system's clients a route answers: meetd's canonical API, or the
 * face of one source system (docs/sources.md). Errors keep meetd's envelope
 * on every face and add the key that system's clients read. */
enum face {
	FACE_V1,        /* the canonical API */
	FACE_000,       /* Wakeve proxy: adds its snake_case "error" */
	FACE_002,       /* Cal.com-style Zoom integration */
	FACE_003,       /* Dheya sessions: adds "success": false */
	FACE_004,       /* FastAPI rooms: adds "detail" */
	FACE__MAX
};

/* Source of the request body (FastCGI stdin in production). */
struct body_source {
	/* Reads up to n bytes; returns bytes read, 0 at end, -1 on error. */
	ssize_t (*read)(void *ctx, char *buf, size_t n);
	void *ctx;
};

/* Other request headers, by CGI name ("HTTP_X_WEBHOOK_SIGNATURE"). */
struct header_source {
	/* The value or NULL if absent; borrowed from the transport. */
	const char *(*get)(void *ctx, const char *cgi_name);
	void *ctx;
};

struct app;
struct route;


struct request {
	/* the operation's context: services, arena, caller, failure details;
	 * handlers pass &rq->ctx to the domain */
	struct ctx ctx;
	enum http_method method;        /* M__MAX: a method we do not know */
	const char *method_name;
	const char *path;               /* raw path, without the query */
	const char *query;              /* raw query string, "" if none */
	const char *request_id;
	const char *remote_addr;
	const char *content_type;       /* NULL if absent */
	const char *content_length;     /* raw CONTENT_LENGTH, NULL if absent */
	const char *authorization;      /* NULL if absent */
	const char *idempotency_key;    /* Idempotency-Key header, NULL if absent */
	struct body_source body_src;
	struct header_source header_src;        /* unset: no other header */

	/* filled by the dispatcher */
	const struct route *route;
	const char *params[ROUTE_MAX_PARAMS];   /* percent-decoded */
	const char *body;
	size_t body_len;
	json_t *json;                   /* parsed body or NULL; owned */
	enum face face;                 /* the route's face, for its clients' error keys */
	bool limit_taken;               /* authentication took the route's limit already */
	bool limit_allowed;
};

/* Parses a method name; M__MAX if unknown. */
enum http_method request_method(const char *name);
const char *request_method_name(enum http_method m);
/* Releases what the arena does not own (the parsed body). */
void request_release(struct request *rq);
/* Records a failing field for the error envelope's details; returns
 * ERR_VALIDATION_FAILED so handlers can `return request_field_error(...)`.
 * Both strings must outlive the request (literals or arena). */
enum err request_field_error(struct request *rq, const char *field, const char *reason);
/* Sets the envelope message for the error about to be returned; returns e. */
enum err request_fail(struct request *rq, enum err e, const char *message);
/* A request header by CGI name (HTTP_X_PROVIDER), arena-owned; NULL if absent. */
const char *request_header(struct request *rq, const char *cgi_name);
/* The version an If-Match header names ("7", W/"7"; our ETags are the
 * resource's version); -1 if absent or "*". A malformed one is a 400. */
enum err request_if_match(struct request *rq, int64_t *version);
/* Value of query parameter `name` (percent-decoded, arena-owned) or NULL. */
const char *request_query(struct request *rq, const char *name);
/* Percent-decodes n bytes into the arena; NULL if malformed or if the
 * result contains NUL (or '/' when forbid_slash). */
char *request_pct_decode(struct arena *a, const char *s, size_t n, bool forbid_slash);

#endif
