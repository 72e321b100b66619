/*
 * journal.h — what a meeting write leaves behind, in the same transaction
 * as the write itself: an audit row (who, what, when, from where, under
 * which request) and, for state changes, an outbox event for the worker
 * and the real-time layer to deliver later. If the write rolls back, so do
 * both; if it commits, neither can be lost.
 */
#ifndef MEETD_JOURNAL_H
#define MEETD_JOURNAL_H

#include "core/error.h"
#include "core/context.h"

struct db;

/* Records `action` on meeting_id by the caller. `details` is a JSON object
 * text (or NULL) for the audit row, never holding a secret. If event_type is
 * not NULL an outbox event {"event","meeting_id","data","timestamp"} is
 * written too, with `data` (JSON object text, NULL for {}). */
enum err journal_record(struct ctx *c, struct db *db, const char *meeting_id,
    const char *action, const char *details, const char *event_type, const char *data);

#endif
