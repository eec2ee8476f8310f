#include "strip.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define STRIP_LABEL 5 /* "busy " and "VMs  " */

/* Eight levels, 12.5 points each. */
static int strip_cell(struct buf *out, double pct, bool utf8)
{
	static const char *const blocks[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[8] = { '_', '.', ':', '-', '=', '+', '*', '#' };
	int level = pct >= 100 ? 7 : pct <= 0 ? 0 : (int)(pct / 12.5);

	return utf8 ? buf_append(out, blocks[level], strlen(blocks[level])) : buf_append(out, &ascii[level], 1);
}

/* One line: a cell per CPU, or per group of per_cell CPUs (the busiest). */
static int strip_line(struct buf *out, const char *label, const struct tick_figures *f, size_t per_cell, bool vms,
		      bool utf8)
{
	int err = buf_append(out, label, STRIP_LABEL);

	for (size_t i = 0; i < f->cpu_total && !err; i += per_cell) {
		double most = 0;
		for (size_t j = i; j < i + per_cell && j < f->cpu_total; j++) {
			double pct = vms ? f->cpus[j].vms_pct : f->cpus[j].busy_pct;
			most = pct > most ? pct : most;
		}
		err = strip_cell(out, most, utf8);
	}
	return err;
}

int strip_render(struct buf *out, const struct tick_figures *f, int width, int height, bool utf8, int *lines)
{
	size_t avail = width > STRIP_LABEL ? (size_t)(width - STRIP_LABEL) : 0;
	size_t per_cell, cells;
	char note[64];
	int err;

	*lines = 0;
	if (f->cpu_total == 0 || height < STRIP_MIN_HEIGHT || avail == 0)
		return 0;
	per_cell = (f->cpu_total + avail - 1) / avail;
	cells = (f->cpu_total + per_cell - 1) / per_cell;
	err = strip_line(out, "busy ", f, per_cell, false, utf8);
	snprintf(note, sizeof(note), "  %zu CPUs a cell, the busiest", per_cell);
	if (!err && per_cell > 1 && avail >= cells + strlen(note))
		err = buf_append(out, note, strlen(note));
	err = err || buf_append(out, "\n", 1) || strip_line(out, "VMs  ", f, per_cell, true, utf8) || buf_append(out, "\n", 1);
	*lines = 2;
	return err ? -ENOMEM : 0;
}
