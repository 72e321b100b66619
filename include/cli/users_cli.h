/*
 * users_cli.h — the `meetd user` subcommand (users_cli.c).
 */
#ifndef MEETD_USERS_CLI_H
#define MEETD_USERS_CLI_H

#include "config/config.h"

/* argv[0] is the verb ("list", "show", ...). Returns the exit status. */
int users_cli_main(const struct config *cfg, int argc, char **argv);

#endif
