/*
 * credentials.c — codes, passcodes and invitation tokens (see credentials.h).
 * Random characters come by rejection sampling, so every letter and digit
 * is equally likely.
 */
#include <string.h>

#include "config/config.h"
#include "core/app.h"
#include "core/b64.h"
#include "domain/credentials.h"
#include "core/rand.h"

/* n characters drawn uniformly from `alphabet` (of size k ≤ 256). */
static bool
draw(char *out, size_t n, const char *alphabet, unsigned k)
{
	unsigned limit = 256 - 256 % k;
	unsigned char pool[64];
	size_t got = 0, i = sizeof(pool);

	while (got < n) {
		if (i == sizeof(pool)) {
			if (!rand_bytes(pool, sizeof(pool)))
				return false;
			i = 0;
		}
		if (pool[i] < limit)
			out[got++] = alphabet[pool[i] % k];
		i++;
	}
	crypto_wipe(pool, sizeof(pool));
	return true;
}

bool
cred_code(char out[CODE_LEN + 1])
{
	char l[9];

	if (!draw(l, 9, "abcdefghijklmnopqrstuvwxyz", 26))
		return false;
	memcpy(out, l, 3);
	out[3] = '-';
	memcpy(out + 4, l + 3, 3);
	out[7] = '-';
	memcpy(out + 8, l + 6, 3);
	out[11] = '\0';
	return true;
}

bool
cred_code_valid(const char *s)
{
	size_t i;

	if (strlen(s) != CODE_LEN)
		return false;
	for (i = 0; i < CODE_LEN; i++) {
		if (i == 3 || i == 7) {
			if (s[i] != '-')
				return false;
		} else if (s[i] < 'a' || s[i] > 'z') {
			return false;
		}
	}
	return true;
}

bool
cred_passcode(char out[PASSCODE_LEN + 1])
{
	if (!draw(out, PASSCODE_LEN, "0123456789", 10))
		return false;
	out[PASSCODE_LEN] = '\0';
	return true;
}

bool
cred_invite_token(char out[INVITE_TOKEN_LEN + 1])
{
	unsigned char raw[INVITE_TOKEN_BYTES];

	if (!rand_bytes(raw, sizeof(raw)))
		return false;
	b64url_encode(raw, sizeof(raw), out);
	crypto_wipe(raw, sizeof(raw));
	return strlen(out) == INVITE_TOKEN_LEN;
}

void
cred_invite_hash(const char *token, unsigned char out[SHA256_LEN])
{
	crypto_sha256(token, strlen(token), out);
}

static char *
aad(struct ctx *c, const char *meeting_id, const char *what)
{
	return arena_printf(c->arena, "meetings.%s:%s", what, meeting_id);
}

enum err
cred_seal(struct ctx *c, const char *meeting_id, const char *what,
    const char *plain, unsigned char out[SEALED_MAX], size_t *outlen)
{
	const char *ad;

	if (c->app->box == NULL)
		return ctx_fail(c, ERR_NOT_CONFIGURED,
		    "Meetings need a data key for secrets at rest: set secrets.key_file");
	if ((ad = aad(c, meeting_id, what)) == NULL)
		return ERR_NOMEM;
	return secretbox_seal(c->app->box, ad, plain, strlen(plain), out, SEALED_MAX, outlen);
}

enum err
cred_open(struct ctx *c, const char *meeting_id, const char *what,
    const struct blob *box, const char **plain)
{
	const char *ad;
	char *out;
	size_t len;

	*plain = NULL;
	if (box->p == NULL)
		return ERR_OK;
	if (c->app->box == NULL)
		return ctx_fail(c, ERR_NOT_CONFIGURED,
		    "Meetings need a data key for secrets at rest: set secrets.key_file");
	if ((ad = aad(c, meeting_id, what)) == NULL || (out = arena_alloc(c->arena, box->n)) == NULL)
		return ERR_NOMEM;
	if (secretbox_open(c->app->box, ad, box->p, box->n, out, box->n, &len) != ERR_OK)
		return ERR_INTERNAL;
	*plain = out;
	return ERR_OK;
}

enum err
cred_check(struct ctx *c, const char *meeting_id, const char *what,
    const struct blob *box, const char *guess, bool *match)
{
	const char *secret;
	size_t n;
	enum err e;

	*match = false;
	if ((e = cred_open(c, meeting_id, what, box, &secret)) != ERR_OK || secret == NULL)
		return e;
	n = strlen(secret);
	/* the length of a passcode is public (6 digits); the digits are not */
	*match = strlen(guess) == n && crypto_equal(secret, guess, n);
	return ERR_OK;
}
