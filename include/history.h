/* history: each VM's mean vCPU steal over its last ticks, for the terminal
 * view's sparkline.  A VM is (pid, starttime), as everywhere; a VM that is
 * gone leaves the history at the next update. */
#ifndef KVMSTEAL_HISTORY_H
#define KVMSTEAL_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "rate.h"

#define HISTORY_TICKS 240

struct vm_history {
	int pid;
	uint64_t starttime;
	unsigned count;              /* ticks held, at most HISTORY_TICKS */
	unsigned next;               /* where the next tick goes */
	float steal[HISTORY_TICKS];  /* steal_avg, or negative: no vCPU figures that tick */
};

/* Owns its arrays; zero-initialised is empty; history_free releases them. */
struct history {
	struct vm_history *vms; /* sorted by pid */
	size_t count, cap;
	struct vm_history *spare;
	size_t spare_cap;
};

/* Adds the tick (figures->vms sorted by pid).  0 or -ENOMEM (then unchanged). */
int history_update(struct history *h, const struct tick_figures *figures);

/* The VM's history, or NULL. */
const struct vm_history *history_find(const struct history *h, int pid, uint64_t starttime);

/* The steal of the tick ago ticks before the last (0: the last); negative
 * when there is none. */
float history_at(const struct vm_history *vm, unsigned ago);

void history_free(struct history *h);

#endif
