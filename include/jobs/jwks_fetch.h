/*
 * jwks_fetch.h — the worker's fetch of identity providers' JWK Sets.
 *
 * Each [idp.NAME] with a jwks_url is fetched every jwks_refresh_interval
 * through the HTTP client and stored in the database for responders
 * (idp.h). Stale while error: a failed fetch (no answer, a status other
 * than 200, a body that is not a usable JWK Set) keeps the stored set, is
 * logged and counted in its row, and is tried again after at most 30 s; a
 * good fetch replaces the set.
 */
#ifndef MEETD_JWKS_FETCH_H
#define MEETD_JWKS_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/app.h"
#include "config/config.h"

/* Fetches every set whose time has come (next_ms[i], monotonic ms, is
 * past; all of them with force) and moves each next_ms on. Returns the
 * number of failed fetches. */
int jwks_fetch_due(struct app *app, int64_t next_ms[CONFIG_MAX_IDPS], bool force);

#endif
