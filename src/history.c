#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Builds the new list in the spare array (a merge by pid of the old list
 * and the tick's VMs) and swaps the two: nothing allocated per tick once
 * they are large enough. */
int history_update(struct history *h, const struct tick_figures *figures)
{
	size_t old = 0;

	if (array_reserve((void **)&h->spare, &h->spare_cap, figures->vm_count, sizeof(*h->spare)))
		return -ENOMEM;
	for (size_t i = 0; i < figures->vm_count; i++) {
		const struct vm_figures *f = &figures->vms[i];
		struct vm_history *vm = &h->spare[i];
		while (old < h->count && h->vms[old].pid < f->vm->pid)
			old++;
		if (old < h->count && h->vms[old].pid == f->vm->pid && h->vms[old].starttime == f->vm->starttime)
			*vm = h->vms[old++];
		else
			*vm = (struct vm_history){ .pid = f->vm->pid, .starttime = f->vm->starttime };
		vm->steal[vm->next] = f->vcpu_count ? (float)f->steal_avg : -1.0f;
		vm->next = (vm->next + 1) % HISTORY_TICKS;
		if (vm->count < HISTORY_TICKS)
			vm->count++;
	}
	{
		struct vm_history *swap = h->vms;
		size_t swap_cap = h->cap;
		h->vms = h->spare;
		h->cap = h->spare_cap;
		h->spare = swap;
		h->spare_cap = swap_cap;
	}
	h->count = figures->vm_count;
	return 0;
}

const struct vm_history *history_find(const struct history *h, int pid, uint64_t starttime)
{
	size_t lo = 0, hi = h->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->vms[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->count && h->vms[lo].pid == pid && h->vms[lo].starttime == starttime ? &h->vms[lo] : NULL;
}

float history_at(const struct vm_history *vm, unsigned ago)
{
	if (ago >= vm->count)
		return -1.0f;
	return vm->steal[(vm->next + HISTORY_TICKS - 1 - ago) % HISTORY_TICKS];
}

void history_free(struct history *h)
{
	free(h->vms);
	free(h->spare);
	memset(h, 0, sizeof(*h));
}
