#include "rate.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* A counter that went backwards gives no delta rather than a negative one. */
static uint64_t delta(uint64_t cur, uint64_t prev)
{
	return cur > prev ? cur - prev : 0;
}

/* Guest time is inside user time (account_guest_time() adds to both):
 * the part of user that is not guest, never below 0, as mpstat does. */
static uint64_t delta_without(uint64_t cur, uint64_t cur_part, uint64_t prev, uint64_t prev_part)
{
	uint64_t now = cur > cur_part ? cur - cur_part : 0;
	uint64_t before = prev > prev_part ? prev - prev_part : 0;
	return delta(now, before);
}

static double percent_of(uint64_t part, uint64_t whole)
{
	return 100.0 * (double)part / (double)whole;
}

static void compute_host(const struct snapshot *prev, const struct snapshot *cur,
			 struct host_figures *out)
{
	const struct cpu_times *a = &prev->host.cpu, *b = &cur->host.cpu;
	uint64_t user = delta_without(b->user, b->guest, a->user, a->guest);
	uint64_t nice = delta_without(b->nice, b->guest_nice, a->nice, a->guest_nice);
	uint64_t system = delta(b->system, a->system), idle = delta(b->idle, a->idle);
	uint64_t iowait = delta(b->iowait, a->iowait), irq = delta(b->irq, a->irq);
	uint64_t softirq = delta(b->softirq, a->softirq), steal = delta(b->steal, a->steal);
	uint64_t guest = delta(b->guest, a->guest), guest_nice = delta(b->guest_nice, a->guest_nice);
	/* guest and guest_nice are already inside user and nice */
	uint64_t total = delta(b->user, a->user) + delta(b->nice, a->nice) + system + idle +
			 iowait + irq + softirq + steal;

	memset(out, 0, sizeof(*out));
	if (!prev->host_valid || !cur->host_valid || total == 0)
		return;
	out->valid = true;
	out->total_ticks = total;
	out->cpu_count = cur->host.cpu_count;
	out->user = percent_of(user, total);
	out->nice = percent_of(nice, total);
	out->system = percent_of(system, total);
	out->idle = percent_of(idle, total);
	out->iowait = percent_of(iowait, total);
	out->irq = percent_of(irq, total);
	out->softirq = percent_of(softirq, total);
	out->steal = percent_of(steal, total);
	out->guest = percent_of(guest, total);
	out->guest_nice = percent_of(guest_nice, total);
}

/* Share of the interval, capped at 100: a thread cannot wait or run longer
 * than the interval, and reads a few microseconds apart must not say so. */
static double thread_percent(uint64_t ns, double interval_s)
{
	double pct = 100.0 * (double)ns / (interval_s * 1e9);
	return pct > 100.0 ? 100.0 : pct;
}

static bool same_thread_forward(const struct thread_sample *a, const struct thread_sample *b)
{
	return a->starttime == b->starttime && b->cpu_ns >= a->cpu_ns && b->wait_ns >= a->wait_ns &&
	       b->runs >= a->runs;
}

static const char *cgroup_path(const struct snapshot *snap, uint16_t id)
{
	return id < snap->cgroup_count ? snap->names.data + snap->cgroups[id].path_off : NULL;
}

/* True when the thread's path is the same in both snapshots: the same
 * cgroup directories (slots may differ: the sampler may have been another). */
static bool same_cgroups(const struct snapshot *prev, const struct cgroup_links *a, const struct snapshot *cur,
			 const struct cgroup_links *b)
{
	if (a->known != b->known || a->count != b->count)
		return false;
	for (uint8_t i = 0; i < a->count; i++) {
		const char *pa = cgroup_path(prev, a->ids[i]), *pb = cgroup_path(cur, b->ids[i]);
		if (!pa || !pb || strcmp(pa, pb) != 0)
			return false;
	}
	return true;
}

static int push_vcpu(struct tick_figures *out, const struct vcpu_figures *vcpu)
{
	if (array_reserve((void **)&out->vcpus, &out->vcpu_cap, out->vcpu_total + 1, sizeof(*out->vcpus)))
		return -ENOMEM;
	out->vcpus[out->vcpu_total++] = *vcpu;
	return 0;
}

static int push_thread(struct tick_figures *out, const struct thread_sample *a, const struct thread_sample *b,
		       double interval_s)
{
	if (array_reserve((void **)&out->threads, &out->thread_cap, out->thread_total + 1, sizeof(*out->threads)))
		return -ENOMEM;
	out->threads[out->thread_total++] = (struct thread_figures){
		.tid = b->tid, .comm = b->comm,
		.wait_pct = thread_percent(b->wait_ns - a->wait_ns, interval_s),
		.run_pct = thread_percent(b->cpu_ns - a->cpu_ns, interval_s),
	};
	return 0;
}

static int compare_vcpus(const void *a, const void *b)
{
	const struct vcpu_figures *x = a, *y = b;
	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Pairs the threads of one VM by (tid, starttime); both lists are sorted by tid. */
static int compute_threads(const struct snapshot *prev, const struct vm_sample *pvm,
			   const struct snapshot *cur, const struct vm_sample *cvm,
			   double interval_s, struct tick_figures *out, struct vm_figures *vf)
{
	const struct thread_sample *a = prev->threads + pvm->thread_first;
	const struct thread_sample *b = cur->threads + cvm->thread_first;
	size_t i = 0, j = 0;
	uint64_t other_wait = 0;

	vf->vcpu_first = out->vcpu_total;
	vf->thread_first = out->thread_total;
	for (; j < cvm->thread_count; j++) {
		while (i < pvm->thread_count && a[i].tid < b[j].tid)
			i++;
		if (i == pvm->thread_count || a[i].tid != b[j].tid || !same_thread_forward(&a[i], &b[j]))
			continue;
		if (b[j].vcpu_id < 0 && push_thread(out, &a[i], &b[j], interval_s))
			return -ENOMEM;
		if (b[j].vcpu_id == VCPU_NONE) {
			other_wait += b[j].wait_ns - a[i].wait_ns;
			vf->other_run_ns += b[j].cpu_ns - a[i].cpu_ns;
			vf->other_count++;
			continue;
		}
		if (b[j].vcpu_id == VCPU_UNKNOWN) {
			vf->unknown_wait_ns += b[j].wait_ns - a[i].wait_ns;
			vf->other_run_ns += b[j].cpu_ns - a[i].cpu_ns;
			vf->unknown_count++;
			continue;
		}
		struct vcpu_figures vcpu = {
			.id = b[j].vcpu_id, .tid = b[j].tid,
			.steal_pct = thread_percent(b[j].wait_ns - a[i].wait_ns, interval_s),
			.run_pct = thread_percent(b[j].cpu_ns - a[i].cpu_ns, interval_s),
			.steal_ns = b[j].wait_ns - a[i].wait_ns,
			.run_ns = b[j].cpu_ns - a[i].cpu_ns,
			.runs = b[j].runs - a[i].runs,
			.cpus = snapshot_text(cur, b[j].cpus_off),
			.cg = &b[j].cg,
			.cgroup = b[j].cg.known && b[j].cg.count > 0 ? cgroup_path(cur, b[j].cg.ids[0]) : NULL,
			.cg_moved = cur->cgroups_on && !same_cgroups(prev, &a[i].cg, cur, &b[j].cg),
		};
		/* run_delay grows when a wait ends, as the run count does: each run's whole wait */
		vcpu.has_wait_per_run = vcpu.runs > 0;
		if (vcpu.has_wait_per_run)
			vcpu.wait_per_run_us = (double)vcpu.steal_ns / (double)vcpu.runs / 1000.0;
		if (push_vcpu(out, &vcpu))
			return -ENOMEM;
		vf->tcg = b[j].tcg;
	}
	vf->vcpu_count = out->vcpu_total - vf->vcpu_first;
	vf->thread_count = out->thread_total - vf->thread_first;
	vf->other_wait_ns = other_wait;
	vf->other_wait_pct = 100.0 * (double)other_wait / (interval_s * 1e9);
	if (vf->vcpu_count > 1)
		qsort(out->vcpus + vf->vcpu_first, vf->vcpu_count, sizeof(*out->vcpus), compare_vcpus);
	return 0;
}

static void summarize_vcpus(const struct tick_figures *out, struct vm_figures *vf)
{
	double steal_sum = 0, run_sum = 0;

	for (size_t k = 0; k < vf->vcpu_count; k++) {
		const struct vcpu_figures *vcpu = &out->vcpus[vf->vcpu_first + k];
		steal_sum += vcpu->steal_pct;
		run_sum += vcpu->run_pct;
		if (vcpu->steal_pct > vf->steal_max)
			vf->steal_max = vcpu->steal_pct;
		if (vcpu->has_wait_per_run && (!vf->has_wait_per_run || vcpu->wait_per_run_us > vf->wait_per_run_max_us))
			vf->wait_per_run_max_us = vcpu->wait_per_run_us;
		vf->has_wait_per_run |= vcpu->has_wait_per_run;
	}
	if (vf->vcpu_count > 0) {
		vf->steal_avg = steal_sum / (double)vf->vcpu_count;
		vf->run_avg = run_sum / (double)vf->vcpu_count;
	}
}

/* One cgroup on a vCPU's path over the interval. */
struct cgroup_delta {
	uint64_t ns;       /* its throttled time */
	double limit;      /* its limit at the end; 0: none */
	bool limited;      /* a limit at either end */
};

/* The cgroup (slot, gen) over the interval; false when it cannot be told
 * (gone, unreadable, recreated). */
static bool cgroup_delta(const struct snapshot *prev, const struct snapshot *cur, uint16_t id, uint32_t gen,
			 struct cgroup_delta *d)
{
	const struct cgroup_sample *a = NULL, *b;
	const char *path;

	if (id >= cur->cgroup_count || cur->cgroups[id].gen != gen)
		return false;
	b = &cur->cgroups[id];
	path = cur->names.data + b->path_off;
	for (size_t i = 0; i < prev->cgroup_count && !a; i++) /* the same slot, nearly always */
		if (prev->cgroups[(id + i) % prev->cgroup_count].gen == gen &&
		    strcmp(prev->names.data + prev->cgroups[(id + i) % prev->cgroup_count].path_off, path) == 0)
			a = &prev->cgroups[(id + i) % prev->cgroup_count];
	if (!a || !a->valid || !b->valid || b->unplaced || b->throttled_ns < a->throttled_ns)
		return false;
	d->ns = b->throttled_ns - a->throttled_ns;
	d->limit = b->limit_cpus;
	d->limited = a->limit_cpus > 0 || b->limit_cpus > 0;
	return true;
}

static bool seen_before(const struct vcpu_figures *vcpus, size_t upto, uint16_t id, uint32_t gen)
{
	for (size_t k = 0; k < upto; k++)
		for (uint8_t i = 0; i < vcpus[k].cg->count; i++)
			if (vcpus[k].cg->ids[i] == id && vcpus[k].cg->gens[i] == gen)
				return true;
	return false;
}

/* A vCPU's own cgroup, limited at either end of the interval, that no
 * other vCPU of the VM shares: its throttled time is that vCPU's (libvirt's
 * vcpuN). */
static void own_throttle(const struct snapshot *prev, const struct snapshot *cur, struct vcpu_figures *vcpus,
			 size_t n, size_t k, double interval_s)
{
	const struct cgroup_links *l = vcpus[k].cg;
	struct cgroup_delta d;

	if (l->count == 0)
		return;
	for (size_t j = 0; j < n; j++)
		if (j != k && vcpus[j].cg->count > 0 && vcpus[j].cg->ids[0] == l->ids[0] && vcpus[j].cg->gens[0] == l->gens[0])
			return;
	if (!cgroup_delta(prev, cur, l->ids[0], l->gens[0], &d) || !d.limited)
		return;
	vcpus[k].has_throttled = true;
	vcpus[k].throttled_pct = thread_percent(d.ns, interval_s);
	if (vcpus[k].throttled_pct > vcpus[k].steal_pct)
		vcpus[k].throttled_pct = vcpus[k].steal_pct;
}

/* Θ: the throttled time of the cgroups on the vCPUs' paths, each counted
 * once, as a mean share of the vCPUs' time; never more than their steal (a
 * cgroup that also holds other threads gives its throttling to the vCPUs,
 * see the README).  No split when a vCPU moved to another cgroup within the
 * interval: neither path's counters cover all of it. */
static void compute_throttle(const struct snapshot *prev, const struct snapshot *cur, double interval_s,
			     struct tick_figures *out, struct vm_figures *vf)
{
	struct vcpu_figures *vcpus = out->vcpus + vf->vcpu_first;
	uint64_t theta = 0, steal_ns = 0;
	struct cgroup_delta d;

	if (!cur->cgroups_on || vf->vcpu_count == 0)
		return;
	for (size_t k = 0; k < vf->vcpu_count; k++) {
		const struct cgroup_links *l = vcpus[k].cg;
		if (!l->known || vcpus[k].cg_moved)
			return;
		steal_ns += vcpus[k].steal_ns;
		for (uint8_t i = 0; i < l->count; i++) {
			if (seen_before(vcpus, k, l->ids[i], l->gens[i]))
				continue;
			if (!cgroup_delta(prev, cur, l->ids[i], l->gens[i], &d))
				return;
			theta += d.ns;
			if (d.limit > 0 && (vf->limit_cpus == 0 || d.limit < vf->limit_cpus))
				vf->limit_cpus = d.limit;
		}
	}
	vf->has_throttle = true;
	vf->throttled_ns = theta < steal_ns ? theta : steal_ns;
	vf->throttled_avg = 100.0 * (double)theta / (interval_s * 1e9 * (double)vf->vcpu_count);
	if (vf->throttled_avg > vf->steal_avg)
		vf->throttled_avg = vf->steal_avg;
	vf->contention_avg = vf->steal_avg - vf->throttled_avg;
	for (size_t k = 0; k < vf->vcpu_count; k++)
		own_throttle(prev, cur, vcpus, vf->vcpu_count, k, interval_s);
}

static bool has_vcpu_threads(const struct snapshot *snap, const struct vm_sample *vm)
{
	for (size_t i = 0; i < vm->thread_count; i++)
		if (snap->threads[vm->thread_first + i].vcpu_id >= 0)
			return true;
	return false;
}

static bool process_times_forward(const struct vm_sample *a, const struct vm_sample *b)
{
	return b->utime >= a->utime && b->stime >= a->stime && b->guest_time >= a->guest_time;
}

static int compute_vm(const struct snapshot *prev, const struct vm_sample *pvm,
		      const struct snapshot *cur, const struct vm_sample *cvm, long clk_tck,
		      double interval_s, struct tick_figures *out)
{
	double tick_pct = 100.0 / ((double)clk_tck * interval_s);
	struct vm_figures *vf;

	if (array_reserve((void **)&out->vms, &out->vm_cap, out->vm_count + 1, sizeof(*out->vms)))
		return -ENOMEM;
	vf = &out->vms[out->vm_count];
	memset(vf, 0, sizeof(*vf));
	vf->vm = cvm;
	vf->name = snapshot_vm_name(cur, cvm);
	vf->guest_ticks = delta(cvm->guest_time, pvm->guest_time);
	vf->user_ticks = delta_without(cvm->utime, cvm->guest_time, pvm->utime, pvm->guest_time);
	vf->system_ticks = delta(cvm->stime, pvm->stime);
	vf->cpu_ticks = delta(cvm->utime, pvm->utime) + vf->system_ticks;
	vf->guest_pct = tick_pct * (double)vf->guest_ticks;
	vf->user_pct = tick_pct * (double)vf->user_ticks;
	vf->system_pct = tick_pct * (double)vf->system_ticks;
	if (compute_threads(prev, pvm, cur, cvm, interval_s, out, vf))
		return -ENOMEM;
	if (vf->vcpu_count == 0 && has_vcpu_threads(cur, cvm)) {
		out->thread_total = vf->thread_first;
		return 0; /* its vCPU threads are new: reported from the next tick, with figures */
	}
	summarize_vcpus(out, vf);
	compute_throttle(prev, cur, interval_s, out, vf);
	out->vm_count++;
	return 0;
}

/* What the host spends on its guests: the reported VMs' process time as a
 * share of all CPUs' time, so that busy minus this is the host's own work.
 * Both count in USER_HZ ticks; capped at 100 (the two are read a few
 * microseconds apart). */
static void host_vm_share(struct tick_figures *out)
{
	uint64_t vm_ticks = 0;

	if (!out->host.valid)
		return;
	for (size_t i = 0; i < out->vm_count; i++)
		vm_ticks += out->vms[i].cpu_ticks;
	out->host.vm_cpu = percent_of(vm_ticks, out->host.total_ticks);
	if (out->host.vm_cpu > 100.0)
		out->host.vm_cpu = 100.0;
}

int rate_compute(const struct snapshot *prev, const struct snapshot *cur, long clk_tck,
		 struct tick_figures *out)
{
	size_t i = 0;

	out->vm_count = 0;
	out->vcpu_total = 0;
	out->thread_total = 0;
	out->cpu_total = 0;
	out->interval_s = cur->mono_s - prev->mono_s;
	out->real = cur->real;
	out->cgroups_on = cur->cgroups_on;
	if (!(out->interval_s > 0) || clk_tck <= 0)
		return -EINVAL;
	compute_host(prev, cur, &out->host);
	for (size_t j = 0; j < cur->vm_count; j++) {
		const struct vm_sample *cvm = &cur->vms[j];
		while (i < prev->vm_count && prev->vms[i].pid < cvm->pid)
			i++;
		if (i == prev->vm_count || prev->vms[i].pid != cvm->pid ||
		    prev->vms[i].starttime != cvm->starttime || !process_times_forward(&prev->vms[i], cvm))
			continue; /* new VM, reused PID, or a counter that restarted */
		if (compute_vm(prev, &prev->vms[i], cur, cvm, clk_tck, out->interval_s, out))
			return -ENOMEM;
	}
	host_vm_share(out);
	return 0;
}

void tick_figures_free(struct tick_figures *figures)
{
	free(figures->vms);
	free(figures->vcpus);
	free(figures->threads);
	free(figures->cpus);
	memset(figures, 0, sizeof(*figures));
}
