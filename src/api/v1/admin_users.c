/*
 * admin_users.c — account administration for users with role admin:
 * list, show, disable, enable, sign out everywhere, delete. The same
 * operations as `meetd user` (users_cli.c), through users.c.
 *
 * An administrator cannot disable or delete their own account here, so a
 * slip of the keyboard never locks the last one out (the CLI still can).
 */
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "config/config.h"
#include "core/app.h"
#include "core/parse.h"
#include "core/rand.h"
#include "domain/users.h"

#define ADMIN_LIST_MAX 200

static void
write_admin_user(struct jsonw *w, const struct user *u)
{
	jw_obj_open(w);
	account_write_user(w, u, NULL);
	jw_kstr_or_null(w, "guest_meeting_id", u->guest_meeting_id);
	jw_kstr_or_null(w, "disabled_at", u->disabled_at);
	jw_kstr_or_null(w, "deleted_at", u->deleted_at);
	jw_obj_close(w);
}

enum err
api_admin_users_list(struct request *rq, struct response *rs)
{
	const char *after = request_query(rq, "after"), *limit = request_query(rq, "limit");
	int64_t n = 50;
	struct user *list;
	struct jsonw *w;
	size_t count, i;
	enum err e;

	if (limit != NULL && parse_i64z(limit, 1, ADMIN_LIST_MAX, &n) != ERR_OK)
		return request_field_error(rq, "limit", "must be an integer from 1 to 200");
	if (after != NULL && !ulid_valid(after))
		return request_field_error(rq, "after", "must be a user id");
	if ((e = users_list(rq->ctx.app->db, rq->ctx.arena, after, (size_t)n, &list, &count)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "Users");
	jw_obj_open(w);
	jw_key(w, "users");
	jw_arr_open(w);
	for (i = 0; i < count; i++)
		write_admin_user(w, &list[i]);
	jw_arr_close(w);
	/* a full page may have more after it */
	jw_kstr_or_null(w, "next_after", count == (size_t)n ? list[count - 1].id : NULL);
	jw_obj_close(w);
	return ERR_OK;
}

static enum err
render_one(struct request *rq, struct response *rs, const char *message)
{
	struct user u;
	enum err e;

	if ((e = users_get(rq->ctx.app->db, rq->ctx.arena, rq->params[0], &u)) != ERR_OK)
		return e;
	write_admin_user(resp_data(rs, 200, message), &u);
	return ERR_OK;
}

enum err
api_admin_user_get(struct request *rq, struct response *rs)
{
	return render_one(rq, rs, "User");
}

static enum err
not_self(struct request *rq)
{
	if (strcmp(rq->params[0], rq->ctx.who.subject) == 0)
		return request_fail(rq, ERR_INVALID_REQUEST,
		    "An administrator cannot disable or delete their own account");
	return ERR_OK;
}

enum err
api_admin_user_disable(struct request *rq, struct response *rs)
{
	enum err e;

	if ((e = not_self(rq)) != ERR_OK ||
	    (e = users_set_disabled(rq->ctx.app->db, rq->ctx.arena, rq->params[0], true)) != ERR_OK)
		return e;
	return render_one(rq, rs, "User disabled");
}

enum err
api_admin_user_enable(struct request *rq, struct response *rs)
{
	enum err e;

	if ((e = users_set_disabled(rq->ctx.app->db, rq->ctx.arena, rq->params[0], false)) != ERR_OK)
		return e;
	return render_one(rq, rs, "User enabled");
}

enum err
api_admin_user_sign_out(struct request *rq, struct response *rs)
{
	enum err e;

	if ((e = users_sign_out_everywhere(rq->ctx.app->db, rq->ctx.arena, rq->params[0],
	    (int64_t)time(NULL))) != ERR_OK)
		return e;
	return render_one(rq, rs, "User signed out everywhere");
}

enum err
api_admin_user_delete(struct request *rq, struct response *rs)
{
	enum err e;

	if ((e = not_self(rq)) != ERR_OK ||
	    (e = users_delete(rq->ctx.app->db, rq->ctx.arena, rq->params[0])) != ERR_OK)
		return e;
	return render_one(rq, rs, "User deleted");
}
