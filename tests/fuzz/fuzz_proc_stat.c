/* libFuzzer target: the /proc/stat parser.  A success always counts at
 * least one CPU. */
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_stat host;

	if (parse_proc_stat((const char *)data, size, &host) == 0 && host.cpu_count == 0)
		abort();
	return 0;
}
