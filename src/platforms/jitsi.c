/*
 * jitsi.c — Jitsi Meet rooms (003's zero-setup default): a room is created
 * by the first person who enters it, so "create" is choosing an
 * unguessable name, https://{domain}/{prefix}-{26 base32 characters}
 * (128 bits). When the domain uses token auth (jitsi.app_id and
 * app_secret_file), members get a signed room JWT from POST
 * /api/v1/meetings/{id}/token (src/api/room_token.c).
 */
#include <string.h>

#include "core/app.h"
#include "core/arena.h"
#include "platforms/provider.h"
#include "core/rand.h"

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

const struct provider provider_jitsi = {
	.name = "jitsi",
	.label = "Jitsi Meet",
	.not_configured = ERR_JITSI_NOT_CONFIGURED,
	/* a room outlives nothing: update and cancel are meetd's record only */
	.caps = CAP_UPDATE | CAP_DELETE,
	.remote = false,
	.configured = configured,
	.create = create,
};
