/*
 * guests.c — guest tokens for one meeting; see guests.h.
 *
 * The proof is checked before anything is written, with the same counters
 * as a join by passcode, so asking for guest tokens is no faster way to
 * guess a passcode. The guest user, its identity and its membership are
 * written in one transaction with the audit row; the token is signed after
 * commit, so a failed write never hands out a token for nobody.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/app.h"
#include "core/buf.h"
#include "store/db.h"
#include "domain/guests.h"
#include "domain/journal.h"
#include "core/jsonw.h"
#include "domain/meeting.h"
#include "domain/meetings.h"
#include "core/rand.h"
#include "auth/token.h"
#include "domain/users.h"

struct admit_tx {
	struct ctx *c;
	const char *meeting_id;
	const char *display_name;
	bool reuse;
	char id[ULID_LEN + 1];
};

static enum err
admit_in_tx(struct db *db, void *ctx)
{
	struct admit_tx *t = ctx;
	struct ctx *c = t->c;
	struct db_val p[2];
	struct jsonw w;
	struct buf data;
	enum err e;

	if (!t->reuse && (e = users_new_guest(db, t->meeting_id, t->display_name, t->id)) != ERR_OK)
		return e;
	if (t->reuse) {
		/* the same person may give another name on a new visit */
		struct db_val n[7] = { DB_I64(1), DB_STR(t->display_name), DB_I64(0), DB_NULL,
		    DB_I64(0), DB_NULL, DB_STR(t->id) };

		if ((e = db_exec(db, STMT_USERS_UPDATE_PROFILE, n, 7, c->arena, NULL, 0, NULL)) != ERR_OK)
			return e;
	}
	p[0] = DB_STR(t->id);
	p[1] = DB_STR(t->meeting_id);
	if ((e = db_exec(db, STMT_MEMBER_ADD_GUEST, p, 2, c->arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	/* the audit names the guest as its actor */
	c->who.subject = t->id;
	buf_init(&data, 1024);
	jw_init(&w, &data);
	jw_obj_open(&w);
	jw_kstr(&w, "user_id", t->id);
	jw_kstr(&w, "display_name", t->display_name);
	jw_kbool(&w, "returning", t->reuse);
	jw_obj_close(&w);
	e = data.failed ? ERR_NOMEM : journal_record(c, db, t->meeting_id, "guest.admitted",
	    buf_cstr(&data), NULL, NULL);
	buf_free(&data);
	return e;
}

/* The meeting the proof names, or the error its absence answers with. */
static enum err
proven_meeting(struct ctx *c, const struct guest_request *g, const char **id)
{
	struct invitation inv;
	enum err e;

	if (g->invitation_token != NULL) {
		if ((e = meetings_invitation(c, g->invitation_token, &inv)) != ERR_OK)
			return e;
		*id = inv.meeting_id;
		return ERR_OK;
	}
	return meetings_check_code(c, g->meeting_code, g->passcode, id);
}

enum err
guests_admit(struct ctx *c, const struct guest_request *g, struct guest_grant *out)
{
	const struct config *cfg = c->app->cfg;
	struct admit_tx t = { .c = c, .display_name = g->display_name };
	struct token_policy policy;
	struct meeting m;
	int64_t now = (int64_t)time(NULL);
	enum err e;

	memset(out, 0, sizeof(*out));
	if (c->who.kind != PRINCIPAL_NONE && !c->who.guest)
		return ctx_fail(c, ERR_INVALID_REQUEST,
		    "You are signed in: join the meeting with your own account");
	token_policy_from_config(cfg, &policy);
	if (policy.sign_key == NULL)
		return ctx_fail(c, ERR_NOT_CONFIGURED, "Guest tokens need auth.jwt_signing_key_file");
	if ((e = proven_meeting(c, g, &t.meeting_id)) != ERR_OK)
		return e;
	if ((e = meeting_load_any(c, c->app->db, t.meeting_id, false, &m)) != ERR_OK)
		return e;
	if (!m.allow_guests)
		return ERR_GUESTS_NOT_ALLOWED;
	if ((e = meeting_allows(&m, MA_JOIN)) != ERR_OK)
		return e;
	/* the policy's refusals that apply before a guest even exists: a guest
	 * has no verified address, so allowed domains keep guests out */
	if (m.policy.locked)
		return ERR_MEETING_LOCKED;
	if (m.policy.allowed_domains != NULL && strcmp(m.policy.allowed_domains, "[]") != 0)
		return ERR_DOMAIN_NOT_ALLOWED;
	/* a guest of this very meeting asking again keeps who it is */
	t.reuse = c->who.guest && c->who.guest_meeting_id != NULL &&
	    strcmp(c->who.guest_meeting_id, m.id) == 0;
	if (t.reuse)
		memcpy(t.id, c->who.subject, ULID_LEN + 1);
	if ((e = db_tx(c->app->db, admit_in_tx, &t)) != ERR_OK)
		return e;
	if ((e = token_issue(&policy, t.id, "user", now, cfg->token_ttl, &out->token)) != ERR_OK)
		return e;
	out->user_id = arena_strdup(c->arena, t.id);
	out->display_name = g->display_name;
	out->meeting_id = m.id;
	out->meeting_title = m.title;
	out->expires_in = cfg->token_ttl;
	out->reused = t.reuse;
	return out->user_id != NULL ? ERR_OK : ERR_NOMEM;
}
