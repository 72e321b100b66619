/*
 * remote.c — see remote.h.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "domain/credentials.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "domain/remote.h"
#include "auth/secretbox.h"

/* The platform that holds m in *p, and whether it is usable now; *p NULL
 * (and ERR_OK) when meetd's own record is all there is (a native room). */
static enum err
remote_provider(struct ctx *c, const struct meeting *m, const struct provider **p)
{
	if ((*p = provider_find(m->platform)) == NULL)
		return ERR_INTERNAL;
	if (!(*p)->remote) {
		*p = NULL;
		return ERR_OK;
	}
	return provider_ready(*p, c->app->cfg);
}

enum err
remote_spec_organizer(struct ctx *c, struct remote_spec *s)
{
	struct db_val p = DB_STR(c->who.subject);
	struct db_rows rows;
	enum err e;

	if ((e = db_exec(c->app->db, STMT_USER_BY_ID, &p, 1, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows == 1) {
		s->organizer_email = db_cell(&rows, 0, 1);
		s->organizer_name = db_cell(&rows, 0, 2);
	}
	return ERR_OK;
}

static void
provision_state(struct ctx *c, const char *meeting_id, const char *state, const char *remote_id,
    enum err why)
{
	const char *reason = why != ERR_OK ? err_name(why) : NULL;
	struct db_val p[4];

	p[0] = DB_STR(state);
	p[1] = DB_STR(remote_id);
	p[2] = DB_STR(reason);
	p[3] = DB_STR(meeting_id);
	if (db_exec(c->app->db, STMT_PROVISION_STATE, p, 4, c->arena, NULL, 0, NULL) != ERR_OK)
		log_msg(LOG_WARN, "provision", "could not mark %s %s", meeting_id, state);
}

enum err
remote_provision(struct ctx *c, const struct remote_target *t, const struct remote_spec *s,
    struct remote_meeting *out)
{
	const struct provider *p = t->provider;
	struct provider_ctx pc = { .ctx = c, .acting_user = t->account };
	struct db_val v[3];
	enum err e;

	remote_meeting_init(out);
	if (p->create == NULL)
		return ERR_OK;          /* meetd hosts it: nothing to provision */
	if (p->remote) {
		v[0] = DB_STR(s->meeting_id);
		v[1] = DB_STR(p->name);
		v[2] = DB_STR(c->who.subject);
		if ((e = db_exec(c->app->db, STMT_PROVISION_BEGIN, v, 3, c->arena, NULL, 0, NULL)) != ERR_OK)
			return e;
	}
	e = p->create(&pc, s, out);
	/* on success the create transaction marks the row created with the
	 * remote id; until then a crash leaves it pending, and every remote
	 * platform finds the meeting again by meetd's id (event id, externalId,
	 * agenda marker), so the id need not be committed here first */
	if (p->remote && e != ERR_OK)
		provision_state(c, s->meeting_id, "failed", out->remote_id, e);
	return e;
}

/* Seals a secret of any length under meetings.<what>:<id>. */
static enum err
seal_any(struct ctx *c, const char *meeting_id, const char *what, const char *plain,
    struct db_val *out)
{
	size_t n, len;
	unsigned char *box;
	const char *ad;
	enum err e;

	*out = DB_NULL;
	if (plain == NULL)
		return ERR_OK;
	if (c->app->box == NULL)
		return ctx_fail(c, ERR_NOT_CONFIGURED,
		    "Meetings need a data key for secrets at rest: set secrets.key_file");
	n = strlen(plain);
	if ((ad = arena_printf(c->arena, "meetings.%s:%s", what, meeting_id)) == NULL ||
	    (box = arena_alloc(c->arena, n + SECRETBOX_OVERHEAD)) == NULL)
		return ERR_NOMEM;
	if ((e = secretbox_seal(c->app->box, ad, plain, n, box, n + SECRETBOX_OVERHEAD, &len)) != ERR_OK)
		return e;
	*out = DB_BLOB(box, len);
	return ERR_OK;
}

enum err
remote_record(struct ctx *c, struct db *db, const struct remote_target *t, const char *meeting_id,
    const struct remote_meeting *rm)
{
	struct db_val p[9], s[4];
	enum err e;

	p[0] = DB_STR(rm->remote_id);
	p[1] = DB_STR(rm->remote_uuid);
	p[2] = DB_STR(t->account);
	if ((e = seal_any(c, meeting_id, "host_url", rm->host_url, &p[3])) != ERR_OK)
		return e;
	p[4] = DB_STR(rm->dial_in_number);
	if ((e = seal_any(c, meeting_id, "dial_in_password", rm->dial_in_password, &p[5])) != ERR_OK ||
	    (e = seal_any(c, meeting_id, "host_key", rm->host_key, &p[6])) != ERR_OK)
		return e;
	p[7] = DB_STR(rm->status);
	p[8] = DB_STR(meeting_id);
	if ((e = db_exec(db, STMT_MEETING_SET_REMOTE, p, 9, c->arena, NULL, 0, NULL)) != ERR_OK)
		return e;
	s[0] = DB_STR("created");
	s[1] = DB_STR(rm->remote_id);
	s[2] = DB_NULL;
	s[3] = DB_STR(meeting_id);
	return db_exec(db, STMT_PROVISION_STATE, s, 4, c->arena, NULL, 0, NULL);
}

void
remote_compensate(struct ctx *c, const struct remote_target *t, const char *meeting_id,
    const struct remote_meeting *rm)
{
	const struct provider *p = t->provider;
	struct provider_ctx pc = { .ctx = c, .acting_user = t->account };
	struct db_val v[3];
	struct jsonw w;
	struct buf b;
	char *payload;
	enum err e;

	if (!p->remote || rm->remote_id == NULL)
		return;
	e = p->cancel != NULL ? p->cancel(&pc, rm->remote_id) : ERR_NOT_SUPPORTED;
	if (e == ERR_OK) {
		provision_state(c, meeting_id, "deleted", rm->remote_id, ERR_OK);
		log_msg(LOG_WARN, "provision", "deleted remote %s meeting of %s after a failed write",
		    p->name, meeting_id);
		return;
	}
	provision_state(c, meeting_id, "orphaned", rm->remote_id, e);
	buf_init(&b, 256);
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_kstr(&w, "platform", p->name);
	jw_kstr(&w, "meeting_id", meeting_id);
	jw_kstr(&w, "remote_id", rm->remote_id);
	if (t->account != NULL)
		jw_kstr(&w, "account", t->account);
	jw_obj_close(&w);
	payload = b.failed ? NULL : arena_strdup(c->arena, buf_cstr(&b));
	buf_free(&b);
	v[0] = DB_STR("provider.delete");
	v[1] = DB_STR(payload);
	v[2] = DB_I64(60);
	if (payload == NULL || db_exec(c->app->db, STMT_JOB_INSERT, v, 3, c->arena, NULL, 0, NULL) != ERR_OK)
		log_msg(LOG_ERROR, "provision", "orphaned %s meeting of %s: no job queued", p->name, meeting_id);
	else
		log_msg(LOG_WARN, "provision", "orphaned %s meeting of %s: delete queued", p->name, meeting_id);
}

enum err
remote_update(struct ctx *c, const struct meeting *m, const struct remote_spec *s)
{
	struct provider_ctx pc = { .ctx = c, .acting_user = m->remote_account };
	struct remote_meeting out;
	const struct provider *p;
	enum err e;

	if ((e = remote_provider(c, m, &p)) != ERR_OK || p == NULL)
		return e;
	if (p->update == NULL)
		return (p->caps & CAP_UPDATE) ? ERR_OK : ctx_fail(c, ERR_NOT_SUPPORTED,
		    "This platform cannot change a meeting once created");
	remote_meeting_init(&out);
	return p->update(&pc, m->platform_meeting_id, s, &out);
}

enum err
remote_cancel(struct ctx *c, const struct meeting *m)
{
	struct provider_ctx pc = { .ctx = c, .acting_user = m->remote_account };
	const struct provider *p;
	enum err e;

	if ((e = remote_provider(c, m, &p)) != ERR_OK || p == NULL)
		return e;
	if (p->cancel == NULL)
		return (p->caps & CAP_DELETE) ? ERR_OK : ctx_fail(c, ERR_NOT_SUPPORTED,
		    "This platform cannot cancel a meeting");
	return p->cancel(&pc, m->platform_meeting_id);
}

enum err
remote_end(struct ctx *c, const struct meeting *m)
{
	struct provider_ctx pc = { .ctx = c, .acting_user = m->remote_account };
	const struct provider *p;
	enum err e;

	if ((e = remote_provider(c, m, &p)) != ERR_OK || p == NULL)
		return e;
	if (p->end == NULL)
		return ERR_OK;          /* meetd's record ends; the platform ends when people leave */
	return p->end(&pc, m->platform_meeting_id);
}

enum err
remote_refresh_status(struct ctx *c, struct meeting *m, bool force)
{
	struct provider_ctx pc = { .ctx = c, .acting_user = m->remote_account };
	struct remote_meeting out;
	const struct provider *p;
	struct db_val v[2];
	enum err e;

	e = remote_provider(c, m, &p);
	if (p == NULL || p->status == NULL || m->platform_meeting_id == NULL)
		return ERR_OK;  /* no platform status to read: meetd's own is the answer */
	if (e != ERR_OK)
		return e;
	if (!force && m->remote_age_s >= 0 && m->remote_age_s < REMOTE_STATUS_TTL_S)
		return ERR_OK;
	remote_meeting_init(&out);
	if ((e = p->status(&pc, m->platform_meeting_id, &out)) != ERR_OK)
		return e;
	m->remote_status = out.status;
	m->remote_age_s = 0;
	v[0] = DB_STR(out.status);
	v[1] = DB_STR(m->id);
	return db_exec(c->app->db, STMT_MEETING_REMOTE_STATUS, v, 2, c->arena, NULL, 0, NULL);
}
