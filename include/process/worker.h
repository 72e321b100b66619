/*
 * worker.h — `meetd worker`: runs due jobs (jobs.h) and the periodic
 * purges, until SIGTERM. Any number of workers may run, on any hosts.
 */
#ifndef MEETD_WORKER_H
#define MEETD_WORKER_H

#include <stdbool.h>

#include "config/config.h"

/* once: run what is due now, then return (for cron, tests and operators).
 * Returns the process exit status. */
int worker_run(const struct config *cfg, bool once);

#endif
