/*
 * secretbox.h — secrets at rest (design §5): AES-256-GCM under the data key
 * from [secrets] key_file. A sealed box is
 *     0x01 | key id (4) | nonce (12) | ciphertext | tag (16)
 * where the key id is the first 4 bytes of SHA-256(key), so a box names the
 * key that opens it and keys can rotate. The caller passes associated data
 * naming where the box lives ("meetings.passcode:<id>"), so a box copied to
 * another row or column does not open.
 *
 * Rotation: the current key seals; earlier keys (secrets.previous_key_files)
 * are chained behind it and only open. `meetd rekey` re-seals every box
 * under the current key, after which the earlier keys can be dropped.
 */
#ifndef MEETD_SECRETBOX_H
#define MEETD_SECRETBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "config/secret.h"

#define SECRETBOX_KEY_LEN 32
#define SECRETBOX_OVERHEAD (1 + 4 + 12 + 16)
#define SECRETBOX_MAX_PLAIN (1 << 20)
#define SECRETBOX_MAX_KEYS 8            /* current + previous */

struct secretbox {
	unsigned char key[SECRETBOX_KEY_LEN];
	unsigned char key_id[4];
	const struct secretbox *older;  /* an earlier key that still opens, or NULL */
};

/* Does this box name b's own key (not an older one)? */
bool secretbox_is_current(const struct secretbox *b, const unsigned char *box, size_t n);

/* Is the secret 64 hex digits? */
bool secretbox_key_valid(const struct secret *s);
/* Fills *b from the secret; false if it is not a valid key. */
bool secretbox_init(struct secretbox *b, const struct secret *s);
/* Builds the chain current → previous[0] → … in ring (SECRETBOX_MAX_KEYS
 * entries); false if a key is invalid or there are too many. */
bool secretbox_ring_init(struct secretbox ring[SECRETBOX_MAX_KEYS], const struct secret *current,
    const struct secret *previous, size_t nprevious);
/* Wipes the key. */
void secretbox_wipe(struct secretbox *b);
/* Seals n bytes into out (cap ≥ n + SECRETBOX_OVERHEAD); *outlen is set. */
enum err secretbox_seal(const struct secretbox *b, const char *aad, const void *pt, size_t n,
    unsigned char *out, size_t cap, size_t *outlen);
/* Opens a box into out (cap ≥ n - SECRETBOX_OVERHEAD + 1, NUL-terminated)
 * with whichever key of the chain it names. ERR_INTERNAL if the box is
 * malformed, sealed under an unknown key, or forged. */
enum err secretbox_open(const struct secretbox *b, const char *aad, const unsigned char *in,
    size_t n, char *out, size_t cap, size_t *outlen);

#endif
