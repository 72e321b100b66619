/*
 * identity.h — who a verified token names, as a meetd user.
 *
 * A user is meetd's own ULID. A token names someone by (issuer, subject):
 * meetd's own tokens under the issuer "meetd", an identity provider's under
 * its `iss`. The first request of a subject makes its user (an account with
 * no email or password, its display name taken from the `name` claim); the
 * `email` claim is kept on the identity, never matched against another
 * user's, so an email claim cannot merge two accounts.
 */
#ifndef MEETD_IDENTITY_H
#define MEETD_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

struct db;

/* The issuer under which meetd's own tokens (local logins, `meetd token`,
 * guests) name their subjects. */
#define IDENTITY_LOCAL_ISSUER "meetd"
#define IDENTITY_SUBJECT_MAX 255
#define IDENTITY_ISSUER_MAX 255

/* What a verified token says about its subject; all borrowed. */
struct identity_claims {
	const char *issuer;             /* IDENTITY_LOCAL_ISSUER or the token's iss */
	const char *subject;            /* 1..IDENTITY_SUBJECT_MAX bytes */
	const char *name;               /* profile data for a new user; may be NULL */
	const char *email;              /* may be NULL */
	bool email_verified;
};

/* The user behind an identity; strings are arena-owned. */
struct identity_user {
	const char *id;                 /* ULID */
	const char *role;               /* "user" or "admin" (static) */
	bool guest;
	const char *guest_meeting_id;   /* the one meeting of a guest, else NULL */
	bool disabled;
	int64_t tokens_valid_after;     /* unix s: tokens issued before are refused */
	bool has_profile;               /* the fields below were read */
	const char *email, *display_name, *time_zone, *language, *created_at;
	bool email_verified, local_account;
};

/*
 * Finds the user of c->issuer/c->subject, making it on first use. Race-safe:
 * concurrent first requests of one subject make one user (the identity's
 * primary key decides; the losers roll back and read the winner's).
 * ERR_OK fills *out; ERR_INVALID_TOKEN for a subject or issuer out of
 * bounds; ERR_DB_UNAVAILABLE and other database errors as they come.
 */
enum err identity_resolve(struct db *db, const struct identity_claims *c, struct arena *a,
    struct identity_user *out);

/*
 * identity_resolve() and a rate-limit take in one round trip: the caller's
 * bucket "u:<user id>:<category>" found through the identity (the limiter's
 * authenticate-and-limit statement). *taken says whether the take happened:
 * it cannot for a subject seen for the first time (made here, then the
 * caller takes the limit itself). The profile is not read on this path.
 */
struct rate;
struct limit_info;
enum err identity_resolve_limited(struct db *db, const struct identity_claims *c, struct arena *a,
    const char *category, const struct rate *r, struct identity_user *out, bool *taken, bool *allowed,
    struct limit_info *d);

/*
 * Records that meetd's own tokens for `user_id` name that user, inside the
 * caller's transaction (local registration, guests).
 */
enum err identity_link_local(struct db *db, const char *user_id, struct arena *a);

#endif
