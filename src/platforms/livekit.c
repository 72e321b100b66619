/*
 * livekit.c — LiveKit rooms (001). A LiveKit server creates a room when
 * the first participant with a valid token joins, so "create" names the
 * room (meetd's meeting id) and the URL clients connect to; access is the
 * HS256 token of POST /api/v1/meetings/{id}/token (src/api/room_token.c).
 */
#include <time.h>

#include "auth/jwt_sign.h"
#include "config/config.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/arena.h"
#include "platforms/livekit.h"
#include "platforms/provider.h"

#define CLAIMS_MAX (16 * 1024)

static bool
configured(const struct config *cfg)
{
	return cfg->livekit_url != NULL && cfg->livekit_api_key != NULL && cfg->livekit_api_secret.len > 0;
}

static enum err
create(struct provider_ctx *c, const struct remote_spec *s, struct remote_meeting *out)
{
	remote_meeting_init(out);
	out->remote_id = s->meeting_id;
	out->join_url = c->ctx->app->cfg->livekit_url;
	out->status = "scheduled";
	return ERR_OK;
}

/* LiveKit's access token: HS256 with the API secret; iss = API key, sub =
 * identity, a `video` grant for this room only; hosts get roomAdmin. */
static enum err
room_token(struct ctx *c, const struct room_grant *g, struct room_token *out)
{
	const struct config *cfg = c->app->cfg;
	int64_t now = (int64_t)time(NULL), exp = now + cfg->livekit_token_ttl;
	char expires[CLOCK_ISO_LEN];
	struct buf claims;
	struct jsonw w;

	buf_init(&claims, CLAIMS_MAX);
	jw_init(&w, &claims);
	jw_obj_open(&w);
	jw_kstr(&w, "iss", cfg->livekit_api_key);
	jw_kstr(&w, "sub", g->user_id);
	jw_kstr(&w, "name", g->user_name);
	jw_kint(&w, "iat", now);
	jw_kint(&w, "nbf", now);
	jw_kint(&w, "exp", exp);
	jw_key(&w, "video");
	jw_obj_open(&w);
	jw_kstr(&w, "room", g->room);
	jw_kbool(&w, "roomJoin", true);
	jw_kbool(&w, "canPublish", true);
	if (g->no_camera || g->no_screen_share) {
		/* LiveKit's VideoGrant: the sources this token may publish */
		jw_key(&w, "canPublishSources");
		jw_arr_open(&w);
		jw_str(&w, "microphone");
		if (!g->no_camera)
			jw_str(&w, "camera");
		if (!g->no_screen_share) {
			jw_str(&w, "screen_share");
			jw_str(&w, "screen_share_audio");
		}
		jw_arr_close(&w);
	}
	jw_kbool(&w, "canSubscribe", true);
	jw_kbool(&w, "canPublishData", true);
	jw_kbool(&w, "roomAdmin", g->host);
	jw_obj_close(&w);
	jw_obj_close(&w);
	if (claims.failed || jwt_sign(c->arena, JWS_HS256, cfg->livekit_api_secret.data, cfg->livekit_api_secret.len, NULL,
	    buf_cstr(&claims), &out->token) != ERR_OK)
		out->token = NULL;
	buf_free(&claims);
	clock_iso8601(exp, expires);
	out->platform = "livekit";
	out->url = cfg->livekit_url;
	out->room = g->room;
	out->expires_at = arena_strdup(c->arena, expires);
	return out->token != NULL && out->expires_at != NULL ? ERR_OK : ERR_NOMEM;
}

const struct provider provider_livekit = {
	.name = "livekit",
	.label = "LiveKit",
	.not_configured = ERR_LIVEKIT_NOT_CONFIGURED,
	.caps = CAP_UPDATE | CAP_DELETE | CAP_WEBHOOKS,
	.remote = false,
	.configured = configured,
	.create = create,
	.hook = livekit_hook,
	.room_token = room_token,
};
