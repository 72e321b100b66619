/*
 * config.h — meetd.conf, an INI file read through one key table (section,
 * key, type, bounds, default). Unknown keys, duplicate keys, malformed
 * lines and out-of-range values are errors that name the file and line.
 * Secrets are not in the file: *_file keys name a file or credential whose
 * content config_load_secrets() reads.
 */
#ifndef MEETD_CONFIG_H
#define MEETD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/parse.h"
#include "core/error.h"
#include "core/log.h"
#include "config/secret.h"

#ifndef MEETD_SYSCONFDIR
#define MEETD_SYSCONFDIR "/etc"
#endif
#define CONFIG_DEFAULT_PATH MEETD_SYSCONFDIR "/meetd/meetd.conf"


/* Same order as enum jws_alg (jws.h), which adds EdDSA. */
enum jwt_alg_id { CFG_JWT_HS256, CFG_JWT_RS256, CFG_JWT_ES256, CFG_JWT__MAX };

#define CONFIG_MAX_IDPS 8
#define CONFIG_IDP_NAME_MAX 32

/* One [idp.NAME] section: an identity provider whose tokens are trusted. */
struct idp_config {
	char name[CONFIG_IDP_NAME_MAX];
	char *issuer;                   /* exact iss claim */
	char *audience;                 /* required in aud */
	unsigned algs;                  /* bit (1u << enum jws_alg) per allowed algorithm */
	char *jwks_file;                /* a JWK Set read at start and reload, or */
	char *jwks_url;                 /* one the worker fetches into the database */
	int64_t jwks_refresh_interval;  /* seconds between the worker's fetches */
	struct secret jwks;             /* jwks_file's content (public: any file mode) */
};

struct config {
	char *path;
	/* credentials/ beside the config file: where credential names are read
	 * when $CREDENTIALS_DIRECTORY is unset (meetd started outside systemd);
	 * the units' LoadCredential= lines read the same directory. */
	char *credentials_dir;

	/* [server] */
	char *listen;                   /* unix socket path */
	unsigned listen_mode;
	int64_t backlog;
	int64_t responders;
	int64_t max_requests;           /* 0: never recycle */
	int64_t request_timeout;        /* seconds */
	int64_t stop_timeout;           /* seconds */
	char *public_url;               /* scheme://host[:port], no trailing slash */
	int64_t body_limit;             /* bytes, authenticated requests */
	int64_t body_limit_anonymous;   /* bytes, before authentication */

	/* [database] */
	char *db_socket;
	char *db_host;
	int64_t db_port;
	char *db_name;
	char *db_user;
	char *db_password_file;
	int64_t db_connect_timeout;
	int64_t db_io_timeout;
	int64_t db_lock_wait_timeout;

	/* [auth] */
	enum jwt_alg_id jwt_algorithm;
	char *jwt_key_file;             /* HS secret or PEM public key */
	char *jwt_signing_key_file;     /* PEM private key (RS256/ES256) */
	char *jwt_issuer;
	char *jwt_audience;
	char *jwt_key_id;
	int64_t jwt_leeway;
	int64_t jwt_max_bytes;
	int64_t jwks_cache_ttl;         /* seconds a responder reuses fetched JWK Sets */
	int64_t token_ttl;
	int64_t scrypt_log2n;
	bool registration;

	/* [secrets] */
	char *data_key_file;
	char *previous_key_files;       /* comma-separated: keys that still open old boxes */

	/* [http] outbound calls to platforms */
	int64_t http_connect_timeout;   /* seconds */
	int64_t http_timeout;           /* seconds, whole call including retries */
	int64_t http_max_response;      /* bytes */
	int64_t http_retries;
	int64_t http_retry_max_wait;    /* seconds: a longer Retry-After is not waited for */

	/* [zoom] */
	char *zoom_account_id;
	char *zoom_client_id;
	char *zoom_client_secret_file;
	char *zoom_webhook_secret_file;
	char *zoom_jwt_api_key;
	char *zoom_jwt_api_secret_file;
	char *zoom_user_id;
	char *zoom_oauth_url;
	char *zoom_api_url;
	char *zoom_redirect_uri;
	struct rate zoom_daily_limit;

	/* [google] */
	char *google_service_account_file;
	char *google_subject;
	char *google_calendar_id;
	char *google_token_url;
	char *google_api_url;

	/* [teams] */
	char *teams_tenant_id;
	char *teams_client_id;
	char *teams_client_secret_file;
	char *teams_user_id;
	char *teams_login_url;
	char *teams_graph_url;

	/* [webex] */
	char *webex_access_token_file;
	char *webex_api_url;

	/* [jitsi] */
	bool jitsi_enabled;
	char *jitsi_domain;
	char *jitsi_room_prefix;
	char *jitsi_app_id;
	char *jitsi_app_secret_file;
	char *jitsi_audience;
	int64_t jitsi_token_ttl;        /* seconds */

	/* [livekit] */
	char *livekit_url;
	char *livekit_api_key;
	char *livekit_api_secret_file;
	int64_t livekit_token_ttl;      /* seconds */

	/* [facetime] */
	bool facetime_enabled;

	/* [webhooks] inbound provider webhooks (003) */
	char *webhook_secret_file;
	int64_t webhook_tolerance;      /* seconds */

	/* [realtime] nchan */
	char *realtime_publish_urls;    /* nchan publisher bases, comma-separated; "" off */
	int64_t realtime_ticket_ttl;    /* seconds */
	int64_t realtime_presence_grace; /* seconds away before a participant has left */
	int64_t realtime_resume_window; /* seconds events stay readable for resuming */
	int64_t realtime_sweep_interval; /* seconds between presence sweeps */

	/* [limits] */
	struct rate limit_meeting;
	struct rate limit_participant;
	struct rate limit_chat;
	struct rate limit_status;
	struct rate limit_realtime;     /* messages and signals over the real-time channels */
	struct rate limit_create_platform;
	int64_t passcode_attempts;
	int64_t passcode_window;        /* seconds */

	/* [idp.NAME] sections, in file order */
	struct idp_config idps[CONFIG_MAX_IDPS];
	size_t nidps;

	/* [log] */
	enum log_level log_level;
	bool access_log;

	/* loaded by config_load_secrets(); never from the file text */
	struct secret jwt_key;
	struct secret jwt_signing_key;  /* == jwt_key's bytes for HS256 */
	struct secret db_password;
	struct secret data_key;         /* 64 hex digits; see secretbox.h */
	struct secret previous_keys[7]; /* from previous_key_files, in order */
	size_t nprevious_keys;
	struct secret zoom_client_secret;
	struct secret zoom_webhook_secret;
	struct secret zoom_jwt_api_secret;
	struct secret google_service_account;   /* the service account's JSON key */
	struct secret teams_client_secret;
	struct secret webex_access_token;
	struct secret jitsi_app_secret;
	struct secret livekit_api_secret;
	struct secret webhook_secret;
};

/* Parses `path`. On ERR_OK *out is a new config (caller owns, config_free).
 * On ERR_CONFIG every problem found is appended to errs, one per line. */
enum err config_load(const char *path, struct config **out, struct buf *errs);
/* Reads the secret files the config names (a credential name from
 * $CREDENTIALS_DIRECTORY, else from credentials_dir); ERR_CONFIG with
 * reasons in errs. */
enum err config_load_secrets(struct config *cfg, struct buf *errs);
/* config_free(NULL) is a no-op. Wipes secrets. */
void config_free(struct config *cfg);

const char *config_jwt_alg_name(enum jwt_alg_id alg);
/* Writes "section.key = default  ; help" lines for every key (docs, -t -v). */
void config_describe(struct buf *out);

#endif
