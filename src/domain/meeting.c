/*
 * meeting.c — the meeting model (see meeting.h).
 *
 * State machine (000): SCHEDULED → STARTED → ENDED, SCHEDULED → CANCELLED.
 * Every other move is a 409 naming why: the table below is the whole rule.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "domain/credentials.h"
#include "store/db.h"
#include "domain/meeting.h"
#include "platforms/provider.h"
#include "core/parse.h"
#include "core/rand.h"

static const char *const status_names[] = { "scheduled", "started", "ended", "cancelled" };
static const char *const role_names[] = { "organizer", "co_host", "participant", "guest", "none" };

/* allowed[action][status]: ERR_OK, or the error to answer */
static const enum err allowed[MA__MAX][MS__MAX] = {
	[MA_START] = { ERR_OK, ERR_MEETING_ALREADY_ACTIVE, ERR_MEETING_ENDED, ERR_MEETING_CANCELLED },
	[MA_END] = { ERR_MEETING_NOT_ACTIVE, ERR_OK, ERR_MEETING_ENDED, ERR_MEETING_CANCELLED },
	[MA_CANCEL] = { ERR_OK, ERR_MEETING_ALREADY_ACTIVE, ERR_MEETING_ENDED, ERR_MEETING_CANCELLED },
	[MA_EDIT] = { ERR_OK, ERR_OK, ERR_MEETING_ENDED, ERR_MEETING_CANCELLED },
	[MA_RESCHEDULE] = { ERR_OK, ERR_MEETING_ALREADY_ACTIVE, ERR_MEETING_ENDED, ERR_MEETING_CANCELLED },
	[MA_JOIN] = { ERR_OK, ERR_OK, ERR_MEETING_ENDED, ERR_MEETING_CANCELLED },
	/* what a platform reports happened: it started only from scheduled (a
	 * late delivery never reopens); it ended from scheduled too (the
	 * "started" may have been missed) */
	[MA_REMOTE_START] = { ERR_OK, ERR_MEETING_ALREADY_ACTIVE, ERR_MEETING_ENDED, ERR_MEETING_CANCELLED },
	[MA_REMOTE_END] = { ERR_OK, ERR_OK, ERR_MEETING_ENDED, ERR_MEETING_CANCELLED },
};

const char *
meeting_status_name(enum meeting_status s)
{
	return (unsigned)s < MS__MAX ? status_names[s] : "unknown";
}

enum meeting_status
meeting_status_parse(const char *s)
{
	return (enum meeting_status)parse_name(s, status_names, MS__MAX);
}

bool
meeting_platform_known(const char *name)
{
	return provider_find(name) != NULL;
}

const char *
member_role_name(enum member_role r)
{
	return (unsigned)r <= ROLE_NONE ? role_names[r] : "none";
}

enum member_role
member_role_parse(const char *s)
{
	return (enum member_role)parse_name(s, role_names, ROLE_NONE);
}

bool
meeting_is_host(const struct meeting *m)
{
	return m->my_role == ROLE_ORGANIZER || m->my_role == ROLE_CO_HOST;
}

enum err
meeting_allows(const struct meeting *m, enum meeting_action action)
{
	if ((unsigned)action >= MA__MAX || (unsigned)m->status >= MS__MAX)
		return ERR_INTERNAL;
	return allowed[action][m->status];
}

static enum meeting_status
status_parse(const char *s)
{
	enum meeting_status st = meeting_status_parse(s);

	/* unreachable with the schema's ENUM; the safest reading */
	return st < MS__MAX ? st : MS_ENDED;
}

static struct blob
blob_at(const struct db_rows *rows, size_t r, size_t c)
{
	struct blob b = { (const unsigned char *)db_cell(rows, r, c), rows->lens[r * rows->ncols + c] };

	return b;
}

/* A number cell, strictly parsed; if_null for SQL NULL. */
static bool
i64_at(const struct db_rows *rows, size_t r, size_t c, int64_t if_null, int64_t *out)
{
	const char *v = db_cell(rows, r, c);

	*out = if_null;
	return v == NULL || parse_i64z(v, INT64_MIN, INT64_MAX, out) == ERR_OK;
}

static const char *const permission_names[PERM__MAX] = { "host", "all", "none" };

const char *
permission_name(enum permission p)
{
	return p < PERM__MAX ? permission_names[p] : "none";
}

enum permission
permission_parse(const char *s)
{
	return (enum permission)parse_name(s, permission_names, PERM__MAX);
}

static bool
flag_at(const struct db_rows *rows, size_t r, size_t c)
{
	const char *v = db_cell(rows, r, c);

	return v != NULL && strcmp(v, "1") == 0;
}

enum err
meeting_from_row(const struct db_rows *rows, size_t r, struct meeting *m)
{
	int64_t require_password, waiting_room;
	bool ok;

	memset(m, 0, sizeof(*m));
	if (rows->ncols != MC__MAX)
		return ERR_DB_SCHEMA;
	m->id = db_cell(rows, r, MC_ID);
	m->event_id = db_cell(rows, r, MC_EVENT_ID);
	m->organizer_id = db_cell(rows, r, MC_ORGANIZER);
	m->platform = db_cell(rows, r, MC_PLATFORM);
	m->platform_meeting_id = db_cell(rows, r, MC_REMOTE_ID);
	m->meeting_url = db_cell(rows, r, MC_URL);
	m->code = db_cell(rows, r, MC_CODE);
	m->passcode_box = blob_at(rows, r, MC_PASSCODE_BOX);
	m->invite_box = blob_at(rows, r, MC_INVITE_BOX);
	m->dial_in_number = db_cell(rows, r, MC_DIAL_IN);
	m->dial_in_password_box = blob_at(rows, r, MC_DIAL_IN_PASSWORD_BOX);
	m->host_key_box = blob_at(rows, r, MC_HOST_KEY_BOX);
	m->title = db_cell(rows, r, MC_TITLE);
	m->description = db_cell(rows, r, MC_DESCRIPTION);
	m->scheduled_for = db_cell(rows, r, MC_START);
	m->scheduled_for_db = db_cell(rows, r, MC_START_DB);
	m->timezone = db_cell(rows, r, MC_TIMEZONE);
	m->status = status_parse(db_cell(rows, r, MC_STATUS));
	m->started_at = db_cell(rows, r, MC_STARTED_AT);
	m->ended_at = db_cell(rows, r, MC_ENDED_AT);
	m->cancelled_at = db_cell(rows, r, MC_CANCELLED_AT);
	m->created_at = db_cell(rows, r, MC_CREATED_AT);
	m->updated_at = db_cell(rows, r, MC_UPDATED_AT);
	m->my_role = member_role_parse(db_cell(rows, r, MC_MY_ROLE));
	m->host_url_box = blob_at(rows, r, MC_HOST_URL_BOX);
	m->remote_status = db_cell(rows, r, MC_REMOTE_STATUS);
	m->recording_url = db_cell(rows, r, MC_RECORDING_URL);
	m->remote_account = db_cell(rows, r, MC_REMOTE_ACCOUNT);
	ok = i64_at(rows, r, MC_DURATION, 0, &m->duration) &&
	    i64_at(rows, r, MC_LIMIT, 0, &m->participant_limit) &&
	    i64_at(rows, r, MC_REQUIRE_PASSWORD, 1, &require_password) &&
	    i64_at(rows, r, MC_WAITING_ROOM, 1, &waiting_room) &&
	    i64_at(rows, r, MC_VERSION, 0, &m->version) &&
	    i64_at(rows, r, MC_ACTIVE_SECONDS, -1, &m->active_seconds) &&
	    i64_at(rows, r, MC_REMOTE_AGE, -1, &m->remote_age_s);
	m->require_password = require_password != 0;
	m->waiting_room = waiting_room != 0;
	m->policy.locked = flag_at(rows, r, MC_LOCKED);
	m->policy.waiting_everyone = flag_at(rows, r, MC_WAITING_EVERYONE);
	m->policy.mute_on_entry = flag_at(rows, r, MC_MUTE_ON_ENTRY);
	m->policy.disable_camera = flag_at(rows, r, MC_DISABLE_CAMERA);
	m->policy.screen_share = permission_parse(db_cell(rows, r, MC_SCREEN_SHARE));
	m->policy.chat = permission_parse(db_cell(rows, r, MC_CHAT));
	m->policy.recording = permission_parse(db_cell(rows, r, MC_RECORDING));
	m->policy.allowed_domains = db_cell(rows, r, MC_ALLOWED_DOMAINS);
	ok = ok && i64_at(rows, r, MC_OPEN_PARTICIPANTS, 0, &m->open_participants) &&
	    m->policy.screen_share < PERM__MAX && m->policy.chat < PERM__MAX &&
	    m->policy.recording < PERM__MAX;
	/* unset: native rooms admit guests, other platforms do not */
	m->allow_guests = db_cell(rows, r, MC_ALLOW_GUESTS) != NULL ?
	    strcmp(db_cell(rows, r, MC_ALLOW_GUESTS), "1") == 0 : strcmp(m->platform, "native") == 0;
	return ok ? ERR_OK : ERR_DB_SCHEMA;
}

enum err
meeting_load(struct ctx *c, struct db *db, const char *id, bool locked, struct meeting *m)
{
	enum err e = meeting_load_any(c, db, id, locked, m);

	if (e == ERR_OK && m->my_role == ROLE_NONE)
		return ERR_MEETING_NOT_FOUND;
	return e;
}

enum err
meeting_load_any(struct ctx *c, struct db *db, const char *id, bool locked, struct meeting *m)
{
	struct db_val p[2];
	struct db_rows rows;
	enum err e;

	if (id == NULL || !ulid_valid(id))
		return ERR_MEETING_NOT_FOUND;
	p[0] = DB_STR(c->who.subject);
	p[1] = DB_STR(id);
	e = db_exec(db, locked ? STMT_MEETING_GET_LOCKED : STMT_MEETING_GET, p, 2, c->arena, &rows, 1, NULL);
	if (e != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_MEETING_NOT_FOUND;
	return meeting_from_row(&rows, 0, m);
}

enum err
meeting_write(struct ctx *c, struct jsonw *w, const struct meeting *m)
{
	struct meeting_secrets s = { 0 };
	enum err e;

	if (meeting_is_host(m) &&
	    ((e = cred_open(c, m->id, "passcode", &m->passcode_box, &s.passcode)) != ERR_OK ||
	    (e = cred_open(c, m->id, "invite", &m->invite_box, &s.invitation_token)) != ERR_OK ||
	    (e = cred_open(c, m->id, "host_key", &m->host_key_box, &s.host_key)) != ERR_OK ||
	    (e = cred_open(c, m->id, "dial_in_password", &m->dial_in_password_box, &s.dial_in_password)) != ERR_OK ||
	    (e = cred_open(c, m->id, "host_url", &m->host_url_box, &s.host_url)) != ERR_OK))
		return e;
	meeting_write_with(c, w, m, &s);
	return ERR_OK;
}

void
meeting_write_with(struct ctx *c, struct jsonw *w, const struct meeting *m, const struct meeting_secrets *s)
{
	jw_obj_open(w);
	jw_kstr(w, "id", m->id);
	jw_kstr_or_null(w, "event_id", m->event_id);
	jw_kstr(w, "organizer_id", m->organizer_id);
	jw_kstr(w, "platform", m->platform);
	jw_kstr_or_null(w, "meeting_code", m->code);
	jw_kstr_or_null(w, "meeting_url", m->meeting_url);
	jw_kstr_or_null(w, "platform_meeting_id", m->platform_meeting_id);
	jw_kstr(w, "title", m->title);
	jw_kstr_or_null(w, "description", m->description);
	jw_kstr(w, "scheduled_for", m->scheduled_for);
	jw_kint(w, "duration", m->duration);
	jw_kstr(w, "timezone", m->timezone);
	if (m->participant_limit > 0)
		jw_kint(w, "participant_limit", m->participant_limit);
	else
		jw_knull(w, "participant_limit");
	jw_kbool(w, "require_password", m->require_password);
	jw_kbool(w, "waiting_room", m->waiting_room);
	jw_kstr(w, "status", meeting_status_name(m->status));
	jw_kstr_or_null(w, "started_at", m->started_at);
	jw_kstr_or_null(w, "ended_at", m->ended_at);
	jw_kstr_or_null(w, "cancelled_at", m->cancelled_at);
	jw_kstr(w, "created_at", m->created_at);
	jw_kstr(w, "updated_at", m->updated_at);
	jw_kstr(w, "my_role", member_role_name(m->my_role));
	jw_kstr_or_null(w, "dial_in_number", m->dial_in_number);
	if (meeting_is_host(m)) {
		jw_kstr_or_null(w, "passcode", s->passcode);
		jw_kstr_or_null(w, "invitation_token", s->invitation_token);
		if (s->invitation_token != NULL)
			jw_kstr(w, "invitation_url", arena_printf(c->arena, "%s/join/%s",
			    c->app->cfg->public_url, s->invitation_token));
		else
			jw_knull(w, "invitation_url");
		jw_kstr_or_null(w, "host_key", s->host_key);
		jw_kstr_or_null(w, "dial_in_password", s->dial_in_password);
		jw_kstr_or_null(w, "host_url", s->host_url);
	}
	jw_kstr_or_null(w, "platform_status", m->remote_status);
	jw_kstr_or_null(w, "recording_url", m->recording_url);
	jw_obj_close(w);
}
