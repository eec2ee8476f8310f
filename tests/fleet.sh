#!/usr/bin/env bash
# The fleet pipeline, live: three simulated hypervisors on this machine, each
# an agent writing its textfile and its own node_exporter (as the user
# prometheus) on a loopback port; a real Prometheus scraping the three with
# the shipped rules and remote-writing to a real VictoriaMetrics; a real
# Alertmanager receiving the alerts.
#   hv-a  a fake /proc (tests/fleet_proc.py): db-01 30 % contention on 4 vCPUs,
#         web-01 3 %; no --cgroup-root (contention is steal)
#   hv-b  a fake /proc and cgroup v2 tree: batch-01 40 % steal, 39 % of it its
#         own 1-CPU limit; cache-01 9 % with no limit
#   hv-c  the real /proc with two QEMU-shaped processes (tests/fakeqemu.c,
#         Proxmox's argv): real-01 with one spinning vCPU, real-02 idle
# The rules are the shipped file with shorter durations, so that the test
# takes a minute and not an hour: for: 15m -> 10s, rate windows 5m -> 20s, the
# stale thresholds 180 s / 3m -> 8 s.  Everything else is as shipped.
# Run by `make check` (make check-fleet alone).
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC
. tests/lib.sh
scratch
chmod 755 "$tmp" # node_exporter runs as prometheus and reads the textfiles in it
if [ -n "${SANITIZE:-}" ] && [ "$SANITIZE" != 0 ]; then
	# Under the sanitizers what this test adds is the rules and the servers;
	# the agent's textfile is checked under them by cli.sh, identity.sh and
	# safe-writes.sh.  The plain pass runs it.
	echo "SKIP by design: SANITIZE=1: this test checks the rules and the pipeline; the plain pass runs it"
	exit 0
fi
need prometheus promtool prometheus-alertmanager victoria-metrics prometheus-node-exporter curl jq python3 setpriv
WINDOW=20 # the test rules' rate window, seconds

# Free loopback ports for the 6 servers, bound together so that none repeats.
read -r p_prom p_am p_vm p_a p_b p_c < <(python3 -c '
import socket
s = [socket.socket() for _ in range(6)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }
wait_http() { # wait_http URL: 20 s at most
	for _ in $(seq 200); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
	return 1
}

echo "== the servers: VictoriaMetrics, Alertmanager, Prometheus, a node_exporter per host"
victoria-metrics -storageDataPath="$tmp/vm" -httpListenAddr="127.0.0.1:$p_vm" -search.latencyOffset=1s \
	-search.disableCache >"$tmp/vm.log" 2>&1 &
pids+=($!)
cat >"$tmp/am.yml" <<EOF
route: { receiver: blackhole, group_wait: 1s, group_interval: 1s }
receivers: [ { name: blackhole } ]
EOF
prometheus-alertmanager --config.file="$tmp/am.yml" --storage.path="$tmp/am" \
	--web.listen-address="127.0.0.1:$p_am" --cluster.listen-address= >"$tmp/am.log" 2>&1 &
pids+=($!)
sed -e 's/for: 15m/for: 10s/' -e "s/\[5m\]/[${WINDOW}s]/g" -e 's/ > 180$/ > 8/' -e 's/\[3m\]/[8s]/' \
	scripts/dist/prometheus/kvmsteal.rules.yml >"$tmp/rules.yml"
check "test rules: durations shortened (3 for:, 4 rate windows, 2 stale thresholds)" \
	test "$(diff scripts/dist/prometheus/kvmsteal.rules.yml "$tmp/rules.yml" | grep -c '^>')" = 9
check "test rules: promtool check rules" promtool check rules "$tmp/rules.yml" >/dev/null
cat >"$tmp/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ rules.yml ]
alerting:
  alertmanagers: [ { static_configs: [ { targets: [ "127.0.0.1:$p_am" ] } ] } ]
remote_write:
  - url: http://127.0.0.1:$p_vm/api/v1/write
    queue_config: { batch_send_deadline: 1s }
scrape_configs:
  - job_name: node
    static_configs:
      - { targets: [ "127.0.0.1:$p_a" ], labels: { instance: hv-a } }
      - { targets: [ "127.0.0.1:$p_b" ], labels: { instance: hv-b } }
      - { targets: [ "127.0.0.1:$p_c" ], labels: { instance: hv-c } }
EOF
# (flush-deadline: on exit Prometheus waits that long, 1m by default, for a
# VictoriaMetrics that the cleanup has stopped along with it)
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom" \
	--web.listen-address="127.0.0.1:$p_prom" --storage.remote.flush-deadline=2s >"$tmp/prom.log" 2>&1 &
pids+=($!)
for h in a b c; do
	mkdir -p "$tmp/hv-$h/textfile"
	port_var=p_$h
	setpriv --reuid=prometheus --regid=prometheus --clear-groups prometheus-node-exporter \
		--web.listen-address="127.0.0.1:${!port_var}" --collector.disable-defaults --collector.textfile --collector.cpu \
		--collector.textfile.directory="$tmp/hv-$h/textfile" >"$tmp/ne-$h.log" 2>&1 &
	pids+=($!)
done
check "VictoriaMetrics is up" wait_http "http://127.0.0.1:$p_vm/health"
check "Alertmanager is up" wait_http "http://127.0.0.1:$p_am/-/ready"
check "Prometheus is up" wait_http "http://127.0.0.1:$p_prom/-/ready"
check "the node_exporters are up" wait_http "http://127.0.0.1:$p_c/metrics"

echo "== the hosts: their VMs and agents (--interval 1)"
t_start=$(now)
for h in a b; do
	mkdir -p "$tmp/hv-$h/proc" "$tmp/hv-$h/cg"
	python3 tests/fleet_proc.py "hv-$h" "$tmp/hv-$h/proc" "$tmp/hv-$h/cg" &
	pids+=($!)
done
FAKEQEMU_SECONDS=300 FAKEQEMU_BUSY=1 FAKEQEMU_ARGV0=/usr/bin/kvm FAKEQEMU_COMM=kvm ./build/fakeqemu -id 100 \
	-name 'real-01,debug-threads=on' -smp 2 -pidfile "$tmp/real-01.pid" &
pids+=($!)
FAKEQEMU_SECONDS=300 FAKEQEMU_BUSY=0 FAKEQEMU_ARGV0=/usr/bin/kvm FAKEQEMU_COMM=kvm ./build/fakeqemu -id 101 \
	-name 'real-02,debug-threads=on' -smp 2 -pidfile "$tmp/real-02.pid" &
pids+=($!)
wait_for_file "$tmp/real-01.pid" && wait_for_file "$tmp/real-02.pid"
# fleet_proc.py writes each tree's /proc/stat last (a fixed 0.3 s wait lost that race
# on a loaded CI machine: hv-a's agent found no stat)
trees_written() { wait_for_file "$tmp/hv-a/proc/stat" && wait_for_file "$tmp/hv-b/proc/stat"; }
check "the fake hosts' trees are written within 5 s" trees_written
declare -A agent
start_agent() { # start_agent HOST ARGS...
	local h=$1; shift
	./kvmsteal "$@" --interval 1 --host-name "$h" --output "$tmp/$h.ndjson" \
		--prom-file "$tmp/$h/textfile/kvmsteal.prom" 2>"$tmp/$h.err" &
	agent[$h]=$!
	pids+=($!)
}
start_agent hv-a --proc-root "$tmp/hv-a/proc"
start_agent hv-b --proc-root "$tmp/hv-b/proc" --cgroup-root "$tmp/hv-b/cg"
start_agent hv-c

# alerts NAME: "instance/vm_name" of each active alert NAME in Alertmanager (v2 API)
alerts() {
	curl -sf "http://127.0.0.1:$p_am/api/v2/alerts?active=true" |
		jq -r --arg n "$1" '[.[] | select(.labels.alertname == $n) | "\(.labels.instance)/\(.labels.vm_name // "")"] | sort | join(" ")'
}
wait_alert() { # wait_alert NAME: seconds from t_start until it is active (90 s at most)
	for _ in $(seq 180); do
		[ -n "$(alerts "$1")" ] && { since "$t_start"; return 0; }
		sleep 0.5
	done
	return 1
}
t_contention=$(wait_alert KvmVmCpuContention) || fail "KvmVmCpuContention never reached Alertmanager"
t_host=$(wait_alert KvmHostOvercommitted) || fail "KvmHostOvercommitted never reached Alertmanager"
t_throttled=$(wait_alert KvmVmCpuThrottled) || fail "KvmVmCpuThrottled never reached Alertmanager"
echo "# from the VMs' first counters to the alert in Alertmanager: contention ${t_contention:-?} s," \
	"host overcommitted ${t_host:-?} s, throttled ${t_throttled:-?} s (for: 10s, windows ${WINDOW}s, scrape 1s)"
# Windows full of samples before anything is compared: Prometheus starts
# scraping a few seconds after it says it is ready (it replays the remote
# write WAL first), and a rate over a window the series only partly covers
# is lower than the truth.
full=""
for _ in $(seq 120); do
	full=$(curl -sf "http://127.0.0.1:$p_prom/api/v1/query" \
		--data-urlencode "query=min(count_over_time(up[$((WINDOW + 6))s])) >= $((WINDOW + 5))" | jq -r '.data.result | length')
	[ "$full" = 1 ] && break
	sleep 0.5
done
check "Prometheus has scraped every host for a full window" test "$full" = 1
check "KvmVmCpuContention: the contended VM only" test "$(alerts KvmVmCpuContention)" = "hv-a/db-01"
check "KvmHostOvercommitted: the overcommitted host only" test "$(alerts KvmHostOvercommitted)" = "hv-a/"
check "KvmVmCpuThrottled: the VM held back by its own limit only" test "$(alerts KvmVmCpuThrottled)" = "hv-b/batch-01"
check "KvmstealStale: quiet while every agent writes" test "$(alerts KvmstealStale)" = ""

echo "== top VMs by contention, from Prometheus and from VictoriaMetrics, against the agents' NDJSON"
top='sort_desc(vm:kvm_vcpu_contention_seconds:avg_rate5m)'
at=$(date +%s)
at=$((at - 2))
query() { # query BASE: "instance vm_name percent" rows of the top query at $at
	curl -sf "$1/api/v1/query" --data-urlencode "query=$top" --data-urlencode "time=$at" |
		jq -r '.data.result[] | "\(.metric.instance) \(.metric.vm_name) \(.value[1] | tonumber * 100)"'
}
query "http://127.0.0.1:$p_prom" >"$tmp/top.prom"
for _ in $(seq 40); do # remote_write delivers within a few seconds
	query "http://127.0.0.1:$p_vm" >"$tmp/top.vm" && [ "$(wc -l <"$tmp/top.vm")" -ge 6 ] && break
	sleep 0.5
done
# The agents' own figure over the same window: the mean of the VM's per-tick
# contention (steal where there is no throttled figure) over the ticks of
# the last WINDOW seconds before the query time.
for h in hv-a hv-b hv-c; do
	jq -r --argjson at "$at" --argjson w "$WINDOW" --arg h "$h" '
		select(.record == "vm") | (.["@timestamp"] | sub("\\.[0-9]+Z$"; "Z") | fromdate) as $t
		| select($t > $at - $w and $t <= $at)
		| "\($h) \(.vm_name) \(.vcpu_contention_pct_avg // .vcpu_steal_pct_avg)"' "$tmp/$h.ndjson"
done | awk '{ s[$1 " " $2] += $3; n[$1 " " $2]++ } END { for (k in s) print k, s[k] / n[k] }' | sort >"$tmp/top.ndjson"
echo "# host vm_name: Prometheus  VictoriaMetrics  NDJSON (contention %, ${WINDOW} s window)"
join <(awk '{ print $1 "/" $2, $3 }' "$tmp/top.prom" | sort) <(awk '{ print $1 "/" $2, $3 }' "$tmp/top.vm" | sort) |
	join - <(awk '{ print $1 "/" $2, $3 }' "$tmp/top.ndjson") >"$tmp/top.joined"
awk '{ printf "#   %-12s %8.2f %8.2f %8.2f\n", $1, $2, $3, $4 }' "$tmp/top.joined"
check "six VMs from three hosts, in both stores and in the NDJSON" test "$(wc -l <"$tmp/top.joined")" = 6
check "Prometheus and VictoriaMetrics agree (the same samples: within 0.01 points)" \
	awk '{ d = $2 - $3; if (d < -0.01 || d > 0.01) bad++ } END { exit bad > 0 }' "$tmp/top.joined"
check "each VM within 2 points of its agent's NDJSON" \
	awk '{ d = $2 - $4; if (d < -2 || d > 2) bad++ } END { exit bad > 0 }' "$tmp/top.joined"
fake_order() { awk '$1 != "hv-c" { print $1 "/" $2 }' "$1" | tr '\n' ' '; }
expected="hv-a/db-01 hv-b/cache-01 hv-a/web-01 hv-b/batch-01 "
check "Prometheus: the fake hosts' VMs in the designed order ($(fake_order "$tmp/top.prom"))" \
	test "$(fake_order "$tmp/top.prom")" = "$expected"
check "VictoriaMetrics: the same order ($(fake_order "$tmp/top.vm"))" test "$(fake_order "$tmp/top.vm")" = "$expected"
check "the designed figures: db-01 30, cache-01 9, web-01 3, batch-01 1 (within 0.5 points)" \
	awk 'BEGIN { want["hv-a/db-01"] = 30; want["hv-b/cache-01"] = 9; want["hv-a/web-01"] = 3; want["hv-b/batch-01"] = 1 }
	     ($1 in want) { d = $2 - want[$1]; if (d < -0.5 || d > 0.5) bad++; seen++ } END { exit bad > 0 || seen != 4 }' \
	"$tmp/top.joined"
check "the real host's VMs carry Proxmox's vm_id" \
	test "$(curl -sf "http://127.0.0.1:$p_prom/api/v1/query" --data-urlencode 'query=count(kvm_vm_info{instance="hv-c",vm_id=~"10[01]"})' |
		jq -r '.data.result[0].value[1]')" = 2

# Who holds each VM's CPUs, through the live Prometheus: every VM of the
# three hosts has its five holders' shares, summing to 1.
check "vm:kvm_vm_cpus_seconds:ratio_rate5m: six VMs, five holders each, each VM's shares summing to 1 (within 0.001)" \
	test "$(curl -sf "http://127.0.0.1:$p_prom/api/v1/query" \
		--data-urlencode 'query=count(count without (holder) (vm:kvm_vm_cpus_seconds:ratio_rate5m) == 5 and abs(sum without (holder) (vm:kvm_vm_cpus_seconds:ratio_rate5m) - 1) < 0.001)' |
		jq -r '.data.result[0].value[1]')" = 6

# The series a VM costs the fleet, counted from the textfiles (README, "From
# one host to a fleet"): 10 a VM (5 of them who holds its CPUs) and 3 a vCPU,
# and with --cgroup-root 1 more (throttled) and 1 more where a limit is found.
series() { grep -c "vm_name=\"$2\"" "$tmp/$1/textfile/kvmsteal.prom"; }
echo "# textfile series: db-01 (4 vCPUs) $(series hv-a db-01), web-01 (2) $(series hv-a web-01)," \
	"batch-01 (2, --cgroup-root, limited) $(series hv-b batch-01), cache-01 (2, --cgroup-root) $(series hv-b cache-01)"
check "series per VM: 10 + 3 a vCPU, + 1 with --cgroup-root, + 1 with a limit" \
	test "$(series hv-a db-01) $(series hv-a web-01) $(series hv-b batch-01) $(series hv-b cache-01)" = "22 16 18 17"

echo "== the Grafana dashboard: every panel's query on the live stores, the JSON against Grafana's schema"
dash=scripts/dist/grafana/kvmsteal.json
# What Grafana would send with Host and VM set to All (allValue .*) and its
# intervals filled in: $__rate_interval is the rules' window here (20 s).
grafana_expr() { sed -e 's/\$instance/.*/g' -e 's/\$vm/.*/g' -e "s/\\\$__rate_interval/${WINDOW}s/g" \
	-e 's/\$__interval/1s/g' -e 's/\$__range/1m/g' <<<"$1"; }
# instances STORE EXPR: the instances of the query's series, sorted, on one line
instances() {
	curl -sf "$1/api/v1/query" --data-urlencode "query=$2" |
		jq -r 'select(.status == "success") | [.data.result[].metric.instance // "-"] | unique | join(" ")'
}
jq -r '.panels[] | select(.targets) | .title as $t | .targets[] | [$t, .refId, .expr] | @tsv' "$dash" >"$tmp/panels.tsv"
check "dashboard: 17 panel queries found" test "$(wc -l <"$tmp/panels.tsv")" = 17
while IFS=$'\t' read -r title ref expr; do
	q=$(grafana_expr "$expr")
	for store in "prom $p_prom" "vm $p_vm"; do
		set -- $store
		got=$(instances "http://127.0.0.1:$2" "$q")
		case "$expr" in
		*throttled*|*limit*) want="hv-b" ;; # only the agent with --cgroup-root
		*) want="hv-a hv-b hv-c" ;;
		esac
		check "dashboard \"$title\" $ref ($1): accepted, series from $want (got: ${got:-none})" test "$got" = "$want"
	done
done <"$tmp/panels.tsv"
check "dashboard: the Host variable lists the three hosts" \
	test "$(curl -sfG "http://127.0.0.1:$p_prom/api/v1/label/instance/values" --data-urlencode 'match[]=kvm_vm_info' |
		jq -r '.data | join(" ")')" = "hv-a hv-b hv-c"
check "dashboard: the VM variable lists the six VMs" \
	test "$(curl -sfG "http://127.0.0.1:$p_prom/api/v1/label/vm_name/values" --data-urlencode 'match[]=kvm_vm_info{instance=~".*"}' |
		jq -r '.data | length')" = 6
# Grafana's dashboard model as TypeScript types (@grafana/schema, fetched by
# install-deps.sh --test with its lockfile): the JSON as an object literal of
# type Dashboard, so that a missing, misnamed or mistyped key fails tsc.
schema_types=tests/grafana/node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts
typecheck() { # typecheck JSON: tsc on the JSON as a Dashboard
	rm -rf "$tmp/ts" && mkdir "$tmp/ts" && cp "$schema_types" "$tmp/ts/types.gen.d.ts"
	{ echo 'import type { Dashboard } from "./types.gen";'; printf 'export const dashboard: Dashboard = '; cat "$1"; echo ';'; } \
		>"$tmp/ts/check.ts"
	tsc --noEmit --strict --target es2019 --module commonjs "$tmp/ts/check.ts" >"$tmp/ts/tsc.log" 2>&1
}
check "dashboard: the JSON is a Dashboard of @grafana/schema $(jq -r .version tests/grafana/node_modules/@grafana/schema/package.json 2>/dev/null) (tsc)" \
	typecheck "$dash"
sed -n 1,5p "$tmp/ts/tsc.log"
jq '.panels[1].gridpos = .panels[1].gridPos' "$dash" >"$tmp/misnamed.json"
if typecheck "$tmp/misnamed.json"; then fail "dashboard: tsc accepted a misnamed key"; else pass "dashboard: tsc rejects a misnamed key (gridpos)"; fi

echo "== one agent stops: KvmstealStale for its host only"
kill "${agent[hv-b]}"
t_stop=$(now)
t_stale=""
for _ in $(seq 80); do
	[ -n "$(alerts KvmstealStale)" ] && { t_stale=$(since "$t_stop"); break; }
	sleep 0.5
done
echo "# from the agent's stop to KvmstealStale in Alertmanager: ${t_stale:-never} s (threshold 8 s)"
check "KvmstealStale fires for the stopped agent's host only" test "$(alerts KvmstealStale)" = "hv-b/"
for h in hv-a hv-c; do check "$h's agent said nothing" test ! -s "$tmp/$h.err"; [ -s "$tmp/$h.err" ] && sed "s/^/#   $h: /" "$tmp/$h.err"; done

echo
if [ "$failures" -ne 0 ]; then
	for f in prom am vm; do echo "--- $f.log"; tail -n 5 "$tmp/$f.log"; done
	echo "$failures test(s) FAILED"; exit 1
fi
echo "all fleet tests passed"
