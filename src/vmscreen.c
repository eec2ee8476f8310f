#include "vmscreen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cells.h"
#include "cgroup.h"
#include "width.h"

#define NAME_COLUMNS 40 /* the name on the identity line, at most */

/* A line of text cut to the window, with its newline. */
static int screen_line(struct buf *out, const char *text, const struct vmscreen_view *v)
{
	return width_cut(out, text, v->width, v->utf8) || buf_append(out, "\n", 1) ? -ENOMEM : 0;
}

/* "VM NAME  pid P  uuid U  id I", then with --cgroup-root the cgroup and its limit. */
static int vm_identity(struct buf *out, const struct tick_figures *f, const struct vm_figures *vm,
		       const struct vmscreen_view *v, int *lines)
{
	const struct vcpu_figures *worst = cells_worst_vcpu(f, vm);
	struct buf line = { 0 };
	char text[CGROUP_PATH_MAX + 96];
	int err = buf_append(&line, "VM ", 3) || cells_visible(&line, vm->name, NAME_COLUMNS, v->utf8, false);

	snprintf(text, sizeof(text), "  pid %d%s%s%s%s", vm->vm->pid, vm->vm->ident.has_uuid ? "  uuid " : "",
		 vm->vm->ident.has_uuid ? vm->vm->ident.uuid : "", vm->vm->ident.id[0] ? "  id " : "", vm->vm->ident.id);
	err = err || buf_append(&line, text, strlen(text)) || buf_append(&line, "", 1);
	err = err || screen_line(out, line.data, v);
	buf_free(&line);
	(*lines)++;
	if (!err && f->cgroups_on) {
		if (vm->has_throttle && vm->limit_cpus > 0)
			snprintf(text, sizeof(text), "cgroup %s  limit %.3f CPUs", worst && worst->cgroup ? worst->cgroup : "-",
				 vm->limit_cpus);
		else
			snprintf(text, sizeof(text), "cgroup %s  no CPU limit", worst && worst->cgroup ? worst->cgroup : "-");
		err = cells_visible(out, text, v->width, v->utf8, false) || buf_append(out, "\n", 1) ? -ENOMEM : 0;
		(*lines)++;
	}
	if (!err && vm->holders.valid) {
		const struct vm_holders *h = &vm->holders;
		snprintf(text, sizeof(text), "CPUs %s: own %.0f  other VMs %.0f  host %.0f  irq %.0f  idle %.0f",
			 h->has_cpus ? h->cpus : "?", h->own_pct, h->other_vms_pct, h->host_pct, h->irq_pct, h->idle_pct);
		err = screen_line(out, text, v);
		(*lines)++;
	}
	return err;
}

/* One vCPU: id, thread, steal, run, throttled, wait per run, CPUs, its
 * history; cut to the window. */
static int vcpu_line(struct buf *out, const struct vcpu_figures *c, const struct vmscreen_view *v)
{
	char wait[CELL_BYTES] = "-", thr[16] = "-", head[96];
	const struct vm_history *h = v->vcpu_history ? vcpu_history_find(v->vcpu_history, c->id) : NULL;
	struct buf line = { 0 };
	int room, err;

	if (c->has_wait_per_run)
		cells_wait(wait, c->wait_per_run_us);
	if (c->has_throttled)
		snprintf(thr, sizeof(thr), "%.1f", c->throttled_pct);
	snprintf(head, sizeof(head), "%4d %7d %5.1f %5.1f %5s %5s ", c->id, c->tid, c->steal_pct, c->run_pct, thr, wait);
	err = buf_append(&line, head, strlen(head)) || cells_cpu_list(&line, c->cpus ? c->cpus : "-", 12, v->utf8);
	room = v->width - (int)strlen(head) - 13;
	if (!err && room >= HISTORY_MIN)
		err = buf_append(&line, " ", 1) || cells_sparkline(&line, h, room < HISTORY_TICKS ? room : HISTORY_TICKS, v->utf8, false);
	cells_trim_spaces(&line, 0);
	err = err || buf_append(&line, "", 1) || screen_line(out, line.data, v);
	buf_free(&line);
	return err ? -ENOMEM : 0;
}

/* One other thread: its name (untrusted), tid, wait, run; cut to the window. */
static int thread_line(struct buf *out, const struct thread_figures *t, const struct vmscreen_view *v)
{
	char tail[64];
	struct buf line = { 0 };
	int err = cells_visible(&line, t->comm, 16, v->utf8, true);

	snprintf(tail, sizeof(tail), " %7d %5.1f %5.1f", t->tid, t->wait_pct, t->run_pct);
	err = err || buf_append(&line, tail, strlen(tail)) || buf_append(&line, "", 1) || screen_line(out, line.data, v);
	buf_free(&line);
	return err ? -ENOMEM : 0;
}

int vmscreen_render(struct buf *out, const struct tick_figures *f, const struct vmscreen_view *v)
{
	const struct vm_figures *vm = NULL;
	int lines = 1, limit = v->height - 1, err = 0; /* the host line is above, the status below */

	for (size_t i = 0; i < f->vm_count && !vm; i++)
		if (f->vms[i].vm->pid == v->pid && f->vms[i].vm->starttime == v->starttime)
			vm = &f->vms[i];
	if (!vm) {
		err = screen_line(out, "the VM is gone (its process ended)", v);
		lines++;
	} else {
		err = vm_identity(out, f, vm, v, &lines);
		if (!err && lines < limit && vm->vcpu_count > 0) {
			err = screen_line(out, "VCPU     TID STEAL   RUN THROT  WAIT CPUS         HISTORY", v);
			lines++;
		}
		for (size_t k = 0; k < vm->vcpu_count && !err && lines < limit; k++, lines++)
			err = vcpu_line(out, &f->vcpus[vm->vcpu_first + k], v);
		if (!err && lines < limit && vm->thread_count > 0) {
			err = screen_line(out, "THREAD               TID  WAIT   RUN", v);
			lines++;
		}
		for (size_t k = 0; k < vm->thread_count && !err && lines < limit; k++, lines++)
			err = thread_line(out, &f->threads[vm->thread_first + k], v);
	}
	for (; lines < limit && !err; lines++)
		err = buf_append(out, "\n", 1);
	return err ? -ENOMEM : width_cut(out, "Escape: back to the list  ?: help  q: quit", v->width, false);
}
