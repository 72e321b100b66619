/*
 * livekit.c — LiveKit rooms (001). A LiveKit server creates a room when
 * the first participant with a valid token joins, so "create" names the
 * room (meetd's meeting id) and the URL clients connect to; access is the
 * HS256 token of POST /api/v1/meetings/{id}/token (src/api/room_token.c).
 */
#include "core/app.h"
#include "core/arena.h"
#include "platforms/provider.h"

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

const struct provider provider_livekit = {
	.name = "livekit",
	.label = "LiveKit",
	.not_configured = ERR_LIVEKIT_NOT_CONFIGURED,
	.caps = CAP_UPDATE | CAP_DELETE,
	.remote = false,
	.configured = configured,
	.create = create,
};
