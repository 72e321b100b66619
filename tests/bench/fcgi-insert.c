/*
 * fcgi-insert.c — the benchmark's write ceiling: fcgi-hello plus one durable
 * database write per request. Each of N pre-forked processes opens its own
 * MariaDB connection after the fork (a connection must never be shared
 * across processes) and, per request, executes one prepared INSERT in
 * autocommit mode of a row the size of a meetings row into `bench_probe`,
 * then answers a small JSON 201. With InnoDB's default
 * innodb_flush_log_at_trx_commit = 1 each request therefore waits for its
 * redo log to reach the disk (or for a group commit that includes it): this
 * is the most a libfcgi application on this machine can do when every
 * request must durably store something, which is what POST /api/v1/meetings
 * is compared with.
 *
 * Usage: fcgi-insert SOCKET N DBSOCKET DBNAME DBUSER DBPASSWORDFILE
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

/* The columns of a native meeting that hold data (see schema/002): the
 * same types and about the same bytes, but only a primary key, since the
 * probe measures one durable write and not meetd's choice of indexes. */
static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS bench_probe ("
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

static const char insert_sql[] =
    "INSERT INTO bench_probe (id, owner_id, code, meeting_url, passcode_box, invite_hash,"
    " invite_box, title, scheduled_for, duration_minutes, timezone, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))";

enum col { C_ID, C_OWNER, C_CODE, C_URL, C_PASSBOX, C_HASH, C_INVBOX, C_TITLE, C_SCHED,
	C_DURATION, C_TZ, C__MAX };

/* Sizes as meetd makes them: a box is version + 12-byte nonce + plaintext
 * + 16-byte tag, for a 6-digit passcode and a 43-character token. */
#define ID_LEN 26
#define PASSBOX_LEN (1 + 12 + 6 + 16)
#define HASH_LEN 32
#define INVBOX_LEN (1 + 12 + 43 + 16)

/* One responder's statement and the buffers its parameters point at. */
struct probe {
	MYSQL *conn;
	MYSQL_STMT *ins;
	MYSQL_BIND bind[C__MAX];
	unsigned long len[C__MAX];
	char id[ID_LEN + 1], owner[ID_LEN + 1], code[12], url[64], title[64], sched[32];
	unsigned char rnd[10 + 11 + PASSBOX_LEN + HASH_LEN + INVBOX_LEN];   /* id, code, boxes */
	short duration;
};

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static char password[256];

/* Reads the first line of path into password; 0 or -1. */
static int
read_password(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "fcgi-insert: %s: %s\n", path, strerror(errno));
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
		fprintf(stderr, "fcgi-insert: connect: %s\n", mysql_error(conn));
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
		fprintf(stderr, "fcgi-insert: %s\n", mysql_stmt_error(st));
		rc = -1;
	}
	mysql_stmt_close(st);
	return rc;
}

/* Time-ordered like a ULID (48 bits of milliseconds, then 80 random bits),
 * so rows arrive at the end of the primary key as meetd's do. */
static void
make_id(char out[ID_LEN + 1], const unsigned char r[10])
{
	struct timespec ts;
	unsigned long long t;
	unsigned int acc = 0, bits = 0;
	int i, j = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
	for (i = 9; i >= 0; i--, t >>= 5)
		out[i] = crockford[t & 31];
	for (i = 10; i < ID_LEN; i++) {
		if (bits < 5) {
			acc = (acc << 8) | r[j++];
			bits += 8;
		}
		bits -= 5;
		out[i] = crockford[(acc >> bits) & 31];
	}
	out[ID_LEN] = '\0';
}

static void
bind_str(struct probe *p, enum col c, enum enum_field_types type, void *buf, unsigned long n)
{
	p->bind[c].buffer_type = type;
	p->bind[c].buffer = buf;
	p->len[c] = n;
	p->bind[c].length = &p->len[c];
}

/* Points every parameter at its buffer; the lengths are set per row. */
static void
bind_row(struct probe *p)
{
	unsigned char *r = p->rnd + 10 + 11;

	memset(p->bind, 0, sizeof(p->bind));
	bind_str(p, C_ID, MYSQL_TYPE_STRING, p->id, ID_LEN);
	bind_str(p, C_OWNER, MYSQL_TYPE_STRING, p->owner, ID_LEN);
	bind_str(p, C_CODE, MYSQL_TYPE_STRING, p->code, 11);
	bind_str(p, C_URL, MYSQL_TYPE_STRING, p->url, 0);
	bind_str(p, C_PASSBOX, MYSQL_TYPE_BLOB, r, PASSBOX_LEN);
	bind_str(p, C_HASH, MYSQL_TYPE_BLOB, r + PASSBOX_LEN, HASH_LEN);
	bind_str(p, C_INVBOX, MYSQL_TYPE_BLOB, r + PASSBOX_LEN + HASH_LEN, INVBOX_LEN);
	bind_str(p, C_TITLE, MYSQL_TYPE_STRING, p->title, 0);
	bind_str(p, C_SCHED, MYSQL_TYPE_STRING, p->sched, 0);
	p->bind[C_DURATION].buffer_type = MYSQL_TYPE_SHORT;
	p->bind[C_DURATION].buffer = &p->duration;
	bind_str(p, C_TZ, MYSQL_TYPE_STRING, (void *)"Europe/Paris", 12);
}

/* Fills the row of this request: fresh random bytes, id, code and text. */
static int
next_row(struct probe *p, unsigned long seq)
{
	int i, n;

	if (getrandom(p->rnd, sizeof(p->rnd), 0) != (ssize_t)sizeof(p->rnd))
		return -1;
	make_id(p->id, p->rnd);
	for (i = 0; i < 11; i++)
		p->code[i] = (i == 3 || i == 7) ? '-' : (char)('a' + p->rnd[10 + i] % 26);
	p->code[11] = '\0';
	n = snprintf(p->url, sizeof(p->url), "http://127.0.0.1:8080/room/%s", p->code);
	p->len[C_URL] = n > 0 ? (unsigned long)n : 0;
	n = snprintf(p->title, sizeof(p->title), "Probe meeting %d-%lu", (int)getpid(), seq);
	p->len[C_TITLE] = n > 0 ? (unsigned long)n : 0;
	n = snprintf(p->sched, sizeof(p->sched), "2030-%02lu-%02lu 10:00:00.000",
	    1 + seq % 12, 1 + seq % 28);
	p->len[C_SCHED] = n > 0 ? (unsigned long)n : 0;
	p->duration = (short)(15 + 15 * (seq % 4));
	return 0;
}

/* Connects and prepares the INSERT; 0 or -1. */
static int
probe_open(struct probe *p, char **argv)
{
	unsigned char r[10];

	memset(p, 0, sizeof(*p));
	if ((p->conn = db_open(argv[3], argv[4], argv[5])) == NULL)
		return -1;
	if ((p->ins = mysql_stmt_init(p->conn)) == NULL ||
	    mysql_stmt_prepare(p->ins, insert_sql, strlen(insert_sql)) != 0) {
		fprintf(stderr, "fcgi-insert: prepare: %s\n",
		    p->ins ? mysql_stmt_error(p->ins) : mysql_error(p->conn));
		return -1;
	}
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	make_id(p->owner, r);
	/* the buffers stay where they are, and the lengths are read through
	 * their pointers at each execute, so one bind serves every row */
	bind_row(p);
	if (mysql_stmt_bind_param(p->ins, p->bind) != 0) {
		fprintf(stderr, "fcgi-insert: bind: %s\n", mysql_stmt_error(p->ins));
		return -1;
	}
	return 0;
}

/* One request's write; 0 or -1 (the error is on stderr). */
static int
insert_row(struct probe *p, unsigned long seq)
{
	if (next_row(p, seq) != 0)
		return -1;
	if (mysql_stmt_execute(p->ins) != 0) {
		fprintf(stderr, "fcgi-insert: insert: %s\n", mysql_stmt_error(p->ins));
		return -1;
	}
	return 0;
}

/* Formats the whole response once (libfcgi's own printf knows no "%zu"). */
static void
answer(FCGX_Stream *out, int ok, const char *id)
{
	char body[160], reply[320];
	int b, n;

	if (ok)
		b = snprintf(body, sizeof(body), "{\"status\":\"success\",\"message\":\"created\","
		    "\"data\":{\"id\":\"%s\"},\"timestamp\":\"2024-01-15T10:00:00Z\"}", id);
	else
		b = snprintf(body, sizeof(body), "{\"status\":\"error\",\"message\":\"insert failed\","
		    "\"code\":\"INTERNAL_ERROR\",\"details\":{},\"timestamp\":\"2024-01-15T10:00:00Z\"}");
	if (b < 0 || (size_t)b >= sizeof(body))
		return;
	n = snprintf(reply, sizeof(reply), "Status: %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n\r\n%s", ok ? "201 Created" : "500 Internal Server Error", b, body);
	if (n > 0 && (size_t)n < sizeof(reply))
		FCGX_PutStr(reply, n, out);
}

static void
serve(int sock, char **argv)
{
	FCGX_Request req;
	struct probe p;
	unsigned long seq = 0;

	if (probe_open(&p, argv) != 0)
		exit(1);
	FCGX_InitRequest(&req, sock, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		answer(req.out, insert_row(&p, ++seq) == 0, p.id);
		FCGX_Finish_r(&req);
	}
	exit(0);
}

/* Creates the table from the parent, whose connection is closed before any
 * fork so that no child inherits it; 0 or -1. */
static int
create_table(char **argv)
{
	MYSQL *conn = db_open(argv[3], argv[4], argv[5]);
	int rc;

	if (conn == NULL)
		return -1;
	rc = exec_once(conn, create_sql);
	mysql_close(conn);
	return rc;
}

int
main(int argc, char **argv)
{
	int sock, n, i;

	if (argc != 7 || (n = (int)strtol(argv[2], NULL, 10)) < 1 || n > 64) {
		fprintf(stderr, "usage: fcgi-insert SOCKET N DBSOCKET DBNAME DBUSER DBPASSWORDFILE\n");
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
			fprintf(stderr, "fcgi-insert: fork: %s\n", strerror(errno));
	}
	signal(SIGTERM, SIG_DFL);
	while (wait(NULL) > 0)
		;
	return 0;
}
