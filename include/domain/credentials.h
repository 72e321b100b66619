/*
 * credentials.h — a native room's credentials (004): the public code
 * xxx-xxx-xxx, the 6-digit passcode and the invitation token, all from the
 * CSPRNG; and the sealing of secrets into a meeting's row (secretbox.h),
 * each box bound to its meeting and column.
 */
#ifndef MEETD_CREDENTIALS_H
#define MEETD_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/crypto.h"
#include "core/error.h"
#include "domain/meeting.h"
#include "core/context.h"
#include "auth/secretbox.h"

#define CODE_LEN 11             /* abc-def-ghi */
#define PASSCODE_LEN 6
#define INVITE_TOKEN_BYTES 32   /* 256 bits */
#define INVITE_TOKEN_LEN 43     /* base64url, no padding */
#define SEALED_MAX (64 + SECRETBOX_OVERHEAD)

bool cred_code(char out[CODE_LEN + 1]);
bool cred_code_valid(const char *s);
bool cred_passcode(char out[PASSCODE_LEN + 1]);
bool cred_invite_token(char out[INVITE_TOKEN_LEN + 1]);
/* SHA-256 of a token: how the database finds it without holding it. */
void cred_invite_hash(const char *token, unsigned char out[SHA256_LEN]);

/* Seals `plain` for meeting_id's column `what` ("passcode", "invite", ...).
 * ERR_NOT_CONFIGURED without a data key. */
enum err cred_seal(struct ctx *c, const char *meeting_id, const char *what,
    const char *plain, unsigned char out[SEALED_MAX], size_t *outlen);
/* Opens such a box into the arena; NULL box gives NULL. */
enum err cred_open(struct ctx *c, const char *meeting_id, const char *what,
    const struct blob *box, const char **plain);
/* Constant-time comparison of a guess against a sealed secret. */
enum err cred_check(struct ctx *c, const char *meeting_id, const char *what,
    const struct blob *box, const char *guess, bool *match);

#endif
