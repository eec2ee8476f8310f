#include "holders.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "text.h"

/* One online CPU over the interval, in nanoseconds. */
struct cpu_use {
	double busy; /* user + nice + system: guest time is inside user */
	double irq;  /* irq + softirq */
	double idle; /* idle + iowait */
	double vms;  /* the reported VMs' threads, spread over the CPUs each may use */
};

/* A distinct allowed-CPU set and the vCPU time spread over it.  Hosts have
 * few distinct sets (unpinned: one; pinned: one per CPU or per group), so
 * each set is parsed and spread once, not once per vCPU. */
struct cpu_set {
	const char *text; /* Cpus_allowed_list; NULL: unknown, every online CPU */
	uint32_t hash;
	size_t bits_at;   /* into work.bits */
	double ns;
};

struct work {
	size_t ncpus, nbytes;    /* highest online id + 1; bytes of a mask */
	unsigned char *online;   /* the CPUs in both snapshots' cpuN lines */
	size_t online_count;
	struct cpu_use *use;     /* by CPU id */
	unsigned char *bits;     /* the masks of sets[], nbytes each */
	struct cpu_set *sets;
	size_t set_count, set_cap;
	size_t *table;           /* open addressing: set index + 1, 0 empty */
	size_t table_size;
	size_t *vcpu_set;        /* per vcpu_figures: its set */
	unsigned char *vm_cpus;  /* scratch: one VM's union */
};

static bool bit(const unsigned char *mask, size_t cpu)
{
	return mask[cpu / 8] & (1u << (cpu % 8));
}

static size_t popcount(const unsigned char *mask, size_t nbytes)
{
	size_t n = 0;

	for (size_t i = 0; i < nbytes; i++)
		n += (size_t)__builtin_popcount(mask[i]);
	return n;
}

static double ticks_ns(uint64_t cur, uint64_t prev, long clk_tck)
{
	return cur > prev ? (double)(cur - prev) * 1e9 / (double)clk_tck : 0.0;
}

/* Per-CPU time over the interval, for the CPUs online at both ends. */
static int read_cpus(const struct snapshot *prev, const struct snapshot *cur, long clk_tck, struct work *w)
{
	size_t i = 0;

	w->ncpus = cur->cpus[cur->cpu_count - 1].id + (size_t)1;
	w->nbytes = (w->ncpus + 7) / 8;
	w->online = calloc(w->nbytes, 1);
	w->vm_cpus = calloc(w->nbytes, 1);
	w->use = calloc(w->ncpus, sizeof(*w->use));
	if (!w->online || !w->vm_cpus || !w->use)
		return -ENOMEM;
	for (size_t j = 0; j < cur->cpu_count; j++) {
		const struct cpu_times *b = &cur->cpus[j].t, *a;
		struct cpu_use *u = &w->use[cur->cpus[j].id];
		while (i < prev->cpu_count && prev->cpus[i].id < cur->cpus[j].id)
			i++;
		if (i == prev->cpu_count || prev->cpus[i].id != cur->cpus[j].id)
			continue; /* came online within the interval */
		a = &prev->cpus[i].t;
		w->online[cur->cpus[j].id / 8] |= (unsigned char)(1u << (cur->cpus[j].id % 8));
		w->online_count++;
		u->busy = ticks_ns(b->user, a->user, clk_tck) + ticks_ns(b->nice, a->nice, clk_tck) +
			  ticks_ns(b->system, a->system, clk_tck);
		u->irq = ticks_ns(b->irq, a->irq, clk_tck) + ticks_ns(b->softirq, a->softirq, clk_tck);
		u->idle = ticks_ns(b->idle, a->idle, clk_tck) + ticks_ns(b->iowait, a->iowait, clk_tck);
	}
	return 0;
}

/* The set of text (NULL: every online CPU), added when new; its index, or -1 on ENOMEM. */
static long find_set(struct work *w, const char *text)
{
	uint32_t hash = text ? text_hash(text, strlen(text)) : 0;
	size_t slot = hash & (w->table_size - 1);
	struct cpu_set *set;

	for (; w->table[slot]; slot = (slot + 1) & (w->table_size - 1)) {
		set = &w->sets[w->table[slot] - 1];
		if (set->hash == hash && (set->text == text || (set->text && text && strcmp(set->text, text) == 0)))
			return (long)(w->table[slot] - 1);
	}
	set = &w->sets[w->set_count];
	*set = (struct cpu_set){ .text = text, .hash = hash, .bits_at = w->set_count * w->nbytes };
	if (!text || parse_cpu_list(text, w->bits + set->bits_at, w->ncpus))
		memcpy(w->bits + set->bits_at, w->online, w->nbytes);
	for (size_t i = 0; i < w->nbytes; i++)
		w->bits[set->bits_at + i] &= w->online[i];
	w->table[slot] = ++w->set_count;
	return (long)(w->set_count - 1);
}

/* Interns every vCPU's set and adds its time to it. */
static int collect_sets(const struct tick_figures *out, struct work *w)
{
	w->table_size = 16;
	while (w->table_size < 2 * (out->vcpu_total + 1))
		w->table_size *= 2;
	w->table = calloc(w->table_size, sizeof(*w->table));
	w->sets = calloc(out->vcpu_total + 1, sizeof(*w->sets));
	w->bits = calloc(out->vcpu_total + 1, w->nbytes);
	w->vcpu_set = calloc(out->vcpu_total + 1, sizeof(*w->vcpu_set));
	if (!w->table || !w->sets || !w->bits || !w->vcpu_set)
		return -ENOMEM;
	for (size_t k = 0; k < out->vcpu_total; k++) {
		long set = find_set(w, out->vcpus[k].cpus);
		w->vcpu_set[k] = (size_t)set;
		w->sets[set].ns += (double)out->vcpus[k].run_ns;
	}
	return 0;
}

/* Spreads each set's time evenly over its CPUs, and the other threads'
 * time over every online CPU. */
static void spread(const struct tick_figures *out, struct work *w)
{
	double others = 0;

	for (size_t s = 0; s < w->set_count; s++) {
		const unsigned char *mask = w->bits + w->sets[s].bits_at;
		size_t n = popcount(mask, w->nbytes);
		for (size_t cpu = 0; n > 0 && cpu < w->ncpus; cpu++)
			if (bit(mask, cpu))
				w->use[cpu].vms += w->sets[s].ns / (double)n;
	}
	for (size_t i = 0; i < out->vm_count; i++)
		others += (double)out->vms[i].other_run_ns;
	for (size_t cpu = 0; cpu < w->ncpus; cpu++)
		if (bit(w->online, cpu))
			w->use[cpu].vms += others / (double)w->online_count;
}

static void share(struct vm_holders *h, double own, double other, double host, double irq, double idle)
{
	double total = own + other + host + irq + idle;

	h->valid = total > 0;
	if (!h->valid)
		return;
	h->own_pct = 100.0 * own / total;
	h->other_vms_pct = 100.0 * other / total;
	h->host_pct = 100.0 * host / total;
	h->irq_pct = 100.0 * irq / total;
	h->idle_pct = 100.0 * idle / total;
	h->own_ns = (uint64_t)(own + 0.5);
	h->other_vms_ns = (uint64_t)(other + 0.5);
	h->host_ns = (uint64_t)(host + 0.5);
	h->irq_ns = (uint64_t)(irq + 0.5);
	h->idle_ns = (uint64_t)(idle + 0.5);
}

/* One VM: its CPUs, then who used them. */
static void vm_holders(struct work *w, const struct tick_figures *out, struct vm_figures *vm)
{
	struct cpu_use sum = { 0 };
	double own = 0, other, host;
	size_t n;

	memset(w->vm_cpus, 0, w->nbytes);
	for (size_t k = vm->vcpu_first; k < vm->vcpu_first + vm->vcpu_count; k++) {
		const unsigned char *mask = w->bits + w->sets[w->vcpu_set[k]].bits_at;
		for (size_t i = 0; i < w->nbytes; i++)
			w->vm_cpus[i] |= mask[i];
		own += (double)out->vcpus[k].run_ns;
	}
	n = popcount(w->vm_cpus, w->nbytes);
	if (n == 0)
		return;
	for (size_t cpu = 0; cpu < w->ncpus; cpu++)
		if (bit(w->vm_cpus, cpu)) {
			sum.busy += w->use[cpu].busy;
			sum.irq += w->use[cpu].irq;
			sum.idle += w->use[cpu].idle;
			sum.vms += w->use[cpu].vms;
		}
	own += (double)vm->other_run_ns * (double)n / (double)w->online_count;
	other = sum.vms > own ? sum.vms - own : 0;
	host = sum.busy > own + other ? sum.busy - own - other : 0;
	share(&vm->holders, own, other, host, sum.irq, sum.idle);
	vm->holders.has_cpus = format_cpu_list(w->vm_cpus, w->ncpus, vm->holders.cpus) == 0;
}

/* Each online CPU's busy and VM shares, for the view. */
static int export_cpus(const struct work *w, struct tick_figures *out)
{
	if (array_reserve((void **)&out->cpus, &out->cpu_cap, w->online_count, sizeof(*out->cpus)))
		return -ENOMEM;
	for (size_t cpu = 0; cpu < w->ncpus; cpu++) {
		const struct cpu_use *u = &w->use[cpu];
		double total = u->busy + u->irq + u->idle;
		if (!bit(w->online, cpu))
			continue;
		out->cpus[out->cpu_total++] = (struct host_cpu_figures){
			.id = (unsigned)cpu,
			.busy_pct = total > 0 ? 100.0 * (u->busy + u->irq) / total : 0,
			.vms_pct = total > 0 ? (u->vms < total ? 100.0 * u->vms / total : 100.0) : 0,
		};
	}
	return 0;
}

static void work_free(struct work *w)
{
	free(w->online);
	free(w->vm_cpus);
	free(w->use);
	free(w->bits);
	free(w->sets);
	free(w->table);
	free(w->vcpu_set);
}

int holders_compute(const struct snapshot *prev, const struct snapshot *cur, long clk_tck,
		    struct tick_figures *out)
{
	struct work w = { 0 };
	int err;

	if (!prev->host_valid || !cur->host_valid || prev->cpu_count == 0 || cur->cpu_count == 0)
		return 0;
	err = read_cpus(prev, cur, clk_tck, &w);
	if (err == 0 && w.online_count > 0)
		err = collect_sets(out, &w);
	if (err == 0 && w.online_count > 0) {
		spread(out, &w);
		for (size_t i = 0; i < out->vm_count; i++)
			if (out->vms[i].vcpu_count > 0)
				vm_holders(&w, out, &out->vms[i]);
		err = export_cpus(&w, out);
	}
	work_free(&w);
	return err;
}
