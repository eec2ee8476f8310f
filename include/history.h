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

/* The vCPUs of one VM (the one selected in the view) over the ticks since it
 * was selected: a steal series per vCPU, in a vm_history whose pid field
 * holds the vCPU's id.  A VM that is not (pid, starttime) starts it again. */
struct vcpu_history {
	int pid;
	uint64_t starttime;
	struct vm_history *vcpus; /* sorted by id */
	size_t count, cap;
};

/* Adds the tick of the VM (pid, starttime), when figures has it.  0 or -ENOMEM. */
int vcpu_history_update(struct vcpu_history *h, const struct tick_figures *figures, int pid, uint64_t starttime);
const struct vm_history *vcpu_history_find(const struct vcpu_history *h, int id);
void vcpu_history_free(struct vcpu_history *h);

#endif
