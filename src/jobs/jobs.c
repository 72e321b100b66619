/*
 * jobs.c — claiming, running and settling jobs (see jobs.h).
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "store/db.h"
#include "jobs/jobs.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/rand.h"

#define BACKOFF_BASE_S 30
#define BACKOFF_MAX_S (6 * 3600)

const struct job_kind *const job_kinds[] = { &job_provider_delete, NULL };

int64_t
jobs_backoff_s(int64_t attempts)
{
	int64_t ceiling = BACKOFF_BASE_S, half;
	uint32_t r = 0;

	while (attempts-- > 1 && ceiling < BACKOFF_MAX_S)
		ceiling *= 2;
	if (ceiling > BACKOFF_MAX_S)
		ceiling = BACKOFF_MAX_S;
	/* jitter spreads the retries of jobs that failed together */
	half = ceiling / 2;
	(void)rand_bytes(&r, sizeof(r));
	return half + (int64_t)(r % (uint32_t)(half + 1));
}

struct claim {
	struct ctx *ctx;
	struct db_rows rows;
};

static enum err
claim_in_tx(struct db *db, void *ctx)
{
	struct claim *cl = ctx;
	struct db_val p[2];
	enum err e;

	if ((e = db_exec(db, STMT_JOB_CLAIM, NULL, 0, cl->ctx->arena, &cl->rows, 1, NULL)) != ERR_OK ||
	    cl->rows.nrows == 0)
		return e;
	p[0] = DB_I64(JOB_LEASE_S);
	p[1] = DB_STR(db_cell(&cl->rows, 0, 0));
	return db_exec(db, STMT_JOB_TAKE, p, 2, cl->ctx->arena, NULL, 0, NULL);
}

static const struct job_kind *
kind_find(const char *name)
{
	size_t i;

	for (i = 0; job_kinds[i] != NULL; i++)
		if (strcmp(job_kinds[i]->name, name) == 0)
			return job_kinds[i];
	return NULL;
}

/* Done, or queued again after a back-off, or dead. */
static enum err
settle(struct ctx *c, const char *id, const struct job *j, enum err outcome)
{
	const char *why, *state;
	struct db_val p[4];

	if (outcome == ERR_OK) {
		p[0] = DB_STR(id);
		return db_exec(c->app->db, STMT_JOB_DONE, p, 1, c->arena, NULL, 0, NULL);
	}
	why = c->err.message != NULL ?
	    arena_printf(c->arena, "%s: %.200s", err_name(outcome), c->err.message) : err_name(outcome);
	state = j->permanent || j->attempts >= JOB_MAX_ATTEMPTS ? "dead" : "queued";
	log_msg(strcmp(state, "dead") == 0 ? LOG_ERROR : LOG_WARN, "job", "%s %s attempt %lld failed (%s): %s",
	    j->kind, id, (long long)j->attempts, err_name(outcome), state);
	p[0] = DB_STR(state);
	p[1] = DB_I64(jobs_backoff_s(j->attempts));
	p[2] = DB_STR(why);
	p[3] = DB_STR(id);
	return db_exec(c->app->db, STMT_JOB_RETRY, p, 4, c->arena, NULL, 0, NULL);
}

enum err
jobs_run_next(struct ctx *c, bool *ran)
{
	struct claim cl = { .ctx = c };
	const struct job_kind *kind;
	struct job j;
	const char *id, *payload;
	int64_t job_id, attempts;
	enum err e, outcome;

	*ran = false;
	if ((e = db_tx(c->app->db, claim_in_tx, &cl)) != ERR_OK || cl.rows.nrows == 0)
		return e;
	*ran = true;
	memset(&j, 0, sizeof(j));
	id = db_cell(&cl.rows, 0, 0);
	if (parse_i64z(id, 1, INT64_MAX, &job_id) != ERR_OK ||
	    parse_i64z(db_cell(&cl.rows, 0, 3), 0, INT32_MAX, &attempts) != ERR_OK)
		return ERR_DB_SCHEMA;
	j.id = (uint64_t)job_id;
	j.kind = db_cell(&cl.rows, 0, 1);
	payload = db_cell(&cl.rows, 0, 2);
	j.attempts = attempts + 1;
	j.payload = payload != NULL ? json_loads(payload, 0, NULL) : NULL;
	memset(&c->err, 0, sizeof(c->err));
	if ((kind = kind_find(j.kind)) == NULL) {
		j.permanent = true;
		outcome = ctx_fail(c, ERR_NOT_SUPPORTED, "no handler for this job kind");
	} else if (!json_is_object(j.payload)) {
		j.permanent = true;
		outcome = ctx_fail(c, ERR_INTERNAL, "the payload is not a JSON object");
	} else {
		log_msg(LOG_INFO, "job", "running %s %s (attempt %lld)", j.kind, id, (long long)j.attempts);
		outcome = kind->run(c, &j);
	}
	json_decref(j.payload);
	return settle(c, id, &j, outcome);
}
