/*
 * provider.c — the table of platforms and what every provider shares.
 */
#include <string.h>

#include "platforms/provider.h"

const struct provider *const providers[] = {
	&provider_native, &provider_jitsi, &provider_zoom, &provider_google_meet,
	&provider_teams, &provider_webex, &provider_facetime, &provider_livekit, NULL,
};

const struct provider *
provider_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && providers[i] != NULL; i++)
		if (strcmp(providers[i]->name, name) == 0)
			return providers[i];
	return NULL;
}

enum err
provider_ready(const struct provider *p, const struct config *cfg)
{
	return p->configured == NULL || p->configured(cfg) ? ERR_OK : p->not_configured;
}

void
remote_meeting_init(struct remote_meeting *out)
{
	memset(out, 0, sizeof(*out));
	out->participant_count = -1;
}
