/*
 * idp.c — see idp.h. The trust lives as long as the process's app; its
 * fetched sets are replaced only by a set that parses, so a bad row or a
 * database outage keeps verification going with the keys already held.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "store/db.h"
#include "auth/idp.h"
#include "auth/jws.h"
#include "core/log.h"

struct idp_trust {
	const struct config *cfg;
	struct jws_key *local_key;              /* NULL: config not usable (all local tokens refused) */
	struct token_issuer issuers[CONFIG_MAX_IDPS];
	struct jwks *sets[CONFIG_MAX_IDPS];     /* owned; what issuers[i].keys points at */
	char *texts[CONFIG_MAX_IDPS];           /* fetched sets: the text parsed, to skip re-parsing */
	size_t n;
	bool any_url;
	int64_t next_refresh_ms;                /* monotonic */
};

struct idp_trust *
idp_trust_new(const struct config *cfg)
{
	struct idp_trust *t = calloc(1, sizeof(*t));
	struct buf why;
	size_t i;

	if (t == NULL)
		return NULL;
	t->cfg = cfg;
	t->local_key = jws_key_from_config((enum jws_alg)cfg->jwt_algorithm, cfg->jwt_key.data, cfg->jwt_key.len);
	buf_init(&why, 1024);
	for (i = 0; i < cfg->nidps; i++) {
		const struct idp_config *d = &cfg->idps[i];

		t->issuers[i].iss = d->issuer;
		t->issuers[i].audience = d->audience;
		t->issuers[i].algs = d->algs;
		if (d->jwks_url != NULL)
			t->any_url = true;
		else if (d->jwks.data != NULL &&
		    jwks_parse((const char *)d->jwks.data, d->jwks.len, &t->sets[i], &why) == ERR_OK)
			t->issuers[i].keys = t->sets[i];
	}
	buf_free(&why);
	t->n = cfg->nidps;
	return t;
}

void
idp_trust_free(struct idp_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	jws_key_free(t->local_key);
	for (i = 0; i < t->n; i++) {
		jwks_free(t->sets[i]);
		free(t->texts[i]);
	}
	free(t);
}

/* Takes one stored row for provider i if it is newer text that parses. */
static void
take_row(struct idp_trust *t, size_t i, const char *text, size_t len)
{
	struct jwks *set;
	struct buf why;
	char *copy;

	if (t->texts[i] != NULL && strlen(t->texts[i]) == len && memcmp(t->texts[i], text, len) == 0)
		return;
	buf_init(&why, 1024);
	if (jwks_parse(text, len, &set, &why) != ERR_OK) {
		log_msg(LOG_WARN, "idp", "stored key set of [idp.%s] unusable: %s", t->cfg->idps[i].name,
		    buf_cstr(&why));
		buf_free(&why);
		return;
	}
	buf_free(&why);
	if ((copy = malloc(len + 1)) == NULL) {
		jwks_free(set);
		return;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	jwks_free(t->sets[i]);
	free(t->texts[i]);
	t->sets[i] = set;
	t->texts[i] = copy;
	t->issuers[i].keys = set;
}

/* Re-reads the fetched sets once the cache lapsed; one statement for all. */
static void
refresh(struct idp_trust *t, struct db *db, struct arena *a)
{
	struct db_rows rows;
	size_t i, r;

	if (!t->any_url || clock_mono_ms() < t->next_refresh_ms)
		return;
	t->next_refresh_ms = clock_mono_ms() + t->cfg->jwks_cache_ttl * 1000;
	if (db == NULL || db_exec(db, STMT_JWKS_ALL, NULL, 0, a, &rows, 64, NULL) != ERR_OK)
		return; /* keep what we hold; try again after the TTL */
	for (i = 0; i < t->n; i++) {
		const struct idp_config *d = &t->cfg->idps[i];
		bool found = false;

		if (d->jwks_url == NULL)
			continue;
		for (r = 0; r < rows.nrows; r++) {
			if (strcmp(db_cell(&rows, r, 0), d->name) == 0 && strcmp(db_cell(&rows, r, 1), d->jwks_url) == 0) {
				take_row(t, i, db_cell(&rows, r, 2), rows.lens[r * rows.ncols + 2]);
				found = true;
			}
		}
		if (!found && t->sets[i] != NULL) {
			/* the row names another URL now (config changed): drop */
			jwks_free(t->sets[i]);
			free(t->texts[i]);
			t->sets[i] = NULL;
			t->texts[i] = NULL;
			t->issuers[i].keys = NULL;
		}
	}
}

enum err
idp_verify(struct app *app, const char *token, struct arena *a, struct token_claims *out)
{
	struct token_policy p;
	struct idp_trust *t;

	if (app->trust == NULL && (app->trust = idp_trust_new(app->cfg)) == NULL)
		return ERR_NOMEM;
	t = app->trust;
	refresh(t, app->db, a);
	token_policy_from_config(app->cfg, &p);
	if (t->local_key == NULL)
		p.verify_key = NULL;    /* nothing to parse per call: refuse */
	p.local_key = t->local_key;
	p.idps = t->issuers;
	p.nidps = t->n;
	return token_verify(&p, token, (int64_t)time(NULL), a, out);
}
