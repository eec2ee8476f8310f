#!/usr/bin/env bash
# Soak: runs the shipped kvmsteal for many ticks on a fake /proc whose VMs
# come and go (a new PID every time, threads included), and watches the
# agent's resident memory and open fds, which must stay flat after warm-up.
#
#   scripts/soak.sh [--ticks N] [--interval SEC] [--valgrind]
#
# --valgrind runs the agent under valgrind --leak-check=full --error-exitcode=1
# (CI does this with a few hundred ticks).  Exits 1 when memory or fds grow
# after warm-up, or when valgrind reports an error.
set -u
cd "$(dirname "$0")/.."
ticks=10000 interval=0.1 valgrind=""
while [ $# -gt 0 ]; do
	case $1 in
	--ticks) ticks=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--valgrind) valgrind="valgrind --leak-check=full --errors-for-leak-kinds=all --error-exitcode=1 -q"; shift ;;
	*) echo "usage: $0 [--ticks N] [--interval SEC] [--valgrind]" >&2; exit 64 ;;
	esac
done
make -s kvmsteal build/check_ndjson || exit 1

tmp=$(mktemp -d)
root="$tmp/proc"
mutator=""
cleanup() { [ -n "$mutator" ] && kill "$mutator" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

stat_line() { # stat_line PID COMM UTIME STARTTIME: fields 1..52 of proc(5)
	local f=(S 1 0 0 0 -1 0 0 0 0 0 "$3" 1 0 0 20 0 4 0 "$4") i
	for i in $(seq 23 52); do f+=(0); done
	f[40]=$(( $3 / 2 ))
	echo "$1 ($2) ${f[*]}"
}
add_vm() { # add_vm PID N: a QEMU VM with 2 vCPUs and 2 other threads
	local pid=$1 n=$2 d="$root/$1" tid
	mkdir -p "$d/task"
	echo qemu-system-x86 >"$d/comm"
	printf 'qemu-system-x86_64\0-name\0guest=soak-%s,debug-threads=on\0-uuid\0%08d-0000-4000-8000-000000000000\0' "$n" "$n" >"$d/cmdline"
	stat_line "$pid" qemu-system-x86 "$n" "$pid" >"$d/stat"
	for tid in $pid $((pid + 1)) $((pid + 2)) $((pid + 3)); do
		mkdir -p "$d/task/$tid"
		case $tid in
		$((pid + 1))) comm="CPU 0/KVM" ;; $((pid + 2))) comm="CPU 1/KVM" ;; *) comm=worker ;;
		esac
		echo "$comm" >"$d/task/$tid/comm"
		stat_line "$tid" "$comm" 0 "$pid" >"$d/task/$tid/stat"
		echo "$((tid * 1000)) $((tid * 10)) 5" >"$d/task/$tid/schedstat"
	done
}
mkdir -p "$root"
printf 'cpu  100 0 100 100 0 0 0 0 50 0\ncpu0 50 0 50 50 0 0 0 0 25 0\ncpu1 50 0 50 50 0 0 0 0 25 0\nintr 1\n' >"$root/stat"
for n in $(seq 1 10); do add_vm $((n * 10)) "$n"; done

# The churn: every 0.3 s the oldest VM goes and a new one (new PID) comes.
(
	n=11
	while :; do
		sleep 0.3
		printf 'cpu  %d 0 %d 100 0 0 0 0 50 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nintr 1\n' $((100 + n * 20)) $((100 + n * 10)) \
			>"$root/stat.new" && mv "$root/stat.new" "$root/stat"
		oldest=$(ls "$root" | grep -E '^[0-9]+$' | sort -n | head -n 1)
		rm -rf "$root/$oldest"
		add_vm $((n * 10)) "$n"
		n=$((n + 1))
	done
) &
mutator=$!

$valgrind ./kvmsteal --proc-root "$root" --interval "$interval" --count "$ticks" --host-name soak \
	--output "$tmp/out.ndjson" 2>"$tmp/agent.err" &
agent=$!
sleep 1
pid=$(pgrep -P "$$" -f "kvmsteal --proc-root $root" | head -n 1)
[ -n "$valgrind" ] && pid=$agent
echo "# kvmsteal $ticks ticks every $interval s on a fake /proc with 10 VMs replaced every 0.3 s"
echo "# seconds  rss_kib  open_fds  rss_anon_kib  rss_file_kib"
samples="$tmp/samples"
start=$(date +%s)
while kill -0 "$agent" 2>/dev/null; do
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	split=$(awk '/^RssAnon|^RssFile/ { printf "%s ", $2 }' "/proc/$pid/status" 2>/dev/null)
	fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
	[ -n "$rss" ] && echo "$(( $(date +%s) - start )) $rss $fds $split" | tee -a "$samples"
	sleep 5
done
wait "$agent"; rc=$?
echo "# agent exit status $rc; $(wc -l <"$tmp/out.ndjson") lines written; stderr: $(wc -l <"$tmp/agent.err") lines"
head -n 5 "$tmp/agent.err"
./build/check_ndjson <"$tmp/out.ndjson" || rc=1

# Flat: after the first fifth of the run, RSS grows by at most 64 KiB and the
# fd count stays within the range one VM's arrival or departure explains.
verdict=$(awk 'NR == FNR { n++; next }
	FNR > n / 5 { if (!seen++) { r0 = $2; fmin = $3; fmax = $3 } if ($2 - r0 > grow) grow = $2 - r0
	              if ($3 < fmin) fmin = $3; if ($3 > fmax) fmax = $3 }
	END { printf "rss growth after warm-up %d KiB, open fds %d..%d\n", grow, fmin, fmax
	      exit !(grow <= 64 && fmax - fmin <= 12) }' "$samples" "$samples")
status=$?
echo "# $verdict"
if [ -n "$valgrind" ]; then # valgrind's own memory is in the RSS: only its verdict counts
	[ "$rc" -eq 0 ] && { echo "# valgrind: no error, no leak: PASS"; exit 0; }
	echo "# FAIL"; exit 1
fi
[ "$status" -eq 0 ] && [ "$rc" -eq 0 ] && { echo "# flat: PASS"; exit 0; }
echo "# FAIL"; exit 1
