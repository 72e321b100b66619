/*
 * idp.h — the issuers one process trusts, built from its config: meetd's
 * own key and every [idp.NAME] identity provider.
 *
 * A provider's keys come from its jwks_file (parsed once, when the trust
 * is built) or its jwks_url. Responders never fetch a URL: the worker
 * does (jwks_fetch.h) and stores the set in the database, and responders
 * read the stored sets at most once per auth.jwks_cache_ttl, so most
 * requests cost no database round trip. A set that cannot be read or
 * parsed leaves the cached one in use.
 */
#ifndef MEETD_IDP_H
#define MEETD_IDP_H

#include <stdint.h>

#include "core/app.h"
#include "core/arena.h"
#include "core/error.h"
#include "auth/token.h"

struct idp_trust;

/* NULL on allocation failure. cfg is borrowed and must outlive the trust.
 * Keys that do not parse are left out (config_load_secrets refused them
 * already). */
struct idp_trust *idp_trust_new(const struct config *cfg);
void idp_trust_free(struct idp_trust *t);

/* Verifies a bearer token against app's trust (built on first use and
 * kept in app->trust), refreshing fetched key sets when the cache lapsed.
 * ERR_OK fills *out (token.h); every refusal is ERR_INVALID_TOKEN. */
enum err idp_verify(struct app *app, const char *token, struct arena *a, struct token_claims *out);

#endif
