/*
 * secret.c — reads secret files with a size cap and refuses ones that any
 * user may read, since a world-readable key is a key already leaked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/secret.h"

static bool
credential_name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || s[0] == '.')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return i <= 255;
}

enum err
secret_load(const char *ref, struct secret *out, struct buf *errs)
{
	return secret_load_from(ref, NULL, out, errs);
}

enum err
secret_load_from(const char *ref, const char *fallback_dir, struct secret *out, struct buf *errs)
{
	char path[4096];
	struct stat st;
	unsigned char *data;
	ssize_t n;
	size_t len = 0;
	bool fallback = false;
	int fd;

	out->data = NULL;
	out->len = 0;
	if (ref[0] == '/') {
		if (strlen(ref) >= sizeof(path)) {
			buf_printf(errs, "secret path too long\n");
			return ERR_CONFIG;
		}
		memcpy(path, ref, strlen(ref) + 1);
	} else {
		const char *dir = getenv("CREDENTIALS_DIRECTORY");

		/* Outside systemd (meetd run by hand, a test, another supervisor)
		 * the credential is read where LoadCredential= would have read it. */
		if (dir == NULL || dir[0] != '/') {
			dir = fallback_dir;
			fallback = true;
		}

		if (!credential_name_ok(ref)) {
			buf_printf(errs, "secret '%s' is neither an absolute path nor a credential name\n", ref);
			return ERR_CONFIG;
		}
		if (dir == NULL || dir[0] == '\0') {
			buf_printf(errs, "secret '%s' names a credential but $CREDENTIALS_DIRECTORY is not set\n", ref);
			return ERR_CONFIG;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, ref) >= sizeof(path)) {
			buf_printf(errs, "credential path too long\n");
			return ERR_CONFIG;
		}
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		buf_printf(errs, "cannot open secret %s: %s%s\n", path, strerror(errno),
		    fallback ? " ($CREDENTIALS_DIRECTORY is not set)" : "");
		return ERR_CONFIG;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		buf_printf(errs, "secret %s is not a regular file\n", path);
		close(fd);
		return ERR_CONFIG;
	}
	if (st.st_mode & S_IROTH) {
		buf_printf(errs, "secret %s is readable by every user (chmod o-r)\n", path);
		close(fd);
		return ERR_CONFIG;
	}
	if (st.st_size > SECRET_MAX_BYTES) {
		buf_printf(errs, "secret %s is larger than %d bytes\n", path, SECRET_MAX_BYTES);
		close(fd);
		return ERR_CONFIG;
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return ERR_NOMEM;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, data + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	if (len == 0) {
		buf_printf(errs, "secret %s is empty\n", path);
		free(data);
		return ERR_CONFIG;
	}
	data[len] = '\0';
	out->data = data;
	out->len = len;
	return ERR_OK;
}

void
secret_clear(struct secret *s)
{
	if (s->data != NULL) {
		explicit_bzero(s->data, s->len);
		free(s->data);
	}
	s->data = NULL;
	s->len = 0;
}
