#!/bin/sh
# Installs what building and testing kvmsteal needs on Debian/Ubuntu, only
# what is missing.  Extra package names given as arguments are added.
set -eu
packages="make gcc libc6-dev pkg-config libcjson-dev $*"
missing=""
for p in $packages; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
