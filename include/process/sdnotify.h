/*
 * sdnotify.h — systemd's readiness protocol without libsystemd: one
 * datagram to $NOTIFY_SOCKET per message (sd_notify(3) documents the
 * format). A no-op when not started by systemd.
 */
#ifndef MEETD_SDNOTIFY_H
#define MEETD_SDNOTIFY_H

#include <stdbool.h>

/* Takes $NOTIFY_SOCKET out of the environment (children must not inherit
 * it) and remembers it. Call once in the master before forking. */
void sdnotify_init(void);
/* Sends "KEY=value\n..." lines; returns false if it could not be sent. */
bool sdnotify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
