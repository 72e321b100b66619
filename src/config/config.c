/*
 * config.c — the key table and the INI reader.
 *
 * Each key is one row: where it lives (section, name), how to parse it
 * (type, bounds), where it goes (offset into struct config), its default
 * and a line of help. Defaults are parsed by the same setters as file
 * values, so a default can never be out of bounds unnoticed. Adding a
 * key is adding a row.
 *
 * Longer than our files usually are, on purpose: the table, its setters,
 * the cross-key checks and the [idp.NAME] sections are one reader with one
 * set of invariants; split, they would drift apart.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "auth/jws.h"
#include "core/parse.h"
#include "auth/secretbox.h"

enum key_type { KT_STRING, KT_PATH, KT_SECRET, KT_INT, KT_SIZE, KT_BOOL, KT_MODE, KT_LOGLEVEL, KT_JWTALG,
	KT_RATE, KT_DURATION };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	int64_t min, max;
	const char *def;        /* NULL: empty/unset */
	const char *help;
};

#define OFF(field) offsetof(struct config, field)

static const struct key keys[] = {
	{ "server", "listen", KT_PATH, OFF(listen), 0, 0, "/run/meetd/meetd.sock",
	  "unix socket nginx connects to (ignored under systemd socket activation)" },
	{ "server", "listen_mode", KT_MODE, OFF(listen_mode), 0, 0777, "0660",
	  "permissions of the socket we create" },
	{ "server", "backlog", KT_INT, OFF(backlog), 16, 65535, "1024",
	  "listen queue length" },
	{ "server", "responders", KT_INT, OFF(responders), 1, 256, "4",
	  "number of FastCGI responder processes" },
	{ "server", "max_requests", KT_INT, OFF(max_requests), 0, 100000000, "10000",
	  "requests a responder serves before it is recycled (0: never)" },
	{ "server", "request_timeout", KT_INT, OFF(request_timeout), 1, 3600, "30",
	  "seconds a request may run before its responder is killed" },
	{ "server", "stop_timeout", KT_INT, OFF(stop_timeout), 1, 3600, "10",
	  "seconds to drain in-flight requests on stop or reload" },
	{ "server", "public_url", KT_STRING, OFF(public_url), 0, 0, "http://127.0.0.1:8080",
	  "the address users reach meetd at (no trailing slash): invitation and room links start with it" },
	{ "server", "body_limit", KT_SIZE, OFF(body_limit), 1024, 64 * 1024 * 1024, "1m",
	  "largest request body accepted from an authenticated caller" },
	{ "server", "body_limit_anonymous", KT_SIZE, OFF(body_limit_anonymous), 256, 64 * 1024 * 1024, "16k",
	  "largest request body accepted before authentication" },

	{ "database", "socket", KT_STRING, OFF(db_socket), 0, 0, "/run/mysqld/mysqld.sock",
	  "MariaDB unix socket (empty: use host and port)" },
	{ "database", "host", KT_STRING, OFF(db_host), 0, 0, NULL,
	  "MariaDB host when no socket is set" },
	{ "database", "port", KT_INT, OFF(db_port), 1, 65535, "3306", "MariaDB TCP port" },
	{ "database", "name", KT_STRING, OFF(db_name), 0, 0, "meetd", "database name" },
	{ "database", "user", KT_STRING, OFF(db_user), 0, 0, "meetd", "database user" },
	{ "database", "password_file", KT_SECRET, OFF(db_password_file), 0, 0, NULL,
	  "file or credential holding the database password (empty: none, e.g. unix_socket auth)" },
	{ "database", "connect_timeout", KT_INT, OFF(db_connect_timeout), 1, 60, "2",
	  "seconds to wait for a database connection" },
	{ "database", "io_timeout", KT_INT, OFF(db_io_timeout), 1, 600, "2",
	  "seconds a database read or write may block" },
	{ "database", "lock_wait_timeout", KT_INT, OFF(db_lock_wait_timeout), 1, 599, "1",
	  "seconds a write waits for a row lock before its transaction is retried (below io_timeout)" },

	{ "auth", "jwt_algorithm", KT_JWTALG, OFF(jwt_algorithm), 0, 0, "HS256",
	  "the only JWT algorithm accepted: HS256, RS256 or ES256" },
	{ "auth", "jwt_key_file", KT_SECRET, OFF(jwt_key_file), 0, 0, "jwt.key",
	  "HS256 secret (>= 32 bytes) or PEM public key; a path or a credential name" },
	{ "auth", "jwt_signing_key_file", KT_SECRET, OFF(jwt_signing_key_file), 0, 0, NULL,
	  "PEM private key for RS256/ES256 (login, meetd token); unused for HS256" },
	{ "auth", "jwt_issuer", KT_STRING, OFF(jwt_issuer), 0, 0, NULL,
	  "required iss claim (empty: not checked)" },
	{ "auth", "jwt_audience", KT_STRING, OFF(jwt_audience), 0, 0, NULL,
	  "required aud claim (empty: not checked)" },
	{ "auth", "jwt_key_id", KT_STRING, OFF(jwt_key_id), 0, 0, NULL,
	  "required kid header (empty: tokens must carry no kid)" },
	{ "auth", "jwt_leeway", KT_INT, OFF(jwt_leeway), 0, 60, "30",
	  "seconds of clock skew allowed on exp and nbf" },
	{ "auth", "jwt_max_bytes", KT_INT, OFF(jwt_max_bytes), 256, 16384, "4096",
	  "longest bearer token accepted" },
	{ "auth", "jwks_cache_ttl", KT_DURATION, OFF(jwks_cache_ttl), 1, 600, "30s",
	  "how long a responder reuses the identity providers' key sets the worker fetched" },
	{ "auth", "token_ttl", KT_INT, OFF(token_ttl), 60, 30 * 86400, "3600",
	  "lifetime of tokens issued at login" },
	{ "auth", "scrypt_log2n", KT_INT, OFF(scrypt_log2n), 10, 20, "15",
	  "scrypt cost N = 2^value for new password hashes (r=8, p=1)" },
	{ "auth", "registration", KT_BOOL, OFF(registration), 0, 0, "on",
	  "allow POST /api/v1/auth/register" },

	{ "secrets", "key_file", KT_SECRET, OFF(data_key_file), 0, 0, NULL,
	  "file or credential holding the 256-bit data key (64 hex digits) that seals passcodes and tokens at rest" },

	{ "secrets", "previous_key_files", KT_STRING, OFF(previous_key_files), 0, 0, NULL,
	  "comma-separated files or credentials of earlier data keys, kept while `meetd rekey` re-seals their boxes" },

	{ "http", "connect_timeout", KT_DURATION, OFF(http_connect_timeout), 1, 60, "5s",
	  "connecting to a platform's API" },
	{ "http", "timeout", KT_DURATION, OFF(http_timeout), 1, 300, "30s",
	  "a whole platform call, retries included (000: 30 s)" },
	{ "http", "max_response", KT_SIZE, OFF(http_max_response), 1024, 64 * 1024 * 1024, "1m",
	  "largest platform answer read; a larger one fails the call" },
	{ "http", "retries", KT_INT, OFF(http_retries), 0, 10, "2",
	  "repeats after 429, 5xx or a time-out, only where repeating is safe" },
	{ "http", "retry_max_wait", KT_DURATION, OFF(http_retry_max_wait), 0, 300, "10s",
	  "longest Retry-After waited for inside one request; longer ones are passed to the client" },

	{ "zoom", "account_id", KT_STRING, OFF(zoom_account_id), 0, 0, NULL,
	  "Server-to-Server OAuth app: account id (with client_id and client_secret_file)" },
	{ "zoom", "client_id", KT_STRING, OFF(zoom_client_id), 0, 0, NULL,
	  "OAuth client id (Server-to-Server app, and the user OAuth app of /api/zoom/auth)" },
	{ "zoom", "client_secret_file", KT_SECRET, OFF(zoom_client_secret_file), 0, 0, NULL,
	  "file or credential holding the OAuth client secret" },
	{ "zoom", "webhook_secret_file", KT_SECRET, OFF(zoom_webhook_secret_file), 0, 0, NULL,
	  "file or credential holding the webhook secret token (x-zm-signature)" },
	{ "zoom", "jwt_api_key", KT_STRING, OFF(zoom_jwt_api_key), 0, 0, NULL,
	  "legacy JWT app (000) API key; Zoom retired JWT apps in 2023, prefer Server-to-Server OAuth" },
	{ "zoom", "jwt_api_secret_file", KT_SECRET, OFF(zoom_jwt_api_secret_file), 0, 0, NULL,
	  "file or credential holding the legacy JWT app's API secret" },
	{ "zoom", "user_id", KT_STRING, OFF(zoom_user_id), 0, 0, "me",
	  "Zoom user that hosts meetings created with the account's credentials" },
	{ "zoom", "oauth_url", KT_STRING, OFF(zoom_oauth_url), 0, 0, "https://zoom.us",
	  "base of /oauth/token and /oauth/authorize" },
	{ "zoom", "api_url", KT_STRING, OFF(zoom_api_url), 0, 0, "https://api.zoom.us/v2",
	  "base of the meetings REST API" },
	{ "zoom", "redirect_uri", KT_STRING, OFF(zoom_redirect_uri), 0, 0, NULL,
	  "user OAuth redirect URI (default: server.public_url + /api/zoom/auth/callback)" },
	{ "zoom", "daily_limit", KT_RATE, OFF(zoom_daily_limit), 1, 0, "100/24h",
	  "Zoom's per-user create/update quota, charged in meetd's limiter before calling" },

	{ "google", "service_account_file", KT_SECRET, OFF(google_service_account_file), 0, 0, NULL,
	  "file or credential holding the service account's JSON key" },
	{ "google", "subject", KT_STRING, OFF(google_subject), 0, 0, NULL,
	  "user to act as through domain-wide delegation (needed to invite attendees)" },
	{ "google", "calendar_id", KT_STRING, OFF(google_calendar_id), 0, 0, "primary",
	  "calendar that holds the events carrying Meet conferences" },
	{ "google", "token_url", KT_STRING, OFF(google_token_url), 0, 0, "https://oauth2.googleapis.com/token",
	  "OAuth token endpoint (the assertion's audience)" },
	{ "google", "api_url", KT_STRING, OFF(google_api_url), 0, 0, "https://www.googleapis.com/calendar/v3",
	  "base of the Calendar API" },

	{ "teams", "tenant_id", KT_STRING, OFF(teams_tenant_id), 0, 0, NULL,
	  "Microsoft Entra tenant (client credentials)" },
	{ "teams", "client_id", KT_STRING, OFF(teams_client_id), 0, 0, NULL,
	  "application (client) id" },
	{ "teams", "client_secret_file", KT_SECRET, OFF(teams_client_secret_file), 0, 0, NULL,
	  "file or credential holding the client secret" },
	{ "teams", "user_id", KT_STRING, OFF(teams_user_id), 0, 0, NULL,
	  "organizer's user id or UPN (needs an application access policy)" },
	{ "teams", "login_url", KT_STRING, OFF(teams_login_url), 0, 0, "https://login.microsoftonline.com",
	  "base of /{tenant}/oauth2/v2.0/token" },
	{ "teams", "graph_url", KT_STRING, OFF(teams_graph_url), 0, 0, "https://graph.microsoft.com/v1.0",
	  "base of Microsoft Graph" },

	{ "webex", "access_token_file", KT_SECRET, OFF(webex_access_token_file), 0, 0, NULL,
	  "file or credential holding a bot or integration access token" },
	{ "webex", "api_url", KT_STRING, OFF(webex_api_url), 0, 0, "https://webexapis.com/v1",
	  "base of the Webex REST API" },

	{ "jitsi", "enabled", KT_BOOL, OFF(jitsi_enabled), 0, 0, "on",
	  "offer Jitsi rooms (no keys needed)" },
	{ "jitsi", "domain", KT_STRING, OFF(jitsi_domain), 0, 0, "meet.jit.si",
	  "Jitsi Meet host the room links point at" },
	{ "jitsi", "room_prefix", KT_STRING, OFF(jitsi_room_prefix), 0, 0, "meetd",
	  "room names are <prefix>-<unguessable>" },
	{ "jitsi", "app_id", KT_STRING, OFF(jitsi_app_id), 0, 0, NULL,
	  "token auth: the JWT issuer prosody accepts (with app_secret_file)" },
	{ "jitsi", "app_secret_file", KT_SECRET, OFF(jitsi_app_secret_file), 0, 0, NULL,
	  "token auth: file or credential holding prosody's app_secret (HS256)" },
	{ "jitsi", "audience", KT_STRING, OFF(jitsi_audience), 0, 0, "jitsi",
	  "token auth: the JWT audience" },
	{ "jitsi", "token_ttl", KT_DURATION, OFF(jitsi_token_ttl), 60, 86400, "2h",
	  "lifetime of a room token" },

	{ "livekit", "url", KT_STRING, OFF(livekit_url), 0, 0, NULL,
	  "LiveKit server URL given to clients (wss://...)" },
	{ "livekit", "api_key", KT_STRING, OFF(livekit_api_key), 0, 0, NULL,
	  "API key (the token's issuer)" },
	{ "livekit", "api_secret_file", KT_SECRET, OFF(livekit_api_secret_file), 0, 0, NULL,
	  "file or credential holding the API secret (HS256)" },
	{ "livekit", "token_ttl", KT_DURATION, OFF(livekit_token_ttl), 60, 86400, "6h",
	  "lifetime of an access token" },

	{ "facetime", "enabled", KT_BOOL, OFF(facetime_enabled), 0, 0, "on",
	  "offer FaceTime links built from the organizer's Apple ID (no server API exists)" },

	{ "webhooks", "secret_file", KT_SECRET, OFF(webhook_secret_file), 0, 0, NULL,
	  "file or credential holding the shared secret of POST /api/webhooks/meeting (x-webhook-signature)" },
	{ "webhooks", "tolerance", KT_DURATION, OFF(webhook_tolerance), 10, 3600, "5m",
	  "how old a signed webhook timestamp may be" },

	{ "realtime", "publish_urls", KT_STRING, OFF(realtime_publish_urls), 0, 0, "http://127.0.0.1:8090",
	  "nchan publisher bases meetd posts every event to, comma-separated (one per nchan node; empty: off)" },
	{ "realtime", "ticket_ttl", KT_DURATION, OFF(realtime_ticket_ttl), 5, 60, "60s",
	  "lifetime of a single-use subscription ticket" },
	{ "realtime", "presence_grace", KT_DURATION, OFF(realtime_presence_grace), 1, 86400, "60s",
	  "how long a participant with no live connection keeps their seat" },
	{ "realtime", "resume_window", KT_DURATION, OFF(realtime_resume_window), 60, 30 * 86400, "24h",
	  "how long events stay readable by GET /api/v1/meetings/{id}/events" },
	{ "realtime", "sweep_interval", KT_DURATION, OFF(realtime_sweep_interval), 1, 3600, "30s",
	  "how often the worker compares connection counts with nchan's" },

	{ "limits", "meeting", KT_RATE, OFF(limit_meeting), 1, 0, "100/1h",
	  "meeting management writes per user (requests/period, period in s, m or h)" },
	{ "limits", "participant", KT_RATE, OFF(limit_participant), 1, 0, "1000/1h",
	  "participant actions (join, leave, invitation lookups) per user" },
	{ "limits", "chat", KT_RATE, OFF(limit_chat), 1, 0, "60/1m",
	  "chat messages per user" },
	{ "limits", "status", KT_RATE, OFF(limit_status), 1, 0, "120/1m",
	  "status reads and updates per user" },
	{ "limits", "websocket", KT_RATE, OFF(limit_realtime), 1, 0, "1000/1m",
	  "real-time signals a user sends (POST .../signals)" },
	{ "limits", "create_per_platform", KT_RATE, OFF(limit_create_platform), 1, 0, "100/1h",
	  "meetings created per user per platform (000)" },
	{ "limits", "passcode_attempts", KT_INT, OFF(passcode_attempts), 1, 1000, "10",
	  "wrong passcodes per meeting and per client address before a lock" },
	{ "limits", "passcode_window", KT_DURATION, OFF(passcode_window), 1, 86400, "1h",
	  "the passcode lock lasts until this long after the first wrong passcode" },

	{ "log", "level", KT_LOGLEVEL, OFF(log_level), 0, 0, "info",
	  "debug, info, warn or error" },
	{ "log", "access_log", KT_BOOL, OFF(access_log), 0, 0, "on",
	  "one structured line per request" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const jwt_alg_names[CFG_JWT__MAX] = { "HS256", "RS256", "ES256" };

const char *
config_jwt_alg_name(enum jwt_alg_id alg)
{
	return (unsigned)alg < CFG_JWT__MAX ? jwt_alg_names[alg] : "?";
}

/* Sets one key from text; on failure returns a static reason. */
static const char *
set_value(struct config *cfg, const struct key *k, const char *v)
{
	void *field = (char *)cfg + k->offset;
	int64_t i;
	uint64_t u;
	size_t j;

	switch (k->type) {
	case KT_PATH:
		if (v[0] != '\0' && v[0] != '/')
			return "must be an absolute path";
		/* FALLTHROUGH */
	case KT_STRING:
	case KT_SECRET: {
		char **s = field;
		char *copy;

		for (j = 0; v[j] != '\0'; j++)
			if ((unsigned char)v[j] < 0x20)
				return "contains a control character";
		if (strlen(v) > 1024)
			return "is longer than 1024 characters";
		if ((copy = strdup(v)) == NULL)
			return "out of memory";
		free(*s);
		*s = v[0] != '\0' ? copy : NULL;
		if (*s == NULL)
			free(copy);
		return NULL;
	}
	case KT_INT:
		if (parse_i64z(v, k->min, k->max, &i) != ERR_OK)
			return "must be an integer within bounds";
		*(int64_t *)field = i;
		return NULL;
	case KT_SIZE:
		if (parse_size(v, (uint64_t)k->min, (uint64_t)k->max, &u) != ERR_OK)
			return "must be a size (bytes, or with k/m/g) within bounds";
		*(int64_t *)field = (int64_t)u;
		return NULL;
	case KT_BOOL:
		if (parse_bool(v, (bool *)field) != ERR_OK)
			return "must be on or off";
		return NULL;
	case KT_MODE:
		if (parse_mode(v, (unsigned *)field) != ERR_OK)
			return "must be an octal mode such as 0660";
		return NULL;
	case KT_LOGLEVEL:
		if (!log_level_parse(v, (enum log_level *)field))
			return "must be debug, info, warn or error";
		return NULL;
	case KT_JWTALG:
		for (j = 0; j < CFG_JWT__MAX; j++) {
			if (strcmp(v, jwt_alg_names[j]) == 0) {
				*(enum jwt_alg_id *)field = (enum jwt_alg_id)j;
				return NULL;
			}
		}
		return "must be HS256, RS256 or ES256";
	case KT_RATE:
		if (parse_rate(v, (struct rate *)field) != ERR_OK)
			return "must be requests/period, such as 100/1h (period 1 s to 1 day)";
		return NULL;
	case KT_DURATION:
		if (parse_duration_s(v, k->min, k->max, &i) != ERR_OK)
			return "must be a duration such as 90s, 10m or 1h, within bounds";
		*(int64_t *)field = i;
		return NULL;
	}
	return "unknown type";
}

static const struct key *
find_key(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool
section_known(const char *section)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0)
			return true;
	return false;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static void
bounds_hint(struct buf *errs, const struct key *k)
{
	if (k->type == KT_INT || k->type == KT_SIZE)
		buf_printf(errs, " (%lld..%lld)", (long long)k->min, (long long)k->max);
}

/* Cross-key rules that a single row cannot express. */
static void
check_consistency(const struct config *cfg, struct buf *errs)
{
	if (cfg->body_limit_anonymous > cfg->body_limit)
		buf_printf(errs, "%s: server.body_limit_anonymous must not exceed server.body_limit\n", cfg->path);
	if (cfg->listen == NULL)
		buf_printf(errs, "%s: server.listen must be set\n", cfg->path);
	if (cfg->db_socket == NULL && cfg->db_host == NULL)
		buf_printf(errs, "%s: database.socket or database.host must be set\n", cfg->path);
	if (cfg->db_name == NULL || cfg->db_user == NULL)
		buf_printf(errs, "%s: database.name and database.user must be set\n", cfg->path);
	/* a lock wait the client's read timeout cuts short ends as a lost
	 * connection (outcome unknown, never retried) instead of a clean 1205 */
	if (cfg->db_lock_wait_timeout >= cfg->db_io_timeout)
		buf_printf(errs, "%s: database.lock_wait_timeout must be below database.io_timeout\n", cfg->path);
	if (cfg->jwt_key_file == NULL)
		buf_printf(errs, "%s: auth.jwt_key_file must be set\n", cfg->path);
}

/* "<directory of path>/credentials"; caller owns. NULL: out of memory. */
static char *
credentials_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
	const char *dir = slash == NULL ? "." : path;
	char *out;

	if ((out = malloc(n + sizeof("/credentials"))) == NULL)
		return NULL;
	memcpy(out, dir, n);
	memcpy(out + n, "/credentials", sizeof("/credentials"));
	return out;
}

/* --- [idp.NAME] sections ------------------------------------------------ */

#define IDP_PREFIX "idp."

static bool
idp_name_ok(const char *n)
{
	size_t i;

	for (i = 0; n[i] != '\0'; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '-' || n[i] == '_'))
			return false;
	return i > 0 && i < CONFIG_IDP_NAME_MAX;
}

/* Starts the section [idp.NAME]; NULL (reason in errs) if it cannot. */
static struct idp_config *
idp_section(struct config *cfg, const char *name, struct buf *errs, const char *where)
{
	struct idp_config *d;
	size_t i;

	if (!idp_name_ok(name)) {
		buf_printf(errs, "%s: [idp.%s]: the name must be 1 to %d of a-z, 0-9, - and _\n", where, name,
		    CONFIG_IDP_NAME_MAX - 1);
		return NULL;
	}
	for (i = 0; i < cfg->nidps; i++) {
		if (strcmp(cfg->idps[i].name, name) == 0) {
			buf_printf(errs, "%s: duplicate section [idp.%s]\n", where, name);
			return NULL;
		}
	}
	if (cfg->nidps == CONFIG_MAX_IDPS) {
		buf_printf(errs, "%s: at most %d [idp.*] sections\n", where, CONFIG_MAX_IDPS);
		return NULL;
	}
	d = &cfg->idps[cfg->nidps++];
	memcpy(d->name, name, strlen(name) + 1);
	d->jwks_refresh_interval = 600;
	return d;
}

/* "RS256, ES256" into bits; providers sign with public keys only. */
static const char *
idp_algorithms(const char *v, unsigned *out)
{
	char name[16];
	size_t n;
	enum jws_alg a;

	*out = 0;
	while (*v != '\0') {
		while (*v == ' ' || *v == ',')
			v++;
		for (n = 0; v[n] != '\0' && v[n] != ',' && v[n] != ' '; n++)
			;
		if (n == 0)
			break;
		if (n >= sizeof(name))
			return "must list RS256, ES256 or EdDSA, comma-separated";
		memcpy(name, v, n);
		name[n] = '\0';
		if (!jws_alg_parse(name, &a) || a == JWS_HS256)
			return "must list RS256, ES256 or EdDSA, comma-separated";
		*out |= 1u << a;
		v += n;
	}
	return *out != 0 ? NULL : "must list at least one of RS256, ES256, EdDSA";
}

static const char *
idp_string(char **field, const char *v)
{
	size_t j;

	for (j = 0; v[j] != '\0'; j++)
		if ((unsigned char)v[j] < 0x21)
			return "must not contain spaces or control characters";
	if (j == 0 || j > 1024)
		return "must be 1 to 1024 characters";
	free(*field);
	if ((*field = strdup(v)) == NULL)
		return "out of memory";
	return NULL;
}

static bool
url_allowed(const char *u)
{
	static const char *const loopback[] = { "http://127.0.0.1:", "http://127.0.0.1/",
		"http://localhost:", "http://localhost/", "http://[::1]:", "http://[::1]/" };
	size_t i;

	if (strncmp(u, "https://", 8) == 0 && u[8] != '\0')
		return true;
	/* plain http only to this host (a local proxy or a test server) */
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strncmp(u, loopback[i], strlen(loopback[i])) == 0)
			return true;
	return false;
}

static const char *
idp_set(struct idp_config *d, const char *name, const char *v, unsigned *seen)
{
	static const char *const names[] = { "issuer", "audience", "algorithms", "jwks_file", "jwks_url",
		"jwks_refresh_interval" };
	size_t i;
	int64_t s;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			break;
	if (i == sizeof(names) / sizeof(names[0]))
		return "is not a key of [idp.*] (issuer, audience, algorithms, jwks_file, jwks_url, "
		    "jwks_refresh_interval)";
	if (*seen & (1u << i))
		return "is set twice";
	*seen |= 1u << i;
	switch (i) {
	case 0: return idp_string(&d->issuer, v);
	case 1: return idp_string(&d->audience, v);
	case 2: return idp_algorithms(v, &d->algs);
	case 3:
		if (v[0] != '/')
			return "must be an absolute path";
		return idp_string(&d->jwks_file, v);
	case 4:
		if (!url_allowed(v))
			return "must be an https:// URL (http:// only to 127.0.0.1, localhost or [::1])";
		return idp_string(&d->jwks_url, v);
	default:
		if (parse_duration_s(v, 1, 86400, &s) != ERR_OK)
			return "must be a duration from 1s to 24h, such as 10m";
		d->jwks_refresh_interval = s;
		return NULL;
	}
}

static void
idp_check(const struct config *cfg, struct buf *errs)
{
	const char *local = cfg->jwt_issuer != NULL ? cfg->jwt_issuer : "meetd";
	size_t i, j;

	for (i = 0; i < cfg->nidps; i++) {
		const struct idp_config *d = &cfg->idps[i];

		if (d->issuer == NULL || d->audience == NULL || d->algs == 0)
			buf_printf(errs, "%s: [idp.%s] needs issuer, audience and algorithms\n", cfg->path, d->name);
		if ((d->jwks_file == NULL) == (d->jwks_url == NULL))
			buf_printf(errs, "%s: [idp.%s] needs exactly one of jwks_file and jwks_url\n", cfg->path,
			    d->name);
		if (d->issuer != NULL && strcmp(d->issuer, local) == 0)
			buf_printf(errs, "%s: [idp.%s] issuer is meetd's own (auth.jwt_issuer)\n", cfg->path, d->name);
		for (j = 0; j < i; j++)
			if (d->issuer != NULL && cfg->idps[j].issuer != NULL &&
			    strcmp(d->issuer, cfg->idps[j].issuer) == 0)
				buf_printf(errs, "%s: [idp.%s] has the issuer of [idp.%s]\n", cfg->path, d->name,
				    cfg->idps[j].name);
	}
}

enum err
config_load(const char *path, struct config **out, struct buf *errs)
{
	struct config *cfg;
	char line[4096], section[64] = "";
	bool seen[NKEYS] = { false };
	unsigned idp_seen = 0;
	struct idp_config *idp = NULL;
	size_t i, lineno = 0, errs_before = errs->len;
	FILE *f;

	*out = NULL;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return ERR_NOMEM;
	if ((cfg->path = strdup(path)) == NULL ||
	    (cfg->credentials_dir = credentials_dir_of(path)) == NULL) {
		free(cfg->path);
	free(cfg->credentials_dir);
		free(cfg);
		return ERR_NOMEM;
	}
	for (i = 0; i < NKEYS; i++) {
		const char *why = set_value(cfg, &keys[i], keys[i].def ? keys[i].def : "");
		if (why != NULL)
			buf_printf(errs, "built-in default of %s.%s %s\n", keys[i].section, keys[i].name, why);
	}
	if ((f = fopen(path, "re")) == NULL) {
		buf_printf(errs, "%s: cannot open: %s\n", path, strerror(errno));
		config_free(cfg);
		return ERR_CONFIG;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *name, *value;
		const struct key *k;
		const char *why;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			int c;
			buf_printf(errs, "%s:%zu: line longer than %zu characters\n", path, lineno, sizeof(line) - 2);
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (end == NULL || end[1] != '\0' || (size_t)(end - s - 1) >= sizeof(section)) {
				buf_printf(errs, "%s:%zu: malformed section header\n", path, lineno);
				continue;
			}
			*end = '\0';
			memcpy(section, s + 1, strlen(s + 1) + 1);
			idp = NULL;
			if (strncmp(section, IDP_PREFIX, strlen(IDP_PREFIX)) == 0) {
				idp = idp_section(cfg, section + strlen(IDP_PREFIX), errs, path);
				idp_seen = 0;
				continue;
			}
			if (!section_known(section))
				buf_printf(errs, "%s:%zu: unknown section [%s]\n", path, lineno, section);
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			buf_printf(errs, "%s:%zu: expected 'key = value'\n", path, lineno);
			continue;
		}
		*eq = '\0';
		name = trim(s);
		value = trim(eq + 1);
		if (section[0] == '\0') {
			buf_printf(errs, "%s:%zu: key '%s' outside any [section]\n", path, lineno, name);
			continue;
		}
		if (strncmp(section, IDP_PREFIX, strlen(IDP_PREFIX)) == 0) {
			if (idp != NULL && (why = idp_set(idp, name, value, &idp_seen)) != NULL)
				buf_printf(errs, "%s:%zu: [%s] %s %s\n", path, lineno, section, name, why);
			continue;       /* a bad section header was reported there */
		}
		if (!section_known(section))
			continue;       /* already reported at the header */
		if ((k = find_key(section, name)) == NULL) {
			buf_printf(errs, "%s:%zu: unknown key '%s' in [%s]\n", path, lineno, name, section);
			continue;
		}
		if (seen[k - keys]) {
			buf_printf(errs, "%s:%zu: duplicate key '%s' in [%s]\n", path, lineno, name, section);
			continue;
		}
		seen[k - keys] = true;
		if ((why = set_value(cfg, k, value)) != NULL) {
			buf_printf(errs, "%s:%zu: %s.%s %s", path, lineno, section, name, why);
			bounds_hint(errs, k);
			buf_putc(errs, '\n');
		}
	}
	fclose(f);
	check_consistency(cfg, errs);
	idp_check(cfg, errs);
	if (errs->len != errs_before || errs->failed) {
		config_free(cfg);
		return ERR_CONFIG;
	}
	*out = cfg;
	return ERR_OK;
}

/* Platform secrets: loaded when their *_file key is set. */
static const struct {
	size_t file, secret;
} platform_secrets[] = {
	{ OFF(zoom_client_secret_file), OFF(zoom_client_secret) },
	{ OFF(zoom_webhook_secret_file), OFF(zoom_webhook_secret) },
	{ OFF(zoom_jwt_api_secret_file), OFF(zoom_jwt_api_secret) },
	{ OFF(google_service_account_file), OFF(google_service_account) },
	{ OFF(teams_client_secret_file), OFF(teams_client_secret) },
	{ OFF(webex_access_token_file), OFF(webex_access_token) },
	{ OFF(jitsi_app_secret_file), OFF(jitsi_app_secret) },
	{ OFF(livekit_api_secret_file), OFF(livekit_api_secret) },
	{ OFF(webhook_secret_file), OFF(webhook_secret) },
};

/* secrets.previous_key_files: comma-separated references, each a key. */
static enum err
load_previous_keys(struct config *cfg, struct buf *errs)
{
	const size_t max = sizeof(cfg->previous_keys) / sizeof(cfg->previous_keys[0]);
	char ref[1025];
	const char *p = cfg->previous_key_files, *comma;
	size_t n;

	while (*p != '\0') {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && p[0] == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0) {
			if (cfg->nprevious_keys == max || n >= sizeof(ref)) {
				buf_printf(errs, "secrets.previous_key_files: at most %zu keys\n", max);
				return ERR_CONFIG;
			}
			memcpy(ref, p, n);
			ref[n] = '\0';
			if (secret_load_from(ref, cfg->credentials_dir,
			    &cfg->previous_keys[cfg->nprevious_keys], errs) != ERR_OK)
				return ERR_CONFIG;
			if (!secretbox_key_valid(&cfg->previous_keys[cfg->nprevious_keys++])) {
				buf_printf(errs, "secrets.previous_key_files: %s must hold 64 hex digits\n", ref);
				return ERR_CONFIG;
			}
		}
		p += comma != NULL ? (size_t)(comma - p) + 1 : strlen(p);
	}
	return ERR_OK;
}

/* A public file (a JWK Set holds no secret, so any mode is fine), at
 * most 1 MiB, NUL-terminated. */
static bool
read_public(const char *path, struct secret *out)
{
	const size_t max = 1024 * 1024;
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return false;
	if ((out->data = malloc(max + 1)) == NULL) {
		fclose(f);
		return false;
	}
	n = fread(out->data, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		errno = EFBIG;
		secret_clear(out);
		return false;
	}
	out->data[n] = '\0';
	out->len = n;
	return true;
}

/* Each jwks_file is read and parsed now, so `meetd -t` and a reload
 * refuse a set that would verify nothing. */
static enum err
load_jwks_files(struct config *cfg, struct buf *errs)
{
	struct jwks *set;
	struct buf why;
	enum err e = ERR_OK;
	size_t i;

	buf_init(&why, 1024);
	for (i = 0; i < cfg->nidps; i++) {
		struct idp_config *d = &cfg->idps[i];

		if (d->jwks_file == NULL)
			continue;
		if (!read_public(d->jwks_file, &d->jwks)) {
			buf_printf(errs, "[idp.%s] jwks_file %s: cannot read (or larger than 1 MiB): %s\n", d->name,
			    d->jwks_file, strerror(errno));
			e = ERR_CONFIG;
			continue;
		}
		buf_reset(&why);
		if (jwks_parse((const char *)d->jwks.data, d->jwks.len, &set, &why) != ERR_OK) {
			buf_printf(errs, "[idp.%s] jwks_file %s: %s\n", d->name, d->jwks_file, buf_cstr(&why));
			e = ERR_CONFIG;
			continue;
		}
		jwks_free(set);
	}
	buf_free(&why);
	return e;
}

enum err
config_load_secrets(struct config *cfg, struct buf *errs)
{
	enum err e = ERR_OK;
	size_t i;

	if (secret_load_from(cfg->jwt_key_file, cfg->credentials_dir, &cfg->jwt_key, errs) != ERR_OK)
		e = ERR_CONFIG;
	else if (cfg->jwt_algorithm == CFG_JWT_HS256 && cfg->jwt_key.len < 32) {
		buf_printf(errs, "auth.jwt_key_file: an HS256 secret must be at least 32 bytes\n");
		e = ERR_CONFIG;
	} else if (cfg->jwt_algorithm != CFG_JWT_HS256 &&
	    strstr((const char *)cfg->jwt_key.data, "-----BEGIN PUBLIC KEY-----") == NULL) {
		buf_printf(errs, "auth.jwt_key_file: %s needs a PEM public key\n",
		    config_jwt_alg_name(cfg->jwt_algorithm));
		e = ERR_CONFIG;
	}
	if (cfg->jwt_algorithm != CFG_JWT_HS256 && cfg->jwt_signing_key_file != NULL &&
	    secret_load_from(cfg->jwt_signing_key_file, cfg->credentials_dir, &cfg->jwt_signing_key, errs) != ERR_OK)
		e = ERR_CONFIG;
	if (cfg->db_password_file != NULL &&
	    secret_load_from(cfg->db_password_file, cfg->credentials_dir, &cfg->db_password, errs) != ERR_OK)
		e = ERR_CONFIG;
	for (i = 0; i < sizeof(platform_secrets) / sizeof(platform_secrets[0]); i++) {
		const char *ref = *(char **)((char *)cfg + platform_secrets[i].file);
		if (ref != NULL && secret_load_from(ref, cfg->credentials_dir,
		    (struct secret *)((char *)cfg + platform_secrets[i].secret), errs) != ERR_OK)
			e = ERR_CONFIG;
	}
	if (cfg->previous_key_files != NULL && load_previous_keys(cfg, errs) != ERR_OK)
		e = ERR_CONFIG;
	if (load_jwks_files(cfg, errs) != ERR_OK)
		e = ERR_CONFIG;
	if (cfg->data_key_file != NULL) {
		if (secret_load_from(cfg->data_key_file, cfg->credentials_dir, &cfg->data_key, errs) != ERR_OK)
			e = ERR_CONFIG;
		else if (!secretbox_key_valid(&cfg->data_key)) {
			buf_printf(errs, "secrets.key_file: must hold 64 hex digits (a 256-bit key; `meetd keygen` makes one)\n");
			e = ERR_CONFIG;
		}
	}
	return e;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NKEYS; i++) {
		enum key_type t = keys[i].type;
		if (t == KT_STRING || t == KT_PATH || t == KT_SECRET)
			free(*(char **)((char *)cfg + keys[i].offset));
	}
	secret_clear(&cfg->jwt_key);
	secret_clear(&cfg->jwt_signing_key);
	secret_clear(&cfg->db_password);
	secret_clear(&cfg->data_key);
	for (i = 0; i < cfg->nidps; i++) {
		free(cfg->idps[i].issuer);
		free(cfg->idps[i].audience);
		free(cfg->idps[i].jwks_file);
		free(cfg->idps[i].jwks_url);
		secret_clear(&cfg->idps[i].jwks);
	}
	for (i = 0; i < cfg->nprevious_keys; i++)
		secret_clear(&cfg->previous_keys[i]);
	for (i = 0; i < sizeof(platform_secrets) / sizeof(platform_secrets[0]); i++)
		secret_clear((struct secret *)((char *)cfg + platform_secrets[i].secret));
	free(cfg->path);
	free(cfg->credentials_dir);
	free(cfg);
}

void
config_describe(struct buf *out)
{
	const char *section = "";
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			buf_printf(out, "\n[%s]\n", section);
		}
		buf_printf(out, "# %s", keys[i].help);
		bounds_hint(out, &keys[i]);
		buf_printf(out, "\n%s = %s\n", keys[i].name, keys[i].def ? keys[i].def : "");
	}
	buf_printf(out, "\n# Identity providers whose tokens are trusted: one section each, e.g.\n"
	    "# [idp.keycloak]\n"
	    "# issuer = https://sso.example.org/realms/staff   (the exact iss claim)\n"
	    "# audience = meetd                                 (required in aud)\n"
	    "# algorithms = RS256, ES256                        (RS256, ES256, EdDSA)\n"
	    "# jwks_url = https://sso.example.org/realms/staff/protocol/openid-connect/certs\n"
	    "# jwks_refresh_interval = 10m                      (the worker's fetch, 1s..24h)\n"
	    "# or, instead of jwks_url, a JWK Set on disk read at start and reload:\n"
	    "# jwks_file = /etc/meetd/keycloak-jwks.json\n");
}
