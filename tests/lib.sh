# Shell helpers shared by the test scripts and scripts/demo.sh.  A script
# calls scratch first: the helpers below write in its $tmp and add what they
# start to its pids.  Every wait has a timeout.

# scratch: a scratch directory $tmp, the list pids=() of the processes the
# script starts, and at_exit CMD for anything else to undo.  On exit, by
# the end of the script, a failure, Ctrl-C or SIGTERM: every process in pids,
# in a pidfile in $tmp or left as a background job is stopped (stop_all),
# then the at_exit commands run in order, then $tmp goes.
scratch() {
	tmp=$(mktemp -d)
	pids=()
	exit_cmds=()
	trap scratch_end EXIT
	trap 'exit 130' INT TERM
}
at_exit() { exit_cmds+=("$1"); }
scratch_end() {
	local cmd
	stop_started
	for cmd in "${exit_cmds[@]}"; do eval "$cmd" || true; done
	rm -rf "$tmp"
}

# stop_started: stops (stop_all) what the script started so far, the
# processes in pids, in a pidfile in $tmp and its background jobs; pids is
# emptied and the pidfiles removed.
stop_started() {
	local f named=()
	for f in "$tmp"/*.pid; do
		if [ -s "$f" ]; then named+=("$(cat "$f")"); fi
	done
	stop_all "${pids[@]}" "${named[@]}" $(jobs -p)
	pids=()
	rm -f "$tmp"/*.pid
}

# alive PID: the process exists and has not exited (a zombie has)
alive() {
	local state
	state=$(ps -o state= -p "$1" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# stop_all PID...: SIGTERM to each, once.  A process stopped by a signal
# (state T) is continued after it, so that it can act on it; never one that
# runs: a SIGCONT discards a pending SIGSTOP, and LeakSanitizer's tracer,
# which attaches to an ASan build as it exits, waits for that stop forever.
# Whatever still runs 20 s later is killed, and said.
stop_all() {
	local pid list
	list=$(printf '%s\n' "$@" | grep -E '^[0-9]+$' | sort -un)
	for pid in $list; do
		kill "$pid" 2>/dev/null || continue
		if [ "$(ps -o state= -p "$pid" 2>/dev/null)" = T ]; then kill -CONT "$pid" 2>/dev/null || true; fi
	done
	for _ in $(seq 200); do
		for pid in $list; do alive "$pid" && { sleep 0.1; continue 2; }; done
		break
	done
	for pid in $list; do
		if alive "$pid"; then
			echo "# cleanup: process $pid still runs 20 s after SIGTERM: killed"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	wait 2>/dev/null || true
}

# need TOOL...: each is installed, or the script fails saying how to get it
need() {
	local tool
	for tool; do
		command -v "$tool" >/dev/null || { fail "$tool is not installed (./scripts/install-deps.sh --test)"; exit 1; }
	done
}

failures=0
passes=0
pass() { echo "ok   $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
check() { # check NAME COMMAND...: passes when the command succeeds
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# wait_for_file FILE: a pidfile written once the process is ready (5 s at most)
wait_for_file() {
	for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}

# start_fake ID BUSY QEMU-ARGS...: a QEMU-shaped process (tests/fakeqemu.c)
# whose first BUSY vCPUs spin; its pid ends up in $tmp/ID.pid.
start_fake() {
	local id=$1 busy=$2; shift 2
	FAKEQEMU_BUSY=$busy FAKEQEMU_SECONDS=120 ./build/fakeqemu "$@" -pidfile "$tmp/$id.pid" &
	pids+=($!)
	wait_for_file "$tmp/$id.pid"
}

# start_hogs N: CPU hogs, so that busy vCPUs must wait for a CPU
start_hogs() {
	for _ in $(seq "$1"); do sh -c 'while :; do :; done' & pids+=($!); done
}

# kvm_usable: true when QEMU can use /dev/kvm here
kvm_usable() {
	command -v qemu-system-x86_64 >/dev/null && [ -r /dev/kvm ] && [ -w /dev/kvm ]
}

# start_guest ACCEL ID NAME UUID: a real QEMU guest with 2 vCPUs booting
# build/spin.img (vCPU 0 spins, vCPU 1 halts), a QMP socket at $tmp/ID.sock,
# its pid in $tmp/ID.pid.  Each guest boots its own copy of the image (QEMU
# locks an image it writes to).
start_guest() {
	cp build/spin.img "$tmp/$2.img"
	qemu-system-x86_64 -accel "$1" -name "guest=$3,debug-threads=on" -uuid "$4" -smp 2 -m 64 \
		-nodefaults -no-user-config -display none -daemonize -pidfile "$tmp/$2.pid" \
		-drive "file=$tmp/$2.img,format=raw,if=ide" -qmp "unix:$tmp/$2.sock,server=on,wait=off" \
		2>>"$tmp/qemu.err" && wait_for_file "$tmp/$2.pid"
}

# strip_clock: drops what differs between two runs of the same tick, the clock fields
strip_clock() { sed -E 's/"@timestamp":"[^"]*",//; s/"interval_s":[0-9.]+,//'; }

# wait_for_vcpus PID N: QEMU writes its pidfile before it starts its vCPU threads
wait_for_vcpus() {
	for _ in $(seq 100); do
		[ "$(cat /proc/"$1"/task/*/comm 2>/dev/null | grep -c '^CPU [0-9]*/')" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# skip_all REASON: this script cannot run its checks here.  Said as SKIP with
# the reason; under CI=true (the CI machine has root, QEMU, the cgroup v1 cpu
# controller and every package) a skip is a failure, never a silent pass.
skip_all() {
	echo "SKIP $(basename "$0"): $1"
	if [ "${CI:-}" = true ]; then
		echo "FAIL under CI=true: the CI machine can run this test"
		exit 1
	fi
	exit 0
}

# run_delay_ns PID: sets rd_ns to the summed schedstat (2) of PID's vCPU
# threads ("CPU n/"), read with shell builtins only (no fork: the reading
# takes well under a millisecond, so it is taken at the time stamped with it)
run_delay_ns() {
	local t comm _a delay
	rd_ns=0
	for t in /proc/"$1"/task/*; do
		read -r comm <"$t/comm" 2>/dev/null || continue
		[[ $comm =~ ^CPU\ [0-9]+/ ]] || continue
		read -r _a delay _ <"$t/schedstat" 2>/dev/null && rd_ns=$((rd_ns + delay))
	done
}

# throttled_ns DIR: sets thr_ns to the cgroup's cpu.stat throttled_time (ns), builtins only
throttled_ns() {
	local key value
	thr_ns=
	while read -r key value; do [ "$key" = throttled_time ] && thr_ns=$value; done <"$1/cpu.stat"
}
