/*
 * journal.c — audit rows and outbox events (see journal.h).
 */
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "store/db.h"
#include "core/jsonw.h"
#include "domain/journal.h"
#include "domain/realtime.h"

enum err
journal_record(struct ctx *c, struct db *db, const char *meeting_id,
    const char *action, const char *details, const char *event_type, const char *data)
{
	const char *actor = c->who.subject != NULL ? c->who.subject : "";
	struct db_val p[6];
	char ts[CLOCK_ISO_LEN];
	struct jsonw w;
	struct buf payload;
	enum err e;

	p[0] = DB_STR(meeting_id);
	p[1] = DB_STR(actor);
	p[2] = DB_STR(action);
	p[3] = DB_STR(c->client_addr);
	p[4] = DB_STR(c->request_id);
	p[5] = DB_STR(details);
	if ((e = db_exec(db, STMT_AUDIT_INSERT, p, 6, NULL, NULL, 0, NULL)) != ERR_OK || event_type == NULL)
		return e;

	/* 001's webhook shape, so the worker can deliver it as it is */
	buf_init(&payload, 64 * 1024);
	jw_init(&w, &payload);
	clock_iso8601((int64_t)time(NULL), ts);
	jw_obj_open(&w);
	jw_kstr(&w, "event", event_type);
	jw_kstr(&w, "meeting_id", meeting_id);
	jw_key(&w, "data");
	if (data != NULL)
		jw_raw(&w, data, strlen(data));
	else {
		jw_obj_open(&w);
		jw_obj_close(&w);
	}
	jw_kstr(&w, "timestamp", ts);
	jw_obj_close(&w);
	if (payload.failed) {
		buf_free(&payload);
		return ERR_NOMEM;
	}
	e = events_append(c, db, meeting_id, NULL, event_type, data, buf_cstr(&payload));
	buf_free(&payload);
	return e;
}
