/*
 * realtime_access.c — who may listen to a meeting (see realtime.h).
 *
 * Browsers cannot set headers on a WebSocket or an EventSource, so a client
 * first asks for a ticket with its token; the ticket is 256 random bits,
 * kept only as its SHA-256, valid once and for at most a minute, for one
 * user and one meeting. Spending it is the one statement that reads it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/crypto.h"
#include "config/config.h"
#include "core/app.h"
#include "core/b64.h"
#include "core/clock.h"
#include "core/rand.h"
#include "domain/meeting.h"
#include "domain/policy.h"
#include "domain/realtime.h"
#include "store/db.h"

#define TICKET_BYTES 32
#define TICKET_LEN 43           /* base64url of 32 bytes, unpadded */

/* Who may listen to a meeting, and to what: a member to everything; someone
 * the waiting room holds (an outsider's knock, a guest not admitted yet)
 * to their own channel alone, where the decision arrives; someone removed
 * or blocked, and strangers, to nothing. */
enum err
realtime_access(struct ctx *c, const char *meeting_id, struct meeting *m, bool *own_only)
{
	const char *status;
	enum err e;

	*own_only = false;
	if ((e = meeting_load_any(c, c->app->db, meeting_id, false, m)) != ERR_OK ||
	    (e = policy_exclusion(c, c->app->db, m, &status)) != ERR_OK)
		return e;
	if (m->my_role == ROLE_NONE) {
		if (status == NULL || strcmp(status, "admitted") == 0)
			return ERR_MEETING_NOT_FOUND;
		*own_only = true;
		return ERR_OK;
	}
	*own_only = policy_must_wait(m) && (status == NULL || strcmp(status, "admitted") != 0);
	return ERR_OK;
}

static enum err
still_open(const struct meeting *m)
{
	if (m->status == MS_ENDED)
		return ERR_MEETING_ENDED;
	if (m->status == MS_CANCELLED)
		return ERR_MEETING_CANCELLED;
	return ERR_OK;
}

enum err
realtime_ticket(struct ctx *c, const char *meeting_id, struct rt_ticket *out)
{
	unsigned char raw[TICKET_BYTES], hash[SHA256_LEN];
	char ticket[TICKET_LEN + 1], expires[CLOCK_ISO_LEN];
	int64_t ttl = c->app->cfg->realtime_ticket_ttl;
	struct db_val p[4];
	struct meeting m;
	bool own_only;
	enum err e;

	if ((e = realtime_access(c, meeting_id, &m, &own_only)) != ERR_OK ||
	    (e = still_open(&m)) != ERR_OK)
		return e;
	if (!rand_bytes(raw, sizeof(raw)))
		return ERR_INTERNAL;
	b64url_encode(raw, sizeof(raw), ticket);
	ticket[TICKET_LEN] = '\0';
	crypto_sha256(ticket, TICKET_LEN, hash);
	crypto_wipe(raw, sizeof(raw));
	p[0] = DB_BLOB(hash, sizeof(hash));
	p[1] = DB_STR(c->who.subject);
	p[2] = DB_STR(m.id);
	p[3] = DB_I64(ttl);
	if ((e = db_exec(c->app->db, STMT_RT_TICKET_INSERT, p, 4, NULL, NULL, 0, NULL)) != ERR_OK)
		return e;
	clock_iso8601((int64_t)time(NULL) + ttl, expires);
	out->ticket = arena_strdup(c->arena, ticket);
	out->expires_at = arena_strdup(c->arena, expires);
	out->expires_in = ttl;
	crypto_wipe(ticket, sizeof(ticket));
	return out->ticket != NULL && out->expires_at != NULL ? ERR_OK : ERR_NOMEM;
}

/* Spends `ticket`; on success the caller is its user. */
static enum err
spend_ticket(struct ctx *c, const char *meeting_id, const char *ticket)
{
	unsigned char hash[SHA256_LEN];
	struct db_val p[1];
	struct db_rows rows;
	size_t i;
	enum err e;

	for (i = 0; ticket[i] != '\0'; i++)
		if (!((ticket[i] >= 'A' && ticket[i] <= 'Z') || (ticket[i] >= 'a' && ticket[i] <= 'z') ||
		    (ticket[i] >= '0' && ticket[i] <= '9') || ticket[i] == '-' || ticket[i] == '_'))
			return ERR_INVALID_TICKET;
	if (i != TICKET_LEN)
		return ERR_INVALID_TICKET;
	crypto_sha256(ticket, TICKET_LEN, hash);
	p[0] = DB_BLOB(hash, sizeof(hash));
	if ((e = db_exec(c->app->db, STMT_RT_TICKET_TAKE, p, 1, c->arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	/* unknown, spent, expired, or another meeting's: the same answer */
	if (rows.nrows != 1 || strcmp(db_cell(&rows, 0, 2), "1") != 0 ||
	    strcmp(db_cell(&rows, 0, 1), meeting_id) != 0)
		return ERR_INVALID_TICKET;
	c->who.kind = PRINCIPAL_JWT;
	c->who.subject = db_cell(&rows, 0, 0);
	return ERR_OK;
}

enum err
realtime_open(struct ctx *c, const char *meeting_id, const char *ticket, struct rt_grant *out)
{
	struct meeting m;
	bool own_only;
	size_t n;
	char *uri;
	enum err e;

	if (meeting_id == NULL || !ulid_valid(meeting_id))
		return ERR_MEETING_NOT_FOUND;
	if (ticket != NULL && (e = spend_ticket(c, meeting_id, ticket)) != ERR_OK)
		return e;
	if ((e = realtime_access(c, meeting_id, &m, &own_only)) != ERR_OK ||
	    (e = still_open(&m)) != ERR_OK)
		return e;
	/* someone waiting hears their own channel only (nginx/meetd-realtime.conf) */
	n = sizeof("/internal/sub-own//") + 2 * ULID_LEN;
	if ((uri = arena_alloc(c->arena, n)) == NULL)
		return ERR_NOMEM;
	snprintf(uri, n, "/internal/%s/%s/%s", own_only ? "sub-own" : "sub", m.id, c->who.subject);
	out->redirect = uri;
	return ERR_OK;
}
