/* view: --format text for a person.  On a terminal (standard output a tty,
 * no --output) the table is redrawn in place each tick, fitted to the window
 * (live); anywhere else it is printed tick after tick, as a log.
 *
 * The view decides the text's form once at start: UTF-8 when the user's
 * locale is (LC_CTYPE is then set to C.UTF-8, so that wcwidth measures names
 * the same whatever the language), colour only live and without NO_COLOR
 * (no-color.org) or TERM=dumb. */
#ifndef KVMSTEAL_VIEW_H
#define KVMSTEAL_VIEW_H

#include <stdbool.h>

#include "history.h"
#include "rate.h"
#include "screen.h"
#include "table.h"
#include "text.h"

struct view {
	bool live;
	struct table_view table;
	struct table_nav nav;      /* live: the selection, the filter, the help screen */
	struct history history;
	struct vcpu_history vcpu_history; /* the selected VM's vCPUs, for its screen */
	struct screen screen;
	struct buf frame;          /* the last live frame */
	const struct tick_figures *shown; /* what the last frame showed, for redraws */
};

/* live: draw on the terminal at out_fd (keys from in_fd), and handle Ctrl-Z
 * from now on (the terminal given back first).  0 or -errno. */
int view_open(struct view *v, bool live, int in_fd, int out_fd, double interval_s);

/* The tick's table: appended to out (not live), or drawn (live).  figures
 * stay valid until the next tick.  0, -ENOMEM, or -EIO when the terminal is gone. */
int view_tick(struct view *v, const struct tick_figures *figures, struct buf *out);

/* Waits up to left_s seconds for the terminal (live only): keys are acted
 * on as they come (q quits, s sorts, the arrows, j/k, PageUp/PageDown and
 * Home/End move the selection, Enter or Right opens the selected VM's
 * screen and Escape or Left closes it, / filters by name, ? or h shows the keys),
 * a window resized (SIGWINCH) is redrawn,
 * Ctrl-Z (SIGTSTP) gives the terminal back until SIGCONT.  Returns 0, or
 * VIEW_QUIT when the agent should end (q, or the terminal is gone). */
#define VIEW_QUIT 1
int view_wait(struct view *v, double left_s);

/* Gives the terminal back (live); the last frame stays on the screen when
 * keep_last (the run ended by --count). */
void view_close(struct view *v, bool keep_last);

#endif
