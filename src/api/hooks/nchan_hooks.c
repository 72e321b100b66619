/*
 * nchan_hooks.c — nchan's presence callbacks, as nginx's loopback hook
 * server passes them on (never a subrequest straight to FastCGI: that
 * crashes the nginx worker). The path names the meeting and the user, as
 * the subscription's grant wrote them; only the hook server can reach these
 * routes (AUTH_HOOK).
 *
 *   GET /internal/hook/subscribe/{meeting}/{user}     a connection opened
 *   GET /internal/hook/unsubscribe/{meeting}/{user}   one closed
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
