/*
 * service.c — readiness and the platform catalogue; see service.h.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "core/parse.h"
#include "domain/service.h"
#include "platforms/provider.h"
#include "store/db.h"
#include "store/migrate.h"

void
service_readiness(struct ctx *c, struct readiness *out)
{
	int64_t want = migrate_latest_version();
	struct db_rows rows;
	enum err e;

	memset(out, 0, sizeof(*out));
	out->ready = true;
	out->database = out->schema = "ok";
	e = db_exec(c->app->db, STMT_MIGRATION_COUNT, NULL, 0, c->arena, &rows, 1, NULL);
	if (e == ERR_DB_SCHEMA) {
		/* a statement of this binary does not prepare: the schema is behind */
		out->schema = "outdated";
		out->ready = false;
	} else if (e != ERR_OK) {
		out->database = "unavailable";
		out->schema = "unknown";
		out->ready = false;
	} else if (rows.nrows != 1 || db_cell(&rows, 0, 1) == NULL ||
	    parse_i64z(db_cell(&rows, 0, 1), 0, INT32_MAX, &out->schema_version) != ERR_OK ||
	    out->schema_version != want) {
		out->schema = out->schema_version > want ? "newer_than_binary" : "outdated";
		out->ready = false;
	}
}

const char *const platform_capability_names[PCAP__MAX] = {
	"update", "delete", "end", "status", "webhooks", "passcode", "waiting_room", "dial_in",
};

static const unsigned cap_bits[PCAP__MAX] = {
	CAP_UPDATE, CAP_DELETE, CAP_END, CAP_STATUS, CAP_WEBHOOKS, CAP_PASSCODE, CAP_WAITING_ROOM,
	CAP_DIAL_IN,
};

size_t
service_platforms(struct ctx *c, struct platform_info *out, size_t max)
{
	size_t i, k;

	for (i = 0; providers[i] != NULL && i < max; i++) {
		const struct provider *p = providers[i];

		out[i].name = p->name;
		out[i].label = p->label;
		out[i].configured = provider_ready(p, c->app->cfg) == ERR_OK;
		for (k = 0; k < PCAP__MAX; k++)
			out[i].can[k] = (p->caps & cap_bits[k]) != 0;
	}
	return i;
}
