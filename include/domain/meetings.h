/*
 * meetings.h — what the meeting handlers share with the faces (faces map
 * names and shapes only; design §3): creating a meeting, listing a user's
 * meetings, joining one.
 */
#ifndef MEETD_MEETINGS_H
#define MEETD_MEETINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/db.h"
#include "core/error.h"
#include "store/idempotency.h"
#include "core/rand.h"
#include "http/request.h"
#include "api/validate.h"

/* A meeting to create, validated. Strings are arena-owned. */
struct new_meeting {
	const char *title, *description, *platform, *timezone, *event_id;
	const char *remote_account;     /* on this user's connected account (002); NULL: the server's */
	int64_t scheduled_ms, duration, participant_limit;
	bool require_password, waiting_room;
};

/* A created meeting: its id and its canonical JSON (caller frees data). */
struct answer_out {
	char id[ULID_LEN + 1];
	struct buf data;
};

/* Which face's create body to read: 001's full one, or 004's room
 * (title required, the rest optional, native only). Every bad field is
 * listed at once (ERR_VALIDATION_FAILED). */
enum create_face { CREATE_V1, CREATE_ROOM_004 };
enum err meetings_parse_create(struct request *rq, enum create_face face, struct new_meeting *nm);
enum err meetings_create(struct request *rq, const struct new_meeting *nm, struct idem *idem,
    struct answer_out *out);
enum err meetings_charge_platform(struct request *rq, const char *platform);
/* For faces whose answer has another shape than 001's: charges the
 * platform limit, creates through meetings_create (no Idempotency-Key
 * replay) and loads the new meeting into m as its organizer sees it. */
enum err meetings_create_for_face(struct request *rq, const struct new_meeting *nm, struct meeting *m);
/* A meeting's start (ISO-8601 with an offset; not in the past beyond a
 * five-minute grace; within ten years) and IANA zone, for faces that
 * name them differently: failures recorded under the given names. */
void meetings_check_when(struct request *rq, const char *start_name, const struct field_value *start,
    const char *zone_name, const struct field_value *zone, int64_t *start_ms);

/* The caller's meetings, MEETING_COLS rows (meeting_from_row). NULL filter
 * fields match anything; times are DATETIME text. */
struct list_filter {
	const char *status, *platform, *role;
	const char *from, *to;          /* [from, to) on scheduled_for */
	const char *after_ts, *after_id;/* keyset cursor */
	int64_t limit;
};
enum err meetings_list(struct request *rq, const struct list_filter *f, struct db_rows *rows);

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
enum err meetings_join(struct request *rq, const char *id, struct join_request *j,
    enum err unknown, struct joined *out);
/* Finds a meeting by code and checks the passcode (counting failures);
 * ERR_INVALID_MEETING_CREDENTIALS for either a wrong code or passcode. */
enum err meetings_check_code(struct request *rq, const char *code, const char *passcode,
    const char **meeting_id);

/* What an invitation token shows (004). Strings are arena-owned. */
struct invitation {
	const char *meeting_id, *code, *title, *passcode, *host_id, *host_name;
	const char *scheduled_for, *timezone, *status, *created_at;
	int64_t duration;
};
enum err meetings_invitation(struct request *rq, const char *token, struct invitation *out);

/* Strict "limit" query value in 1..max. */
enum err parse_limit(const char *s, int64_t max, int64_t *out);

#endif
