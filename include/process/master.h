/*
 * master.h — `meetd serve`: the pre-forking FastCGI process manager.
 */
#ifndef MEETD_MASTER_H
#define MEETD_MASTER_H

#include "config/config.h"

/* Runs the master until SIGTERM/SIGINT; takes ownership of cfg. Returns
 * the process exit code (0 after a clean drain). */
int master_run(struct config *cfg);

#endif
