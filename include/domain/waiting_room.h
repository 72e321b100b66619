/*
 * waiting_room.h — people who wait for a host: knocks kept in order (also
 * those made before any host arrived), listed to hosts, admitted or denied
 * one, several or all at once; each decision reaches the person on their
 * own real-time channel, and each knock reaches the hosts on theirs.
 */
#ifndef MEETD_WAITING_ROOM_H
#define MEETD_WAITING_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/error.h"
#include "domain/meeting.h"

struct db;

#define WAITING_MAX_BATCH 1000

/* Inside the join's transaction: the caller knocks on m (kept in its place
 * if already waiting). *position: 1 for the first in the queue. */
enum err waiting_knock(struct ctx *c, struct db *db, const struct meeting *m, int64_t *position);

struct waiting_person {
	const char *user_id, *display_name, *knocked_at;
};
/* The queue, oldest knock first, for a host. */
enum err waiting_list(struct ctx *c, const char *meeting_id, struct waiting_person **out, size_t *n);

/* Admits (or denies) the people listed, or everyone waiting when all is
 * set, for a host; *decided: how many were waiting and now are not. */
enum err waiting_decide(struct ctx *c, const char *meeting_id, const char *const *users, size_t n,
    bool all, bool admit, size_t *decided);

#endif
