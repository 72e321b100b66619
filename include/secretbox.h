/*
 * secretbox.h — secrets at rest (design §5): AES-256-GCM under the data key
 * from [secrets] key_file. A sealed box is
 *     0x01 | key id (4) | nonce (12) | ciphertext | tag (16)
 * where the key id is the first 4 bytes of SHA-256(key), so a box names the
 * key that opens it and keys can rotate. The caller passes associated data
 * naming where the box lives ("meetings.passcode:<id>"), so a box copied to
 * another row or column does not open.
 */
#ifndef MEETD_SECRETBOX_H
#define MEETD_SECRETBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "secret.h"

#define SECRETBOX_KEY_LEN 32
#define SECRETBOX_OVERHEAD (1 + 4 + 12 + 16)

struct secretbox {
	unsigned char key[SECRETBOX_KEY_LEN];
	unsigned char key_id[4];
};

/* Is the secret 64 hex digits? */
bool secretbox_key_valid(const struct secret *s);
/* Fills *b from the secret; false if it is not a valid key. */
bool secretbox_init(struct secretbox *b, const struct secret *s);
/* Wipes the key. */
void secretbox_wipe(struct secretbox *b);
/* Seals n bytes into out (cap ≥ n + SECRETBOX_OVERHEAD); *outlen is set. */
enum err secretbox_seal(const struct secretbox *b, const char *aad, const void *pt, size_t n,
    unsigned char *out, size_t cap, size_t *outlen);
/* Opens a box into out (cap ≥ n - SECRETBOX_OVERHEAD + 1, NUL-terminated).
 * ERR_INTERNAL if the box is malformed, sealed under another key, or forged. */
enum err secretbox_open(const struct secretbox *b, const char *aad, const unsigned char *in,
    size_t n, char *out, size_t cap, size_t *outlen);

#endif
