#!/usr/bin/env bash
# Which VM it is, on real processes: a launcher that execs QEMU after 35 s,
# a wrapper script named like QEMU that runs it as a child, Proxmox VE's
# command line (through a QEMU-shaped process: Debian's QEMU has no -id),
# VMs whose labels collide, read by the real node_exporter running as its
# own user, vCPUs that cannot be told apart, low fd limits, and a captured
# fixture tree against the agent's own figures.  Run by `make check`.
#
# The late launcher and an agent watching it start first and run while the
# other cases do: the launcher must be older than the agent's 30 s of
# youth when it execs, and the agent re-reads a settled process's name once
# every 30 s, so that case takes up to 35 + 31 s whatever else runs.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC

. tests/lib.sh
scratch
chmod 755 "$tmp" # node_exporter's user reads the textfile directory in it
at_exit 'pkill -f "$tmp/" 2>/dev/null' # what the launchers exec'd

need jq curl qemu-system-x86_64 prometheus-node-exporter
accel=tcg
kvm_usable && accel=kvm
echo "     guests use -accel $accel"
qemu_args=(-m 64 -nodefaults -no-user-config -display none)

# jq over the records of one pid: pid_records FILE PID FILTER
pid_records() { jq -r --argjson pid "$2" "select(.record == \"vm\" and .process_pid == \$pid) | $3" "$1"; }

echo "== 0. a launcher that execs QEMU 35 s after it starts (the agent watches from the start)"
late_uuid=00000000-0000-4000-8000-00000000a7e0
# -S: its vCPU waits for "cont", so its start does not load the CPUs while
# another case measures steal
bash -c "sleep 35; exec qemu-system-x86_64 -S -accel $accel -name guest=late-exec,debug-threads=on -uuid $late_uuid \
	-smp 1 ${qemu_args[*]} -pidfile $tmp/late.pid" 2>>"$tmp/qemu.err" &
launcher=$!
pids+=("$launcher")
launched=$(date +%s.%N)
./kvmsteal --interval 1 --output "$tmp/late.ndjson" 2>"$tmp/late.err" &
late_agent=$!
pids+=("$late_agent")
# and a vCPU pinned while that agent runs: its cpus must follow within 10 s
# (the README's bound at --interval 1; 0.5 s more: the record's time is when
# its tick began, the file is read a few ms into the tick)
start_fake pinned 0 -name guest=pinned,debug-threads=on -smp 2
pinned_tid=$(grep -l '^CPU 1/KVM$' /proc/"$(cat "$tmp/pinned.pid")"/task/*/comm | cut -d/ -f5)
( sleep 3; taskset -p -c 1 "$pinned_tid" >/dev/null; echo "$EPOCHREALTIME" >"$tmp/pinned.at" ) &
pinned_at=$(( $(date +%s) + 3 ))

echo "== 1. a wrapper script named qemu-system-x86_64 that runs QEMU as its child"
mkdir -p "$tmp/bin" "$tmp/prom"
printf '#!/bin/bash\n# a wrapper that does not exec: QEMU is its child\n%s "$@"\n' "$(command -v qemu-system-x86_64)" \
	>"$tmp/bin/qemu-system-x86_64"
chmod 755 "$tmp/bin/qemu-system-x86_64"
"$tmp/bin/qemu-system-x86_64" -accel "$accel" -name guest=wrapped,debug-threads=on -smp 2 "${qemu_args[@]}" \
	-pidfile "$tmp/wrapped.pid" 2>>"$tmp/qemu.err" &
wrapper=$!
pids+=("$wrapper")
wait_for_file "$tmp/wrapped.pid"
wrapped=$(cat "$tmp/wrapped.pid")
wait_for_vcpus "$wrapped" 2
check "wrapper: the kernel names the script's process like QEMU ($(cat /proc/$wrapper/comm))" \
	test "$(cat /proc/$wrapper/comm)" = qemu-system-x86 -a "$wrapped" != "$wrapper"
./kvmsteal --interval 0.5 --count 2 --prom-file "$tmp/wrapper.prom" >"$tmp/wrapper.out" 2>"$tmp/wrapper.err"
check "wrapper: not reported as a VM" test -z "$(pid_records "$tmp/wrapper.out" "$wrapper" .vm_name)"
check "wrapper: the QEMU it runs is, with its 2 vCPUs, every tick" \
	test "$(pid_records "$tmp/wrapper.out" "$wrapped" .vcpu_count | tr '\n' ' ')" = "2 2 "
check "wrapper: one VM named wrapped" test "$(jq -r 'select(.vm_name == "wrapped") | .process_pid' "$tmp/wrapper.out" | sort -u | wc -l)" -eq 1
check "wrapper: no label set twice in the textfile" \
	test -z "$(grep -v '^#' "$tmp/wrapper.prom" | sed 's/ [^ ]*$//' | sort | uniq -d)"
kill "$wrapped" "$wrapper" 2>/dev/null; rm -f "$tmp/wrapped.pid"

echo "== 2. Proxmox VE's command line: /usr/bin/kvm -id VMID -name NAME,... -smbios type=1,uuid=..."
FAKEQEMU_ARGV0=/usr/bin/kvm FAKEQEMU_COMM=kvm start_fake pve100 1 -id 100 -name 'pve-web,debug-threads=on' \
	-no-shutdown -smbios 'type=1,uuid=6CF17DC3-8341-4ECC-AEBD-7503F2583FB3' -smp '2,sockets=1,cores=2,maxcpus=2' -nodefaults
FAKEQEMU_ARGV0=/usr/bin/kvm FAKEQEMU_COMM=kvm start_fake pve101 0 -id 101 -name 'pve-web,debug-threads=on' \
	-smbios 'type=1,uuid=5d0f3a2c-1b4e-4f6a-8c7d-9e0f1a2b3c4d' -smp 1
p100=$(cat "$tmp/pve100.pid"); p101=$(cat "$tmp/pve101.pid")
taskset -p -c 0 "$(grep -l '^CPU 1/KVM$' /proc/"$p100"/task/*/comm | cut -d/ -f5)" >/dev/null
check "proxmox: the process runs as /usr/bin/kvm, comm kvm" \
	test "$(tr '\0' '\n' </proc/$p100/cmdline | head -n 1)/$(cat /proc/$p100/comm)" = /usr/bin/kvm/kvm
./kvmsteal --interval 0.5 --count 1 --prom-file "$tmp/pve.prom" >"$tmp/pve.out"
check "proxmox: name, UUID from -smbios, vm_id, 2 vCPUs" \
	test "$(pid_records "$tmp/pve.out" "$p100" '"\(.vm_name)/\(.vm_uuid)/\(.vm_id)/\(.vcpu_count)"')" = \
	"pve-web/6cf17dc3-8341-4ecc-aebd-7503f2583fb3/100/2"
check "proxmox: a second VM with the same name keeps its own id and UUID" \
	test "$(pid_records "$tmp/pve.out" "$p101" '"\(.vm_name)/\(.vm_uuid)/\(.vm_id)"')" = "pve-web/5d0f3a2c-1b4e-4f6a-8c7d-9e0f1a2b3c4d/101"
check "proxmox: each vCPU's cpus is its affinity (vCPU 1 pinned to CPU 0 by taskset)" \
	test "$(pid_records "$tmp/pve.out" "$p100" '[.vcpu[] | "\(.id):\(.cpus)"] | join(" ")')" = "0:0-$(( $(nproc) - 1 )) 1:0"
check "proxmox: vm_id is a label in the textfile" \
	grep -q '^kvm_vcpu_steal_seconds_total{vm_name="pve-web",vm_uuid="6cf17dc3-8341-4ecc-aebd-7503f2583fb3",vm_id="100",vcpu="1"} ' "$tmp/pve.prom"
./kvmsteal --interval 0.5 --count 1 --format text >"$tmp/pve.txt"
check "proxmox: the text view shows the id" grep -Eq "^pve-web +100 +$p100 +2 " "$tmp/pve.txt"
kill "$p100" "$p101"; rm -f "$tmp/pve100.pid" "$tmp/pve101.pid"

echo "== 3. labels that collide, read by the real node_exporter running as its own user"
start_fake twin1 0 -name guest=twin -smp 1
start_fake twin2 0 -name guest=twin -smp 1
start_fake anon1 0 -enable-kvm -smp 1
start_fake anon2 0 -enable-kvm -smp 1
./kvmsteal --interval 0.5 --count 2 --output /dev/null --prom-file "$tmp/live.prom" 2>"$tmp/live.err"
./build/golden tests/fixtures/collisions/t0 tests/fixtures/collisions/t1 --prom "$tmp/fixture.prom" >/dev/null
chmod 755 "$tmp/prom"
port=$((19100 + RANDOM % 800))
setpriv --reuid=prometheus --regid=prometheus --clear-groups prometheus-node-exporter \
	--web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$tmp/prom" >"$tmp/ne.log" 2>&1 &
pids+=($!)
scrape() { curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/scrape.out"; }
for _ in $(seq 100); do scrape && break; sleep 0.1; done
check "node_exporter runs as prometheus and answers" test -s "$tmp/scrape.out"
# node_exporter 1.5 drops a series whose labels it has seen (logging "was
# collected before with the same name and label values") and still says
# node_textfile_scrape_error 0: so every series must be served, and no such
# error logged.
serves_all() { # serves_all FILE LABEL: FILE alone in the textfile directory
	rm -f "$tmp/prom"/*.prom
	cp "$1" "$tmp/prom/kvmsteal.prom"
	: >"$tmp/ne.log"
	scrape
	local want got err
	want=$(grep -c '^kvm_' "$1"); got=$(grep -c '^kvm_' "$tmp/scrape.out")
	err=$(awk '$1 == "node_textfile_scrape_error" { print $2 }' "$tmp/scrape.out")
	echo "     $2: $got of $want series served, node_textfile_scrape_error $err, $(grep -c 'collected before' "$tmp/ne.log") duplicates logged"
	[ "$got" -eq "$want" ] && [ "$err" = 0 ] && ! grep -q 'collected before' "$tmp/ne.log"
}
check "node_exporter: the agent's textfile (twins, nameless VMs) served whole" serves_all "$tmp/live.prom" live
check "node_exporter: the second twin has its own series (process_pid)" \
	grep -q "^kvm_vcpu_run_seconds_total{process_pid=\"$(cat "$tmp/twin2.pid")\",vcpu=\"0\",vm_id=\"\",vm_name=\"twin\"" "$tmp/scrape.out"
check "node_exporter: the collisions fixture's textfile served whole" serves_all "$tmp/fixture.prom" fixture
./build/golden tests/fixtures/spoofing-names/t0 tests/fixtures/spoofing-names/t1 --prom "$tmp/spoof.prom" >/dev/null
check "node_exporter: the spoofing-names fixture's textfile (<U+XXXX> in label values) served whole" \
	serves_all "$tmp/spoof.prom" spoofing
check "node_exporter: what it serves of those names holds no raw control, bidi or invisible code point" \
	python3 tests/no_hidden.py "$tmp/scrape.out"
# the control: the agent's file with one label set written twice is not served whole
{ cat "$tmp/live.prom"; grep '^kvm_vm_cpu' "$tmp/live.prom" | head -n 1; } >"$tmp/dup.prom"
if serves_all "$tmp/dup.prom" control; then fail "node_exporter: the control, one label set twice, is caught"
else pass "node_exporter: the control, one label set twice, is caught"; fi
rm -f "$tmp/prom"/*.prom
for f in "$tmp"/twin?.pid "$tmp"/anon?.pid; do kill "$(cat "$f")"; rm -f "$f"; done

echo "== 4. a real QEMU without debug-threads (vCPUs not named), and one renamed by -name ...,process="
cp build/spin.img "$tmp/plain.img"
qemu-system-x86_64 -accel "$accel" -name guest=no-names -smp 2 "${qemu_args[@]}" -daemonize -pidfile "$tmp/plain.pid" \
	-drive "file=$tmp/plain.img,format=raw,if=ide" 2>>"$tmp/qemu.err"
qemu-system-x86_64 -accel "$accel" -name guest=renamed,process=vm-renamed,debug-threads=on -smp 1 "${qemu_args[@]}" \
	-daemonize -pidfile "$tmp/renamed.pid" 2>>"$tmp/qemu.err"
wait_for_file "$tmp/plain.pid"; wait_for_file "$tmp/renamed.pid"
plain=$(cat "$tmp/plain.pid"); renamed=$(cat "$tmp/renamed.pid")
sleep 0.5
./kvmsteal --interval 1 --count 1 --prom-file "$tmp/plain.prom" >"$tmp/plain.out"
guest_threads=$(for s in /proc/"$plain"/task/*/stat; do
	[ "${s%/stat}" = "/proc/$plain/task/$plain" ] && continue
	sed 's/.*) //' "$s" | awk '$41 > 0'; done | wc -l)
if [ "$guest_threads" -eq 0 ]; then
	check "no thread names, no guest time: vcpu_source none, 0 vCPUs, only the main thread as other" \
		test "$(pid_records "$tmp/plain.out" "$plain" '"\(.vcpu_source)/\(.vcpu_count)/\(.other_thread_count)/\(.vcpu // "none")"')" = "none/0/1/none"
	check "vcpu_source none: the threads' wait goes to the unidentified series, not other-thread wait" \
		grep -q '^kvm_vm_unidentified_threads_wait_seconds_total{vm_name="no-names",' "$tmp/plain.prom"
	busy=$(pid_records "$tmp/plain.out" "$plain" .other_threads_wait_pct)
	check "vcpu_source none: its busy vCPU's wait is not in other_threads_wait_pct ($busy)" \
		awk -v w="$busy" 'BEGIN { exit !(w < 5) }'
else
	check "no thread names, guest time: vcpu_source guest_time" \
		test "$(pid_records "$tmp/plain.out" "$plain" .vcpu_source)" = guest_time
fi
check "-name ...,process=: the renamed QEMU ($(cat /proc/$renamed/comm)) is a VM" \
	test "$(pid_records "$tmp/plain.out" "$renamed" '"\(.vm_name)/\(.vcpu_count)"')" = renamed/1
kill "$plain" "$renamed"; rm -f "$tmp/plain.pid" "$tmp/renamed.pid"

echo "== 5. three 2-vCPU guests under ulimit -n 16, 32 and 64"
for g in 1 2 3; do
	start_guest "$accel" "fd$g" "fd-guest-$g" "00000000-0000-4000-8000-00000000fd0$g" ||
		{ fail "QEMU did not start"; cat "$tmp/qemu.err"; }
done
fdpids=$(cat "$tmp"/fd?.pid | tr '\n' ' ')
for limit in 16 32 64; do
	(ulimit -n "$limit"; exec ./kvmsteal --interval 0.3 --count 4) >"$tmp/fd$limit.out" 2>"$tmp/fd$limit.err"
	rc=$?
	hosts=$(grep -c '"record":"host"' "$tmp/fd$limit.out")
	full=0
	for p in $fdpids; do full=$((full + $(pid_records "$tmp/fd$limit.out" "$p" 'select(.vcpu_count == 2) | .vm_name' | wc -l))); done
	check "ulimit -n $limit: exit $rc, host record in every tick ($hosts of 4)" test "$rc" -eq 0 -a "$hosts" -eq 4
	check "ulimit -n $limit: every guest with its 2 vCPUs in every tick ($full of 12)" test "$full" -eq 12
	check "ulimit -n $limit: at most one warning" test "$(wc -l <"$tmp/fd$limit.err")" -le 1
done
check "ulimit -n 16: the warning gives the limit and what was needed" \
	grep -q 'file descriptor limit (RLIMIT_NOFILE) 16: keeping every proc file open would take [0-9]*' "$tmp/fd16.err"
sed 's/^/     /' "$tmp/fd16.err"

echo "== 6. a captured fixture tree gives the agent's figures for the same window"
start_hogs 1
sleep 0.5
# Both must cover the same 5 s within a few ms: steal under contention varies
# by a point between windows a fraction of a second apart.  The agent runs
# first (its start-up, slower under a sanitizer, is then outside the window);
# the capture takes its first snapshot within a few ms of the agent's first
# tick being written (--start-after, on the guests given by pid: no /proc
# scan), its second 5 s later, as the agent's second tick, whose records are
# compared.
guest_pids=$(cat "$tmp"/fd?.pid)
./kvmsteal --interval 5 --count 2 >"$tmp/cap-agent.all" &
cap_agent=$!
scripts/capture-fixture --interval 5 --start-after "$tmp/cap-agent.all" $(printf -- '--pid %s ' $guest_pids) \
	"$tmp/cap" 2>/dev/null
wait "$cap_agent"
last=$(jq -r 'select(.record == "host") | ."@timestamp"' "$tmp/cap-agent.all" | tail -n 1)
grep -F "\"@timestamp\":\"$last\"" "$tmp/cap-agent.all" >"$tmp/cap-agent.out"
./build/golden "$tmp/cap/t0" "$tmp/cap/t1" --interval "$(cat "$tmp/cap/interval_s")" >"$tmp/cap-golden.out"
check "capture: the golden output is schema v1" ./build/check_ndjson <"$tmp/cap-golden.out"
jq -r 'select(.record == "vm") | .vcpu[]? | "\(.tid) \(.steal_pct)"' "$tmp/cap-agent.out" | sort >"$tmp/cap-a"
jq -r 'select(.record == "vm") | .vcpu[]? | "\(.tid) \(.steal_pct)"' "$tmp/cap-golden.out" | sort >"$tmp/cap-g"
join "$tmp/cap-a" "$tmp/cap-g" >"$tmp/cap-joined"
sed 's/^/     tid agent captured: /' "$tmp/cap-joined"
check "capture: every vCPU of the guests in both ($(wc -l <"$tmp/cap-joined"))" test "$(wc -l <"$tmp/cap-joined")" -ge 6
check "capture: steal within 0.5 points of the agent's, vCPU by vCPU" \
	awk '{ d = $2 - $3; if (d > 0.5 || d < -0.5) bad++ } END { exit bad > 0 || NR == 0 }' "$tmp/cap-joined"
check "capture: some vCPU shows steal (the comparison is not of zeros)" awk '$2 > 5 { ok = 1 } END { exit !ok }' "$tmp/cap-joined"
pinned=$(cat "$tmp/pinned.pid")
for pid in "${pids[@]}"; do
	[ "$pid" != "$launcher" ] && [ "$pid" != "$late_agent" ] && [ "$pid" != "$pinned" ] && kill "$pid" 2>/dev/null
done
for g in 1 2 3; do kill "$(cat "$tmp/fd$g.pid")" 2>/dev/null; rm -f "$tmp/fd$g.pid"; done

echo "== 0. (end) the late exec"
for _ in $(seq 450); do [ -s "$tmp/late.pid" ] && break; sleep 0.1; done
exec_at=$(date +%s.%N)
check "late: the launcher exec'd QEMU in its own pid after $(awk -v a="$launched" -v b="$exec_at" 'BEGIN { printf "%.0f", b - a }') s" \
	test "$(cat "$tmp/late.pid" 2>/dev/null)" = "$launcher"
for _ in $(seq 620); do
	grep -q '"vm_name":"late-exec"' "$tmp/late.ndjson" && break
	sleep 0.1
done
first=$(jq -r 'select(.record == "vm" and .vm_name == "late-exec") | ."@timestamp"' "$tmp/late.ndjson" | head -n 1)
delay=$(awk -v a="$(date -d "${first:-1970-01-01}" +%s.%N)" -v b="$exec_at" 'BEGIN { printf "%.1f", a - b }')
echo "     exec'd QEMU first reported $delay s after the exec"
check "late: found within 60 s of the exec ($delay s), in the launcher's pid" \
	awk -v d="$delay" 'BEGIN { exit !(d > -1 && d <= 60) }'
check "late: reported with its name, UUID and vCPU" \
	test "$(pid_records "$tmp/late.ndjson" "$launcher" '"\(.vm_name)/\(.vm_uuid)/\(.vcpu_count)"' | tail -n 1)" = \
	"late-exec/$late_uuid/1"
check "late: no diagnostics" test ! -s "$tmp/late.err"
wait_s=$(( pinned_at + 12 - $(date +%s) ))
[ "$wait_s" -gt 0 ] && { echo "     waiting ${wait_s} s for the pinned vCPU's affinity to be read again"; sleep "$wait_s"; }
kill "$late_agent"; wait "$late_agent" 2>/dev/null
seen=$(pid_records "$tmp/late.ndjson" "$pinned" '.vcpu[] | select(.id == 1) | .cpus' | uniq | tr '\n' ' ')
check "pinned at run time: vCPU 1's cpus went from all CPUs to 1 ($seen)" test "$seen" = "0-$(( $(nproc) - 1 )) 1 "
pin_delay=$(jq -r --argjson p "$pinned" --argjson at "$(cat "$tmp/pinned.at")" 'select(.record == "vm" and .process_pid == $p)
	| select(any(.vcpu[]; .id == 1 and .cpus == "1")) | (.["@timestamp"] | sub("\\.[0-9]+Z$"; "Z") | fromdate) as $s
	| (.["@timestamp"] | capture("\\.(?<ms>[0-9]+)Z$").ms | tonumber / 1000) as $ms | $s + $ms - $at' "$tmp/late.ndjson" | head -n 1)
echo "     the pinning shown $pin_delay s after taskset"
check "pinned at run time: shown within 10.5 s ($pin_delay)" awk -v d="$pin_delay" 'BEGIN { exit !(d != "" && d <= 10.5) }'

echo
if [ "$failures" -ne 0 ]; then echo "$failures field test(s) FAILED"; exit 1; fi
echo "all field tests passed"
