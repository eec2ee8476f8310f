#!/usr/bin/env bash
# Running kvmsteal as a daemon: install/uninstall, the systemd unit
# (systemd-analyze verify), sd_notify READY, the hidepid warning, and log
# rotation with the real logrotate (the shipped file's directives) while a real
# rsyslog (imfile + mmjsonparse, in the foreground on a private config) tails
# and parses the output: every record must arrive parsed, exactly once.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC
. tests/lib.sh
scratch
at_exit '[ -z "${hp:-}" ] || { umount "$hp/proc" 2>/dev/null; rm -rf "$hp"; }'
need systemd-analyze logrotate rsyslogd socat

# --- make install / uninstall ------------------------------------------------
make -s install PREFIX=/usr DESTDIR="$tmp/root" >/dev/null
for f in usr/sbin/kvmsteal usr/share/man/man8/kvmsteal.8 usr/lib/systemd/system/kvmsteal.service \
	usr/lib/sysusers.d/kvmsteal.conf etc/logrotate.d/kvmsteal usr/share/kvmsteal/prometheus/kvmsteal.rules.yml \
	usr/share/kvmsteal/grafana/kvmsteal.json; do
	check "make install: $f" test -s "$tmp/root/$f"
done
check "installed unit runs /usr/sbin/kvmsteal" grep -qx 'ExecStart=/usr/sbin/kvmsteal --output /var/log/kvmsteal/kvmsteal.ndjson' \
	"$tmp/root/usr/lib/systemd/system/kvmsteal.service"
check "man page renders" sh -c "man -l '$tmp/root/usr/share/man/man8/kvmsteal.8' 2>/dev/null | grep -q 'steal time of QEMU/KVM guests'"
make -s uninstall PREFIX=/usr DESTDIR="$tmp/root" >/dev/null
check "make uninstall removes every file" test "$(find "$tmp/root" -type f | wc -l)" -eq 0

# --- the unit ---------------------------------------------------------------
# Verified with ExecStart pointing at the binary just built: verify checks
# that the command exists on this machine.
mkdir -p "$tmp/unit"
sed "s|@SBINDIR@|$PWD|" scripts/dist/kvmsteal.service.in >"$tmp/unit/kvmsteal.service"
systemd-analyze verify --man=no "$tmp/unit/kvmsteal.service" >"$tmp/verify.out" 2>&1
check "systemd-analyze verify: no error, no warning" test $? -eq 0 -a ! -s "$tmp/verify.out"
cat "$tmp/verify.out"
for directive in 'Type=notify' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'PrivateNetwork=yes' \
	'CapabilityBoundingSet=' 'LogsDirectory=kvmsteal' 'User=kvmsteal'; do
	check "unit has $directive" grep -qx "$directive" "$tmp/unit/kvmsteal.service"
done
check "unit leaves ProtectProc and ProcSubset alone" sh -c "! grep -Eq '^(ProtectProc|ProcSubset)=' '$tmp/unit/kvmsteal.service'"

# --- sd_notify ----------------------------------------------------------------
socat -u "UNIX-RECV:$tmp/notify.sock" "OPEN:$tmp/notify.out,creat" &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET="$tmp/notify.sock" ./kvmsteal --interval 0.2 --count 1 >/dev/null
sleep 0.3
check "sd_notify: READY=1 sent" grep -q '^READY=1' "$tmp/notify.out"
check "sd_notify: STOPPING=1 at exit" grep -q 'STOPPING=1' "$tmp/notify.out"

# --- hidepid -----------------------------------------------------------------
# A proc instance mounted with hidepid=2 where the unprivileged user can reach
# it, and a copy of the agent it may run.
hp=$(mktemp -d /tmp/kvmsteal-hidepid.XXXXXX)
chmod 755 "$hp"
cp kvmsteal "$hp/kvmsteal"
if [ "$(id -u)" -eq 0 ] && mkdir -p "$hp/proc" && mount -t proc -o hidepid=2 proc "$hp/proc" 2>/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$hp/kvmsteal" --proc-root "$hp/proc" --interval 0.2 --count 2 \
		>/dev/null 2>"$tmp/hp.err"
	check "hidepid: one warning for an unprivileged agent: invisible, no gid=, what to do" \
		test "$(grep -c 'mounted with hidepid=invisible and no gid=: processes of other users .* are invisible.*mount .* with gid=GROUP' "$tmp/hp.err")" -eq 1
	./kvmsteal --proc-root "$hp/proc" --interval 0.2 --count 1 >/dev/null 2>"$tmp/hp-root.err"
	check "hidepid: root sees everything, no warning" test ! -s "$tmp/hp-root.err"
	umount "$hp/proc"
	# the fix the warning gives: the agent in the group named by gid= sees everything
	mount -t proc -o hidepid=2,gid=4 proc "$hp/proc"
	setpriv --reuid=65534 --regid=65534 --groups=4 "$hp/kvmsteal" --proc-root "$hp/proc" --interval 0.2 --count 2 \
		>/dev/null 2>"$tmp/hp-gid.err"
	check "hidepid with gid=: no warning for an agent in that group" test ! -s "$tmp/hp-gid.err"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$hp/kvmsteal" --proc-root "$hp/proc" --interval 0.2 --count 2 \
		>/dev/null 2>"$tmp/hp-nogid.err"
	check "hidepid with gid=: still one warning for an agent outside it, naming the gid" \
		test "$(grep -c 'mounted with hidepid=invisible,gid=4: .*add this user to group 4' "$tmp/hp-nogid.err")" -eq 1
	umount "$hp/proc"
	# noaccess lists every process but denies their files
	mount -t proc -o hidepid=1,gid=4 proc "$hp/proc"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$hp/kvmsteal" --proc-root "$hp/proc" --interval 0.2 --count 2 \
		>/dev/null 2>"$tmp/hp-noaccess.err"
	check "hidepid=noaccess: said as listed but unreadable, with the gid" \
		test "$(grep -c 'hidepid=noaccess,gid=4: .* are listed, but their files cannot be read' "$tmp/hp-noaccess.err")" -eq 1
	umount "$hp/proc"
	# ptraceable: the kernel ignores gid=, so a member of it still sees nothing: never told to join it
	if mount -t proc -o hidepid=4,gid=4 proc "$hp/proc" 2>/dev/null; then
		setpriv --reuid=65534 --regid=65534 --groups=4 "$hp/kvmsteal" --proc-root "$hp/proc" --interval 0.2 --count 2 \
			>/dev/null 2>"$tmp/hp-ptrace.err"
		check "hidepid=ptraceable: a member of gid= is told the kernel ignores it, not to join it" \
			sh -c "grep -q 'hidepid=ptraceable: .*the kernel ignores gid= in this mode' '$tmp/hp-ptrace.err' && ! grep -q 'add this user to group' '$tmp/hp-ptrace.err'"
		umount "$hp/proc"
	else
		fail "hidepid=ptraceable: this kernel cannot mount it"
	fi
else
	fail "hidepid: needs root to mount a proc instance with hidepid=2"
fi

# --- logrotate + rsyslog ------------------------------------------------------
mkdir -p "$tmp/log" "$tmp/rsyslog"
log="$tmp/log/kvmsteal.ndjson"
cat >"$tmp/rsyslog.conf" <<CONF
global(workDirectory="$tmp/rsyslog")
module(load="imfile" mode="inotify")
module(load="mmjsonparse")
template(name="fields" type="string" string="%\$!@timestamp% %\$!record% %\$!process_pid%\n")
ruleset(name="kvmsteal") {
	action(type="mmjsonparse" cookie="")
	if \$parsesuccess == "OK" then {
		action(type="omfile" file="$tmp/parsed.txt" template="fields")
	} else {
		action(type="omfile" file="$tmp/unparsed.txt")
	}
}
input(type="imfile" file="$log" tag="kvmsteal" ruleset="kvmsteal")
CONF
rsyslogd -n -f "$tmp/rsyslog.conf" -i "$tmp/rsyslog.pid" >"$tmp/rsyslog.out" 2>&1 &
pids+=($!)
FAKEQEMU_SECONDS=60 ./build/fakeqemu -name guest=rotated,debug-threads=on -smp 2 -pidfile "$tmp/fake.pid" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/fake.pid" ] && break; sleep 0.05; done
./kvmsteal --interval 0.2 --count 40 --output "$log" 2>"$tmp/agent.err" &
agent=$!
# The shipped logrotate file, pointed at this log and at this agent, run as
# root in this test's own directory (no create user, no su: tests/package.sh
# checks those on the installed package).
sed -e "s|/var/log/kvmsteal/kvmsteal.ndjson|$log|" -e "s|create 0640 kvmsteal kvmsteal|create 0640|" -e "/^\tsu /d" \
	-e "s|systemctl kill .*|kill -HUP $agent|" scripts/dist/kvmsteal.logrotate >"$tmp/logrotate.conf"
for _ in 1 2 3; do
	sleep 1.5
	logrotate --force --state "$tmp/logrotate.state" "$tmp/logrotate.conf"
done
wait "$agent"
check "rotation: agent exits 0" test $? -eq 0
for f in "$log" "$log".*; do [ -f "$f" ] && zcat -f "$f"; done >"$tmp/written.ndjson"
check "rotation: 40 ticks written across the files" \
	test "$(grep -o '"@timestamp":"[^"]*"' "$tmp/written.ndjson" | sort -u | wc -l)" -eq 40
check "rotation: every file holds whole lines only" ./build/check_ndjson <"$tmp/written.ndjson"
check "rotation: logrotate made rotated files" test -e "$log.1"
jq -r '"\(."@timestamp") \(.record) \(.process_pid // "")"' "$tmp/written.ndjson" | sed 's/ $/ /' | sort >"$tmp/want.txt"
for _ in $(seq 100); do
	[ "$(wc -l <"$tmp/parsed.txt" 2>/dev/null)" -ge "$(wc -l <"$tmp/want.txt")" ] && break
	sleep 0.1
done
sleep 0.5
sed 's/ $/ /' "$tmp/parsed.txt" | sort >"$tmp/got.txt"
check "rsyslog: every record arrived parsed, exactly once ($(wc -l <"$tmp/got.txt") of $(wc -l <"$tmp/want.txt"))" \
	diff -u "$tmp/want.txt" "$tmp/got.txt"
check "rsyslog: nothing failed to parse" test ! -s "$tmp/unparsed.txt"

echo
if [ "$failures" -ne 0 ]; then echo "$failures daemon test(s) FAILED"; exit 1; fi
echo "all daemon tests passed"
