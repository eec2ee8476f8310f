/* strip: under the live view's summary, each host CPU's busy share and the
 * VMs' part of it, as two rows of blocks (▁ under 12.5 %, █ 87.5 % and
 * more); a host with more CPUs than columns shows the busiest CPU of each
 * group, so that folding never hides a hot CPU. */
#ifndef KVMSTEAL_STRIP_H
#define KVMSTEAL_STRIP_H

#include <stdbool.h>

#include "rate.h"
#include "text.h"

#define STRIP_MIN_HEIGHT 12 /* a smaller window keeps its rows for VMs */

/* Appends the strip for a window of width x height (none below
 * STRIP_MIN_HEIGHT rows, or without per-CPU figures); *lines gets the
 * lines it took.  0 or -ENOMEM. */
int strip_render(struct buf *out, const struct tick_figures *f, int width, int height, bool utf8, int *lines);

#endif
