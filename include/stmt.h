/*
 * stmt.h — every SQL statement meetd runs, by name. The text lives in one
 * table (stmt.c) and is prepared when a responder connects, so a statement
 * that does not match the schema fails at start-up, not at 3 a.m.
 */
#ifndef MEETD_STMT_H
#define MEETD_STMT_H

#include <stdbool.h>

enum stmt_id {
	STMT_PING,
	STMT_MIGRATION_COUNT,
	STMT_USER_INSERT,
	STMT_USER_BY_EMAIL,
	STMT_USER_BY_ID,
	STMT_APIKEY_INSERT,
	STMT_APIKEY_BY_PREFIX,
	STMT_APIKEY_TOUCH,
	STMT_APIKEY_LIST,
	STMT_APIKEY_REVOKE,
	STMT__MAX
};

struct stmt_def {
	const char *sql;
	bool retry_safe;        /* may be re-sent after a lost connection */
};

extern const struct stmt_def stmt_defs[STMT__MAX];

#endif
