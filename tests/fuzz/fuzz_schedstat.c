/* libFuzzer target: the schedstat parser, and the vCPU thread-name parser
 * on the same bytes (both read short kernel text lines). */
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schedstat stat;
	struct vcpu_name vcpu;

	parse_schedstat((const char *)data, size, &stat);
	if (parse_vcpu_comm((const char *)data, size, &vcpu) && vcpu.id < 0)
		abort();
	return 0;
}
