#!/usr/bin/env python3
"""Checks the agent's "who holds the VM's CPUs" and wait-per-run figures, tick by tick.

holders.py AGENT.ndjson COUNTERS.log ROLES CLK_TCK TOL [CLAIM...]

COUNTERS.log: lines "time  busy irq idle (per CPU, ticks)...  run wait runs (per thread)..." read by
tests/holders.sh every 50 ms with shell builtins.  ROLES: one line per thread column, "TID PID KIND CPUS"
(PID 0 for a host process; KIND vcpu, other or host; CPUS the list it was pinned to).  For each vm record of
a PID in ROLES, over [end - interval_s, end], this script computes from its own readings what schema.md
defines: the VM's CPUs S (its vCPUs' lists), their capacity (busy + irq + idle), the VM's own threads' time
on S, the other VMs' (a thread's time spread evenly over its CPUs; other threads over every CPU), the rest of
busy as the host's.  Every share must be within TOL points of the agent's, every vCPU's wait_per_run_us
within 15 % (or 20 us) of its Δwait/Δruns.  CLAIM: "PID:key<value" or "PID:key>value" on the mean over the
ticks of the agent's key (what the case is about: who dominates).  Exits 1 on any failure.
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readings import Readings, tick_end

agent, counters, roles_file, clk_tck, tol = sys.argv[1:6]
clk_tck, tol = int(clk_tck), float(tol)
claims = sys.argv[6:]
roles = [l.split() for l in open(roles_file) if l.strip()]
readings = Readings(counters)
ncpu = (readings.columns - 1 - 3 * len(roles)) // 3
delta = readings.delta


def cpus(text):
    out = set()
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out & set(range(ncpu))


def thread_col(i, k):  # k: 0 run, 1 wait, 2 runs
    return 1 + 3 * ncpu + 3 * i + k


def own_figures(pid, t0, t1):
    """(S, {holder: percent}, {tid: wait per run us}) from this script's readings, or None."""
    tick_ns = 1e9 / clk_tck
    mine = [i for i, r in enumerate(roles) if int(r[1]) == pid and r[2] == "vcpu"]
    s = set().union(*(cpus(roles[i][3]) for i in mine))
    busy = irq = idle = 0.0
    for c in s:
        d = [delta(t0, t1, 1 + 3 * c + k) for k in range(3)]
        if None in d:
            return None
        busy, irq, idle = busy + d[0] * tick_ns, irq + d[1] * tick_ns, idle + d[2] * tick_ns
    own = other = 0.0
    for i, (tid, vm, kind, allowed) in enumerate(roles):
        run = delta(t0, t1, thread_col(i, 0))
        if run is None:
            return None
        if kind == "host":
            continue
        a = cpus(allowed) if kind == "vcpu" else set(range(ncpu))
        on_s = run * len(a & s) / len(a)
        if int(vm) == pid:
            own += on_s
        else:
            other += on_s
    host = max(0.0, busy - own - other)
    total = own + other + host + irq + idle
    shares = {"own": own, "other_vms": other, "host": host, "irq": irq, "idle": idle}
    waits = {}
    for i in mine:
        runs = delta(t0, t1, thread_col(i, 2))
        if runs and runs > 0:
            waits[int(roles[i][0])] = delta(t0, t1, thread_col(i, 1)) / runs / 1000.0
    return s, {k: 100.0 * v / total for k, v in shares.items()}, waits


failures, sums, counts = 0, {}, {}
pids = {int(r[1]) for r in roles if r[2] == "vcpu"}
for line in open(agent):
    r = json.loads(line)
    if r.get("record") != "vm" or r.get("process_pid") not in pids:
        continue
    end = tick_end(r)
    pid = r["process_pid"]
    got = own_figures(pid, end - r["interval_s"], end)
    if got is None:
        continue  # outside this script's readings
    s, mine, waits = got
    why = []
    for k, v in mine.items():
        key = "vm_cpus_%s_pct" % k
        if key not in r or abs(r[key] - v) > tol:
            why.append("%s %s, own reading %.2f" % (key, r.get(key), v))
        sums[(pid, key)] = sums.get((pid, key), 0.0) + r.get(key, 0.0)
    counts[pid] = counts.get(pid, 0) + 1
    if r.get("vm_cpus") is None or cpus(r["vm_cpus"]) != s:
        why.append("vm_cpus %s, not the pinned %s" % (r.get("vm_cpus"), sorted(s)))
    for v in r.get("vcpu", []):
        want = waits.get(v["tid"])
        if want is not None and abs(v.get("wait_per_run_us", -1e9) - want) > max(0.15 * want, 20.0):
            why.append("vCPU %d wait_per_run_us %s, own reading %.1f" % (v["id"], v.get("wait_per_run_us"), want))
    print("%s pid %d own %6.2f (%6.2f) other VMs %6.2f (%6.2f) host %6.2f (%6.2f) wait/run %s %s" % (
        "FAIL" if why else "ok  ", pid, r.get("vm_cpus_own_pct", -1), mine["own"],
        r.get("vm_cpus_other_vms_pct", -1), mine["other_vms"], r.get("vm_cpus_host_pct", -1), mine["host"],
        ",".join("%.0f" % v.get("wait_per_run_us", -1) for v in r.get("vcpu", [])), "; ".join(why)))
    failures += bool(why)
for claim in claims:
    pid_s, rest = claim.split(":", 1)
    op = ">" if ">" in rest else "<"
    key, value = rest.split(op)
    pid = int(pid_s)
    mean = sums.get((pid, key), 0.0) / counts[pid] if counts.get(pid) else None
    ok = mean is not None and (mean > float(value) if op == ">" else mean < float(value))
    print("%s claim pid %d mean %s %s %s: %s" % ("ok  " if ok else "FAIL", pid, key, op, value,
                                                  "none" if mean is None else "%.2f" % mean))
    failures += not ok
if not counts:
    print("FAIL no tick of these VMs within the readings")
    failures += 1
sys.exit(1 if failures else 0)
