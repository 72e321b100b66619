/*
 * health.c — liveness and readiness. /health answers from the process
 * alone (is it serving?); /ready also checks what a request needs: the
 * database answers, its schema is the one this binary expects, and the
 * responders are not crash-looping. Load balancers should use /ready.
 */
#include <unistd.h>

#include "api/api.h"
#include "core/app.h"
#include "core/clock.h"
#include "store/db.h"
#include "store/migrate.h"
#include "core/parse.h"
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
	struct db_rows rows;
	int64_t have = 0, want = migrate_latest_version();
	const char *db_state = "ok", *schema_state = "ok", *responders = "ok";
	enum err e;
	bool ready = true;
	struct jsonw *w;

	e = db_exec(rq->ctx.app->db, STMT_MIGRATION_COUNT, NULL, 0, rq->ctx.arena, &rows, 1, NULL);
	if (e == ERR_DB_SCHEMA) {
		db_state = "ok";
		schema_state = "outdated";
		ready = false;
	} else if (e != ERR_OK) {
		db_state = "unavailable";
		schema_state = "unknown";
		ready = false;
	} else if (rows.nrows != 1 || db_cell(&rows, 0, 1) == NULL ||
	    parse_i64z(db_cell(&rows, 0, 1), 0, INT32_MAX, &have) != ERR_OK || have != want) {
		schema_state = have > want ? "newer_than_binary" : "outdated";
		ready = false;
	}
	if (rq->ctx.app->sb != NULL && rq->ctx.app->sb->degraded) {
		responders = "crash_looping";
		ready = false;
	}
	if (!ready) {
		request_field_error(rq, "database", db_state);
		request_field_error(rq, "schema", schema_state);
		request_field_error(rq, "responders", responders);
		return request_fail(rq, ERR_NOT_READY, "meetd is not ready to serve");
	}
	w = resp_data(rs, 200, "meetd is ready");
	jw_obj_open(w);
	jw_kstr(w, "database", db_state);
	jw_kstr(w, "schema", schema_state);
	jw_kint(w, "schema_version", have);
	jw_kstr(w, "responders", responders);
	jw_obj_close(w);
	return ERR_OK;
}
