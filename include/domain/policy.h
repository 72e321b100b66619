/*
 * policy.h — a meeting's security policy (001's POST .../security/policy)
 * and the one admission check every path that lets someone in applies:
 * canonical joins, the 004 face, invitation links, guest tokens, room tokens
 * and real-time subscriptions.
 *
 * Order of refusal, for someone not in the meeting yet (hosts pass the
 * lock and the waiting room): the proof of a non-member (passcode or link:
 * a stranger learns nothing), then lock (MEETING_LOCKED), block
 * (USER_BLOCKED), removal (PARTICIPANT_REMOVED), allowed domains
 * (DOMAIN_NOT_ALLOWED), the waiting room (WAITING_ROOM_REQUIRED, 202),
 * the cap (MAX_PARTICIPANTS_REACHED). Someone already in (an open session)
 * is never refused by any of them; someone admitted from the waiting room is
 * never sent back to it.
 */
#ifndef MEETD_POLICY_H
#define MEETD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/error.h"
#include "domain/meeting.h"

struct db;

#define POLICY_MAX_DOMAINS 50
#define POLICY_MAX_BLOCKED 1000

struct policy_view {
	int64_t version;                /* the meeting's: its ETag */
	bool require_waiting_room, waiting_room_everyone, require_password, allow_anonymous_join;
	int64_t max_participants;       /* 0: none */
	const char *allowed_domains;    /* JSON array text */
	const char **blocked_users;
	size_t nblocked;
	enum permission recording, screen_share, chat;
	bool mute_on_entry, disable_camera, lock_meeting;
};

/* What a POST (whole policy: an absent field takes its default) or a
 * PATCH (only what is set) brings. Values are checked by the caller. */
struct policy_change {
	bool set_waiting_room, waiting_room;
	bool set_waiting_everyone, waiting_everyone;
	bool set_password, password;
	bool set_anonymous, anonymous;
	bool set_max, set_domains, set_blocked;
	int64_t max_participants;       /* 0: none */
	const char *domains[POLICY_MAX_DOMAINS];        /* lower case */
	size_t ndomains;
	const char *blocked[POLICY_MAX_BLOCKED];
	size_t nblocked;
	bool set_recording, set_screen_share, set_chat;
	enum permission recording, screen_share, chat;
	bool set_mute, mute_on_entry, set_camera, disable_camera, set_lock, lock;
};

/* The policy, for a host of the meeting (others: 403, strangers: 404). */
enum err policy_get(struct ctx *c, const char *meeting_id, struct policy_view *out);
/* Applies ch (whole: POST) if the meeting's version is if_match (or
 * if_match < 0: no precondition); PRECONDITION_FAILED otherwise. People
 * newly blocked leave and their connections close. */
enum err policy_apply(struct ctx *c, const char *meeting_id, const struct policy_change *ch,
    bool whole, int64_t if_match, struct policy_view *out);

/* Inside a transaction, for the caller and meeting m (loaded FOR UPDATE),
 * who is not in it yet: lock, block, removal and domains, in that order.
 * *admitted says whether the waiting room already let them in. */
enum err policy_admits(struct ctx *c, struct db *db, const struct meeting *m, bool *admitted,
    bool *waiting);
/* Blocked (USER_BLOCKED) or removed (PARTICIPANT_REMOVED), in that order;
 * else ERR_OK with the caller's waiting-room status ("waiting", "admitted",
 * "denied", or NULL if they never knocked). */
enum err policy_exclusion(struct ctx *c, struct db *db, const struct meeting *m,
    const char **waiting_status);
/* Inside a transaction: puts user_id out of the meeting (a removal, a
 * block): their session ends as a leave with `reason`, and every connection
 * they have to the meeting closes once the change is published. */
enum err policy_put_out(struct ctx *c, struct db *db, const char *meeting_id, const char *user_id,
    const char *reason);
/* Whether the waiting room holds the caller back: a native room (on other
 * platforms the waiting room is the platform's own setting), it is on,
 * they are not a host, and they are not a member (or everyone waits). */
bool policy_must_wait(const struct meeting *m);

#endif
