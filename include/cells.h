/* cells: a VM's figures as text for a person, the pieces the VM list
 * (table.c) and the VM screen (vmscreen.c) both print: the worst vCPU, a
 * wait per run in five columns, a sparkline of steal, a CPU list fitted to
 * a column, a name made visible (names.h). */
#ifndef KVMSTEAL_CELLS_H
#define KVMSTEAL_CELLS_H

#include <stdbool.h>

#include "history.h"
#include "parse.h"
#include "rate.h"
#include "text.h"

#define CELL_BYTES (CPU_LIST_MAX + 1) /* the longest cell: a Cpus_allowed_list */
#define HISTORY_MIN 8                 /* a sparkline narrower than this is left out */

/* printf into out, at most 511 bytes.  0 or -errno. */
int cells_appendf(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The vCPU with the most steal (where the VM suffers, and its pinning); NULL without vCPUs. */
const struct vcpu_figures *cells_worst_vcpu(const struct tick_figures *f, const struct vm_figures *vm);

/* A wait per run in 5 columns: "850us", "3.9ms", "120ms", "1.5s", "12s". */
void cells_wait(char cell[CELL_BYTES], double us);

/* The steal of h's last columns ticks, oldest first, in eight levels on a
 * scale that makes 1 % visible and 10 % (the alerts' threshold) the step
 * from the fourth to the fifth; blocks, or ASCII; padded on the left to
 * columns when asked.  h may be NULL (nothing yet). */
int cells_sparkline(struct buf *out, const struct vm_history *h, int columns, bool utf8, bool pad_left);

/* A CPU list in width columns; a longer one keeps its first whole entries
 * and a marker ("0,2,4,…"), never half a number. */
int cells_cpu_list(struct buf *out, const char *list, int width, bool utf8);

/* Drops the spaces at the end of out after from (a left-aligned last column). */
void cells_trim_spaces(struct buf *out, size_t from);

/* A name from /proc as a person may see it (names.h): fitted to columns
 * (padded, cut in its middle) or, not padded, cut at columns. */
int cells_visible(struct buf *out, const char *name, int columns, bool utf8, bool pad);

#endif
