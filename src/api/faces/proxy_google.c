/*
 * proxy_google.c — 000's "Create Google Meet" endpoint,
 * POST /api/meetings/proxy/google-meet/create: 000's camelCase body in,
 * 000's bare {"meetingUrl", "meetingCode"} out. The meeting itself is
 * created by the canonical code (meetings_create with platform
 * google_meet), so provisioning, limits, audit and the outbox apply as for
 * POST /api/v1/meetings. Errors keep meetd's envelope.
 */
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "core/app.h"
#include "domain/meeting.h"
#include "domain/meetings.h"
#include "platforms/provider.h"
#include "api/validate.h"

enum { P_TITLE, P_DESCRIPTION, P_SCHEDULED_FOR, P_DURATION, P_TIMEZONE, NPROXY };

/* 000's names and rules; anything else in the body is refused. */
static const struct field_spec proxy_fields[NPROXY] = {
	[P_TITLE] = { "title", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	[P_DESCRIPTION] = { "description", FT_STRING, 0, 0, 5000 },
	[P_SCHEDULED_FOR] = { "scheduledFor", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 20, 35 },
	[P_DURATION] = { "duration", FT_INTEGER, FF_REQUIRED, 1, 1440 },
	[P_TIMEZONE] = { "timezone", FT_STRING, FF_NO_CONTROL, 1, 64 },
};

/* The canonical name of each field, for the checks only meetings.c makes
 * (a real time, not in the past, a known zone). */
static const char *const canonical[NPROXY] = {
	"title", "description", "scheduled_for", "duration", "timezone"
};

/* Reads 000's body into nm: 000's rules first, then the canonical ones on
 * the same values, reported under 000's names. */
static enum err
parse_body(struct request *rq, struct new_meeting *nm)
{
	struct field_value v[NPROXY];
	json_t *mine, *theirs = rq->json;
	enum err e;
	size_t i, j;

	memset(v, 0, sizeof(v));
	if ((e = validate_body(rq, proxy_fields, NPROXY, v)) != ERR_OK)
		return e;
	if ((mine = json_object()) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < NPROXY; i++)
		if (v[i].present && json_object_set(mine, canonical[i],
		    json_object_get(theirs, proxy_fields[i].name)) != 0) {
			json_decref(mine);
			return ERR_NOMEM;
		}
	if (json_object_set_new(mine, "platform", json_string(provider_google_meet.name)) != 0) {
		json_decref(mine);
		return ERR_NOMEM;
	}
	rq->json = mine;
	e = meetings_parse_create(rq, CREATE_V1, nm);
	rq->json = theirs;
	json_decref(mine);
	for (i = 0; i < rq->ctx.err.nfields; i++)
		for (j = 0; j < NPROXY; j++)
			if (strcmp(rq->ctx.err.field[i], canonical[j]) == 0)
				rq->ctx.err.field[i] = proxy_fields[j].name;
	return e;
}

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

enum err
proxy_google_create(struct request *rq, struct response *rs)
{
	struct new_meeting nm;
	struct meeting m;
	const char *code;
	struct jsonw *w;
	enum err e;

	/* an unconfigured platform answers 503 whatever the body */
	if ((e = provider_ready(&provider_google_meet, rq->ctx.app->cfg)) != ERR_OK)
		return e;
	if ((e = parse_body(rq, &nm)) != ERR_OK)
		return e;
	if ((e = meetings_create_for_face(rq, &nm, &m)) != ERR_OK)
		return e;
	code = meet_code(m.meeting_url);
	w = resp_json(rs, 200);
	jw_obj_open(w);
	jw_kstr(w, "meetingUrl", m.meeting_url);
	if (code != NULL) {
		jw_key(w, "meetingCode");
		jw_strn(w, code, strcspn(code, "?#"));
	} else
		jw_knull(w, "meetingCode");
	jw_obj_close(w);
	return ERR_OK;
}
