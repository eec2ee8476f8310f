#!/usr/bin/env bash
# The demo: starts short-lived guests whose vCPUs compete for this machine's
# CPUs, runs kvmsteal on the real /proc for about 10 s, prints its records,
# and stops the guests whatever happens.  Real QEMU/KVM guests when
# qemu-system-x86_64 and a usable /dev/kvm are here, QEMU-shaped processes
# (tests/fakeqemu.c) otherwise.
set -eu
cd "$(dirname "$0")/.."
make -s kvmsteal build/fakeqemu build/spin.img

cpus=$(nproc)
tmp=$(mktemp -d)
pids=()
. tests/lib.sh
cleanup() {
	kill_pidfiles
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
uuid() { cat /proc/sys/kernel/random/uuid; }

if kvm_usable && start_guest kvm web "demo-web" "$(uuid)" && start_guest kvm db "demo-db" "$(uuid)"; then
	# Each guest spins on vCPU 0 and halts vCPU 1; hogs make one more busy
	# thread than there are CPUs.
	start_hogs "$((cpus - 1))"
	echo "# $cpus host CPUs; real QEMU/KVM guests demo-web and demo-db (vCPU 0 busy, vCPU 1 idle) and $((cpus - 1)) CPU hog(s)"
else
	# One more busy vCPU thread than there are CPUs; demo-db has an idle vCPU.
	busy=$((cpus + 1))
	start_fake web "$((busy - busy / 2))" -name "guest=demo-web,debug-threads=on" -uuid "$(uuid)" -smp "$((busy - busy / 2))"
	start_fake db "$((busy / 2))" -name "guest=demo-db,debug-threads=on" -uuid "$(uuid)" -smp "$((busy / 2 + 1))"
	echo "# $cpus host CPUs; no usable QEMU/KVM here: QEMU-shaped processes demo-web and demo-db with $busy busy vCPU threads and one idle"
fi
echo "# kvmsteal --interval 2 --count 5"
./kvmsteal --interval 2 --count 5
