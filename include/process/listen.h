/*
 * listen.h — the FastCGI listening socket: taken from systemd socket
 * activation ($LISTEN_FDS, sd_listen_fds(3)) when present, else a unix
 * socket we create. The returned descriptor is non-blocking: responders
 * poll it and race to accept, and the losers simply go back to poll.
 */
#ifndef MEETD_LISTEN_H
#define MEETD_LISTEN_H

#include <stdbool.h>

#include "config/config.h"
#include "core/error.h"

/* Opens or adopts the socket into *fd. *activated tells which. On failure
 * logs why and returns ERR_IO. */
enum err listen_open(const struct config *cfg, int *fd, bool *activated);
/* Closes the socket and removes the path if we created it. */
void listen_close(const struct config *cfg, int fd, bool activated);

#endif
