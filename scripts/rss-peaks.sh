#!/usr/bin/env bash
# How kvmsteal's memory follows the number of processes on the host: the agent
# runs at 0.1 s on the real /proc (with whatever VMs are there; start some with
# scripts/bench.sh's fixture or tests/fakeqemu.c for a fuller picture) while
# this script adds short-lived processes (sleep 8) in two bursts, and prints
# every 2 s the agent's VmRSS, its heap and stack (from smaps) and the count
# of processes.  Memory should rise once at each new peak and never after.
#
#   scripts/rss-peaks.sh [--seconds N] [--bursts "AT:COUNT ..."]
#
# Defaults: 200 seconds, bursts "60:200 120:600".
set -u
cd "$(dirname "$0")/.."
seconds=200 bursts="60:200 120:600"
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--bursts) bursts=$2; shift 2 ;;
	*) echo "usage: $0 [--seconds N] [--bursts \"AT:COUNT ...\"]" >&2; exit 64 ;;
	esac
done
make -s kvmsteal || exit 1

./kvmsteal --interval 0.1 --output /dev/null &
agent=$!
trap 'kill "$agent" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

# memory_line: VmRSS, then the resident KiB of the heap and the stack
memory_line() {
	awk '/^VmRSS/ { print $2 }' "/proc/$agent/status" | tr '\n' ' '
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 }
	     /^Rss:/ && (name == "[heap]" || name == "[stack]") { kib[name] += $2 }
	     END { printf "%d %d", kib["[heap]"], kib["[stack]"] }' "/proc/$agent/smaps"
}

echo "seconds, VmRSS KiB, heap KiB, stack KiB, processes on the host"
start=$(date +%s) done_bursts=""
while :; do
	t=$(( $(date +%s) - start ))
	[ "$t" -ge "$seconds" ] && break
	kill -0 "$agent" 2>/dev/null || { echo "kvmsteal exited" >&2; exit 1; }
	echo "$t $(memory_line) $(ls /proc | grep -c '^[0-9]')"
	for burst in $bursts; do
		at=${burst%%:*} count=${burst#*:}
		case " $done_bursts " in *" $burst "*) continue ;; esac
		if [ "$t" -ge "$at" ]; then
			for _ in $(seq "$count"); do sleep 8 & done
			done_bursts="$done_bursts $burst"
		fi
	done
	sleep 2
done
