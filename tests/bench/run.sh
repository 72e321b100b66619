#!/bin/sh
# run.sh — the throughput and memory benchmark (not a timed test; see
# docs/benchmarks.md). Options are bench.py's:
#
#     tests/bench/run.sh [--quick] [--duration S] [--responders N] [--write-docs] [--strict]
#     tests/bench/run.sh --zoom [--duration S] [--write-docs] [--strict]
#     tests/bench/run.sh --realtime [--events N] [--write-docs] [--strict]
#
# --zoom runs the platform proxy's benchmark instead (zoom_bench.py: a
# create through the Zoom fake); --realtime real time's (realtime_bench.py:
# 1,000 idle subscribers, and one event's fan-out to 1,000 WebSockets
# against nchan alone).
#
# Needs a built tree (MEETD_BUILDDIR, default the source tree, with
# tests/bench/fcgi-hello, fcgi-insert and fcgi-select), wrk, nginx, mariadbd,
# mariadb-install-db and the mariadb client. Run as root or as a user who may start
# them; everything listens on 127.0.0.1 or in a private temporary directory.
here=$(cd "$(dirname "$0")" && pwd) || exit 1
if [ "${1:-}" = "--zoom" ]; then
	shift
	exec /usr/bin/python3 "$here/zoom_bench.py" "$@"
fi
if [ "${1:-}" = "--realtime" ]; then
	shift
	exec /usr/bin/python3 "$here/realtime_bench.py" "$@"
fi
exec /usr/bin/python3 "$here/bench.py" "$@"
