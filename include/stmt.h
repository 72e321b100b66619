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
	/* limiter.c */
	STMT_LIMIT_TAKE,
	STMT_LIMIT_PURGE,
	STMT_ATTEMPT_TAKE,
	STMT_ATTEMPT_REFUND,
	STMT_ATTEMPT_PURGE,
	/* idempotency.c */
	STMT_IDEM_CLAIM,
	STMT_IDEM_GET,
	STMT_IDEM_TAKEOVER,
	STMT_IDEM_FINISH,
	STMT_IDEM_ABANDON,
	STMT_IDEM_PURGE,
	/* journal.c */
	STMT_AUDIT_INSERT,
	STMT_AUDIT_LIST,
	STMT_OUTBOX_INSERT,
	/* meetings */
	STMT_MEETING_INSERT,
	STMT_MEETING_GET,
	STMT_MEETING_GET_LOCKED,
	STMT_MEETING_LIST,
	STMT_MEETING_BY_CODE,
	STMT_MEETING_BY_INVITE,
	STMT_MEETING_UPDATE,
	STMT_MEETING_START,
	STMT_MEETING_END,
	STMT_MEETING_CANCEL,
	STMT_MEETING_SET_PASSCODE,
	STMT_MEETING_SET_INVITE,
	STMT_MEMBER_SET,
	STMT_MEMBER_ADD_GUEST,
	STMT_MEMBER_DELETE,
	STMT_MEMBER_ROLE,
	STMT_MEMBERS_RESCHEDULE,
	STMT_PART_OPEN_GET,
	STMT_PART_INSERT,
	STMT_PART_COUNT_OPEN,
	STMT_PART_LEAVE,
	STMT_PART_CLOSE_ALL,
	STMT_PART_LIST,
	STMT_PART_STATS,
	/* providers: oauth_cache.c */
	STMT_TOKEN_GET,
	STMT_TOKEN_PUT,
	STMT_TOKEN_EXPIRE,
	STMT_TOKEN_DELETE,
	STMT_LOCK_GET,
	STMT_LOCK_RELEASE,
	/* providers: provisioning (meetings.c) */
	STMT_PROVISION_BEGIN,
	STMT_PROVISION_STATE,
	STMT_MEETING_SET_REMOTE,
	STMT_MEETING_REMOTE_STATUS,
	STMT_JOB_INSERT,
	/* zoom (provider, faces 000/002, webhooks) */
	/* google */
	/* teams and webex */
	/* webhooks (003) and room tokens */
	/* key rotation */
	STMT__MAX
};

struct stmt_def {
	const char *sql;
	bool retry_safe;        /* may be re-sent after a lost connection */
};

extern const struct stmt_def stmt_defs[STMT__MAX];

#endif
