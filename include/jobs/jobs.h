/*
 * jobs.h — work that must outlive the request that caused it (design §1):
 * rows in `jobs`, claimed by `meetd worker` with FOR UPDATE SKIP LOCKED so
 * several workers never take the same one, retried with exponential
 * back-off, and kept as `dead` with their last error when they give up.
 *
 * A job kind is one handler: it runs outside any transaction, and returns
 * ERR_OK when done; any other error is retried, but one listed as
 * permanent by the handler (JOB_PERMANENT) gives up at once.
 */
#ifndef MEETD_JOBS_H
#define MEETD_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/context.h"

#define JOB_MAX_ATTEMPTS 12
#define JOB_LEASE_S 300         /* a claimed job is another worker's after this */

struct job {
	uint64_t id;
	const char *kind;
	json_t *payload;        /* parsed; owned by the runner */
	int64_t attempts;       /* including this one */
	bool permanent;         /* set by a handler: retrying cannot help */
};

struct job_kind {
	const char *name;
	enum err (*run)(struct ctx *c, struct job *j);
};

/* Every kind a worker runs; NULL-terminated. */
extern const struct job_kind *const job_kinds[];
extern const struct job_kind job_provider_delete;

/* Claims the next due job (or one whose lease ran out), runs it and
 * records the outcome. *ran says whether there was one. c gives the
 * arena and services (c->app); its arena is reset by the caller. */
enum err jobs_run_next(struct ctx *c, bool *ran);

/* Seconds before attempt n+1 after n failures: 30 s doubling, at most
 * six hours, with full jitter over the upper half. */
int64_t jobs_backoff_s(int64_t attempts);

#endif
