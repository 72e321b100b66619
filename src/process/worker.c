/*
 * worker.c — the background worker's process (see worker.h).
 *
 * One thread, one database connection: it claims one job at a time and
 * sleeps a second when none is due. A stop signal is honoured between
 * jobs, so a job is never cut in half by our own shutdown (a killed
 * worker's job is taken over when its lease runs out). Between jobs it
 * also fetches the identity providers' key sets that are due
 * (jwks_fetch.h); `--once` fetches all of them.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/context.h"
#include "store/db.h"
#include "outbound/http_client.h"
#include "outbound/nchan.h"
#include "domain/realtime.h"
#include "jobs/jobs.h"
#include "jobs/jwks_fetch.h"
#include "store/limiter.h"
#include "core/log.h"
#include "auth/secretbox.h"
#include "process/worker.h"

#define ARENA_MAX (8 * 1024 * 1024)
#define IDLE_SLEEP_MS 1000
#define PURGE_EVERY_MS 60000

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop;        /* no SA_RESTART: the idle sleep must end */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

static void
idle(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (!stop_requested)
		(void)nanosleep(&ts, NULL);      /* EINTR on a stop signal: fine */
}

/*
 * Real time's background half: events no responder could publish, people
 * away past the grace, and (less often) the sweep that finds connections
 * nginx never reported closed. Each step logs and carries on: the next
 * round starts where this one stopped.
 */
static void
realtime_round(struct ctx *c, bool sweep)
{
	int64_t n;
	enum err e;

	if ((e = events_publish_due(c, &n)) != ERR_OK)
		log_msg(LOG_WARN, "realtime", "publishing from the outbox: %s", err_name(e));
	else if (n > 0)
		log_msg(LOG_INFO, "realtime", "published %lld events from the outbox", (long long)n);
	arena_reset(c->arena);
	if ((e = presence_expire(c, &n)) != ERR_OK)
		log_msg(LOG_WARN, "realtime", "presence grace: %s", err_name(e));
	else if (n > 0)
		log_msg(LOG_INFO, "realtime", "%lld participants left after the presence grace", (long long)n);
	arena_reset(c->arena);
	if (!sweep)
		return;
	if ((e = presence_sweep(c, &n)) != ERR_OK)
		log_msg(LOG_WARN, "realtime", "presence sweep: %s", err_name(e));
	else if (n > 0)
		log_msg(LOG_INFO, "realtime", "presence sweep corrected %lld meetings", (long long)n);
	arena_reset(c->arena);
}

/* Expired rows nobody will read again, in small batches. */
static void
purge(struct app *app, struct ctx *c)
{
	if (events_purge(c) != ERR_OK || limiter_purge(app->db) < 0 ||
	    db_exec(app->db, STMT_JOB_PURGE, NULL, 0, NULL, NULL, 0, NULL) != ERR_OK ||
	    db_exec(app->db, STMT_WEBHOOK_DELIVERY_PURGE, NULL, 0, NULL, NULL, 0, NULL) != ERR_OK)
		log_msg(LOG_WARN, "purge", "could not purge expired rows");
}

int
worker_run(const struct config *cfg, bool once)
{
	struct app app = { .cfg = cfg };
	struct secretbox box[SECRETBOX_MAX_KEYS];
	struct ctx c;
	struct arena *arena;
	int64_t next_purge = 0, next_sweep = 0, next_jwks[CONFIG_MAX_IDPS] = { 0 };
	bool ran;
	size_t i;
	enum err e;
	int status = 0;

	log_setup(cfg->log_level, "worker");
	setup_signals();
	memset(box, 0, sizeof(box));
	if ((arena = arena_new(ARENA_MAX)) == NULL || (app.db = db_new(cfg, NULL)) == NULL ||
	    (app.http = http_client_new(cfg)) == NULL || (app.nchan = nchan_new(cfg, NULL)) == NULL) {
		log_msg(LOG_ERROR, "worker", "out of memory");
		return 2;
	}
	if (cfg->data_key.len > 0 &&
	    secretbox_ring_init(box, &cfg->data_key, cfg->previous_keys, cfg->nprevious_keys))
		app.box = &box[0];
	if ((e = db_connect(app.db)) != ERR_OK)
		log_msg(LOG_WARN, "worker", "database not usable yet: %s", err_name(e));
	log_msg(LOG_INFO, "worker", "started%s", once ? " (once)" : "");
	while (!stop_requested) {
		bool sweep = clock_mono_ms() >= next_sweep;

		/* the worker acts as the system: no user, no request */
		memset(&c, 0, sizeof(c));
		c.arena = arena;
		c.app = &app;
		c.who.kind = PRINCIPAL_SYSTEM;
		if (clock_mono_ms() >= next_purge) {
			purge(&app, &c);
			arena_reset(arena);
			next_purge = clock_mono_ms() + PURGE_EVERY_MS;
		}
		if (jwks_fetch_due(&app, next_jwks, false) > 0 && once)
			status = 1;
		realtime_round(&c, sweep);
		if (sweep)
			next_sweep = clock_mono_ms() + cfg->realtime_sweep_interval * 1000;
		c.who.kind = PRINCIPAL_SYSTEM;
		e = jobs_run_next(&c, &ran);
		arena_reset(arena);
		if (e != ERR_OK) {
			log_msg(LOG_WARN, "worker", "job queue: %s", err_name(e));
			status = once ? 1 : 0;
		}
		if (once && (!ran || e != ERR_OK))
			break;
		if (!ran || e != ERR_OK)
			idle(IDLE_SLEEP_MS);    /* also after a database failure: no busy loop */
	}
	log_msg(LOG_INFO, "worker", "stopped");
	db_free(app.db);
	http_client_free(app.http);
	nchan_free(app.nchan);
	for (i = 0; i < SECRETBOX_MAX_KEYS; i++)
		secretbox_wipe(&box[i]);
	arena_free(arena);
	return status;
}
