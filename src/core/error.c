/*
 * error.c — tables behind enum err. Kept as arrays indexed by the enum so a
 * lookup is one load and a missing row is a compile-time size mismatch.
 */
#include <stddef.h>

#include "core/error.h"

#define ERR_STATUS(name, status, code, msg) status,
#define ERR_CODE(name, status, code, msg) code,
#define ERR_MSG(name, status, code, msg) msg,
#define ERR_NAME(name, status, code, msg) #name,

static const int statuses[ERR__MAX] = { ERR_TABLE(ERR_STATUS) };
static const char *const codes[ERR__MAX] = { ERR_TABLE(ERR_CODE) };
static const char *const messages[ERR__MAX] = { ERR_TABLE(ERR_MSG) };
static const char *const names[ERR__MAX] = { ERR_TABLE(ERR_NAME) };

int
err_http_status(enum err e)
{
	return (unsigned)e < ERR__MAX ? statuses[e] : 500;
}

const char *
err_code(enum err e)
{
	return (unsigned)e < ERR__MAX ? codes[e] : "INTERNAL_ERROR";
}

const char *
err_message(enum err e)
{
	return (unsigned)e < ERR__MAX ? messages[e] : "Internal server error";
}

const char *
err_name(enum err e)
{
	return (unsigned)e < ERR__MAX ? names[e] : "UNKNOWN";
}

const char *
err_platform(enum err e)
{
	switch (e) {
	case ERR_JITSI_NOT_CONFIGURED:       return "jitsi";
	case ERR_ZOOM_NOT_CONFIGURED:        return "zoom";
	case ERR_GOOGLE_MEET_NOT_CONFIGURED: return "google_meet";
	case ERR_TEAMS_NOT_CONFIGURED:       return "teams";
	case ERR_WEBEX_NOT_CONFIGURED:       return "webex";
	case ERR_FACETIME_NOT_CONFIGURED:    return "facetime";
	case ERR_LIVEKIT_NOT_CONFIGURED:     return "livekit";
	default:                             return NULL;
	}
}
