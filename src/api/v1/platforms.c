/*
 * platforms.c — GET /api/v1/platforms: every platform meetd knows, whether
 * this server is configured for it, and what it really supports, so a
 * client can offer only what will work.
 */
#include "api/api.h"
#include "domain/service.h"

#define PLATFORMS_MAX 16

enum err
api_platforms(struct request *rq, struct response *rs)
{
	struct platform_info list[PLATFORMS_MAX];
	size_t i, k, n = service_platforms(&rq->ctx, list, PLATFORMS_MAX);
	struct jsonw *w = resp_data(rs, 200, "Platforms retrieved successfully");

	jw_obj_open(w);
	jw_key(w, "platforms");
	jw_arr_open(w);
	for (i = 0; i < n; i++) {
		jw_obj_open(w);
		jw_kstr(w, "name", list[i].name);
		jw_kstr(w, "label", list[i].label);
		jw_kbool(w, "configured", list[i].configured);
		jw_key(w, "capabilities");
		jw_obj_open(w);
		for (k = 0; k < PCAP__MAX; k++)
			jw_kbool(w, platform_capability_names[k], list[i].can[k]);
		jw_obj_close(w);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	jw_obj_close(w);
	return ERR_OK;
}
