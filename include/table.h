/* table: one tick as a compact text table, for someone at a terminal
 * (--format text): a host line, then one line per VM, the worst steal first. */
#ifndef KVMSTEAL_TABLE_H
#define KVMSTEAL_TABLE_H

#include "rate.h"
#include "text.h"

/* Appends the tick's table to out.  0 or -ENOMEM. */
int table_tick(const struct tick_figures *figures, struct buf *out);

#endif
