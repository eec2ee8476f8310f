#include "cells.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "width.h"

int cells_appendf(struct buf *out, const char *fmt, ...)
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

const struct vcpu_figures *cells_worst_vcpu(const struct tick_figures *f, const struct vm_figures *vm)
{
	const struct vcpu_figures *worst = NULL;

	for (size_t k = 0; k < vm->vcpu_count; k++) {
		const struct vcpu_figures *v = &f->vcpus[vm->vcpu_first + k];
		if (!worst || v->steal_pct > worst->steal_pct)
			worst = v;
	}
	return worst;
}

void cells_wait(char cell[CELL_BYTES], double us)
{
	if (us < 999.5)
		snprintf(cell, CELL_BYTES, "%.0fus", us);
	else if (us < 9950)
		snprintf(cell, CELL_BYTES, "%.1fms", us / 1e3);
	else if (us < 999500)
		snprintf(cell, CELL_BYTES, "%.0fms", us / 1e3);
	else if (us < 9.95e6)
		snprintf(cell, CELL_BYTES, "%.1fs", us / 1e6);
	else
		snprintf(cell, CELL_BYTES, "%.0fs", us / 1e6);
}

static int spark_level(float steal)
{
	static const float limits[7] = { 1, 2, 5, 10, 20, 40, 70 };
	int level = 0;

	while (level < 7 && steal >= limits[level])
		level++;
	return level;
}

int cells_sparkline(struct buf *out, const struct vm_history *h, int columns, bool utf8, bool pad_left)
{
	static const char *const blocks[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[8] = { '_', '.', ':', '-', '=', '+', '*', '#' };
	int have = h ? (int)(h->count < (unsigned)columns ? h->count : (unsigned)columns) : 0;
	int err = 0;

	for (int i = have; pad_left && i < columns && !err; i++)
		err = buf_append(out, " ", 1);
	for (int ago = have - 1; ago >= 0 && !err; ago--) {
		float steal = history_at(h, (unsigned)ago);
		int level = spark_level(steal);
		if (steal < 0)
			err = buf_append(out, " ", 1);
		else
			err = utf8 ? buf_append(out, blocks[level], strlen(blocks[level])) : buf_append(out, &ascii[level], 1);
	}
	return err;
}

int cells_cpu_list(struct buf *out, const char *list, int width, bool utf8)
{
	const char *marker = utf8 ? "…" : "~";
	int keep = 0;

	if ((int)strlen(list) <= width)
		return cells_appendf(out, "%-*s", width, list);
	for (int i = 0; i < width - 1 && list[i]; i++)
		if (list[i] == ',')
			keep = i + 1;
	return cells_appendf(out, "%.*s%s%*s", keep, list, marker, width - 1 - keep, "");
}

void cells_trim_spaces(struct buf *out, size_t from)
{
	while (out->len > from && out->data[out->len - 1] == ' ')
		out->len--;
}

int cells_visible(struct buf *out, const char *name, int columns, bool utf8, bool pad)
{
	struct buf shown = { 0 };
	size_t off = 0;
	int err = names_shown(&name, 1, &shown, &off) ||
		  (pad ? width_fit(out, shown.data + off, columns, utf8) : width_cut(out, shown.data + off, columns, utf8));

	buf_free(&shown);
	return err ? -ENOMEM : 0;
}
