#!/usr/bin/env bash
# The demo: starts short-lived QEMU-shaped processes whose vCPU threads compete
# for this machine's CPUs, runs kvmsteal on the real /proc for about 10 s,
# prints its records, and stops the processes (whatever happens).
set -eu
cd "$(dirname "$0")/.."
make -s kvmsteal build/fakeqemu

cpus=$(nproc)
tmp=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# name, vCPUs, busy vCPUs: one more busy vCPU than there are host CPUs, so
# each has to wait for a CPU part of the time; the idle vCPUs must show ~0.
start_vm() {
	FAKEQEMU_BUSY=$3 FAKEQEMU_SECONDS=30 ./build/fakeqemu \
		-name "guest=$1,debug-threads=on" -uuid "$(cat /proc/sys/kernel/random/uuid)" \
		-smp "$2" -pidfile "$tmp/$1.pid" &
	pids+=($!)
}
busy_total=$((cpus + 1))
start_vm demo-web "$((busy_total - busy_total / 2))" "$((busy_total - busy_total / 2))"
start_vm demo-db "$((busy_total / 2 + 1))" "$((busy_total / 2))"
for vm in demo-web demo-db; do
	for _ in $(seq 100); do [ -s "$tmp/$vm.pid" ] && break; sleep 0.05; done
done

echo "# $cpus host CPUs, $busy_total busy vCPU threads (demo-web, demo-db) plus one idle vCPU in demo-db"
echo "# kvmsteal --interval 2 --count 5"
./kvmsteal --interval 2 --count 5
