#!/bin/sh
# Installs, on Debian/Ubuntu, only what is missing:
#   install-deps.sh          what building kvmsteal (and its demo) needs
#   install-deps.sh --test   that, plus what the tests need: QEMU for real
#                            guests, pidstat, jq, socat (QMP), curl and the
#                            real node_exporter, binutils; Prometheus,
#                            Alertmanager and VictoriaMetrics for the fleet
#                            test, python3 for its fake hypervisors; the
#                            Debian and RPM packaging tools
# Further package names given as arguments are added.
set -eu
packages="make gcc libc6-dev binutils pkg-config libcjson-dev"
if [ "${1:-}" = "--test" ]; then
	shift
	packages="$packages qemu-system-x86 sysstat jq socat curl prometheus prometheus-node-exporter logrotate rsyslog"
	packages="$packages systemd man-db util-linux tmux prometheus-alertmanager victoria-metrics python3"
	packages="$packages dpkg-dev debhelper lintian rpm rpmlint rpm2cpio cpio linux-perf"
fi
packages="$packages $*"
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
