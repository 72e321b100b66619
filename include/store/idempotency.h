/*
 * idempotency.h — the Idempotency-Key header on creates. The first request
 * with a key claims it ('running'); its answer is stored in the same
 * transaction as its effect, and a retry with the same key and the same
 * request gets that answer again. Same key, different request: 422. Same
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
	bool active;                    /* a key was sent and claimed */
	const char *key;
	unsigned char hash[SHA256_LEN]; /* of method, path and canonical body */
};

/* Claims the request's key, if it sent one. If the key already holds an
 * answer, writes it to rs and sets *replayed. Errors: 400 for a malformed
 * key, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_KEY_IN_USE, database errors. */
enum err idem_begin(struct request *rq, struct idem *im, struct response *rs, bool *replayed);
/* Inside the write's transaction: stores the answer (message and the
 * envelope's data JSON) under the claimed key. No-op if !im->active. */
enum err idem_store(struct request *rq, struct db *db, const struct idem *im, int status,
    const char *message, const char *data);
/* After a failed write: releases the claim so the client may retry. */
void idem_release(struct request *rq, struct idem *im);

#endif
