#!/bin/sh
# README command (b): installs what is needed, builds, and runs every test:
# C unit tests (cmocka) in a normal and an ASan+UBSan build, the source
# checks, `make distcheck`, then the integration suite (pytest) against the
# real daemon, nginx and a throwaway MariaDB, docs/openapi.yaml linted there by
# the pinned Redocly CLI (installed here with npm ci in tests/js), with the
# libFuzzer targets running 60 s each beside it. Ends with pytest's summary.
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
echo "== fuzz targets (clang, libFuzzer, ASan+UBSan) =="
# Built now; run in the background, 60 s per target one after the other,
# niced, while the integration suite runs. Their verdict comes back through
# tests/fuzz/test_fuzz_results.py, listed last, which waits for the run and
# prints its summary: pytest's summary line stays the last line of this
# script and counts the fuzzers' result with the rest.
rm -rf build-fuzz
sh build-aux/build.sh "$top/build-fuzz" CC=clang --enable-fuzz --enable-asan --enable-ubsan
make -C build-fuzz -j"$(nproc)" fuzz >/dev/null
FUZZ_OUT="$top/build-fuzz/fuzz-out" nice -n 10 sh tests/fuzz/run.sh --no-build 60 \
  >build-fuzz/fuzz-run.log 2>&1 &
fuzz_pid=$!
echo "== integration tests =="
rc=0
MEETD_BUILDDIR="$top/build" MEETD_SRCDIR="$top" MEETD_FUZZ_OUT="$top/build-fuzz/fuzz-out" \
  /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/integration \
  tests/fuzz/test_fuzz_results.py || rc=$?
# normally over already (the last test waited for it); never left behind
wait "$fuzz_pid" >/dev/null 2>&1 || true
exit $rc
