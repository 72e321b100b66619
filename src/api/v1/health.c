/*
 * health.c — liveness and readiness. /health answers from the process
 * alone (is it serving?); /ready also checks what a request needs: the
 * database answers, its schema is the one this binary expects, and the
 * responders are not crash-looping. Load balancers should use /ready.
 */
#include <unistd.h>

#include "api/api.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/service.h"
#include "process/scoreboard.h"

enum err
api_health(struct request *rq, struct response *rs)
{
	struct jsonw *w = resp_data(rs, 200, "meetd is alive");
	struct scoreboard *sb = rq->ctx.app->sb;

	jw_obj_open(w);
	jw_kstr(w, "status", "ok");
	jw_kstr(w, "version", PACKAGE_VERSION);
	jw_kint(w, "pid", (int64_t)getpid());
	if (sb != NULL)
		jw_kint(w, "uptime_seconds", clock_wall_ms() / 1000 - sb->started_wall);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_ready(struct request *rq, struct response *rs)
{
	const char *responders = "ok";
	struct readiness r;
	struct jsonw *w;

	service_readiness(&rq->ctx, &r);
	if (rq->ctx.app->sb != NULL && rq->ctx.app->sb->degraded) {
		responders = "crash_looping";
		r.ready = false;
	}
	if (!r.ready) {
		request_field_error(rq, "database", r.database);
		request_field_error(rq, "schema", r.schema);
		request_field_error(rq, "responders", responders);
		return request_fail(rq, ERR_NOT_READY, "meetd is not ready to serve");
	}
	w = resp_data(rs, 200, "meetd is ready");
	jw_obj_open(w);
	jw_kstr(w, "database", r.database);
	jw_kstr(w, "schema", r.schema);
	jw_kint(w, "schema_version", r.schema_version);
	jw_kstr(w, "responders", responders);
	jw_obj_close(w);
	return ERR_OK;
}
