#include "format.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void format_timestamp(const struct timespec *real, char out[25])
{
	struct tm tm;
	time_t seconds = real->tv_sec;
	unsigned millis = (unsigned)(real->tv_nsec / 1000000) % 1000;

	gmtime_r(&seconds, &tm);
	if (strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		memcpy(out, "1970-01-01T00:00:00", 20);
	out[19] = '.';
	out[20] = (char)('0' + millis / 100);
	out[21] = (char)('0' + millis / 10 % 10);
	out[22] = (char)('0' + millis % 10);
	out[23] = 'Z';
	out[24] = '\0';
}

static char *format_uint(uint64_t value, char *end)
{
	*--end = '\0';
	do {
		*--end = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	return end;
}

/* "%.2f" without printf's cost (it was the largest part of a tick).  The
 * result is the same: only a value whose hundredfold lies within 1e-6 of a
 * half can round either way, and that one is left to printf. */
void format_pct(double value, char out[40])
{
	double scaled, whole, frac;
	uint64_t cents;
	char digits[24], *p;

	if (!isfinite(value) || value < 0)
		value = 0;
	if (value > 1e9)
		value = 1e9;
	scaled = value * 100.0;
	whole = floor(scaled);
	frac = scaled - whole;
	if (scaled >= 1e7 || fabs(frac - 0.5) < 1e-6) {
		snprintf(out, 40, "%.2f", value);
		return;
	}
	cents = (uint64_t)whole + (frac > 0.5);
	p = format_uint(cents / 100, digits + sizeof(digits) - 3);
	digits[sizeof(digits) - 4] = '.';
	digits[sizeof(digits) - 3] = (char)('0' + cents % 100 / 10);
	digits[sizeof(digits) - 2] = (char)('0' + cents % 10);
	digits[sizeof(digits) - 1] = '\0';
	memcpy(out, p, (size_t)(digits + sizeof(digits) - p));
}

void format_int(long long value, char out[FORMAT_TEXT])
{
	char digits[24];
	uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
	char *text = format_uint(magnitude, digits + sizeof(digits));

	if (value < 0)
		*--text = '-';
	memcpy(out, text, (size_t)(digits + sizeof(digits) - text));
}
