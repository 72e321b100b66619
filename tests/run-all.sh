#!/bin/sh
# README command (b): installs what is needed, builds, and runs every test:
# C unit tests (cmocka) in a normal and an ASan+UBSan build, the source
# checks, `make distcheck`, then the integration suite (pytest) against the
# real daemon, nginx and a throwaway MariaDB, docs/openapi.yaml linted there by
# the pinned Redocly CLI (installed here with npm ci in tests/js). Ends with
# pytest's summary.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh build-aux/install-deps.sh
rm -rf build build-san
autoreconf -fi >/dev/null 2>&1
sh build-aux/build.sh "$top/build"
echo "== unit tests =="
make -C build -j"$(nproc)" check
echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
sh build-aux/build.sh "$top/build-san" --enable-asan --enable-ubsan
ASAN_OPTIONS=detect_leaks=1 make -C build-san -j"$(nproc)" check
echo "== make distcheck =="
make -C build -j"$(nproc)" distcheck >build/distcheck.log 2>&1 || { tail -40 build/distcheck.log; exit 1; }
grep -E "archives ready for distribution|meetd-.*tar.gz" build/distcheck.log | head -2
echo "== Node tools for the tests (npm ci in tests/js) =="
# Exactly the versions of tests/js/package-lock.json, from the npm registry;
# no package's install script runs (none of them needs one).
(cd tests/js && npm ci --no-audit --no-fund --ignore-scripts)
echo "== integration tests =="
MEETD_BUILDDIR="$top/build" MEETD_SRCDIR="$top" \
  exec /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/integration
