/* sample: reads every counter of one tick into a snapshot.
 *
 * The sampler owns the VM table (discover.h) and, per thread, a schedstat fd
 * kept open and re-read with pread: the cheapest read /proc offers, and one
 * that fails with ESRCH once the thread is gone, so a reused TID starts a new
 * series.  The root fd is borrowed: the caller opens and closes it. */
#ifndef KVMSTEAL_SAMPLE_H
#define KVMSTEAL_SAMPLE_H

#include "snapshot.h"

struct sampler;

/* NULL on ENOMEM.  Raises nothing, opens nothing until the first take. */
struct sampler *sampler_new(int root_fd);
void sampler_free(struct sampler *sampler);

/* From now on also read the cgroups of vCPU threads under root (the cgroup
 * filesystem as mounted, normally /sys/fs/cgroup).  0 or -errno. */
int sampler_use_cgroups(struct sampler *sampler, const char *root);

/* Clears snap and fills it with the host counters and every VM with its
 * threads; leaves snap->mono_s and snap->real to the caller.  A VM or thread
 * that cannot be read is left out (and its series restarts).  Returns 0, or
 * -errno when the proc root cannot be listed at all. */
int sampler_take(struct sampler *sampler, struct snapshot *snap);

#endif
