/* cgroup: which CPU limits (CFS bandwidth) act on a vCPU thread, and how
 * long they throttled its cgroups; opt-in with --cgroup-root.
 *
 * A throttled thread waits on a run queue, so its throttling is inside its
 * schedstat run-queue wait (the guest's steal); the throttled time of the
 * limited cgroups on its path tells how much of that wait its own limit
 * caused.  Every path is relative to the cgroup root's directory fd, as /proc
 * reads are relative to the proc root.  A set keeps one entry per limited
 * cgroup in use, with its cpu.stat kept open: per tick one pread each. */
#ifndef KVMSTEAL_CGROUP_H
#define KVMSTEAL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "text.h"

#define CGROUP_DEPTH 6 /* cgroups kept per thread, from its own up to the one below
			  the hierarchy's root (libvirt: vcpuN, libvirt, the scope, machine.slice;
			  KubeVirt: the container, the pod and two QoS slices); deeper: no figure */

/* A thread's place: every cgroup on its path, its own first, as (slot,
 * generation) pairs into the set (a slot freed and reused gets a new
 * generation).  Whether each is limited is read every tick, so a limit set,
 * changed or removed at run time needs no new link. */
struct cgroup_links {
	bool known;       /* resolved: its cgroup exists under the root, path not too deep */
	uint8_t count;
	uint16_t ids[CGROUP_DEPTH];
	uint32_t gens[CGROUP_DEPTH];
};

/* Every cgroup on a live vCPU thread's path, its limit file and cpu.stat
 * kept open.  A cgroup throttles only while it is limited and a thread in
 * it waits on a run queue, so the throttled counter is read only then
 * (cgroup.c says when); the limit is read every tick while there is none,
 * every other tick while there is one. */
struct cgroup_entry {
	char *rel;          /* directory under the root, owned; NULL: a free slot */
	uint32_t hash;      /* of rel, to find it again without a string compare each */
	int limit_fd;       /* v2 cpu.max, v1 cpu.cfs_quota_us */
	int period_fd;      /* v1 cpu.cfs_period_us; -1 until a quota is seen */
	int stat_fd;        /* cpu.stat; -1 where there is none (v2 without the cpu controller) */
	bool v1;            /* throttled_time in ns; v2 has throttled_usec */
	bool seen;          /* linked from a live vCPU thread this tick */
	uint32_t gen;
	int64_t quota;      /* v1: the quota last read, so the period is read again when it changes */
	uint64_t period_us; /* v1: the period last read */
	uint64_t period_at; /* v1: the sample count at which to read the period again */
	double limit_cpus;  /* as last read */
	bool limit_read;    /* limit_cpus holds a reading */
	uint64_t waited_ns; /* its vCPU threads' run-queue wait this tick (saturated; max: unknown) */
	uint8_t reads;      /* readings of the counter so far, up to 2 */
	uint64_t throttled_ns; /* the counter as last read ... */
	bool unlimited_base; /* ... while no limit was set: it cannot have grown since */
	bool stale;         /* not read since, while it was limited */
};

struct cgroup_set {
	int root_fd;        /* -1: cgroups are not read */
	struct cgroup_entry *entries;
	size_t count, cap;
	uint64_t samples;   /* cgroup_sample_all calls so far */
};

/* One cgroup on a vCPU's path at one instant (snapshot.h holds an array of
 * them, by slot).  Its identity across samples is its path with its
 * generation. */
struct cgroup_sample {
	size_t path_off;    /* its directory under the root, in the snapshot's text */
	uint32_t gen;
	bool valid;         /* its limit and, where limited, its cpu.stat could be read */
	bool unplaced;      /* its counter grew while it was not read: the growth cannot be
			       placed in this interval (no split for it) */
	uint64_t throttled_ns; /* 0 where it has no throttled counter and no limit */
	double limit_cpus;  /* quota / period; 0: no limit */
};

/* Opens root (O_DIRECTORY).  0 or -errno; set->root_fd stays -1 on error. */
int cgroup_set_open(struct cgroup_set *set, const char *root);
void cgroup_set_free(struct cgroup_set *set);

/* Finds the cgroups of the thread placed by ref (its /proc/.../cgroup file),
 * from its own up to the hierarchy's root (not included: it cannot be
 * limited), opening the files of those not in the set yet.  links->known is
 * false when its cgroup is not under the root, or a file cannot be opened. */
void cgroup_link(struct cgroup_set *set, const struct cgroup_ref *ref, struct cgroup_links *links);

/* True while every cgroup of links is still the one linked (none dropped). */
bool cgroup_links_current(const struct cgroup_set *set, const struct cgroup_links *links);

/* Marks the entries of links as in use this tick (a live vCPU thread) and
 * adds the thread's run-queue wait since the last tick (UINT64_MAX: not
 * known yet). */
void cgroup_mark(struct cgroup_set *set, const struct cgroup_links *links, uint64_t waited_ns);

/* Reads every entry in use into samples (grown to set->count, indexed by
 * slot; their paths appended to names): its limit and its throttled time.
 * Then frees the entries no thread marked since the last call, and those
 * that could not be read (a cgroup removed, perhaps made again: the next
 * link opens it anew).  A v1 period is read again when the quota changes
 * and every period_every calls (a period changed alone).  A limited
 * cgroup's throttled counter is read when its vCPUs waited quiet_ns or
 * more since the last call (cgroup.c).  0 or -ENOMEM. */
int cgroup_sample_all(struct cgroup_set *set, struct cgroup_sample **samples, size_t *count, size_t *cap,
		      struct buf *names, uint64_t period_every, uint64_t quiet_ns);

#endif
