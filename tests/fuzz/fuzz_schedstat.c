/* libFuzzer target: the schedstat parser, checked against strtoull whenever
 * it accepts a line, and the vCPU thread-name parser on the same bytes (both
 * read short kernel text lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "qemu_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schedstat stat;
	struct vcpu_name vcpu;

	if (parse_schedstat((const char *)data, size, &stat) == 0) {
		char *line = malloc(size + 1), *p = line;
		unsigned long long want[3];
		if (!line)
			abort();
		memcpy(line, data, size);
		line[size] = '\0';
		for (int i = 0; i < 3; i++)
			want[i] = strtoull(p, &p, 10);
		if (want[0] != stat.cpu_ns || want[1] != stat.wait_ns || want[2] != stat.timeslices)
			abort();
		free(line);
	}
	if (parse_vcpu_comm((const char *)data, size, &vcpu) && vcpu.id < 0)
		abort();
	return 0;
}
