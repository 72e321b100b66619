/*
 * room_token.c — POST /api/v1/meetings/{id}/token (001 "Generate LiveKit
 * Token"): a member of a meeting gets the signed token its platform wants
 * before letting them into the room.
 *   livekit: the access token of protocols.md §2.10 (HS256 with the API
 *            secret; iss = API key, sub = identity, a `video` grant for
 *            this room only; hosts get roomAdmin);
 *   jitsi:   prosody's token (§2.11) when the domain uses token auth,
 *            with the join URL carrying it (?jwt=); moderator for hosts.
 * Other platforms have no room token: 501 NOT_SUPPORTED.
 *
 * The token is a bearer secret: it is answered once and never logged or
 * stored.
 */
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/clock.h"
#include "store/db.h"
#include "auth/hmac.h"
#include "domain/meeting.h"
#include "platforms/provider.h"
#include "api/validate.h"

#define CLAIMS_MAX (16 * 1024)

/* Who the token is for: the caller, as their account names them. */
struct holder {
	const char *id, *name, *email;
	bool host;
};

/* 001's body {"user_id", "user_name"}, both optional: a token is only ever
 * for the caller, so user_id may only name them; user_name overrides the
 * display name shown in the room. */
static enum err
read_holder(struct request *rq, const struct meeting *m, struct holder *h)
{
	static const struct field_spec specs[] = {
		{ "user_id", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 64 },
		{ "user_name", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	};
	struct field_value v[2];
	struct db_rows rows;
	struct db_val p;
	enum err e;

	memset(h, 0, sizeof(*h));
	if (rq->json != NULL && (e = validate_body(rq, specs, 2, v)) != ERR_OK)
		return e;
	if (rq->json == NULL)
		memset(v, 0, sizeof(v));
	if (v[0].present && strcmp(v[0].s, rq->ctx.who.subject) != 0)
		return request_fail(rq, ERR_FORBIDDEN, "A room token can only be issued to the caller");
	p = DB_STR(rq->ctx.who.subject);
	if ((e = db_exec(rq->ctx.app->db, STMT_USER_BY_ID, &p, 1, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	h->id = rq->ctx.who.subject;
	h->email = rows.nrows == 1 && db_cell(&rows, 0, 1) != NULL ? db_cell(&rows, 0, 1) : "";
	h->name = v[1].present ? arena_strndup(rq->ctx.arena, v[1].s, v[1].len) :
	    rows.nrows == 1 && db_cell(&rows, 0, 2) != NULL ? db_cell(&rows, 0, 2) : h->id;
	h->host = meeting_is_host(m);
	return h->name != NULL ? ERR_OK : ERR_NOMEM;
}

/* Signs the claims written in `claims` with key; *out arena-owned. */
static enum err
sign(struct request *rq, struct buf *claims, const struct secret *key, const char **out)
{
	if (claims->failed)
		return ERR_NOMEM;
	*out = hmac_jwt_hs256(rq->ctx.arena, key->data, key->len, buf_cstr(claims));
	return *out != NULL ? ERR_OK : ERR_NOMEM;
}

static enum err
livekit_token(struct request *rq, const struct meeting *m, const struct holder *h,
    struct response *rs)
{
	const struct config *cfg = rq->ctx.app->cfg;
	const char *room = m->platform_meeting_id != NULL ? m->platform_meeting_id : m->id;
	int64_t now = (int64_t)time(NULL), exp = now + cfg->livekit_token_ttl;
	char expires[CLOCK_ISO_LEN];
	const char *token;
	struct buf claims;
	struct jsonw w, *d;
	enum err e;

	buf_init(&claims, CLAIMS_MAX);
	jw_init(&w, &claims);
	jw_obj_open(&w);
	jw_kstr(&w, "iss", cfg->livekit_api_key);
	jw_kstr(&w, "sub", h->id);
	jw_kstr(&w, "name", h->name);
	jw_kint(&w, "iat", now);
	jw_kint(&w, "nbf", now);
	jw_kint(&w, "exp", exp);
	jw_key(&w, "video");
	jw_obj_open(&w);
	jw_kstr(&w, "room", room);
	jw_kbool(&w, "roomJoin", true);
	jw_kbool(&w, "canPublish", true);
	jw_kbool(&w, "canSubscribe", true);
	jw_kbool(&w, "canPublishData", true);
	jw_kbool(&w, "roomAdmin", h->host);
	jw_obj_close(&w);
	jw_obj_close(&w);
	e = sign(rq, &claims, &cfg->livekit_api_secret, &token);
	buf_free(&claims);
	if (e != ERR_OK)
		return e;
	clock_iso8601(exp, expires);
	d = resp_data(rs, 200, "LiveKit token generated successfully");
	jw_obj_open(d);
	jw_kstr(d, "token", token);
	jw_kstr(d, "meeting_id", m->id);
	jw_kstr(d, "user_id", h->id);
	jw_kstr(d, "user_name", h->name);
	jw_kbool(d, "is_host", h->host);
	jw_kstr(d, "livekit_url", cfg->livekit_url);
	jw_kstr(d, "platform", "livekit");
	jw_kstr(d, "url", cfg->livekit_url);
	jw_kstr(d, "room", room);
	jw_kstr(d, "identity", h->id);
	jw_kstr(d, "expires_at", expires);
	jw_obj_close(d);
	return ERR_OK;
}

static enum err
jitsi_token(struct request *rq, const struct meeting *m, const struct holder *h,
    struct response *rs)
{
	const struct config *cfg = rq->ctx.app->cfg;
	const char *flag = h->host ? "true" : "false", *token, *url;
	int64_t now = (int64_t)time(NULL), exp = now + cfg->jitsi_token_ttl;
	char expires[CLOCK_ISO_LEN];
	struct buf claims;
	struct jsonw w, *d;
	enum err e;

	if (cfg->jitsi_app_id == NULL || cfg->jitsi_app_secret.len == 0)
		return request_fail(rq, ERR_NOT_SUPPORTED,
		    "This Jitsi server does not use token authentication: join with the meeting URL");
	if (m->platform_meeting_id == NULL || m->meeting_url == NULL)
		return request_fail(rq, ERR_NOT_SUPPORTED, "This meeting has no Jitsi room");
	/* prosody throws on a context.user value that is not a string */
	buf_init(&claims, CLAIMS_MAX);
	jw_init(&w, &claims);
	jw_obj_open(&w);
	jw_kstr(&w, "iss", cfg->jitsi_app_id);
	jw_kstr(&w, "aud", cfg->jitsi_audience != NULL ? cfg->jitsi_audience : "jitsi");
	jw_kstr(&w, "sub", cfg->jitsi_domain);
	jw_kstr(&w, "room", m->platform_meeting_id);
	jw_kint(&w, "iat", now);
	jw_kint(&w, "nbf", now);
	jw_kint(&w, "exp", exp);
	jw_key(&w, "context");
	jw_obj_open(&w);
	jw_key(&w, "user");
	jw_obj_open(&w);
	jw_kstr(&w, "id", h->id);
	jw_kstr(&w, "name", h->name);
	jw_kstr(&w, "email", h->email);
	jw_kstr(&w, "avatar", "");
	jw_kstr(&w, "moderator", flag);
	jw_obj_close(&w);
	jw_key(&w, "features");
	jw_obj_open(&w);
	jw_kstr(&w, "recording", flag);
	jw_kstr(&w, "livestreaming", flag);
	jw_kstr(&w, "transcription", flag);
	jw_kstr(&w, "outbound-call", "false");
	jw_obj_close(&w);
	jw_obj_close(&w);
	jw_obj_close(&w);
	e = sign(rq, &claims, &cfg->jitsi_app_secret, &token);
	buf_free(&claims);
	if (e != ERR_OK)
		return e;
	/* the token is base64url with dots: safe in a query as it is */
	if ((url = arena_printf(rq->ctx.arena, "%s?jwt=%s", m->meeting_url, token)) == NULL)
		return ERR_NOMEM;
	clock_iso8601(exp, expires);
	d = resp_data(rs, 200, "Jitsi token generated successfully");
	jw_obj_open(d);
	jw_kstr(d, "token", token);
	jw_kstr(d, "meeting_id", m->id);
	jw_kstr(d, "user_id", h->id);
	jw_kstr(d, "user_name", h->name);
	jw_kbool(d, "is_host", h->host);
	jw_kstr(d, "platform", "jitsi");
	jw_kstr(d, "url", url);
	jw_kstr(d, "room", m->platform_meeting_id);
	jw_kstr(d, "identity", h->id);
	jw_kstr(d, "expires_at", expires);
	jw_obj_close(d);
	return ERR_OK;
}

enum err
api_meeting_room_token(struct request *rq, struct response *rs)
{
	const struct provider *p;
	struct meeting m;
	struct holder h;
	enum err e;

	if ((e = meeting_load(rq, rq->ctx.app->db, rq->params[0], false, &m)) != ERR_OK)
		return e;
	if ((e = meeting_allows(&m, MA_JOIN)) != ERR_OK)
		return e;
	if ((p = provider_find(m.platform)) == NULL)
		return ERR_INTERNAL;
	if (p != &provider_livekit && p != &provider_jitsi)
		return request_fail(rq, ERR_NOT_SUPPORTED, "This platform has no room tokens");
	if ((e = provider_ready(p, rq->ctx.app->cfg)) != ERR_OK)
		return e;
	if ((e = read_holder(rq, &m, &h)) != ERR_OK)
		return e;
	return p == &provider_livekit ? livekit_token(rq, &m, &h, rs) : jitsi_token(rq, &m, &h, rs);
}
