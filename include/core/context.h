/*
 * context.h — what an operation is given, whoever asks for it: the
 * process's services, the arena its results live in, the caller, and where
 * the details of a failure go. An HTTP request carries one (request.h); the
 * worker and the CLI make their own. Nothing here is HTTP: the domain and
 * the platforms take a context and never see a request.
 */
#ifndef MEETD_CONTEXT_H
#define MEETD_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

struct app;

#define ERRINFO_MAX_FIELDS 16

enum principal_kind { PRINCIPAL_NONE, PRINCIPAL_JWT, PRINCIPAL_API_KEY, PRINCIPAL_SYSTEM };

/* Who is acting. Strings are arena-owned. */
struct principal {
	enum principal_kind kind;
	const char *subject;    /* meetd's user id (ULID); NULL for nobody or the system */
	const char *token_subject; /* the JWT's own `sub`, for logs; NULL for an API key */
	const char *role;       /* "user" or "admin" */
	const char *key_id;     /* API key id, for PRINCIPAL_API_KEY */
	bool guest;             /* a guest: may act in one meeting alone */
	const char *guest_meeting_id;
	/* the account as authentication read it, when it did (a token's user
	 * lookup reads the profile in the same row; an API key's does not) */
	bool has_profile;
	const char *email, *display_name, *time_zone, *language, *created_at;
	bool email_verified, local_account;
};

/* A rate-limit decision as a caller reports it (HTTP: X-RateLimit-*). */
struct limit_info {
	bool applied;
	int64_t limit, remaining, reset_epoch_s, retry_after_s, window_s;
};

/* Why an operation failed, beyond the error code: a message and the bad
 * fields (field → reason). */
struct errinfo {
	const struct limit_info *limit; /* RATE_LIMITED: details {limit, window, reset_at} */
	const char *message;
	size_t nfields;
	const char *field[ERRINFO_MAX_FIELDS];
	const char *reason[ERRINFO_MAX_FIELDS];
	/* more details as JSON values (written by the JSON writer): a waiting
	 * room's place in the queue, say */
	size_t nextra;
	const char *extra_key[4];
	const char *extra_json[4];
};

/*
 * Records the outcome of an operation in the transaction that caused it,
 * for whoever must be able to give the same answer again (an HTTP request's
 * Idempotency-Key). `outcome` is canonical JSON. NULL hook: nothing to do.
 */
struct db;
struct outcome_hook {
	enum err (*record)(void *arg, struct db *db, int status, const char *outcome);
	void *arg;
};

/* Outbox rows an operation wrote for real-time delivery: published once it
 * has answered (domain/realtime.h); more than this are left to the worker. */
#define CTX_MAX_EVENTS 32

struct ctx {
	struct app *app;                /* borrowed: db, config, keys, HTTP client */
	struct arena *arena;            /* results of the operation live here */
	struct principal who;
	const char *client_addr;        /* for the audit; may be NULL */
	const char *request_id;         /* for the audit; may be NULL */
	struct errinfo err;
	struct limit_info limit;        /* a limiter decision to report */
	int64_t retry_after_s;          /* when refused for now: how long to wait */
	struct outcome_hook outcome;
	const char *events[CTX_MAX_EVENTS];     /* outbox ids, arena strings */
	size_t nevents;
};

/* Sets the failure message (a literal or arena string, or NULL for the
 * code's default) and returns e, for `return ctx_fail(c, e, "...")`. */
enum err ctx_fail(struct ctx *c, enum err e, const char *message);
/* Records a failing field; returns ERR_VALIDATION_FAILED. Both strings
 * must outlive the operation (literals or arena). */
enum err ctx_field_error(struct ctx *c, const char *field, const char *reason);
/* Has a failure already been recorded for `field`? */
bool ctx_field_failed(const struct ctx *c, const char *field);
/* Adds a detail whose value is JSON text (arena or literal); false if full. */
bool ctx_detail_json(struct ctx *c, const char *key, const char *json);
/* Passes an outcome to the hook, if any. */
enum err ctx_record_outcome(struct ctx *c, struct db *db, int status, const char *outcome);

#endif
