#include "table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "format.h"
#include "names.h"
#include "strip.h"
#include "vmscreen.h"
#include "width.h"

enum column { C_NAME, C_ID, C_PID, C_VCPUS, C_STEAL, C_MAX, C_ON, C_RUN, C_OTHER, C_THROT, C_CONT, C_WAIT, C_HELD,
	      C_CPUS, C_HISTORY, C_COUNT };

static const char *const headers[C_COUNT] = { "NAME",  "ID",   "PID",  "VCPUS", "STEAL", "MAX",  "ON",     "RUN",
					      "OTHER", "THROT", "CONT", "WAIT",  "HELD",  "CPUS", "HISTORY" };

/* The columns a narrow window gives up first (the name shrinks before any). */
static const enum column drop_order[] = { C_CPUS, C_OTHER, C_ID, C_HELD, C_RUN, C_WAIT, C_ON, C_CONT, C_THROT, C_MAX };

#define NAME_MAX_COLUMNS 40
#define NAME_MIN_COLUMNS 12
#define PIPED_HISTORY 16
#define STEAL_RED 10.0
#define CPUS_MAX_COLUMNS 16 /* on a screen; a longer list is cut, marked */

struct layout {
	int width[C_COUNT]; /* 0: not shown */
	int decimals;
	int name_natural;
};

/* Each VM's row, with its figures as text (cells) and for ordering. */
struct row {
	const struct vm_figures *vm;
	const char *name;  /* as shown: names.h */
	const struct vm_history *history;
	char cells[C_COUNT][CELL_BYTES];
};

const char *table_sort_name(enum table_sort sort)
{
	/* what the order is, in the header's words: the worst vCPU first, then the mean */
	static const char *const names[TABLE_SORT_COUNT] = { "MAX, then STEAL", "RUN", "NAME", "PID" };
	return sort < TABLE_SORT_COUNT ? names[sort] : "steal";
}

static void number(char *cell, double value, int decimals)
{
	snprintf(cell, CELL_BYTES, "%.*f", decimals, value);
}

/* Who besides the VM used most of its CPUs, in 7 columns: "vms 62",
 * "host 9", "irq 1" (99: 99 or more); "-" when none of them reached 1 %. */
static void held_cell(char *cell, const struct vm_holders *h)
{
	const char *who = "vms";
	double most = h->other_vms_pct;

	if (h->host_pct > most) {
		who = "host";
		most = h->host_pct;
	}
	if (h->irq_pct > most) {
		who = "irq";
		most = h->irq_pct;
	}
	if (most >= 1.0)
		snprintf(cell, CELL_BYTES, "%s %.0f", who, most < 99 ? most : 99.0);
}

static void fill_cells(const struct tick_figures *f, struct row *r, int decimals)
{
	const struct vm_figures *vm = r->vm;
	const struct vcpu_figures *worst = cells_worst_vcpu(f, vm);

	for (int c = 0; c < C_COUNT; c++)
		strcpy(r->cells[c], "-");
	snprintf(r->cells[C_ID], CELL_BYTES, "%s", vm->vm->ident.id[0] ? vm->vm->ident.id : "-");
	snprintf(r->cells[C_PID], CELL_BYTES, "%d", vm->vm->pid);
	/* "?": QEMU names no vCPU thread and none has guest time */
	if (vm->vcpu_count == 0)
		strcpy(r->cells[C_VCPUS], vm->vm->vcpu_source == VCPU_SOURCE_NONE ? "?" : "0");
	else
		snprintf(r->cells[C_VCPUS], CELL_BYTES, "%zu", vm->vcpu_count);
	if (worst) {
		number(r->cells[C_STEAL], vm->steal_avg, decimals);
		number(r->cells[C_MAX], vm->steal_max, decimals);
		snprintf(r->cells[C_ON], CELL_BYTES, "%d", worst->id);
		number(r->cells[C_RUN], vm->run_avg, decimals);
		if (worst->cpus)
			snprintf(r->cells[C_CPUS], CELL_BYTES, "%s", worst->cpus);
		if (vm->has_wait_per_run)
			cells_wait(r->cells[C_WAIT], vm->wait_per_run_max_us);
		if (vm->holders.valid)
			held_cell(r->cells[C_HELD], &vm->holders);
	}
	number(r->cells[C_OTHER], vm->other_wait_pct, decimals);
	if (vm->has_throttle) {
		number(r->cells[C_THROT], vm->throttled_avg, decimals);
		number(r->cells[C_CONT], vm->contention_avg, decimals);
	}
}

/* --- order --------------------------------------------------------------- */

static int by_pid(const struct row *x, const struct row *y)
{
	return (x->vm->vm->pid > y->vm->vm->pid) - (x->vm->vm->pid < y->vm->vm->pid);
}

/* Higher first; VMs without vCPU figures after every VM with them. */
static int descending(double x, double y, const struct row *a, const struct row *b)
{
	double sx = a->vm->vcpu_count ? x : -1, sy = b->vm->vcpu_count ? y : -1;

	return sx == sy ? 0 : sx < sy ? 1 : -1;
}

static int compare_rows(const void *pa, const void *pb, void *sort)
{
	const struct row *a = pa, *b = pb;
	int c = 0;

	switch (*(const enum table_sort *)sort) {
	case TABLE_SORT_RUN: c = descending(a->vm->run_avg, b->vm->run_avg, a, b); break;
	case TABLE_SORT_NAME: c = strcmp(a->vm->name, b->vm->name); break;
	case TABLE_SORT_PID: break;
	default:
		c = descending(a->vm->steal_max, b->vm->steal_max, a, b);
		if (c == 0)
			c = descending(a->vm->steal_avg, b->vm->steal_avg, a, b);
	}
	return c ? c : by_pid(a, b);
}

/* --- layout -------------------------------------------------------------- */

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* The columns between the name and the sparkline, each with its gap. */
static int middle_width(const struct layout *l)
{
	int total = 0;

	for (int c = C_ID; c < C_HISTORY; c++)
		if (l->width[c] > 0)
			total += l->width[c] + 1;
	return total;
}

/* Natural widths: the widest cell or header of each column; WAIT and HELD
 * as wide as their widest value ("9.9ms", "host 99"), so that the columns
 * do not move from tick to tick as their figures change. */
static void natural_widths(const struct row *rows, size_t n, struct layout *l, bool utf8)
{
	for (int c = 0; c < C_COUNT; c++)
		l->width[c] = (int)strlen(headers[c]);
	l->width[C_WAIT] = 5;
	l->width[C_HELD] = 7;
	for (size_t i = 0; i < n; i++) {
		for (int c = C_ID; c < C_HISTORY; c++)
			l->width[c] = max_int(l->width[c], (int)strlen(rows[i].cells[c]));
		l->name_natural = max_int(l->name_natural, width_of(rows[i].name, utf8));
	}
	l->name_natural = max_int(l->name_natural, 4);
	if (l->name_natural > NAME_MAX_COLUMNS)
		l->name_natural = NAME_MAX_COLUMNS;
	l->width[C_NAME] = l->name_natural;
}

/* A column whose every cell is "-" says nothing on a screen. */
static bool column_empty(const struct row *rows, size_t n, enum column c)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].cells[c], "-") != 0)
			return false;
	return true;
}

/* The name gets what it needs up to NAME_MIN_COLUMNS, then the sparkline
 * its minimum, then the name the rest of its natural width, then the
 * sparkline all that is left; columns go in drop_order when even the
 * shortened name does not fit. */
static void fit_to(struct layout *l, const struct row *rows, size_t n, int width)
{
	int name_min = l->name_natural < NAME_MIN_COLUMNS ? l->name_natural : NAME_MIN_COLUMNS;
	size_t dropped = 0, droppable = sizeof(drop_order) / sizeof(drop_order[0]);
	int avail; /* for the name and the sparkline with its gap */

	for (int c = C_ID; c < C_HISTORY; c++)
		if (c != C_PID && column_empty(rows, n, c))
			l->width[c] = 0;
	if (l->width[C_CPUS] > CPUS_MAX_COLUMNS)
		l->width[C_CPUS] = CPUS_MAX_COLUMNS;
	/* OTHER (the I/O threads' wait) gives way to a name that would be cut */
	if (width - middle_width(l) - 1 - HISTORY_MIN < l->name_natural)
		l->width[C_OTHER] = 0;
	while ((avail = width - middle_width(l)) < name_min && dropped < droppable)
		l->width[drop_order[dropped++]] = 0;
	l->width[C_HISTORY] = 0;
	if (avail >= name_min + 1 + HISTORY_MIN) {
		l->width[C_NAME] = avail - 1 - HISTORY_MIN < l->name_natural ? avail - 1 - HISTORY_MIN : l->name_natural;
		l->width[C_HISTORY] = avail - 1 - l->width[C_NAME];
		if (l->width[C_HISTORY] > HISTORY_TICKS)
			l->width[C_HISTORY] = HISTORY_TICKS;
	} else {
		l->width[C_NAME] = max_int(avail < l->name_natural ? avail : l->name_natural, 1);
	}
}

/* --- rows ---------------------------------------------------------------- */

/* Numbers are right-aligned and always fit; the text columns are fitted,
 * cut with a marker when the screen gave them less. */
static int cell(struct buf *out, const char *text, enum column c, int width, bool utf8)
{
	if (c == C_CPUS)
		return cells_cpu_list(out, text, width, utf8);
	if (c == C_HELD)
		return cells_appendf(out, "%-*s", width, text);
	return c == C_ID ? width_fit(out, text, width, utf8) : cells_appendf(out, "%*s", width, text);
}

/* A row; the selected one in reverse video (not a colour: shown with NO_COLOR too). */
static int row_line(struct buf *out, const struct row *r, const struct layout *l, const struct table_view *v,
		    bool selected)
{
	size_t start = out->len;
	bool red = v->colour && r->vm->vcpu_count && r->vm->steal_avg > STEAL_RED;
	int err = red ? buf_append(out, "\033[31m", 5) : 0;

	if (!err && selected)
		err = buf_append(out, "\033[7m", 4);

	if (!err)
		err = width_fit(out, r->name[0] ? r->name : "-", l->width[C_NAME], v->utf8);
	for (int c = C_ID; c < C_HISTORY && !err; c++)
		if (l->width[c] > 0)
			err = buf_append(out, " ", 1) || cell(out, r->cells[c], (enum column)c, l->width[c], v->utf8);
	if (!err && l->width[C_HISTORY] > 0)
		err = buf_append(out, " ", 1) || cells_sparkline(out, r->history, l->width[C_HISTORY], v->utf8, v->width > 0);
	if (!selected) /* the selected row's reverse video spans the width */
		cells_trim_spaces(out, start);
	if (!err && (red || selected))
		err = buf_append(out, "\033[0m", 4);
	return err || buf_append(out, "\n", 1) ? -ENOMEM : 0;
}

static int header_line(struct buf *out, const struct layout *l)
{
	size_t start = out->len;
	int err = width_fit(out, headers[C_NAME], l->width[C_NAME], false);

	for (int c = C_ID; c < C_COUNT && !err; c++)
		if (l->width[c] > 0)
			err = cells_appendf(out, c == C_ID || c == C_HELD || c == C_CPUS || c == C_HISTORY ? " %-*s" : " %*s", l->width[c],
				      headers[c]);
	cells_trim_spaces(out, start);
	return err || buf_append(out, "\n", 1) ? -ENOMEM : 0;
}

/* --- the host summary ---------------------------------------------------- */

/* The mean vCPU's steal over the host, and (with cgroups) its two parts. */
static void host_means(const struct tick_figures *f, double *steal, double *cont, double *thr)
{
	double vcpus = 0, throttled_vcpus = 0;

	*steal = *cont = *thr = 0;
	for (size_t i = 0; i < f->vm_count; i++) {
		const struct vm_figures *vm = &f->vms[i];
		*steal += vm->steal_avg * (double)vm->vcpu_count;
		vcpus += (double)vm->vcpu_count;
		if (vm->has_throttle) {
			*cont += vm->contention_avg * (double)vm->vcpu_count;
			*thr += vm->throttled_avg * (double)vm->vcpu_count;
			throttled_vcpus += (double)vm->vcpu_count;
		}
	}
	*steal = vcpus > 0 ? *steal / vcpus : 0;
	*cont = throttled_vcpus > 0 ? *cont / throttled_vcpus : 0;
	*thr = throttled_vcpus > 0 ? *thr / throttled_vcpus : 0;
}

/* On a terminal it fits 80 columns for up to 99 CPUs, 99 VMs and 999
 * vCPUs; the time of day goes first when it does not fit, then the line is cut. */
static int host_line(struct buf *out, const struct tick_figures *f, const struct table_view *v)
{
	const struct host_figures *h = &f->host;
	char stamp[25], line[256];
	double steal, cont, thr;
	size_t n = 0;

	format_timestamp(&f->real, stamp);
	host_means(f, &steal, &cont, &thr);
	if (h->valid)
		n += (size_t)snprintf(line, sizeof(line), "%u CPUs %.0f%% busy, VMs %.0f%%; ", h->cpu_count,
				      100.0 - h->idle - h->iowait, h->vm_cpu);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%zu VMs %zu vCPUs; steal %.1f%%", f->vm_count,
			      f->vcpu_total, steal);
	if (f->cgroups_on && n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " cont %.1f thr %.1f", cont, thr);
	if (v->width == 0)
		return cells_appendf(out, "%s %s\n", stamp, line);
	if (9 + width_of(line, false) <= v->width)
		return cells_appendf(out, "%.8s %s\n", stamp + 11, line); /* HH:MM:SS */
	return width_cut(out, line, v->width, false) || buf_append(out, "\n", 1) ? -ENOMEM : 0;
}

/* --- the table ----------------------------------------------------------- */

/* "rows 1-20 of 31" (or, without keys, how many were left out), the filter,
 * the order, the keys. */
static int status_line(struct buf *out, size_t first, size_t fit, size_t n, const struct table_view *v)
{
	const struct table_nav *nav = v->nav;
	char line[320];
	size_t len = 0;

	if (nav)
		len += (size_t)snprintf(line, sizeof(line), "rows %zu-%zu of %zu  ", n ? first + 1 : 0, first + fit, n);
	else if (n > fit)
		len += (size_t)snprintf(line, sizeof(line), "%zu more VM%s not shown  ", n - fit, n - fit == 1 ? "" : "s");
	if (nav && (nav->editing || nav->filter[0]))
		len += (size_t)snprintf(line + len, sizeof(line) - len, "/%s%s  ", nav->filter, nav->editing ? "_" : "");
	snprintf(line + len, sizeof(line) - len, "sorted by %s  s: sort  %sq: quit", table_sort_name(v->sort),
		 nav ? "/: filter  ?: help  " : "");
	return width_cut(out, line, v->width, false);
}

/* The selected row's index: the chosen VM's, moved by the pending move, kept
 * within the rows; the first row shown follows it (both into shown). */
static size_t resolve_selection(const struct table_nav *nav, const struct row *rows, size_t n, size_t room,
				struct table_shown *shown)
{
	long at = 0;

	for (size_t i = 0; nav->chosen && i < n; i++)
		if (rows[i].vm->vm->pid == nav->pid && rows[i].vm->vm->starttime == nav->starttime)
			at = (long)i;
	at += nav->move;
	if (at >= (long)n)
		at = (long)n - 1;
	if (at < 0)
		at = 0;
	*shown = (struct table_shown){ .chosen = nav->chosen, .pid = nav->pid, .starttime = nav->starttime,
				       .top = nav->top, .rows = room };
	if (n > 0) {
		shown->chosen = true;
		shown->pid = rows[at].vm->vm->pid;
		shown->starttime = rows[at].vm->vm->starttime;
	}
	if ((size_t)at < shown->top)
		shown->top = (size_t)at;
	if (room > 0 && (size_t)at >= shown->top + room)
		shown->top = (size_t)at - room + 1;
	if (shown->top + room > n)
		shown->top = n > room ? n - room : 0;
	return (size_t)at;
}

void table_nav_follow(struct table_nav *nav, const struct table_shown *shown)
{
	nav->move = shown->move;
	nav->chosen = shown->chosen;
	nav->pid = shown->pid;
	nav->starttime = shown->starttime;
	nav->top = shown->top;
	nav->shown_rows = shown->rows;
}

/* The keys, for ? (or h). */
static int help_lines(struct buf *out, const struct table_view *v)
{
	static const char *const lines[] = {
		"kvmsteal: keys",
		"",
		"  Up, k / Down, j      select the VM above / below",
		"  PageUp / PageDown    a screen up / down",
		"  Home / End           the first / the last VM",
		"  Enter, Right         the selected VM's screen: its vCPUs, its other threads (Escape, Left: back)",
		"  /                    show only VMs whose name holds a text (Enter keeps it, Escape clears it)",
		"  s                    sort: MAX then STEAL, RUN, NAME, PID",
		"  ?, h                 this help (any key returns)",
		"  q, Ctrl-C            quit",
		"",
		"The selected VM is in reverse video; the last line says which rows are shown of how many.",
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]) && !err && (int)i + 1 < v->height; i++)
		err = width_cut(out, lines[i], v->width, false) || buf_append(out, "\n", 1);
	return err ? -ENOMEM : 0;
}

static int render_rows(struct buf *out, const struct row *rows, size_t n, const struct layout *l,
		       const struct table_view *v, int above, struct table_shown *shown)
{
	size_t fit = n, first = 0, selected = SIZE_MAX, taken = 3 + (size_t)above; /* summary, header, status */
	int err = header_line(out, l);

	if (v->width > 0) {
		size_t room = (size_t)v->height > taken ? (size_t)v->height - taken : 0;
		if (v->nav)
			selected = resolve_selection(v->nav, rows, n, room, shown);
		first = v->nav ? shown->top : 0;
		fit = n - first < room ? n - first : room;
	}
	for (size_t i = first; i < first + fit && !err; i++)
		err = row_line(out, &rows[i], l, v, i == selected);
	if (v->width == 0)
		return err || buf_append(out, "\n", 1) ? -ENOMEM : 0;
	for (size_t i = fit + taken; i < (size_t)v->height && !err; i++) /* the status on the window's last row */
		err = buf_append(out, "\n", 1);
	return err || status_line(out, first, fit, n, v) ? -ENOMEM : 0;
}

/* Keeps the rows whose name holds filter (ASCII case ignored); their count. */
static size_t filter_rows(struct row *rows, size_t n, const char *filter)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (!filter[0] || strcasestr(rows[i].vm->name, filter))
			rows[kept++] = rows[i];
	return kept;
}

/* Each row's name as shown to a person (names.h), in shown. */
static int shown_names(struct row *rows, size_t n, struct buf *shown)
{
	const char **names = calloc(n + 1, sizeof(*names));
	size_t *offs = calloc(n + 1, sizeof(*offs));
	int err = names && offs ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !err; i++)
		names[i] = rows[i].vm->name;
	err = err ? err : names_shown(names, n, shown, offs);
	for (size_t i = 0; i < n && !err; i++)
		rows[i].name = shown->data + offs[i];
	free(names);
	free(offs);
	return err;
}

int table_render(const struct tick_figures *f, const struct history *h, const struct table_view *v, struct buf *out,
		 struct table_shown *shown)
{
	struct table_shown unused;
	struct row *rows = calloc(f->vm_count + 1, sizeof(*rows));
	struct layout l = { .decimals = v->width > 0 ? 1 : 2 };
	struct buf names = { 0 };
	size_t mark = out->len, n;
	int err, strip = 0;

	if (!rows)
		return -ENOMEM;
	if (!shown)
		shown = &unused;
	if (v->nav) /* as it was, unless the rows below say otherwise */
		*shown = (struct table_shown){ .chosen = v->nav->chosen, .pid = v->nav->pid, .starttime = v->nav->starttime,
					       .top = v->nav->top, .rows = v->nav->shown_rows, .move = v->nav->move };
	for (size_t i = 0; i < f->vm_count; i++) {
		rows[i].vm = &f->vms[i];
		rows[i].history = h ? history_find(h, f->vms[i].vm->pid, f->vms[i].vm->starttime) : NULL;
		fill_cells(f, &rows[i], l.decimals);
	}
	if (shown_names(rows, f->vm_count, &names)) {
		free(rows);
		buf_free(&names);
		return -ENOMEM;
	}
	qsort_r(rows, f->vm_count, sizeof(*rows), compare_rows, (void *)&v->sort);
	n = v->nav ? filter_rows(rows, f->vm_count, v->nav->filter) : f->vm_count;
	natural_widths(rows, n, &l, v->utf8);
	if (v->width > 0)
		fit_to(&l, rows, n, v->width);
	else
		l.width[C_HISTORY] = h ? PIPED_HISTORY : 0;
	err = host_line(out, f, v);
	if (!err && v->nav && v->nav->help)
		err = help_lines(out, v);
	else if (!err && v->nav && v->nav->vm_open && v->nav->chosen && v->width > 0) {
		struct vmscreen_view s = { .width = v->width, .height = v->height, .utf8 = v->utf8, .pid = v->nav->pid,
					   .starttime = v->nav->starttime, .vcpu_history = v->vcpu_history };
		err = vmscreen_render(out, f, &s);
	}
	else if (!err && v->width > 0 && l.width[C_NAME] + middle_width(&l) > v->width)
		err = width_cut(out, "the window is too narrow", v->width, false); /* rather than rows that wrap */
	else if (!err && v->width > 0 && (err = strip_render(out, f, v->width, v->height, v->utf8, &strip)) == 0)
		err = render_rows(out, rows, n, &l, v, strip, shown);
	else if (!err)
		err = render_rows(out, rows, n, &l, v, 0, shown);
	free(rows);
	buf_free(&names);
	if (err)
		out->len = mark;
	return err ? -ENOMEM : 0;
}
