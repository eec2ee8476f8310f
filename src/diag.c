#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

static void vdiag(const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "kvmsteal: %s\n", line);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
}

bool diag_limited(struct diag_limit *limit, int period_s, const char *fmt, ...)
{
	struct timespec now;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (limit->last != 0 && now.tv_sec - limit->last < period_s) {
		limit->suppressed++;
		return false;
	}
	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
	if (limit->suppressed)
		diag("(this message was held back %u time%s since it was last shown)", limit->suppressed,
		     limit->suppressed == 1 ? "" : "s");
	limit->last = now.tv_sec ? now.tv_sec : 1;
	limit->suppressed = 0;
	return true;
}
