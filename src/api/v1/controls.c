/*
 * controls.c — participants' status, hosts' actions, the waiting room and
 * the security policy (001). Each parses, calls one use case of
 * domain/controls.h, domain/waiting_room.h or domain/policy.h, renders.
 */
#include <ctype.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "core/rand.h"
#include "domain/controls.h"
#include "domain/policy.h"
#include "domain/waiting_room.h"

/* --- PUT /api/v1/meetings/{id}/participants/status ------------------------------ */

enum { S_MUTED, S_VIDEO, S_SCREEN, S_HAND, S_WAITING, NS };

static const struct field_spec status_fields[NS] = {
	[S_MUTED] = { "is_muted", FT_BOOLEAN, 0, 0, 0 },
	[S_VIDEO] = { "is_video_enabled", FT_BOOLEAN, 0, 0, 0 },
	[S_SCREEN] = { "is_screen_sharing", FT_BOOLEAN, 0, 0, 0 },
	[S_HAND] = { "is_hand_raised", FT_BOOLEAN, 0, 0, 0 },
	[S_WAITING] = { "is_in_waiting_room", FT_BOOLEAN, 0, 0, 0 },
};

static void
write_status(struct jsonw *w, const struct participant_status *st)
{
	jw_obj_open(w);
	jw_kbool(w, "is_muted", st->is_muted);
	jw_kbool(w, "is_video_enabled", st->is_video_enabled);
	jw_kbool(w, "is_screen_sharing", st->is_screen_sharing);
	jw_kbool(w, "is_hand_raised", st->is_hand_raised);
	jw_kbool(w, "is_in_waiting_room", st->is_in_waiting_room);
	jw_obj_close(w);
}

enum err
api_participant_status(struct request *rq, struct response *rs)
{
	struct field_value v[NS];
	struct status_change ch;
	struct participant_status st;
	enum err e;
	int i, n = 0;

	if ((e = validate_body(rq, status_fields, NS, v)) != ERR_OK)
		return e;
	for (i = 0; i < NS; i++)
		n += v[i].present;
	if (n == 0)
		return request_fail(rq, ERR_VALIDATION_FAILED, "Nothing to update: send at least one field");
	memset(&ch, 0, sizeof(ch));
	ch.set_muted = v[S_MUTED].present;
	ch.muted = v[S_MUTED].b;
	ch.set_video = v[S_VIDEO].present;
	ch.video = v[S_VIDEO].b;
	ch.set_screen = v[S_SCREEN].present;
	ch.screen = v[S_SCREEN].b;
	ch.set_hand = v[S_HAND].present;
	ch.hand = v[S_HAND].b;
	ch.set_waiting = v[S_WAITING].present;
	ch.waiting = v[S_WAITING].b;
	if ((e = participants_set_status(&rq->ctx, rq->params[0], &ch, &st)) != ERR_OK)
		return e;
	write_status(resp_data(rs, 200, "Participant status updated successfully"), &st);
	return ERR_OK;
}

/* --- POST /api/v1/meetings/{id}/participants/{user_id}/actions -------------------- */

static const struct field_spec action_fields[1] = {
	{ "action", FT_STRING, FF_REQUIRED, 1, 32 },
};

enum err
api_participant_action(struct request *rq, struct response *rs)
{
	struct field_value v[1];
	enum host_action a;
	struct jsonw *w;
	enum err e;

	if ((e = validate_body(rq, action_fields, 1, v)) != ERR_OK)
		return e;
	if ((a = host_action_parse(validate_dup(rq, &v[0]))) == HA__MAX)
		return request_field_error(rq, "action", "must be mute, stop_video, stop_screen_share, "
		    "lower_hand, remove or allow_rejoin");
	if ((e = participants_act(&rq->ctx, rq->params[0], rq->params[1], a)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Action applied");
	jw_obj_open(w);
	jw_kstr(w, "meeting_id", rq->params[0]);
	jw_kstr(w, "user_id", rq->params[1]);
	jw_kstr(w, "action", host_action_name(a));
	jw_obj_close(w);
	return ERR_OK;
}

/* --- the waiting room ---------------------------------------------------------------- */

enum err
api_waiting_room(struct request *rq, struct response *rs)
{
	struct waiting_person *list;
	struct jsonw *w;
	size_t i, n;
	enum err e;

	if ((e = waiting_list(&rq->ctx, rq->params[0], &list, &n)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Waiting room retrieved successfully");
	jw_arr_open(w);
	for (i = 0; i < n; i++) {
		jw_obj_open(w);
		jw_kint(w, "position", (int64_t)i + 1);
		jw_kstr(w, "user_id", list[i].user_id);
		jw_kstr(w, "user_name", list[i].display_name);
		jw_kstr(w, "knocked_at", list[i].knocked_at);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	return ERR_OK;
}

/* {"user_ids": [...]} or {"all": true} */
static enum err
decide(struct request *rq, struct response *rs, bool admit)
{
	const char **users = NULL;
	json_t *ids, *all, *x;
	size_t i, n = 0, decided;
	const char *key;
	struct jsonw *w;
	enum err e;

	if (!json_is_object(rq->json))
		return request_fail(rq, ERR_VALIDATION_FAILED, "Send {\"user_ids\": [...]} or {\"all\": true}");
	json_object_foreach(rq->json, key, x)
		if (strcmp(key, "user_ids") != 0 && strcmp(key, "all") != 0)
			request_field_error(rq, "body", "has an unknown field");
	ids = json_object_get(rq->json, "user_ids");
	all = json_object_get(rq->json, "all");
	if (all != NULL && !json_is_boolean(all))
		request_field_error(rq, "all", "must be a boolean");
	if (ids != NULL && (!json_is_array(ids) || json_array_size(ids) < 1 ||
	    json_array_size(ids) > WAITING_MAX_BATCH))
		request_field_error(rq, "user_ids", "must be an array of 1 to 1000 user ids");
	if ((ids == NULL) == !json_is_true(all) && rq->ctx.err.nfields == 0)
		request_field_error(rq, "user_ids", "send user_ids or all: true, one of them");
	if (rq->ctx.err.nfields == 0 && ids != NULL) {
		n = json_array_size(ids);
		if ((users = arena_alloc(rq->ctx.arena, sizeof(*users) * n)) == NULL)
			return ERR_NOMEM;
		json_array_foreach(ids, i, x) {
			users[i] = json_string_value(x);
			if (users[i] == NULL || !ulid_valid(users[i])) {
				request_field_error(rq, "user_ids", "holds something that is not a user id");
				break;
			}
		}
	}
	if (rq->ctx.err.nfields > 0)
		return ERR_VALIDATION_FAILED;
	if ((e = waiting_decide(&rq->ctx, rq->params[0], users, n, ids == NULL, admit, &decided)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, admit ? "Admitted" : "Denied");
	jw_obj_open(w);
	jw_kint(w, admit ? "admitted" : "denied", (int64_t)decided);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_waiting_admit(struct request *rq, struct response *rs)
{
	return decide(rq, rs, true);
}

enum err
api_waiting_deny(struct request *rq, struct response *rs)
{
	return decide(rq, rs, false);
}

/* --- the security policy --------------------------------------------------------- */

static void
write_policy(struct response *rs, const char *message, const struct policy_view *p)
{
	struct jsonw *w = resp_data(rs, 200, message);
	size_t i;

	resp_etag(rs, p->version);
	jw_obj_open(w);
	jw_kbool(w, "require_waiting_room", p->require_waiting_room);
	jw_kbool(w, "waiting_room_everyone", p->waiting_room_everyone);
	jw_kbool(w, "require_password", p->require_password);
	jw_kbool(w, "allow_anonymous_join", p->allow_anonymous_join);
	jw_key(w, "max_participants");
	if (p->max_participants > 0)
		jw_int(w, p->max_participants);
	else
		jw_null(w);
	jw_key(w, "allowed_domains");
	jw_raw(w, p->allowed_domains, strlen(p->allowed_domains));    /* stored as JSON by the domain */
	jw_key(w, "blocked_users");
	jw_arr_open(w);
	for (i = 0; i < p->nblocked; i++)
		jw_str(w, p->blocked_users[i]);
	jw_arr_close(w);
	jw_kstr(w, "recording_permissions", permission_name(p->recording));
	jw_kstr(w, "screen_share_permissions", permission_name(p->screen_share));
	jw_kstr(w, "chat_permissions", permission_name(p->chat));
	jw_kbool(w, "mute_on_entry", p->mute_on_entry);
	jw_kbool(w, "disable_camera", p->disable_camera);
	jw_kbool(w, "lock_meeting", p->lock_meeting);
	jw_kint(w, "version", p->version);
	jw_obj_close(w);
}

enum err
api_policy_get(struct request *rq, struct response *rs)
{
	struct policy_view p;
	enum err e;

	if ((e = policy_get(&rq->ctx, rq->params[0], &p)) != ERR_OK)
		return e;
	write_policy(rs, "Security policy retrieved successfully", &p);
	return ERR_OK;
}

/* A domain name as allowed_domains holds it: labels of letters, digits
 * and hyphens, at least two, lower-cased here. */
static char *
domain_norm(struct request *rq, const char *s)
{
	size_t i, n = strlen(s), label = 0, dots = 0;
	char *out;

	if (n < 3 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0)
				return NULL;
			label = 0;
			dots++;
		} else if (isalnum(ch) || (ch == '-' && label > 0)) {
			if (++label > 63)
				return NULL;
		} else {
			return NULL;
		}
	}
	if (dots == 0 || (out = arena_strdup(rq->ctx.arena, s)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return out;
}

static void
take_bool(struct request *rq, json_t *v, const char *key, bool *set, bool *value)
{
	if (v == NULL)
		return;
	if (!json_is_boolean(v)) {
		request_field_error(rq, key, "must be a boolean");
		return;
	}
	*set = true;
	*value = json_is_true(v);
}

static void
take_permission(struct request *rq, json_t *v, const char *key, bool *set, enum permission *value)
{
	if (v == NULL)
		return;
	if (!json_is_string(v) || (*value = permission_parse(json_string_value(v))) == PERM__MAX) {
		request_field_error(rq, key, "must be host, all or none");
		return;
	}
	*set = true;
}

static void
take_list(struct request *rq, json_t *v, const char *key, size_t max, const char **out, size_t *n,
    bool *set, bool domains)
{
	json_t *x;
	size_t i;

	if (v == NULL)
		return;
	if (!json_is_array(v) || json_array_size(v) > max) {
		request_field_error(rq, key, domains ? "must be an array of at most 50 domain names" :
		    "must be an array of at most 1000 user ids");
		return;
	}
	json_array_foreach(v, i, x) {
		const char *s = json_string_value(x);

		if (s == NULL || (domains ? (out[i] = domain_norm(rq, s)) == NULL :
		    !ulid_valid(s) || (out[i] = s) == NULL)) {
			request_field_error(rq, key, domains ? "holds something that is not a domain name" :
			    "holds something that is not a user id");
			return;
		}
	}
	*n = json_array_size(v);
	*set = true;
}

static const char *const policy_keys[] = {
	"require_waiting_room", "waiting_room_everyone", "require_password", "allow_anonymous_join",
	"max_participants", "allowed_domains", "blocked_users", "recording_permissions",
	"screen_share_permissions", "chat_permissions", "mute_on_entry", "disable_camera", "lock_meeting",
};

static enum err
policy_write(struct request *rq, struct response *rs, bool whole)
{
	struct policy_change ch;
	struct policy_view out;
	json_t *j = rq->json, *v;
	const char *key;
	int64_t if_match;
	size_t i;
	bool known;
	enum err e;

	if (!json_is_object(j))
		return request_fail(rq, ERR_VALIDATION_FAILED, "The body must be a JSON object");
	memset(&ch, 0, sizeof(ch));
	json_object_foreach(j, key, v) {
		for (i = 0, known = false; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++)
			known |= strcmp(key, policy_keys[i]) == 0;
		if (!known)
			request_field_error(rq, "body", "has an unknown field");
	}
	take_bool(rq, json_object_get(j, "require_waiting_room"), "require_waiting_room",
	    &ch.set_waiting_room, &ch.waiting_room);
	take_bool(rq, json_object_get(j, "waiting_room_everyone"), "waiting_room_everyone",
	    &ch.set_waiting_everyone, &ch.waiting_everyone);
	take_bool(rq, json_object_get(j, "require_password"), "require_password", &ch.set_password,
	    &ch.password);
	take_bool(rq, json_object_get(j, "allow_anonymous_join"), "allow_anonymous_join",
	    &ch.set_anonymous, &ch.anonymous);
	take_bool(rq, json_object_get(j, "mute_on_entry"), "mute_on_entry", &ch.set_mute, &ch.mute_on_entry);
	take_bool(rq, json_object_get(j, "disable_camera"), "disable_camera", &ch.set_camera,
	    &ch.disable_camera);
	take_bool(rq, json_object_get(j, "lock_meeting"), "lock_meeting", &ch.set_lock, &ch.lock);
	take_permission(rq, json_object_get(j, "recording_permissions"), "recording_permissions",
	    &ch.set_recording, &ch.recording);
	take_permission(rq, json_object_get(j, "screen_share_permissions"), "screen_share_permissions",
	    &ch.set_screen_share, &ch.screen_share);
	take_permission(rq, json_object_get(j, "chat_permissions"), "chat_permissions", &ch.set_chat,
	    &ch.chat);
	take_list(rq, json_object_get(j, "allowed_domains"), "allowed_domains", POLICY_MAX_DOMAINS,
	    ch.domains, &ch.ndomains, &ch.set_domains, true);
	take_list(rq, json_object_get(j, "blocked_users"), "blocked_users", POLICY_MAX_BLOCKED,
	    ch.blocked, &ch.nblocked, &ch.set_blocked, false);
	if ((v = json_object_get(j, "max_participants")) != NULL) {
		if (json_is_null(v))
			ch.set_max = true;
		else if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 10000)
			request_field_error(rq, "max_participants", "must be an integer from 1 to 10000, or null");
		else {
			ch.set_max = true;
			ch.max_participants = json_integer_value(v);
		}
	}
	if (json_object_size(j) == 0 && !whole)
		request_fail(rq, ERR_VALIDATION_FAILED, "Nothing to update: send at least one field");
	if ((e = request_if_match(rq, &if_match)) != ERR_OK)
		return e;
	if (rq->ctx.err.nfields > 0 || (json_object_size(j) == 0 && !whole))
		return ERR_VALIDATION_FAILED;
	if ((e = policy_apply(&rq->ctx, rq->params[0], &ch, whole, if_match, &out)) != ERR_OK)
		return e;
	write_policy(rs, "Security policy applied successfully", &out);
	return ERR_OK;
}

enum err
api_policy_set(struct request *rq, struct response *rs)
{
	return policy_write(rq, rs, true);
}

enum err
api_policy_patch(struct request *rq, struct response *rs)
{
	return policy_write(rq, rs, false);
}
