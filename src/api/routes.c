/*
 * routes.c — the route table: every endpoint meetd serves, in one place,
 * with the policy the dispatcher applies before its handler runs.
 * docs/openapi.yaml describes the same set; a test compares the two.
 */
#include "api/api.h"
#include "http/router.h"

const struct route routes[] = {
	{ M_GET,    "/api/v1/health",            api_health,        AUTH_NONE, LIMIT_NONE, FACE_V1, "health", BODY_STD, NULL },
	{ M_GET,    "/api/v1/ready",             api_ready,         AUTH_NONE, LIMIT_NONE, FACE_V1, "ready", BODY_STD, NULL },
	{ M_GET,    "/metrics",                  api_metrics,       AUTH_NONE, LIMIT_NONE, FACE_V1, "metrics", BODY_STD, NULL },
	{ M_POST,   "/api/v1/auth/register",     api_register,      AUTH_NONE, LIMIT_AUTH, FACE_V1, "auth_register", BODY_STD, NULL },
	{ M_POST,   "/api/v1/auth/login",        api_login,         AUTH_NONE, LIMIT_AUTH, FACE_V1, "auth_login", BODY_STD, NULL },
	{ M_GET,    "/api/v1/me",                api_me,            AUTH_USER, LIMIT_NONE, FACE_V1, "me", BODY_STD, NULL },
	{ M_PATCH,  "/api/v1/me",                api_me_update,     AUTH_USER, LIMIT_NONE, FACE_V1, "me_update", BODY_STD, NULL },
	{ M_POST,   "/api/v1/me/sign-out-everywhere", api_me_sign_out, AUTH_USER, LIMIT_NONE, FACE_V1, "me_sign_out", BODY_STD, NULL },
	{ M_GET,    "/api/v1/admin/users",       api_admin_users_list, AUTH_ADMIN, LIMIT_NONE, FACE_V1, "admin_users_list", BODY_STD, NULL },
	{ M_GET,    "/api/v1/admin/users/:id",   api_admin_user_get, AUTH_ADMIN, LIMIT_NONE, FACE_V1, "admin_user_get", BODY_STD, NULL },
	{ M_POST,   "/api/v1/admin/users/:id/disable", api_admin_user_disable, AUTH_ADMIN, LIMIT_NONE, FACE_V1, "admin_user_disable", BODY_STD, NULL },
	{ M_POST,   "/api/v1/admin/users/:id/enable", api_admin_user_enable, AUTH_ADMIN, LIMIT_NONE, FACE_V1, "admin_user_enable", BODY_STD, NULL },
	{ M_POST,   "/api/v1/admin/users/:id/sign-out-everywhere", api_admin_user_sign_out, AUTH_ADMIN, LIMIT_NONE, FACE_V1, "admin_user_sign_out", BODY_STD, NULL },
	{ M_DELETE, "/api/v1/admin/users/:id",   api_admin_user_delete, AUTH_ADMIN, LIMIT_NONE, FACE_V1, "admin_user_delete", BODY_STD, NULL },
	{ M_POST,   "/api/v1/api-keys",          api_apikey_create, AUTH_USER, LIMIT_NONE, FACE_V1, "apikey_create", BODY_STD, NULL },
	{ M_GET,    "/api/v1/api-keys",          api_apikey_list,   AUTH_USER, LIMIT_NONE, FACE_V1, "apikey_list", BODY_STD, NULL },
	{ M_DELETE, "/api/v1/api-keys/:id",      api_apikey_delete, AUTH_USER, LIMIT_NONE, FACE_V1, "apikey_delete", BODY_STD, NULL },

	{ M_POST,   "/api/v1/meetings",          api_meeting_create, AUTH_USER, LIMIT_CREATE, FACE_V1, "meeting_create", BODY_STD, api_meeting_created },
	{ M_GET,    "/api/v1/meetings",          api_meeting_list,   AUTH_USER, LIMIT_NONE, FACE_V1, "meeting_list", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/join",     api_meeting_join_by_code, AUTH_USER, LIMIT_PARTICIPANT, FACE_V1, "meeting_join_by_code", BODY_STD, NULL },
	{ M_GET,    "/api/v1/meetings/:id",      api_meeting_get,    AUTH_MEETING, LIMIT_NONE, FACE_V1, "meeting_get", BODY_STD, NULL },
	{ M_PATCH,  "/api/v1/meetings/:id",      api_meeting_update, AUTH_USER, LIMIT_MEETING, FACE_V1, "meeting_update", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/cancel", api_meeting_cancel, AUTH_USER, LIMIT_MEETING, FACE_V1, "meeting_cancel", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/start", api_meeting_start, AUTH_USER, LIMIT_MEETING, FACE_V1, "meeting_start", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/end",  api_meeting_end,    AUTH_USER, LIMIT_MEETING, FACE_V1, "meeting_end", BODY_STD, NULL },
	{ M_GET,    "/api/v1/meetings/:id/status", api_meeting_status, AUTH_MEETING, LIMIT_STATUS, FACE_V1, "meeting_status", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/join", api_meeting_join,   AUTH_MEETING, LIMIT_PARTICIPANT, FACE_V1, "meeting_join", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/leave", api_meeting_leave, AUTH_MEETING, LIMIT_PARTICIPANT, FACE_V1, "meeting_leave", BODY_STD, NULL },
	{ M_GET,    "/api/v1/meetings/:id/participants", api_meeting_participants, AUTH_MEETING, LIMIT_NONE, FACE_V1, "meeting_participants", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/invitation-token", api_meeting_new_invite, AUTH_USER, LIMIT_MEETING, FACE_V1, "meeting_new_invite", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/passcode", api_meeting_new_passcode, AUTH_USER, LIMIT_MEETING, FACE_V1, "meeting_new_passcode", BODY_STD, NULL },
	{ M_PUT,    "/api/v1/meetings/:id/members/:user_id", api_meeting_member_set, AUTH_USER, LIMIT_MEETING, FACE_V1, "meeting_member_set", BODY_STD, NULL },
	{ M_DELETE, "/api/v1/meetings/:id/members/:user_id", api_meeting_member_delete, AUTH_USER, LIMIT_MEETING, FACE_V1, "meeting_member_delete", BODY_STD, NULL },
	{ M_GET,    "/api/v1/meetings/:id/audit", api_meeting_audit, AUTH_USER, LIMIT_NONE, FACE_V1, "meeting_audit", BODY_STD, NULL },
	/* participants' controls, the waiting room, the security policy */
	{ M_PUT,    "/api/v1/meetings/:id/participants/status", api_participant_status, AUTH_MEETING, LIMIT_STATUS, FACE_V1, "participant_status", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/participants/:user_id/actions", api_participant_action, AUTH_USER, LIMIT_PARTICIPANT, FACE_V1, "participant_action", BODY_STD, NULL },
	{ M_GET,    "/api/v1/meetings/:id/waiting-room", api_waiting_room, AUTH_USER, LIMIT_NONE, FACE_V1, "waiting_room", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/waiting-room/admit", api_waiting_admit, AUTH_USER, LIMIT_PARTICIPANT, FACE_V1, "waiting_room_admit", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/waiting-room/deny", api_waiting_deny, AUTH_USER, LIMIT_PARTICIPANT, FACE_V1, "waiting_room_deny", BODY_STD, NULL },
	{ M_GET,    "/api/v1/meetings/:id/security/policy", api_policy_get, AUTH_USER, LIMIT_NONE, FACE_V1, "policy_get", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/security/policy", api_policy_set, AUTH_USER, LIMIT_MEETING, FACE_V1, "policy_set", BODY_STD, NULL },
	{ M_PATCH,  "/api/v1/meetings/:id/security/policy", api_policy_patch, AUTH_USER, LIMIT_MEETING, FACE_V1, "policy_patch", BODY_STD, NULL },
	/* real time: tickets, the subscription nchan carries, resume, signals */
	{ M_POST,   "/api/v1/meetings/:id/realtime-ticket", api_realtime_ticket, AUTH_MEETING, LIMIT_PARTICIPANT, FACE_V1, "realtime_ticket", BODY_STD, NULL },
	{ M_GET,    "/ws/meetings/:id",          api_realtime_subscribe, AUTH_REALTIME, LIMIT_NONE, FACE_V1, "realtime_subscribe", BODY_STD, NULL },
	{ M_GET,    "/api/v1/meetings/:id/events", api_meeting_events, AUTH_MEETING, LIMIT_STATUS, FACE_V1, "meeting_events", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/signals", api_meeting_signal, AUTH_MEETING, LIMIT_REALTIME, FACE_V1, "meeting_signal", BODY_STD, NULL },
	{ M_GET,    "/internal/hook/subscribe/:meeting/:user", hook_rt_subscribed, AUTH_HOOK, LIMIT_NONE, FACE_V1, "hook_rt_subscribe", BODY_STD, NULL },
	{ M_GET,    "/internal/hook/unsubscribe/:meeting/:user", hook_rt_unsubscribed, AUTH_HOOK, LIMIT_NONE, FACE_V1, "hook_rt_unsubscribe", BODY_STD, NULL },
	{ M_POST,   "/api/v1/guest-tokens",      api_guest_token,    AUTH_OPTIONAL, LIMIT_PARTICIPANT, FACE_V1, "guest_token", BODY_STD, NULL },
	{ M_GET,    "/api/v1/invitations/:token", api_invitation_get, AUTH_USER, LIMIT_PARTICIPANT, FACE_V1, "invitation_get", BODY_STD, NULL },

	/* 004's face: the same operations in that document's paths and shapes */
	{ M_POST,   "/meetings/create",          face004_create,     AUTH_USER, LIMIT_CREATE, FACE_004, "face004_create", BODY_STD, face004_created },
	{ M_GET,    "/meetings/invitation/:token", face004_invitation, AUTH_USER, LIMIT_PARTICIPANT, FACE_004, "face004_invitation", BODY_STD, NULL },
	{ M_POST,   "/meetings/join",            face004_join,       AUTH_USER, LIMIT_PARTICIPANT, FACE_004, "face004_join", BODY_STD, NULL },
	{ M_GET,    "/meetings/my-meetings",     face004_my_meetings, AUTH_USER, LIMIT_NONE, FACE_004, "face004_my_meetings", BODY_STD, NULL },

	/* zoom: 000 proxy face, 002 face, Zoom webhooks */
	{ M_POST,   "/api/meetings/proxy/zoom/create", proxy_zoom_create, AUTH_USER, LIMIT_CREATE, FACE_000, "proxy_zoom_create", BODY_STD, proxy_zoom_created },
	{ M_POST,   "/api/meetings/proxy/zoom/:meeting_id/cancel", proxy_zoom_cancel, AUTH_USER, LIMIT_MEETING, FACE_000, "proxy_zoom_cancel", BODY_STD, NULL },
	{ M_GET,    "/api/meetings/proxy/zoom/:meeting_id/status", proxy_zoom_status, AUTH_USER, LIMIT_STATUS, FACE_000, "proxy_zoom_status", BODY_STD, NULL },
	{ M_POST,   "/api/zoom/webhook",         zoom_webhook,       AUTH_SIGNED, LIMIT_NONE, FACE_002, "zoom_webhook", BODY_SIGNED, NULL },
	{ M_GET,    "/api/zoom/auth",            zoom_auth_start,    AUTH_USER, LIMIT_NONE, FACE_002, "zoom_auth", BODY_STD, NULL },
	{ M_GET,    "/api/zoom/auth/callback",   zoom_auth_callback, AUTH_NONE, LIMIT_NONE, FACE_002, "zoom_auth_callback", BODY_STD, NULL },
	{ M_GET,    "/api/zoom/meetings",        zoom_user_meetings_list, AUTH_USER, LIMIT_STATUS, FACE_002, "zoom_user_meetings", BODY_STD, NULL },
	{ M_POST,   "/api/zoom/meetings",        zoom_user_meeting_create, AUTH_USER, LIMIT_CREATE, FACE_002, "zoom_user_meeting_create", BODY_STD, zoom_user_meeting_created },
	/* google: 000 proxy face */
	{ M_POST,   "/api/meetings/proxy/google-meet/create", proxy_google_create, AUTH_USER, LIMIT_CREATE, FACE_000, "proxy_google_create", BODY_STD, proxy_google_created },
	/* platforms list, room tokens (LiveKit, Jitsi), 003 provider webhooks */
	{ M_GET,    "/api/v1/platforms",         api_platforms,      AUTH_USER, LIMIT_NONE, FACE_V1, "platforms", BODY_STD, NULL },
	{ M_POST,   "/api/v1/meetings/:id/token", api_meeting_room_token, AUTH_MEETING, LIMIT_PARTICIPANT, FACE_V1, "meeting_room_token", BODY_STD, NULL },
	{ M_POST,   "/api/webhooks/livekit",     livekit_webhook,    AUTH_SIGNED, LIMIT_NONE, FACE_V1, "livekit_webhook", BODY_SIGNED, NULL },
	{ M_POST,   "/api/webhooks/meeting",     webhook003_meeting, AUTH_SIGNED, LIMIT_NONE, FACE_003, "webhook003_meeting", BODY_SIGNED, NULL },
};

const size_t routes_count = sizeof(routes) / sizeof(routes[0]);
