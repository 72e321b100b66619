/*
 * migrate.c — applies the embedded schema migrations (see migrate.h).
 *
 * A named lock (GET_LOCK) makes concurrent `meetd migrate` runs on several
 * hosts take turns. Migration files are run as multi-statement text: they
 * are compiled into the binary from schema/, never built from input, and
 * this is the one place meetd sends SQL that is not a prepared statement.
 * MariaDB commits DDL implicitly, so a migration that fails half-way is
 * reported with the statement that failed and is not recorded; fix the
 * schema by hand or restore, then re-run.
 */
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "auth/crypto.h"
#include "core/log.h"
#include "store/migrate.h"

/* Prepared-statement round trip for our constant bookkeeping statements. */
static bool
run_stmt(MYSQL *conn, const char *sql, MYSQL_BIND *params, MYSQL_BIND *result,
    int (*each_row)(void *ctx), void *ctx)
{
	MYSQL_STMT *st = mysql_stmt_init(conn);
	bool ok = false;
	int rc;

	if (st == NULL)
		return false;
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    (params != NULL && mysql_stmt_bind_param(st, params) != 0) ||
	    mysql_stmt_execute(st) != 0)
		goto out;
	if (result != NULL) {
		if (mysql_stmt_bind_result(st, result) != 0 || mysql_stmt_store_result(st) != 0)
			goto out;
		while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
			if (each_row != NULL && each_row(ctx) != 0)
				goto out;
		if (rc != MYSQL_NO_DATA)
			goto out;
	}
	ok = true;
out:
	if (!ok)
		log_msg(LOG_ERROR, "migrate", "%s: %s", sql, mysql_stmt_error(st));
	mysql_stmt_close(st);
	return ok;
}

struct applied {
	int versions[1024];
	char checksums[1024][65];
	size_t n;
	/* fetch buffers */
	int cur_version;
	char cur_checksum[65];
	unsigned long cur_len;
};

static int
collect(void *ctx)
{
	struct applied *ap = ctx;

	if (ap->n >= 1024)
		return -1;
	ap->versions[ap->n] = ap->cur_version;
	memcpy(ap->checksums[ap->n], ap->cur_checksum, 64);
	ap->checksums[ap->n][64] = '\0';
	ap->n++;
	return 0;
}

static int
find(const struct applied *ap, int version)
{
	size_t i;

	for (i = 0; i < ap->n; i++)
		if (ap->versions[i] == version)
			return (int)i;
	return -1;
}

/* Runs one migration's text and drains every result; false on error. */
static bool
apply_text(MYSQL *conn, const struct migration *m)
{
	int status;

	if (mysql_real_query(conn, m->sql, strlen(m->sql)) != 0) {
		log_msg(LOG_ERROR, "migrate", "%s failed: %u %s", m->name, mysql_errno(conn), mysql_error(conn));
		return false;
	}
	do {
		MYSQL_RES *res = mysql_store_result(conn);
		if (res != NULL)
			mysql_free_result(res);
		if ((status = mysql_next_result(conn)) > 0) {
			log_msg(LOG_ERROR, "migrate", "%s failed: %u %s", m->name, mysql_errno(conn), mysql_error(conn));
			return false;
		}
	} while (status == 0);
	return true;
}

int
migrate_latest_version(void)
{
	return migrations_count > 0 ? migrations[migrations_count - 1].version : 0;
}

static bool
record(MYSQL *conn, const struct migration *m, const char *checksum)
{
	MYSQL_BIND p[3];
	int version = m->version;

	memset(p, 0, sizeof(p));
	p[0].buffer_type = MYSQL_TYPE_LONG;
	p[0].buffer = &version;
	p[1].buffer_type = MYSQL_TYPE_STRING;
	p[1].buffer = (void *)m->name;
	p[1].buffer_length = strlen(m->name);
	p[2].buffer_type = MYSQL_TYPE_STRING;
	p[2].buffer = (void *)checksum;
	p[2].buffer_length = 64;
	return run_stmt(conn, "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
	    "VALUES (?, ?, ?, UTC_TIMESTAMP(3))", p, NULL, NULL, NULL);
}

static enum err
migrate_locked(MYSQL *conn)
{
	static struct applied ap;
	MYSQL_BIND r[2];
	size_t i;
	int applied_now = 0, latest = migrate_latest_version();

	memset(&ap, 0, sizeof(ap));
	if (!run_stmt(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, "
	    "checksum CHAR(64) CHARACTER SET ascii NOT NULL, applied_at DATETIME(3) NOT NULL"
	    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", NULL, NULL, NULL, NULL))
		return ERR_IO;
	memset(r, 0, sizeof(r));
	r[0].buffer_type = MYSQL_TYPE_LONG;
	r[0].buffer = &ap.cur_version;
	r[1].buffer_type = MYSQL_TYPE_STRING;
	r[1].buffer = ap.cur_checksum;
	r[1].buffer_length = sizeof(ap.cur_checksum);
	r[1].length = &ap.cur_len;
	if (!run_stmt(conn, "SELECT version, checksum FROM schema_migrations ORDER BY version",
	    NULL, r, collect, &ap))
		return ERR_IO;
	for (i = 0; i < ap.n; i++) {
		if (ap.versions[i] > latest) {
			log_msg(LOG_ERROR, "migrate", "the database has migration %d, newer than this binary knows (%d); refusing",
			    ap.versions[i], latest);
			return ERR_CONFIG;
		}
	}
	for (i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		char sum[65];
		int at;

		crypto_sha256_hex(m->sql, strlen(m->sql), sum);
		if ((at = find(&ap, m->version)) >= 0) {
			if (strcmp(ap.checksums[at], sum) != 0) {
				log_msg(LOG_ERROR, "migrate", "%s was applied with different text (checksum %s, now %s); "
				    "a landed migration must never be edited", m->name, ap.checksums[at], sum);
				return ERR_CONFIG;
			}
			continue;
		}
		log_msg(LOG_INFO, "migrate", "applying %s", m->name);
		if (!apply_text(conn, m) || !record(conn, m, sum))
			return ERR_IO;
		applied_now++;
	}
	log_msg(LOG_INFO, "migrate", "schema at version %d (%d applied now)", latest, applied_now);
	return ERR_OK;
}

enum err
migrate_run(const struct config *cfg)
{
	unsigned int ct = (unsigned)cfg->db_connect_timeout;
	MYSQL *conn = mysql_init(NULL);
	MYSQL_BIND res;
	long long got = 0;
	enum err e;

	if (conn == NULL)
		return ERR_NOMEM;
	mysql_optionsv(conn, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_optionsv(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (mysql_real_connect(conn, cfg->db_socket != NULL ? NULL : cfg->db_host, cfg->db_user,
	    (const char *)cfg->db_password.data, cfg->db_name, (unsigned)cfg->db_port,
	    cfg->db_socket, CLIENT_MULTI_STATEMENTS) == NULL) {
		log_msg(LOG_ERROR, "migrate", "cannot connect to the database: %u %s",
		    mysql_errno(conn), mysql_error(conn));
		mysql_close(conn);
		return ERR_DB_UNAVAILABLE;
	}
	memset(&res, 0, sizeof(res));
	res.buffer_type = MYSQL_TYPE_LONGLONG;
	res.buffer = &got;
	if (!run_stmt(conn, "SELECT GET_LOCK('meetd_migrate', 60)", NULL, &res, NULL, NULL) || got != 1) {
		log_msg(LOG_ERROR, "migrate", "another migration holds the lock");
		mysql_close(conn);
		return ERR_IO;
	}
	e = migrate_locked(conn);
	run_stmt(conn, "SELECT RELEASE_LOCK('meetd_migrate')", NULL, &res, NULL, NULL);
	mysql_close(conn);
	return e;
}
