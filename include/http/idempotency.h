/*
 * idempotency.h — the Idempotency-Key header, on the routes whose table
 * row names an outcome renderer (the creates of every face). The
 * dispatcher claims the key ('running'); the use case hands its canonical
 * outcome to the context's hook in the same transaction as its effect, and
 * a retry with the same key and the same request gets that outcome again,
 * rendered by the route in its own face's shape. Same key, different request: 422. Same
 * key while the first still runs: 409. Keys are per user and kept 24 h.
 */
#ifndef MEETD_IDEMPOTENCY_H
#define MEETD_IDEMPOTENCY_H

#include <stdbool.h>

#include "auth/crypto.h"
#include "core/error.h"
#include "http/request.h"
#include "http/response.h"

struct db;

struct idem {
	struct request *rq;             /* borrowed: whose key */
	bool active;                    /* a key was sent and claimed */
	const char *key;
	unsigned char hash[SHA256_LEN]; /* of method, path and canonical body */
};

/* Claims the request's key, if it sent one. If the key already holds an
 * outcome, *outcome (canonical JSON, arena) and *status receive it for the
 * route to render in its own face. Errors: 400 for a malformed key,
 * IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_KEY_IN_USE, database errors. */
enum err idem_begin(struct request *rq, struct idem *im, int *status, const char **outcome);
/* The outcome hook (core/context.h): inside the write's transaction,
 * stores the canonical outcome under the claimed key. No-op if !active. */
enum err idem_record(void *arg, struct db *db, int status, const char *outcome);
/* After a failed write: releases the claim so the client may retry. */
void idem_release(struct request *rq, struct idem *im);

#endif
