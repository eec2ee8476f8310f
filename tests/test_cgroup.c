/* cgroup.c on a fake cgroup v1 tree: when a watched cgroup's throttled
 * counter is read (its first two samples; limited and its vCPUs waited at
 * least quiet_ns; once after a limit went) and what a sample says when it
 * was not: the last reading held, and growth found later placed in its
 * interval only within what the vCPUs waited there. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "check.h"

#define MS 1000000ULL

static char root[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpu/vm/%s", root, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0)
		perror(path);
	if (f)
		fclose(f);
}

static void throttled(unsigned long long ns)
{
	char text[128];

	snprintf(text, sizeof(text), "nr_periods 10\nnr_throttled 2\nthrottled_time %llu\n", ns);
	put("cpu.stat", text);
}

struct run {
	struct cgroup_set set;
	struct cgroup_links links;
	struct cgroup_sample *samples;
	size_t count, cap;
	struct buf names;
};

/* One sample with the vCPU's wait since the last; the sample of the VM's cgroup. */
static struct cgroup_sample take(struct run *r, uint64_t waited_ns)
{
	cgroup_mark(&r->set, &r->links, waited_ns);
	r->names.len = 0;
	CHECK(cgroup_sample_all(&r->set, &r->samples, &r->count, &r->cap, &r->names, 10, 1 * MS) == 0);
	return r->samples[r->links.ids[0]];
}

static void test_when_the_counter_is_read(void)
{
	struct cgroup_ref ref = { .v1 = true, .controllers = "cpu", .path = "/vm" };
	struct run r = { 0 };
	struct cgroup_sample s;
	char dir[128];

	strcpy(root, "/tmp/kvmsteal-cgroup.XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	snprintf(dir, sizeof(dir), "%s/cpu", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/cpu/vm", root);
	mkdir(dir, 0755);
	put("cpu.cfs_quota_us", "50000\n");
	put("cpu.cfs_period_us", "100000\n");
	throttled(0);
	CHECK(cgroup_set_open(&r.set, root) == 0);
	cgroup_link(&r.set, &ref, &r.links);
	CHECK(r.links.known && r.links.count == 1);

	s = take(&r, UINT64_MAX); /* a new thread: its wait is not known */
	CHECK(s.valid && s.limit_cpus == 0.5 && s.throttled_ns == 0);
	throttled(3 * MS);
	s = take(&r, 0); /* the second sample reads whatever the wait */
	CHECK(s.valid && s.throttled_ns == 3 * MS && !s.unplaced);

	throttled(5 * MS);
	s = take(&r, 0); /* no wait: not read, the last reading held */
	CHECK(s.valid && s.throttled_ns == 3 * MS && !s.unplaced);
	s = take(&r, MS / 2); /* under quiet_ns (1 ms): not read */
	CHECK(s.valid && s.throttled_ns == 3 * MS);
	throttled(8 * MS);
	s = take(&r, 6 * MS); /* read: 5 ms grew since, within the 6 ms waited */
	CHECK(s.valid && s.throttled_ns == 8 * MS && !s.unplaced);
	s = take(&r, 2 * MS); /* read every tick while they wait: nothing stale */
	CHECK(s.throttled_ns == 8 * MS && !s.unplaced);

	s = take(&r, 0);
	throttled(30 * MS);
	s = take(&r, 2 * MS); /* 22 ms grew while not read, but only 2 ms were waited here */
	CHECK(s.valid && s.throttled_ns == 30 * MS && s.unplaced);

	put("cpu.cfs_quota_us", "-1\n"); /* the limit goes: seen within two samples */
	throttled(32 * MS);
	s = take(&r, 0);
	if (s.limit_cpus != 0)
		s = take(&r, 0);
	CHECK(s.limit_cpus == 0 && s.throttled_ns == 32 * MS); /* read once as it went, though nothing waited */
	throttled(40 * MS); /* (a counter cannot grow without a limit: not read again) */
	s = take(&r, 50 * MS);
	CHECK(s.valid && s.limit_cpus == 0 && s.throttled_ns == 32 * MS);
	put("cpu.cfs_quota_us", "20000\n"); /* a limit set: seen at the next sample (read every sample while none) */
	s = take(&r, 50 * MS);
	CHECK(s.limit_cpus == 0.2 && s.throttled_ns == 40 * MS);

	free(r.samples);
	buf_free(&r.names);
	cgroup_set_free(&r.set);
	snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
	CHECK(system(dir) == 0);
}

int main(void)
{
	RUN(test_when_the_counter_is_read);
	return check_report("test_cgroup");
}
