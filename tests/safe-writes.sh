#!/usr/bin/env bash
# What the agent writes cannot be turned against the host, and signals do
# what an operator expects: symbolic links planted at the output, the
# textfile or a rotated path (in a directory this test owns), two agents on
# one output or textfile, the Debian/Ubuntu textfile recipe with the real
# node_exporter running as its own user and the agent as the unit's user and
# umask, SIGHUP on standard output and on a rotated file, a real FIFO whose
# reader leaves, SIGSTOP for a few seconds, a tick slowed by a blocking read.
# Run by `make check`.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC
. tests/lib.sh
scratch
chmod 755 "$tmp" # the unprivileged users below reach directories in it
need curl prometheus-node-exporter setpriv systemd-sysusers
root=tests/fixtures/basic/t1
agent_args=(--proc-root "$root" --interval 0.2)

echo "== 1. symbolic links are never written through"
echo "precious" >"$tmp/victim"
ln -s "$tmp/victim" "$tmp/link.ndjson"
./kvmsteal "${agent_args[@]}" --count 1 --output "$tmp/link.ndjson" >/dev/null 2>"$tmp/link.err"
check "--output a symlink: exit 73 ($?)" test "$(./kvmsteal "${agent_args[@]}" --count 1 --output "$tmp/link.ndjson" 2>/dev/null; echo $?)" = 73
check "--output a symlink: says so" grep -q 'is a symbolic link' "$tmp/link.err"
check "--output a symlink: its target untouched" test "$(cat "$tmp/victim")" = precious
ln -s "$tmp/victim" "$tmp/link.prom"
./kvmsteal "${agent_args[@]}" --count 1 --output /dev/null --prom-file "$tmp/link.prom" 2>"$tmp/plink.err"
check "--prom-file a symlink: exit 73 ($?), target untouched" \
	test "$(./kvmsteal "${agent_args[@]}" --count 1 --output /dev/null --prom-file "$tmp/link.prom" 2>/dev/null; echo $?)/$(cat "$tmp/victim")" = 73/precious
# planted while running: at the rotated output path, and at the textfile and its old fixed temporary name
mkdir "$tmp/run"
ln -s "$tmp/victim" "$tmp/run/kvm.prom.tmp"
./kvmsteal "${agent_args[@]}" --count 15 --output "$tmp/run/out.ndjson" --prom-file "$tmp/run/kvm.prom" 2>"$tmp/run.err" &
agent=$!
sleep 1
# stopped for the swap: a tick between the mv and the ln would find the path
# free and rightly make a new file (ln then fails: seen in a CI run)
kill -STOP "$agent"
mv "$tmp/run/out.ndjson" "$tmp/run/out.ndjson.1"
ln -s "$tmp/victim" "$tmp/run/out.ndjson"
kill -CONT "$agent"
rm -f "$tmp/run/kvm.prom"; ln -s "$tmp/victim" "$tmp/run/kvm.prom"
wait "$agent"
check "planted symlinks: the agent exits 0" test $? -eq 0
check "planted symlinks: the victim is untouched" test "$(cat "$tmp/victim")" = precious
check "planted at the rotated output: not followed, said, the old file goes on" \
	sh -c "grep -q 'cannot reopen .*symbolic link' '$tmp/run.err' && test \$(grep -c '\"record\":\"vm\"' '$tmp/run/out.ndjson.1') -eq 75"
check "planted at the textfile: replaced by a regular file again" test -f "$tmp/run/kvm.prom" -a ! -L "$tmp/run/kvm.prom"
check "the textfile is mode 0644 whatever the umask ($(stat -c %a "$tmp/run/kvm.prom"))" test "$(stat -c %a "$tmp/run/kvm.prom")" = 644
check "no temporary file left, only the lock file beside the textfile" \
	test "$(cd "$tmp/run" && ls -A | grep -v '^out.ndjson' | tr '\n' ' ')" = ".kvm.prom.lock kvm.prom kvm.prom.tmp "

echo "== 2. two agents on one output or one textfile"
./kvmsteal "${agent_args[@]}" --count 20 --output "$tmp/shared.ndjson" --prom-file "$tmp/shared.prom" 2>"$tmp/first.err" &
first=$!
sleep 0.6
./kvmsteal "${agent_args[@]}" --count 2 --output "$tmp/shared.ndjson" 2>"$tmp/second.err"
rc_out=$?
./kvmsteal "${agent_args[@]}" --count 2 --output "$tmp/other.ndjson" --prom-file "$tmp/shared.prom" 2>"$tmp/third.err"
rc_prom=$?
check "second agent on the same --output: exit 73 ($rc_out), says another kvmsteal writes it" \
	sh -c "test $rc_out -eq 73 && grep -q 'another kvmsteal is writing it' '$tmp/second.err'"
check "second agent on the same --prom-file: exit 73 ($rc_prom), says so" \
	sh -c "test $rc_prom -eq 73 && grep -q 'another kvmsteal is writing it' '$tmp/third.err'"
wait "$first"
check "the first agent: exit 0, its 20 ticks alone in the file" \
	test "$?/$(grep -o '"@timestamp":"[^"]*"' "$tmp/shared.ndjson" | sort -u | wc -l)" = 0/20
./kvmsteal "${agent_args[@]}" --count 1 --output "$tmp/shared.ndjson" --prom-file "$tmp/shared.prom" 2>/dev/null
check "once the first is gone, the lock is free again" test $? -eq 0

echo "== 3. the textfile recipe on Debian/Ubuntu, with the real node_exporter"
# As installed: node_exporter's textfile directory root:root 0755; the unit's
# StateDirectory (owned by kvmsteal, 0755) holds the file; one root-made
# symlink in node_exporter's directory points at it.  The agent runs as the
# unit's user with the unit's UMask=0027, node_exporter as prometheus.
systemd-sysusers "$PWD/scripts/dist/kvmsteal.sysusers"
check "systemd-sysusers creates the user from the shipped file" id kvmsteal
umask_of_unit=$(sed -n 's/^UMask=//p' scripts/dist/kvmsteal.service.in)
state_mode=$(sed -n 's/^StateDirectoryMode=//p' scripts/dist/kvmsteal.service.in)
mkdir -p "$tmp/ne" && chmod 755 "$tmp/ne"
install -d -o kvmsteal -g kvmsteal -m "$state_mode" "$tmp/state"
ln -s "$tmp/state/kvmsteal.prom" "$tmp/ne/kvmsteal.prom"
# exec: run in a subshell (or in the background), so that $! is the agent itself, which cleanup kills
as_unit() { exec setpriv --reuid=kvmsteal --regid=kvmsteal --clear-groups sh -c "umask $umask_of_unit; exec \"\$@\"" sh "$@"; }
(as_unit ./kvmsteal "${agent_args[@]}" --count 2 --output /dev/null --prom-file "$tmp/ne/direct.prom" 2>"$tmp/direct.err")
check "writing into node_exporter's own directory: exit 73 ($?), not a silent 0" \
	test "$( (as_unit ./kvmsteal "${agent_args[@]}" --count 1 --output /dev/null --prom-file "$tmp/ne/direct.prom" 2>/dev/null); echo $?)" = 73
check "... with a message that says what to do" grep -q "Permission denied (the agent's user must be able to create files" "$tmp/direct.err"
as_unit ./kvmsteal --proc-root "$root" --interval 0.3 --output /dev/null --prom-file "$tmp/state/kvmsteal.prom" \
	2>"$tmp/unit.err" &
pids+=($!)
port=$((19900 + RANDOM % 90))
setpriv --reuid=prometheus --regid=prometheus --clear-groups prometheus-node-exporter \
	--web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$tmp/ne" >"$tmp/ne.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/state/kvmsteal.prom" ] && curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/scrape" && break; sleep 0.1; done
check "recipe: the file is the agent's, mode 0644 under UMask=$umask_of_unit ($(stat -c '%U %a' "$tmp/state/kvmsteal.prom"))" \
	test "$(stat -c '%U %a' "$tmp/state/kvmsteal.prom")" = "kvmsteal 644"
check "recipe: node_textfile_scrape_error 0" grep -qx 'node_textfile_scrape_error 0' "$tmp/scrape"
check "recipe: node_exporter serves the agent's series" \
	test "$(grep -c '^kvm_' "$tmp/scrape")" -eq "$(grep -c '^kvm_' "$tmp/state/kvmsteal.prom")" -a "$(grep -c '^kvm_vcpu_steal' "$tmp/scrape")" -gt 0
check "recipe: the agent said nothing" test ! -s "$tmp/unit.err"
cat "$tmp/unit.err"

echo "== 4. SIGHUP: standard output ends the run; a file is reopened, so rotation loses no tick"
# A terminal that goes away (SIGHUP from the kernel) is tests/view.sh's; the
# shipped logrotate file with the real logrotate is tests/service.sh's.
./kvmsteal "${agent_args[@]}" >"$tmp/hup.out" 2>&1 &
agent=$!
sleep 0.5; kill -HUP "$agent"; wait "$agent"
check "SIGHUP with standard output: exit 0" test $? -eq 0
# A rename without SIGHUP (caught before the next write), then a rename and
# SIGHUP as logrotate does: every tick lands once, in one of the three files.
rot="$tmp/rot.ndjson"
./kvmsteal "${agent_args[@]}" --count 25 --output "$rot" 2>"$tmp/rot.err" &
agent=$!
sleep 1; mv "$rot" "$rot.1"
sleep 1; mv "$rot" "$rot.2"; kill -HUP "$agent"
sleep 0.2
check "SIGHUP with --output FILE: still running (it reopens)" kill -0 "$agent"
wait "$agent"
check "rotation: exit 0" test $? -eq 0
cat "$rot.1" "$rot.2" "$rot" >"$tmp/rot.all"
check "rotation: 25 ticks, none lost or written twice" \
	test "$(grep -o '"@timestamp":"[^"]*"' "$tmp/rot.all" | sort -u | wc -l)/$(grep -c '"record":"vm"' "$tmp/rot.all")" = "25/125"
check "rotation: the three files all got ticks" test -s "$rot.1" -a -s "$rot.2" -a -s "$rot"
check "rotation: schema v1" ./build/check_ndjson <"$tmp/rot.all"

echo "== 5. a FIFO whose reader leaves"
mkfifo "$tmp/fifo"
head -n 3 "$tmp/fifo" >"$tmp/fifo.read" &
pids+=($!)
./kvmsteal "${agent_args[@]}" --output "$tmp/fifo" 2>"$tmp/fifo.err"
rc=$?
check "FIFO reader gone: exit 74 ($rc), so Restart=on-failure brings it back" test "$rc" -eq 74
check "FIFO reader gone: said" grep -q 'the reader of .*fifo went away' "$tmp/fifo.err"
check "FIFO: the reader got whole lines" ./build/check_ndjson <"$tmp/fifo.read"
set -o pipefail
./kvmsteal "${agent_args[@]}" | head -n 1 >/dev/null
check "kvmsteal | head: still exit 0" test $? -eq 0
set +o pipefail

echo "== 6. stopped for a few seconds, and a tick slowed by a blocking read"
./kvmsteal "${agent_args[@]}" --count 12 >"$tmp/stop.out" 2>"$tmp/stop.err" &
agent=$!
sleep 0.5; kill -STOP "$agent"; sleep 3; kill -CONT "$agent"
wait "$agent"
sed 's/^/     /' "$tmp/stop.err"
check "SIGSTOP 3 s: said the agent did not run, not that a tick was slow" \
	sh -c "grep -q 'the agent did not run for [23]\.[0-9] s (stopped by SIGSTOP' '$tmp/stop.err' && ! grep -q 'a tick took' '$tmp/stop.err'"
long=$(jq -r 'select(.record == "vm") | .interval_s' "$tmp/stop.out" | sort -n | tail -n 1)
check "SIGSTOP 3 s: that tick's interval_s is the measured one ($long s)" awk -v v="$long" 'BEGIN { exit !(v > 2.8 && v < 4) }'
cp -r "$root" "$tmp/slow-root"
./kvmsteal --proc-root "$tmp/slow-root" --interval 0.3 --count 10 >/dev/null 2>"$tmp/slow.err" &
agent=$!
sleep 0.8
# a new thread whose schedstat is a FIFO: opening it blocks until a writer comes
mkdir "$tmp/slow-root/3986/task/4077"
cp "$tmp/slow-root/3986/task/4023/stat" "$tmp/slow-root/3986/task/4077/stat"
mkfifo "$tmp/slow-root/3986/task/4077/schedstat"
sleep 1.5; echo "1 2 3" >"$tmp/slow-root/3986/task/4077/schedstat"
wait "$agent"
sed 's/^/     /' "$tmp/slow.err"
check "a tick blocked 1.5 s: said the tick was slow, with its CPU time" \
	sh -c "grep -q 'a tick took 1\.[0-9]* s (0\.[0-9]* s of CPU), longer than --interval 0.30' '$tmp/slow.err' && ! grep -q 'did not run' '$tmp/slow.err'"

echo
if [ "$failures" -ne 0 ]; then echo "$failures output test(s) FAILED"; exit 1; fi
echo "all output tests passed"
