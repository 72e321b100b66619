/*
 * nchan_hooks.c — nchan's callbacks, as nginx's loopback hook server
 * passes them on (never a subrequest straight to FastCGI: that crashes the
 * nginx worker). The path names the meeting, the user and the connection,
 * as the subscription's grant wrote them; only the hook server can reach
 * these routes (AUTH_HOOK).
 *
 *   GET  /internal/hook/subscribe/{meeting}/{user}/{conn}     a connection opened
 *   GET  /internal/hook/unsubscribe/{meeting}/{user}/{conn}   it closed
 *   POST /internal/hook/message/{meeting}/{user}/{conn}       it sent a message
 *
 * A message's answer is what nchan does with it: 200 publishes our reply
 * to that connection alone, 204 publishes nothing.
 */
#include <string.h>

#include "api/api.h"
#include "domain/realtime.h"

static void
done(struct response *rs)
{
	resp_raw(rs, 204, "text/plain");
}

enum err
hook_rt_subscribed(struct request *rq, struct response *rs)
{
	enum err e;

	if ((e = presence_connected(&rq->ctx, rq->params[0], rq->params[1])) != ERR_OK)
		return e;
	done(rs);
	return ERR_OK;
}

enum err
hook_rt_unsubscribed(struct request *rq, struct response *rs)
{
	enum err e;

	if ((e = presence_disconnected(&rq->ctx, rq->params[0], rq->params[1])) != ERR_OK)
		return e;
	done(rs);
	return ERR_OK;
}

enum err
hook_rt_message(struct request *rq, struct response *rs)
{
	const char *reply;
	enum err e;

	if ((e = realtime_client_message(&rq->ctx, rq->params[0], rq->params[1],
	    rq->body != NULL ? rq->body : "", rq->body_len, &reply)) != ERR_OK)
		return e;
	if (reply == NULL)
		done(rs);
	else
		buf_puts(resp_raw(rs, 200, "application/json"), reply);
	return ERR_OK;
}
