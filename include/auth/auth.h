/*
 * auth.h — who is calling: a Bearer JWT (token.h) or an API key
 * (apikey.h), read from the Authorization header only.
 */
#ifndef MEETD_AUTH_H
#define MEETD_AUTH_H

#include "core/error.h"
#include "http/request.h"

/* Fills rq->ctx.who. ERR_AUTH_REQUIRED without credentials, ERR_INVALID_TOKEN
 * for bad ones, ERR_DB_UNAVAILABLE if an API key cannot be looked up. */
enum err auth_authenticate(struct request *rq);

#endif
