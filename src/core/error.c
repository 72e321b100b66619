/*
 * error.c — tables behind enum err. Kept as arrays indexed by the enum so a
 * lookup is one load and a missing row is a compile-time size mismatch.
 */
#include "error.h"

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
