/*
 * account.c — the account routes: register, login, me (read and change),
 * sign out everywhere, and the caller's own API keys; the work is
 * domain/accounts.c's and domain/users.c's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "domain/accounts.h"
#include "config/config.h"
#include "core/app.h"
#include "core/clock.h"
#include "domain/users.h"
#include "api/validate.h"

enum { F_EMAIL, F_PASSWORD, F_NAME };

static const struct field_spec register_fields[] = {
	[F_EMAIL] = { "email", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 3, 254 },
	[F_PASSWORD] = { "password", FT_STRING, FF_REQUIRED, 8, 128 },
	[F_NAME] = { "display_name", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 100 },
};

static const struct field_spec login_fields[] = {
	[F_EMAIL] = { "email", FT_STRING, FF_REQUIRED | FF_NO_CONTROL, 3, 254 },
	[F_PASSWORD] = { "password", FT_STRING, FF_REQUIRED, 1, 128 },
};

static const struct field_spec apikey_fields[] = {
	{ "name", FT_STRING, FF_REQUIRED | FF_NOT_BLANK | FF_NO_CONTROL, 1, 100 },
};

static void
write_account(struct jsonw *w, const struct account *a)
{
	jw_obj_open(w);
	jw_kstr(w, "id", a->id);
	jw_kstr(w, "email", a->email);
	jw_kstr(w, "display_name", a->display_name);
	jw_kstr(w, "role", a->role);
	jw_kstr(w, "created_at", a->created_at);
	jw_obj_close(w);
}

enum err
api_register(struct request *rq, struct response *rs)
{
	struct field_value v[3];
	const char *email, *name;
	struct account a;
	struct jsonw *w;
	enum err e;

	if (!rq->ctx.app->cfg->registration)
		return ERR_REGISTRATION_CLOSED;
	if ((e = validate_body(rq, register_fields, 3, v)) != ERR_OK)
		return e;
	if ((email = accounts_normalise_email(rq->ctx.arena, v[F_EMAIL].s, v[F_EMAIL].len)) == NULL)
		return request_field_error(rq, "email", "must be a valid email address");
	if ((name = arena_strndup(rq->ctx.arena, v[F_NAME].s, v[F_NAME].len)) == NULL)
		return ERR_NOMEM;
	if ((e = accounts_register(&rq->ctx, email, v[F_PASSWORD].s, v[F_PASSWORD].len, name, &a)) != ERR_OK)
		return e;
	w = resp_data(rs, 201, "Account created");
	jw_obj_open(w);
	jw_key(w, "user");
	write_account(w, &a);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_login(struct request *rq, struct response *rs)
{
	struct field_value v[2];
	struct account a;
	char *token = NULL;
	int64_t ttl = 0;
	struct jsonw *w;
	enum err e;

	if ((e = validate_body(rq, login_fields, 2, v)) != ERR_OK)
		return e;
	e = accounts_login(&rq->ctx, v[F_EMAIL].s, v[F_EMAIL].len, v[F_PASSWORD].s, v[F_PASSWORD].len,
	    &a, &token, &ttl);
	if (e == ERR_OK) {
		w = resp_data(rs, 200, "Logged in");
		jw_obj_open(w);
		jw_kstr(w, "access_token", token);
		jw_kstr(w, "token_type", "Bearer");
		jw_kint(w, "expires_in", ttl);
		jw_key(w, "user");
		write_account(w, &a);
		jw_obj_close(w);
	}
	free(token);
	return e;
}

/* The account as /me and the admin routes show it. */
void
account_write_user(struct jsonw *w, const struct user *u, const char *role)
{
	jw_kstr(w, "id", u->id);
	jw_kstr(w, "kind", u->kind);
	jw_kstr(w, "email", u->email);
	jw_kbool(w, "email_verified", u->email_verified);
	jw_kstr(w, "display_name", u->display_name);
	jw_kstr(w, "role", role != NULL ? role : u->role);
	jw_kstr(w, "time_zone", u->time_zone != NULL ? u->time_zone : "UTC");
	jw_kstr(w, "language", u->language != NULL ? u->language : "en");
	jw_kstr(w, "created_at", u->created_at);
	jw_kbool(w, "local_account", u->local_account);
}

static enum err
render_me(struct request *rq, struct response *rs, const struct user *u, const char *message)
{
	struct jsonw *w = resp_data(rs, 200, message);

	jw_obj_open(w);
	/* the role this request acts with: meetd's own tokens may carry admin */
	account_write_user(w, u, rq->ctx.who.role);
	jw_kstr(w, "auth", rq->ctx.who.kind == PRINCIPAL_API_KEY ? "api_key" : "jwt");
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_me(struct request *rq, struct response *rs)
{
	struct user u;
	enum err e;

	if ((e = users_me(&rq->ctx, &u)) != ERR_OK)
		return e;
	return render_me(rq, rs, &u, "Current user");
}

enum { P_NAME, P_ZONE, P_LANGUAGE, NP };

static const struct field_spec profile_fields[NP] = {
	[P_NAME] = { "display_name", FT_STRING, FF_NOT_BLANK | FF_NO_CONTROL, 1, USER_NAME_MAX },
	[P_ZONE] = { "time_zone", FT_STRING, FF_NO_CONTROL, 1, 64 },
	[P_LANGUAGE] = { "language", FT_STRING, FF_NO_CONTROL, 2, 2 },
};

enum err
api_me_update(struct request *rq, struct response *rs)
{
	struct field_value v[NP];
	struct profile_change c = { 0 };
	const char *bad = NULL;
	struct user u;
	enum err e;

	if ((e = validate_body(rq, profile_fields, NP, v)) != ERR_OK)
		return e;
	/* null puts a time zone or language back to its default */
	c.set_name = v[P_NAME].present;
	c.display_name = validate_dup(rq, &v[P_NAME]);
	c.set_zone = json_object_get(rq->json, "time_zone") != NULL;
	c.time_zone = validate_dup(rq, &v[P_ZONE]);
	c.set_language = json_object_get(rq->json, "language") != NULL;
	c.language = validate_dup(rq, &v[P_LANGUAGE]);
	e = users_update_profile(rq->ctx.app->db, rq->ctx.arena, rq->ctx.who.subject, &c, &u, &bad);
	if (e == ERR_VALIDATION_FAILED)
		return request_field_error(rq, bad, strcmp(bad, "language") == 0 ?
		    "must be en or fr" : "must be an IANA time zone such as Europe/Paris");
	if (e != ERR_OK)
		return e == ERR_USER_NOT_FOUND ? ERR_DB_UNAVAILABLE : e;
	return render_me(rq, rs, &u, "Profile updated");
}

enum err
api_me_sign_out(struct request *rq, struct response *rs)
{
	int64_t now = (int64_t)time(NULL);
	char at[CLOCK_ISO_LEN];
	struct jsonw *w;
	enum err e;

	if ((e = users_sign_out_everywhere(rq->ctx.app->db, rq->ctx.arena, rq->ctx.who.subject, now)) != ERR_OK)
		return e == ERR_USER_NOT_FOUND ? ERR_DB_UNAVAILABLE : e;
	clock_iso8601(now, at);
	w = resp_data(rs, 200, "Signed out everywhere: every token issued until now is refused");
	jw_obj_open(w);
	jw_kstr(w, "signed_out_at", at);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_apikey_create(struct request *rq, struct response *rs)
{
	struct field_value v[1];
	struct api_key_view k;
	const char *name;
	struct jsonw *w;
	enum err e;

	if ((e = validate_body(rq, apikey_fields, 1, v)) != ERR_OK)
		return e;
	if ((name = arena_strndup(rq->ctx.arena, v[0].s, v[0].len)) == NULL)
		return ERR_NOMEM;
	if ((e = accounts_key_create(&rq->ctx, name, &k)) != ERR_OK)
		return e;
	w = resp_data(rs, 201, "API key created; store it now, it is not shown again");
	jw_obj_open(w);
	jw_kstr(w, "id", k.id);
	jw_kstr(w, "name", k.name);
	jw_kstr(w, "prefix", k.prefix);
	jw_kstr(w, "key", k.key);
	jw_kstr(w, "created_at", k.created_at);
	jw_obj_close(w);
	return ERR_OK;
}

enum err
api_apikey_list(struct request *rq, struct response *rs)
{
	struct api_key_view *list;
	struct jsonw *w;
	size_t i, n;
	enum err e;

	if ((e = accounts_key_list(&rq->ctx, &list, &n)) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "API keys");
	jw_arr_open(w);
	for (i = 0; i < n; i++) {
		jw_obj_open(w);
		jw_kstr(w, "id", list[i].id);
		jw_kstr(w, "prefix", list[i].prefix);
		jw_kstr(w, "name", list[i].name);
		jw_kstr(w, "created_at", list[i].created_at);
		jw_kstr(w, "last_used_at", list[i].last_used_at);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	return ERR_OK;
}

enum err
api_apikey_delete(struct request *rq, struct response *rs)
{
	struct jsonw *w;
	enum err e;

	if ((e = accounts_key_revoke(&rq->ctx, rq->params[0])) != ERR_OK)
		return e;
	w = resp_data(rs, 200, "API key revoked");
	jw_obj_open(w);
	jw_kstr(w, "id", rq->params[0]);
	jw_kbool(w, "revoked", true);
	jw_obj_close(w);
	return ERR_OK;
}
