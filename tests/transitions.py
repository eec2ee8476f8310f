#!/usr/bin/env python3
"""Checks the agent's ticks against the cgroups' own counters, tick by tick.

transitions.py AGENT.ndjson COUNTERS.log PID EVENTS.log TOL

COUNTERS.log: lines "time run_delay_ns throttled_ns..." read by tests/throttling.sh
every ~50 ms (shell builtins, the time taken with the reads); the throttled
columns are summed (every cgroup on the vCPUs' paths).  EVENTS.log: lines
"time limit label" (limit in CPUs, 0: none) when the script changed something.
For each of the agent's records of PID: the window is [end - interval_s, end];
the script's own figures over it are interpolated between its readings.
Every tick must be right (throttled and contention within TOL of the script's)
or without the split keys; from the second tick after a change on, the split
must be there and cpu_limit_cpus must be the new limit.  Prints one line per
tick and exits 1 on any failure.

A tick's time is taken before its reads, and a read of a limit file can follow
it by the time the agent takes to read every VM's files (24 ms seen in a CI
run under load): a tick ending less than READ_SKEW before a change may already
show the new limit.  READ_SKEW is four times the largest delay seen.
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readings import Readings, tick_end

agent, counters, pid, events, tol = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
readings = Readings(counters)
evs = [(float(l.split()[0]), float(l.split()[1]), l.split(None, 2)[2].strip()) for l in open(events) if l.strip()]

def own(t0, t1, ncpu):
    vals = []
    for col in range(1, readings.columns):
        d = readings.delta(t0, t1, col)
        if d is None:
            return None
        vals.append(d)
    steal = 100 * vals[0] / 1e9 / (t1 - t0) / ncpu
    thr = 100 * sum(vals[1:]) / 1e9 / (t1 - t0) / ncpu
    return steal, thr

READ_SKEW = 0.1
failures = 0
for line in open(agent):
    r = json.loads(line)
    if r.get("record") != "vm" or r.get("process_pid") != pid:
        continue
    end = tick_end(r)
    start = end - r["interval_s"]
    o = own(start, end, r["vcpu_count"])
    if o is None:
        continue  # outside the script's readings
    steal, thr = o
    last = [e for e in evs if e[0] <= end]
    label = last[-1][2] if last else "start"
    limit = last[-1][1] if last else 0.0
    settled = not last or end >= last[-1][0] + 2 * r["interval_s"]
    has = "vcpu_throttled_pct_avg" in r
    got_limit = r.get("cpu_limit_cpus", 0.0)
    ok = True
    why = []
    if has:
        if abs(r["vcpu_throttled_pct_avg"] - min(thr, r["vcpu_steal_pct_avg"])) > tol:
            ok = False; why.append("throttled")
        if abs(r["vcpu_contention_pct_avg"] - max(0.0, steal - thr)) > tol:
            ok = False; why.append("contention")
    if settled and not has:
        ok = False; why.append("no split two ticks after the change")
    limits = [limit] + [e[1] for e in evs if end < e[0] <= end + READ_SKEW]
    if settled and all(abs(got_limit - l) > 0.0005 for l in limits):
        ok = False; why.append("cpu_limit_cpus %.3f, not %.3f" % (got_limit, limit))
    print("%s %-34s steal %6.2f (own %6.2f) throttled %6s (own %6.2f) limit %-5s %s" % (
        "ok  " if ok else "FAIL", label, r.get("vcpu_steal_pct_avg", -1), steal,
        "%.2f" % r["vcpu_throttled_pct_avg"] if has else "-", thr, got_limit, " ".join(why)))
    failures += not ok
sys.exit(1 if failures else 0)
