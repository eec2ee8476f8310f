/* snapshot: every counter kvmsteal read at one instant.
 *
 * A snapshot is what the sampler fills and what the rate computation compares
 * (previous vs current), so a test can build two of them from fixture trees.
 * Identity survives PID/TID reuse: a process is (pid, starttime), a thread is
 * (tid, starttime).  A snapshot owns its arrays and name bytes; it is reused
 * from tick to tick (snapshot_clear keeps the memory). */
#ifndef KVMSTEAL_SNAPSHOT_H
#define KVMSTEAL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cgroup.h"
#include "parse.h"
#include "qemu_args.h"
#include "text.h"

#define VCPU_NONE (-1)    /* an "other" thread: known not to run a vCPU */
#define VCPU_UNKNOWN (-2) /* a thread that may or may not run a vCPU (vcpu_source none) */

enum vcpu_source {
	VCPU_SOURCE_COMM,       /* threads named "CPU n/KVM" or "CPU n/TCG" */
	VCPU_SOURCE_GUEST_TIME, /* no such name: the threads with guest time */
	VCPU_SOURCE_NONE,       /* neither: no vCPU thread can be told apart */
};

/* Fields ordered to pack: there are two of these per tracked thread. */
struct thread_sample {
	int tid;
	int vcpu_id;     /* VCPU_NONE for an "other" thread, VCPU_UNKNOWN */
	uint64_t starttime;
	uint64_t cpu_ns; /* schedstat (1) */
	uint64_t wait_ns;/* schedstat (2): run-queue wait, the guest's steal */
	uint64_t runs;   /* schedstat (3): times it got a CPU */
	uint32_t cpus_off; /* its Cpus_allowed_list in snapshot.names, or NO_TEXT */
	bool tcg;        /* named "CPU n/TCG" */
	char comm[COMM_MAX]; /* its name (untrusted: shown through names.h) */
	struct cgroup_links cg; /* with --cgroup-root: the limited cgroups on a vCPU's path */
};

#define NO_TEXT UINT32_MAX

struct vm_sample {
	int pid;
	uint64_t starttime;
	size_t name_off;  /* into snapshot.names: valid UTF-8, NUL-terminated */
	struct vm_ident ident;
	enum vcpu_source vcpu_source;
	uint64_t utime, stime, guest_time; /* clock ticks, /proc/PID/stat */
	size_t thread_first;               /* into snapshot.threads, sorted by tid */
	size_t thread_count;
};

struct snapshot {
	double mono_s;           /* CLOCK_MONOTONIC when the sample started */
	struct timespec real;    /* CLOCK_REALTIME, same instant */
	bool host_valid;         /* /proc/stat could be read and parsed */
	struct host_stat host;
	struct cpu_line *cpus;   /* /proc/stat's cpuN lines, by id; valid with host_valid */
	size_t cpu_count, cpu_cap;
	struct vm_sample *vms;   /* sorted by pid */
	size_t vm_count, vm_cap;
	struct thread_sample *threads;
	size_t thread_count, thread_cap;
	struct buf names;
	bool cgroups_on;         /* --cgroup-root: cgroups[] was read */
	struct cgroup_sample *cgroups; /* by slot of the sampler's cgroup set */
	size_t cgroup_count, cgroup_cap;
};

void snapshot_clear(struct snapshot *snap);
void snapshot_free(struct snapshot *snap);

/* Appends a VM (threads follow with snapshot_add_thread); NULL on ENOMEM. */
struct vm_sample *snapshot_add_vm(struct snapshot *snap, const char *name, size_t name_len);
int snapshot_add_thread(struct snapshot *snap, const struct thread_sample *thread);

/* Copies text (NUL-terminated) into the snapshot; its offset, or NO_TEXT on
 * ENOMEM (or past 4 GiB of names). */
uint32_t snapshot_add_text(struct snapshot *snap, const char *text);

static inline const char *snapshot_text(const struct snapshot *snap, uint32_t off)
{
	return off == NO_TEXT ? NULL : snap->names.data + off;
}

static inline const char *snapshot_vm_name(const struct snapshot *snap, const struct vm_sample *vm)
{
	return snap->names.data + vm->name_off;
}

#endif
