/*
 * responder.h — the life of one responder process: accept a FastCGI
 * request, dispatch it, answer, repeat; exit after max_requests or when the
 * master asks (SIGTERM: finish the current request first).
 */
#ifndef MEETD_RESPONDER_H
#define MEETD_RESPONDER_H

#include <sys/types.h>

#include "config/config.h"
#include "process/scoreboard.h"

/* Runs in the child right after fork(); never returns (calls _exit). */
__attribute__((noreturn))
void responder_main(const struct config *cfg, int listen_fd, struct scoreboard *sb,
    int slot, pid_t master_pid);

#endif
