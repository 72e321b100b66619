/*
 * google.c — Google Meet (being written: until then the platform answers 503
 * google_meet_not_configured).
 */
#include "provider.h"

static bool
configured(const struct config *cfg)
{
	(void)cfg;
	return false;
}

const struct provider provider_google_meet = {
	.name = "google_meet",
	.label = "Google Meet",
	.not_configured = ERR_GOOGLE_MEET_NOT_CONFIGURED,
	.caps = 0,
	.remote = true,
	.configured = configured,
};
