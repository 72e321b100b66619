/*
 * platforms.c — GET /api/v1/platforms: every platform meetd knows, whether
 * this server is configured for it, and what it really supports (design
 * §7), so a client can offer only what will work.
 */
#include "api/api.h"
#include "core/app.h"
#include "platforms/provider.h"

static const struct {
	const char *key;
	enum provider_cap cap;
} cap_names[] = {
	{ "update", CAP_UPDATE }, { "delete", CAP_DELETE }, { "end", CAP_END },
	{ "status", CAP_STATUS }, { "webhooks", CAP_WEBHOOKS }, { "passcode", CAP_PASSCODE },
	{ "waiting_room", CAP_WAITING_ROOM }, { "dial_in", CAP_DIAL_IN },
};

enum err
api_platforms(struct request *rq, struct response *rs)
{
	const struct config *cfg = rq->ctx.app->cfg;
	struct jsonw *w = resp_data(rs, 200, "Platforms retrieved successfully");
	size_t i, c;

	jw_obj_open(w);
	jw_key(w, "platforms");
	jw_arr_open(w);
	for (i = 0; providers[i] != NULL; i++) {
		const struct provider *p = providers[i];

		jw_obj_open(w);
		jw_kstr(w, "name", p->name);
		jw_kstr(w, "label", p->label);
		jw_kbool(w, "configured", provider_ready(p, cfg) == ERR_OK);
		jw_key(w, "capabilities");
		jw_obj_open(w);
		for (c = 0; c < sizeof(cap_names) / sizeof(cap_names[0]); c++)
			jw_kbool(w, cap_names[c].key, (p->caps & cap_names[c].cap) != 0);
		jw_obj_close(w);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	jw_obj_close(w);
	return ERR_OK;
}
