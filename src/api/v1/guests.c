/*
 * guests.c — POST /api/v1/guest-tokens: parses the proof (an invitation
 * token, or a meeting code and passcode) and a display name, asks
 * guests_admit() for a token, and renders it.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "domain/guests.h"
#include "domain/users.h"
#include "api/validate.h"

enum { G_NAME, G_TOKEN, G_CODE, G_PASSCODE, NG };

static const struct field_spec guest_fields[NG] = {
	[G_NAME] = { "display_name", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1,
	    USER_GUEST_NAME_MAX },
	[G_TOKEN] = { "invitation_token", FT_STRING, FF_NO_CONTROL, 1, 128 },
	[G_CODE] = { "meeting_code", FT_STRING, FF_NO_CONTROL, 1, 32 },
	[G_PASSCODE] = { "passcode", FT_STRING, FF_NO_CONTROL, 1, 32 },
};

enum err
api_guest_token(struct request *rq, struct response *rs)
{
	struct field_value v[NG];
	struct guest_request g;
	struct guest_grant grant;
	struct jsonw *w;
	enum err e;

	if ((e = validate_body(rq, guest_fields, NG, v)) != ERR_OK)
		return e;
	if (v[G_TOKEN].present == (v[G_CODE].present || v[G_PASSCODE].present))
		return request_fail(rq, ERR_VALIDATION_FAILED,
		    "Give either invitation_token, or meeting_code and passcode");
	if (v[G_CODE].present != v[G_PASSCODE].present)
		return request_field_error(rq, v[G_CODE].present ? "passcode" : "meeting_code",
		    "is required with the other");
	g.display_name = validate_dup(rq, &v[G_NAME]);
	g.invitation_token = validate_dup(rq, &v[G_TOKEN]);
	g.meeting_code = validate_dup(rq, &v[G_CODE]);
	g.passcode = validate_dup(rq, &v[G_PASSCODE]);
	if ((e = guests_admit(&rq->ctx, &g, &grant)) != ERR_OK)
		return e;
	w = resp_data(rs, 201, "Guest token issued for this meeting alone");
	jw_obj_open(w);
	jw_kstr(w, "access_token", grant.token);
	jw_kstr(w, "token_type", "Bearer");
	jw_kint(w, "expires_in", grant.expires_in);
	jw_key(w, "user");
	jw_obj_open(w);
	jw_kstr(w, "id", grant.user_id);
	jw_kstr(w, "kind", "guest");
	jw_kstr(w, "display_name", grant.display_name);
	jw_kbool(w, "returning", grant.reused);
	jw_obj_close(w);
	jw_key(w, "meeting");
	jw_obj_open(w);
	jw_kstr(w, "id", grant.meeting_id);
	jw_kstr(w, "title", grant.meeting_title);
	jw_obj_close(w);
	jw_obj_close(w);
	free(grant.token);
	return ERR_OK;
}
