/* rate: turns two snapshots into the figures of one tick.
 *
 * Pure functions of (previous snapshot, current snapshot, clock ticks per
 * second): the interval is the measured difference of the two snapshots'
 * monotonic times, never the configured one.  Only what is present in both
 * snapshots with the same identity and counters that did not go backwards
 * gets figures; everything else restarts its series silently. */
#ifndef KVMSTEAL_RATE_H
#define KVMSTEAL_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "snapshot.h"

struct vcpu_figures {
	int id;
	int tid;
	double steal_pct; /* 100 * delta run-queue wait / interval, at most 100 */
	double run_pct;   /* 100 * delta on-CPU time / interval, at most 100 */
	uint64_t steal_ns, run_ns; /* the deltas themselves, for counters */
	uint64_t runs;             /* times it got a CPU (schedstat 3) */
	bool has_wait_per_run;     /* it got a CPU within the interval */
	double wait_per_run_us;    /* steal_ns / runs: the mean wait each time, microseconds */
	const char *cpus;          /* Cpus_allowed_list (in the current snapshot), or NULL */
	const struct cgroup_links *cg; /* the cgroups on its path (in the current snapshot) */
	bool cg_moved;             /* its path is not the one of the previous snapshot */
	const char *cgroup;        /* with --cgroup-root: its own cgroup's directory under the root, or NULL */
	bool has_throttled;        /* its own cgroup is limited and holds no other vCPU of the VM */
	double throttled_pct;      /* the part of steal_pct that limit caused */
};

/* A thread of a VM that is not a vCPU (or may be one: vcpu_source none),
 * for the view's VM screen. */
struct thread_figures {
	int tid;
	const char *comm;  /* its name, in the current snapshot (untrusted) */
	double wait_pct, run_pct;
};

/* Who used the host CPUs the VM's vCPU threads may run on (holders.h):
 * shares of those CPUs' capacity over the interval, summing to 100. */
struct vm_holders {
	bool valid;                  /* the host's per-CPU times and the VM's vCPUs were measured */
	bool has_cpus;               /* cpus fits CPU_LIST_MAX */
	char cpus[CPU_LIST_MAX + 1]; /* the CPUs, kernel list format */
	double own_pct, other_vms_pct, host_pct, irq_pct, idle_pct;
	uint64_t own_ns, other_vms_ns, host_ns, irq_ns, idle_ns; /* the same, CPU time, for counters */
};

struct vm_figures {
	const struct vm_sample *vm; /* in the current snapshot */
	const char *name;           /* valid UTF-8 */
	bool tcg;                   /* the vCPU threads are TCG's, not KVM's */
	size_t vcpu_count;          /* vCPU threads measured over the interval */
	double steal_avg, steal_max, run_avg;
	size_t other_count;         /* other threads measured over the interval */
	double other_wait_pct;      /* sum over them: percent of one CPU */
	size_t unknown_count;       /* vcpu_source none: threads that may be vCPUs */
	uint64_t unknown_wait_ns;   /* their summed run-queue wait */
	double guest_pct, user_pct, system_pct;
	size_t vcpu_first;          /* into tick_figures.vcpus, sorted by id */
	uint64_t other_wait_ns;     /* the deltas themselves, for counters */
	uint64_t guest_ticks, user_ticks, system_ticks;
	uint64_t cpu_ticks;         /* utime + stime: guest time included once */
	bool has_throttle;          /* --cgroup-root, and every vCPU's cgroups could be read */
	double throttled_avg;       /* the part of steal_avg that CPU limits caused, at most steal_avg */
	double contention_avg;      /* steal_avg - throttled_avg: what other work on the host caused */
	uint64_t throttled_ns;      /* the limited cgroups' throttled time, at most the summed vCPU steal */
	double limit_cpus;          /* the tightest limit on the vCPUs' paths; 0: none */
	uint64_t other_run_ns;      /* on-CPU time of its threads that are not vCPUs (and unknown ones) */
	bool has_wait_per_run;      /* a vCPU got a CPU within the interval */
	double wait_per_run_max_us; /* the worst vCPU's wait_per_run_us */
	struct vm_holders holders;
	size_t thread_first;        /* its other and unknown threads: into tick_figures.threads, by tid */
	size_t thread_count;
};

/* mpstat semantics: percent of all CPUs; user and nice without guest time. */
struct host_figures {
	bool valid;
	unsigned cpu_count;
	double user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice;
	double vm_cpu;            /* the reported VMs' utime + stime, percent of all CPUs' time */
	uint64_t total_ticks;     /* all CPUs' time over the interval, clock ticks */
};

/* One online host CPU over the interval (holders.h): percent of its time. */
struct host_cpu_figures {
	unsigned id;
	double busy_pct; /* not idle or iowait (irq included) */
	double vms_pct;  /* the reported VMs' threads, spread over the CPUs each may use */
};

/* Owns its arrays (tick_figures_free); reusable from tick to tick. */
struct tick_figures {
	double interval_s;
	struct timespec real; /* end of the interval */
	bool cgroups_on;      /* --cgroup-root: the throttling keys are written */
	struct host_figures host;
	struct vm_figures *vms; /* sorted by pid */
	size_t vm_count, vm_cap;
	struct vcpu_figures *vcpus;
	size_t vcpu_total, vcpu_cap;
	struct thread_figures *threads; /* the VMs' other threads */
	size_t thread_total, thread_cap;
	struct host_cpu_figures *cpus;  /* each online CPU, by id (the view's CPU strip) */
	size_t cpu_total, cpu_cap;
};

/* Fills out (cleared first) but for who holds the CPUs, which
 * holders_compute adds after it.  Returns 0, -EINVAL when the interval is
 * not positive, -ENOMEM.  out points into cur: keep cur alive while using it. */
int rate_compute(const struct snapshot *prev, const struct snapshot *cur, long clk_tck,
		 struct tick_figures *out);

void tick_figures_free(struct tick_figures *figures);

#endif
