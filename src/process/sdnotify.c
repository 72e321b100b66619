/*
 * sdnotify.c — see sdnotify.h. An address starting with '@' is in the
 * abstract namespace (the '@' becomes a leading NUL byte).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "process/sdnotify.h"

static struct sockaddr_un addr;
static socklen_t addr_len;

void
sdnotify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	addr_len = 0;
	if (path == NULL)
		return;
	n = strlen(path);
	if ((path[0] == '/' || path[0] == '@') && n > 1 && n < sizeof(addr.sun_path)) {
		memset(&addr, 0, sizeof(addr));
		addr.sun_family = AF_UNIX;
		memcpy(addr.sun_path, path, n);
		if (path[0] == '@')
			addr.sun_path[0] = '\0';
		addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	unsetenv("NOTIFY_SOCKET");
}

bool
sdnotify(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int fd, n;
	bool ok;

	if (addr_len == 0)
		return true;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return false;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	ok = sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len) == n;
	close(fd);
	return ok;
}
