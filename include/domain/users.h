/*
 * users.h — accounts as the domain sees them: profiles, and what an
 * administrator does to an account (disable, enable, sign out everywhere,
 * delete). No HTTP here: the API and `meetd user` both call these.
 *
 * Deleting erases what identifies the person (email, password, name,
 * profile, the email claims of their identities, their API keys and platform
 * grants) and keeps the row, disabled, as a tombstone: meetings they
 * organized stay readable by their co-hosts and the audit log keeps its
 * references. The identities stay too, so a token of a deleted person is
 * refused (403 ACCOUNT_DISABLED) rather than making a new account.
 */
#ifndef MEETD_USERS_H
#define MEETD_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/context.h"
#include "core/error.h"

struct db;

#define USER_NAME_MAX 100
#define USER_GUEST_NAME_MAX 64

/* One account; strings arena-owned, NULL for SQL NULL. */
struct user {
	const char *id;
	const char *kind;               /* "account" or "guest" */
	const char *email;              /* login address, else an identity's claim */
	bool email_verified;            /* the address was confirmed by its issuer */
	const char *display_name;
	const char *role;               /* "user" or "admin" */
	const char *time_zone;          /* IANA name; NULL: UTC */
	const char *language;           /* "en" or "fr"; NULL: en */
	const char *guest_meeting_id;
	const char *created_at;         /* ISO-8601 UTC */
	const char *disabled_at;
	const char *deleted_at;
	bool local_account;             /* signs in with a password */
};

/* A profile change: each field applies when its `set_` flag is true; a NULL
 * time zone or language returns to the default. Values are validated by
 * the caller's field specs and by users_update_profile (zone, language). */
struct profile_change {
	bool set_name, set_zone, set_language;
	const char *display_name;
	const char *time_zone;
	const char *language;
};

/* The caller's own account: from what authentication read when it read
 * the profile (no round trip), else from the database. */
enum err users_me(struct ctx *c, struct user *out);

/* Reads one user. ERR_USER_NOT_FOUND if there is none. */
enum err users_get(struct db *db, struct arena *a, const char *id, struct user *out);

/* Applies a profile change and reads the user back into *out.
 * ERR_VALIDATION_FAILED with *bad_field set for an unknown time zone or
 * language; ERR_USER_NOT_FOUND. */
enum err users_update_profile(struct db *db, struct arena *a, const char *id,
    const struct profile_change *c, struct user *out, const char **bad_field);

/* Up to `limit` users after id `after` (NULL: from the start), by id. */
enum err users_list(struct db *db, struct arena *a, const char *after, size_t limit,
    struct user **out, size_t *n);

/* Disables or enables an account; ERR_USER_NOT_FOUND (also for a deleted
 * one, which stays disabled). */
enum err users_set_disabled(struct db *db, struct arena *a, const char *id, bool disabled);

/* Refuses every token of the user issued before now (their `iat`); the
 * user signs in again. ERR_USER_NOT_FOUND. */
enum err users_sign_out_everywhere(struct db *db, struct arena *a, const char *id, int64_t now_s);

/* Erases the account as described above; ERR_USER_NOT_FOUND if absent or
 * already deleted. */
enum err users_delete(struct db *db, struct arena *a, const char *id);

/* A guest account for one meeting, with the identity its tokens name, in the
 * caller's transaction. `id` receives the new ULID. */
enum err users_new_guest(struct db *db, const char *meeting_id, const char *display_name,
    char id[27]);

/* Whether `lang` is a language meetd speaks ("en", "fr"). */
bool users_language_known(const char *lang);

#endif
