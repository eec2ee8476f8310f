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

static struct vm_history *vcpu_series(struct vcpu_history *h, int id)
{
	size_t at = 0;

	while (at < h->count && h->vcpus[at].pid < id)
		at++;
	if (at < h->count && h->vcpus[at].pid == id)
		return &h->vcpus[at];
	if (array_insert((void **)&h->vcpus, &h->count, &h->cap, at, sizeof(*h->vcpus)))
		return NULL;
	h->vcpus[at].pid = id;
	return &h->vcpus[at];
}

int vcpu_history_update(struct vcpu_history *h, const struct tick_figures *figures, int pid, uint64_t starttime)
{
	const struct vm_figures *vm = NULL;

	if (h->pid != pid || h->starttime != starttime) {
		h->count = 0;
		h->pid = pid;
		h->starttime = starttime;
	}
	for (size_t i = 0; i < figures->vm_count && !vm; i++)
		if (figures->vms[i].vm->pid == pid && figures->vms[i].vm->starttime == starttime)
			vm = &figures->vms[i];
	for (size_t k = 0; vm && k < vm->vcpu_count; k++) {
		const struct vcpu_figures *v = &figures->vcpus[vm->vcpu_first + k];
		struct vm_history *series = vcpu_series(h, v->id);
		if (!series)
			return -ENOMEM;
		series->steal[series->next] = (float)v->steal_pct;
		series->next = (series->next + 1) % HISTORY_TICKS;
		if (series->count < HISTORY_TICKS)
			series->count++;
	}
	return 0;
}

const struct vm_history *vcpu_history_find(const struct vcpu_history *h, int id)
{
	for (size_t i = 0; i < h->count; i++)
		if (h->vcpus[i].pid == id)
			return &h->vcpus[i];
	return NULL;
}

void vcpu_history_free(struct vcpu_history *h)
{
	free(h->vcpus);
	memset(h, 0, sizeof(*h));
}
