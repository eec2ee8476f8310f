/* libFuzzer target: the /proc/stat parsers.  A success always counts at
 * least one CPU, and the per-CPU lines (as many as counted) come in
 * ascending ids; every CPU list formatted from a mask parses back to it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_stat host;
	struct cpu_line lines[64];
	unsigned char mask[8], back[8];
	char list[CPU_LIST_MAX + 1];
	int n;

	if (parse_proc_stat((const char *)data, size, &host) == 0) {
		if (host.cpu_count == 0)
			abort();
		n = parse_proc_stat_cpus((const char *)data, size, lines, 64);
		if (n >= 0 && host.cpu_count <= 64 && (unsigned)n != host.cpu_count)
			abort();
		for (int i = 1; i < n; i++)
			if (lines[i].id <= lines[i - 1].id)
				abort();
	}
	memset(mask, 0, sizeof(mask));
	memcpy(mask, data, size < sizeof(mask) ? size : sizeof(mask));
	if (format_cpu_list(mask, 64, list) == 0 &&
	    (parse_cpu_list(list, back, 64) != 0 || memcmp(mask, back, sizeof(mask)) != 0))
		abort();
	return 0;
}
