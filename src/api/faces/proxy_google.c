/*
 * proxy_google.c — 000's "Create Google Meet" endpoint,
 * POST /api/meetings/proxy/google-meet/create: 000's camelCase body in,
 * its bare {"meetingUrl", "meetingCode"} out. The meeting itself is
 * created by the canonical use case (platform google_meet), so
 * provisioning, limits, audit and the outbox apply as for
 * POST /api/v1/meetings. Errors keep meetd's envelope.
 */
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "api/create_body.h"
#include "config/config.h"
#include "core/app.h"
#include "domain/meeting.h"
#include "domain/meetings.h"

/* The Wakeve spec's names and rules; anything else in the body is refused. */
static const struct create_dialect meet_dialect = {
	.name = { [CF_TITLE] = "title", [CF_DESCRIPTION] = "description", [CF_START] = "scheduledFor",
	    [CF_DURATION] = "duration", [CF_TIMEZONE] = "timezone" },
	.required = CF_BIT(CF_TITLE) | CF_BIT(CF_START) | CF_BIT(CF_DURATION),
	.platform = "google_meet",
	.default_duration = 60,
	.waiting_room_default = true,
};

/* The last path segment of a Meet link: https://meet.google.com/abc-defg-hij */
static const char *
meet_code(const char *url)
{
	const char *slash = url != NULL ? strrchr(url, '/') : NULL;
	const char *end;

	if (slash == NULL || slash[1] == '\0')
		return NULL;
	end = slash + 1 + strcspn(slash + 1, "?#");
	return end > slash + 1 ? slash + 1 : NULL;
}

/* The Wakeve answer {meetingUrl, meetingCode}. */
static void
write_meet_created(struct jsonw *w, json_t *m)
{
	const char *url = json_string_value(json_object_get(m, "meeting_url"));
	const char *code = meet_code(url);

	jw_obj_open(w);
	jw_kstr(w, "meetingUrl", url);
	if (code != NULL) {
		jw_key(w, "meetingCode");
		jw_strn(w, code, strcspn(code, "?#"));
	} else
		jw_knull(w, "meetingCode");
	jw_obj_close(w);
}

enum err
proxy_google_created(struct request *rq, struct response *rs, int status, const char *outcome)
{
	(void)rq;
	(void)status;
	return face_render_outcome(rs, outcome, write_meet_created);
}

enum err
proxy_google_create(struct request *rq, struct response *rs)
{
	char id[ULID_LEN + 1];
	struct new_meeting nm;
	struct buf out;
	enum err e;

	/* an unconfigured platform answers 503 whatever the body */
	if ((e = meetings_platform_ready(&rq->ctx, "google_meet")) != ERR_OK)
		return e;
	if ((e = create_body_parse(rq, &meet_dialect, &nm)) != ERR_OK)
		return e;
	e = meetings_create(&rq->ctx, &nm, id, &out);
	if (e == ERR_OK && out.failed)
		e = ERR_NOMEM;
	if (e == ERR_OK)
		e = proxy_google_created(rq, rs, 201, buf_cstr(&out));
	buf_free(&out);
	return e;
}
