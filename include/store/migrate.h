/*
 * migrate.h — schema migrations. schema/NNN_name.sql files are embedded in
 * the binary at build time; `meetd migrate` applies the missing ones in
 * order and records each with its SHA-256 in schema_migrations. Running it
 * again is a no-op; a recorded migration whose text has changed is refused.
 */
#ifndef MEETD_MIGRATE_H
#define MEETD_MIGRATE_H

#include <stddef.h>

#include "config/config.h"
#include "core/error.h"

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const size_t migrations_count;

/* Applies pending migrations; logs each step. */
enum err migrate_run(const struct config *cfg);
/* Highest embedded version (what /ready expects). */
int migrate_latest_version(void);

#endif
