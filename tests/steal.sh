#!/usr/bin/env bash
# End-to-end: the shipped ./kvmsteal on the real /proc, against QEMU-shaped
# processes and real QEMU guests, compared with the run-queue wait this script
# reads itself from the same threads' schedstat and with `pidstat -t` %wait.
#
# Tolerances.  The three readings cover nearly the same window: this script
# reads schedstat once the agent says its baseline is taken (sd_notify) and
# starts pidstat then, and reads again once they exit, so its window is the
# agent's WINDOW seconds give or take the notification's latency and their
# exit (tens of ms).  Busy threads sharing CPUs wait at a steady rate, so the
# readings differ only by what happens in those extra milliseconds: at most
# about 50 ms / 4 s = 1.3 % of the share, well under TOL_OWN = 3 points.
# pidstat works in clock ticks (10 ms: 0.25 points of 4 s) and starts its
# window a few ms apart from the agent's: TOL_PIDSTAT = 5 points.  An idle or
# halted vCPU still wakes now and then (timers, interrupts), and each wake-up
# may queue behind the busy threads for up to a scheduler slice: its steal is
# small but not zero under this contention (up to 1.25 points seen here, with
# all three readings agreeing), against about 30 for a busy vCPU.  It must
# stay under IDLE_MAX = 5 points.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC

WINDOW=4
TOL_OWN=3
TOL_PIDSTAT=5
IDLE_MAX=5

. tests/lib.sh
scratch

need jq pidstat socat
fake_vm() { start_fake "$@" || fail "QEMU-shaped process $1 did not start"; }

# own_schedstat PID... > FILE: "tid wait_ns" for every thread, and the time
own_schedstat() {
	date +%s.%N
	for pid in "$@"; do
		for task in /proc/"$pid"/task/*; do
			read -r _ wait _ <"$task/schedstat" 2>/dev/null && echo "${task##*/} $wait"
		done
	done
}

# own_cpu PID...: "VM ticks, host ticks": the processes' utime + stime
# (/proc/PID/stat 14 and 15) and all CPUs' time (/proc/stat's cpu line)
own_cpu() {
	local vm=0 pid f
	for pid in "$@"; do
		read -r -a f < <(sed 's/.*) //' "/proc/$pid/stat")
		vm=$((vm + f[11] + f[12]))
	done
	echo "$vm $(awk '$1 == "cpu" { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)"
}

# measure PID...: runs kvmsteal and pidstat over the same WINDOW on those VMs;
# leaves $tmp/agent.out, $tmp/pidstat.wait ("tid %wait"), $tmp/own.wait
measure() {
	local list
	list=$(IFS=,; echo "$*")
	# The agent first, told to say when its baseline is taken (sd_notify
	# READY=1, as under systemd): this script's and pidstat's windows start
	# then, not before its start-up (slow under the sanitizers, and busy:
	# it competes with the VMs it measures).
	rm -f "$tmp/notify.sock" "$tmp/notify.out"
	socat -u "UNIX-RECV:$tmp/notify.sock" "OPEN:$tmp/notify.out,creat" &
	local listener=$!
	for _ in $(seq 100); do [ -S "$tmp/notify.sock" ] && break; sleep 0.01; done
	NOTIFY_SOCKET="$tmp/notify.sock" ./kvmsteal --interval "$WINDOW" --count 1 >"$tmp/agent.out" 2>"$tmp/agent.err" &
	local agent=$!
	for _ in $(seq 1000); do grep -q READY=1 "$tmp/notify.out" 2>/dev/null && break; sleep 0.005; done
	own_schedstat "$@" >"$tmp/own0"
	own_cpu "$@" >"$tmp/cpu0"
	pidstat -t -p "$list" "$WINDOW" 1 >"$tmp/pidstat.out" 2>&1 &
	local pidstat=$!
	wait "$agent"; local agent_rc=$?
	kill "$listener" 2>/dev/null
	wait "$pidstat"
	own_schedstat "$@" >"$tmp/own1"
	own_cpu "$@" >"$tmp/cpu1"
	check "agent exits 0 after --count 1" test "$agent_rc" -eq 0
	check "agent output is schema v1" ./build/check_ndjson <"$tmp/agent.out"
	local share
	share=$(jq -rs '(map(select(.record == "host"))[0]) as $h |
		[(map(select(.record == "vm") | .process_guest_pct + .process_user_pct + .process_system_pct) | add) / $h.cpu_count,
		 $h.vm_cpu_pct] | @tsv' "$tmp/agent.out")
	# The two share no denominator: the VM records are over the measured interval, vm_cpu_pct over
	# /proc/stat's tick total, and both count in 10 ms ticks that lag by up to one per CPU and per
	# thread at each end of the 4 s window (1 point each here; a CI run saw 98.9 against 100, the cap)
	check "host vm_cpu_pct is the VMs' process time over all CPUs within 2 (from VMs, reported: $share)" \
		awk -v s="$share" 'BEGIN { split(s, v, "\t"); d = v[1] - v[2]; exit !(v[2] > 0 && d <= 2 && -d <= 2) }'
	local own_share
	own_share=$(awk 'NR == FNR { v0 = $1; h0 = $2; next } { printf "%.2f", 100 * ($1 - v0) / ($2 - h0) }' "$tmp/cpu0" "$tmp/cpu1")
	check "host vm_cpu_pct within 2 of this script's own reading of the VMs' stat and /proc/stat ($own_share)" \
		awk -v s="$share" -v o="$own_share" 'BEGIN { split(s, v, "\t"); d = v[2] - o; exit !(d <= 2 && -d <= 2) }' 
	awk '$1 == "Average:" && $3 == "-" { print $4, $8 }' "$tmp/pidstat.out" >"$tmp/pidstat.wait"
	awk 'FNR == 1 { t[FILENAME] = $1; next }
	     FILENAME == ARGV[1] { w0[$1] = $2; next }
	     ($1 in w0) { printf "%s %.2f\n", $1, ($2 - w0[$1]) / 1e9 / (t[ARGV[2]] - t[ARGV[1]]) * 100 }' \
		"$tmp/own0" "$tmp/own1" >"$tmp/own.wait"
}

# vcpus_of PID: "id tid steal_pct" of each vCPU in the agent's record for PID
vcpus_of() {
	jq -r --argjson pid "$1" 'select(.record == "vm" and .process_pid == $pid) | .vcpu[]? |
		"\(.id) \(.tid) \(.steal_pct)"' "$tmp/agent.out"
}

# compare_vcpu LABEL TID STEAL BUSY: agent vs own reading vs pidstat for one vCPU
compare_vcpu() {
	local label=$1 tid=$2 steal=$3 busy=$4 own ps
	own=$(awk -v t="$tid" '$1 == t { print $2 }' "$tmp/own.wait")
	ps=$(awk -v t="$tid" '$1 == t { print $2 }' "$tmp/pidstat.wait")
	printf '     %-28s tid %-7s agent %6.2f  own %6.2f  pidstat %6.2f\n' "$label" "$tid" "$steal" "${own:-nan}" "${ps:-nan}"
	echo "$label $tid $steal ${own:-nan} ${ps:-nan}" >>"$tmp/agreement"
	check "$label: agent within $TOL_OWN of own schedstat reading" \
		awk -v a="$steal" -v b="${own:-nan}" -v t="$TOL_OWN" 'BEGIN { d = a - b; exit !(b != "nan" && d <= t && -d <= t) }'
	check "$label: agent within $TOL_PIDSTAT of pidstat %wait" \
		awk -v a="$steal" -v b="${ps:-nan}" -v t="$TOL_PIDSTAT" 'BEGIN { d = a - b; exit !(b != "nan" && d <= t && -d <= t) }'
	if [ "$busy" = idle ]; then
		check "$label: idle vCPU shows about 0" awk -v a="$steal" -v m="$IDLE_MAX" 'BEGIN { exit !(a < m) }'
	else
		check "$label: busy vCPU shows steal" awk -v a="$steal" 'BEGIN { exit !(a > 5) }'
	fi
}

record_field() { # record_field PID FIELD: a field of PID's vm record
	jq -r --argjson pid "$1" "select(.record == \"vm\" and .process_pid == \$pid) | .$2" "$tmp/agent.out"
}

# wait_vcpu_halted PID: until vCPU 1 of PID runs under 5 % of a 0.5 s window;
# false when it never does within 10 s (the measurement would be meaningless)
wait_vcpu_halted() {
	local tid run0 run1
	tid=$(grep -l '^CPU 1/' /proc/"$1"/task/*/comm 2>/dev/null | cut -d/ -f5)
	[ -n "$tid" ] || return 1
	for _ in $(seq 20); do
		read -r run0 _ <"/proc/$1/task/$tid/schedstat"
		sleep 0.5
		read -r run1 _ <"/proc/$1/task/$tid/schedstat"
		[ $((run1 - run0)) -lt 25000000 ] && return 0
	done
	return 1
}

real_qemu_guests() {
	if ! command -v qemu-system-x86_64 >/dev/null; then
		fail "qemu-system-x86_64 is not installed (./scripts/install-deps.sh --test)"
		return
	fi
	local accel=${KVMSTEAL_E2E_ACCEL:-kvm} # KVMSTEAL_E2E_ACCEL=tcg tries the fallback on purpose
	if [ "$accel" != kvm ] || ! kvm_usable || ! start_guest kvm qa kvm-e2e-a 11111111-2222-4333-8444-555555555555; then
		accel=tcg
		echo "     KVM not used (no usable /dev/kvm, or KVMSTEAL_E2E_ACCEL=tcg): real guests run under -accel tcg"
		start_guest tcg qa kvm-e2e-a 11111111-2222-4333-8444-555555555555 ||
			{ fail "QEMU did not start"; cat "$tmp/qemu.err"; return; }
	fi
	echo "     accel: $accel"
	start_guest "$accel" qb "$(printf 'caf\xc3\xa9,,\xc3\xbcn\xc3\xaf')" AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE ||
		{ fail "QEMU did not start"; cat "$tmp/qemu.err"; return; }
	local qa qb
	qa=$(cat "$tmp/qa.pid"); qb=$(cat "$tmp/qb.pid")
	# SeaBIOS runs on every vCPU before it parks the APs; guest code is slow
	# to emulate on a loaded host, so wait until vCPU 1 halts (10 s at most)
	check "real guest a: vCPU 1 halted (SeaBIOS done) within 10 s, before the window" wait_vcpu_halted "$qa"
	check "real guest b: vCPU 1 halted (SeaBIOS done) within 10 s, before the window" wait_vcpu_halted "$qb"
	start_hogs "$((cpus - 1))"
	sleep 0.5
	measure "$qa" "$qb"
	check "real guest: name and UUID" test "$(record_field "$qa" vm_name)/$(record_field "$qa" vm_uuid)" = \
		"kvm-e2e-a/11111111-2222-4333-8444-555555555555"
	check "real guest: ,, and non-ASCII name round-trips exactly" \
		test "$(record_field "$qb" vm_name)/$(record_field "$qb" vm_uuid)" = "$(printf 'caf\xc3\xa9,\xc3\xbcn\xc3\xaf')/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	for id in qa qb; do
		local pid want got
		pid=$(cat "$tmp/$id.pid")
		check "real guest $id: accel $accel, 2 vCPUs" test "$(record_field "$pid" accel)/$(record_field "$pid" vcpu_count)" = "$accel/2"
		want=$(printf '{"execute":"qmp_capabilities"}\n{"execute":"query-cpus-fast"}\n' |
			socat -t 1 - "UNIX-CONNECT:$tmp/$id.sock" | grep '"thread-id"' |
			jq -r '.return[] | "\(.["cpu-index"]) \(.["thread-id"])"' | sort)
		got=$(vcpus_of "$pid" | awk '{ print $1, $2 }' | sort)
		check "real guest $id: vCPU thread ids match QMP query-cpus-fast ($(echo $want))" test -n "$want" -a "$want" = "$got"
		while read -r vid tid steal; do
			compare_vcpu "real $id vCPU $vid" "$tid" "$steal" "$([ "$vid" = 0 ] && echo busy || echo idle)"
		done < <(vcpus_of "$pid")
	done
	kill "$qa" "$qb"
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	rm -f "$tmp/qa.pid" "$tmp/qb.pid"
}

cpus=$(nproc)
: >"$tmp/agreement"
echo "== 1. QEMU-shaped processes: $((cpus + 1)) busy vCPU threads on $cpus CPUs, one idle vCPU"
fake_vm fa "$cpus" -name "guest=shaped-a,debug-threads=on" -uuid 6F1C2A8E-3B7D-4C1E-9A55-0E2F4B6D8C10 -smp "$cpus"
fake_vm fb 1 -name "guest=shaped \"b\",,x,debug-threads=on" -smp 2
fa=$(cat "$tmp/fa.pid"); fb=$(cat "$tmp/fb.pid")
measure "$fa" "$fb"
check "shaped-a: name and lowercase UUID as given" \
	test "$(record_field "$fa" vm_name)/$(record_field "$fa" vm_uuid)" = "shaped-a/6f1c2a8e-3b7d-4c1e-9a55-0e2f4b6d8c10"
check "shaped b: quotes and ,, round-trip, no vm_uuid" \
	test "$(record_field "$fb" vm_name)/$(record_field "$fb" vm_uuid)" = 'shaped "b",x/null'
check "shaped-a: $cpus vCPUs, 4 other threads" test "$(record_field "$fa" vcpu_count)/$(record_field "$fa" other_thread_count)" = "$cpus/4"
while read -r id tid steal; do compare_vcpu "shaped-a vCPU $id" "$tid" "$steal" busy; done < <(vcpus_of "$fa")
while read -r id tid steal; do
	compare_vcpu "shaped b vCPU $id" "$tid" "$steal" "$([ "$id" = 0 ] && echo busy || echo idle)"
done < <(vcpus_of "$fb")
kill "$fa" "$fb"; rm -f "$tmp/fa.pid" "$tmp/fb.pid"

echo "== 2. real QEMU guests"
real_qemu_guests

echo "== 3. life cycle: a guest that starts, a guest killed, a vCPU thread replaced"
fake_vm la 1 -name "guest=stays,debug-threads=on" -smp 1
fake_vm lb 1 -name "guest=killed,debug-threads=on" -smp 1
fake_vm lc 0 -name "guest=replugged,debug-threads=on" -smp 2
la=$(cat "$tmp/la.pid"); lb=$(cat "$tmp/lb.pid"); lc=$(cat "$tmp/lc.pid")
./kvmsteal --interval 0.5 --count 14 --output "$tmp/life.out" 2>"$tmp/life.err" &
agent=$!
sleep 1.2
fake_vm ld 1 -name "guest=late,debug-threads=on" -smp 1
late_started=$(date +%s.%N)
old_tid=$(grep -l '^CPU 1/KVM$' /proc/"$lc"/task/*/comm | cut -d/ -f5)
kill -USR1 "$lc"   # its vCPU 1 thread exits, a new one takes its place
sleep 1.5
kill -KILL "$lb"; killed_at=$(date +%s.%N); rm -f "$tmp/lb.pid"
wait "$lb" 2>/dev/null
wait "$agent"; agent_rc=$?
check "life: agent exits 0" test "$agent_rc" -eq 0
check "life: output is schema v1" ./build/check_ndjson <"$tmp/life.out"
ticks=$(jq -r 'select(.record == "host") | ."@timestamp"' "$tmp/life.out" | wc -l)
check "life: 14 ticks written" test "$ticks" -eq 14
stays=$(jq -r 'select(.record == "vm" and .vm_name == "stays") | ."@timestamp"' "$tmp/life.out" | wc -l)
check "life: the healthy guest is in every tick" test "$stays" -eq "$ticks"
first_late=$(jq -r 'select(.record == "vm" and .vm_name == "late") | ."@timestamp"' "$tmp/life.out" | head -n 1)
late_delay=$(awk -v a="$(date -d "$first_late" +%s.%N 2>/dev/null || echo 0)" -v b="$late_started" 'BEGIN { printf "%.2f", a - b }')
echo "     guest started at +0, first reported $late_delay s later (interval 0.5 s)"
check "life: a started guest is reported by the second tick after it starts" \
	awk -v d="$late_delay" 'BEGIN { exit !(d > 0 && d <= 1.0 + 0.3) }'
last_killed=$(jq -r 'select(.record == "vm" and .vm_name == "killed") | ."@timestamp"' "$tmp/life.out" | tail -n 1)
killed_delay=$(awk -v a="$(date -d "$last_killed" +%s.%N)" -v b="$killed_at" 'BEGIN { printf "%.2f", a - b }')
check "life: a killed guest is gone from the next tick (last seen $killed_delay s after the kill)" \
	awk -v d="$killed_delay" 'BEGIN { exit !(d <= 0.05) }'
new_tid=$(jq -r 'select(.record == "vm" and .vm_name == "replugged") | .vcpu[]? | select(.id == 1) | .tid' "$tmp/life.out" | tail -n 1)
check "life: vCPU 1 reported with its new thread ($old_tid -> $new_tid)" test -n "$new_tid" -a "$new_tid" != "$old_tid"
counts=$(jq -r 'select(.record == "vm" and .vm_name == "replugged") | .vcpu_count' "$tmp/life.out" | sort -u | tr '\n' ' ')
check "life: replugged VM shows 2 vCPUs, or 1 for the tick the new thread has no delta yet ($counts)" \
	test "$counts" = "1 2 " -o "$counts" = "2 "
check "life: no diagnostics" test ! -s "$tmp/life.err"

echo
echo "agreement (label tid agent own pidstat):"
cat "$tmp/agreement"
if [ "$failures" -ne 0 ]; then echo "$failures end-to-end test(s) FAILED"; exit 1; fi
echo "all end-to-end tests passed"
