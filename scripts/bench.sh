#!/usr/bin/env bash
# Benchmark: kvmsteal against the cost floor of /proc and against pidstat, on
# QEMU-shaped processes (tests/fakeqemu.c: 4 idle vCPU threads, 3 other
# threads and the main thread each) on the real /proc, all in one run.  The
# floors are scripts/refread.c: one pread per thread (the reference), and
# with --schema-floor also the /proc listing and the stat read per VM that
# schema v1 needs (what any agent writing it from /proc pays the kernel).
#
#   scripts/bench.sh [--vms N] [--ticks N] [--interval SEC] [--rss-ticks N] [--idle-procs N] [--cgroup]
#                    [--baseline BIN [--ab-pairs N]] [--nap-ms MS]
#
# --baseline BIN also compares this build with another (an earlier commit's,
# built elsewhere), both without --cgroup-root, on the same VMs: two more
# windows in which only the two run, half an interval apart, the second
# with their slots swapped (a slot alone was worth 3 to 20 % here), N
# pairs of them (--ab-pairs, 3), and prints this build's cost as a ratio
# of the other's in each window and their median.
#
# --nap-ms MS: how long the idle vCPU threads sleep between wake-ups (10000;
# a halted guest's vCPU wakes for its timers: 100 makes each VM's vCPUs wait
# a little every tick, as on a real host).
#
# --idle-procs N also starts N sleeping processes that are not QEMU (a busy
# host's daemons, shells, containers): each is listed every tick, and kvmsteal
# re-reads each one's name once every 30 s to see a late exec into QEMU.
# --cgroup (root, cgroup v1 cpu controller at /sys/fs/cgroup/cpu) puts each
# VM in a cgroup of its own with a 1-CPU quota and also compares kvmsteal
# --cgroup-root /sys/fs/cgroup with kvmsteal without it, in pairs of
# windows as --baseline does.
#
# --interval must be whole seconds (pidstat's unit).  --rss-ticks N then runs
# kvmsteal for N ticks at 0.1 s on the same processes and prints its resident
# memory every 10 s (10000 ticks: about 17 minutes).
#
# Prints the CPU time per tick of each (from the main thread's schedstat, in
# ns, over a window of whole ticks after warm-up), the ratios, the
# instructions per tick under callgrind (repeatable on a noisy machine), the
# syscalls per tick under strace, and the agent's resident memory.
# Absolute times vary between runs on these shared machines: read the ratios.
set -u
cd "$(dirname "$0")/.."
vms=500 ticks=20 interval=1 rss_ticks=0 idle_procs=0 with_cgroups=0 baseline= ab_pairs=3 nap_ms=10000
while [ $# -gt 0 ]; do
	case $1 in
	--vms) vms=$2; shift 2 ;;
	--ticks) ticks=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--rss-ticks) rss_ticks=$2; shift 2 ;;
	--idle-procs) idle_procs=$2; shift 2 ;;
	--cgroup) with_cgroups=1; shift ;;
	--baseline) baseline=$2; shift 2 ;;
	--ab-pairs) ab_pairs=$2; shift 2 ;;
	--nap-ms) nap_ms=$2; shift 2 ;;
	*) echo "usage: $0 [--vms N] [--ticks N] [--interval SEC] [--rss-ticks N] [--idle-procs N]" >&2; exit 64 ;;
	esac
done
case $interval in *[!0-9]*|0) echo "--interval: whole seconds, at least 1 (pidstat's unit)" >&2; exit 64 ;; esac
for tool in pidstat valgrind strace; do
	command -v "$tool" >/dev/null || { echo "$tool is missing: ./scripts/install-deps.sh --test valgrind strace" >&2; exit 1; }
done
make -s kvmsteal build/fakeqemu || exit 1
cc -O2 -o build/refread scripts/refread.c || exit 1

tmp=$(mktemp -d)
pids=()
cleanup() {
	exec 2>/dev/null # bash would report each killed job
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	for f in "$tmp"/*.pid; do [ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${bench_cg:-}" ] && sleep 0.5 && rmdir "$bench_cg"/vm* "$bench_cg" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if [ "$idle_procs" -gt 0 ]; then
	# one process that forks the sleepers: starting 20,000 from bash takes minutes
	cat >"$tmp/idle.c" <<'C'
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	for (int i = 0; i < n; i++)
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
	for (;;)
		pause();
}
C
	cc -O2 -o "$tmp/idle" "$tmp/idle.c" || exit 1
	"$tmp/idle" "$idle_procs" &
	pids+=($!)
	for _ in $(seq 600); do [ "$(pgrep -c -P "${pids[-1]}")" -ge "$idle_procs" ] && break; sleep 0.1; done
	echo "# $(pgrep -c -P "${pids[-1]}") idle processes that are not QEMU"
	idle_started=$(date +%s)
fi
echo "# starting $vms QEMU-shaped processes x 8 threads"
for i in $(seq 1 "$vms"); do
	FAKEQEMU_BUSY=0 FAKEQEMU_NAP_MS=$nap_ms FAKEQEMU_SECONDS=3600 ./build/fakeqemu \
		-name "guest=bench-$i,debug-threads=on" -uuid "$(printf '%08d-0000-4000-8000-000000000000' "$i")" \
		-smp 4 -pidfile "$tmp/vm$i.pid" &
	pids+=($!)
done
for i in $(seq 1 "$vms"); do
	for _ in $(seq 200); do [ -s "$tmp/vm$i.pid" ] && break; sleep 0.05; done
done
vm_pids=$(cat "$tmp"/vm*.pid | tr '\n' ' ')
threads=$(for p in $vm_pids; do ls "/proc/$p/task"; done | wc -l)
echo "# $vms processes, $threads threads, $(ls /proc | grep -c '^[0-9]') processes on the host, $(nproc) CPUs"

cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }

# The four run at once over the same window, each started a fraction of the
# interval after the previous one so that their ticks never overlap (the
# reference, the floor and kvmsteal take ~10 ms a tick, pidstat ~0.3 s): they
# all see the same minutes of this shared machine, where two runs one after
# the other differed by 10 %.  CPU ns per tick of each one's main thread over
# $ticks whole intervals, after two intervals of warm-up.
pid_list=$(echo $vm_pids | tr ' ' ',')
if [ "$with_cgroups" = 1 ]; then
	bench_cg=/sys/fs/cgroup/cpu/kvmsteal-bench-$$
	mkdir "$bench_cg" || exit 1
	i=0
	for p in $vm_pids; do
		i=$((i + 1))
		mkdir "$bench_cg/vm$i"
		echo 100000 >"$bench_cg/vm$i/cpu.cfs_period_us"; echo 100000 >"$bench_cg/vm$i/cpu.cfs_quota_us"
		for task in /proc/"$p"/task/*; do echo "${task##*/}" >"$bench_cg/vm$i/tasks"; done
	done
	echo "# each VM in a cgroup of its own with a 1-CPU quota under $bench_cg"
fi
if [ "$idle_procs" -gt 0 ]; then
	# measured in steady state: a process younger than 30 s has its name read every tick
	wait_s=$(( idle_started + 31 - $(date +%s) ))
	[ "$wait_s" -gt 0 ] && { echo "# waiting ${wait_s} s until the idle processes are older than 30 s"; sleep "$wait_s"; }
fi
at() { sleep "$(echo "$interval * $1" | bc)"; }
./build/refread "$interval" 1000000 $vm_pids >/dev/null 2>"$tmp/refread.err" &
measured=$!; at 0.1
./build/refread "$interval" 1000000 --schema-floor $vm_pids >/dev/null 2>"$tmp/floor.err" &
measured="$measured $!"; at 0.1
./kvmsteal --interval "$interval" --output /dev/null 2>"$tmp/kvmsteal.err" &
measured="$measured $!"; at 0.2
pidstat -t -p "$pid_list" "$interval" >/dev/null 2>"$tmp/pidstat.err" &
measured="$measured $!"; at 2.5
read -r -a c0 < <(for pid in $measured; do cpu_ns "$pid"; done | tr '\n' ' ')
at "$ticks"
read -r -a c1 < <(for pid in $measured; do cpu_ns "$pid"; done | tr '\n' ' ')
for pid in $measured; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
ref_ns=$(( (c1[0] - c0[0]) / ticks )) floor_ns=$(( (c1[1] - c0[1]) / ticks ))
kvm_ns=$(( (c1[2] - c0[2]) / ticks )) pidstat_ns=$(( (c1[3] - c0[3]) / ticks ))

per_thread() { echo "scale=2; $1 / 1000 / $threads" | bc; }
echo
echo "CPU per tick ($ticks ticks of ${interval}s, $threads threads, all four measured at once):"
printf '  %-40s %9.3f ms  %6s us/thread\n' "reference reader (one pread per thread)" "$(echo "scale=3; $ref_ns / 1000000" | bc)" "$(per_thread "$ref_ns")"
printf '  %-40s %9.3f ms  %6s us/thread\n' "schema floor (+ /proc listed, stat/VM)" "$(echo "scale=3; $floor_ns / 1000000" | bc)" "$(per_thread "$floor_ns")"
printf '  %-40s %9.3f ms  %6s us/thread\n' "kvmsteal (output to /dev/null)" "$(echo "scale=3; $kvm_ns / 1000000" | bc)" "$(per_thread "$kvm_ns")"
printf '  %-40s %9.3f ms  %6s us/thread\n' "pidstat -t" "$(echo "scale=3; $pidstat_ns / 1000000" | bc)" "$(per_thread "$pidstat_ns")"
echo "  kvmsteal / reference     = $(echo "scale=2; $kvm_ns / $ref_ns" | bc)   (goal: at most 2)"
echo "  kvmsteal / schema floor  = $(echo "scale=2; $kvm_ns / $floor_ns" | bc)   (the agent's own work above what the kernel charges)"
echo "  pidstat / kvmsteal       = $(echo "scale=1; $pidstat_ns / $kvm_ns" | bc)   (goal: at least 30)"
echo "  pidstat / schema floor   = $(echo "scale=1; $pidstat_ns / $floor_ns" | bc)   (the most any reader of these files could reach)"
# ab_window "A ARGS" "B ARGS": CPU ns per tick of each over $ticks ticks
# (after 2 of warm-up), the second started half an interval after the first
ab_window() {
	$1 --interval "$interval" --output /dev/null 2>>"$tmp/ab.err" & local a=$!
	at 0.5
	$2 --interval "$interval" --output /dev/null 2>>"$tmp/ab.err" & local b=$!
	at 2.2
	local a0 b0 a1 b1
	a0=$(cpu_ns "$a") b0=$(cpu_ns "$b")
	at "$ticks"
	a1=$(cpu_ns "$a") b1=$(cpu_ns "$b")
	kill "$a" "$b" 2>/dev/null; wait "$a" "$b" 2>/dev/null
	echo "$(( (a1 - a0) / ticks )) $(( (b1 - b0) / ticks ))"
}
# ab_compare TITLE "NEW ARGS" "OLD ARGS" GOAL: $ab_pairs pairs of windows, only
# the two running, their slots swapped within a pair (a slot alone was
# worth 3 to 20 % here); the median of the ratios, since one window in ten
# here was 10-30 % off in either direction (a neighbour's burst)
ab_compare() {
	local ratios= pair k1 b1 k2 b2 r1 r2
	echo
	echo "$1 ($ab_pairs pairs of windows of $ticks ticks, only the two running, slots swapped within a pair):"
	for pair in $(seq "$ab_pairs"); do
		read -r k1 b1 < <(ab_window "$2" "$3")
		read -r b2 k2 < <(ab_window "$3" "$2")
		r1=$(echo "scale=4; $k1 / $b1" | bc) r2=$(echo "scale=4; $k2 / $b2" | bc)
		printf '  pair %d: first %7.3f / %7.3f ms = %s; second %7.3f / %7.3f ms = %s\n' "$pair" \
			"$(echo "scale=3; $k1 / 1000000" | bc)" "$(echo "scale=3; $b1 / 1000000" | bc)" "$r1" \
			"$(echo "scale=3; $k2 / 1000000" | bc)" "$(echo "scale=3; $b2 / 1000000" | bc)" "$r2"
		ratios="$ratios $r1 $r2"
	done
	echo "$ratios" | tr ' ' '\n' | grep . | sort -n | awk -v goal="$4" '{ r[NR] = $1; l += log($1) }
		END { printf "  ratio = %.3f (median of %d windows; geometric mean %.3f; goal: at most %s)\n",
			NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2, NR, exp(l / NR), goal }'
}
if [ "$with_cgroups" = 1 ]; then
	ab_compare "kvmsteal --cgroup-root /sys/fs/cgroup against kvmsteal" "./kvmsteal --cgroup-root /sys/fs/cgroup" ./kvmsteal 1.15
	echo "  diagnostics: $(sort -u "$tmp/ab.err" | head -n 2)"
fi
if [ -n "$baseline" ]; then
	ab_compare "This build against $baseline (no --cgroup-root)" ./kvmsteal "$baseline" 1.05
fi

# Instructions per tick: the difference between runs of 6 and 2 ticks, so
# that start-up (opening every fd) cancels out.  callgrind counts user space
# only: the reference reader's work is nearly all in the kernel.
instructions() { # instructions COMMAND...: total Ir under callgrind
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>"$tmp/cg.err"
	awk '/^summary:/ { print $2 }' "$tmp/cg.out"
}
k2=$(instructions ./kvmsteal --interval "$interval" --count 2 --output /dev/null)
k6=$(instructions ./kvmsteal --interval "$interval" --count 6 --output /dev/null)
r2=$(instructions ./build/refread "$interval" 2 $vm_pids)
r6=$(instructions ./build/refread "$interval" 6 $vm_pids)
ki=$(( (k6 - k2) / 4 )) ri=$(( (r6 - r2) / 4 ))
echo
echo "User-space instructions per tick (callgrind, 6 ticks minus 2 ticks, / 4):"
echo "  kvmsteal $ki ($(( ki / threads )) per thread); reference reader $ri (its work is in the kernel)"

syscalls() { # syscalls TAG COUNT [ARGS]: total syscalls of kvmsteal ARGS for COUNT ticks
	strace -c -f -o "$tmp/strace.$1.$2" ./kvmsteal --interval "$interval" --count "$2" --output /dev/null "${@:3}" 2>"$tmp/strace.err"
	awk '$NF == "total" { print $(NF-2) }' "$tmp/strace.$1.$2"
}
# strace -c's columns: % time, seconds, usecs/call, calls, [errors,] syscall
syscall_table() { # syscall_table TAG: per tick, 6 ticks minus 2, by syscall
	join <(awk 'NF >= 5 && $1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $4 }' "$tmp/strace.$1.6" | sort) \
	     <(awk 'NF >= 5 && $1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $4 }' "$tmp/strace.$1.2" | sort) |
		awk '{ d = ($2 - $3) / 4; if (d >= 1) printf "    %-16s %8.1f\n", $1, d }' | sort -k2 -n -r
}
s2=$(syscalls plain 2); s6=$(syscalls plain 6)
echo
echo "Syscalls per tick (strace -c, 6 ticks minus 2 ticks, / 4):"
echo "  $(( (s6 - s2) / 4 )) for $threads threads and $vms VMs"
syscall_table plain
if [ "$with_cgroups" = 1 ]; then
	s2=$(syscalls cg 2 --cgroup-root /sys/fs/cgroup); s6=$(syscalls cg 6 --cgroup-root /sys/fs/cgroup)
	echo "  $(( (s6 - s2) / 4 )) with --cgroup-root ($vms limited cgroups; the idle vCPUs wake every $nap_ms ms):"
	syscall_table cg
fi

# Memory: resident set of the agent once it tracks every thread, and without VMs.
./kvmsteal --interval "$interval" --output /dev/null &
agent=$!
sleep "$(echo "$interval * 3" | bc)"
rss_with=$(awk '/^VmRSS/ { print $2 }' "/proc/$agent/status")
kill "$agent"; wait "$agent" 2>/dev/null
mkdir -p "$tmp/empty"; cp /proc/stat "$tmp/empty/stat"
./kvmsteal --interval "$interval" --output /dev/null --proc-root "$tmp/empty" &
agent=$!
sleep "$(echo "$interval * 3" | bc)"
rss_without=$(awk '/^VmRSS/ { print $2 }' "/proc/$agent/status")
kill "$agent"; wait "$agent" 2>/dev/null
cat >"$tmp/sizes.c" <<'C'
#include <stdio.h>
#include "discover.h"
#include "rate.h"
#include "snapshot.h"
int main(void)
{
	printf("%zu %zu %zu %zu %zu %zu\n", sizeof(struct thread_entry), sizeof(struct thread_sample),
	       sizeof(struct vcpu_figures), sizeof(struct vm_entry), sizeof(struct vm_sample), sizeof(struct vm_figures));
	return 0;
}
C
cc -Iinclude -D_GNU_SOURCE -o "$tmp/sizes" "$tmp/sizes.c" && read -r te ts vf ve vs vmf < <("$tmp/sizes")
echo
echo "Memory per tracked thread: its thread_entry ($te bytes) and its sample in each of the two snapshots"
echo "  (2 x $ts bytes) = $(( te + 2 * ts )) bytes, plus $vf bytes of figures per vCPU thread."
echo "Memory per VM: its vm_entry ($ve bytes), its sample in each snapshot (2 x $vs), its figures ($vmf)"
echo "  = $(( ve + 2 * vs + vmf )) bytes, plus its name twice and its record in the tick's output buffer."
echo "Resident memory: $rss_with KiB tracking $threads threads, $rss_without KiB with none:"
echo "  $(( (rss_with - rss_without) * 1024 / threads )) bytes per tracked thread, with the per-VM state and the"
echo "  tick's output buffer ($(( vms * 700 / 1024 )) KiB of records) counted in"

# A VM that starts is reported, one that exits is dropped, at this scale too.
./kvmsteal --interval "$interval" --count 4 >"$tmp/life.out" &
agent=$!
sleep "$(echo "$interval * 1.5" | bc)"
FAKEQEMU_BUSY=0 FAKEQEMU_NAP_MS=$nap_ms FAKEQEMU_SECONDS=3600 ./build/fakeqemu -name guest=bench-late,debug-threads=on \
	-smp 4 -pidfile "$tmp/late.pid" &
pids+=($!)
gone=$(cat "$tmp/vm1.pid")
{ kill -KILL "$gone"; wait "$gone"; } 2>/dev/null # bash would report the killed job
wait "$agent"
in_ticks() { # in_ticks PATTERN: the count of records matching PATTERN in each tick
	for stamp in $(grep -o '"@timestamp":"[^"]*"' "$tmp/life.out" | uniq); do
		grep -F "$stamp" "$tmp/life.out" | grep -c "$1"
	done | tr '\n' ' '
}
echo
echo "Life cycle among $vms VMs (4 ticks; one VM started and one killed half way between ticks 1 and 2):"
echo "  records of the new VM in ticks 1-4:    $(in_ticks '"vm_name":"bench-late"')"
echo "  records of the killed VM in ticks 1-4: $(in_ticks "\"process_pid\":$gone,")"

if [ "$rss_ticks" -gt 0 ]; then
	./kvmsteal --interval 0.1 --count "$rss_ticks" --output /dev/null &
	agent=$!
	echo
	echo "Resident memory over $rss_ticks ticks of 0.1 s (seconds, VmRSS KiB, RssAnon KiB):"
	start=$(date +%s)
	while kill -0 "$agent" 2>/dev/null; do
		awk -v t=$(( $(date +%s) - start )) '/^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 } END { if (r) print "  " t, r, a }' \
			"/proc/$agent/status" 2>/dev/null
		sleep 10
	done
fi
