#!/bin/sh
# README command (a): installs what is needed, builds, and runs the whole
# service locally — MariaDB with its data in var/, nginx on 127.0.0.1:8080
# (MEETD_PORT overrides), meetd — then prints the URL and a dev token.
#   build-aux/run-local.sh         start
#   build-aux/run-local.sh stop    stop everything it started
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-start}" in
  stop) exec /usr/bin/python3 "$top/build-aux/devstack.py" down ;;
  start) ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
sh "$top/build-aux/install-deps.sh"
sh "$top/build-aux/build.sh" "$top/build"
exec /usr/bin/python3 "$top/build-aux/devstack.py" up "${MEETD_PORT:-8080}"
