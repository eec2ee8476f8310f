/* table: one tick as a text table for a person: a host summary, a header,
 * one row per VM in the chosen order, worst steal first by default.
 *
 * Two forms.  Piped or redirected (width 0): every column, every VM, numbers
 * with two decimals, a blank line after each tick; no control sequence.  On a
 * terminal (width, height set): fitted to the window, numbers with one
 * decimal, empty columns left out, a sparkline of each VM's steal in the
 * space left, as many rows as fit and a last line saying how many VMs were
 * left out; colour (red: a VM above 10 % steal) only when asked. */
#ifndef KVMSTEAL_TABLE_H
#define KVMSTEAL_TABLE_H

#include <stdbool.h>

#include "history.h"
#include "rate.h"
#include "text.h"

enum table_sort { TABLE_SORT_STEAL, TABLE_SORT_RUN, TABLE_SORT_NAME, TABLE_SORT_PID, TABLE_SORT_COUNT };

/* Moving through the VMs on a terminal (the view's keys): the selected VM,
 * kept by identity from tick to tick, the first row shown, a name filter,
 * the help screen.  table_render resolves a pending move and keeps the
 * selection in view. */
#define TABLE_FILTER_MAX 64
struct table_nav {
	bool chosen;                     /* a VM was selected (else the first row is) */
	int pid;
	uint64_t starttime;
	long move;                       /* rows to move the selection by, at the next render */
	size_t top;                      /* the first row shown */
	char filter[TABLE_FILTER_MAX];   /* a substring of the name (ASCII case ignored); "" none */
	bool editing;                    /* the filter is being typed */
	bool help;                       /* the help screen instead of the table */
	bool vm_open;                    /* the selected VM's screen instead of the table */
	size_t shown_rows;               /* the last render: rows that fit, for a page */
};

struct table_view {
	int width;  /* columns; 0: the piped form */
	int height; /* rows (terminal form) */
	bool utf8;  /* LC_CTYPE is UTF-8: names as they are, the sparkline in blocks */
	bool colour;
	enum table_sort sort;
	struct table_nav *nav; /* terminal form with keys; NULL: no selection */
	const struct vcpu_history *vcpu_history; /* the selected VM's vCPUs, for its screen; may be NULL */
};

const char *table_sort_name(enum table_sort sort);

/* Appends the tick's table to out; history may be NULL.  0 or -ENOMEM. */
int table_render(const struct tick_figures *figures, const struct history *history, const struct table_view *view,
		 struct buf *out);

#endif
