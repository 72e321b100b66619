/*
 * listen.c — see listen.h. A stale socket file left by a crashed instance
 * is removed only after a connect() to it is refused, so a second meetd
 * can never steal the socket of a running one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "process/listen.h"
#include "core/log.h"
#include "core/parse.h"

#define SD_LISTEN_FDS_START 3

static bool
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

/* The socket systemd passed, or -1. Clears the variables either way. */
static int
activated_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int64_t p, n;
	int fd = -1, type = 0;
	socklen_t len = sizeof(type);

	if (pid != NULL && fds != NULL &&
	    parse_i64z(pid, 1, INT32_MAX, &p) == ERR_OK && p == (int64_t)getpid() &&
	    parse_i64z(fds, 1, 64, &n) == ERR_OK) {
		if (n > 1)
			log_msg(LOG_WARN, "listen", "systemd passed %lld sockets; using the first", (long long)n);
		if (getsockopt(SD_LISTEN_FDS_START, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
		    type == SOCK_STREAM)
			fd = SD_LISTEN_FDS_START;
		else
			log_msg(LOG_ERROR, "listen", "the socket systemd passed is not a stream socket");
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

enum err
listen_open(const struct config *cfg, int *fd, bool *activated)
{
	struct sockaddr_un sa;
	struct stat st;
	size_t n = strlen(cfg->listen);
	int s;

	if ((s = activated_fd()) >= 0) {
		fcntl(s, F_SETFD, FD_CLOEXEC);
		if (!set_nonblock(s))
			return ERR_IO;
		*fd = s;
		*activated = true;
		log_msg(LOG_INFO, "listen", "using the socket passed by systemd");
		return ERR_OK;
	}
	*activated = false;
	if (n >= sizeof(sa.sun_path)) {
		log_msg(LOG_ERROR, "listen", "socket path too long: %s", cfg->listen);
		return ERR_IO;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, cfg->listen, n);

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return ERR_IO;
	if (lstat(cfg->listen, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_msg(LOG_ERROR, "listen", "%s exists and is not a socket", cfg->listen);
			close(s);
			return ERR_IO;
		}
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			log_msg(LOG_ERROR, "listen", "%s is in use by a running server", cfg->listen);
			close(s);
			return ERR_IO;
		}
		close(s);
		unlink(cfg->listen);
		if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return ERR_IO;
	}
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(cfg->listen, cfg->listen_mode) < 0 ||
	    listen(s, (int)cfg->backlog) < 0 || !set_nonblock(s)) {
		log_msg(LOG_ERROR, "listen", "cannot listen on %s: %s", cfg->listen, strerror(errno));
		close(s);
		return ERR_IO;
	}
	*fd = s;
	return ERR_OK;
}

void
listen_close(const struct config *cfg, int fd, bool activated)
{
	if (fd < 0)
		return;
	close(fd);
	if (!activated)
		unlink(cfg->listen);
}
