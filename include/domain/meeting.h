/*
 * meeting.h — the meeting model: one meeting as read from the database for
 * one viewer (with the viewer's role), the state machine of 000, roles, and
 * the meeting's JSON (secrets only for hosts).
 */
#ifndef MEETD_MEETING_H
#define MEETD_MEETING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/jsonw.h"
#include "core/context.h"

struct db;
struct db_rows;

enum meeting_status { MS_SCHEDULED, MS_STARTED, MS_ENDED, MS_CANCELLED, MS__MAX };
enum member_role { ROLE_ORGANIZER, ROLE_CO_HOST, ROLE_PARTICIPANT, ROLE_GUEST, ROLE_NONE };

/* What a caller wants to do; meeting_allows() says whether the state allows it. */
enum meeting_action {
	MA_START, MA_END, MA_CANCEL,
	MA_EDIT,        /* title, description, settings, credentials */
	MA_RESCHEDULE,  /* time, duration, timezone */
	MA_JOIN,
	MA_REMOTE_START,        /* a platform reports the meeting started */
	MA_REMOTE_END,          /* a platform reports it ended */
	MA__MAX
};

struct blob {
	const unsigned char *p;
	size_t n;
};

/* Who may do something: hosts (organizer, co-hosts), everyone, nobody. */
enum permission { PERM_HOST, PERM_ALL, PERM_NONE, PERM__MAX };

/* The security policy beyond the meeting's own columns (participant_limit,
 * require_password, waiting_room, allow_guests). */
struct meeting_policy {
	bool locked;            /* no one new comes in (hosts do) */
	bool waiting_everyone;  /* the waiting room holds members too, not only outsiders */
	bool mute_on_entry, disable_camera;
	enum permission screen_share, chat, recording;
	const char *allowed_domains;    /* JSON array of lower-case domains, NULL: any */
};

const char *permission_name(enum permission p);
enum permission permission_parse(const char *s);       /* PERM__MAX if unknown */

struct meeting {
	const char *id, *event_id, *organizer_id, *platform, *platform_meeting_id, *meeting_url;
	const char *code;
	struct blob passcode_box, invite_box, dial_in_password_box, host_key_box;
	const char *dial_in_number;
	const char *title, *description;
	const char *scheduled_for;      /* ISO-8601 */
	const char *scheduled_for_db;   /* DATETIME text, for writing back */
	int64_t duration;
	const char *timezone;
	int64_t participant_limit;      /* 0: none */
	bool require_password, waiting_room;
	enum meeting_status status;
	const char *started_at, *ended_at, *cancelled_at, *created_at, *updated_at;
	int64_t version;
	enum member_role my_role;
	int64_t active_seconds;         /* started → ended (or now); -1 if never started */
	struct blob host_url_box;       /* remote platforms: the host's start link */
	const char *remote_status;      /* as last read from the platform */
	int64_t remote_age_s;           /* since it was read; -1 never */
	const char *recording_url;
	const char *remote_account;     /* whose connected account holds it (002); NULL: the server's */
	bool allow_guests;              /* people without an account may ask for a guest token */
	struct meeting_policy policy;   /* the rest of the security policy (schema 009) */
	int64_t open_participants;      /* open sessions now (the cap's count) */
};

const char *meeting_status_name(enum meeting_status s);
/* Parses a status name; MS__MAX if unknown. */
enum meeting_status meeting_status_parse(const char *s);
/* Whether `name` is a platform meetd serves ("native", "zoom", ...). */
bool meeting_platform_known(const char *name);
const char *member_role_name(enum member_role r);
/* Parses a role name; ROLE_NONE if unknown. */
enum member_role member_role_parse(const char *s);
bool meeting_is_host(const struct meeting *m);

/* ERR_OK if `action` is allowed in the meeting's state, else the 409 code. */
enum err meeting_allows(const struct meeting *m, enum meeting_action action);

/* Loads meeting `id` as seen by the caller. A caller who is not a member
 * gets ERR_MEETING_NOT_FOUND, as for an id that does not exist. `locked`
 * reads it FOR UPDATE (inside a transaction). */
enum err meeting_load(struct ctx *c, struct db *db, const char *id, bool locked,
    struct meeting *m);
/* As meeting_load, but a non-member gets the meeting with ROLE_NONE (for
 * joining by passcode); the caller must not show it to them. */
enum err meeting_load_any(struct ctx *c, struct db *db, const char *id, bool locked,
    struct meeting *m);
/* Fills m from row r of a MEETING_COLS result; ERR_DB_SCHEMA if the row
 * is not that projection. */
enum err meeting_from_row(const struct db_rows *rows, size_t r, struct meeting *m);
/* Writes the canonical meeting object. Hosts see passcode, invitation
 * token and URL, host key and dial-in password; others do not. */
enum err meeting_write(struct ctx *c, struct jsonw *w, const struct meeting *m);
/* The secrets a host sees, in clear. */
struct meeting_secrets {
	const char *passcode, *invitation_token, *host_key, *dial_in_password, *host_url;
};
/* meeting_write() with the secrets already in hand (a meeting just made:
 * nothing to read back or open). */
void meeting_write_with(struct ctx *c, struct jsonw *w, const struct meeting *m,
    const struct meeting_secrets *s);

#endif
