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

#define CGROUP_DEPTH 3 /* limited cgroups kept per thread, from its own up
			  (libvirt's vcpuN, scope and slice; KubeVirt's pod and QoS slices) */

/* A thread's place: the limited cgroups on its path, as (slot, generation)
 * pairs into the set (a slot freed and reused gets a new generation). */
struct cgroup_links {
	bool known;       /* resolved: its cgroup exists under the root */
	bool own_limited; /* ids[0] is the thread's own cgroup */
	uint8_t count;
	uint16_t ids[CGROUP_DEPTH];
	uint32_t gens[CGROUP_DEPTH];
};

struct cgroup_entry {
	char *rel;          /* directory under the root, owned; NULL: a free slot */
	int stat_fd;        /* its cpu.stat */
	bool v1;            /* throttled_time in ns; v2 has throttled_usec */
	bool seen;          /* linked from a live vCPU thread this tick */
	uint32_t gen;
	double limit_cpus;  /* quota / period */
};

struct cgroup_set {
	int root_fd;        /* -1: cgroups are not read */
	struct cgroup_entry *entries;
	size_t count, cap;
};

/* One limited cgroup at one instant (snapshot.h holds an array of them, by
 * slot).  Its identity across samples is its path with its generation. */
struct cgroup_sample {
	size_t path_off;    /* its directory under the root, in the snapshot's text */
	uint32_t gen;
	bool valid;         /* cpu.stat could be read and parsed */
	uint64_t throttled_ns;
	double limit_cpus;
};

/* Opens root (O_DIRECTORY).  0 or -errno; set->root_fd stays -1 on error. */
int cgroup_set_open(struct cgroup_set *set, const char *root);
void cgroup_set_free(struct cgroup_set *set);

/* Finds the limited cgroups of the thread placed by ref (its
 * /proc/.../cgroup file), from its own up to the hierarchy's root, and marks
 * them in use.  links->known is false when its cgroup is not under the root. */
void cgroup_link(struct cgroup_set *set, const struct cgroup_ref *ref, struct cgroup_links *links);

/* True while every cgroup of links is still the one linked (none dropped). */
bool cgroup_links_current(const struct cgroup_set *set, const struct cgroup_links *links);

/* Marks the entries of links as in use this tick (a live vCPU thread). */
void cgroup_mark(struct cgroup_set *set, const struct cgroup_links *links);

/* Reads every entry in use into samples (grown to set->count, indexed by
 * slot; their paths appended to names), then frees the entries no thread
 * marked since the last call, and those whose cpu.stat could not be read (a
 * cgroup removed, perhaps made again: the next link opens it anew).
 * 0 or -ENOMEM. */
int cgroup_sample_all(struct cgroup_set *set, struct cgroup_sample **samples, size_t *count, size_t *cap,
		      struct buf *names);

#endif
