#!/usr/bin/env bash
# The shipped binary on fixture trees and on the real /proc: options and exit
# statuses, outputs and faults (a full disk needs root), the textfile with
# promtool, the fleet rules' unit tests.  Run by `make check` after
# tests/unit.sh (the unit loop).
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC

. tests/lib.sh
scratch
at_exit 'umount "$tmp/small" 2>/dev/null'

# The golden textfiles, as a consumer reads them (promtool).
for case_dir in tests/fixtures/*/; do
	[ -f "$case_dir/expected.prom" ] || continue
	check "golden $(basename "$case_dir"): the textfile passes promtool" promtool check metrics <"$case_dir/expected.prom"
done

# --- the shipped binary on a fixture tree -----------------------------------
# A frozen tree: every counter stands still, so every figure is 0.00 and the
# host record (no clock tick passed) is left out.  The VM lines must be those
# the golden harness computes for the same tree against itself.
root=tests/fixtures/basic/t1
./kvmsteal --proc-root "$root" --interval 0.1 --count 2 --host-name hv-test >"$tmp/cli.out" 2>"$tmp/cli.err"
check "cli on fixture: exit 0" test $? -eq 0
check "cli on fixture: schema v1" ./build/check_ndjson <"$tmp/cli.out"
./build/golden "$root" "$root" | strip_clock >"$tmp/cli.want"
{ cat "$tmp/cli.want"; cat "$tmp/cli.want"; } >"$tmp/cli.want2"
strip_clock <"$tmp/cli.out" >"$tmp/cli.got"
check "cli on fixture: same records as the computation, twice" diff -u "$tmp/cli.want2" "$tmp/cli.got"
check "cli on fixture: 5 VMs a tick (decoys, zombie left out)" test "$(grep -c '"record":"vm"' "$tmp/cli.out")" -eq 10
check "cli on fixture: nothing on stderr" test ! -s "$tmp/cli.err"

# --- options and exit codes -------------------------------------------------
expect_exit() { # expect_exit CODE NAME ARGS...
	local want=$1 name=$2; shift 2
	./kvmsteal "$@" >"$tmp/exit.out" 2>"$tmp/exit.err"
	local got=$?
	if [ "$got" -eq "$want" ] && { [ "$want" -eq 0 ] || [ -s "$tmp/exit.err" ]; }; then
		pass "$name (exit $want)"
	else
		fail "$name (want exit $want, got $got)"; cat "$tmp/exit.err"
	fi
}
expect_exit 0 "--help" --help
expect_exit 0 "--version" --version
expect_exit 64 "unknown option" --bogus
expect_exit 64 "--interval not a number" --interval abc
expect_exit 64 "--interval below 0.1" --interval 0.01
expect_exit 64 "--count 0" --count 0
expect_exit 64 "--count negative" --count -3
expect_exit 64 "missing option value" --interval
expect_exit 64 "empty --host-name" --host-name ""
expect_exit 64 "stray argument" extra
expect_exit 64 "--format neither json nor text" --format xml
expect_exit 73 "output in a missing directory" --output "$tmp/no/such/dir/out" --count 1 --proc-root "$root"
expect_exit 66 "missing proc root" --proc-root "$tmp/no-such-root" --count 1

# --- --output appends, mode 0640, ends a torn line first --------------------
out="$tmp/out.ndjson"
printf 'torn line from a crash' >"$out"
./kvmsteal --proc-root "$root" --interval 0.1 --count 1 --output "$out" 2>/dev/null
./kvmsteal --proc-root "$root" --interval 0.1 --count 1 --output "$out" 2>/dev/null
check "--output: torn line kept alone on line 1" test "$(head -n 1 "$out")" = "torn line from a crash"
check "--output: both runs appended (10 VM lines)" test "$(tail -n +2 "$out" | grep -c '"record":"vm"')" -eq 10
tail -n +2 "$out" >"$tmp/out.rest"
check "--output: appended lines valid" ./build/check_ndjson <"$tmp/out.rest"
rm -f "$tmp/new.ndjson"
./kvmsteal --proc-root "$root" --interval 0.1 --count 1 --output "$tmp/new.ndjson" 2>/dev/null
check "--output: created with mode 0640" test "$(stat -c %a "$tmp/new.ndjson")" = 640

# --- faults -----------------------------------------------------------------
./kvmsteal --proc-root tests/fixtures/no-schedstat/t1 --interval 0.1 --count 3 >/dev/null 2>"$tmp/blank.err"
check "scheduler statistics off: one warning in 3 ticks" test "$(grep -c 'reads "0 0 0"' "$tmp/blank.err")" -eq 1

./kvmsteal --proc-root "$root" --interval 0.1 --count 5 --output /dev/full 2>"$tmp/full.err"
check "/dev/full: exit 0 after every tick" test $? -eq 0
check "/dev/full: one message, not one per tick" test "$(grep -c 'No space left on device' "$tmp/full.err")" -eq 1

./kvmsteal --proc-root "$root" --interval 0.1 --count 2 --max-line-bytes 600 >"$tmp/narrow.out"
check "--max-line-bytes 600: no line longer" test "$(awk 'length($0) + 1 > 600' "$tmp/narrow.out" | wc -l)" -eq 0
check "--max-line-bytes 600: web01's 4 vCPUs become vcpu records" \
	test "$(grep -c '"record":"vcpu","schema":1,"host_name":"[^"]*","interval_s":[0-9.]*,"vm_name":"web01"' "$tmp/narrow.out")" -eq 8
check "--max-line-bytes 600: a VM line that fits keeps its array" \
	test "$(grep '"vm_name":"instance-00001782"' "$tmp/narrow.out" | grep -c '"vcpu":\[')" -eq 2
check "--max-line-bytes 600: schema v1" ./build/check_ndjson <"$tmp/narrow.out"
expect_exit 64 "--max-line-bytes below 512" --max-line-bytes 100

start=$(date +%s%N)
set -o pipefail
./kvmsteal --interval 1 | head -n 1 >/dev/null
piped=$?
set +o pipefail
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "closed pipe (kvmsteal | head -1): exit 0" test "$piped" -eq 0
check "closed pipe: gone before the next tick would be written (${elapsed_ms} ms)" test "$elapsed_ms" -lt 1900

./kvmsteal --proc-root "$root" --interval 0.2 --output "$tmp/term.ndjson" 2>/dev/null &
agent=$!
sleep 1; kill -TERM "$agent"; wait "$agent"
check "SIGTERM: exit 0" test $? -eq 0
check "SIGTERM: only whole lines" ./build/check_ndjson <"$tmp/term.ndjson"

cp -r "$root" "$tmp/vanishing-root"
./kvmsteal --proc-root "$tmp/vanishing-root" --interval 0.2 --count 6 >"$tmp/vanish.out" 2>"$tmp/vanish.err" &
agent=$!
sleep 0.5; rm -rf "$tmp/vanishing-root"
wait "$agent"
check "proc root removed mid-run: exit 0 after --count" test $? -eq 0
check "proc root removed mid-run: said, and not once per tick" \
	test -s "$tmp/vanish.err" -a -z "$(sort "$tmp/vanish.err" | uniq -d)" -a "$(wc -l <"$tmp/vanish.err")" -le 2
with_records=$(grep -o '"@timestamp":"[^"]*"' "$tmp/vanish.out" | sort -u | wc -l)
check "proc root removed mid-run: records before, none after ($with_records of 6 ticks)" \
	test "$with_records" -ge 1 -a "$with_records" -lt 6

if [ "$(id -u)" -eq 0 ] && mkdir -p "$tmp/small" && mount -t tmpfs -o size=16k tmpfs "$tmp/small" 2>/dev/null; then
	# A disk with one page free: the second tick cannot fit; space comes back.
	head -c 12288 /dev/zero >"$tmp/small/filler"
	./kvmsteal --proc-root "$root" --interval 0.2 --count 12 --output "$tmp/small/out.ndjson" 2>"$tmp/small.err" &
	agent=$!
	sleep 1.1; rm "$tmp/small/filler"; freed=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
	wait "$agent"
	check "full disk: exit 0" test $? -eq 0
	check "full disk: only whole lines in the file" ./build/check_ndjson <"$tmp/small/out.ndjson"
	ticks=$(grep -o '"@timestamp":"[^"]*"' "$tmp/small/out.ndjson" | sort -u | wc -l)
	after=$(grep -o '"@timestamp":"[^"]*"' "$tmp/small/out.ndjson" | sort -u | awk -F'"' -v f="$freed" '$4 > f' | wc -l)
	check "full disk: ticks dropped while full ($ticks of 12 written)" test "$ticks" -lt 12
	check "full disk: writing resumed when space came back ($after ticks after)" test "$after" -ge 3
	check "full disk: one message" test "$(grep -c 'No space left on device' "$tmp/small.err")" -eq 1
	# the ticks lost while full: the widest gap between two written ticks, in 0.2 s intervals, less one
	# (the file can fill again later: those ticks are dropped with the message still held back)
	gap=$(grep -o '"@timestamp":"[^"]*"' "$tmp/small/out.ndjson" | sort -u | python3 -c '
import sys, datetime
t = [datetime.datetime.strptime(l.split("\"")[3], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() for l in sys.stdin]
print(max(round((b - a) / 0.2) - 1 for a, b in zip(t, t[1:])))')
	check "full disk: one 'writing again' message saying the $gap ticks dropped" \
		test "$(grep -c "writing to $tmp/small/out.ndjson again; $gap ticks\? w[ae][sr]e\? dropped" "$tmp/small.err")" -eq 1
	umount "$tmp/small"
else
	fail "full disk with recovery needs root to mount a small tmpfs"
fi

# A QEMU that cannot be opened at first (its task/ is missing) is looked at
# again each tick, never remembered as some other process.
cp -r "$root" "$tmp/late-root"
mv "$tmp/late-root/3986/task" "$tmp/task-aside"
./kvmsteal --proc-root "$tmp/late-root" --interval 0.2 --count 8 >"$tmp/late.out" 2>/dev/null &
agent=$!
sleep 0.5; mv "$tmp/task-aside" "$tmp/late-root/3986/task"
wait "$agent"
check "a QEMU unreadable at first is reported once it can be read" grep -q '"process_pid":3986,' "$tmp/late.out"
check "... and not in the first tick" sh -c "! head -n 5 '$tmp/late.out' | grep -q '\"process_pid\":3986,'"

# --- the real /proc ---------------------------------------------------------
./kvmsteal --interval 0.2 --count 3 >"$tmp/real.out"
check "real /proc: exit 0" test $? -eq 0
check "real /proc: one host record a tick" test "$(grep -c '"record":"host"' "$tmp/real.out")" -eq 3
check "real /proc: schema v1" ./build/check_ndjson <"$tmp/real.out"

# A QEMU-shaped process: found by argv[0], named, its vCPU threads counted.
./build/fakeqemu -name 'guest=smoke,,test,debug-threads=on' -uuid 0F0E0D0C-0B0A-4908-8706-050403020100 \
	-smp 3 -pidfile "$tmp/fake.pid" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/fake.pid" ] && break; sleep 0.05; done
fake=$(cat "$tmp/fake.pid" 2>/dev/null)
./kvmsteal --interval 0.3 --count 2 >"$tmp/fake.out"
grep "\"process_pid\":$fake," "$tmp/fake.out" | tail -n 1 >"$tmp/fake.vm"
check "fake QEMU: reported with its name (,, unescaped)" grep -q '"vm_name":"smoke,test"' "$tmp/fake.vm"
check "fake QEMU: UUID in lowercase" grep -q '"vm_uuid":"0f0e0d0c-0b0a-4908-8706-050403020100"' "$tmp/fake.vm"
check "fake QEMU: 3 vCPUs, 4 other threads" grep -q '"vcpu_count":3,.*"other_thread_count":4,' "$tmp/fake.vm"
check "fake QEMU: schema v1" ./build/check_ndjson <"$tmp/fake.out"

# Prometheus textfile: valid for promtool, and no counter ever goes down,
# even when a vCPU thread and a worker thread are replaced by new ones.
./kvmsteal --interval 0.3 --count 10 --output /dev/null --prom-file "$tmp/kvm.prom" &
agent=$!
for i in $(seq 40); do
	sleep 0.1; cp "$tmp/kvm.prom" "$tmp/prom.$i" 2>/dev/null
	[ "$i" = 12 ] && kill -USR1 "$fake" && kill -USR2 "$fake"
done
wait "$agent"
check "--prom-file: promtool check metrics" promtool check metrics <"$tmp/kvm.prom"
check "--prom-file: the fake VM's steal series are there" \
	grep -q '^kvm_vcpu_steal_seconds_total{vm_name="smoke,test",vm_uuid="0f0e0d0c-0b0a-4908-8706-050403020100",vm_id="",vcpu="2"} ' "$tmp/kvm.prom"
check "--prom-file: no counter goes down across threads replaced" \
	awk '/^kvm_.*_total/ { v = $NF; $NF = ""; if (($0 in last) && v + 0 < last[$0] + 0) bad++; last[$0] = v }
	     END { exit bad > 0 }' $(for i in $(seq 40); do [ -f "$tmp/prom.$i" ] && echo "$tmp/prom.$i"; done)
check "--prom-file: no temporary file left (only the lock file)" \
	test "$(ls -A "$tmp" | grep -F 'kvm.prom' | tr '\n' ' ')" = ".kvm.prom.lock kvm.prom "
./build/golden tests/fixtures/basic/t0 tests/fixtures/basic/t1 --prom "$tmp/golden.prom" >/dev/null
check "--prom-file on the basic fixture: promtool" promtool check metrics <"$tmp/golden.prom"
check "--prom-file on the basic fixture: steal of instance-00001782 vCPU 1 is its delta, 0.78 s" \
	grep -qx 'kvm_vcpu_steal_seconds_total{vm_name="instance-00001782",vm_uuid="6f2ade4b-2732-4202-b750-48daee771b06",vm_id="",vcpu="1"} 0.780000000' "$tmp/golden.prom"
check "--prom-file on the basic fixture: user time excludes guest time (0.51 s)" \
	grep -qx 'kvm_vm_cpu_seconds_total{vm_name="instance-00001782",vm_uuid="6f2ade4b-2732-4202-b750-48daee771b06",vm_id="",mode="user"} 0.510000000' "$tmp/golden.prom"
./build/golden tests/fixtures/hostile-names/t0 tests/fixtures/hostile-names/t1 --prom "$tmp/hostile.prom" >/dev/null 2>&1
check "--prom-file with hostile names: label values escaped (promtool)" promtool check metrics <"$tmp/hostile.prom"
check "--prom-file with hostile names: quote and backslash escaped" grep -qF 'vm_name="quote\"back\\slash"' "$tmp/hostile.prom"

# The fleet rules: they load, their unit tests pass (every alert fires on its
# case and not on its near misses), and each runbook_url names a README section.
check "Prometheus rules: promtool check rules" promtool check rules scripts/dist/prometheus/kvmsteal.rules.yml
check "Prometheus rules: promtool test rules" promtool test rules tests/prometheus/kvmsteal.test.yml
for anchor in $(grep -o 'README.md#[a-z0-9-]*' scripts/dist/prometheus/kvmsteal.rules.yml | cut -d'#' -f2); do
	check "Prometheus rules: runbook #$anchor is a README heading" \
		grep -qix "#* *runbook: ${anchor#runbook-}" <(sed 's/`//g' README.md)
done

echo
if [ "$failures" -ne 0 ]; then echo "$failures test(s) FAILED"; exit 1; fi
echo "all tests passed"
