/*
 * b64.h — base64url (RFC 4648 §5) without padding, as JWTs and our tokens
 * use it. The decoder is strict: only the url alphabet, no padding, no
 * white space, and a length that a real encoding can have.
 */
#ifndef MEETD_B64_H
#define MEETD_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Encoded length for n bytes (without NUL). */
size_t b64url_encoded_len(size_t n);
/* Encodes into out, which must hold b64url_encoded_len(n) + 1 bytes. */
void b64url_encode(const void *in, size_t n, char *out);
/* Decodes n characters into out (room for n * 3 / 4 bytes); false if the
 * text is not strict base64url. */
bool b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen);

#endif
