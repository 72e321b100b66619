/*
 * platform_hooks.c — the platforms' signed webhooks: POST /api/zoom/webhook
 * (Zoom's event notifications, as the Cal.com-style integration receives
 * them) and POST /api/webhooks/livekit. The platform module checks the
 * signature and reads the delivery, the domain applies it
 * (domain/platform_events.h); this file only hands over the raw body and
 * headers and renders the answer.
 */
#include <ctype.h>
#include <string.h>

#include "api/api.h"
#include "domain/platform_events.h"

#define HEADER_NAME_MAX 64

/* A header by its HTTP name ("x-zm-signature"), as the transport has it. */
static const char *
header_of(void *arg, const char *name)
{
	struct request *rq = arg;
	char cgi[5 + HEADER_NAME_MAX + 1];
	size_t i, n = strlen(name);

	if (strcmp(name, "authorization") == 0)
		return rq->authorization;
	if (n > HEADER_NAME_MAX)
		return NULL;
	memcpy(cgi, "HTTP_", 5);
	for (i = 0; i < n; i++)
		cgi[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	cgi[5 + n] = '\0';
	return request_header(rq, cgi);
}

static enum err
receive(struct request *rq, struct response *rs, const char *platform)
{
	struct hook_input in = { rq->body, rq->body_len, header_of, rq };
	struct hook_result r;
	struct jsonw *w;
	enum err e;

	if ((e = platform_hook(&rq->ctx, platform, &in, &r)) != ERR_OK)
		return e;
	if (r.reply != NULL) {
		/* the platform's own answer (Zoom's url_validation) */
		jw_raw(resp_json(rs, 200), r.reply, strlen(r.reply));
		return ERR_OK;
	}
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kstr(w, "status", r.duplicate ? "duplicate" : "ok");
	jw_obj_close(w);
	return ERR_OK;
}

/* POST /api/zoom/webhook */
enum err
zoom_webhook(struct request *rq, struct response *rs)
{
	return receive(rq, rs, "zoom");
}

/* POST /api/webhooks/livekit */
enum err
livekit_webhook(struct request *rq, struct response *rs)
{
	return receive(rq, rs, "livekit");
}
