/*
 * presence.c — connected, away, left (see realtime.h).
 *
 * nchan reports each subscription opening and closing (through a loopback
 * proxy hop: never a subrequest straight to FastCGI). The counts live on
 * the channel rows of schema 008: a participant whose last connection
 * closed is away from that moment, and keeps their seat for the configured
 * grace; a reconnect within it clears the mark, and past it the worker
 * makes them leave. What nginx could not report (a crash, a reload that
 * dropped connections) the sweep finds by asking nchan how many subscribers
 * each live meeting's channel has: one question per live meeting, however
 * many people listen.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/rand.h"
#include "domain/meetings.h"
#include "domain/realtime.h"
#include "outbound/nchan.h"
#include "store/db.h"

#define EXPIRE_BATCH 100
#define SWEEP_PAGE 200

enum err
presence_connected(struct ctx *c, const char *meeting_id, const char *user_id)
{
	struct db_val p[3];

	if (!ulid_valid(meeting_id) || !ulid_valid(user_id))
		return ERR_NOT_FOUND;
	p[0] = DB_STR(meeting_id);
	p[1] = DB_STR(user_id);
	p[2] = DB_STR(meeting_id);
	return db_exec(c->app->db, STMT_RT_CONNECT, p, 3, NULL, NULL, 0, NULL);
}

enum err
presence_disconnected(struct ctx *c, const char *meeting_id, const char *user_id)
{
	struct db_val p[3];

	if (!ulid_valid(meeting_id) || !ulid_valid(user_id))
		return ERR_NOT_FOUND;
	p[0] = DB_STR(meeting_id);
	p[1] = DB_STR(user_id);
	p[2] = DB_STR(meeting_id);
	return db_exec(c->app->db, STMT_RT_DISCONNECT, p, 3, NULL, NULL, 0, NULL);
}

struct expire_tx {
	struct ctx *c;
	const char *meeting_id, *user_id;
	bool left;
};

/* Still away past the grace (a reconnect may have won the race)? Then the
 * open session, if any, ends as a leave would. */
static enum err
expire_in_tx(struct db *db, void *arg)
{
	struct expire_tx *t = arg;
	struct ctx *c = t->c;
	char left_at[CLOCK_ISO_LEN];
	struct db_val p[3];
	uint64_t n = 0;
	enum err e;

	t->left = false;
	p[0] = DB_STR(t->meeting_id);
	p[1] = DB_STR(t->user_id);
	p[2] = DB_I64(c->app->cfg->realtime_presence_grace);
	if ((e = db_exec(db, STMT_RT_AWAY_CLAIM, p, 3, NULL, NULL, 0, &n)) != ERR_OK || n == 0)
		return e;
	e = participant_end_session(c, db, t->meeting_id, "disconnected", left_at);
	if (e == ERR_PARTICIPANT_NOT_FOUND)
		return ERR_OK;  /* a member who listened without joining */
	t->left = e == ERR_OK;
	return e;
}

enum err
presence_expire(struct ctx *c, int64_t *left)
{
	struct db_rows rows;
	struct db_val p[2];
	size_t r;
	enum err e;

	*left = 0;
	p[0] = DB_I64(c->app->cfg->realtime_presence_grace);
	p[1] = DB_I64(EXPIRE_BATCH);
	if ((e = db_exec(c->app->db, STMT_RT_AWAY_DUE, p, 2, c->arena, &rows, EXPIRE_BATCH,
	    NULL)) != ERR_OK)
		return e;
	for (r = 0; r < rows.nrows; r++) {
		struct expire_tx t = { .c = c, .meeting_id = db_cell(&rows, r, 0),
		    .user_id = db_cell(&rows, r, 1) };

		/* the leave is the participant's own, as if they had sent it */
		c->who.subject = t.user_id;
		c->nevents = 0;
		e = db_tx(c->app->db, expire_in_tx, &t);
		c->who.subject = NULL;
		if (e != ERR_OK)
			return e;
		events_publish_written(c);
		*left += t.left;
	}
	return ERR_OK;
}

static enum err
set_connections(struct ctx *c, const char *meeting_id, const char *user_id, int64_t n)
{
	struct db_val p[3] = { DB_I64(n), DB_STR(meeting_id), DB_STR(user_id) };

	return db_exec(c->app->db, STMT_RT_SET_CONNECTIONS, p, 3, NULL, NULL, 0, NULL);
}

/* A meeting whose count disagrees with nchan's: each live participant's
 * own channel is asked, and the counts become nchan's. */
static enum err
reconcile(struct ctx *c, const char *meeting_id, int64_t live)
{
	char channel[RT_CHANNEL_MAX];
	struct db_rows rows;
	struct db_val p[1] = { DB_STR(meeting_id) };
	size_t r;
	enum err e;

	if ((e = db_exec(c->app->db, STMT_RT_LIVE_PARTICIPANTS, p, 1, c->arena, &rows, 10000,
	    NULL)) != ERR_OK)
		return e;
	for (r = 0; r < rows.nrows; r++) {
		int64_t n = 0;

		if (live > 0) {
			rt_user_channel(meeting_id, db_cell(&rows, r, 0), channel);
			if ((e = nchan_subscribers(c->app->nchan, channel, &n)) != ERR_OK)
				return e;
		}
		if ((e = set_connections(c, meeting_id, db_cell(&rows, r, 0), n)) != ERR_OK)
			return e;
	}
	return set_connections(c, meeting_id, "", live);
}

enum err
presence_sweep(struct ctx *c, int64_t *corrected)
{
	char after[ULID_LEN + 1] = "", channel[RT_CHANNEL_MAX];
	struct db_rows rows;
	struct db_val p[2];
	size_t r;
	enum err e;

	*corrected = 0;
	if (!nchan_enabled(c->app->nchan))
		return ERR_OK;
	do {
		p[0] = DB_STR(after);
		p[1] = DB_I64(SWEEP_PAGE);
		if ((e = db_exec(c->app->db, STMT_RT_LIVE_MEETINGS, p, 2, c->arena, &rows, SWEEP_PAGE,
		    NULL)) != ERR_OK)
			return e;
		for (r = 0; r < rows.nrows; r++) {
			const char *id = db_cell(&rows, r, 0);
			int64_t known, live;

			if (parse_i64z(db_cell(&rows, r, 1), 0, INT64_MAX, &known) != ERR_OK)
				return ERR_DB_SCHEMA;
			rt_meeting_channel(id, channel);
			/* nchan not answering says nothing about who is there */
			if ((e = nchan_subscribers(c->app->nchan, channel, &live)) != ERR_OK)
				return e;
			if (live != known) {
				if ((e = reconcile(c, id, live)) != ERR_OK)
					return e;
				(*corrected)++;
			}
		}
		if (rows.nrows > 0)
			snprintf(after, sizeof(after), "%s", db_cell(&rows, rows.nrows - 1, 0));
	} while (rows.nrows == SWEEP_PAGE);
	return ERR_OK;
}
