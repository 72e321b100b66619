/*
 * realtime.h — meeting events pushed to clients through nchan, and what
 * keeps that honest: channels and their sequence numbers, publishing after
 * commit, resuming from the outbox, subscription tickets, presence.
 *
 * Channels: one per meeting (everyone in it) and one per participant (what
 * only they may see), each numbering its lasting events 1, 2, 3... in the
 * transaction that causes them. Ephemeral messages (signaling, typing,
 * reactions) carry no number and are not kept. Channel ids never leave the
 * server. Clients act by REST calls: nginx serves the subscriptions alone
 * and reads nothing a client sends on them (nginx/meetd-realtime.conf says
 * why).
 *
 * Three files: realtime_events.c (outbox, publishing, resume, signals),
 * realtime_access.c (tickets, subscribing), presence.c (connected, away,
 * left; the sweep).
 */
#ifndef MEETD_REALTIME_H
#define MEETD_REALTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "core/error.h"

struct db;

#define RT_CHANNEL_MAX 64
#define RT_PAGE_MAX 500

/* "m<meeting>", "u<meeting><user>" */
void rt_meeting_channel(const char *meeting_id, char out[RT_CHANNEL_MAX]);
void rt_user_channel(const char *meeting_id, const char *user_id, char out[RT_CHANNEL_MAX]);

/* --- realtime_events.c --- */

/* Writes the outbox row of `event_type` (called by journal_record in the
 * change's transaction). If the type is a real-time event, it takes the
 * channel's next number (the meeting's, or to_user's own channel) and the
 * row is noted in c->events for publishing once the operation answered.
 * `data` is the event's JSON object text; `payload` the webhook shape. */
enum err events_append(struct ctx *c, struct db *db, const char *meeting_id, const char *to_user,
    const char *event_type, const char *data, const char *payload);

/* Publishes the rows c->events names that are still unpublished (rolled
 * back ones are simply not found). Never fails the operation: a failure
 * is counted and left to the worker. */
void events_publish_written(struct ctx *c);

/* Worker: publishes outbox rows that no responder managed to (older than
 * a few seconds), oldest first. *published: how many. */
enum err events_publish_due(struct ctx *c, int64_t *published);

/* Worker: drops events past the resume window and spent tickets. */
enum err events_purge(struct ctx *c);

/* What a reconnecting client missed. */
struct event_page {
	const char **events;    /* messages (JSON texts) in channel order: meeting channel, then own */
	size_t n;
	int64_t meeting_seq, own_seq;   /* the channels' latest numbers */
	bool resync;            /* the window was passed: reload state */
	bool has_more;          /* ask again after the last one */
};
/* Events of the meeting channel after `after` and of the caller's own
 * channel after `own_after` (at most `limit` of each), for a member. */
enum err events_after(struct ctx *c, const char *meeting_id, int64_t after, int64_t own_after,
    int64_t limit, struct event_page *out);

/* An ephemeral message: published now, not kept, no number. */
enum signal_kind { SIG_TYPING, SIG_REACTION, SIG_OFFER, SIG_ANSWER, SIG_CANDIDATE, SIG__MAX };
struct signal {
	enum signal_kind kind;
	const char *to_user;    /* NULL: the whole meeting; required for offers, answers, candidates */
	const char *data;       /* JSON object text, NULL for {} */
};
const char *signal_kind_name(enum signal_kind k);
enum signal_kind signal_kind_parse(const char *s);  /* SIG__MAX if unknown */
/* Checks a signal before sending: its kind, `to` (a user id; required for
 * offers, answers and candidates) and `data_text` (NULL, or a JSON object
 * of at most 8 KiB; a reaction's has reaction_type and maybe duration);
 * sets s->data. ERR_VALIDATION_FAILED with the field recorded. */
enum err signal_check(struct ctx *c, struct signal *s, const char *data_text);
/* Sends a signal from the caller (a member of the meeting, which must not
 * have ended). ERR_NOT_CONFIGURED if real time is off. */
enum err events_signal(struct ctx *c, const char *meeting_id, const struct signal *s);

/* --- realtime_access.c --- */

struct rt_ticket {
	const char *ticket;     /* give once; only its hash is kept */
	const char *expires_at;
	int64_t expires_in;
};
/* A single-use ticket for the caller to subscribe to meeting_id. */
enum err realtime_ticket(struct ctx *c, const char *meeting_id, struct rt_ticket *out);

/* Who may listen to meeting_id: a member to everything, someone the
 * waiting room holds to their own channel alone (*own_only), a removed or
 * blocked person (403) and strangers (404) to nothing. m is filled. */
struct meeting;
enum err realtime_access(struct ctx *c, const char *meeting_id, struct meeting *m, bool *own_only);

struct rt_grant {
	const char *redirect;   /* internal URI nginx hands the connection to */
};
/* Decides a subscription to meeting_id: by `ticket` (spent here) if not
 * NULL, else as the authenticated caller. A member of a meeting that has
 * not ended or been cancelled gets a grant. */
enum err realtime_open(struct ctx *c, const char *meeting_id, const char *ticket,
    struct rt_grant *out);

/* --- presence.c --- */

/* nchan's callbacks: a subscription of user_id to meeting_id opened or
 * closed. The last one closed makes the participant away. */
enum err presence_connected(struct ctx *c, const char *meeting_id, const char *user_id);
enum err presence_disconnected(struct ctx *c, const char *meeting_id, const char *user_id);
/* Worker: participants away past the grace leave (their seat is free).
 * *left: how many. */
enum err presence_expire(struct ctx *c, int64_t *left);
/* Worker: compares each live meeting's count with nchan's and corrects the
 * meetings that disagree (what a crashed or reloaded nginx never
 * reported). Asks nchan once per live meeting, not per subscriber. */
enum err presence_sweep(struct ctx *c, int64_t *corrected);

#endif
