/*
 * api.h — request handlers. Each takes the request (authenticated and
 * parsed per its route's policy) and writes a success answer through
 * resp_data()/resp_raw(), or returns an error for the dispatcher to render.
 */
#ifndef MEETD_API_H
#define MEETD_API_H

#include <jansson.h>

#include "http/request.h"
#include "http/response.h"

/* health.c */
enum err api_health(struct request *rq, struct response *rs);
enum err api_ready(struct request *rq, struct response *rs);
/* metrics.c */
enum err api_metrics(struct request *rq, struct response *rs);
/* account.c */
enum err api_register(struct request *rq, struct response *rs);
enum err api_login(struct request *rq, struct response *rs);
enum err api_me(struct request *rq, struct response *rs);
enum err api_apikey_create(struct request *rq, struct response *rs);
enum err api_apikey_list(struct request *rq, struct response *rs);
enum err api_apikey_delete(struct request *rq, struct response *rs);
enum err api_me_update(struct request *rq, struct response *rs);
enum err api_me_sign_out(struct request *rq, struct response *rs);
struct user;
struct jsonw;
/* Writes an account's fields into an open object; role NULL: the user's own. */
void account_write_user(struct jsonw *w, const struct user *u, const char *role);
/* guests.c */
enum err api_guest_token(struct request *rq, struct response *rs);
/* admin_users.c */
enum err api_admin_users_list(struct request *rq, struct response *rs);
enum err api_admin_user_get(struct request *rq, struct response *rs);
enum err api_admin_user_disable(struct request *rq, struct response *rs);
enum err api_admin_user_enable(struct request *rq, struct response *rs);
enum err api_admin_user_sign_out(struct request *rq, struct response *rs);
enum err api_admin_user_delete(struct request *rq, struct response *rs);

/* meetings.c */
enum err api_meeting_create(struct request *rq, struct response *rs);
enum err api_meeting_created(struct request *rq, struct response *rs, int status, const char *outcome);
enum err api_meeting_list(struct request *rq, struct response *rs);
enum err api_meeting_get(struct request *rq, struct response *rs);
enum err api_meeting_update(struct request *rq, struct response *rs);
enum err api_meeting_cancel(struct request *rq, struct response *rs);
enum err api_meeting_start(struct request *rq, struct response *rs);
enum err api_meeting_end(struct request *rq, struct response *rs);
enum err api_meeting_status(struct request *rq, struct response *rs);
enum err api_meeting_new_invite(struct request *rq, struct response *rs);
enum err api_meeting_new_passcode(struct request *rq, struct response *rs);
enum err api_meeting_member_set(struct request *rq, struct response *rs);
enum err api_meeting_member_delete(struct request *rq, struct response *rs);
enum err api_meeting_audit(struct request *rq, struct response *rs);
/* participants.c */
enum err api_meeting_join(struct request *rq, struct response *rs);
enum err api_meeting_join_by_code(struct request *rq, struct response *rs);
enum err api_meeting_leave(struct request *rq, struct response *rs);
enum err api_meeting_participants(struct request *rq, struct response *rs);
enum err api_invitation_get(struct request *rq, struct response *rs);
/* face_outcome.c: a face's create answer (200) from the canonical outcome,
 * written by write() from the meeting object; the first answer and a
 * replay alike. */
enum err face_render_outcome(struct response *rs, const char *outcome,
    void (*write)(struct jsonw *w, json_t *meeting));
/* face004.c: 004's /meetings/... */
enum err face004_create(struct request *rq, struct response *rs);
enum err face004_created(struct request *rq, struct response *rs, int status, const char *outcome);
enum err face004_invitation(struct request *rq, struct response *rs);
enum err face004_join(struct request *rq, struct response *rs);
enum err face004_my_meetings(struct request *rq, struct response *rs);
/* zoom: 000 proxy face, 002 face, Zoom webhooks */
enum err proxy_zoom_create(struct request *rq, struct response *rs);
enum err proxy_zoom_created(struct request *rq, struct response *rs, int status, const char *outcome);
enum err proxy_zoom_cancel(struct request *rq, struct response *rs);
enum err proxy_zoom_status(struct request *rq, struct response *rs);
enum err zoom_webhook(struct request *rq, struct response *rs);
/* controls.c */
enum err api_participant_status(struct request *rq, struct response *rs);
enum err api_participant_action(struct request *rq, struct response *rs);
enum err api_waiting_room(struct request *rq, struct response *rs);
enum err api_waiting_admit(struct request *rq, struct response *rs);
enum err api_waiting_deny(struct request *rq, struct response *rs);
enum err api_policy_get(struct request *rq, struct response *rs);
enum err api_policy_set(struct request *rq, struct response *rs);
enum err api_policy_patch(struct request *rq, struct response *rs);
/* realtime.c */
enum err api_realtime_ticket(struct request *rq, struct response *rs);
enum err api_realtime_subscribe(struct request *rq, struct response *rs);
enum err api_meeting_events(struct request *rq, struct response *rs);
enum err api_meeting_signal(struct request *rq, struct response *rs);
struct signal;
/* The signal in a POST .../signals body (rq->json), checked; its data in
 * the request's arena. ERR_VALIDATION_FAILED with the fields recorded. */
enum err signal_body_read(struct request *rq, struct signal *s);
/* hooks/nchan_hooks.c */
enum err hook_rt_subscribed(struct request *rq, struct response *rs);
enum err hook_rt_unsubscribed(struct request *rq, struct response *rs);
enum err livekit_webhook(struct request *rq, struct response *rs);
enum err zoom_auth_start(struct request *rq, struct response *rs);
enum err zoom_auth_callback(struct request *rq, struct response *rs);
enum err zoom_user_meetings_list(struct request *rq, struct response *rs);
enum err zoom_user_meeting_create(struct request *rq, struct response *rs);
enum err zoom_user_meeting_created(struct request *rq, struct response *rs, int status, const char *outcome);
/* google: 000 proxy face */
enum err proxy_google_create(struct request *rq, struct response *rs);
enum err proxy_google_created(struct request *rq, struct response *rs, int status, const char *outcome);
/* platforms list, room tokens (LiveKit, Jitsi), 003 provider webhooks */
enum err api_platforms(struct request *rq, struct response *rs);                 /* platforms.c */
enum err api_meeting_room_token(struct request *rq, struct response *rs);        /* room_token.c */
enum err webhook003_meeting(struct request *rq, struct response *rs);            /* webhook003.c */
#endif
