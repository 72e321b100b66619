/*
 * rekey.h — `meetd rekey`: re-seals every box at rest (meeting secrets,
 * platform tokens, stored idempotent answers) under the current data key,
 * opening each with whichever key of secrets.key_file +
 * secrets.previous_key_files sealed it. Safe to run while meetd serves:
 * each row is rewritten with a compare-and-set, and a box changed meanwhile
 * is already under the current key (responders seal with it).
 */
#ifndef MEETD_REKEY_H
#define MEETD_REKEY_H

#include <stdint.h>

#include "config/config.h"
#include "core/error.h"

struct rekey_counts {
	int64_t resealed;       /* boxes moved to the current key */
	int64_t current;        /* boxes already under it */
	int64_t unreadable;     /* boxes no configured key opens */
};

/* ERR_OK if every box is now under the current key. */
enum err rekey_run(const struct config *cfg, struct rekey_counts *out);

#endif
