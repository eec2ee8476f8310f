/* format: numbers and times as the records print them, without printf's
 * cost on the per-record path (formatting was the largest part of a tick). */
#ifndef KVMSTEAL_FORMAT_H
#define KVMSTEAL_FORMAT_H

#include <time.h>

#define FORMAT_TEXT 40 /* "%.2f" of at most 1e9, or a 64-bit integer, with its NUL */

/* value as "%.Nf" would print it, N = decimals (1 to 6); negative, NaN: 0. */
void format_fixed(double value, int decimals, char out[FORMAT_TEXT]);

/* A percentage as "%.2f" would print it (negative, NaN: "0.00"). */
void format_pct(double value, char out[FORMAT_TEXT]);

/* A decimal integer. */
void format_int(long long value, char out[FORMAT_TEXT]);

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) into out[25]. */
void format_timestamp(const struct timespec *real, char out[25]);

#endif
