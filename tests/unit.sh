#!/usr/bin/env bash
# The unit loop: the parsers, rates, records and view on byte strings and
# hand-built snapshots, and the golden fixture trees (exact NDJSON, exact
# textfile, the text table) through the library with fixed clocks.  No root,
# no QEMU, no tmux, no daemon, no network: `make check-unit`, a few seconds;
# CI runs it as nobody.  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC

. tests/lib.sh
scratch

# --- unit tests of the parsers ---------------------------------------------
check "parsers on byte strings" ./build/test_parse
check "record formatting" ./build/test_emit
check "the text view: widths, cuts, history, fitted tables" ./build/test_view
check "rates on hand-built snapshots: figures, identities, limits and moves within an interval" ./build/test_rate
check "cgroup counters on a fake tree: read when they can have grown, growth found later placed or not" ./build/test_cgroup
check "discovery on a fake tree with an injected clock: late execs (young, settled, every 30 s), look-alikes, a reused PID, threads" ./build/test_discover

# --- golden: two snapshots of a fake /proc, fixed clocks, exact NDJSON ------
for case_dir in tests/fixtures/*/; do
	case_dir=${case_dir%/}
	[ -f "$case_dir/expected.ndjson" ] || continue
	name=$(basename "$case_dir")
	cg=(); [ -d "$case_dir/cg0" ] && cg=(--cgroup-roots "$case_dir/cg0" "$case_dir/cg1")
	./build/golden "$case_dir/t0" "$case_dir/t1" "${cg[@]}" >"$tmp/$name.out" 2>"$tmp/$name.err"
	check "golden $name: exact NDJSON" diff -u "$case_dir/expected.ndjson" "$tmp/$name.out"
	check "golden $name: schema v1" ./build/check_ndjson <"$tmp/$name.out"
	[ -f "$case_dir/expected.prom" ] || continue
	./build/golden "$case_dir/t0" "$case_dir/t1" "${cg[@]}" --prom "$tmp/$name.prom" >/dev/null 2>&1
	check "golden $name: exact textfile" diff -u "$case_dir/expected.prom" "$tmp/$name.prom"
done
check "golden hostile-names: one warning for the malformed -uuid" \
	grep -q 'VM pid 5600 ("bad-uuid"): -uuid is not a UUID' "$tmp/hostile-names.err"
check "golden no-schedstat: says why there are no vCPU figures" grep -q 'schedstat reads "0 0 0"' "$tmp/no-schedstat.err"
./build/golden tests/fixtures/basic/t0 tests/fixtures/basic/t1 --vcpu-records >"$tmp/split.out"
check "golden --vcpu-records: 6 vcpu records after their VMs" \
	test "$(grep -c '"record":"vcpu"' "$tmp/split.out")" -eq 6
check "golden --vcpu-records: no vcpu array left" test "$(grep -c '"vcpu":\[' "$tmp/split.out")" -eq 0
check "golden --vcpu-records: schema v1" ./build/check_ndjson <"$tmp/split.out"

# --format text, piped: the same figures as the NDJSON, one line per VM,
# worst steal first, and ON the vCPU whose steal is MAX.
./build/golden tests/fixtures/basic/t0 tests/fixtures/basic/t1 --text | tail -n +3 | sed '/^$/d' |
	awk '{ print $1, $2, $3, $4, $5, $6, $7, $8, $9 }' >"$tmp/table.got"
jq -r 'select(.record == "vm") | [(.vcpu_steal_pct_max // -1), .vm_name, (.vm_id // "-"), .process_pid,
	(if .vcpu_source == "none" then "?" else .vcpu_count end),
	(.vcpu_steal_pct_avg // "-"), (.vcpu_steal_pct_max // "-"),
	(if (.vcpu // []) == [] then "-" else (.vcpu | max_by(.steal_pct) | .id) end),
	(.vcpu_run_pct_avg // "-"), .other_threads_wait_pct] |
	@tsv' tests/fixtures/basic/expected.ndjson | sort -t "$(printf '\t')" -k1,1 -g -r | cut -f2- |
	awk -F'\t' '{ for (i = 5; i <= 9; i++) if ($i != "-" && i != 7) $i = sprintf("%.2f", $i); print $1, $2, $3, $4, $5, $6, $7, $8, $9 }' \
	>"$tmp/table.want"
check "--format text: the NDJSON's figures, worst steal first, the worst vCPU's id" diff -u "$tmp/table.want" "$tmp/table.got"
check "--format text: three VM lines, web01 first" test "$(wc -l <"$tmp/table.got")/$(head -c 5 "$tmp/table.got")" = "3/web01"
./kvmsteal --proc-root tests/fixtures/basic/t1 --interval 0.1 --count 2 --format text >"$tmp/text.out"
check "--format text: a header line per tick" test "$(grep -Ec '^NAME +ID +PID VCPUS STEAL +MAX ON +RUN OTHER THROT CONT +WAIT HELD +CPUS HISTORY$' "$tmp/text.out")" -eq 2
check "--format text piped: no control sequence" sh -c "! grep -q \"\$(printf '\\033')\" '$tmp/text.out'"
./build/golden tests/fixtures/cgroup-v2/t0 tests/fixtures/cgroup-v2/t1 --cgroup-roots tests/fixtures/cgroup-v2/cg0 \
	tests/fixtures/cgroup-v2/cg1 --text >"$tmp/cgtext.out"
check "--format text with --cgroup-root: throttled, contention, the worst wait per run, who holds the CPUs, the worst vCPU's cpus" \
	grep -Eq '^libvirt-web +- +7100 +2 +15\.00 +20\.00 +1 +50\.00 +0\.00 +11\.50 +3\.50 +1\.6ms vms 73 +0-1$' "$tmp/cgtext.out"
check "--format text without cgroup figures: - in those columns" \
	sh -c "./build/golden tests/fixtures/basic/t0 tests/fixtures/basic/t1 --text | grep -Eq '^web01 .* - +- +4\.3ms vms 22 +0-1\$'"


# --- the reference (--help, the man pages, the README) against the agent ----
. tests/docs.sh

echo
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
