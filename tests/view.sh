#!/usr/bin/env bash
# The live text view in a real terminal: tmux, at 80x24, resized to 132x40
# and to 80x5, with four QEMU-shaped processes (tests/fakeqemu.c) named like
# the field's worst cases: two long names that differ only at the end, a CJK
# name (two columns a character) and one with an emoji; four busy vCPU
# threads on this machine's CPUs, so that the figures move.  Each screen is
# read with `tmux capture-pane`; display widths are counted by Python's
# unicodedata (East Asian Width), independently of the agent's wcwidth.
# Run by `make check`.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC
. tests/lib.sh
scratch
at_exit 'tmux -S "$tmp/tmux.sock" kill-server 2>/dev/null'
need tmux python3
t() { tmux -S "$tmp/tmux.sock" -u "$@"; } # a tmux server of this test's own

long1=production-database-server-01 long2=production-database-server-02 cjk='データベース-01' emoji='web-🚀-01'
start_fake db1 2 -name "guest=$long1,debug-threads=on" -smp 2
start_fake db2 1 -name "guest=$long2,debug-threads=on" -smp 2
start_fake cjk 1 -name "guest=$cjk,debug-threads=on" -smp 2
start_fake emoji 0 -name "guest=$emoji,debug-threads=on" -smp 2

# view NAME W H [ENV...]: the agent live in a new tmux session; its exit
# status and the terminal's state afterwards go to $tmp/NAME.after
view() {
	local name=$1 w=$2 h=$3; shift 3
	t new-session -d -s "$name" -x "$w" -y "$h" \
		"env $* ./kvmsteal --interval 0.5 --format text; echo \"exit=\$?\" >$tmp/$name.after; stty -a >>$tmp/$name.after; sleep 60"
	t set-option -t "$name" remain-on-exit on
}
capture() { t capture-pane -p -t "$1" "${@:2}"; }
# wait_for NAME REGEX: until a line of the screen matches (10 s at most)
wait_for() {
	for _ in $(seq 100); do capture "$1" | grep -Eq "$2" && return 0; sleep 0.1; done
	return 1
}
# widths FILE: the display width of each line (CJK and emoji: 2 columns)
widths() {
	python3 -c '
import sys, unicodedata
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    print(sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line))' "$1"
}
# pid_ends FILE: the display column where each VM row's PID ends, and the header's
pid_ends() {
	python3 -c '
import re, sys, unicodedata
def w(s): return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
for line in open(sys.argv[1], encoding="utf-8").read().split("\n")[1:]:
    m = re.match(r"^(\S+)( +)(\d+|PID)( |$)", line)
    if m: print(w(line[:m.end(3)]))' "$1"
}

echo "== 80x24, UTF-8"
view v80 80 24 LC_ALL=C.UTF-8
check "the view comes up (header on the screen)" wait_for v80 '^NAME +PID +VCPUS +STEAL'
sleep 1.5 # a few ticks: the sparkline grows
capture v80 >"$tmp/s1"
t send-keys -t v80 s s # sort by run, then by name: an order that cannot change between captures
wait_for v80 'sorted by NAME' >/dev/null
sleep 0.2
capture v80 >"$tmp/n1"
sleep 1.1
capture v80 >"$tmp/n2"
cat "$tmp/s1" | sed 's/^/#   /'
check "fits: 24 rows, no line wider than 80 columns" \
	test "$(wc -l <"$tmp/s1")" -le 24 -a "$(widths "$tmp/s1" | sort -n | tail -n 1)" -le 80
check "fits: nothing wrapped (capture -J, which joins wrapped lines, has as many lines)" \
	test "$(capture v80 -J | wc -l)" = "$(capture v80 | wc -l)"
check "row 1: the host summary" grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]+ CPUs [0-9]+% busy, VMs [0-9]+%; 4 VMs 8 vCPUs; steal [0-9.]+%$' \
	<(head -n 1 "$tmp/s1")
check "row 24: the status line" test "$(sed -n 24p "$tmp/s1")" = "rows 1-4 of 4  sorted by MAX, then STEAL  s: sort  /: filter  ?: help  q: quit"
check "in place: the alternate screen, no scrollback history" \
	test "$(t display -p -t v80 '#{alternate_on} #{history_size}')" = "1 0"
check "in place: the same rows in the same order (by name) two captures apart" \
	test "$(sed -n '5,8p' "$tmp/n1" | cut -d' ' -f1)" = "$(sed -n '5,8p' "$tmp/n2" | cut -d' ' -f1)"
check "in place: new figures in the second capture" test "$(sed -n '5,8p' "$tmp/n1")" != "$(sed -n '5,8p' "$tmp/n2")"
names_in_order=$(sed -n '5,8p' "$tmp/n1" | cut -d' ' -f1 | tr '\n' ' ')
check "sorted by name: the rows in name order (bytes: ASCII, then the emoji's, then the CJK's): $names_in_order" \
	grep -Eqx 'produc[^ ]*-01 produc[^ ]*-02 web-🚀-01 データベース-01 ' <<<"$names_in_order"
pid_ends "$tmp/s1" >"$tmp/pid_ends"
check "aligned: every row's PID ends in the header's PID column, CJK and emoji rows too ($(sort -u "$tmp/pid_ends" | tr '\n' ' '))" \
	test "$(wc -l <"$tmp/pid_ends")/$(sort -u "$tmp/pid_ends" | wc -l)" = "5/1"
sed -n '5,8p' "$tmp/s1" >"$tmp/rows"
check "aligned: every VM row is exactly 80 columns (name, figures, sparkline to the edge)" \
	test "$(widths "$tmp/rows" | sort -u)" = 80
check "the worst vCPU: ON names a vCPU (0 or 1) on every row" \
	test "$(awk '$2 ~ /^[0-9]+$/ && $6 !~ /^[01]$/' "$tmp/rows" | wc -l)" = 0
check "the sparkline: block characters" grep -q -e '▁' -e '▂' -e '▃' -e '▄' -e '▅' -e '▆' -e '▇' -e '█' "$tmp/rows"
capture v80 -e >"$tmp/colour"
# colours FILE: "red STEAL" or "plain STEAL" for each VM row (tmux's capture
# carries a colour over to the next lines until it is reset)
colours() {
	python3 -c '
import re, sys
red = False
for line in open(sys.argv[1], encoding="utf-8").read().split("\n")[2:]:
    m = re.match(r"^((?:\x1b\[[0-9;]*m)*)", line)
    for code in re.findall(r"\x1b\[([0-9;]*)m", m.group(1)):
        red = code == "31" or (red and code not in ("0", "39", ""))
    f = re.sub(r"\x1b\[[0-9;]*m", "", line).split()
    if len(f) > 3 and f[1].isdigit(): print("red" if red else "plain", f[3])' "$1"
}
colours "$tmp/colour" >"$tmp/colours"
check "colour: red rows, and each VM above 10 % steal red, each below not ($(tr '\n' ' ' <"$tmp/colours"))" \
	awk '$1 == "red" { red++ } ($1 == "red") != ($2 > 10) { bad++ } END { exit !(red > 0 && bad == 0) }' "$tmp/colours"

echo "== resized to 132x40, then 80x5 (SIGWINCH)"
t resize-window -t v80 -x 132 -y 40
wait_for v80 "^$long1 " >/dev/null
sleep 0.3
capture v80 >"$tmp/big"
check "132x40: the status on row 40, the header on row 4" \
	sh -c "sed -n 40p '$tmp/big' | grep -q '^rows 1-4 of 4  sorted by NAME' && sed -n 4p '$tmp/big' | grep -q '^NAME '"
sed -n 2,3p "$tmp/big" >"$tmp/strip"
check "132x40: the CPU strip on rows 2 and 3: busy, then VMs, a cell a CPU ($(nproc))" \
	test "$(cut -c1-5 "$tmp/strip" | tr '\n' '/')$(widths "$tmp/strip" | sort -u)" = "busy /VMs  /$((5 + $(nproc)))"
check "132x40: the long names whole" sh -c "grep -q '^$long1 ' '$tmp/big' && grep -q '^$long2 ' '$tmp/big'"
sed -n '5,8p' "$tmp/big" >"$tmp/bigrows"
check "132x40: every VM row 132 columns (a wider sparkline)" test "$(widths "$tmp/bigrows" | sort -u)" = 132
t resize-window -t v80 -x 60 -y 10
wait_for v80 '^produc[^ ]*…' >/dev/null
capture v80 >"$tmp/narrow"
check "60x10: names that differ at the end still differ (cut in the middle, marked …)" \
	test "$(grep -Ec '^produc[^ ]*…[^ ]*-0[12] ' "$tmp/narrow")" = 2
check "60x10: no line wider than 60 columns" test "$(widths "$tmp/narrow" | sort -n | tail -n 1)" -le 60
sed 's/^/#   /' "$tmp/narrow"
# Home selects the first VM: the view keeps the selected VM in sight, and
# which VM the first tick selected (the worst then) varies from run to run
t send-keys -t v80 Home
t resize-window -t v80 -x 80 -y 5
wait_for v80 '^rows 1-2 of 4' >/dev/null
capture v80 >"$tmp/small"
check "80x5: two rows fit, the last line says rows 1-2 of 4" \
	test "$(sed -n 5p "$tmp/small" | cut -c1-13)/$(wc -l <"$tmp/small")" = "rows 1-2 of 4/5"
sed 's/^/#   /' "$tmp/small"

echo "== q: exit 0, the terminal as it was"
t send-keys -t v80 q
for _ in $(seq 50); do [ -s "$tmp/v80.after" ] && break; sleep 0.1; done
check "q: exit 0" grep -qx 'exit=0' "$tmp/v80.after"
check "q: line editing and echo restored (icanon echo)" sh -c "grep -Eq '(^| )icanon( |\$)' '$tmp/v80.after' && grep -Eq '(^| )echo( |\$)' '$tmp/v80.after'"
check "q: the normal screen and the cursor back" test "$(t display -p -t v80 '#{alternate_on} #{cursor_flag}')" = "0 1"

echo "== SIGTERM, SIGINT (Ctrl-C), Ctrl-Z, the end of --count, NO_COLOR, a locale without UTF-8"
for how in term int; do
	view "sig$how" 80 24 LC_ALL=C.UTF-8
	wait_for "sig$how" '^NAME ' >/dev/null
	agent=$(pgrep -f -n "kvmsteal --interval 0.5 --format text")
	if [ "$how" = term ]; then kill -TERM "$agent"; else t send-keys -t "sig$how" C-c; fi
	for _ in $(seq 50); do [ -s "$tmp/sig$how.after" ] && break; sleep 0.1; done
	check "SIG${how^^}: exit 0, terminal restored, normal screen" sh -c \
		"grep -qx 'exit=0' '$tmp/sig$how.after' && grep -Eq '(^| )icanon( |\$)' '$tmp/sig$how.after' && test \"\$(tmux -S '$tmp/tmux.sock' display -p -t sig$how '#{alternate_on}')\" = 0"
done
view tstp 80 24 LC_ALL=C.UTF-8
wait_for tstp '^NAME ' >/dev/null
agent=$(pgrep -f -n "kvmsteal --interval 0.5 --format text")
t send-keys -t tstp C-z
for _ in $(seq 30); do [ "$(ps -o stat= -p "$agent" | cut -c1)" = T ] && break; sleep 0.1; done
check "Ctrl-Z: the agent stopped, the normal screen back while it is" \
	test "$(ps -o stat= -p "$agent" | cut -c1)/$(t display -p -t tstp '#{alternate_on}')" = "T/0"
kill -CONT "$agent"
for _ in $(seq 30); do [ "$(t display -p -t tstp '#{alternate_on}')" = 1 ] && break; sleep 0.1; done
sleep 0.2
check "SIGCONT: the view takes the terminal again and redraws" \
	sh -c "test \"\$(tmux -S '$tmp/tmux.sock' display -p -t tstp '#{alternate_on}')\" = 1 && tmux -S '$tmp/tmux.sock' capture-pane -p -t tstp | grep -q '^NAME '"
kill "$agent"
t new-session -d -s count -x 80 -y 24 "env LC_ALL=C.UTF-8 ./kvmsteal --interval 0.3 --count 3 --format text; echo exit=\$? >$tmp/count.after; sleep 60"
for _ in $(seq 50); do [ -s "$tmp/count.after" ] && break; sleep 0.1; done
check "--count 3: exit 0, and the last screen stays on the normal screen" \
	sh -c "grep -qx 'exit=0' '$tmp/count.after' && tmux -S '$tmp/tmux.sock' capture-pane -p -t count | grep -q '^NAME '"
red=$'\033[31m'
view nocolor 80 24 LC_ALL=C.UTF-8 NO_COLOR=1
wait_for nocolor '^NAME ' >/dev/null
sleep 0.6
check "NO_COLOR=1: no colour" sh -c "! tmux -S '$tmp/tmux.sock' capture-pane -p -e -t nocolor | grep -qF '$red'"
view ascii 72 12 LC_ALL=C
wait_for ascii '^NAME ' >/dev/null
sleep 1.2
capture ascii >"$tmp/ascii"
check "LC_ALL=C: ASCII only on the screen" sh -c "! LC_ALL=C grep -q '[^ -~]' '$tmp/ascii'"
check "LC_ALL=C: CJK shown as one ? a character, the emoji too" \
	test "$(grep -c -e '^??????-01 ' -e '^web-?-01 ' "$tmp/ascii")" = 2
check "LC_ALL=C: the cut marked ~" test "$(grep -Ec '^produc[^ ]*~[^ ]*-0[12] ' "$tmp/ascii")" = 2
check "LC_ALL=C: the sparkline in ASCII" grep -Eq ' [0-9-]+ +[_.:=+*#-]+$' "$tmp/ascii"

echo "== the terminal goes away"
view gone 80 24 LC_ALL=C.UTF-8
wait_for gone '^NAME ' >/dev/null
agent=$(pgrep -f -n "kvmsteal --interval 0.5 --format text")
t kill-session -t gone
for _ in $(seq 30); do kill -0 "$agent" 2>/dev/null || break; sleep 0.1; done
check "the session killed (SIGHUP): the agent is gone within 3 s" sh -c "! kill -0 '$agent' 2>/dev/null"

echo "== names chosen to spoof or to act on a terminal (the spoofing-names fixture's, on live processes)"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
# as bytes: $'\u...' needs a UTF-8 locale, and this script runs under LC_ALL=C
spoof=($'invoice\xe2\x80\xaegpj.exe' fb-db $'fb-db\xe2\x80\x8b' $'fb-d\xe2\x80\x8db' paypal $'p\xd0\xb0ypal'
	$'x\e]0;owned\a' $'c1\xc2\x9bname' $'tag\xf3\xa0\x81\x81' $'filler\xe3\x85\xa4' $'bom\xef\xbb\xbfzw\xe2\x81\xa6iso')
badname=$'bad\e[2Juuid\xe2\x80\xae'
for i in "${!spoof[@]}"; do start_fake "sp$i" 0 -name "guest=${spoof[$i]},debug-threads=on" -smp 1; done
start_fake spuuid 0 -name "guest=$badname,debug-threads=on" -uuid not-a-uuid -smp 1
printf '%s\n' "${spoof[@]}" "$badname" | sort -u >"$tmp/spoof.names"
view spoof 132 40 LC_ALL=C.UTF-8
check "spoof: the view comes up" wait_for spoof '^NAME +PID'
sleep 1.2
capture spoof -e >"$tmp/spoof.screen"
sed $'s/\e\\[[0-9;]*m//g' "$tmp/spoof.screen" >"$tmp/spoof.plain" # the selected row's reverse video aside
check "spoof: the screen (capture-pane -e) holds no raw control, bidi or invisible code point, colours aside" \
	python3 tests/no_hidden.py --allow-sgr "$tmp/spoof.screen"
check "spoof: U+202E shown as <U+202E>" grep -q 'invoice<U+202E>gpj.exe' "$tmp/spoof.screen"
check "spoof: fb-db, fb-db+U+200B and fb-d+U+200D+b are three different rows" \
	sh -c "grep -q '^fb-db  ' '$tmp/spoof.plain' && grep -q '^fb-db<U+200B> ' '$tmp/spoof.plain' && grep -q '^fb-d<U+200D>b ' '$tmp/spoof.plain'"
check "spoof: a Cyrillic a beside Latin letters is shown as <U+0430>, paypal as itself" \
	sh -c "grep -q '^p<U+0430>ypal ' '$tmp/spoof.plain' && grep -q '^paypal ' '$tmp/spoof.plain'"
check "spoof: ESC and BEL shown, never run (the window's title unchanged)" \
	sh -c "grep -q 'x<U+001B>\]0;owned<U+0007>' '$tmp/spoof.screen' && test \"\$(tmux -S '$tmp/tmux.sock' display -p -t spoof '#{pane_title}')\" != owned"
t kill-session -t spoof
LC_ALL=C.UTF-8 ./kvmsteal --interval 0.5 --count 2 --format text >"$tmp/spoof.piped" 2>"$tmp/spoof.err"
./kvmsteal --interval 0.5 --count 2 --prom-file "$tmp/spoof.prom" >"$tmp/spoof.ndjson" 2>>"$tmp/spoof.err"
check "spoof: the piped table, the NDJSON, the textfile and stderr hold no raw such code point" \
	python3 tests/no_hidden.py "$tmp/spoof.piped" "$tmp/spoof.ndjson" "$tmp/spoof.prom" "$tmp/spoof.err"
jq -r 'select(.record == "vm") | .vm_name' "$tmp/spoof.ndjson" | sort -u >"$tmp/spoof.parsed"
check "spoof: the NDJSON's names parse back to the names given" cmp -s "$tmp/spoof.parsed" "$tmp/spoof.names"
check "spoof: the textfile passes promtool" sh -c "promtool check metrics <'$tmp/spoof.prom'"
check "spoof: stderr names the malformed -uuid's VM with its ESC and U+202E shown" \
	grep -q 'bad<U+001B>\[2Juuid<U+202E>").*-uuid is not a UUID' "$tmp/spoof.err"

echo "== the drill-down: 30 more VMs at 100x14, keys sent with tmux send-keys"
for f in "$tmp"/sp*.pid; do kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done # the spoofing names' VMs end
for i in $(seq -w 0 29); do
	name=web-$i; [ $((10#$i % 3)) = 0 ] && name=db-$i
	start_fake "dd$i" 0 -name "guest=$name,debug-threads=on" -smp 2 || fail "fake VM $name did not start"
done
total=30 # the earlier cases' VMs have ended
view dd 100 14 LC_ALL=C.UTF-8
check "drill-down: the first screen says rows 1-9 of $total (the CPU strip takes two)" wait_for dd "^rows 1-9 of $total "
capture dd >"$tmp/dd1"
rows_of() { sed -n '5,13p' "$1" | cut -d' ' -f1 | sort; }
t send-keys -t dd PageDown
wait_for dd "^rows 10-18 of $total " >/dev/null
capture dd >"$tmp/dd2"
check "drill-down: PageDown shows rows 10-18 of $total, VMs the first screen did not (both: $(comm -12 <(rows_of "$tmp/dd1") <(rows_of "$tmp/dd2") | wc -l))" \
	test "$(comm -12 <(rows_of "$tmp/dd1") <(rows_of "$tmp/dd2") | wc -l)/$(grep -c "^rows 10-18 of $total " "$tmp/dd2")" = 0/1
t send-keys -t dd / d b - 2 7 Enter
check "drill-down: /db-27 leaves one VM" wait_for dd "^rows 1-1 of 1  /db-27  "
t send-keys -t dd Enter
check "drill-down: Enter opens db-27's screen" wait_for dd '^VM db-27  pid '
capture dd >"$tmp/dd-vm"
sed 's/^/#   /' "$tmp/dd-vm"
vm=$(cat "$tmp/dd27.pid")
for id in 0 1; do
	tid=$(grep -lx "CPU $id/KVM" /proc/"$vm"/task/*/comm | cut -d/ -f5)
	check "drill-down: vCPU $id's row has its thread id $tid" grep -Eq "^ +$id +$tid " "$tmp/dd-vm"
done
for name in 'IO mon_iothread' call_rcu worker; do
	tid=$(grep -lx "$name" /proc/"$vm"/task/*/comm | cut -d/ -f5)
	check "drill-down: its thread '$name' listed with its tid $tid" grep -Eq "^$name +$tid " "$tmp/dd-vm"
done
check "drill-down: the VM screen fits 100 columns and 14 rows" \
	test "$(widths "$tmp/dd-vm" | sort -n | tail -n 1)" -le 100 -a "$(wc -l <"$tmp/dd-vm")" -le 14
t send-keys -t dd Escape
check "drill-down: Escape returns to the list, the filter kept" wait_for dd "^rows 1-1 of 1  /db-27  "
capture dd -e >"$tmp/dd-sel"
check "drill-down: db-27 still selected (reverse video)" python3 -c '
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
sys.exit(0 if re.search(r"\x1b\[(?:[0-9]*;)*7(?:;[0-9]*)*m(?:\x1b\[[0-9;]*m)*db-27", text) else 1)' "$tmp/dd-sel"
t send-keys -t dd Escape
check "drill-down: Escape again clears the filter" wait_for dd "^rows [0-9]+-[0-9]+ of $total "
t send-keys -t dd / d b Enter
wait_for dd "^rows 1-9 of 10  /db  " >/dev/null
capture dd >"$tmp/dd-db"
check "drill-down: /db leaves the ten VMs whose names hold db, nine shown ($(sed -n '5,13p' "$tmp/dd-db" | cut -d' ' -f1 | tr '\n' ' '))" \
	test "$(sed -n '5,13p' "$tmp/dd-db" | cut -d' ' -f1 | grep -c '^db-[0-9][0-9]$')/$(grep -c "^rows 1-9 of 10  /db  " "$tmp/dd-db")" = 9/1
t send-keys -t dd '?'
check "drill-down: ? lists the keys" wait_for dd 'PageUp / PageDown +a screen up / down'
capture dd >"$tmp/dd-help"
for k in 'Up, k' 'Home / End' 'Enter, Right' '/ ' '  s ' '?, h' 'q, Ctrl-C'; do
	check "drill-down: the help names '$k'" grep -qF -- "$k" "$tmp/dd-help"
done
t send-keys -t dd x
check "drill-down: any key leaves the help" wait_for dd "^rows 1-9 of 10  /db  "
t send-keys -t dd q
for _ in $(seq 50); do [ -s "$tmp/dd.after" ] && break; sleep 0.1; done
check "drill-down: q exits 0, the terminal as it was" sh -c "grep -qx 'exit=0' '$tmp/dd.after' && grep -Eq '(^| )icanon( |\$)' '$tmp/dd.after'"
check "drill-down: the normal screen and the cursor back" test "$(t display -p -t dd '#{alternate_on} #{cursor_flag}')" = "0 1"

echo
if [ "$failures" -ne 0 ]; then echo "$failures test(s) FAILED"; exit 1; fi
echo "all terminal tests passed"
