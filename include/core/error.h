/*
 * error.h — the one error type of meetd.
 *
 * Every function that can fail returns an `enum err`. One table maps each
 * value to the HTTP status it answers with, the stable code string clients
 * program against (001's envelope "code"), and a default human message.
 * Every code is UPPER_SNAKE_CASE. Codes are never renamed or given a new
 * meaning (the one-time renames are listed in docs/changes.md); new ones
 * are appended. Several causes may share one code: the seven
 * *_NOT_CONFIGURED rows answer PLATFORM_NOT_CONFIGURED and name their
 * platform in details.platform (err_platform()).
 */
#ifndef MEETD_ERROR_H
#define MEETD_ERROR_H

/* X(name, http status, api code, default message) */
#define ERR_TABLE(X) \
	X(OK,                     200, "OK",                     "OK") \
	X(INVALID_REQUEST,        400, "INVALID_REQUEST",        "The request is malformed") \
	X(INVALID_JSON,           400, "INVALID_JSON",           "The request body is not valid JSON") \
	X(VALIDATION_FAILED,      400, "VALIDATION_ERROR",       "One or more fields are invalid") \
	X(AUTH_REQUIRED,          401, "AUTHENTICATION_REQUIRED", "Authentication is required") \
	X(INVALID_TOKEN,          401, "INVALID_TOKEN",          "The access token is invalid or expired") \
	X(INVALID_CREDENTIALS,    401, "INVALID_CREDENTIALS",    "Email or password is incorrect") \
	X(FORBIDDEN,              403, "INSUFFICIENT_PERMISSION", "You lack the permission for this action") \
	X(REGISTRATION_CLOSED,    403, "REGISTRATION_CLOSED",    "Self-registration is disabled on this server") \
	X(NOT_FOUND,              404, "NOT_FOUND",              "No such resource") \
	X(METHOD_NOT_ALLOWED,     405, "METHOD_NOT_ALLOWED",     "The method is not allowed on this resource") \
	X(EMAIL_TAKEN,            409, "EMAIL_TAKEN",            "An account with this email already exists") \
	X(PAYLOAD_TOO_LARGE,      413, "PAYLOAD_TOO_LARGE",      "The request body is too large") \
	X(UNSUPPORTED_MEDIA_TYPE, 415, "UNSUPPORTED_MEDIA_TYPE", "The body must be application/json") \
	X(INTERNAL,               500, "INTERNAL_ERROR",         "Internal server error") \
	X(NOT_CONFIGURED,         503, "NOT_CONFIGURED",         "This feature is not configured on this server") \
	X(DB_UNAVAILABLE,         503, "DATABASE_UNAVAILABLE",   "The database is unavailable, try again shortly") \
	X(NOT_READY,              503, "NOT_READY",              "The service is not ready") \
	X(MEETING_NOT_FOUND,      404, "MEETING_NOT_FOUND",      "Meeting not found") \
	X(MEETING_ALREADY_ACTIVE, 409, "MEETING_ALREADY_ACTIVE", "Meeting is already in progress") \
	X(MEETING_NOT_ACTIVE,     409, "MEETING_NOT_ACTIVE",     "Meeting is not currently active") \
	X(MEETING_ENDED,          409, "MEETING_ENDED",          "Meeting has already ended") \
	X(MEETING_CANCELLED,      409, "MEETING_CANCELLED",      "Meeting has been cancelled") \
	X(PARTICIPANT_NOT_FOUND,  404, "PARTICIPANT_NOT_FOUND",  "Participant not found in meeting") \
	X(MAX_PARTICIPANTS,       403, "MAX_PARTICIPANTS_REACHED", "Meeting has reached its participant limit") \
	X(INVALID_MEETING_CREDENTIALS, 403, "INVALID_MEETING_CREDENTIALS", "Meeting code or passcode is incorrect") \
	X(INVITATION_NOT_FOUND,   404, "INVITATION_NOT_FOUND",   "Invitation link not found") \
	X(RATE_LIMITED,           429, "RATE_LIMIT_EXCEEDED",    "Rate limit exceeded") \
	X(TOO_MANY_ATTEMPTS,      429, "TOO_MANY_ATTEMPTS",      "Too many wrong passcodes; try again later") \
	X(IDEMPOTENCY_KEY_REUSED, 422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request") \
	X(IDEMPOTENCY_KEY_IN_USE, 409, "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still running") \
	X(USER_NOT_FOUND,         404, "USER_NOT_FOUND",         "No such user") \
	X(JITSI_NOT_CONFIGURED,   503, "PLATFORM_NOT_CONFIGURED", "Jitsi is not configured on this server") \
	X(ZOOM_NOT_CONFIGURED,    503, "PLATFORM_NOT_CONFIGURED", "Zoom is not configured on this server") \
	X(GOOGLE_MEET_NOT_CONFIGURED, 503, "PLATFORM_NOT_CONFIGURED", "Google Meet is not configured on this server") \
	X(TEAMS_NOT_CONFIGURED,   503, "PLATFORM_NOT_CONFIGURED", "Microsoft Teams is not configured on this server") \
	X(WEBEX_NOT_CONFIGURED,   503, "PLATFORM_NOT_CONFIGURED", "Webex is not configured on this server") \
	X(FACETIME_NOT_CONFIGURED, 503, "PLATFORM_NOT_CONFIGURED", "FaceTime is not configured on this server") \
	X(LIVEKIT_NOT_CONFIGURED, 503, "PLATFORM_NOT_CONFIGURED", "LiveKit is not configured on this server") \
	X(PLATFORM_UNAVAILABLE,   502, "PLATFORM_UNAVAILABLE",   "The meeting platform did not answer; try again shortly") \
	X(PLATFORM_TIMEOUT,       504, "PLATFORM_TIMEOUT",       "The meeting platform did not answer in time") \
	X(PLATFORM_ERROR,         502, "PLATFORM_ERROR",         "The meeting platform refused the request") \
	X(PLATFORM_AUTH_FAILED,   502, "PLATFORM_AUTH_FAILED",   "The server's credentials for this platform were refused") \
	X(PLATFORM_RATE_LIMITED,  429, "PLATFORM_RATE_LIMITED",  "The meeting platform's rate limit was reached") \
	X(NOT_SUPPORTED,          501, "NOT_SUPPORTED",          "This platform does not support this operation") \
	X(ZOOM_NOT_CONNECTED,     409, "ZOOM_NOT_CONNECTED",     "Connect a Zoom account first (GET /api/zoom/auth)") \
	X(ZOOM_REAUTH_REQUIRED,   409, "ZOOM_REAUTHORIZATION_REQUIRED", "Zoom refused the stored grant; connect the Zoom account again") \
	X(INVALID_OAUTH_STATE,    400, "INVALID_OAUTH_STATE",    "The OAuth state is invalid or expired") \
	X(INVALID_SIGNATURE,      401, "INVALID_SIGNATURE",      "The webhook signature is missing, invalid or stale") \
	X(ACCOUNT_DISABLED,       403, "ACCOUNT_DISABLED",       "This account is disabled") \
	X(MEETING_LOCKED,         403, "MEETING_LOCKED",         "Meeting is locked to new participants") \
	X(USER_BLOCKED,           403, "USER_BLOCKED",           "You are blocked from this meeting") \
	X(PARTICIPANT_REMOVED,    403, "PARTICIPANT_REMOVED",    "A host removed you from this meeting") \
	X(DOMAIN_NOT_ALLOWED,     403, "DOMAIN_NOT_ALLOWED",     "This meeting admits verified addresses of its allowed domains only") \
	X(WAITING_ROOM_REQUIRED,  202, "WAITING_ROOM_REQUIRED",  "Participant must wait for host approval") \
	X(SCREEN_SHARE_DISABLED,  403, "SCREEN_SHARE_DISABLED",  "Screen sharing is disabled") \
	X(CAMERA_DISABLED,        403, "CAMERA_DISABLED",        "Cameras are disabled in this meeting") \
	X(PRECONDITION_FAILED,    412, "PRECONDITION_FAILED",    "The resource changed since you read it (If-Match)") \
	X(INVALID_TICKET,         401, "INVALID_TICKET",         "The real-time ticket is invalid, expired or already used") \
	X(REALTIME_UNAVAILABLE,   503, "REALTIME_UNAVAILABLE",   "The real-time service did not answer; try again shortly") \
	X(GUESTS_NOT_ALLOWED,     403, "GUESTS_NOT_ALLOWED",     "This meeting does not admit guests; sign in to join") \
	/* internal causes below: never leave the process as such, answer 500 */ \
	X(NOMEM,                  500, "INTERNAL_ERROR",         "Out of memory") \
	X(IO,                     500, "INTERNAL_ERROR",         "I/O error") \
	X(CONFIG,                 500, "INTERNAL_ERROR",         "Configuration error") \
	X(DB_RETRY,               503, "DATABASE_UNAVAILABLE",   "Transient database conflict") \
	X(DB_SCHEMA,              503, "DATABASE_UNAVAILABLE",   "The database schema is not current") \
	X(DB_DUPLICATE,           409, "CONFLICT",               "The resource already exists") \
	X(DB_FULL,                503, "DATABASE_UNAVAILABLE",   "A table is full") \
	X(TOO_LONG,               500, "INTERNAL_ERROR",         "A bounded buffer would overflow")

enum err {
#define ERR_ENUM(name, status, code, msg) ERR_##name,
	ERR_TABLE(ERR_ENUM)
#undef ERR_ENUM
	ERR__MAX
};

/* The platform a PLATFORM_NOT_CONFIGURED cause is about ("zoom",
 * "google_meet", ...), the name the canonical API uses; NULL for others. */
const char *err_platform(enum err e);

/* HTTP status for an error (200 for ERR_OK). */
int err_http_status(enum err e);
/* Stable API code string; static storage. */
const char *err_code(enum err e);
/* Default human message; static storage. */
const char *err_message(enum err e);
/* Enum name ("DB_UNAVAILABLE") for logs; static storage. */
const char *err_name(enum err e);

#endif
