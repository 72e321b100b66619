/*
 * fcgi.c — libfcgi glue. We use libfcgi only for the protocol; accepting is
 * driven by the responder's poll loop, so FCGX_Accept_r() is called only
 * when the listening socket is readable, and a lost race (another responder
 * took the connection) comes back as -EAGAIN instead of blocking.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "http/fcgi.h"

struct fcgi_conn {
	FCGX_Request req;
	bool active;
};

static bool initialised;

struct fcgi_conn *
fcgi_conn_new(int listen_fd)
{
	struct fcgi_conn *c;

	if (!initialised) {
		if (FCGX_Init() != 0)
			return NULL;
		initialised = true;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (FCGX_InitRequest(&c->req, listen_fd, 0) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void
fcgi_conn_free(struct fcgi_conn *c)
{
	if (c == NULL)
		return;
	fcgi_finish(c);
	FCGX_Free(&c->req, 1);
	free(c);
}

enum fcgi_accept
fcgi_accept(struct fcgi_conn *c)
{
	int rc = FCGX_Accept_r(&c->req);

	if (rc >= 0) {
		c->active = true;
		return FCGI_ACCEPTED;
	}
	if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR || rc == -ECONNABORTED)
		return FCGI_AGAIN;
	return FCGI_FAILED;
}

static const char *
param(char *const *envp, struct arena *a, const char *name)
{
	const char *v = FCGX_GetParam(name, (FCGX_ParamArray)envp);

	return v != NULL ? arena_strdup(a, v) : NULL;
}

static ssize_t
read_stdin(void *ctx, char *buf, size_t n)
{
	struct fcgi_conn *c = ctx;
	int got;

	if (n > INT32_MAX)
		n = INT32_MAX;
	got = FCGX_GetStr(buf, (int)n, c->req.in);
	if (got < 0 || FCGX_GetError(c->req.in) != 0)
		return -1;
	return got;
}

static const char *
get_header(void *ctx, const char *cgi_name)
{
	char *const *envp = ctx;

	return FCGX_GetParam(cgi_name, (FCGX_ParamArray)envp);
}

void
fcgi_request_from_params(char *const *envp, struct request *rq)
{
	struct arena *a = rq->ctx.arena;
	const char *uri = FCGX_GetParam("REQUEST_URI", (FCGX_ParamArray)envp);
	const char *q;

	rq->method_name = param(envp, a, "REQUEST_METHOD");
	rq->method = request_method(rq->method_name);
	if (uri == NULL)
		uri = FCGX_GetParam("DOCUMENT_URI", (FCGX_ParamArray)envp);
	if (uri != NULL && (q = strchr(uri, '?')) != NULL) {
		rq->path = arena_strndup(a, uri, (size_t)(q - uri));
		rq->query = arena_strdup(a, q + 1);
	} else {
		rq->path = uri != NULL ? arena_strdup(a, uri) : NULL;
		rq->query = "";
	}
	rq->remote_addr = param(envp, a, "REMOTE_ADDR");
	rq->content_type = param(envp, a, "CONTENT_TYPE");
	rq->content_length = param(envp, a, "CONTENT_LENGTH");
	rq->authorization = param(envp, a, "HTTP_AUTHORIZATION");
	rq->request_id = param(envp, a, "HTTP_X_REQUEST_ID");
	rq->idempotency_key = param(envp, a, "HTTP_IDEMPOTENCY_KEY");
	rq->header_src.get = get_header;
	rq->header_src.ctx = (void *)envp;
}

void
fcgi_fill(struct fcgi_conn *c, struct request *rq)
{
	fcgi_request_from_params(c->req.envp, rq);
	rq->body_src.read = read_stdin;
	rq->body_src.ctx = c;
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

void
fcgi_send(struct fcgi_conn *c, const struct request *rq, const struct response *rs)
{
	FCGX_Stream *out = c->req.out;
	const char *ctype = rs->kind == RESP_RAW ? rs->content_type : "application/json; charset=utf-8";
	char head[512];
	int n;

	/* formatted here: libfcgi's own printf knows no %zu. The security
	 * headers (nosniff, CSP...) are nginx's, on every response it serves. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\nX-Request-Id: %s\r\n",
	    rs->status, reason_phrase(rs->status), ctype, rs->body.len, rq->request_id);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	FCGX_PutStr(head, n, out);
	if (rs->headers.len > 0)
		FCGX_PutStr(rs->headers.data, (int)rs->headers.len, out);
	FCGX_PutStr("\r\n", 2, out);
	if (rq->method != M_HEAD && rs->body.len > 0)
		FCGX_PutStr(rs->body.data, (int)rs->body.len, out);
}

void
fcgi_finish(struct fcgi_conn *c)
{
	if (c->active) {
		FCGX_Finish_r(&c->req);
		c->active = false;
	}
}
