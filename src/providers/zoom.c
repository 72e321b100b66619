/*
 * zoom.c — Zoom (being written: until then the platform answers 503
 * zoom_not_configured).
 */
#include "provider.h"

static bool
configured(const struct config *cfg)
{
	(void)cfg;
	return false;
}

const struct provider provider_zoom = {
	.name = "zoom",
	.label = "Zoom",
	.not_configured = ERR_ZOOM_NOT_CONFIGURED,
	.caps = 0,
	.remote = true,
	.configured = configured,
};
