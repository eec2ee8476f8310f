/* diag: diagnostics on stderr, one line each, prefixed "kvmsteal: ".
 * Metrics never go here; messages never go to the output. */
#ifndef KVMSTEAL_DIAG_H
#define KVMSTEAL_DIAG_H

#include <stdbool.h>
#include <time.h>

void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message that repeats (full disk, unreadable root) is printed at most once
 * per period; the caller keeps the limiter.  Returns true when it printed. */
struct diag_limit {
	time_t last;
	unsigned suppressed;
};

bool diag_limited(struct diag_limit *limit, int period_s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
