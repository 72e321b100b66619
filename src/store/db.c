/*
 * db.c — MariaDB access; the policy is described in db.h.
 *
 * We never use the connector's auto-reconnect: it refuses inside a
 * transaction and silently drops every prepared statement. Instead a lost
 * connection is closed and reopened here, and all statements are prepared
 * again before the next use. A connection that sat idle longer than
 * IDLE_PING_MS is pinged before a statement that is not safe to repeat, so
 * a server-side wait_timeout never turns a write into an unknown outcome.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "core/clock.h"
#include "store/db.h"
#include "core/log.h"
#include "core/rand.h"

#define MAX_PARAMS 24
#define MAX_COLS 48
#define CELL_INLINE 256
/* wait_timeout can be as low as 1 s: above that, a connection may already be
 * closed by the server, and a write sent on it has an unknown outcome. */
#define IDLE_PING_MS 1000
/* a deadlock or lock wait is retried 3 times (4 attempts) with jitter */
#define TX_ATTEMPTS 4
#define RETRY_AFTER_FAILURE_MS 500

struct db {
	const struct config *cfg;       /* borrowed */
	struct db_counters counters;    /* the counters themselves are borrowed */
	MYSQL *conn;
	MYSQL_STMT *stmts[STMT__MAX];
	bool connected;
	bool in_tx;
	bool conflict;                  /* 1213/1205 inside the open transaction */
	unsigned last_errno;
	int64_t last_used_ms;
};

struct db *
db_new(const struct config *cfg, const struct db_counters *counters)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db != NULL) {
		db->cfg = cfg;
		if (counters != NULL)
			db->counters = *counters;
	}
	return db;
}

static void
disconnect(struct db *db)
{
	size_t i;

	for (i = 0; i < STMT__MAX; i++) {
		if (db->stmts[i] != NULL)
			mysql_stmt_close(db->stmts[i]);
		db->stmts[i] = NULL;
	}
	if (db->conn != NULL)
		mysql_close(db->conn);
	db->conn = NULL;
	db->connected = false;
	db->in_tx = false;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	disconnect(db);
	free(db);
}

bool
db_connected(const struct db *db)
{
	return db->connected;
}

unsigned
db_last_errno(const struct db *db)
{
	return db->last_errno;
}

static void
count_error(struct db *db)
{
	if (db->counters.errors != NULL)
		__atomic_fetch_add(db->counters.errors, 1, __ATOMIC_RELAXED);
}

/* The connection itself is gone or unusable. */
static bool
is_connection_error(unsigned e)
{
	switch (e) {
	case CR_SERVER_GONE_ERROR:      /* 2006 */
	case CR_SERVER_LOST:            /* 2013 */
	case CR_CONNECTION_ERROR:       /* 2002 */
	case CR_CONN_HOST_ERROR:        /* 2003 */
	case CR_SERVER_LOST_EXTENDED:   /* 2055 */
	case CR_COMMANDS_OUT_OF_SYNC:   /* 2014: state unknown, start over */
	case ER_SERVER_SHUTDOWN:        /* 1053 */
	case ER_CONNECTION_KILLED:      /* 1927 */
	case ER_UNKNOWN_STMT_HANDLER:   /* 1243: server lost our statements */
	case 4031:                      /* disconnected for inactivity (10.x) */
		return true;
	default:
		return false;
	}
}

static enum err
classify(struct db *db, unsigned e, const char *what, const char *msg)
{
	db->last_errno = e;
	count_error(db);
	if (is_connection_error(e)) {
		log_msg(LOG_WARN, "db_connection_lost", "%s: %u %s", what, e, msg);
		disconnect(db);
		return ERR_DB_UNAVAILABLE;
	}
	if (e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT) {
		/* remembered, so that a transaction body that turned the error
		 * into another answer is still rolled back and run again */
		if (db->in_tx)
			db->conflict = true;
		return ERR_DB_RETRY;
	}
	if (e == ER_DUP_ENTRY)
		return ERR_DB_DUPLICATE;
	if (e == ER_RECORD_FILE_FULL) {
		/* the limiter's MEMORY table at MAX_ROWS: its caller decides */
		log_msg(LOG_WARN, "db_table_full", "%s: %u %s", what, e, msg);
		return ERR_DB_FULL;
	}
	log_msg(LOG_ERROR, "db_error", "%s: %u %s", what, e, msg);
	return ERR_INTERNAL;
}

/* The session's innodb_lock_wait_timeout: a write blocked on a row lock
 * fails with 1205 (and its transaction is retried) well before the
 * client's read timeout would cut the connection with the outcome unknown. */
static enum err
set_lock_wait(struct db *db)
{
	MYSQL_STMT *st = db->stmts[STMT_SESSION_LOCK_WAIT];
	long long secs = (long long)db->cfg->db_lock_wait_timeout;
	MYSQL_BIND b;

	if (secs <= 0)
		return ERR_OK;          /* not configured: the server's default */
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_LONGLONG;
	b.buffer = &secs;
	if (mysql_stmt_bind_param(st, &b) != 0 || mysql_stmt_execute(st) != 0)
		return classify(db, mysql_stmt_errno(st), "set_lock_wait", mysql_stmt_error(st));
	return ERR_OK;
}

enum err
db_connect(struct db *db)
{
	const struct config *cfg = db->cfg;
	unsigned int ct = (unsigned)cfg->db_connect_timeout, io = (unsigned)cfg->db_io_timeout;
	size_t i;

	disconnect(db);
	if ((db->conn = mysql_init(NULL)) == NULL)
		return ERR_NOMEM;
	mysql_optionsv(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_optionsv(db->conn, MYSQL_OPT_READ_TIMEOUT, &io);
	mysql_optionsv(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &io);
	mysql_optionsv(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(db->conn, MYSQL_INIT_COMMAND,
	    "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,"
	    "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
	if (mysql_real_connect(db->conn, cfg->db_socket != NULL ? NULL : cfg->db_host,
	    cfg->db_user, (const char *)cfg->db_password.data, cfg->db_name,
	    (unsigned)cfg->db_port, cfg->db_socket, 0) == NULL) {
		db->last_errno = mysql_errno(db->conn);
		count_error(db);
		log_msg(LOG_WARN, "db_connect_failed", "%u %s", mysql_errno(db->conn), mysql_error(db->conn));
		disconnect(db);
		return ERR_DB_UNAVAILABLE;
	}
	for (i = 0; i < STMT__MAX; i++) {
		MYSQL_STMT *st = mysql_stmt_init(db->conn);

		if (st == NULL) {
			disconnect(db);
			return ERR_NOMEM;
		}
		db->stmts[i] = st;
		if (mysql_stmt_prepare(st, stmt_defs[i].sql, strlen(stmt_defs[i].sql)) != 0) {
			unsigned e = mysql_stmt_errno(st);
			struct logline *l;

			db->last_errno = e;
			count_error(db);
			if (is_connection_error(e)) {
				disconnect(db);
				return ERR_DB_UNAVAILABLE;
			}
			l = log_begin(LOG_ERROR, "db_schema_mismatch");
			log_int(l, "statement", (int64_t)i);
			log_int(l, "errno", e);
			log_str(l, "error", mysql_stmt_error(st));
			log_str(l, "hint", "run `meetd migrate`");
			log_end(l);
			disconnect(db);
			return ERR_DB_SCHEMA;
		}
	}
	db->connected = true;
	db->last_used_ms = clock_mono_ms();
	if (set_lock_wait(db) != ERR_OK) {
		disconnect(db);
		return ERR_DB_UNAVAILABLE;
	}
	return ERR_OK;
}

static enum err
ensure_connected(struct db *db)
{
	return db->connected ? ERR_OK : db_connect(db);
}

enum err
db_ping(struct db *db)
{
	enum err e;

	if ((e = ensure_connected(db)) != ERR_OK)
		return e;
	if (mysql_ping(db->conn) != 0) {
		classify(db, mysql_errno(db->conn), "ping", mysql_error(db->conn));
		if ((e = db_connect(db)) != ERR_OK)
			return e;
	}
	db->last_used_ms = clock_mono_ms();
	return ERR_OK;
}

static bool
bind_params(MYSQL_BIND *b, const struct db_val *params, size_t n)
{
	size_t i;

	if (n > MAX_PARAMS)
		return false;
	memset(b, 0, sizeof(*b) * n);
	for (i = 0; i < n; i++) {
		switch (params[i].type) {
		case DBT_NULL:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DBT_STR:
		case DBT_BLOB:
			b[i].buffer_type = params[i].type == DBT_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
			b[i].buffer = (void *)params[i].s;
			b[i].buffer_length = params[i].len;
			break;
		case DBT_I64:
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = (void *)&params[i].i;
			break;
		}
	}
	return true;
}

/* Fetches the result set of an executed statement into rows (or discards it). */
static enum err
fetch_rows(struct db *db, MYSQL_STMT *st, MYSQL_RES *meta, struct arena *a,
    struct db_rows *rows, size_t max_rows)
{
	MYSQL_BIND rb[MAX_COLS];
	char inline_buf[MAX_COLS][CELL_INLINE];
	unsigned long lens[MAX_COLS];
	my_bool nulls[MAX_COLS], errs[MAX_COLS];
	size_t ncols = mysql_num_fields(meta), total, r = 0, c;
	enum err e = ERR_OK;

	if (ncols > MAX_COLS)
		return ERR_INTERNAL;
	memset(rb, 0, sizeof(rb));
	for (c = 0; c < ncols; c++) {
		rb[c].buffer_type = MYSQL_TYPE_STRING;
		rb[c].buffer = inline_buf[c];
		rb[c].buffer_length = CELL_INLINE;
		rb[c].length = &lens[c];
		rb[c].is_null = &nulls[c];
		rb[c].error = &errs[c];
	}
	if (mysql_stmt_bind_result(st, rb) != 0 || mysql_stmt_store_result(st) != 0)
		return classify(db, mysql_stmt_errno(st), "store_result", mysql_stmt_error(st));
	total = (size_t)mysql_stmt_num_rows(st);
	if (total > max_rows)
		total = max_rows;
	if (rows != NULL) {
		rows->ncols = ncols;
		rows->nrows = 0;
		rows->cells = arena_alloc(a, sizeof(char *) * (total * ncols + 1));
		rows->lens = arena_alloc(a, sizeof(size_t) * (total * ncols + 1));
		if (rows->cells == NULL || rows->lens == NULL)
			e = ERR_NOMEM;
	}
	while (e == ERR_OK) {
		int rc = mysql_stmt_fetch(st);

		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1) {
			e = classify(db, mysql_stmt_errno(st), "fetch", mysql_stmt_error(st));
			break;
		}
		if (rows == NULL || r >= total)
			continue;
		for (c = 0; c < ncols; c++) {
			size_t idx = r * ncols + c;
			char *cell = NULL;

			if (!nulls[c]) {
				if ((cell = arena_alloc(a, lens[c] + 1)) == NULL) {
					e = ERR_NOMEM;
					break;
				}
				if (lens[c] <= CELL_INLINE) {
					memcpy(cell, inline_buf[c], lens[c]);
				} else {
					MYSQL_BIND big;
					unsigned long blen = 0;

					memset(&big, 0, sizeof(big));
					big.buffer_type = MYSQL_TYPE_STRING;
					big.buffer = cell;
					big.buffer_length = lens[c];
					big.length = &blen;
					if (mysql_stmt_fetch_column(st, &big, (unsigned)c, 0) != 0) {
						e = classify(db, mysql_stmt_errno(st), "fetch_column", mysql_stmt_error(st));
						break;
					}
				}
			}
			rows->cells[idx] = cell;
			rows->lens[idx] = nulls[c] ? 0 : lens[c];
		}
		r++;
		rows->nrows = r;
	}
	mysql_stmt_free_result(st);
	return e;
}

static void
jitter_sleep(int attempt)
{
	/* 5..25 ms, doubled per attempt */
	long ms = (5 + (long)rand_below(21)) << attempt;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One more attempt after a deadlock or lock wait: logged and counted. */
static void
note_retry(struct db *db, int stmt, int attempt)
{
	struct logline *l = log_begin(LOG_INFO, "db_tx_retry");

	if (stmt >= 0)
		log_int(l, "statement", stmt);  /* a single statement outside a transaction */
	log_int(l, "errno", db->last_errno);
	log_int(l, "attempt", attempt + 1);
	log_end(l);
	if (db->counters.tx_retries != NULL)
		__atomic_fetch_add(db->counters.tx_retries, 1, __ATOMIC_RELAXED);
}

static void
note_gave_up(struct db *db, int stmt)
{
	struct logline *l = log_begin(LOG_WARN, "db_tx_gave_up");

	if (stmt >= 0)
		log_int(l, "statement", stmt);
	log_int(l, "errno", db->last_errno);
	log_int(l, "attempts", TX_ATTEMPTS);
	log_end(l);
}

enum err
db_exec(struct db *db, enum stmt_id id, const struct db_val *params, size_t n,
    struct arena *a, struct db_rows *rows, size_t max_rows, uint64_t *affected)
{
	MYSQL_BIND b[MAX_PARAMS];
	int64_t started;
	int lost = 0, conflicts = 0;
	enum err e;

	if (rows != NULL)
		memset(rows, 0, sizeof(*rows));
	if (!bind_params(b, params, n))
		return ERR_INTERNAL;
	for (;;) {
		MYSQL_STMT *st;
		MYSQL_RES *meta;

		if ((e = ensure_connected(db)) != ERR_OK)
			return e;
		if (!stmt_defs[id].retry_safe && !db->in_tx &&
		    clock_mono_ms() - db->last_used_ms > IDLE_PING_MS &&
		    (e = db_ping(db)) != ERR_OK)
			return e;
		st = db->stmts[id];
		if (mysql_stmt_param_count(st) != n)
			return ERR_INTERNAL;
		started = clock_mono_ms();
		if ((n > 0 && mysql_stmt_bind_param(st, b) != 0) || mysql_stmt_execute(st) != 0) {
			bool was_tx = db->in_tx;

			e = classify(db, mysql_stmt_errno(st), "execute", mysql_stmt_error(st));
			/* Retry a dropped connection once; but not after a wait that
			 * ran into the I/O timeout: the server is hung, and a second
			 * wait would only double the client's. */
			if (e == ERR_DB_UNAVAILABLE && !was_tx && stmt_defs[id].retry_safe && lost++ == 0 &&
			    clock_mono_ms() - started < RETRY_AFTER_FAILURE_MS)
				continue;
		} else {
			db->last_used_ms = clock_mono_ms();
			if (affected != NULL)
				*affected = (uint64_t)mysql_stmt_affected_rows(st);
			if ((meta = mysql_stmt_result_metadata(st)) == NULL)
				return ERR_OK;
			/* a write with RETURNING reports its own failure (a lock
			 * wait, a deadlock) here, after a successful execute */
			e = fetch_rows(db, st, meta, a, rows, max_rows);
			mysql_free_result(meta);
		}
		/* Outside a transaction the statement was one on its own, and
		 * the server rolled all of it back: it is safe to run again,
		 * whatever it writes. Inside one, db_tx() re-runs the whole
		 * transaction instead. */
		if (e == ERR_DB_RETRY && !db->in_tx) {
			if (conflicts == TX_ATTEMPTS - 1) {
				note_gave_up(db, (int)id);
				return ERR_DB_UNAVAILABLE;
			}
			note_retry(db, (int)id, conflicts);
			jitter_sleep(conflicts++);
			continue;
		}
		return e;
	}
}

void
db_count_limiter_full(struct db *db)
{
	if (db->counters.limiter_full != NULL)
		__atomic_fetch_add(db->counters.limiter_full, 1, __ATOMIC_RELAXED);
}

enum err
db_tx(struct db *db, enum err (*fn)(struct db *db, void *ctx), void *ctx)
{
	int attempt;
	enum err e = ERR_DB_UNAVAILABLE;

	for (attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
		if ((e = ensure_connected(db)) != ERR_OK)
			return e;
		if (clock_mono_ms() - db->last_used_ms > IDLE_PING_MS && (e = db_ping(db)) != ERR_OK)
			return e;
		/* autocommit stays on: START TRANSACTION opens an explicit one
		 * that COMMIT or ROLLBACK ends, one round trip each (switching
		 * autocommit off and on again would be a third); fixed text,
		 * never input, so not a prepared statement */
		if (mysql_real_query(db->conn, "START TRANSACTION", 17) != 0) {
			e = classify(db, mysql_errno(db->conn), "begin", mysql_error(db->conn));
			if (e == ERR_DB_UNAVAILABLE)
				continue;       /* nothing was done yet */
			return e;
		}
		db->in_tx = true;
		db->conflict = false;
		e = fn(db, ctx);
		/* a body that swallowed a deadlock or lock wait must not commit
		 * what is left of its work, nor answer as if it had failed */
		if (db->conflict)
			e = ERR_DB_RETRY;
		if (e == ERR_OK && db->connected) {
			if (mysql_commit(db->conn) != 0) {
				e = classify(db, mysql_errno(db->conn), "commit", mysql_error(db->conn));
				if (e == ERR_DB_UNAVAILABLE)
					return e;       /* outcome unknown: never re-run */
			} else {
				db->in_tx = false;
				db->last_used_ms = clock_mono_ms();
				return ERR_OK;
			}
		}
		if (db->connected) {
			mysql_rollback(db->conn);
			db->in_tx = false;
			db->conflict = false;
			if (e != ERR_DB_RETRY)
				return e;
			/* InnoDB rolled back the statement (1205) or the whole
			 * transaction (1213); we rolled back the rest: fn runs
			 * again from scratch, after a random pause so that the
			 * two sides of a deadlock do not meet again */
			if (attempt == TX_ATTEMPTS - 1)
				break;
			note_retry(db, -1, attempt);
			jitter_sleep(attempt);
			continue;
		}
		/* The connection died inside the transaction: the server rolled it
		 * back, so running it again from the start is safe. */
		if (e != ERR_DB_UNAVAILABLE && e != ERR_OK && e != ERR_DB_RETRY)
			return e;
	}
	if (e == ERR_DB_RETRY) {
		note_gave_up(db, -1);
		return ERR_DB_UNAVAILABLE;
	}
	return e;
}
