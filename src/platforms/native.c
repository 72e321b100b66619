/*
 * native.c — meetd's own password-protected rooms (004): nothing remote;
 * the meeting core makes the code, passcode and invitation token.
 */
#include "platforms/provider.h"

const struct provider provider_native = {
	.name = "native",
	.label = "meetd room",
	.not_configured = ERR_OK,
	.caps = CAP_UPDATE | CAP_DELETE | CAP_END | CAP_STATUS | CAP_PASSCODE | CAP_WAITING_ROOM,
	.remote = false,
};
