/*
 * zoom_oauth.c — the Cal.com-style integration's per-user Zoom connection:
 * GET /api/zoom/auth sends the signed-in user to Zoom's consent page, and
 * GET /api/zoom/auth/callback (where Zoom sends the browser back, without
 * our bearer token) completes it. The work is the domain's (connections).
 */
#include "api/api.h"
#include "domain/connections.h"

/* GET /api/zoom/auth: 302 to Zoom's authorize page. */
enum err
zoom_auth_start(struct request *rq, struct response *rs)
{
	const char *url;
	enum err e;

	if ((e = connections_zoom_authorize(&rq->ctx, &url)) != ERR_OK)
		return e;
	resp_raw(rs, 302, "text/plain; charset=utf-8");
	resp_header(rs, "Location", url);
	resp_header(rs, "Cache-Control", "no-store");
	return ERR_OK;
}

/* GET /api/zoom/auth/callback?code=…&state=… */
enum err
zoom_auth_callback(struct request *rq, struct response *rs)
{
	struct jsonw *w;
	enum err e;

	if ((e = connections_zoom_finish(&rq->ctx, request_query(rq, "code"),
	    request_query(rq, "state"))) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Zoom account connected");
	jw_obj_open(w);
	jw_kbool(w, "connected", true);
	jw_kstr(w, "status", "active");
	jw_obj_close(w);
	return ERR_OK;
}
