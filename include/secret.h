/*
 * secret.h — secrets (JWT keys, database password) come from files, never
 * from the config text. A reference is either an absolute path or the name
 * of a systemd credential, looked up in $CREDENTIALS_DIRECTORY.
 * Secret bytes are wiped when released.
 */
#ifndef MEETD_SECRET_H
#define MEETD_SECRET_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

#define SECRET_MAX_BYTES (64 * 1024)

struct secret {
	unsigned char *data;    /* owned; NUL-terminated for PEM users */
	size_t len;
};

/* Loads `ref` into *out (one trailing newline is stripped). On failure
 * appends a one-line reason to errs (never the secret) and returns ERR_CONFIG. */
enum err secret_load(const char *ref, struct secret *out, struct buf *errs);
/* Wipes and frees; safe on an empty secret. */
void secret_clear(struct secret *s);

#endif
