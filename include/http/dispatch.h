/*
 * dispatch.h — a request's way through a responder (design §2):
 * route → authenticate → read and parse the body → handler → envelope.
 * Policy lives here so that handlers never repeat it.
 */
#ifndef MEETD_DISPATCH_H
#define MEETD_DISPATCH_H

#include "http/request.h"
#include "http/response.h"

/* Fills rs for rq; never fails (errors become error envelopes). Returns
 * the error the request ended with (ERR_OK on success) for logs and
 * metrics. */
enum err dispatch(struct request *rq, struct response *rs);
/* Reads and discards what is left of the body, up to `limit` bytes, so the
 * web server is never cut off while still sending. */
void dispatch_drain(struct request *rq, size_t limit);
/* Largest JSON nesting accepted (checked before Jansson parses). */
#define DISPATCH_JSON_MAX_DEPTH 32
/* rq->body (rq->body_len bytes) into rq->json: the media type, then the
 * nesting depth (before Jansson), then Jansson without duplicate keys.
 * An empty body is ERR_OK with no json. dispatch() calls it; so does the
 * fuzzer. */
enum err dispatch_parse_body(struct request *rq);

#endif
