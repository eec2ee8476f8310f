#!/bin/sh
# Installs, on Debian/Ubuntu, only what is missing:
#   install-deps.sh          what building kvmsteal (and its demo) needs
#   install-deps.sh --test   that, plus what the tests need: QEMU for real
#                            guests, pidstat, jq, socat (QMP), curl and the
#                            real node_exporter, binutils; Prometheus,
#                            Alertmanager and VictoriaMetrics for the fleet
#                            test, python3 for its fake hypervisors; the
#                            Debian and RPM packaging tools; perf; TypeScript
#                            and, from the npm registry at the version its
#                            lockfile pins, Grafana's dashboard schema
#                            (tests/grafana/) for the dashboard's check
# Further package names given as arguments are added.
set -eu
cd "$(dirname "$0")/.."
packages="make gcc libc6-dev binutils pkg-config libcjson-dev"
tests=""
if [ "${1:-}" = "--test" ]; then
	shift
	tests=yes
	packages="$packages qemu-system-x86 sysstat jq socat curl prometheus prometheus-node-exporter logrotate rsyslog"
	packages="$packages systemd man-db util-linux tmux prometheus-alertmanager victoria-metrics python3"
	packages="$packages dpkg-dev debhelper build-essential lintian rpm rpmlint rpm2cpio cpio elfutils linux-perf node-typescript debootstrap"
	command -v npm >/dev/null || packages="$packages npm" # a NodeSource nodejs brings its own
fi
packages="$packages $*"
missing=""
for p in $packages; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing:$missing"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ -n "$tests" ] && [ ! -f tests/grafana/node_modules/@grafana/schema/package.json ]; then
	echo "installing: @grafana/schema (npm, tests/grafana/package-lock.json)"
	npm ci --prefix tests/grafana --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi
