/*
 * api.h — request handlers. Each takes the request (authenticated and
 * parsed per its route's policy) and writes a success answer through
 * resp_data()/resp_raw(), or returns an error for the dispatcher to render.
 */
#ifndef MEETD_API_H
#define MEETD_API_H

#include "request.h"
#include "response.h"

/* health.c */
enum err api_health(struct request *rq, struct response *rs);
enum err api_ready(struct request *rq, struct response *rs);
/* metrics.c */
enum err api_metrics(struct request *rq, struct response *rs);
/* account.c */
enum err api_register(struct request *rq, struct response *rs);
enum err api_login(struct request *rq, struct response *rs);
enum err api_me(struct request *rq, struct response *rs);
enum err api_apikey_create(struct request *rq, struct response *rs);
enum err api_apikey_list(struct request *rq, struct response *rs);
enum err api_apikey_delete(struct request *rq, struct response *rs);

#endif
