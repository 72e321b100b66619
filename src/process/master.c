/*
 * master.c — the pre-forking process manager (php-fpm's role, with its
 * regrets avoided).
 *
 * The master never handles a request. It keeps `responders` children
 * serving the shared socket, in generations: a reload starts a new
 * generation and asks the old one to finish its current request and exit,
 * so no request is dropped (php-src PR #3758). It is single-threaded and
 * has no signal handlers at all: every signal it cares about stays blocked
 * for its whole life (so fork() never races a handler, php-src PR #4836)
 * and is taken synchronously with sigtimedwait() in the main loop, which
 * also ticks four times a second to:
 *   - reap children and classify each death (recycled, crashed, killed
 *     for a timeout, drained),
 *   - respawn missing responders, at once after a clean exit, with a
 *     doubling back-off after crashes soon after start (php-src #9632),
 *   - SIGKILL a responder whose request is older than request_timeout,
 *     logging that request from the scoreboard,
 *   - SIGKILL draining responders past their stop deadline, recomputed
 *     every tick so the escalation cannot be missed (php-src PR #4460).
 * A child resets its signal state and runs responder_main(), which never
 * returns: the child _exit()s and cannot fall back into this loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "process/listen.h"
#include "core/log.h"
#include "process/master.h"
#include "process/responder.h"
#include "process/scoreboard.h"
#include "process/sdnotify.h"

#define TICK_MS 250
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000
#define QUICK_DEATH_MS 2000     /* a crash sooner than this after start is a loop */

enum master_state { MS_RUNNING, MS_RELOADING, MS_STOPPING };

struct child {
	pid_t pid;              /* 0: slot unused */
	int position;           /* 0..responders-1 within its generation */
	uint32_t generation;
	int64_t started_ms;
	bool draining;          /* asked to finish and exit */
	int64_t drain_deadline_ms;
	bool killed_timeout;
	bool killed_drain;      /* still busy at the drain deadline */
};

struct position {
	int64_t backoff_ms;     /* 0: spawn as soon as missing */
	int64_t next_spawn_ms;
};

struct master {
	enum master_state state;
	struct config *cfg;
	struct scoreboard *sb;
	int listen_fd;
	bool activated;
	uint32_t generation;
	struct child children[SB_MAX_SLOTS];    /* index == scoreboard slot */
	struct position positions[256];
	int64_t stop_deadline_ms;
	bool first_generation_started;
	const char *last_status;
};

static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigprocmask(SIG_BLOCK, set, NULL);
}

static int
free_slot(struct master *m)
{
	int i;

	for (i = 0; i < SB_MAX_SLOTS; i++)
		if (m->children[i].pid == 0)
			return i;
	return -1;
}

static void
spawn(struct master *m, int position)
{
	int slot = free_slot(m);
	pid_t pid;

	if (slot < 0) {
		log_msg(LOG_ERROR, "spawn", "no free scoreboard slot");
		return;
	}
	memset(&m->sb->slots[slot], 0, sizeof(m->sb->slots[slot]));
	sb_set_state(m->sb, slot, SLOT_STARTING);
	m->sb->slots[slot].generation = m->generation;
	/* signals are blocked here, as they are everywhere in the master */
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERROR, "spawn", "fork failed: %s", strerror(errno));
		sb_set_state(m->sb, slot, SLOT_EMPTY);
		m->positions[position].next_spawn_ms = clock_mono_ms() + 1000;
		return;
	}
	if (pid == 0)
		responder_main(m->cfg, m->listen_fd, m->sb, slot, getppid());  /* never returns */
	m->sb->slots[slot].pid = pid;
	m->children[slot] = (struct child){
		.pid = pid, .position = position, .generation = m->generation,
		.started_ms = clock_mono_ms(),
	};
	if (m->first_generation_started)
		sb_count(&m->sb->m.respawns);
}

/* Is a live, non-draining child of the current generation at `position`? */
static bool
position_filled(const struct master *m, int position)
{
	int i;

	for (i = 0; i < SB_MAX_SLOTS; i++) {
		const struct child *c = &m->children[i];
		if (c->pid != 0 && !c->draining && c->generation == m->generation &&
		    c->position == position)
			return true;
	}
	return false;
}

static void
fill_positions(struct master *m)
{
	int64_t now = clock_mono_ms();
	int p;

	if (m->state == MS_STOPPING)
		return;
	for (p = 0; p < (int)m->cfg->responders; p++) {
		if (!position_filled(m, p) && now >= m->positions[p].next_spawn_ms)
			spawn(m, p);
	}
	m->first_generation_started = true;
}

static void
drain_child(struct master *m, struct child *c, int64_t timeout_ms)
{
	if (c->pid == 0 || c->draining)
		return;
	c->draining = true;
	c->drain_deadline_ms = clock_mono_ms() + timeout_ms;
	kill(c->pid, SIGTERM);
}

static void
on_child_exit(struct master *m, pid_t pid, int status)
{
	int64_t now = clock_mono_ms();
	struct child *c = NULL;
	struct logline *l;
	int i, slot = -1;

	for (i = 0; i < SB_MAX_SLOTS; i++) {
		if (m->children[i].pid == pid) {
			c = &m->children[i];
			slot = i;
			break;
		}
	}
	if (c == NULL)
		return;
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	bool crashed = !clean && !c->draining && !c->killed_timeout;
	int64_t lived = now - c->started_ms;

	l = log_begin(crashed ? LOG_ERROR : LOG_INFO, "responder_exit");
	log_int(l, "child", pid);
	log_int(l, "generation", c->generation);
	log_int(l, "lived_ms", lived);
	if (WIFSIGNALED(status))
		log_str(l, "signal", strsignal(WTERMSIG(status)));
	else
		log_int(l, "exit_status", WEXITSTATUS(status));
	log_str(l, "reason", c->killed_timeout ? "request_timeout" :
	    c->killed_drain ? "killed_at_drain_deadline" : c->draining ? "drained" :
	    clean ? "recycled" : "crashed");
	log_end(l);

	if (crashed)
		sb_count(&m->sb->m.crashes);
	else if (clean && !c->draining)
		sb_count(&m->sb->m.recycles);

	if (c->generation == m->generation && !c->draining && c->position < 256) {
		struct position *p = &m->positions[c->position];

		if (crashed && lived < QUICK_DEATH_MS) {
			p->backoff_ms = p->backoff_ms == 0 ? BACKOFF_FIRST_MS : p->backoff_ms * 2;
			if (p->backoff_ms > BACKOFF_MAX_MS)
				p->backoff_ms = BACKOFF_MAX_MS;
			p->next_spawn_ms = now + p->backoff_ms;
			l = log_begin(LOG_WARN, "respawn_backoff");
			log_int(l, "lived_ms", lived);
			log_int(l, "delay_ms", p->backoff_ms);
			log_end(l);
		} else {
			p->backoff_ms = 0;
			p->next_spawn_ms = now;
		}
	}
	sb_set_state(m->sb, slot, SLOT_EMPTY);
	m->sb->slots[slot].pid = 0;
	memset(c, 0, sizeof(*c));
}

static void
reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		on_child_exit(m, pid, status);
}

static void
enforce_deadlines(struct master *m)
{
	int64_t now = clock_mono_ms();
	int64_t limit = m->cfg->request_timeout * 1000;
	int i;

	for (i = 0; i < SB_MAX_SLOTS; i++) {
		struct child *c = &m->children[i];
		struct sb_slot *s = &m->sb->slots[i];
		int64_t started;

		if (c->pid == 0)
			continue;
		started = __atomic_load_n(&s->req_start_ms, __ATOMIC_ACQUIRE);
		if (!c->killed_timeout && sb_get_state(m->sb, i) == SLOT_BUSY &&
		    started > 0 && now - started > limit) {
			struct logline *l = log_begin(LOG_ERROR, "request_timeout");
			log_int(l, "child", c->pid);
			log_str(l, "request_id", s->req_id);
			log_str(l, "method", s->req_method);
			log_str(l, "path", s->req_path);
			log_int(l, "running_ms", now - started);
			log_end(l);
			c->killed_timeout = true;
			sb_count(&m->sb->m.timeouts);
			kill(c->pid, SIGKILL);
		}
		if (c->draining && now >= c->drain_deadline_ms) {
			log_msg(LOG_WARN, "drain_timeout", "responder %d still busy after the drain deadline; killing it", (int)c->pid);
			c->drain_deadline_ms = INT64_MAX;
			c->killed_drain = true;
			kill(c->pid, SIGKILL);
		}
	}
}

static int
live_children(const struct master *m, bool current_generation_only)
{
	int i, n = 0;

	for (i = 0; i < SB_MAX_SLOTS; i++)
		if (m->children[i].pid != 0 &&
		    (!current_generation_only || (m->children[i].generation == m->generation &&
		    !m->children[i].draining)))
			n++;
	return n;
}

/* All responders of the current generation have reached their accept loop. */
static bool
generation_ready(const struct master *m)
{
	int i, ready = 0;

	for (i = 0; i < SB_MAX_SLOTS; i++) {
		const struct child *c = &m->children[i];
		if (c->pid != 0 && c->generation == m->generation && !c->draining &&
		    sb_get_state(m->sb, i) >= SLOT_IDLE)
			ready++;
	}
	return ready >= m->cfg->responders;
}

static void
update_status(struct master *m)
{
	int64_t now = clock_mono_ms();
	int i, p, backing_off = 0;
	const char *status;

	/* a responder that outlived the quick-death window ends its position's
	 * back-off: the loop is broken */
	for (i = 0; i < SB_MAX_SLOTS; i++) {
		const struct child *c = &m->children[i];

		if (c->pid != 0 && c->generation == m->generation && !c->draining && c->position < 256 &&
		    now - c->started_ms >= QUICK_DEATH_MS)
			m->positions[c->position].backoff_ms = 0;
	}
	for (p = 0; p < (int)m->cfg->responders; p++)
		if (m->positions[p].backoff_ms >= 4 * BACKOFF_FIRST_MS)
			backing_off++;
	m->sb->degraded = backing_off > 0;
	status = m->sb->degraded ? "degraded: responders are crash-looping" : "serving";
	if (m->state == MS_RUNNING && status != m->last_status) {
		sdnotify("STATUS=%s (%d responders)", status, (int)m->cfg->responders);
		if (m->sb->degraded)
			log_msg(LOG_ERROR, "degraded", "responders are crash-looping; restarts are backed off");
		m->last_status = status;
	}
}

static void
reload(struct master *m)
{
	struct config *ncfg = NULL;
	struct buf errs;
	int64_t drain_ms;
	int i;

	buf_init(&errs, 16 * 1024);
	sdnotify("RELOADING=1\nMONOTONIC_USEC=%lld\nSTATUS=reloading", (long long)clock_mono_us());
	if (config_load(m->cfg->path, &ncfg, &errs) != ERR_OK ||
	    config_load_secrets(ncfg, &errs) != ERR_OK) {
		log_msg(LOG_ERROR, "reload_failed", "configuration rejected, keeping the running one: %s",
		    buf_cstr(&errs));
		config_free(ncfg);
		buf_free(&errs);
		sdnotify("READY=1\nSTATUS=reload failed; running the previous configuration");
		m->last_status = NULL;
		return;
	}
	buf_free(&errs);
	if (strcmp(ncfg->listen, m->cfg->listen) != 0)
		log_msg(LOG_WARN, "reload", "server.listen changed; it takes effect on restart only");
	drain_ms = m->cfg->stop_timeout * 1000;
	config_free(m->cfg);
	m->cfg = ncfg;
	log_setup(m->cfg->log_level, "master");
	m->generation++;
	m->sb->generation = m->generation;
	memset(m->positions, 0, sizeof(m->positions));
	/* new generation first, so the socket is never without a server */
	fill_positions(m);
	for (i = 0; i < SB_MAX_SLOTS; i++)
		if (m->children[i].pid != 0 && m->children[i].generation != m->generation)
			drain_child(m, &m->children[i], drain_ms);
	m->state = MS_RELOADING;
	log_msg(LOG_INFO, "reload", "generation %u started", m->generation);
}

static void
begin_stop(struct master *m, int signo)
{
	int i;

	if (m->state == MS_STOPPING)
		return;
	log_msg(LOG_INFO, "stopping", "%s received; draining in-flight requests", strsignal(signo));
	sdnotify("STOPPING=1\nSTATUS=draining");
	m->state = MS_STOPPING;
	m->stop_deadline_ms = clock_mono_ms() + m->cfg->stop_timeout * 1000;
	for (i = 0; i < SB_MAX_SLOTS; i++)
		drain_child(m, &m->children[i], m->cfg->stop_timeout * 1000);
}

int
master_run(struct config *cfg)
{
	static struct master m;
	struct timespec tick = { 0, TICK_MS * 1000000L };
	sigset_t set;
	siginfo_t si;

	log_setup(cfg->log_level, "master");
	m.cfg = cfg;
	m.generation = 1;
	signal(SIGPIPE, SIG_IGN);
	block_signals(&set);
	sdnotify_init();
	if ((m.sb = sb_create()) == NULL) {
		log_msg(LOG_ERROR, "startup", "cannot map the scoreboard");
		return 1;
	}
	m.sb->generation = m.generation;
	m.sb->started_wall = clock_wall_ms() / 1000;
	if (listen_open(cfg, &m.listen_fd, &m.activated) != ERR_OK)
		return 1;
	log_msg(LOG_INFO, "startup", "meetd %s serving %s with %d responders", PACKAGE_VERSION,
	    m.activated ? "the systemd socket" : cfg->listen, (int)cfg->responders);
	m.state = MS_RELOADING;         /* READY is sent once the generation is up */
	fill_positions(&m);

	for (;;) {
		int signo = sigtimedwait(&set, &si, &tick);

		switch (signo) {
		case SIGHUP:
			if (m.state != MS_STOPPING)
				reload(&m);
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			begin_stop(&m, signo);
			break;
		default:        /* SIGCHLD, or the tick */
			break;
		}
		reap(&m);
		if (m.state == MS_STOPPING) {
			int64_t now = clock_mono_ms();
			if (live_children(&m, false) == 0)
				break;
			if (now >= m.stop_deadline_ms) {
				int i;
				for (i = 0; i < SB_MAX_SLOTS; i++)
					if (m.children[i].pid != 0)
						kill(m.children[i].pid, SIGKILL);
				m.stop_deadline_ms = INT64_MAX;
			}
			enforce_deadlines(&m);
			continue;
		}
		fill_positions(&m);
		enforce_deadlines(&m);
		if (m.state == MS_RELOADING && generation_ready(&m)) {
			m.state = MS_RUNNING;
			m.last_status = NULL;
			sdnotify("READY=1\nMAINPID=%d", (int)getpid());
		}
		update_status(&m);
	}
	listen_close(m.cfg, m.listen_fd, m.activated);
	log_msg(LOG_INFO, "stopped", "all responders have exited");
	sb_destroy(m.sb);
	config_free(m.cfg);
	return 0;
}
