/*
 * auth.c — authenticates a request from its Authorization header. An API
 * key's secret is compared in constant time after the row is found by its
 * public prefix; an unknown prefix and a wrong secret answer the same.
 * A token's subject becomes meetd's user through identity.c, so every
 * handler sees the caller as a user id that exists.
 */
#include <string.h>
#include <strings.h>

#include "auth/apikey.h"
#include "config/config.h"
#include "core/app.h"
#include "auth/auth.h"
#include "auth/crypto.h"
#include "store/db.h"
#include "auth/identity.h"
#include "auth/idp.h"
#include "auth/token.h"

static enum err
api_key(struct request *rq, const char *text)
{
	struct apikey key;
	struct db_rows rows;
	struct db_val v;
	enum err e;

	if (!apikey_parse(text, &key))
		return ERR_INVALID_TOKEN;
	v = DB_STR(key.prefix);
	if ((e = db_exec(rq->ctx.app->db, STMT_APIKEY_BY_PREFIX, &v, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1 || rows.lens[2] != SHA256_LEN ||
	    !crypto_equal(db_cell(&rows, 0, 2), key.hash, SHA256_LEN))
		return ERR_INVALID_TOKEN;
	if (strcmp(db_cell(&rows, 0, 4), "1") == 0)
		return ERR_ACCOUNT_DISABLED;
	rq->ctx.who.kind = PRINCIPAL_API_KEY;
	rq->ctx.who.key_id = db_cell(&rows, 0, 0);
	rq->ctx.who.subject = db_cell(&rows, 0, 1);
	rq->ctx.who.role = strcmp(db_cell(&rows, 0, 3), "admin") == 0 ? "admin" : "user";
	v = DB_STR(rq->ctx.who.key_id);
	/* best effort: a failed touch must not fail the request */
	db_exec(rq->ctx.app->db, STMT_APIKEY_TOUCH, &v, 1, rq->ctx.arena, NULL, 0, NULL);
	return ERR_OK;
}

enum err
auth_authenticate(struct request *rq, const char *category, const struct rate *limit)
{
	const char *h = rq->authorization, *tok;
	struct token_claims claims;
	struct identity_claims ic = { 0 };
	struct identity_user user;
	enum err e;

	if (h == NULL || h[0] == '\0')
		return ERR_AUTH_REQUIRED;
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return request_fail(rq, ERR_AUTH_REQUIRED, "Use the Bearer authentication scheme");
	tok = h + 7;
	while (*tok == ' ')
		tok++;
	if (apikey_looks_like(tok))
		return api_key(rq, tok);
	if ((e = idp_verify(rq->ctx.app, tok, rq->ctx.arena, &claims)) != ERR_OK)
		return e;
	/* meetd's own tokens name their subjects under one issuer whatever
	 * auth.jwt_issuer says, so changing it later keeps every account */
	ic.issuer = claims.local ? IDENTITY_LOCAL_ISSUER : claims.iss;
	ic.subject = claims.sub;
	ic.name = claims.name;
	ic.email = claims.email;
	ic.email_verified = claims.email_verified;
	/* a limited route learns who the caller is and takes their token in
	 * one round trip */
	e = limit != NULL ? identity_resolve_limited(rq->ctx.app->db, &ic, rq->ctx.arena, category, limit,
	    &user, &rq->limit_taken, &rq->limit_allowed, &rq->ctx.limit) :
	    identity_resolve(rq->ctx.app->db, &ic, rq->ctx.arena, &user);
	if (e != ERR_OK)
		return e;
	if (user.disabled)
		return request_fail(rq, ERR_ACCOUNT_DISABLED, user.guest ?
		    "You were removed from this meeting" : NULL);
	/* signed out everywhere: tokens issued before that moment are void */
	if (user.tokens_valid_after > 0 && claims.iat < user.tokens_valid_after)
		return ERR_INVALID_TOKEN;
	rq->ctx.who.kind = PRINCIPAL_JWT;
	rq->ctx.who.guest = user.guest;
	rq->ctx.who.guest_meeting_id = user.guest_meeting_id;
	rq->ctx.who.subject = user.id;
	rq->ctx.who.token_subject = claims.sub;
	/* only meetd's own tokens carry a role meetd vouches for; an account
	 * made admin in the database is admin with any token */
	rq->ctx.who.role = strcmp(user.role, "admin") == 0 ||
	    (claims.local && claims.role != NULL && strcmp(claims.role, "admin") == 0) ? "admin" : "user";
	rq->ctx.who.has_profile = user.has_profile;
	rq->ctx.who.email = user.email;
	rq->ctx.who.email_verified = user.email_verified;
	rq->ctx.who.display_name = user.display_name;
	rq->ctx.who.time_zone = user.time_zone;
	rq->ctx.who.language = user.language;
	rq->ctx.who.created_at = user.created_at;
	rq->ctx.who.local_account = user.local_account;
	return ERR_OK;
}
