/*
 * guests.h — people without an account in one meeting.
 *
 * Whoever holds a meeting's invitation link, or its code and passcode, may
 * ask for a guest token for that meeting alone, when the meeting admits
 * guests. A guest is a user of kind "guest" bound to the meeting, made a
 * member with role guest (so joining needs no passcode again), and its
 * token is signed with meetd's own key. A caller that already holds a guest
 * token of the same meeting keeps its identity; a guest removed from the
 * meeting is disabled, so its token is refused from then on.
 */
#ifndef MEETD_GUESTS_H
#define MEETD_GUESTS_H

#include <stdint.h>

#include "core/error.h"
#include "core/context.h"

/* What the caller proves; exactly one of the two ways. Borrowed. */
struct guest_request {
	const char *display_name;       /* 1..64 characters, stored as given */
	const char *invitation_token;
	const char *meeting_code, *passcode;
};

/* The grant; token is malloc'd (caller frees), other strings arena-owned. */
struct guest_grant {
	const char *user_id, *display_name, *meeting_id, *meeting_title;
	char *token;
	int64_t expires_in;
	bool reused;                    /* the caller's guest identity was kept */
};

/*
 * Checks the proof (passcode attempts counted per meeting and address, as
 * for any join), the meeting's state and guest setting, then makes or keeps
 * the guest and signs its token. Errors: INVITATION_NOT_FOUND,
 * INVALID_MEETING_CREDENTIALS, TOO_MANY_ATTEMPTS, GUESTS_NOT_ALLOWED,
 * MEETING_ENDED, MEETING_CANCELLED, INVALID_REQUEST (signed in with an
 * account), NOT_CONFIGURED (no signing key).
 */
enum err guests_admit(struct ctx *c, const struct guest_request *g, struct guest_grant *out);

#endif
