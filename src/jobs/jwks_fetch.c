/*
 * jwks_fetch.c — see jwks_fetch.h. A set is parsed before it is stored,
 * so responders only ever read sets that verify something.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store/db.h"
#include "outbound/http_client.h"
#include "jobs/jwks_fetch.h"
#include "auth/jws.h"
#include "core/log.h"

#define RETRY_AFTER_FAILURE_MS 30000

/* One fetch; NULL on success, else a short reason for the row and log. */
static const char *
fetch_one(struct app *app, const struct idp_config *d, char *reason, size_t reason_len)
{
	struct http_call call = { .verb = HV_GET, .url = d->jwks_url, .what = "idp.jwks",
		.headers = { "Accept: application/jwk-set+json, application/json", NULL }, .idempotent = true };
	struct http_result res;
	struct db_val v[3];
	struct jwks *set = NULL;
	struct buf why;
	enum err e;

	buf_init(&why, 512);
	e = http_send(app->http, &call, &res);
	if (e != ERR_OK)
		snprintf(reason, reason_len, "fetch failed: %s", err_name(e));
	else if (res.status != 200)
		snprintf(reason, reason_len, "fetch answered HTTP %ld", res.status);
	else if (jwks_parse(buf_cstr(&res.body), res.body.len, &set, &why) != ERR_OK)
		snprintf(reason, reason_len, "not a usable JWK Set: %s", buf_cstr(&why));
	else
		reason[0] = '\0';
	jwks_free(set);
	buf_free(&why);
	if (reason[0] == '\0') {
		v[0] = DB_STR(d->name);
		v[1] = DB_STR(d->jwks_url);
		v[2] = DB_BLOB(buf_cstr(&res.body), res.body.len);
		if (db_exec(app->db, STMT_JWKS_GOOD, v, 3, NULL, NULL, 0, NULL) != ERR_OK)
			snprintf(reason, reason_len, "could not store the set");
	}
	http_result_free(&res);
	return reason[0] != '\0' ? reason : NULL;
}

int
jwks_fetch_due(struct app *app, int64_t next_ms[CONFIG_MAX_IDPS], bool force)
{
	char reason[256];
	struct db_val v[3];
	int64_t now;
	size_t i;
	int failed = 0;

	for (i = 0; i < app->cfg->nidps; i++) {
		const struct idp_config *d = &app->cfg->idps[i];
		const char *why;

		now = clock_mono_ms();
		if (d->jwks_url == NULL || (!force && now < next_ms[i]))
			continue;
		if ((why = fetch_one(app, d, reason, sizeof(reason))) == NULL) {
			log_msg(LOG_INFO, "jwks", "[idp.%s] key set fetched", d->name);
			next_ms[i] = clock_mono_ms() + d->jwks_refresh_interval * 1000;
			continue;
		}
		failed++;
		/* stale while error: the stored set stays; count and retry soon */
		log_msg(LOG_WARN, "jwks", "[idp.%s] %s; keeping the last good key set", d->name, why);
		v[0] = DB_STR(d->name);
		v[1] = DB_STR(d->jwks_url);
		v[2] = DB_STR(why);
		if (db_exec(app->db, STMT_JWKS_FAILED, v, 3, NULL, NULL, 0, NULL) != ERR_OK)
			log_msg(LOG_WARN, "jwks", "[idp.%s] could not record the failure", d->name);
		next_ms[i] = clock_mono_ms() + (d->jwks_refresh_interval * 1000 < RETRY_AFTER_FAILURE_MS ?
		    d->jwks_refresh_interval * 1000 : RETRY_AFTER_FAILURE_MS);
	}
	return failed;
}
