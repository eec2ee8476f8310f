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

/* "%.Nf" (N = decimals, 1 to 6) without printf's cost (printing was the
 * largest part of a tick).  The result is the same: only a value whose
 * 10^N-fold lies within 1e-6 of a half can round either way, and that one
 * is left to printf, as is a value past 1e7 units. */
void format_fixed(double value, int decimals, char out[FORMAT_TEXT])
{
	static const double scales[] = { 1, 10, 100, 1000, 1e4, 1e5, 1e6 };
	double scaled, whole, frac;
	uint64_t units;
	char digits[32], *p = digits + sizeof(digits);

	if (decimals < 1 || decimals > 6)
		decimals = 2;
	if (!isfinite(value) || value < 0)
		value = 0;
	if (value > 1e9)
		value = 1e9;
	scaled = value * scales[decimals];
	whole = floor(scaled);
	frac = scaled - whole;
	if (scaled >= 1e7 || fabs(frac - 0.5) < 1e-6) {
		snprintf(out, FORMAT_TEXT, "%.*f", decimals, value);
		return;
	}
	units = (uint64_t)whole + (frac > 0.5);
	*--p = '\0';
	for (int i = 0; i < decimals; i++, units /= 10)
		*--p = (char)('0' + units % 10);
	*--p = '.';
	do {
		*--p = (char)('0' + units % 10);
		units /= 10;
	} while (units);
	memcpy(out, p, (size_t)(digits + sizeof(digits) - p));
}

void format_pct(double value, char out[FORMAT_TEXT])
{
	format_fixed(value, 2, out);
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
