#include "table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

#define NAME_COLUMNS 24

static int appendf(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int appendf(struct buf *out, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return buf_append(out, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* A name fit for a terminal column: control bytes become '?', cut at
 * NAME_COLUMNS characters (UTF-8 sequences kept whole) and padded with
 * spaces to that width, counted in characters rather than bytes. */
static void column_name(const char *name, char *out, size_t size)
{
	size_t n = 0, chars = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < size; p++) {
		if ((*p & 0xC0) != 0x80 && chars++ == NAME_COLUMNS) {
			chars--;
			break;
		}
		out[n++] = *p < 0x20 || *p == 0x7F ? '?' : (char)*p;
	}
	if (n == 0 && size > 1) {
		out[n++] = '-';
		chars = 1;
	}
	while (chars++ < NAME_COLUMNS && n + 1 < size)
		out[n++] = ' ';
	out[n] = '\0';
}

/* Worst steal first; VMs without vCPU figures last, by pid. */
static int by_worst_steal(const void *a, const void *b)
{
	const struct vm_figures *x = *(const struct vm_figures *const *)a;
	const struct vm_figures *y = *(const struct vm_figures *const *)b;
	double sx = x->vcpu_count ? x->steal_max : -1, sy = y->vcpu_count ? y->steal_max : -1;

	if (sx != sy)
		return sx < sy ? 1 : -1;
	return (x->vm->pid > y->vm->pid) - (x->vm->pid < y->vm->pid);
}

static int host_line(const struct tick_figures *f, struct buf *out)
{
	char stamp[25];
	const struct host_figures *h = &f->host;

	emit_format_timestamp(&f->real, stamp);
	if (!h->valid)
		return appendf(out, "%s  interval %.2f s  %zu VMs, %zu vCPUs\n", stamp, f->interval_s,
			       f->vm_count, f->vcpu_total);
	return appendf(out, "%s  interval %.2f s  %zu VMs, %zu vCPUs on %u CPUs: user %.1f%%  system %.1f%%  "
		       "guest %.1f%%  idle %.1f%%  steal %.1f%%\n", stamp, f->interval_s, f->vm_count, f->vcpu_total,
		       h->cpu_count, h->user, h->system, h->guest, h->idle, h->steal);
}

/* The pinning of the vCPU with the most steal (where contention is felt). */
static const char *worst_cpus(const struct tick_figures *f, const struct vm_figures *vm)
{
	const struct vcpu_figures *worst = NULL;

	for (size_t k = 0; k < vm->vcpu_count; k++) {
		const struct vcpu_figures *v = &f->vcpus[vm->vcpu_first + k];
		if (!worst || v->steal_pct > worst->steal_pct)
			worst = v;
	}
	return worst && worst->cpus ? worst->cpus : "-";
}

static int vm_line(const struct tick_figures *f, const struct vm_figures *vm, struct buf *out)
{
	char name[NAME_COLUMNS * 4 + 8], thr[16] = "-", con[16] = "-";
	const char *id = vm->vm->id[0] ? vm->vm->id : "-";

	column_name(vm->name, name, sizeof(name));
	if (vm->has_throttle) {
		snprintf(thr, sizeof(thr), "%.2f", vm->throttled_avg);
		snprintf(con, sizeof(con), "%.2f", vm->contention_avg);
	}
	/* "?": QEMU names no vCPU thread and none has guest time */
	if (vm->vcpu_count == 0)
		return appendf(out, "%s %9s %8d %5s %9s %9s %8s %10.2f %9s %10s %s\n", name, id, vm->vm->pid,
			       vm->vm->vcpu_source == VCPU_SOURCE_NONE ? "?" : "0", "-", "-", "-", vm->other_wait_pct,
			       "-", "-", "-");
	return appendf(out, "%s %9s %8d %5zu %9.2f %9.2f %8.2f %10.2f %9s %10s %s\n", name, id, vm->vm->pid,
		       vm->vcpu_count, vm->steal_avg, vm->steal_max, vm->run_avg, vm->other_wait_pct, thr, con,
		       worst_cpus(f, vm));
}

int table_tick(const struct tick_figures *figures, struct buf *out)
{
	const struct vm_figures **order = malloc((figures->vm_count + 1) * sizeof(*order));
	size_t mark = out->len;
	int err;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < figures->vm_count; i++)
		order[i] = &figures->vms[i];
	qsort(order, figures->vm_count, sizeof(*order), by_worst_steal);
	err = host_line(figures, out);
	if (err == 0)
		err = appendf(out, "%-*s %9s %8s %5s %9s %9s %8s %10s %9s %10s %s\n", NAME_COLUMNS, "VM", "ID", "PID", "VCPUS",
			      "STEAL_AVG", "STEAL_MAX", "RUN_AVG", "OTHER_WAIT", "THROTTLED", "CONTENTION", "CPUS");
	for (size_t i = 0; err == 0 && i < figures->vm_count; i++)
		err = vm_line(figures, order[i], out);
	if (err == 0)
		err = buf_append(out, "\n", 1);
	free(order);
	if (err)
		out->len = mark;
	return err;
}
