/*
 * teams.c — Microsoft Teams (being written: until then the platform answers 503
 * teams_not_configured).
 */
#include "provider.h"

static bool
configured(const struct config *cfg)
{
	(void)cfg;
	return false;
}

const struct provider provider_teams = {
	.name = "teams",
	.label = "Microsoft Teams",
	.not_configured = ERR_TEAMS_NOT_CONFIGURED,
	.caps = 0,
	.remote = true,
	.configured = configured,
};
