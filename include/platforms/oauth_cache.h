/*
 * oauth_cache.h — platform access tokens cached sealed in MariaDB
 * (provider_tokens), shared by every responder (design §7).
 *
 * oauth_token() returns a live token: the cached one while it has more
 * than a minute left, else it takes a named lock for (provider, account),
 * looks again (another process may have just refreshed), and only then
 * calls `fetch`. A rotated refresh token is sealed and committed before the
 * new access token is used, so a refresh token is spent once, by one
 * process. The lock is a MariaDB named lock: it dies with its connection,
 * so a responder killed mid-refresh never wedges the others.
 */
#ifndef MEETD_OAUTH_CACHE_H
#define MEETD_OAUTH_CACHE_H

#include <stdint.h>

#include "core/error.h"
#include "platforms/provider.h"

struct token_grant {
	const char *access_token;
	const char *refresh_token;      /* NULL: none (or unchanged) */
	int64_t expires_in_s;
};

/* Asks the platform for a token. refresh_token is the stored one, or NULL.
 * Strings in out are arena-owned. */
typedef enum err (*token_fetch_fn)(struct provider_ctx *c, const char *refresh_token, void *arg,
    struct token_grant *out);

enum err oauth_token(struct provider_ctx *c, const char *provider, const char *account,
    token_fetch_fn fetch, void *arg, const char **access_token);
/* Stores a grant got another way (an authorization-code exchange). */
enum err oauth_store(struct provider_ctx *c, const char *provider, const char *account,
    const struct token_grant *g);
/* The platform refused the cached access token: make the next call fetch. */
void oauth_expire(struct provider_ctx *c, const char *provider, const char *account);
/* Forgets (provider, account) entirely (a dead grant, a disconnect). */
void oauth_forget(struct provider_ctx *c, const char *provider, const char *account);

#endif
