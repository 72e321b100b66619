/*
 * provider_delete.c — the job that deletes a remote meeting meetd could
 * not record (remote_compensate queued it): {"platform", "meeting_id",
 * "remote_id", optional "account"}. An already gone meeting is success;
 * the provisioning row then says deleted.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "store/db.h"
#include "jobs/jobs.h"
#include "core/log.h"
#include "platforms/provider.h"

static const char *
text(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

static enum err
run(struct ctx *c, struct job *j)
{
	const char *platform = text(j->payload, "platform"), *meeting_id = text(j->payload, "meeting_id");
	const char *remote_id = text(j->payload, "remote_id");
	struct provider_ctx pc = { .ctx = c, .acting_user = text(j->payload, "account") };
	const struct provider *p = platform != NULL ? provider_find(platform) : NULL;
	struct db_val v[4];
	enum err e;

	if (p == NULL || meeting_id == NULL || remote_id == NULL || !p->remote || p->cancel == NULL) {
		j->permanent = true;
		return ctx_fail(c, ERR_NOT_SUPPORTED, "not a remote meeting this platform can delete");
	}
	/* a platform whose keys were removed may get them back: retry */
	if ((e = provider_ready(p, c->app->cfg)) != ERR_OK || (e = p->cancel(&pc, remote_id)) != ERR_OK)
		return e;
	log_msg(LOG_INFO, "job", "deleted the orphaned %s meeting of %s", platform, meeting_id);
	v[0] = DB_STR("deleted");
	v[1] = DB_STR(remote_id);
	v[2] = DB_NULL;
	v[3] = DB_STR(meeting_id);
	return db_exec(c->app->db, STMT_PROVISION_STATE, v, 4, c->arena, NULL, 0, NULL);
}

const struct job_kind job_provider_delete = { "provider.delete", run };
