/* A minimal test runner: CHECK records a failure and goes on, RUN names the
 * test, main() returns non-zero when anything failed. */
#ifndef KVMSTEAL_TESTS_CHECK_H
#define KVMSTEAL_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;
static const char *check_current = "?";

#define CHECK(cond)                                                                  \
	do {                                                                         \
		check_count++;                                                       \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__,   \
				__LINE__, check_current, #cond);                     \
			check_failures++;                                            \
		}                                                                    \
	} while (0)

#define CHECK_STR(got, want) CHECK((got) != NULL && strcmp((got), (want)) == 0)

/* Length of a string literal that may hold NULs, without its final NUL. */
#define BYTES(lit) (lit), (sizeof(lit) - 1)

#define RUN(test)                      \
	do {                           \
		check_current = #test; \
		test();                \
	} while (0)

static inline int check_report(const char *suite)
{
	printf("%s: %d checks, %d failed\n", suite, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
