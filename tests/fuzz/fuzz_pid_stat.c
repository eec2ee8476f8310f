/* libFuzzer target: the /proc/PID/stat parser.  The comm it returns is
 * always NUL-terminated within its 16 bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pid_stat stat;

	if (parse_pid_stat((const char *)data, size, &stat) == 0 && memchr(stat.comm, '\0', COMM_MAX) == NULL)
		abort();
	return 0;
}
