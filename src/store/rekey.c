/*
 * rekey.c — see rekey.h. Tables are walked in primary-key order, 500 rows
 * at a time; each table is described by its scan and set statements, its
 * key columns and how a box's associated data is named.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "store/db.h"
#include "core/log.h"
#include "store/rekey.h"
#include "auth/secretbox.h"

#define MAX_BOXES 5

struct table {
	const char *name;
	enum stmt_id scan, set;
	size_t nkeys;                   /* leading key columns of the scan */
	size_t nboxes;
	const char *what[MAX_BOXES];    /* names inside the associated data */
};

static const struct table tables[] = {
	{ "meetings", STMT_REKEY_MEETINGS_SCAN, STMT_REKEY_MEETINGS_SET, 1, 5,
	  { "passcode", "invite", "dial_in_password", "host_key", "host_url" } },
	{ "provider_tokens", STMT_REKEY_TOKENS_SCAN, STMT_REKEY_TOKENS_SET, 2, 2,
	  { "access", "refresh" } },
	{ "idempotency_keys", STMT_REKEY_IDEM_SCAN, STMT_REKEY_IDEM_SET, 2, 1, { "response" } },
};

/* The associated data a box of this table and row was sealed with. */
static const char *
aad(struct arena *a, const struct table *t, const struct db_rows *rows, size_t r, size_t box)
{
	if (t->scan == STMT_REKEY_MEETINGS_SCAN)
		return arena_printf(a, "meetings.%s:%s", t->what[box], db_cell(rows, r, 0));
	if (t->scan == STMT_REKEY_TOKENS_SCAN)
		return arena_printf(a, "provider_tokens.%s:%s:%s", t->what[box], db_cell(rows, r, 0),
		    db_cell(rows, r, 1));
	return arena_printf(a, "idempotency_keys.response:%s:%s", db_cell(rows, r, 0), db_cell(rows, r, 1));
}

/* Re-seals one row's boxes; *changed tells whether any moved. */
static enum err
reseal_row(struct db *db, struct arena *a, const struct secretbox *ring, const struct table *t,
    const struct db_rows *rows, size_t r, struct rekey_counts *out)
{
	struct db_val set[2 * MAX_BOXES + 2];
	size_t b, nset = 0, moved = 0;

	for (b = 0; b < t->nboxes; b++) {
		size_t col = t->nkeys + b, n = rows->lens[col], len, sealed_len;
		const unsigned char *box = (const unsigned char *)db_cell(rows, r, col);
		unsigned char *sealed;
		const char *ad;
		char *plain;

		set[b] = box != NULL ? DB_BLOB(box, n) : DB_NULL;
		if (box == NULL)
			continue;
		if (secretbox_is_current(ring, box, n)) {
			out->current++;
			continue;
		}
		if ((ad = aad(a, t, rows, r, b)) == NULL || (plain = arena_alloc(a, n)) == NULL ||
		    (sealed = arena_alloc(a, n)) == NULL)
			return ERR_NOMEM;
		if (secretbox_open(ring, ad, box, n, plain, n, &len) != ERR_OK) {
			out->unreadable++;
			log_msg(LOG_ERROR, "rekey", "a box in %s.%s_box no configured key opens", t->name, t->what[b]);
			continue;
		}
		if (secretbox_seal(ring, ad, plain, len, sealed, n, &sealed_len) != ERR_OK)
			return ERR_INTERNAL;
		memset(plain, 0, len);
		set[b] = DB_BLOB(sealed, sealed_len);
		moved++;
	}
	if (moved == 0)
		return ERR_OK;
	nset = t->nboxes;
	for (b = 0; b < t->nkeys; b++)
		set[nset++] = DB_STR(db_cell(rows, r, b));
	for (b = 0; b < t->nboxes; b++) {
		size_t col = t->nkeys + b;
		set[nset++] = db_cell(rows, r, col) != NULL ?
		    DB_BLOB(db_cell(rows, r, col), rows->lens[col]) : DB_NULL;
	}
	if (db_exec(db, t->set, set, nset, a, NULL, 0, NULL) != ERR_OK)
		return ERR_DB_UNAVAILABLE;
	out->resealed += (int64_t)moved;
	return ERR_OK;
}

static enum err
rekey_table(struct db *db, struct arena *a, const struct secretbox *ring, const struct table *t,
    struct rekey_counts *out)
{
	char last[2][256] = { "", "" };
	struct db_val after[2];
	struct db_rows rows;
	size_t r, k;
	enum err e;

	for (;;) {
		arena_reset(a);
		for (k = 0; k < t->nkeys; k++)
			after[k] = DB_STR(last[k]);
		if ((e = db_exec(db, t->scan, after, t->nkeys, a, &rows, 500, NULL)) != ERR_OK)
			return e;
		for (r = 0; r < rows.nrows; r++)
			if ((e = reseal_row(db, a, ring, t, &rows, r, out)) != ERR_OK)
				return e;
		if (rows.nrows < 500)
			return ERR_OK;
		for (k = 0; k < t->nkeys; k++)
			snprintf(last[k], sizeof(last[k]), "%s", db_cell(&rows, rows.nrows - 1, k));
	}
}

enum err
rekey_run(const struct config *cfg, struct rekey_counts *out)
{
	struct secretbox ring[SECRETBOX_MAX_KEYS];
	struct arena *a = NULL;
	struct db *db = NULL;
	enum err e = ERR_OK;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(ring, 0, sizeof(ring));
	if (cfg->data_key.len == 0 ||
	    !secretbox_ring_init(ring, &cfg->data_key, cfg->previous_keys, cfg->nprevious_keys)) {
		log_msg(LOG_ERROR, "rekey", "secrets.key_file must name the new data key");
		return ERR_CONFIG;
	}
	if ((a = arena_new(64u << 20)) == NULL || (db = db_new(cfg, NULL)) == NULL)
		e = ERR_NOMEM;
	else if ((e = db_connect(db)) != ERR_OK)
		log_msg(LOG_ERROR, "rekey", "cannot use the database: %s", err_name(e));
	for (i = 0; e == ERR_OK && i < sizeof(tables) / sizeof(tables[0]); i++)
		e = rekey_table(db, a, ring, &tables[i], out);
	db_free(db);
	arena_free(a);
	for (i = 0; i < SECRETBOX_MAX_KEYS; i++)
		secretbox_wipe(&ring[i]);
	if (e == ERR_OK && out->unreadable > 0)
		e = ERR_CONFIG;
	return e;
}
