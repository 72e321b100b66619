/*
 * auth.h — who is calling: a Bearer JWT (token.h) or an API key
 * (apikey.h), read from the Authorization header only.
 */
#ifndef MEETD_AUTH_H
#define MEETD_AUTH_H

#include "core/error.h"
#include "http/request.h"

/* Fills rq->ctx.who. With a limit (the route's category and rate), a JWT
 * caller's token is also taken in the same round trip as the user lookup
 * (rq->limit_taken, rq->limit_allowed, rq->ctx.limit).  ERR_AUTH_REQUIRED without credentials, ERR_INVALID_TOKEN
 * for bad ones, ERR_DB_UNAVAILABLE if an API key cannot be looked up. */
enum err auth_authenticate(struct request *rq, const char *category, const struct rate *limit);

#endif
