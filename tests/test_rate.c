/* rate.c on snapshots built by hand: exact figures from two samples, the
 * identities that must not be paired, and the cgroup cases of a run where
 * the host changes (a limit set within the interval, a vCPU moved). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rate.h"

#define NS 1000000000ULL
#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* A VM of pid with threads: {tid, vcpu_id, cpu_ns, wait_ns}, starttime 100. */
struct t { int tid, vcpu; uint64_t cpu, wait; };

static struct vm_sample *vm(struct snapshot *s, int pid, const char *name, const struct t *threads, size_t n,
			    const struct cgroup_links *cg)
{
	struct vm_sample *v = snapshot_add_vm(s, name, strlen(name));

	v->pid = pid;
	v->starttime = 100;
	v->vcpu_source = VCPU_SOURCE_COMM;
	for (size_t i = 0; i < n; i++) {
		struct thread_sample ts = { .tid = threads[i].tid, .vcpu_id = threads[i].vcpu, .starttime = 100,
					    .cpu_ns = threads[i].cpu, .wait_ns = threads[i].wait, .cpus_off = NO_TEXT };
		if (cg)
			ts.cg = *cg;
		snapshot_add_thread(s, &ts);
	}
	return &s->vms[s->vm_count - 1];
}

static void pair(struct snapshot *a, struct snapshot *b, double seconds)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->mono_s = 100.0;
	b->mono_s = 100.0 + seconds;
}

static void steal_run_and_others(void)
{
	struct snapshot a, b;
	struct tick_figures f = { 0 };
	const struct t t0[] = { { 10, VCPU_NONE, 0, 0 }, { 11, 0, 0, 0 }, { 12, 1, 0, NS } };
	const struct t t1[] = { { 10, VCPU_NONE, NS / 10, NS / 20 }, { 11, 0, 4 * NS, NS }, { 12, 1, 2 * NS, 4 * NS } };

	pair(&a, &b, 10.0);
	vm(&a, 10, "a", t0, 3, NULL);
	vm(&b, 10, "a", t1, 3, NULL);
	CHECK(rate_compute(&a, &b, 100, &f) == 0);
	CHECK(f.vm_count == 1 && f.vms[0].vcpu_count == 2 && f.vms[0].other_count == 1);
	CHECK(NEAR(f.vcpus[0].steal_pct, 10.0) && NEAR(f.vcpus[1].steal_pct, 30.0));
	CHECK(NEAR(f.vcpus[0].run_pct, 40.0) && NEAR(f.vcpus[1].run_pct, 20.0));
	CHECK(NEAR(f.vms[0].steal_avg, 20.0) && NEAR(f.vms[0].steal_max, 30.0) && NEAR(f.vms[0].run_avg, 30.0));
	CHECK(NEAR(f.vms[0].other_wait_pct, 0.5));
	CHECK(!f.vms[0].has_throttle); /* cgroups not read */
	tick_figures_free(&f);
	snapshot_free(&a);
	snapshot_free(&b);
}

/* A TID reused by another thread (new starttime), a counter that went
 * backwards, a PID reused by another VM: no figure from either pair. */
static void identities_not_paired(void)
{
	struct snapshot a, b;
	struct tick_figures f = { 0 };
	const struct t t0[] = { { 21, 0, NS, NS }, { 22, 1, NS, NS } };
	const struct t t1[] = { { 21, 0, 2 * NS, 2 * NS }, { 22, 1, NS, NS / 2 } };

	pair(&a, &b, 10.0);
	vm(&a, 20, "b", t0, 2, NULL);
	vm(&b, 20, "b", t1, 2, NULL);
	b.threads[0].starttime = 999; /* TID 21 is another thread now */
	vm(&a, 30, "c", t0, 2, NULL);
	vm(&b, 30, "c", t1, 2, NULL)->starttime = 555; /* PID 30 is another VM now */
	CHECK(rate_compute(&a, &b, 100, &f) == 0);
	/* VM 20: vCPU 0 is another thread, vCPU 1 went backwards: no vCPU has figures, so
	 * (its vCPU threads being known) it has no record this tick; VM 30 is new */
	CHECK(f.vm_count == 0);
	tick_figures_free(&f);
	snapshot_free(&a);
	snapshot_free(&b);
}

/* One cgroup per snapshot at slot 0 ("vm"), limited or not, throttled so far. */
static void cgroup(struct snapshot *s, const char *path, double limit, uint64_t throttled)
{
	s->cgroups_on = true;
	s->cgroups = calloc(1, sizeof(*s->cgroups));
	s->cgroup_count = s->cgroup_cap = 1;
	s->cgroups[0] = (struct cgroup_sample){ .path_off = s->names.len, .valid = true, .throttled_ns = throttled,
						 .limit_cpus = limit };
	buf_append(&s->names, path, strlen(path) + 1);
}

static void limit_set_within_the_interval(void)
{
	struct snapshot a, b;
	struct tick_figures f = { 0 };
	struct cgroup_links cg = { .known = true, .count = 1 };
	const struct t t0[] = { { 41, 0, 0, 0 }, { 42, 1, 0, 0 } };
	const struct t t1[] = { { 41, 0, NS, 6 * NS }, { 42, 1, NS, 2 * NS } };

	pair(&a, &b, 10.0);
	vm(&a, 40, "d", t0, 2, &cg);
	vm(&b, 40, "d", t1, 2, &cg);
	cgroup(&a, "machine/d", 0, 0);         /* no limit at the start */
	cgroup(&b, "machine/d", 0.5, 5 * NS);  /* 0.5 CPU set within: 5 s throttled since */
	CHECK(rate_compute(&a, &b, 100, &f) == 0);
	CHECK(f.vm_count == 1 && f.vms[0].has_throttle);
	CHECK(NEAR(f.vms[0].steal_avg, 40.0) && NEAR(f.vms[0].throttled_avg, 25.0) && NEAR(f.vms[0].contention_avg, 15.0));
	CHECK(NEAR(f.vms[0].limit_cpus, 0.5) && f.vms[0].throttled_ns == 5 * NS);
	tick_figures_free(&f);
	snapshot_free(&a);
	snapshot_free(&b);
}

static void limit_removed_within_the_interval(void)
{
	struct snapshot a, b;
	struct tick_figures f = { 0 };
	struct cgroup_links cg = { .known = true, .count = 1 };
	const struct t t0[] = { { 51, 0, 0, 0 } };
	const struct t t1[] = { { 51, 0, NS, 3 * NS } };

	pair(&a, &b, 10.0);
	vm(&a, 50, "e", t0, 1, &cg);
	vm(&b, 50, "e", t1, 1, &cg);
	cgroup(&a, "machine/e", 0.3, NS);
	cgroup(&b, "machine/e", 0, 3 * NS); /* removed: what it throttled before still counts */
	CHECK(rate_compute(&a, &b, 100, &f) == 0);
	CHECK(f.vm_count == 1 && f.vms[0].has_throttle && NEAR(f.vms[0].throttled_avg, 20.0));
	CHECK(f.vms[0].limit_cpus == 0); /* no limit now */
	CHECK(f.vcpus[0].has_throttled && NEAR(f.vcpus[0].throttled_pct, 20.0)); /* its own, limited at the start */
	tick_figures_free(&f);
	snapshot_free(&a);
	snapshot_free(&b);
}

static void moved_within_the_interval(void)
{
	struct snapshot a, b;
	struct tick_figures f = { 0 };
	struct cgroup_links cg = { .known = true, .count = 1 };
	const struct t t0[] = { { 61, 0, 0, 0 } };
	const struct t t1[] = { { 61, 0, NS, 3 * NS } };

	pair(&a, &b, 10.0);
	vm(&a, 60, "f", t0, 1, &cg);
	vm(&b, 60, "f", t1, 1, &cg);
	cgroup(&a, "machine/f", 0, 0);
	cgroup(&b, "limited/f", 0.3, 0); /* the same slot, another cgroup: the thread moved */
	CHECK(rate_compute(&a, &b, 100, &f) == 0);
	CHECK(f.vm_count == 1 && NEAR(f.vms[0].steal_avg, 30.0));
	CHECK(!f.vms[0].has_throttle); /* neither path's counters cover the interval: no split */
	tick_figures_free(&f);
	snapshot_free(&a);
	snapshot_free(&b);
}

int main(void)
{
	RUN(steal_run_and_others);
	RUN(identities_not_paired);
	RUN(limit_set_within_the_interval);
	RUN(limit_removed_within_the_interval);
	RUN(moved_within_the_interval);
	return check_report("test_rate");
}
