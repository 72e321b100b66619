/*
 * remote.h — the meeting core's side of the platform proxy: provisioning
 * before a remote create, recording what the platform gave, compensating
 * when our own write fails, and carrying updates, cancels, ends and status
 * reads to the platform (design §7). Remote calls never run inside a
 * database transaction: no row lock is held while a platform thinks.
 */
#ifndef MEETD_REMOTE_H
#define MEETD_REMOTE_H

#include "store/db.h"
#include "domain/meeting.h"
#include "platforms/provider.h"

#define REMOTE_STATUS_TTL_S 300         /* 000: platform statuses cached 5 minutes */

/* Fills the fields of a spec that come from the organizer's account. */
enum err remote_spec_organizer(struct ctx *c, struct remote_spec *s);

/* Where a remote meeting is made: its platform and whose account holds it
 * (a user id for a connected account of 002, NULL for the server's). */
struct remote_target {
	const struct provider *provider;
	const char *account;
};

/* Commits a provisioning row keyed by s->meeting_id, then calls the
 * provider's create. On failure the row records why (state failed). */
enum err remote_provision(struct ctx *c, const struct remote_target *t, const struct remote_spec *s,
    struct remote_meeting *out);
/* Inside the create transaction: stores the platform's ids and links
 * (secrets sealed) and the account, and marks the provisioning row created. */
enum err remote_record(struct ctx *c, struct db *db, const struct remote_target *t,
    const char *meeting_id, const struct remote_meeting *rm);
/* Our write failed after the platform created the meeting: delete it
 * there, or mark the row orphaned and queue a provider.delete job. */
void remote_compensate(struct ctx *c, const struct remote_target *t, const char *meeting_id,
    const struct remote_meeting *rm);

/* Before a local update/cancel/end of meeting m: the platform first. */
enum err remote_update(struct ctx *c, const struct meeting *m, const struct remote_spec *s);
enum err remote_cancel(struct ctx *c, const struct meeting *m);
enum err remote_end(struct ctx *c, const struct meeting *m);
/* Refreshes m->remote_status from the platform when older than the TTL
 * (or always with force); a platform without status keeps meetd's. */
enum err remote_refresh_status(struct ctx *c, struct meeting *m, bool force);

#endif
