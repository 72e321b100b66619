/*
 * response.h — building an HTTP response: status, headers, body.
 *
 * JSON answers use the envelope of 001 (design §3):
 *   success {"status":"success","message":…,"data":…,"timestamp":…}
 *   error   {"status":"error","message":…,"code":…,"details":…,"timestamp":…}
 * A handler calls resp_data() and writes only the `data` value through the
 * returned writer; the dispatcher closes the envelope. Errors are written
 * by resp_error() from the handler's return code, never by the handler.
 */
#ifndef MEETD_RESPONSE_H
#define MEETD_RESPONSE_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/jsonw.h"
#include "http/request.h"

#define RESP_HEADERS_MAX (2 * 1024)     /* keep nginx's fastcgi_buffer_size happy */
#define RESP_BODY_MAX (8 * 1024 * 1024)

enum resp_kind { RESP_NONE, RESP_ENVELOPE, RESP_RAW };

struct response {
	int status;
	enum resp_kind kind;
	const char *content_type;       /* for RESP_RAW */
	struct buf headers;             /* extra "Name: value\r\n" lines */
	struct buf body;
	struct jsonw w;
};

void resp_init(struct response *rs);
void resp_free(struct response *rs);
/* Empties headers and body for the next request (keeps storage). */
void resp_reset(struct response *rs);
/* Adds a header line; name and value must not contain CR or LF (refused). */
void resp_header(struct response *rs, const char *name, const char *value);
/* ETag: "<version>" (the resource's version, compared by If-Match). */
void resp_etag(struct response *rs, int64_t version);
/* Starts a success envelope and returns the writer positioned for `data`. */
struct jsonw *resp_data(struct response *rs, int status, const char *message);
/* Starts a bare JSON body (the faces of the source documents answer
 * without meetd's envelope) and returns its writer. */
struct jsonw *resp_json(struct response *rs, int status);
/* Starts a non-JSON body (e.g. Prometheus text); write into rs->body. */
struct buf *resp_raw(struct response *rs, int status, const char *content_type);
/* Replaces whatever was written with the error envelope for e. */
void resp_error(struct response *rs, enum err e, const struct errinfo *info, enum face face);
/* Closes an open envelope (adds the timestamp). Idempotent. */
void resp_finish(struct response *rs);

#endif
