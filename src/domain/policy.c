/*
 * policy.c — the security policy and the admission check (see policy.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/app.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/parse.h"
#include "core/rand.h"
#include "domain/journal.h"
#include "domain/meetings.h"
#include "domain/policy.h"
#include "domain/realtime.h"
#include "store/db.h"

#define EVENT_MAX (64 * 1024)

static enum err
blocked_list(struct ctx *c, struct db *db, const char *meeting_id, struct policy_view *out)
{
	struct db_val p[1] = { DB_STR(meeting_id) };
	struct db_rows rows;
	size_t r;
	enum err e;

	if ((e = db_exec(db, STMT_EXCL_BLOCKED_LIST, p, 1, c->arena, &rows, POLICY_MAX_BLOCKED + 1,
	    NULL)) != ERR_OK)
		return e;
	out->nblocked = rows.nrows;
	if ((out->blocked_users = arena_alloc(c->arena, sizeof(char *) * (rows.nrows + 1))) == NULL)
		return ERR_NOMEM;
	for (r = 0; r < rows.nrows; r++)
		out->blocked_users[r] = db_cell(&rows, r, 0);
	return ERR_OK;
}

static void
view_of(const struct meeting *m, struct policy_view *out)
{
	out->version = m->version;
	out->require_waiting_room = m->waiting_room;
	out->waiting_room_everyone = m->policy.waiting_everyone;
	out->require_password = m->require_password;
	out->allow_anonymous_join = m->allow_guests;
	out->max_participants = m->participant_limit;
	out->allowed_domains = m->policy.allowed_domains != NULL ? m->policy.allowed_domains : "[]";
	out->recording = m->policy.recording;
	out->screen_share = m->policy.screen_share;
	out->chat = m->policy.chat;
	out->mute_on_entry = m->policy.mute_on_entry;
	out->disable_camera = m->policy.disable_camera;
	out->lock_meeting = m->policy.locked;
}

enum err
policy_get(struct ctx *c, const char *meeting_id, struct policy_view *out)
{
	struct meeting m;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = meeting_load(c, c->app->db, meeting_id, false, &m)) != ERR_OK)
		return e;
	if (!meeting_is_host(&m))
		return ctx_fail(c, ERR_FORBIDDEN, "Only the meeting's hosts see its security policy");
	view_of(&m, out);
	return blocked_list(c, c->app->db, m.id, out);
}

struct apply_tx {
	struct ctx *c;
	const char *id;
	const struct policy_change *ch;
	bool whole;
	int64_t if_match;
	struct policy_view *out;
};

/* The domains as stored: a JSON array, or NULL for none. */
static const char *
domains_json(struct ctx *c, const struct policy_change *ch)
{
	struct buf b;
	struct jsonw w;
	const char *out;
	size_t i;

	if (ch->ndomains == 0)
		return NULL;
	buf_init(&b, 4096);
	jw_init(&w, &b);
	jw_arr_open(&w);
	for (i = 0; i < ch->ndomains; i++)
		jw_str(&w, ch->domains[i]);
	jw_arr_close(&w);
	out = b.failed ? NULL : arena_strdup(c->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static bool
listed(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Someone a host put out: their session ends (a leave, with the reason),
 * and a message on their own channel, whose publishing closes every
 * connection they have to the meeting. */
enum err
policy_put_out(struct ctx *c, struct db *db, const char *meeting_id, const char *user_id,
    const char *reason)
{
	char left_at[CLOCK_ISO_LEN];
	struct buf data;
	struct jsonw w;
	enum err e;

	e = participant_end_session_of(c, db, meeting_id, user_id, reason, left_at);
	if (e != ERR_OK && e != ERR_PARTICIPANT_NOT_FOUND)
		return e;
	buf_init(&data, 1024);
	jw_init(&w, &data);
	jw_obj_open(&w);
	jw_kstr(&w, "user_id", user_id);
	jw_kstr(&w, "reason", reason);
	jw_obj_close(&w);
	e = data.failed ? ERR_NOMEM : events_append(c, db, meeting_id, user_id, "participant.removed",
	    buf_cstr(&data), buf_cstr(&data));
	buf_free(&data);
	return e;
}

static enum err
apply_blocked(struct apply_tx *t, struct db *db, const struct meeting *m)
{
	struct ctx *c = t->c;
	struct policy_view old;
	struct db_val p[4];
	size_t i;
	enum err e;

	memset(&old, 0, sizeof(old));
	if ((e = blocked_list(c, db, m->id, &old)) != ERR_OK)
		return e;
	p[0] = DB_STR(m->id);
	if ((e = db_exec(db, STMT_EXCL_BLOCKED_CLEAR, p, 1, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	for (i = 0; i < t->ch->nblocked; i++) {
		if (strcmp(t->ch->blocked[i], m->organizer_id) == 0)
			return ctx_field_error(c, "blocked_users", "cannot hold the organizer");
		p[1] = DB_STR(t->ch->blocked[i]);
		p[2] = DB_STR("blocked");
		p[3] = DB_STR(c->who.subject);
		if ((e = db_exec(db, STMT_EXCL_ADD, p, 4, NULL, NULL, 0, NULL)) != ERR_OK)
			return e;
		if (!listed(old.blocked_users, old.nblocked, t->ch->blocked[i]) &&
		    (e = policy_put_out(c, db, m->id, t->ch->blocked[i], "blocked")) != ERR_OK)
			return e;
	}
	return ERR_OK;
}

static enum err
apply_in_tx(struct db *db, void *arg)
{
	struct apply_tx *t = arg;
	const struct policy_change *ch = t->ch;
	struct ctx *c = t->c;
	struct policy_view *v = t->out;
	const char *domains;
	struct db_val p[13];
	struct meeting m;
	enum err e;

	if ((e = meeting_load(c, db, t->id, true, &m)) != ERR_OK)
		return e;
	if (!meeting_is_host(&m))
		return ctx_fail(c, ERR_FORBIDDEN, "Only the meeting's hosts set its security policy");
	if (t->if_match >= 0 && t->if_match != m.version)
		return ERR_PRECONDITION_FAILED;
	if (m.status == MS_ENDED || m.status == MS_CANCELLED)
		return m.status == MS_ENDED ? ERR_MEETING_ENDED : ERR_MEETING_CANCELLED;
	memset(v, 0, sizeof(*v));
	if (t->whole) {
		/* the defaults a new meeting has */
		v->require_waiting_room = true;
		v->require_password = m.code != NULL;
		v->allow_anonymous_join = strcmp(m.platform, "native") == 0;
		v->recording = PERM_HOST;
		v->screen_share = PERM_ALL;
		v->chat = PERM_ALL;
		v->allowed_domains = "[]";
	} else {
		view_of(&m, v);
	}
#define TAKE(flag, field, value) do { if (ch->flag) v->field = ch->value; } while (0)
	TAKE(set_waiting_room, require_waiting_room, waiting_room);
	TAKE(set_waiting_everyone, waiting_room_everyone, waiting_everyone);
	TAKE(set_password, require_password, password);
	TAKE(set_anonymous, allow_anonymous_join, anonymous);
	TAKE(set_max, max_participants, max_participants);
	TAKE(set_recording, recording, recording);
	TAKE(set_screen_share, screen_share, screen_share);
	TAKE(set_chat, chat, chat);
	TAKE(set_mute, mute_on_entry, mute_on_entry);
	TAKE(set_camera, disable_camera, disable_camera);
	TAKE(set_lock, lock_meeting, lock);
#undef TAKE
	if (ch->set_domains || t->whole) {
		domains = domains_json(c, ch);
		v->allowed_domains = domains != NULL ? domains : "[]";
	} else {
		domains = m.policy.allowed_domains;
	}
	if (v->require_password && m.code == NULL)
		return ctx_field_error(c, "require_password", "this meeting has no passcode (its platform's own)");
	p[0] = v->max_participants > 0 ? DB_I64(v->max_participants) : DB_NULL;
	p[1] = DB_I64(v->require_password);
	p[2] = DB_I64(v->require_waiting_room);
	p[3] = DB_I64(v->allow_anonymous_join);
	p[4] = DB_I64(v->lock_meeting);
	p[5] = DB_I64(v->waiting_room_everyone);
	p[6] = DB_I64(v->mute_on_entry);
	p[7] = DB_I64(v->disable_camera);
	p[8] = DB_STR(permission_name(v->screen_share));
	p[9] = DB_STR(permission_name(v->chat));
	p[10] = DB_STR(permission_name(v->recording));
	p[11] = DB_STR(domains);
	p[12] = DB_STR(m.id);
	if ((e = db_exec(db, STMT_POLICY_UPDATE, p, 13, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	v->version = m.version + 1;
	if ((ch->set_blocked || t->whole) && (e = apply_blocked(t, db, &m)) != ERR_OK)
		return e;
	if ((e = blocked_list(c, db, m.id, v)) != ERR_OK)
		return e;
	return journal_record(c, db, m.id, "meeting.policy_updated", NULL, "meeting.policy_updated", NULL);
}

enum err
policy_apply(struct ctx *c, const char *meeting_id, const struct policy_change *ch, bool whole,
    int64_t if_match, struct policy_view *out)
{
	struct apply_tx t = { .c = c, .id = meeting_id, .ch = ch, .whole = whole, .if_match = if_match,
	    .out = out };

	return db_tx(c->app->db, apply_in_tx, &t);
}

/* The caller's verified address is in one of the allowed domains. */
static bool
domain_allowed(const struct ctx *c, const char *domains_json)
{
	const char *at;
	json_t *list, *d;
	size_t i;
	bool ok = false;

	if (!c->who.has_profile || !c->who.email_verified || c->who.email == NULL ||
	    (at = strrchr(c->who.email, '@')) == NULL)
		return false;
	if ((list = json_loads(domains_json, 0, NULL)) == NULL)
		return false;
	json_array_foreach(list, i, d) {
		if (json_is_string(d) && strcasecmp(json_string_value(d), at + 1) == 0)
			ok = true;
	}
	json_decref(list);
	return ok;
}

bool
policy_must_wait(const struct meeting *m)
{
	/* on another platform the waiting room is that platform's own setting */
	if (!m->waiting_room || meeting_is_host(m) || strcmp(m->platform, "native") != 0)
		return false;
	return m->policy.waiting_everyone || m->my_role == ROLE_NONE || m->my_role == ROLE_GUEST;
}

enum err
policy_exclusion(struct ctx *c, struct db *db, const struct meeting *m, const char **waiting_status)
{
	struct db_val p[4];
	struct db_rows rows;
	const char *kinds;
	enum err e;

	*waiting_status = NULL;
	p[0] = DB_STR(m->id);
	p[1] = DB_STR(c->who.subject);
	p[2] = DB_STR(m->id);
	p[3] = DB_STR(c->who.subject);
	if ((e = db_exec(db, STMT_ADMISSION_STATE, p, 4, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_DB_SCHEMA;
	kinds = db_cell(&rows, 0, 0);
	*waiting_status = db_cell(&rows, 0, 1);
	if (kinds != NULL && strstr(kinds, "blocked") != NULL)
		return ERR_USER_BLOCKED;
	if (kinds != NULL && strstr(kinds, "removed") != NULL)
		return ERR_PARTICIPANT_REMOVED;
	return ERR_OK;
}

enum err
policy_admits(struct ctx *c, struct db *db, const struct meeting *m, bool *admitted, bool *waiting)
{
	const char *status;
	bool host = meeting_is_host(m);
	enum err e;

	*admitted = *waiting = false;
	if (m->policy.locked && !host)
		return ERR_MEETING_LOCKED;
	if ((e = policy_exclusion(c, db, m, &status)) != ERR_OK)
		return e;
	if (!host && m->policy.allowed_domains != NULL && strcmp(m->policy.allowed_domains, "[]") != 0 &&
	    !domain_allowed(c, m->policy.allowed_domains))
		return ERR_DOMAIN_NOT_ALLOWED;
	*admitted = status != NULL && strcmp(status, "admitted") == 0;
	*waiting = status != NULL && strcmp(status, "waiting") == 0;
	return ERR_OK;
}
