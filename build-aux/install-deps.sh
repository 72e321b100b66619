#!/bin/sh
# Installs the Debian 12 packages meetd needs to build, run and test.
# Idempotent: does nothing when everything is already installed.
set -eu
PACKAGES="build-essential autoconf automake libtool pkg-config
  libfcgi-dev libjansson-dev libjwt-dev libmariadb-dev libcurl4-openssl-dev libssl-dev
  libcmocka-dev mariadb-server mariadb-client nginx-light libnginx-mod-nchan
  wrk python3 python3-pytest python3-yaml python3-jwt python3-cryptography curl ca-certificates tzdata procps"

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
