/* loop: the agent's run, one tick per interval on absolute monotonic
 * deadlines (sample, compute against the previous sample, emit, write),
 * until --count ticks, SIGTERM/SIGINT, q in the live view, or a reader that
 * went away.  Between ticks it waits for the deadline, the signals and, live,
 * the terminal (the view handles its keys, resizes and Ctrl-Z).
 *
 * main() opens what a run holds into struct agent, calls loop_first_sample
 * and loop_run, and frees it all in one place. */
#ifndef KVMSTEAL_LOOP_H
#define KVMSTEAL_LOOP_H

#include <stdbool.h>

#include "diag.h"
#include "emit.h"
#include "options.h"
#include "output.h"
#include "prom.h"
#include "rate.h"
#include "sample.h"
#include "snapshot.h"
#include "text.h"
#include "view.h"

struct agent {
	struct options options;
	int root_fd;
	struct output output;
	struct sampler *sampler;
	struct snapshot snaps[2];
	int prev;                 /* the slot of the previous sample */
	struct tick_figures figures;
	struct buf lines;
	struct emitter *emitter;
	struct prom_state prom;
	struct view view;
	bool ended_by_count;
	long clk_tck;
	struct diag_limit sample_limit, overrun_limit, stopped_limit;
};

/* The baseline sample.  0, or -ENOMEM. */
int loop_first_sample(struct agent *a);

/* Ticks until the run ends; the exit status (0, EX_IOERR when a FIFO's
 * reader left, EX_OSERR when out of memory). */
int loop_run(struct agent *a);

/* Why a file cannot be opened, in the words an operator needs. */
const char *loop_open_error(int err);

#endif
