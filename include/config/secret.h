/*
 * secret.h — secrets (JWT keys, database password) come from files, never
 * from the config text. A reference is either an absolute path or the name
 * of a systemd credential, looked up in $CREDENTIALS_DIRECTORY (or, outside
 * systemd, in the directory LoadCredential= reads them from).
 * Secret bytes are wiped when released.
 */
#ifndef MEETD_SECRET_H
#define MEETD_SECRET_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

#define SECRET_MAX_BYTES (64 * 1024)

struct secret {
	unsigned char *data;    /* owned; NUL-terminated for PEM users */
	size_t len;
};

/* Loads `ref` into *out (one trailing newline is stripped). On failure
 * appends a one-line reason to errs (never the secret) and returns ERR_CONFIG. */
enum err secret_load(const char *ref, struct secret *out, struct buf *errs);
/* The same, except that a credential name is read from fallback_dir when
 * $CREDENTIALS_DIRECTORY is not set (meetd started outside systemd);
 * fallback_dir NULL: no fallback, as secret_load. fallback_dir is borrowed. */
enum err secret_load_from(const char *ref, const char *fallback_dir, struct secret *out,
    struct buf *errs);
/* Wipes and frees; safe on an empty secret. */
void secret_clear(struct secret *s);

#endif
