/*
 * idempotency.c — Idempotency-Key claims, outcomes and replays (see
 * idempotency.h). The stored outcome is "<message>\0<canonical JSON>"
 * (the message is empty since outcomes became canonical; older rows carry
 * one, which a replay skips), sealed with the data key (it holds the new
 * meeting's passcode and invitation token), bound to its user and key.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/app.h"
#include "http/idempotency.h"
#include "store/db.h"
#include "core/parse.h"
#include "http/router.h"
#include "auth/secretbox.h"

#define KEY_MAX 255

static bool
key_valid(const char *k)
{
	size_t n = strlen(k), i;

	if (n == 0 || n > KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			return false;
	return true;
}

/* SHA-256 over the method, the path and the body as canonical JSON (keys
 * sorted, no white space), so key order and spacing do not make two equal
 * requests differ. */
static enum err
request_hash(struct request *rq, unsigned char out[SHA256_LEN])
{
	char *canon = rq->json != NULL ? json_dumps(rq->json, JSON_SORT_KEYS | JSON_COMPACT |
	    JSON_ENCODE_ANY) : NULL;
	struct buf b;

	buf_init(&b, RESP_BODY_MAX);
	buf_puts(&b, rq->method_name);
	buf_puts(&b, " ");
	buf_puts(&b, rq->path);
	buf_puts(&b, "\n");
	if (canon != NULL)
		buf_puts(&b, canon);
	free(canon);
	if (b.failed) {
		buf_free(&b);
		return ERR_NOMEM;
	}
	crypto_sha256(b.data, b.len, out);
	buf_free(&b);
	return ERR_OK;
}

/* Associated data binding a stored answer to its user and key. */
static const char *
answer_aad(struct request *rq, const char *key)
{
	return arena_printf(rq->ctx.arena, "idempotency_keys.response:%s:%s", rq->ctx.who.subject, key);
}

/* Opens a stored outcome: its status and canonical JSON (arena). */
static enum err
stored_outcome(struct request *rq, const char *key, const struct db_rows *rows, int *status,
    const char **outcome)
{
	const char *code_text = db_cell(rows, 0, 2), *sealed = db_cell(rows, 0, 3), *ad;
	size_t n = rows->lens[3], len, mlen;
	char *stored;
	int64_t code;

	if (code_text == NULL || sealed == NULL || n < SECRETBOX_OVERHEAD || rq->ctx.app->box == NULL ||
	    parse_i64z(code_text, 200, 299, &code) != ERR_OK)
		return ERR_INTERNAL;
	if ((ad = answer_aad(rq, key)) == NULL || (stored = arena_alloc(rq->ctx.arena, n + 1)) == NULL)
		return ERR_NOMEM;
	if (secretbox_open(rq->ctx.app->box, ad, (const unsigned char *)sealed, n, stored, n, &len) != ERR_OK ||
	    (mlen = strnlen(stored, len)) >= len)
		return ERR_INTERNAL;
	stored[len] = '\0';
	*status = (int)code;
	*outcome = stored + mlen + 1;
	return ERR_OK;
}

enum err
idem_begin(struct request *rq, struct idem *im, int *status, const char **outcome)
{
	struct db *db = rq->ctx.app->db;
	int64_t stale_s = rq->ctx.app->cfg->request_timeout + 5;
	struct db_val p[5];
	struct db_rows rows;
	uint64_t n = 0;
	enum err e;

	memset(im, 0, sizeof(*im));
	im->rq = rq;
	*outcome = NULL;
	if (rq->idempotency_key == NULL)
		return ERR_OK;
	if (!key_valid(rq->idempotency_key))
		return request_field_error(rq, "Idempotency-Key", "must be 1 to 255 printable ASCII characters");
	im->key = rq->idempotency_key;
	if ((e = request_hash(rq, im->hash)) != ERR_OK)
		return e;

	p[0] = DB_STR(rq->ctx.who.subject);
	p[1] = DB_STR(im->key);
	p[2] = DB_BLOB(im->hash, SHA256_LEN);
	e = db_exec(db, STMT_IDEM_CLAIM, p, 3, rq->ctx.arena, NULL, 0, NULL);
	if (e == ERR_OK) {
		im->active = true;
		return ERR_OK;
	}
	if (e != ERR_DB_DUPLICATE)
		return e;

	/* taken: expired, or abandoned by a request that died, may be reclaimed */
	p[0] = DB_BLOB(im->hash, SHA256_LEN);
	p[1] = DB_STR(rq->ctx.who.subject);
	p[2] = DB_STR(im->key);
	p[3] = DB_BLOB(im->hash, SHA256_LEN);
	p[4] = DB_I64(stale_s);
	if ((e = db_exec(db, STMT_IDEM_TAKEOVER, p, 5, rq->ctx.arena, NULL, 0, &n)) != ERR_OK)
		return e;
	if (n == 1) {
		im->active = true;
		return ERR_OK;
	}
	p[0] = DB_I64(stale_s);
	p[1] = DB_STR(rq->ctx.who.subject);
	p[2] = DB_STR(im->key);
	if ((e = db_exec(db, STMT_IDEM_GET, p, 3, rq->ctx.arena, &rows, 1, NULL)) != ERR_OK)
		return e;
	if (rows.nrows != 1)
		return ERR_IDEMPOTENCY_KEY_IN_USE;      /* released in between: let the client retry */
	if (rows.lens[0] != SHA256_LEN || memcmp(db_cell(&rows, 0, 0), im->hash, SHA256_LEN) != 0)
		return ERR_IDEMPOTENCY_KEY_REUSED;
	if (strcmp(db_cell(&rows, 0, 1), "done") != 0)
		return ERR_IDEMPOTENCY_KEY_IN_USE;
	return stored_outcome(rq, im->key, &rows, status, outcome);
}

enum err
idem_record(void *arg, struct db *db, int status, const char *outcome)
{
	struct idem *im = arg;
	struct request *rq = im->rq;
	size_t dlen = strlen(outcome), cap, sealed_len;
	unsigned char *sealed;
	const char *ad;
	struct db_val p[4];
	char *stored;
	uint64_t n = 0;
	enum err e;

	if (!im->active)
		return ERR_OK;
	if (rq->ctx.app->box == NULL)
		return request_fail(rq, ERR_NOT_CONFIGURED,
		    "Idempotency-Key needs a data key for secrets at rest: set secrets.key_file");
	cap = 1 + dlen + SECRETBOX_OVERHEAD;
	if ((stored = arena_alloc(rq->ctx.arena, 1 + dlen)) == NULL ||
	    (sealed = arena_alloc(rq->ctx.arena, cap)) == NULL || (ad = answer_aad(rq, im->key)) == NULL)
		return ERR_NOMEM;
	stored[0] = '\0';              /* no message: the face that replays says its own */
	memcpy(stored + 1, outcome, dlen);
	if ((e = secretbox_seal(rq->ctx.app->box, ad, stored, 1 + dlen, sealed, cap, &sealed_len)) != ERR_OK)
		return e;
	p[0] = DB_I64(status);
	p[1] = DB_BLOB(sealed, sealed_len);
	p[2] = DB_STR(rq->ctx.who.subject);
	p[3] = DB_STR(im->key);
	if ((e = db_exec(db, STMT_IDEM_FINISH, p, 4, NULL, NULL, 0, &n)) != ERR_OK)
		return e;
	return n == 1 ? ERR_OK : ERR_IDEMPOTENCY_KEY_IN_USE;
}

void
idem_release(struct request *rq, struct idem *im)
{
	struct db_val p[2];

	if (!im->active)
		return;
	p[0] = DB_STR(rq->ctx.who.subject);
	p[1] = DB_STR(im->key);
	(void)db_exec(rq->ctx.app->db, STMT_IDEM_ABANDON, p, 2, NULL, NULL, 0, NULL);
	im->active = false;
}
