/*
 * accounts.h — local accounts and API keys: registering (email, scrypt
 * password, name), signing in for a token, and the caller's API keys.
 * Emails are stored lower-cased so that one mailbox is one account.
 * Signing in spends the same scrypt time whether or not the email exists,
 * and answers the same INVALID_CREDENTIALS either way.
 */
#ifndef MEETD_ACCOUNTS_H
#define MEETD_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/rand.h"

/* An account as register and login show it; strings arena-owned. */
struct account {
	const char *id, *email, *display_name, *role, *created_at;
};

/* The lower-cased address if s looks like one (one '@', a dot in the
 * domain, no spaces); NULL otherwise. Arena-owned. */
const char *accounts_normalise_email(struct arena *a, const char *s, size_t n);

/* REGISTRATION_CLOSED, EMAIL_TAKEN, VALIDATION_FAILED (email). */
enum err accounts_register(struct ctx *c, const char *email, const char *password, size_t password_len,
    const char *name, struct account *out);

/* A token for the account with this email and password (malloc'd: the
 * caller frees *token). INVALID_CREDENTIALS, ACCOUNT_DISABLED (told only
 * to who knows the password), NOT_CONFIGURED without a signing key. */
enum err accounts_login(struct ctx *c, const char *email, size_t email_len, const char *password,
    size_t password_len, struct account *out, char **token, int64_t *expires_in);

struct api_key_view {
	const char *id, *name, *prefix, *created_at, *last_used_at;
	const char *key;                /* on creation only: shown once */
};
/* FORBIDDEN for guests. */
enum err accounts_key_create(struct ctx *c, const char *name, struct api_key_view *out);
enum err accounts_key_list(struct ctx *c, struct api_key_view **out, size_t *n);
/* NOT_FOUND if the caller has no such live key. */
enum err accounts_key_revoke(struct ctx *c, const char *id);

#endif
