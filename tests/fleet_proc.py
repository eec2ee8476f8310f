#!/usr/bin/env python3
"""A live fake /proc (and cgroup v2 tree) whose counters grow at known rates.

    fleet_proc.py HOST PROC_DIR CGROUP_DIR

Writes the tree of the simulated hypervisor HOST (see HOSTS), then rewrites its
counters every 0.1 s from the wall clock until killed, so an agent sampling it
sees each vCPU wait exactly its designed share of the time.  The agent keeps
schedstat and cpu.stat files open and preads them, so each file is rewritten
in place at a fixed length (zero-padded numbers, which /proc never prints but
the parsers accept), never replaced.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
from generate import stat_line, status_file, Thread  # noqa: E402

# HOST: [(pid, name, uuid, vCPUs, steal share, run share, cgroup, throttled share of each vCPU)]
HOSTS = {
    # contended: db-01 waits 30 % on each of 4 vCPUs, web-01 3 %; no cgroup figures
    "hv-a": [(4100, "db-01", "aaaaaaaa-0000-4000-8000-000000000001", 4, 0.30, 0.60, None, 0),
             (4200, "web-01", "aaaaaaaa-0000-4000-8000-000000000002", 2, 0.03, 0.20, None, 0)],
    # batch-01 is held back by its own 1-CPU limit (40 % steal, 39 % throttled:
    # 1 % contention); cache-01 waits 9 % with no limit: a near miss
    "hv-b": [(5100, "batch-01", "bbbbbbbb-0000-4000-8000-000000000001", 2, 0.40, 0.50, "qemu.slice/101.scope", 0.39),
             (5200, "cache-01", "bbbbbbbb-0000-4000-8000-000000000002", 2, 0.09, 0.30, "qemu.slice/102.scope", 0)],
}
LIMITS = {"qemu.slice/101.scope": "100000 100000", "qemu.slice/102.scope": "max 100000"}
NCPU = 8


class Counter:
    """A file rewritten in place: fmt % tuple(rate_i * elapsed)."""
    def __init__(self, path, fmt, rates):
        self.fmt, self.rates = fmt, rates
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.update(0.0)

    def update(self, elapsed):
        data = (self.fmt % tuple(int(r * elapsed) for r in self.rates)).encode()
        os.pwrite(self.fd, data, 0)
        os.ftruncate(self.fd, len(data))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def build_vm(proc, cgroup, vm, counters):
    pid, name, uuid, vcpus, steal, run, cg, throttled = vm
    d = os.path.join(proc, str(pid))
    argv = ["qemu-system-x86_64", "-name", f"guest={name},debug-threads=on", "-uuid", uuid, "-smp", str(vcpus)]
    write(os.path.join(d, "cmdline"), "\0".join(argv) + "\0")
    write(os.path.join(d, "comm"), "qemu-system-x86\n")
    write(os.path.join(d, "stat"), stat_line(pid, "qemu-system-x86", 100, 10, pid, 50, num_threads=vcpus + 1))
    comms = [(pid, "qemu-system-x86", 0.001, 0.01)] + [(pid + 1 + i, f"CPU {i}/KVM", steal, run) for i in range(vcpus)]
    for tid, comm, wait, ran in comms:
        td = os.path.join(d, "task", str(tid))
        write(os.path.join(td, "comm"), comm + "\n")
        write(os.path.join(td, "stat"), stat_line(tid, comm, 0, 0, pid))
        write(os.path.join(td, "status"), status_file(Thread(tid, comm, cpus=f"0-{NCPU - 1}")))
        if cg:
            write(os.path.join(td, "cgroup"), f"0::/{cg}\n")
        counters.append(Counter(os.path.join(td, "schedstat"), "%018d %018d 42\n", (ran * 1e9, wait * 1e9)))
    if cg:
        write(os.path.join(cgroup, cg, "cpu.max"), LIMITS[cg] + "\n")
        counters.append(Counter(os.path.join(cgroup, cg, "cpu.stat"),
                                "usage_usec %018d\nnr_periods 0\nnr_throttled 0\nthrottled_usec %018d\n",
                                (vcpus * run * 1e6, vcpus * throttled * 1e6)))


def main():
    host, proc, cgroup = sys.argv[1:4]
    counters = []
    write(os.path.join(cgroup, "cgroup.controllers"), "cpu memory\n")
    write(os.path.join(cgroup, "qemu.slice", "cpu.stat"), "usage_usec 0\nthrottled_usec 0\n")
    for vm in HOSTS[host]:
        build_vm(proc, cgroup, vm, counters)
    # /proc/stat in USER_HZ ticks: each CPU half busy (user), half idle
    cpu = "cpu  %018d 0 0 %018d 0 0 0 0 0 0\n"
    lines = [cpu] + [cpu.replace("cpu ", f"cpu{i}") for i in range(NCPU)]
    per_cpu = (50.0, 50.0)
    counters.append(Counter(os.path.join(proc, "stat"), "".join(lines) + "intr 1\nctxt 1\nbtime 1780000000\n",
                            tuple(v * NCPU for v in per_cpu) + per_cpu * NCPU))
    start = time.monotonic()
    while True:
        time.sleep(0.1)
        elapsed = time.monotonic() - start
        for c in counters:
            c.update(elapsed)


if __name__ == "__main__":
    main()
