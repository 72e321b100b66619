/*
 * responder.c — one single-threaded responder.
 *
 * The loop waits in ppoll() on the listening socket with SIGTERM/SIGINT
 * unblocked only there: a stop request arriving mid-request stays pending
 * until the answer is sent, then interrupts the next wait. That makes
 * "finish the current request, then exit" race-free without any work in a
 * signal handler beyond setting a flag. PR_SET_PDEATHSIG turns the
 * master's death into the same graceful stop.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "store/db.h"
#include "http/dispatch.h"
#include "http/fcgi.h"
#include "outbound/http_client.h"
#include "outbound/nchan.h"
#include "domain/realtime.h"
#include "auth/idp.h"
#include "core/log.h"
#include "core/rand.h"
#include "process/responder.h"
#include "http/router.h"
#include "auth/secretbox.h"
#include "store/limiter.h"

#define ARENA_MAX (64 * 1024 * 1024)

static volatile sig_atomic_t stop_requested;

static void
on_stop(int signo)
{
	(void)signo;
	stop_requested = 1;
}

static void
setup_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_stop;        /* no SA_RESTART: ppoll must return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);

	/* inherited mask blocks all the master's signals; keep the stop
	 * signals blocked except inside ppoll, and unblock the rest */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_SETMASK, &block, NULL);
	sigemptyset(wait_mask);
}

/*
 * A stop signal that arrived mid-request is still pending (blocked) when
 * ppoll() finds the socket ready: ppoll reports the ready socket and puts
 * the mask back without delivering the signal. Under sustained load the
 * socket is always ready, so without this check a draining responder would
 * keep accepting until the master kills it, mid-request, at the drain
 * deadline.
 */
static bool
stop_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending) != 0)
		return false;
	return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1 ||
	    sigismember(&pending, SIGQUIT) == 1;
}

static bool
request_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (i >= 64 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static void
access_log(const struct request *rq, const char *path, const struct response *rs, enum err e,
    int64_t us)
{
	struct logline *l = log_begin(rs->status >= 500 ? LOG_WARN : LOG_INFO, "access");

	log_str(l, "method", rq->method_name);
	log_str(l, "path", path);
	log_str(l, "route", rq->route != NULL ? rq->route->name : NULL);
	log_int(l, "status", rs->status);
	if (e != ERR_OK)
		log_str(l, "error", err_name(e));
	log_int(l, "duration_us", us);
	log_int(l, "bytes", (int64_t)rs->body.len);
	log_str(l, "remote_addr", rq->remote_addr);
	if (rq->ctx.who.subject != NULL)
		log_str(l, "subject", rq->ctx.who.subject);
	log_end(l);
}

/*
 * Expired limiter, attempt and idempotency rows are deleted in small
 * batches, after a request has been answered, about once a minute per
 * responder (the background worker will take this over).
 */
static void
housekeeping(struct app *app)
{
	int64_t now = clock_mono_ms();

	if (app->db == NULL || now < app->next_purge_ms)
		return;
	app->next_purge_ms = now + 60000 + app->slot * 997;
	if (limiter_purge(app->db) < 0)
		log_msg(LOG_WARN, "purge", "could not purge expired limiter rows");
}

static void
serve_one(struct app *app, struct fcgi_conn *conn, struct arena *arena, struct response *rs)
{
	struct request rq;
	int64_t t0 = clock_mono_us(), us;
	char rid[ULID_LEN + 1];
	const char *log_path;
	enum err e;

	memset(&rq, 0, sizeof(rq));
	rq.ctx.arena = arena;
	rq.ctx.app = app;
	resp_reset(rs);
	fcgi_fill(conn, &rq);
	if (!request_id_ok(rq.request_id)) {
		ulid_new(rid);
		rq.request_id = arena_strdup(arena, rid);
	}
	log_set_request_id(rq.request_id);
	log_path = router_loggable_path(routes, routes_count, rq.path);
	if (app->sb != NULL)
		sb_request_begin(app->sb, app->slot, rq.method_name, log_path, rq.request_id);

	e = dispatch(&rq, rs);
	/* never leave nginx blocked writing a body we did not want */
	dispatch_drain(&rq, (size_t)app->cfg->body_limit * 2);
	fcgi_send(conn, &rq, rs);
	fcgi_finish(conn);

	us = clock_mono_us() - t0;
	if (app->sb != NULL)
		sb_request_end(app->sb, app->slot, rq.route != NULL ? router_index(rq.route) : routes_count,
		    rs->status, us);
	if (app->cfg->access_log)
		access_log(&rq, log_path, rs, e, us);
	/* the client has its answer: now the events its change caused */
	if (rq.ctx.nevents > 0)
		events_publish_written(&rq.ctx);
	log_set_request_id(NULL);
	request_release(&rq);
	arena_reset(arena);
	housekeeping(app);
}

void
responder_main(const struct config *cfg, int listen_fd, struct scoreboard *sb,
    int slot, pid_t master_pid)
{
	struct app app = { .cfg = cfg, .sb = sb, .slot = slot };
	struct nchan_counters rt_counters = { .published = sb != NULL ? &sb->m.rt_published : NULL,
	    .failed = sb != NULL ? &sb->m.rt_publish_failed : NULL };
	struct db_counters counters = { .errors = sb != NULL ? &sb->m.db_errors : NULL,
	    .tx_retries = sb != NULL ? &sb->m.db_tx_retries : NULL,
	    .limiter_full = sb != NULL ? &sb->m.limiter_full : NULL };
	struct secretbox box[SECRETBOX_MAX_KEYS];
	struct fcgi_conn *conn;
	struct arena *arena;
	struct response rs;
	sigset_t wait_mask;
	int64_t served = 0;
	size_t i;
	enum err e;

	log_setup(cfg->log_level, "responder");
	/* A fixed threshold: glibc's adaptive one rises after the first large
	 * free, after which each scrypt buffer (16+ MiB) stays on the heap and
	 * in the responder's RSS for good. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	setup_signals(&wait_mask);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master_pid)
		_exit(0);       /* the master died before we could ask */

	if ((conn = fcgi_conn_new(listen_fd)) == NULL || (arena = arena_new(ARENA_MAX)) == NULL ||
	    (app.db = db_new(cfg, &counters)) == NULL || (app.http = http_client_new(cfg)) == NULL ||
	    (app.nchan = nchan_new(cfg, &rt_counters)) == NULL) {
		log_msg(LOG_ERROR, "responder_init", "out of memory");
		_exit(2);
	}
	if (cfg->data_key.len > 0 &&
	    secretbox_ring_init(box, &cfg->data_key, cfg->previous_keys, cfg->nprevious_keys))
		app.box = &box[0];
	resp_init(&rs);
	/* connect and prepare now, so a schema mismatch shows at start; a
	 * database that is down is retried by the first request needing it */
	if ((e = db_connect(app.db)) != ERR_OK)
		log_msg(LOG_WARN, "responder_init", "database not usable yet: %s", err_name(e));
	sb_set_state(sb, slot, SLOT_IDLE);

	while (!stop_requested) {
		struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
		int n = ppoll(&pfd, 1, NULL, &wait_mask);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERROR, "responder", "poll failed: %s", strerror(errno));
			_exit(3);
		}
		if (stop_pending())
			break;
		switch (fcgi_accept(conn)) {
		case FCGI_AGAIN:
			continue;
		case FCGI_FAILED:
			log_msg(LOG_ERROR, "responder", "accept failed");
			_exit(3);
		case FCGI_ACCEPTED:
			break;
		}
		serve_one(&app, conn, arena, &rs);
		if (cfg->max_requests > 0 && ++served >= cfg->max_requests)
			break;
	}
	sb_set_state(sb, slot, SLOT_EMPTY);
	db_free(app.db);
	http_client_free(app.http);
	nchan_free(app.nchan);
	idp_trust_free(app.trust);
	for (i = 0; i < SECRETBOX_MAX_KEYS; i++)
		secretbox_wipe(&box[i]);
	resp_free(&rs);
	arena_free(arena);
	fcgi_conn_free(conn);
	_exit(0);
}
