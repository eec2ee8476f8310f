/* libFuzzer target: the parsers of the cgroup and status files kvmsteal
 * reads (which cgroup a thread is in, cpu.max, cfs_quota_us, cpu.stat,
 * Cpus_allowed_list), each on the same bytes; what they accept must keep
 * their promises (an absolute path without ".." components, a limit above
 * zero, a CPU list of digits, '-' and ','). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *path)
{
	if (path[0] != '/' || strstr(path, "/../") || strstr(path, "/./"))
		abort();
	size_t n = strlen(path);
	if ((n >= 3 && strcmp(path + n - 3, "/..") == 0) || (n >= 2 && strcmp(path + n - 2, "/.") == 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct cgroup_ref ref;
	char cpus[CPU_LIST_MAX + 1];
	int64_t quota, value;
	uint64_t period, throttled;

	if (parse_proc_cgroup(buf, size, &ref) == 0)
		check_path(ref.path);
	if (parse_cpu_max(buf, size, &quota, &period) == 0 && ((quota <= 0 && quota != -1) || period == 0))
		abort();
	parse_cgroup_int(buf, size, &value);
	parse_cpu_stat(buf, size, "throttled_usec", &throttled);
	parse_cpu_stat(buf, size, "throttled_time", &throttled);
	if (parse_status_cpus(buf, size, cpus) == 0 && strspn(cpus, "0123456789-,") != strlen(cpus))
		abort();
	return 0;
}
