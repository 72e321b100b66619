/*
 * jitsi.c — Jitsi Meet rooms (003's zero-setup default): a room is created
 * by the first person who enters it, so "create" is choosing an
 * unguessable name, https://{domain}/{prefix}-{26 base32 characters}
 * (128 bits). When the domain uses token auth (jitsi.app_id and
 * app_secret_file), members get a signed room JWT from POST
 * /api/v1/meetings/{id}/token (room_token below).
 */
#include <string.h>
#include <time.h>

#include "auth/jwt_sign.h"
#include "config/config.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/arena.h"
#include "platforms/provider.h"
#include "core/rand.h"

#define CLAIMS_MAX (16 * 1024)

static bool
configured(const struct config *cfg)
{
	return cfg->jitsi_enabled && cfg->jitsi_domain != NULL;
}

static enum err
create(struct provider_ctx *c, const struct remote_spec *s, struct remote_meeting *out)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	const struct config *cfg = c->ctx->app->cfg;
	unsigned char raw[26];
	char name[27];
	size_t i;

	(void)s;
	remote_meeting_init(out);
	if (!rand_bytes(raw, sizeof(raw)))
		return ERR_INTERNAL;
	for (i = 0; i < sizeof(raw); i++)
		name[i] = alphabet[raw[i] & 31];
	name[sizeof(raw)] = '\0';
	out->remote_id = arena_printf(c->ctx->arena, "%s-%s", cfg->jitsi_room_prefix, name);
	if (out->remote_id == NULL)
		return ERR_NOMEM;
	out->join_url = arena_printf(c->ctx->arena, "https://%s/%s", cfg->jitsi_domain, out->remote_id);
	out->status = "scheduled";
	return out->join_url != NULL ? ERR_OK : ERR_NOMEM;
}

/* prosody's token when the domain uses token auth, with the join URL
 * carrying it (?jwt=); moderator for hosts. */
static enum err
room_token(struct ctx *c, const struct room_grant *g, struct room_token *out)
{
	const struct config *cfg = c->app->cfg;
	const char *flag = g->host ? "true" : "false";
	int64_t now = (int64_t)time(NULL), exp = now + cfg->jitsi_token_ttl;
	char expires[CLOCK_ISO_LEN];
	struct buf claims;
	struct jsonw w;

	if (cfg->jitsi_app_id == NULL || cfg->jitsi_app_secret.len == 0)
		return ctx_fail(c, ERR_NOT_SUPPORTED,
		    "This Jitsi server does not use token authentication: join with the meeting URL");
	if (g->room == NULL || g->meeting_url == NULL)
		return ctx_fail(c, ERR_NOT_SUPPORTED, "This meeting has no Jitsi room");
	/* prosody throws on a context.user value that is not a string */
	buf_init(&claims, CLAIMS_MAX);
	jw_init(&w, &claims);
	jw_obj_open(&w);
	jw_kstr(&w, "iss", cfg->jitsi_app_id);
	jw_kstr(&w, "aud", cfg->jitsi_audience != NULL ? cfg->jitsi_audience : "jitsi");
	jw_kstr(&w, "sub", cfg->jitsi_domain);
	jw_kstr(&w, "room", g->room);
	jw_kint(&w, "iat", now);
	jw_kint(&w, "nbf", now);
	jw_kint(&w, "exp", exp);
	jw_key(&w, "context");
	jw_obj_open(&w);
	jw_key(&w, "user");
	jw_obj_open(&w);
	jw_kstr(&w, "id", g->user_id);
	jw_kstr(&w, "name", g->user_name);
	jw_kstr(&w, "email", g->email != NULL ? g->email : "");
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
	if (claims.failed || jwt_sign(c->arena, JWS_HS256, cfg->jitsi_app_secret.data, cfg->jitsi_app_secret.len, NULL,
	    buf_cstr(&claims), &out->token) != ERR_OK)
		out->token = NULL;
	buf_free(&claims);
	if (out->token == NULL)
		return ERR_NOMEM;
	/* the token is base64url with dots: safe in a query as it is */
	clock_iso8601(exp, expires);
	out->platform = "jitsi";
	out->url = arena_printf(c->arena, "%s?jwt=%s", g->meeting_url, out->token);
	out->room = g->room;
	out->expires_at = arena_strdup(c->arena, expires);
	return out->url != NULL && out->expires_at != NULL ? ERR_OK : ERR_NOMEM;
}

const struct provider provider_jitsi = {
	.name = "jitsi",
	.label = "Jitsi Meet",
	.not_configured = ERR_JITSI_NOT_CONFIGURED,
	/* a room outlives nothing: update and cancel are meetd's record only */
	.caps = CAP_UPDATE | CAP_DELETE,
	.remote = false,
	.configured = configured,
	.create = create,
	.room_token = room_token,
};
