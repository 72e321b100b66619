/*
 * meetings.h — the meeting use cases: create, update, start, end, cancel,
 * status, credentials, members, audit and lists (meetings.c), and joining,
 * leaving and the participant list (participants.c).
 *
 * Each takes a context (core/context.h) and typed input that its caller
 * has already parsed and checked field by field; each write owns its one
 * transaction, re-reads the meeting FOR UPDATE, checks the caller's role
 * and the state table (meeting_allows), writes, and records its audit row
 * and outbox event there. A platform's meeting is changed on the platform
 * first, outside any transaction, then recorded. Nothing here knows HTTP:
 * the canonical API, every face and the worker call the same functions.
 */
#ifndef MEETD_MEETINGS_H
#define MEETD_MEETINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/context.h"
#include "core/error.h"
#include "core/rand.h"
#include "domain/meeting.h"
#include "platforms/provider.h"
#include "store/db.h"

/* A meeting to create, checked. Strings are arena-owned. */
struct new_meeting {
	const char *title, *description, *platform, *timezone, *event_id;
	const char *remote_account;     /* on this user's connected account (002); NULL: the server's */
	int64_t scheduled_ms, duration, participant_limit;
	bool require_password, waiting_room;
};

/*
 * Creates nm for the caller (its organizer), within the per-user-per-platform
 * create limit (meetings_charge_platform): on a platform first when it is
 * remote (provisioned, and compensated if meetd's own write then fails),
 * with fresh native credentials, in one transaction with the organizer's
 * membership, audit and event. *out receives the canonical JSON of the
 * meeting as its organizer sees it (initialised here; the caller frees it),
 * which is also handed to the context's outcome hook with 201.
 */
enum err meetings_create(struct ctx *c, const struct new_meeting *nm, char id[ULID_LEN + 1],
    struct buf *out);
/* The Wakeve spec's per-user-per-platform create limit (meetings_create
 * takes it first); RATE_LIMITED with c->limit and c->retry_after_s filled
 * when spent. */
enum err meetings_charge_platform(struct ctx *c, const char *platform);

/* A change of a meeting: each value applies when its flag is set. */
struct meeting_changes {
	bool set_title, set_description, set_start, set_duration, set_timezone, set_limit;
	bool set_require_password, set_waiting_room;
	const char *title, *description, *timezone;
	int64_t start_ms, duration, participant_limit;
	bool require_password, waiting_room;
	int64_t if_match;       /* the version the caller read (If-Match); -1: none */
};

/* Applies ch (hosts only; the time only before the meeting starts); *out
 * receives the meeting's canonical JSON (initialised here; caller frees). */
enum err meetings_update(struct ctx *c, const char *id, const struct meeting_changes *ch,
    struct buf *out);

/* The result of start, end or cancel: one clock reading for the row and
 * the answer. `meeting` (cancel only) is the canonical JSON (caller frees). */
struct transition {
	const char *meeting_id, *by, *at;
	int64_t duration_minutes;       /* end: time it was running, rounded */
	struct buf meeting;
};
/* action is MA_START, MA_END or MA_CANCEL. Hosts only; the state table
 * decides; a platform's meeting is ended or cancelled there first. */
enum err meetings_transition(struct ctx *c, const char *id, enum meeting_action action,
    struct transition *out);

/* The Goravel status view. refresh: read the platform's status now rather
 * than from the five-minute cache. */
struct meeting_status_view {
	struct meeting m;
	int64_t attendance_count, active_participants;
};
enum err meetings_status(struct ctx *c, const char *id, bool refresh, struct meeting_status_view *out);

/* Draws a new invitation token (invite) or passcode; hosts only. *out: the
 * canonical JSON (initialised here; caller frees). */
enum err meetings_regenerate(struct ctx *c, const char *id, bool invite, struct buf *out);

/* Sets user_id's role in the meeting, or removes the member (role NULL);
 * the organizer only. A removed guest is disabled: it stays out. */
enum err meetings_set_member(struct ctx *c, const char *id, const char *user_id, const char *role);

/* One audit row. */
struct audit_entry {
	int64_t id;
	const char *action, *actor_id, *client_addr, *request_id, *details, *created_at;
};
/* The organizer's view of the audit log, newest first, before row `before`. */
enum err meetings_audit(struct ctx *c, const char *id, int64_t before, int64_t limit,
    struct audit_entry **out, size_t *n);

/* The caller's meetings. NULL filter fields match anything; times are
 * DATETIME text. */
struct list_filter {
	const char *status, *platform, *role;
	const char *from, *to;          /* [from, to) on scheduled_for */
	const char *after_ts, *after_id;/* keyset cursor */
	int64_t limit;
};
enum err meetings_list(struct ctx *c, const struct list_filter *f, struct meeting **out, size_t *n);

/* Whether a platform can be used here: ERR_OK, or PLATFORM_NOT_CONFIGURED. */
enum err meetings_platform_ready(struct ctx *c, const char *platform);
/* The meeting behind a platform's meeting id, as the caller sees it (not a
 * member, or no such meeting: MEETING_NOT_FOUND alike). */
enum err meetings_find_by_remote(struct ctx *c, const char *platform, const char *remote_id,
    struct meeting *m);
/* How many people the platform reports in the meeting now. */
enum err meetings_remote_participants(struct ctx *c, const char *id, int64_t *count);
/* Meetings on the caller's own connected Zoom account, by start time, in
 * [from, to) (DATETIME text), of `status` (NULL: any). */
enum err meetings_on_my_zoom(struct ctx *c, const char *from, const char *to, const char *status,
    int64_t limit, struct meeting **out, size_t *n);

/* --- participants.c -------------------------------------------------------- */

/* How a caller proves the right to join. */
struct join_request {
	const char *connection_id, *device_type;
	bool join_muted, join_without_video;
	const char *passcode;           /* NULL if none given */
	const char *invitation_token;   /* NULL if none given */
	bool credentials_checked;       /* passcode or token already verified */
};

/* The open session after a join. Strings are arena-owned. */
struct joined {
	const char *participant_id, *meeting_id, *role, *joined_at;
	bool is_muted, is_video_enabled;
};

/* Joins meeting `id`. `unknown` is the error for an unknown meeting or
 * wrong credentials (the same for both, so neither is an oracle). */
enum err meetings_join(struct ctx *c, const char *id, struct join_request *j,
    enum err unknown, struct joined *out);
/* Finds a meeting by code and checks the passcode (counting failures);
 * ERR_INVALID_MEETING_CREDENTIALS for either a wrong code or passcode. */
enum err meetings_check_code(struct ctx *c, const char *code, const char *passcode,
    const char **meeting_id);
/* Closes the caller's open session. */
struct left {
	const char *meeting_id, *left_at;
	int64_t duration_minutes;       /* how long the session lasted, rounded */
};
enum err meetings_leave(struct ctx *c, const char *id, struct left *out);
/* Inside a transaction: ends the caller's open session in meeting_id and
 * records participant.left (with `reason` unless NULL); left_at receives
 * the time. ERR_PARTICIPANT_NOT_FOUND if there was none. */
enum err participant_end_session(struct ctx *c, struct db *db, const char *meeting_id,
    const char *reason, char left_at[CLOCK_ISO_LEN]);
/* The same for user_id's session, ended by the caller (a host, a policy). */
enum err participant_end_session_of(struct ctx *c, struct db *db, const char *meeting_id,
    const char *user_id, const char *reason, char left_at[CLOCK_ISO_LEN]);

/* One participant session as the list shows it. */
struct participant {
	const char *participant_id, *user_id, *user_name, *role, *status;
	bool is_muted, is_video_enabled, is_screen_sharing, is_hand_raised;
	const char *joined_at, *left_at, *device_type;
};
/* The meeting's participants (members of the meeting only). */
enum err meetings_participants(struct ctx *c, const char *id, struct participant **out, size_t *n);

/* A member's token for the meeting's room (LiveKit, Jitsi with token
 * auth): NOT_SUPPORTED on other platforms. user_name (NULL: the account's
 * display name) is the name shown in the room. */
struct room_token_view {
	struct meeting m;
	const char *user_name;
	bool host;
	struct room_token token;
};
enum err meetings_room_token(struct ctx *c, const char *id, const char *user_name,
    struct room_token_view *out);

/* What an invitation token shows. Strings are arena-owned. */
struct invitation {
	const char *meeting_id, *code, *title, *passcode, *host_id, *host_name;
	const char *scheduled_for, *timezone, *status, *created_at;
	int64_t duration;
};
enum err meetings_invitation(struct ctx *c, const char *token, struct invitation *out);

#endif
