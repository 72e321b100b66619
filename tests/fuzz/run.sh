#!/bin/sh
# Builds the libFuzzer targets (clang, ASan, UBSan) in build-fuzz/ and runs
# each for SECONDS (default 60) from its committed seed corpus, one after the
# other; fails on any crash, leak, timeout or memory blow-up, with one
# summary line per target. What the run found (artifacts, logs, the grown
# corpus) is kept in OUT (build-fuzz/fuzz-out); OUT/summary.txt and
# OUT/status ("ok" or "failed") are written last, for a caller that ran this
# in the background (tests/run-all.sh).
#
# usage: tests/fuzz/run.sh [--no-build] [--builddir DIR] [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build-fuzz
do_build=yes
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) do_build=no; shift ;;
    --builddir) build=$2; shift 2 ;;
    *) break ;;
  esac
done
secs=${1:-60}
case $secs in ''|*[!0-9]*) echo "run.sh: SECONDS must be a number" >&2; exit 2 ;; esac
targets="fcgi json token jwks signal"
if [ $do_build = yes ]; then
  sh "$top/build-aux/build.sh" "$build" CC=clang --enable-fuzz --enable-asan --enable-ubsan >/dev/null
  make -C "$build" -j"$(nproc)" fuzz >/dev/null
fi
out=${FUZZ_OUT:-$build/fuzz-out}
rm -rf "$out"
mkdir -p "$out"
# a caller waiting for the status gets one however this script ends
trap '[ -f "$out/status" ] || echo failed >"$out/status"' EXIT
# leaks are findings; UBSan stops at the first report (-fno-sanitize-recover)
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
status=ok
: >"$out/summary.txt"
for t in $targets; do
  bin=$build/tests/fuzz/fuzz_$t
  seeds=$top/tests/fuzz/corpus/$t
  dict=$top/tests/fuzz/$t.dict
  # new inputs go to a scratch copy: the committed corpus stays hand-made
  mkdir -p "$out/corpus-$t"
  set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/$t-"
  [ -f "$dict" ] && set -- "$@" -dict="$dict"
  rc=0
  "$bin" "$@" "$out/corpus-$t" "$seeds" >"$out/$t.log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -1)
  cov=$(sed -n 's/^#[0-9]*.*cov: \([0-9]*\).*/\1/p' "$out/$t.log" | tail -1)
  if [ $rc -eq 0 ] && ! grep -qE '^(==[0-9]+==ERROR|SUMMARY: )' "$out/$t.log"; then
    line="fuzz: $t ok: ${runs:-?} runs in $secs s, coverage ${cov:-?} edges"
  else
    status=failed
    kind=$(grep -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z-]+|runtime error|timeout|out-of-memory' \
      "$out/$t.log" | head -1)
    line="fuzz: $t FAILED (exit $rc${kind:+, $kind}); input and log in $out/$t-* and $out/$t.log"
    tail -30 "$out/$t.log" >&2
  fi
  echo "$line"
  echo "$line" >>"$out/summary.txt"
done
echo "$status" >"$out/status"
[ $status = ok ]
