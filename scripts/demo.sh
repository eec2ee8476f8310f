#!/usr/bin/env bash
# The demo: starts short-lived guests whose vCPUs compete for this machine's
# CPUs, runs kvmsteal on the real /proc for about 10 s: the live text view
# at a terminal (the table per tick otherwise) while another run writes the
# NDJSON to build/demo.ndjson, which it then shows; it stops the guests
# whatever happens.  Real QEMU/KVM guests when
# qemu-system-x86_64 and a usable /dev/kvm are here, QEMU-shaped processes
# (tests/fakeqemu.c) otherwise.
set -eu
cd "$(dirname "$0")/.."
make -s kvmsteal build/fakeqemu build/spin.img

cpus=$(nproc)
. tests/lib.sh
scratch
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
# Both causes of steal side by side, where cgroups can be written (root, a
# cgroup v1 cpu controller): demo-db alone in a 0.25-CPU cgroup is throttled
# by its own limit, demo-web waits for the CPUs the hogs hold.
cgroup_args=()
cg=/sys/fs/cgroup/cpu/kvmsteal-demo-$$
if [ "$(id -u)" -eq 0 ] && [ -w /sys/fs/cgroup/cpu/cgroup.procs ] && mkdir "$cg" 2>/dev/null; then
	echo 100000 >"$cg/cpu.cfs_period_us"; echo 25000 >"$cg/cpu.cfs_quota_us"
	for task in /proc/"$(cat "$tmp/db.pid")"/task/*; do echo "${task##*/}" >"$cg/tasks"; done
	cgroup_args=(--cgroup-root /sys/fs/cgroup)
	echo "# demo-db is in a 0.25-CPU cgroup ($cg): its steal is its own limit (THROTTLED); demo-web's is the host (CONTENTION)"
	cleanup_cgroup() { while read -r t; do echo "$t" >/sys/fs/cgroup/cpu/tasks; done <"$cg/tasks" 2>/dev/null; rmdir "$cg"; }
	at_exit 'cleanup_cgroup 2>/dev/null'
else
	echo "# cgroups cannot be written here (needs root and a cgroup v1 cpu controller): only contention is shown"
fi
sleep 0.5
# The NDJSON goes to a file while a person watches the view.
ndjson=build/demo.ndjson
rm -f "$ndjson"
./kvmsteal "${cgroup_args[@]}" --interval 2 --count 5 --output "$ndjson" &
pids+=($!)
if [ -t 1 ]; then
	echo "# the live view for 10 s: kvmsteal ${cgroup_args[*]} --interval 1 --count 10 --format text (q quits, s sorts)"
	sleep 1
	./kvmsteal "${cgroup_args[@]}" --interval 1 --count 10 --format text
else
	echo "# not a terminal: the view's piped form, a table per tick (kvmsteal ${cgroup_args[*]} --interval 2 --count 5 --format text)"
	./kvmsteal "${cgroup_args[@]}" --interval 2 --count 5 --format text
fi
wait "${pids[-1]}"
echo "# meanwhile the NDJSON went to $ndjson ($(wc -l <"$ndjson") records, one per line: kvmsteal ${cgroup_args[*]} --interval 2 --count 5 --output $ndjson); its last tick:"
tail -n 3 "$ndjson"
