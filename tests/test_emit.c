/* Unit tests of the record formatting: percentages as printf's "%.2f" would
 * write them (ties included), timestamps. */
#include <stdint.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "emit.h"

static bool same_as_printf(double value)
{
	char fast[40], slow[40];

	emit_format_pct(value, fast);
	snprintf(slow, sizeof(slow), "%.2f", value);
	return strcmp(fast, slow) == 0;
}

static void pct_matches_printf_on_ties_and_edges(void)
{
	/* exact binary halves (k/8) and values one ulp around them */
	for (int k = 0; k < 8000; k++) {
		double v = k / 800.0;
		CHECK(same_as_printf(v));
		CHECK(same_as_printf(nextafter(v, 0)));
		CHECK(same_as_printf(nextafter(v, 1e9)));
	}
	CHECK(same_as_printf(0.125) && same_as_printf(0.375) && same_as_printf(2.675) && same_as_printf(1.005));
	CHECK(same_as_printf(99.995) && same_as_printf(99.99499999) && same_as_printf(100.0));
	CHECK(same_as_printf(51200.0) && same_as_printf(123456.789) && same_as_printf(9.999e8));
}

static void pct_matches_printf_on_random_values(void)
{
	uint64_t x = 88172645463325252ULL;
	int mismatches = 0;

	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		double v = (double)(x % 100000000ULL) / 1000000.0 * ((i % 3) ? 1.0 : 100.0);
		mismatches += !same_as_printf(v);
	}
	CHECK(mismatches == 0);
}

static void pct_clamps_what_is_not_a_percentage(void)
{
	char out[40];

	emit_format_pct(-0.001, out);
	CHECK_STR(out, "0.00");
	emit_format_pct(NAN, out);
	CHECK_STR(out, "0.00");
	emit_format_pct(INFINITY, out);
	CHECK_STR(out, "0.00");
}

static void timestamp_is_utc_with_milliseconds(void)
{
	struct timespec t = { .tv_sec = 1780315210, .tv_nsec = 999999999 };
	char out[25];

	emit_format_timestamp(&t, out);
	CHECK_STR(out, "2026-06-01T12:00:10.999Z");
	t.tv_nsec = 5000000;
	emit_format_timestamp(&t, out);
	CHECK_STR(out, "2026-06-01T12:00:10.005Z");
}

int main(void)
{
	RUN(pct_matches_printf_on_ties_and_edges);
	RUN(pct_matches_printf_on_random_values);
	RUN(pct_clamps_what_is_not_a_percentage);
	RUN(timestamp_is_utc_with_milliseconds);
	return check_report("test_emit");
}
