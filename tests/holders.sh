#!/usr/bin/env bash
# Who holds a VM's CPUs, and how long each wait lasts, on the real kernel
# with QEMU-shaped processes (tests/fakeqemu.c) pinned with taskset:
#   a. a VM's busy vCPU pinned to CPU 1 beside a host process spinning there:
#      the host holds about half, other VMs nearly nothing;
#   b. two VMs' busy vCPUs pinned to CPU 1: other VMs hold about half;
#   c. a VM with two busy vCPUs, unpinned, and a host spinner: the shares
#      over both CPUs.
# Each tick's shares are checked against this script's own reading of the
# same kernel counters (each CPU's /proc/stat line, every thread's schedstat)
# over the same window (tests/holders.py), each vCPU's wait_per_run_us
# against its own Δrun_delay/Δtimeslices, and the mean wait per run of case a
# against `perf sched latency`, which times each wait from the scheduler's
# tracepoints.
#
# Tolerances.  TOL = 5 points of a 2 s tick: the agent takes a tick's time
# before its reads and this script's reader reads every 50 ms; the two can be
# apart by tens of ms behind the spinning threads they measure (24 ms seen in
# a CI run: 1.2 points of one CPU's 2 s), and /proc/stat counts in 10 ms
# units, one off at each end (1 point).  Wait per run: 15 % (or 20 us): the
# reader interpolates the run count between readings 50 ms apart.  perf: 25 %:
# its window is the agent's whole run, the agent's the ticks within it; the
# wait per run is steady while the spinners run (3.5 % apart when measured
# over the same 3 s, see ../shared/README.md's note on perf sched).
# The claims per case ("host above 25") are what the case is about; each is
# at least 20 points from where a fair scheduler puts it.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC
TOL=5

. tests/lib.sh
scratch

# The sanitizer pass has holders.c under ASan in the unit loop's fixtures
# (who-holds: every branch with exact values); this test's point is the real
# kernel's agreement, which the plain pass checks.
[ -n "${SANITIZE:-}" ] && [ "$SANITIZE" != 0 ] &&
	echo "SKIP by design: SANITIZE=1: holders.c runs under ASan in the unit loop; the plain pass runs this test" && exit 0
[ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ] || skip_all "needs two online CPUs (has $(getconf _NPROCESSORS_ONLN))"
command -v taskset >/dev/null || skip_all "no taskset (util-linux)"
ncpu=$(getconf _NPROCESSORS_ONLN)

# thread_of PID COMM: the TID of PID's thread named COMM
thread_of() {
	local t c
	for t in /proc/"$1"/task/*; do
		read -r c <"$t/comm" && [ "$c" = "$2" ] && { echo "${t##*/}"; return; }
	done
}

# roles PID PINNED: every thread of the VM, as holders.py reads them (vCPUs pinned to PINNED)
roles() {
	local t c
	for t in /proc/"$1"/task/*; do
		read -r c <"$t/comm"
		if [[ $c =~ ^CPU\ [0-9]+/ ]]; then echo "${t##*/} $1 vcpu $2"; else echo "${t##*/} $1 other 0-$((ncpu - 1))"; fi
	done
}

# reader: every 50 ms, each CPU's busy/irq/idle ticks and each role thread's schedstat
reader() {
	local line tid name u n s i w irq sirq rest run wait runs
	local -a tids
	read -ra tids <<<"$(cut -d' ' -f1 "$tmp/roles" | tr '\n' ' ')"
	while :; do
		line=$EPOCHREALTIME
		while read -r name u n s i w irq sirq rest; do
			[[ $name =~ ^cpu[0-9]+$ ]] && line+=" $((u + n + s)) $((irq + sirq)) $((i + w))"
		done </proc/stat
		for tid in "${tids[@]}"; do
			run=0 wait=0 runs=0
			read -r run wait runs <"/proc/$tid/schedstat" 2>/dev/null
			line+=" $run $wait $runs"
		done
		echo "$line"
		sleep 0.05
	done >"$tmp/counters"
}

# measure LABEL CLAIMS...: the agent for 6 ticks of 2 s beside the reader, then the check
measure() {
	local label=$1 reader_pid agent; shift
	reader & reader_pid=$!
	sleep 0.2
	./kvmsteal --interval 2 --count 6 >"$tmp/$label.out" 2>"$tmp/$label.err" &
	agent=$!
	if [ "$label" = a ]; then
		perf sched record -o "$tmp/perf.data" -- sleep 11 >"$tmp/perf.log" 2>&1
		echo "perf exit $?" >>"$tmp/perf.log"
	fi
	wait "$agent"
	kill "$reader_pid"; wait "$reader_pid" 2>/dev/null
	check "$label: the agent exits 0 without diagnostics" test ! -s "$tmp/$label.err"
	check "$label: schema v1" ./build/check_ndjson <"$tmp/$label.out"
	check "$label: every tick's shares and waits within $TOL of this script's readings; $*" \
		python3 tests/holders.py "$tmp/$label.out" "$tmp/counters" "$tmp/roles" "$(getconf CLK_TCK)" "$TOL" "$@"
}

spin_on() { taskset -c "$1" sh -c 'while :; do :; done' & pids+=($!); }

echo "== a. a VM's vCPU and a host spinner on CPU 1"
start_fake a 1 -name guest=hold-a,debug-threads=on -smp 1 || exit 1
a=$(cat "$tmp/a.pid")
taskset -pc 1 "$(thread_of "$a" "CPU 0/KVM")" >/dev/null
spin_on 1
roles "$a" 1 >"$tmp/roles"
measure a "$a:vm_cpus_host_pct>25" "$a:vm_cpus_other_vms_pct<5"
# perf's mean delay of the vCPU thread against the agent's mean wait per run
tid=$(thread_of "$a" "CPU 0/KVM")
if grep -q "perf exit 0" "$tmp/perf.log" && perf sched latency --pids -i "$tmp/perf.data" >"$tmp/latency" 2>/dev/null; then
	perf_us=$(awk -v tid=":$tid " 'index($0, tid) { for (i = 1; i <= NF; i++) if ($i == "avg:") print $(i + 1) * 1000 }' "$tmp/latency")
	agent_us=$(jq -s '[.[] | select(.record == "vm") | .vcpu[0].wait_per_run_us] | add / length' "$tmp/a.out")
	echo "     perf sched latency: ${perf_us:-none} us; the agent's mean wait per run: $agent_us us"
	check "a: wait per run within 25 % of perf sched latency's mean delay" \
		awk -v p="${perf_us:-0}" -v a="$agent_us" 'BEGIN { exit !(p > 0 && a > 0.75 * p && a < 1.25 * p) }'
elif [ "${CI:-}" = true ]; then
	fail "a: perf sched record/latency did not run (the CI machine has linux-perf and root): $(tail -n 2 "$tmp/perf.log")"
else
	echo "SKIP a: perf sched cannot record here: $(tail -n 1 "$tmp/perf.log")"
fi
stop_started

echo "== b. two VMs' vCPUs on CPU 1"
start_fake b1 1 -name guest=hold-b1,debug-threads=on -smp 1 || exit 1
start_fake b2 1 -name guest=hold-b2,debug-threads=on -smp 1 || exit 1
b1=$(cat "$tmp/b1.pid") b2=$(cat "$tmp/b2.pid")
taskset -pc 1 "$(thread_of "$b1" "CPU 0/KVM")" >/dev/null
taskset -pc 1 "$(thread_of "$b2" "CPU 0/KVM")" >/dev/null
{ roles "$b1" 1; roles "$b2" 1; } >"$tmp/roles"
measure b "$b1:vm_cpus_other_vms_pct>25" "$b2:vm_cpus_other_vms_pct>25" "$b1:vm_cpus_host_pct<25"
stop_started

echo "== c. a VM's two vCPUs unpinned, a host spinner unpinned"
start_fake c 2 -name guest=hold-c,debug-threads=on -smp 2 || exit 1
c=$(cat "$tmp/c.pid")
sh -c 'while :; do :; done' & pids+=($!)
spinner=$!
{ roles "$c" "0-$((ncpu - 1))"; echo "$spinner 0 host 0-$((ncpu - 1))"; } >"$tmp/roles"
measure c "$c:vm_cpus_own_pct>40" "$c:vm_cpus_host_pct>10"

echo
[ "$failures" -eq 0 ] && echo "all holders tests passed ($passes)" || echo "$failures holders test(s) FAILED"
[ "$failures" -eq 0 ]
