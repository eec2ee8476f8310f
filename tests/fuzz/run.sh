#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS on its seed corpus (tests/fuzz/corpus/
# TARGET, read only) plus a working corpus under build/fuzz/.  Fails on the
# first crash, leak or sanitizer report, leaving the crashing input in build/fuzz/.
set -u
seconds=${1:-60}; shift
status=0
for target in "$@"; do
	mkdir -p "build/fuzz/corpus-$target"
	log="build/fuzz/$target.log"
	"build/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="build/fuzz/$target-" "build/fuzz/corpus-$target" "tests/fuzz/corpus/$target" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "ok   $target: ${runs:-?} runs in ${seconds} s, $cov, nothing found"
	else
		echo "FAIL $target (exit $rc):"; grep -E 'ERROR|SUMMARY|artifact' "$log" | head -n 5
		status=1
	fi
done
exit $status
