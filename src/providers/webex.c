/*
 * webex.c — Webex (being written: until then the platform answers 503
 * webex_not_configured).
 */
#include "provider.h"

static bool
configured(const struct config *cfg)
{
	(void)cfg;
	return false;
}

const struct provider provider_webex = {
	.name = "webex",
	.label = "Webex",
	.not_configured = ERR_WEBEX_NOT_CONFIGURED,
	.caps = 0,
	.remote = true,
	.configured = configured,
};
