/*
 * facetime.c — FaceTime links (000). Apple has no server API to create,
 * end or inspect FaceTime calls (protocols.md 2.12): meetd can only build
 * a facetime:// link to the organizer's Apple ID, which is their account
 * email here. Rescheduling, cancelling, starting and ending change meetd's
 * record only (the link does not depend on them); the call itself cannot be
 * ended or read from the server, so the platform reports no end, status or
 * webhook capability and meetd's status is its own record.
 */
#include "config/config.h"
#include "core/app.h"
#include "core/arena.h"
#include "platforms/provider.h"

static bool
configured(const struct config *cfg)
{
	return cfg->facetime_enabled;
}

static enum err
create(struct provider_ctx *c, const struct remote_spec *s, struct remote_meeting *out)
{
	struct arena *a = c->ctx->arena;

	remote_meeting_init(out);
	if (s->organizer_email == NULL)
		return ctx_fail(c->ctx, ERR_VALIDATION_FAILED, "FaceTime needs the organizer's Apple ID (account email)");
	out->join_url = arena_printf(a, "facetime://%s", s->organizer_email);
	out->host_url = arena_printf(a, "facetime-audio://%s", s->organizer_email);
	out->status = "scheduled";
	return out->join_url != NULL && out->host_url != NULL ? ERR_OK : ERR_NOMEM;
}

const struct provider provider_facetime = {
	.name = "facetime",
	.label = "FaceTime",
	.not_configured = ERR_FACETIME_NOT_CONFIGURED,
	.caps = CAP_UPDATE | CAP_DELETE,
	.remote = false,
	.configured = configured,
	.create = create,
};
