/*
 * provider.h — one interface over every meeting platform (design §7).
 *
 * Each platform is one file in src/providers/ exporting a `struct
 * provider`. The meeting core (src/api/meetings.c) owns the lifecycle and
 * the database; a provider only translates one operation into its
 * platform's calls and back. Providers never write meetd's tables except
 * their own token cache (oauth_cache.h).
 *
 * Strings a provider returns are allocated in the request's arena.
 */
#ifndef MEETD_PROVIDER_H
#define MEETD_PROVIDER_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/error.h"
#include "platforms/events.h"
#include "core/context.h"

/* What a platform really supports (GET /api/v1/platforms). */
enum provider_cap {
	CAP_UPDATE = 1 << 0,            /* reschedule/rename in place */
	CAP_DELETE = 1 << 1,            /* cancel deletes it remotely */
	CAP_END = 1 << 2,               /* end a running meeting remotely */
	CAP_STATUS = 1 << 3,            /* read the platform's status */
	CAP_WEBHOOKS = 1 << 4,          /* the platform reports events to us */
	CAP_PASSCODE = 1 << 5,          /* meetings carry a passcode */
	CAP_WAITING_ROOM = 1 << 6,
	CAP_DIAL_IN = 1 << 7,
};

/* What meetd asks the platform for. Times in Unix ms; zone is IANA. */
struct remote_spec {
	const char *meeting_id;         /* meetd's id: the stable key for de-duplication */
	const char *title, *description, *timezone;
	int64_t start_ms, duration_min;
	const char *passcode;           /* wanted passcode, or NULL: the platform's own */
	bool require_password, waiting_room;
	const char *organizer_email, *organizer_name;
};

/* What the platform answered; NULL where it says nothing. */
struct remote_meeting {
	const char *remote_id;          /* the platform's meeting id (platform_meeting_id) */
	const char *remote_uuid;        /* a second id where there is one (Zoom uuid) */
	const char *join_url;
	const char *host_url;           /* a secret: sealed at rest, shown to hosts only */
	const char *passcode, *host_key;
	const char *dial_in_number, *dial_in_password;
	const char *meeting_code;       /* e.g. Google Meet's aaa-bbbb-ccc */
	const char *status;             /* meetd's words: scheduled, started, ended, cancelled */
	const char *start_time;         /* ISO-8601 as the platform reports it */
	int64_t duration_min;           /* 0 if not reported */
	int64_t participant_count;      /* -1 if not reported */
};

/* Whose account a call runs under: the server's (NULL) or a user's own
 * connected account (002's per-user Zoom OAuth). */
/* Who a room token is for, and the room. Borrowed. */
struct room_grant {
	const char *meeting_id, *room, *meeting_url;
	const char *user_id, *user_name, *email;
	bool host;
	/* the meeting's policy for this person: no camera, no screen share */
	bool no_camera, no_screen_share;
};

/* A signed room token (a bearer secret: answered once, never stored). */
struct room_token {
	const char *platform, *token, *url, *room, *expires_at;
};

struct provider_ctx {
	struct ctx *ctx;                /* arena, app (cfg, db, box, http), caller */
	const char *acting_user;
};

struct provider {
	const char *name;               /* as in meetings.platform */
	const char *label;              /* human name */
	enum err not_configured;        /* 503 <platform>_not_configured */
	unsigned caps;                  /* enum provider_cap */
	bool remote;                    /* false: meetd itself hosts it (native) */
	bool (*configured)(const struct config *cfg);
	/* Creates the meeting. Must be safe to call again with the same
	 * spec->meeting_id after an unknown outcome (the platform's
	 * de-duplication, or a reconcile step before re-sending). */
	enum err (*create)(struct provider_ctx *c, const struct remote_spec *s, struct remote_meeting *out);
	/* Applies s to the remote meeting in place (join URL kept). NULL: no CAP_UPDATE. */
	enum err (*update)(struct provider_ctx *c, const char *remote_id, const struct remote_spec *s,
	    struct remote_meeting *out);
	/* Deletes/cancels it; an already gone meeting is success. NULL: no CAP_DELETE. */
	enum err (*cancel)(struct provider_ctx *c, const char *remote_id);
	/* Ends a running meeting. NULL: no CAP_END. */
	enum err (*end)(struct provider_ctx *c, const char *remote_id);
	/* Reads status (and what else the platform says). NULL: no CAP_STATUS. */
	enum err (*status)(struct provider_ctx *c, const char *remote_id, struct remote_meeting *out);
	/* Checks a signed delivery of the platform's webhooks and reads it into
	 * *ev (arena), or sets *reply to the answer the platform expects
	 * instead (a challenge). Nothing is stored here. NULL: no webhooks. */
	enum err (*hook)(struct ctx *c, const struct hook_input *in, struct platform_event *ev,
	    const char **reply);
	/* Signs the token a member presents to the platform's room (LiveKit's
	 * access token, Jitsi's prosody JWT). NULL: no room tokens. */
	enum err (*room_token)(struct ctx *c, const struct room_grant *g, struct room_token *out);
};

extern const struct provider provider_native, provider_jitsi, provider_zoom, provider_google_meet,
    provider_teams, provider_webex, provider_facetime, provider_livekit;

/* Every platform, native first; NULL-terminated. */
extern const struct provider *const providers[];
/* By name; NULL if unknown. */
const struct provider *provider_find(const char *name);
/* ERR_OK if usable now, else its not_configured error. */
enum err provider_ready(const struct provider *p, const struct config *cfg);
/* Empties out: every string NULL, counts -1/0. */
void remote_meeting_init(struct remote_meeting *out);

#endif
