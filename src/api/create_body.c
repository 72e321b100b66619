/*
 * create_body.c — one reader of meeting create bodies for every face; see
 * create_body.h. The canonical rules are the table below; a dialect only
 * renames, requires, tightens a length or fixes a default.
 */
#include <string.h>

#include "api/create_body.h"
#include "api/validate.h"
#include "core/clock.h"
#include "core/zone.h"

#define PAST_GRACE_MS (5 * 60 * 1000)
#define FUTURE_MAX_YEARS 10

/* The Wakeve spec's validation rules, under canonical names. */
static const struct field_spec rules[CF__MAX] = {
	[CF_TITLE] = { "title", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
	[CF_DESCRIPTION] = { "description", FT_STRING, 0, 0, 5000 },
	[CF_START] = { "scheduled_for", FT_STRING, FF_NO_CONTROL, 20, 35 },
	[CF_DURATION] = { "duration", FT_INTEGER, 0, 1, 1440 },
	[CF_TIMEZONE] = { "timezone", FT_STRING, FF_NO_CONTROL, 1, 64 },
	[CF_LIMIT] = { "participant_limit", FT_INTEGER, 0, 1, 10000 },
	[CF_REQUIRE_PASSWORD] = { "require_password", FT_BOOLEAN, 0, 0, 0 },
	[CF_WAITING_ROOM] = { "waiting_room", FT_BOOLEAN, 0, 0, 0 },
	[CF_PLATFORM] = { "platform", FT_STRING, FF_NO_CONTROL, 1, 32 },
	[CF_EVENT_ID] = { "event_id", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 64 },
};

const struct create_dialect create_dialect_v1 = {
	.name = { "title", "description", "scheduled_for", "duration", "timezone", "participant_limit",
	    "require_password", "waiting_room", "platform", "event_id" },
	.required = CF_BIT(CF_TITLE) | CF_BIT(CF_START) | CF_BIT(CF_DURATION),
	.default_duration = 60,
	.waiting_room_default = true,
};

void
create_body_check_when(struct request *rq, const char *start_name, const char *start,
    const char *zone_name, const char *zone, int64_t *start_ms)
{
	int64_t now = clock_wall_ms();

	if (start != NULL && !validate_failed(rq, start_name)) {
		if (!clock_parse_iso8601(start, start_ms))
			request_field_error(rq, start_name,
			    "must be an ISO-8601 date-time with an offset, such as 2026-01-15T10:00:00Z");
		else if (*start_ms < now - PAST_GRACE_MS)
			request_field_error(rq, start_name, "must not be in the past");
		else if (*start_ms > clock_add_years_ms(now, FUTURE_MAX_YEARS))
			request_field_error(rq, start_name, "must be within ten years");
	}
	if (zone != NULL && !validate_failed(rq, zone_name) && !zone_exists(zone))
		request_field_error(rq, zone_name, "must be an IANA time zone such as Europe/Paris");
}

enum err
create_body_parse(struct request *rq, const struct create_dialect *d, struct new_meeting *nm)
{
	struct field_spec specs[CF__MAX];
	struct field_value got[CF__MAX], v[CF__MAX];
	int which[CF__MAX];
	size_t n = 0, i;
	enum err e;

	memset(nm, 0, sizeof(*nm));
	memset(v, 0, sizeof(v));
	memset(got, 0, sizeof(got));
	/* the face's view of the rules: its names, its required fields */
	for (i = 0; i < CF__MAX; i++) {
		if (d->name[i] == NULL)
			continue;
		specs[n] = rules[i];
		specs[n].name = d->name[i];
		if (d->required & CF_BIT(i))
			specs[n].flags |= FF_REQUIRED;
		if (d->max[i] > 0)
			specs[n].max = d->max[i];
		which[n++] = (int)i;
	}
	e = validate_body(rq, specs, n, got);
	if (e != ERR_OK && (e != ERR_VALIDATION_FAILED || rq->ctx.err.nfields == 0))
		return e;       /* not an object: nothing more to say */
	for (i = 0; i < n; i++)
		v[which[i]] = got[i];
	nm->scheduled_ms = clock_wall_ms();
	create_body_check_when(rq, d->name[CF_START], v[CF_START].present ? validate_dup(rq, &v[CF_START]) : NULL,
	    d->name[CF_TIMEZONE], v[CF_TIMEZONE].present ? validate_dup(rq, &v[CF_TIMEZONE]) : NULL,
	    &nm->scheduled_ms);
	nm->platform = d->platform != NULL ? d->platform :
	    v[CF_PLATFORM].present ? validate_dup(rq, &v[CF_PLATFORM]) : "native";
	if (d->platform == NULL && nm->platform != NULL && d->name[CF_PLATFORM] != NULL &&
	    !validate_failed(rq, d->name[CF_PLATFORM]) && !meeting_platform_known(nm->platform))
		request_field_error(rq, d->name[CF_PLATFORM],
		    "must be one of native, jitsi, zoom, google_meet, teams, webex, facetime, livekit");
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	nm->title = validate_dup(rq, &v[CF_TITLE]);
	nm->description = validate_dup(rq, &v[CF_DESCRIPTION]);
	nm->timezone = v[CF_TIMEZONE].present ? validate_dup(rq, &v[CF_TIMEZONE]) : "UTC";
	nm->event_id = validate_dup(rq, &v[CF_EVENT_ID]);
	nm->duration = v[CF_DURATION].present ? v[CF_DURATION].i : d->default_duration;
	nm->participant_limit = v[CF_LIMIT].present ? v[CF_LIMIT].i : 0;
	nm->require_password = v[CF_REQUIRE_PASSWORD].present ? v[CF_REQUIRE_PASSWORD].b : true;
	nm->waiting_room = v[CF_WAITING_ROOM].present ? v[CF_WAITING_ROOM].b : d->waiting_room_default;
	return ERR_OK;
}
