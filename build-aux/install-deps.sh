#!/bin/sh
# Installs the Debian 12 packages meetd needs to build, run and test.
# Idempotent: does nothing when everything is already installed.
set -eu
# clang and libclang-rt-14-dev (libFuzzer's runtime): the fuzz targets of tests/fuzz.
# python3-websockets: an independent WebSocket client for the real-time tests.
PACKAGES="build-essential autoconf automake libtool pkg-config
  libfcgi-dev libjansson-dev libjwt-dev libmariadb-dev libcurl4-openssl-dev libssl-dev
  libcmocka-dev mariadb-server mariadb-client nginx-light libnginx-mod-nchan
  wrk python3 python3-pytest python3-yaml curl ca-certificates tzdata procps python3-jwt python3-cryptography
  systemd util-linux clang libclang-rt-14-dev python3-websockets"

# Node runs the OpenAPI validator of the test suite (tests/js, node >= 18.17).
# Debian's nodejs and npm unless a node with npm is already there (NodeSource's
# nodejs, say, bundles npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES="$PACKAGES nodejs npm"
fi

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages:$missing — run as root (or install them)" >&2
  exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
