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

/* Moving through the VMs on a terminal: the view owns it and changes it
 * with its keys; table_render only reads it (the selection, kept by
 * identity from tick to tick, a pending move, the first row shown, a name
 * filter, the help screen) and says in a table_shown what it showed, which
 * the view keeps with table_nav_follow. */
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

/* What a render showed: the selected VM (the pending move applied, kept
 * within the rows), the first row shown, how many rows fit. */
struct table_shown {
	bool chosen;                     /* a row was selected */
	int pid;
	uint64_t starttime;
	size_t top;
	size_t rows;
	long move;                       /* the part of the pending move not done (no rows shown) */
};

/* The view's navigation after a render: the move done, the selection and the
 * first row as shown. */
void table_nav_follow(struct table_nav *nav, const struct table_shown *shown);

struct table_view {
	int width;  /* columns; 0: the piped form */
	int height; /* rows (terminal form) */
	bool utf8;  /* LC_CTYPE is UTF-8: names as they are, the sparkline in blocks */
	bool colour;
	enum table_sort sort;
	const struct table_nav *nav; /* terminal form with keys; NULL: no selection */
	const struct vcpu_history *vcpu_history; /* the selected VM's vCPUs, for its screen; may be NULL */
};

const char *table_sort_name(enum table_sort sort);

/* Appends the tick's table to out; history may be NULL; with a nav, what
 * was shown goes to shown (may be NULL).  0 or -ENOMEM. */
int table_render(const struct tick_figures *figures, const struct history *history, const struct table_view *view,
		 struct buf *out, struct table_shown *shown);

#endif
