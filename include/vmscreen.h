/* vmscreen: the live view's screen for one VM (Enter on it): its identity
 * (name made visible, pid, uuid, id; with --cgroup-root its vCPU's cgroup
 * and the tightest limit), who held its CPUs, one row per vCPU (thread id,
 * steal, run, throttled, wait per run, CPUs, a sparkline since it was
 * selected), its other threads by name; as many lines as the window has. */
#ifndef KVMSTEAL_VMSCREEN_H
#define KVMSTEAL_VMSCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "history.h"
#include "rate.h"
#include "text.h"

struct vmscreen_view {
	int width, height;  /* the window */
	bool utf8;
	int pid;            /* the VM, by identity */
	uint64_t starttime;
	const struct vcpu_history *vcpu_history; /* its vCPUs' steal since selected; may be NULL */
};

/* Appends the screen below the host summary (height - 1 lines, the last
 * the keys); a VM no longer in f says it is gone.  0 or -ENOMEM. */
int vmscreen_render(struct buf *out, const struct tick_figures *f, const struct vmscreen_view *v);

#endif
