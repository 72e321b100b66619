/*
 * room_token.c — POST /api/v1/meetings/{id}/token (the Goravel "Generate
 * LiveKit Token"): a member of a meeting gets the signed token its
 * platform wants before letting them into the room (LiveKit's access token,
 * Jitsi's prosody JWT when the domain uses token auth); other platforms
 * have none: 501 NOT_SUPPORTED. The token is a bearer secret: it is
 * answered once and never logged or stored.
 */
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "domain/meetings.h"

/* The Goravel body {"user_id", "user_name"}, both optional: a token is only
 * ever for the caller, so user_id may only name them; user_name overrides
 * the display name shown in the room. */
static const struct field_spec specs[] = {
	{ "user_id", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 64 },
	{ "user_name", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, 200 },
};

enum err
api_meeting_room_token(struct request *rq, struct response *rs)
{
	struct field_value v[2];
	struct room_token_view t;
	struct jsonw *d;
	enum err e;

	enum err bad = ERR_OK;
	struct errinfo saved;

	memset(v, 0, sizeof(v));
	if (rq->json != NULL)
		bad = validate_body(rq, specs, 2, v);
	/* the meeting and the caller's right to it are judged first: a
	 * stranger gets 404 whatever the body says */
	saved = rq->ctx.err;
	memset(&rq->ctx.err, 0, sizeof(rq->ctx.err));
	if ((e = meetings_room_token(&rq->ctx, rq->params[0], bad == ERR_OK ? validate_dup(rq, &v[1]) : NULL,
	    &t)) != ERR_OK)
		return e;
	rq->ctx.err = saved;
	if (bad != ERR_OK)
		return bad;
	/* checked after the meeting: a stranger learns nothing from it */
	if (v[0].present && strcmp(validate_dup(rq, &v[0]), rq->ctx.who.subject) != 0)
		return request_fail(rq, ERR_FORBIDDEN, "A room token can only be issued to the caller");
	d = resp_data(rs, 200, strcmp(t.token.platform, "livekit") == 0 ?
	    "LiveKit token generated successfully" : "Jitsi token generated successfully");
	jw_obj_open(d);
	jw_kstr(d, "token", t.token.token);
	jw_kstr(d, "meeting_id", t.m.id);
	jw_kstr(d, "user_id", rq->ctx.who.subject);
	jw_kstr(d, "user_name", t.user_name);
	jw_kbool(d, "is_host", t.host);
	if (strcmp(t.token.platform, "livekit") == 0)
		jw_kstr(d, "livekit_url", t.token.url);
	jw_kstr(d, "platform", t.token.platform);
	jw_kstr(d, "url", t.token.url);
	jw_kstr(d, "room", t.token.room);
	jw_kstr(d, "identity", rq->ctx.who.subject);
	jw_kstr(d, "expires_at", t.token.expires_at);
	jw_obj_close(d);
	return ERR_OK;
}
