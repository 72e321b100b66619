/*
 * controls.c — participants' status and hosts' actions (see controls.h).
 */
#include <string.h>

#include "core/app.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "core/parse.h"
#include "core/rand.h"
#include "domain/controls.h"
#include "domain/journal.h"
#include "domain/meeting.h"
#include "domain/policy.h"
#include "store/db.h"

static const char *const action_names[HA__MAX] = {
	[HA_MUTE] = "mute", [HA_STOP_VIDEO] = "stop_video", [HA_STOP_SCREEN_SHARE] = "stop_screen_share",
	[HA_LOWER_HAND] = "lower_hand", [HA_REMOVE] = "remove", [HA_ALLOW_REJOIN] = "allow_rejoin",
};

const char *
host_action_name(enum host_action a)
{
	return a < HA__MAX ? action_names[a] : NULL;
}

enum host_action
host_action_parse(const char *s)
{
	return (enum host_action)parse_name(s, action_names, HA__MAX);
}

/* user_id's open session in meeting_id, locked: its id and status. */
static enum err
lock_session(struct ctx *c, struct db *db, const char *meeting_id, const char *user_id,
    const char **session_id, struct participant_status *st)
{
	struct db_val p[2] = { DB_STR(meeting_id), DB_STR(user_id) };
	struct db_rows rows;
	enum err e;

	if ((e = db_exec(db, STMT_PART_STATUS_LOCK, p, 2, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_PARTICIPANT_NOT_FOUND;
	*session_id = db_cell(&rows, 0, 0);
	memset(st, 0, sizeof(*st));
	st->is_muted = strcmp(db_cell(&rows, 0, 1), "1") == 0;
	st->is_video_enabled = strcmp(db_cell(&rows, 0, 2), "1") == 0;
	st->is_screen_sharing = strcmp(db_cell(&rows, 0, 3), "1") == 0;
	st->is_hand_raised = strcmp(db_cell(&rows, 0, 4), "1") == 0;
	return ERR_OK;
}

/* Writes the status and its events: participant_update always, hand_raise
 * when the hand moved. */
static enum err
store_status(struct ctx *c, struct db *db, const char *meeting_id, const char *user_id,
    const char *session_id, const struct participant_status *st, bool hand_moved)
{
	struct db_val p[5] = { DB_I64(st->is_muted), DB_I64(st->is_video_enabled),
	    DB_I64(st->is_screen_sharing), DB_I64(st->is_hand_raised), DB_STR(session_id) };
	struct buf data;
	struct jsonw w;
	enum err e;

	if ((e = db_exec(db, STMT_PART_STATUS_SET, p, 5, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	buf_init(&data, 1024);
	jw_init(&w, &data);
	jw_obj_open(&w);
	jw_kstr(&w, "user_id", user_id);
	jw_kbool(&w, "is_muted", st->is_muted);
	jw_kbool(&w, "is_video_enabled", st->is_video_enabled);
	jw_kbool(&w, "is_screen_sharing", st->is_screen_sharing);
	jw_kbool(&w, "is_hand_raised", st->is_hand_raised);
	jw_obj_close(&w);
	e = data.failed ? ERR_NOMEM : journal_record(c, db, meeting_id, "participant.updated",
	    buf_cstr(&data), "participant.updated", buf_cstr(&data));
	if (e == ERR_OK && hand_moved) {
		buf_reset(&data);
		jw_init(&w, &data);
		jw_obj_open(&w);
		jw_kstr(&w, "user_id", user_id);
		jw_kbool(&w, "is_hand_raised", st->is_hand_raised);
		jw_obj_close(&w);
		e = data.failed ? ERR_NOMEM : journal_record(c, db, meeting_id, "participant.hand", NULL,
		    "participant.hand", buf_cstr(&data));
	}
	buf_free(&data);
	return e;
}

struct status_tx {
	struct ctx *c;
	const char *id;
	const struct status_change *ch;
	struct participant_status *out;
};

static enum err
status_in_tx(struct db *db, void *arg)
{
	struct status_tx *t = arg;
	const struct status_change *ch = t->ch;
	struct ctx *c = t->c;
	struct participant_status *st = t->out;
	const char *session;
	struct meeting m;
	bool was_hand, host;
	enum err e;

	if ((e = meeting_load(c, db, t->id, false, &m)) != ERR_OK)
		return e;
	if ((e = lock_session(c, db, m.id, c->who.subject, &session, st)) != ERR_OK)
		return e;
	if (ch->set_waiting && ch->waiting)
		return ctx_field_error(c, "is_in_waiting_room", "is decided by the meeting's hosts");
	host = meeting_is_host(&m);
	/* turning something on is what the policy may forbid; off never */
	if (ch->set_screen && ch->screen && !st->is_screen_sharing &&
	    (m.policy.screen_share == PERM_NONE || (m.policy.screen_share == PERM_HOST && !host)))
		return ERR_SCREEN_SHARE_DISABLED;
	if (ch->set_video && ch->video && !st->is_video_enabled && m.policy.disable_camera && !host)
		return ERR_CAMERA_DISABLED;
	was_hand = st->is_hand_raised;
	if (ch->set_muted)
		st->is_muted = ch->muted;
	if (ch->set_video)
		st->is_video_enabled = ch->video;
	if (ch->set_screen)
		st->is_screen_sharing = ch->screen;
	if (ch->set_hand)
		st->is_hand_raised = ch->hand;
	return store_status(c, db, m.id, c->who.subject, session, st, was_hand != st->is_hand_raised);
}

enum err
participants_set_status(struct ctx *c, const char *meeting_id, const struct status_change *ch,
    struct participant_status *out)
{
	struct status_tx t = { .c = c, .id = meeting_id, .ch = ch, .out = out };

	return db_tx(c->app->db, status_in_tx, &t);
}

struct act_tx {
	struct ctx *c;
	const char *id, *user_id;
	enum host_action a;
};

static enum err
act_in_tx(struct db *db, void *arg)
{
	struct act_tx *t = arg;
	struct ctx *c = t->c;
	struct participant_status st;
	const char *session;
	struct db_val p[4];
	struct meeting m;
	bool hand;
	enum err e;

	if ((e = meeting_load(c, db, t->id, true, &m)) != ERR_OK)
		return e;
	if (!meeting_is_host(&m))
		return ctx_fail(c, ERR_FORBIDDEN, "Only the meeting's hosts act on other participants");
	if (!ulid_valid(t->user_id))
		return ERR_PARTICIPANT_NOT_FOUND;       /* who may act comes first */
	if (strcmp(m.platform, "native") != 0 && t->a != HA_LOWER_HAND && t->a != HA_ALLOW_REJOIN)
		return ctx_fail(c, ERR_NOT_SUPPORTED, "The media of this meeting are its platform's");
	if (strcmp(t->user_id, m.organizer_id) == 0 && t->a == HA_REMOVE)
		return ctx_fail(c, ERR_FORBIDDEN, "The organizer cannot be removed");
	p[0] = DB_STR(m.id);
	p[1] = DB_STR(t->user_id);
	p[2] = DB_STR("removed");
	p[3] = DB_STR(c->who.subject);
	if (t->a == HA_ALLOW_REJOIN) {
		if ((e = db_exec(db, STMT_EXCL_DELETE, p, 3, NULL, NULL, 0, NULL)) != ERR_OK)
			return e;
		return journal_record(c, db, m.id, "participant.allowed", NULL, NULL, NULL);
	}
	if (t->a == HA_REMOVE) {
		if ((e = db_exec(db, STMT_EXCL_ADD, p, 4, NULL, NULL, 0, NULL)) != ERR_OK ||
		    (e = journal_record(c, db, m.id, "participant.removed", NULL, NULL, NULL)) != ERR_OK)
			return e;
		return policy_put_out(c, db, m.id, t->user_id, "removed");
	}
	if ((e = lock_session(c, db, m.id, t->user_id, &session, &st)) != ERR_OK)
		return e;
	hand = st.is_hand_raised;
	switch (t->a) {
	case HA_MUTE: st.is_muted = true; break;
	case HA_STOP_VIDEO: st.is_video_enabled = false; break;
	case HA_STOP_SCREEN_SHARE: st.is_screen_sharing = false; break;
	case HA_LOWER_HAND: st.is_hand_raised = false; break;
	default: return ERR_INTERNAL;
	}
	return store_status(c, db, m.id, t->user_id, session, &st, hand != st.is_hand_raised);
}

enum err
participants_act(struct ctx *c, const char *meeting_id, const char *user_id, enum host_action a)
{
	struct act_tx t = { .c = c, .id = meeting_id, .user_id = user_id, .a = a };

	if (a >= HA__MAX || user_id == NULL)
		return ERR_INTERNAL;
	return db_tx(c->app->db, act_in_tx, &t);
}
