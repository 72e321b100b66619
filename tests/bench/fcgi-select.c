/*
 * fcgi-select.c — the benchmark's read ceiling with a database: fcgi-hello
 * plus one primary-key SELECT per request. Each of N pre-forked processes
 * opens its own MariaDB connection after the fork (a connection must never
 * be shared across processes), prepares the SELECT once and, per request,
 * executes it in autocommit mode for the row whose key the request's URI
 * names, reads the row and answers a small JSON body made from it. No
 * transaction is written, so nothing waits for the disk: this is the most a
 * libfcgi application on this machine can do when every request must read
 * one row, which is what GET /api/v1/me, GET /api/v1/meetings/{id}/status
 * and a member's repeat join are compared with.
 *
 * At start the parent creates `bench_select` (meeting-sized rows, primary
 * key only, as fcgi-insert's `bench_probe`) and fills it with ROWS rows in
 * one INSERT ... SELECT over MariaDB's sequence engine.
 *
 * Usage: fcgi-select SOCKET N DBSOCKET DBNAME DBUSER DBPASSWORDFILE
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

/* Rows in the table; a request reads the one its URI hashes to. */
#define ROWS 1000
#define STR_(x) #x
#define STR(x) STR_(x)
#define ID_LEN 26

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS bench_select ("
    " id CHAR(26) CHARACTER SET ascii NOT NULL,"
    " owner_id CHAR(26) CHARACTER SET ascii NOT NULL,"
    " code CHAR(11) CHARACTER SET ascii NOT NULL,"
    " meeting_url VARCHAR(2048) NOT NULL,"
    " passcode_box VARBINARY(128) NOT NULL,"
    " invite_hash BINARY(32) NOT NULL,"
    " invite_box VARBINARY(128) NOT NULL,"
    " title VARCHAR(200) NOT NULL,"
    " scheduled_for DATETIME(3) NOT NULL,"
    " duration_minutes SMALLINT UNSIGNED NOT NULL,"
    " timezone VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " created_at DATETIME(3) NOT NULL,"
    " PRIMARY KEY (id)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

/* Ids are "01BENCHSELECT" and a 13-digit number, 26 characters like a
 * ULID; boxes and hash of meetd's sizes (35, 32 and 72 bytes). Titles
 * hold only letters, digits and spaces, so the probe may put them in JSON
 * as they are. */
#define ID_PREFIX "01BENCHSELECT"
static const char fill_sql[] =
    "INSERT IGNORE INTO bench_select (id, owner_id, code, meeting_url, passcode_box,"
    " invite_hash, invite_box, title, scheduled_for, duration_minutes, timezone, created_at)"
    " SELECT CONCAT('" ID_PREFIX "', LPAD(seq, 13, '0')), '01BENCHSELECTOWNER00000000',"
    " CONCAT('sel-', LPAD(seq % 1000, 3, '0'), '-', LPAD(seq % 997, 3, '0')),"
    " CONCAT('http://127.0.0.1:8080/room/sel-', seq),"
    " LEFT(UNHEX(SHA2(CONCAT('p', seq), 512)), 35), UNHEX(SHA2(CONCAT('h', seq), 256)),"
    " CONCAT(UNHEX(SHA2(CONCAT('i', seq), 512)), LEFT(UNHEX(SHA2(CONCAT('j', seq), 256)), 8)),"
    " CONCAT('Probe meeting ', seq), '2030-01-01 10:00:00.000' + INTERVAL seq HOUR,"
    " 15 + 15 * (seq % 4), 'Europe/Paris', UTC_TIMESTAMP(3)"
    " FROM seq_1_to_" STR(ROWS);

static const char select_sql[] =
    "SELECT id, code, title, DATE_FORMAT(scheduled_for, '%Y-%m-%dT%H:%i:%sZ'),"
    " duration_minutes, timezone FROM bench_select WHERE id = ?";

enum col { C_ID, C_CODE, C_TITLE, C_SCHED, C_DURATION, C_TZ, C__MAX };

/* One responder's statement, its key and the buffers of one row. */
struct probe {
	MYSQL *conn;
	MYSQL_STMT *sel;
	MYSQL_BIND param, res[C__MAX];
	unsigned long key_len, len[C__MAX];
	char key[ID_LEN + 1];
	char id[ID_LEN + 1], code[12], title[201], sched[24], tz[65];
	unsigned short duration;
};

static char password[256];

/* Reads the first line of path into password; 0 or -1. */
static int
read_password(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "fcgi-select: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(password, 1, sizeof(password) - 1, f);
	fclose(f);
	password[n] = '\0';
	password[strcspn(password, "\r\n")] = '\0';
	return 0;
}

/* A connection set up as meetd sets up its own (db.c), or NULL. */
static MYSQL *
db_open(const char *sock, const char *name, const char *user)
{
	MYSQL *conn = mysql_init(NULL);

	if (conn == NULL)
		return NULL;
	mysql_optionsv(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (mysql_real_connect(conn, NULL, user, password, name, 0, sock, 0) == NULL) {
		fprintf(stderr, "fcgi-select: connect: %s\n", mysql_error(conn));
		mysql_close(conn);
		return NULL;
	}
	return conn;
}

/* Runs one statement without parameters, prepared like every other; 0 or -1. */
static int
exec_once(MYSQL *conn, const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(conn);
	int rc = 0;

	if (st == NULL)
		return -1;
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 || mysql_stmt_execute(st) != 0) {
		fprintf(stderr, "fcgi-select: %s\n", mysql_stmt_error(st));
		rc = -1;
	}
	mysql_stmt_close(st);
	return rc;
}

static void
bind_out(struct probe *p, enum col c, char *buf, size_t size)
{
	p->res[c].buffer_type = MYSQL_TYPE_STRING;
	p->res[c].buffer = buf;
	p->res[c].buffer_length = size;
	p->res[c].length = &p->len[c];
}

/* Connects, prepares the SELECT and binds its key and its row; 0 or -1. */
static int
probe_open(struct probe *p, char **argv)
{
	memset(p, 0, sizeof(*p));
	if ((p->conn = db_open(argv[3], argv[4], argv[5])) == NULL)
		return -1;
	if ((p->sel = mysql_stmt_init(p->conn)) == NULL ||
	    mysql_stmt_prepare(p->sel, select_sql, strlen(select_sql)) != 0) {
		fprintf(stderr, "fcgi-select: prepare: %s\n",
		    p->sel ? mysql_stmt_error(p->sel) : mysql_error(p->conn));
		return -1;
	}
	p->param.buffer_type = MYSQL_TYPE_STRING;
	p->param.buffer = p->key;
	p->key_len = ID_LEN;
	p->param.length = &p->key_len;
	bind_out(p, C_ID, p->id, sizeof(p->id));
	bind_out(p, C_CODE, p->code, sizeof(p->code));
	bind_out(p, C_TITLE, p->title, sizeof(p->title));
	bind_out(p, C_SCHED, p->sched, sizeof(p->sched));
	p->res[C_DURATION].buffer_type = MYSQL_TYPE_SHORT;
	p->res[C_DURATION].buffer = &p->duration;
	p->res[C_DURATION].is_unsigned = 1;
	bind_out(p, C_TZ, p->tz, sizeof(p->tz));
	/* the buffers stay where they are, so one bind serves every request */
	if (mysql_stmt_bind_param(p->sel, &p->param) != 0 ||
	    mysql_stmt_bind_result(p->sel, p->res) != 0) {
		fprintf(stderr, "fcgi-select: bind: %s\n", mysql_stmt_error(p->sel));
		return -1;
	}
	return 0;
}

/* The row a request reads: FNV-1a of its URI, so that different URIs (the
 * benchmark sends several) spread over the table. */
static void
key_of(struct probe *p, const char *uri)
{
	unsigned long h = 2166136261UL;

	for (; uri != NULL && *uri != '\0'; uri++)
		h = ((h ^ (unsigned char)*uri) * 16777619UL) & 0xFFFFFFFFUL;
	snprintf(p->key, sizeof(p->key), ID_PREFIX "%013lu", 1 + h % ROWS);
}

/* One request's read; 1 if the row was found, 0 if not, -1 on an error. */
static int
read_row(struct probe *p, const char *uri)
{
	int rc, found = 0;

	key_of(p, uri);
	if (mysql_stmt_execute(p->sel) != 0) {
		fprintf(stderr, "fcgi-select: select: %s\n", mysql_stmt_error(p->sel));
		return -1;
	}
	/* read to the end so the statement is ready for the next execute */
	while ((rc = mysql_stmt_fetch(p->sel)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		found = rc == 0;
	if (rc != MYSQL_NO_DATA) {
		fprintf(stderr, "fcgi-select: fetch: %s\n", mysql_stmt_error(p->sel));
		return -1;
	}
	return found;
}

/* Formats the whole response once (libfcgi's own printf knows no "%zu"). */
static void
answer(FCGX_Stream *out, const struct probe *p, int found)
{
	char body[512], reply[640];
	const char *status = "200 OK";
	int b, n;

	if (found > 0)
		b = snprintf(body, sizeof(body), "{\"status\":\"success\",\"message\":\"found\","
		    "\"data\":{\"id\":\"%.*s\",\"code\":\"%.*s\",\"title\":\"%.*s\","
		    "\"scheduled_for\":\"%.*s\",\"duration\":%u,\"timezone\":\"%.*s\"},"
		    "\"timestamp\":\"2024-01-15T10:00:00Z\"}",
		    (int)p->len[C_ID], p->id, (int)p->len[C_CODE], p->code,
		    (int)p->len[C_TITLE], p->title, (int)p->len[C_SCHED], p->sched,
		    (unsigned int)p->duration, (int)p->len[C_TZ], p->tz);
	else {
		status = found == 0 ? "404 Not Found" : "500 Internal Server Error";
		b = snprintf(body, sizeof(body), "{\"status\":\"error\",\"message\":\"%s\","
		    "\"code\":\"%s\",\"details\":{},\"timestamp\":\"2024-01-15T10:00:00Z\"}",
		    found == 0 ? "no such row" : "select failed",
		    found == 0 ? "NOT_FOUND" : "INTERNAL_ERROR");
	}
	if (b < 0 || (size_t)b >= sizeof(body))
		return;
	n = snprintf(reply, sizeof(reply), "Status: %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n\r\n%s", status, b, body);
	if (n > 0 && (size_t)n < sizeof(reply))
		FCGX_PutStr(reply, n, out);
}

static void
serve(int sock, char **argv)
{
	FCGX_Request req;
	struct probe p;

	if (probe_open(&p, argv) != 0)
		exit(1);
	FCGX_InitRequest(&req, sock, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		answer(req.out, &p, read_row(&p, FCGX_GetParam("REQUEST_URI", req.envp)));
		FCGX_Finish_r(&req);
	}
	exit(0);
}

/* Creates and fills the table from the parent, whose connection is closed
 * before any fork so that no child inherits it; 0 or -1. */
static int
create_table(char **argv)
{
	MYSQL *conn = db_open(argv[3], argv[4], argv[5]);
	int rc;

	if (conn == NULL)
		return -1;
	rc = exec_once(conn, create_sql);
	if (rc == 0)
		rc = exec_once(conn, fill_sql);
	mysql_close(conn);
	return rc;
}

int
main(int argc, char **argv)
{
	int sock, n, i;

	if (argc != 7 || (n = (int)strtol(argv[2], NULL, 10)) < 1 || n > 64) {
		fprintf(stderr, "usage: fcgi-select SOCKET N DBSOCKET DBNAME DBUSER DBPASSWORDFILE\n");
		return 2;
	}
	if (read_password(argv[6]) != 0 || mysql_library_init(0, NULL, NULL) != 0 ||
	    create_table(argv) != 0)
		return 1;
	FCGX_Init();
	unlink(argv[1]);
	if ((sock = FCGX_OpenSocket(argv[1], 1024)) < 0)
		return 1;
	chmod(argv[1], 0666);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			serve(sock, argv);
		if (pid < 0)
			fprintf(stderr, "fcgi-select: fork: %s\n", strerror(errno));
	}
	signal(SIGTERM, SIG_DFL);
	while (wait(NULL) > 0)
		;
	return 0;
}
