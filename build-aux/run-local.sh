#!/bin/sh
# README command (a): installs what is needed, builds, and runs the whole
# service locally — MariaDB, meetd and its worker, nginx on 127.0.0.1:8080
# (MEETD_PORT overrides) — then prints the URL, a dev token and a curl
# command that creates a meeting with it. State (database, keys, sockets,
# logs) is kept across restarts; build-aux/devstack.py says where.
#   build-aux/run-local.sh         start (or restart)
#   build-aux/run-local.sh stop    stop everything it started
# MEETD_BUILDDIR=DIR uses the meetd already built in DIR: no package
# install, no build (the integration test runs it so).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-start}" in
  stop) exec /usr/bin/python3 "$top/build-aux/devstack.py" down ;;
  start) ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
if [ -z "${MEETD_BUILDDIR:-}" ]; then
  sh "$top/build-aux/install-deps.sh" ||
    { echo "run-local: installing the Debian packages failed (see above)" >&2; exit 1; }
  sh "$top/build-aux/build.sh" "$top/build" ||
    { echo "run-local: the build failed (see above)" >&2; exit 1; }
  MEETD_BUILDDIR=$top/build
  export MEETD_BUILDDIR
fi
exec /usr/bin/python3 "$top/build-aux/devstack.py" up "${MEETD_PORT:-8080}"
