#include "sample.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "discover.h"
#include "procfs.h"
#include "text.h"
#include "vcpus.h"

#define SCHEDSTAT_MAX 128
#define CPU_MASK_BYTES (8192 / 8) /* the kernel's largest NR_CPUS */
#define PROC_STAT_START (16 * 1024)
#define PROC_STAT_LIMIT (4 * 1024 * 1024)

struct sampler {
	int root_fd;
	bool on_procfs;                /* the real /proc, not a fixture tree */
	bool own_proc;                 /* ... and this process's own: affinity by syscall */
	struct vm_table *table;        /* the VMs and their threads (discover.h) */
	char *proc_stat;               /* /proc/stat grows with the CPU count */
	size_t proc_stat_size;
	bool warned_no_schedstat;
	size_t threads_read;           /* this tick: schedstat files parsed */
	size_t threads_blank;          /* ... of which read "0 0 0" */
	struct diag_limit host_limit;
	struct cgroup_set cgroups;     /* root_fd -1 without --cgroup-root */
	const char *cgroup_root;       /* as given, for messages */
	uint64_t cgroup_reads;         /* vCPU cgroup files read so far ... */
	uint64_t cgroup_links;         /* ... of which placed under the root */
	bool warned_no_cgroup;
	uint64_t last_ticks;           /* boot ticks at the previous take; 0: none */
	uint64_t period_ticks;         /* since the previous take; 0 on the first */
};

/* The proc root is this process's own /proc (not a fixture tree, not the
 * /proc of another PID namespace): its TIDs are ours to ask the kernel about. */
static bool own_proc(int root_fd)
{
	char link[32], self[32];
	ssize_t len = readlinkat(root_fd, "self", link, sizeof(link) - 1);

	if (!procfs_is_procfs(root_fd) || len <= 0)
		return false;
	link[len] = '\0';
	snprintf(self, sizeof(self), "%d", (int)getpid());
	return strcmp(link, self) == 0;
}

/* Frees what this module hung on a thread entry (the table's forget hook). */
static void forget_thread(struct thread_entry *thread)
{
	free(thread->watch.cpus);
	thread->watch.cpus = NULL;
}

static const struct thread_hooks hooks = { .first_look = vcpus_first_look, .forget = forget_thread };

struct sampler *sampler_new(int root_fd)
{
	struct sampler *sampler = calloc(1, sizeof(*sampler));

	if (!sampler)
		return NULL;
	if (!(sampler->table = vm_table_new(root_fd, &hooks))) {
		free(sampler);
		return NULL;
	}
	sampler->root_fd = root_fd;
	sampler->on_procfs = procfs_is_procfs(root_fd);
	sampler->own_proc = own_proc(root_fd);
	sampler->cgroups.root_fd = -1;
	return sampler;
}

void sampler_free(struct sampler *sampler)
{
	if (!sampler)
		return;
	vm_table_free(sampler->table);
	cgroup_set_free(&sampler->cgroups);
	free(sampler->proc_stat);
	free(sampler);
}

/* Each online CPU's line: who used the CPUs a VM may run on (holders.h). */
static int read_cpu_lines(struct sampler *s, struct snapshot *snap, size_t len)
{
	int n;

	if (array_reserve((void **)&snap->cpus, &snap->cpu_cap, snap->host.cpu_count, sizeof(*snap->cpus)))
		return -ENOMEM;
	n = parse_proc_stat_cpus(s->proc_stat, len, snap->cpus, snap->cpu_cap);
	if (n < 0)
		return n;
	snap->cpu_count = (size_t)n;
	return 0;
}

/* /proc/stat: only the cpu lines matter, but they come first and their length
 * grows with the CPU count, so the buffer grows until they fit. */
static void read_host(struct sampler *s, struct snapshot *snap)
{
	ssize_t len;

	for (;;) {
		if (!s->proc_stat) {
			s->proc_stat_size = PROC_STAT_START;
			if (!(s->proc_stat = malloc(s->proc_stat_size)))
				return;
		}
		len = procfs_read_file(s->root_fd, "stat", s->proc_stat, s->proc_stat_size);
		if (len < 0 || (size_t)len < s->proc_stat_size - 1 || s->proc_stat_size >= PROC_STAT_LIMIT)
			break;
		free(s->proc_stat);
		s->proc_stat = NULL;
		s->proc_stat_size *= 2;
	}
	if (len < 0)
		diag_limited(&s->host_limit, 300, "cannot read stat under the proc root: %s", strerror((int)-len));
	else if (parse_proc_stat(s->proc_stat, (size_t)len, &snap->host) || read_cpu_lines(s, snap, (size_t)len))
		diag_limited(&s->host_limit, 300, "stat under the proc root has no usable cpu lines; no host record");
	else
		snap->host_valid = true;
}

/* When each part of a vCPU thread's state is read again.  The bounds are
 * the README's ("How figures follow the host"); each part is read no more
 * often than its bound needs, since reading is what they cost.
 *
 *   part               read                                         bound
 *   schedstat          every tick, through a kept fd                -
 *   name (comm)        its first ticks (vcpus.c)                    -
 *   allowed CPUs       every 10 s less one tick period              10 s, or 1 tick if longer
 *   its cgroup file    when first a vCPU; in a tick where its       waiting: that tick;
 *                      steal reached 1 %; every 30 s                 not waiting: 30 s
 *   a cgroup's limit   none: every tick; one: every other tick     2 ticks (a v1 period
 *                      (cgroup.c)                                    changed alone: 10 s)
 *   its throttled      limited, in a tick where its vCPUs waited    the split: that tick, or
 *   counter            0.1 % of it; once after its limit went       none for it (cgroup.c)
 *
 * The cgroup file is the costly one (the kernel prints every hierarchy in
 * it), so it is read again when it matters: a thread moved into a limited
 * cgroup, out of one or between two waits for a CPU; one that does not wait
 * has no throttling to tell. */
#define CPUS_REFRESH_S 10
#define CGROUP_REFRESH_S 30
#define WAIT_RECHECK_PCT 1
#define PERIOD_REFRESH_S 10

static uint64_t seconds_in_ticks(const struct sampler *s, unsigned seconds)
{
	return (uint64_t)seconds * (uint64_t)vm_table_clk_tck(s->table);
}

/* A limited cgroup whose vCPUs waited less than this since the last tick
 * (QUIET_PERMILLE of it) has its throttled counter left unread: what it
 * could have throttled is less, and goes to the next tick read. */
#define QUIET_PERMILLE 1

static uint64_t quiet_ns(const struct sampler *s)
{
	return (uint64_t)((double)s->period_ticks * 1e9 / (double)vm_table_clk_tck(s->table) * QUIET_PERMILLE / 1000);
}

/* True when the thread waited WAIT_RECHECK_PCT of the time since the last tick. */
static bool waited(const struct sampler *s, const struct thread_entry *thread, const struct schedstat *stat)
{
	double period_ns = (double)s->period_ticks * 1e9 / (double)vm_table_clk_tck(s->table);

	return thread->watch.sampled && stat->wait_ns > thread->watch.wait_ns &&
	       (double)(stat->wait_ns - thread->watch.wait_ns) * 100.0 >= WAIT_RECHECK_PCT * period_ns;
}

/* A thread's affinity: from the kernel (sched_getaffinity costs a seventh of
 * reading task/TID/status, which prints some fifty lines to give one) on our
 * own /proc, else from Cpus_allowed_list.  The kernel's answer leaves out
 * CPUs that are offline; Cpus_allowed_list keeps them. */
static int read_cpus(const struct sampler *s, const struct vm_entry *vm, int tid, char cpus[CPU_LIST_MAX + 1])
{
	char path[48], buf[4096];
	ssize_t len;

	if (s->own_proc) {
		unsigned char mask[CPU_MASK_BYTES];
		long got = syscall(SYS_sched_getaffinity, tid, sizeof(mask), mask);
		if (got <= 0)
			return -errno;
		return format_cpu_list(mask, (size_t)got * 8, cpus);
	}
	snprintf(path, sizeof(path), "task/%d/status", tid);
	len = vm_read_file(vm, path, buf, sizeof(buf));
	return len < 0 ? (int)len : parse_status_cpus(buf, (size_t)len, cpus);
}

/* Where a vCPU may run (its affinity): pinning changes at run time (virsh
 * vcpupin, taskset).  Other threads are not read. */
static void refresh_cpus(const struct sampler *s, const struct vm_entry *vm, struct thread_entry *thread,
			 uint64_t now_ticks)
{
	struct thread_watch *w = &thread->watch;
	char cpus[CPU_LIST_MAX + 1];
	uint64_t every = seconds_in_ticks(s, CPUS_REFRESH_S);

	if (w->cpus_at && now_ticks < w->cpus_at)
		return;
	/* the first time, spread over the vCPUs (each is read now): not all of them again in one tick */
	w->cpus_at = now_ticks + (w->cpus_at == 0 ? (uint64_t)thread->tid % every
					: every > s->period_ticks ? every - s->period_ticks : 0);
	if (read_cpus(s, vm, thread->tid, cpus)) {
		free(w->cpus);
		w->cpus = NULL; /* unknown: no cpus key, never a made-up one */
		return;
	}
	if (!w->cpus || strcmp(w->cpus, cpus) != 0) {
		free(w->cpus);
		w->cpus = strdup(cpus);
	}
}

int sampler_use_cgroups(struct sampler *s, const char *root)
{
	s->cgroup_root = root;
	return cgroup_set_open(&s->cgroups, root);
}

/* Once: vCPU threads were seen and not one of their cgroups is under the
 * root given (a hierarchy's own mount, /sys/fs/cgroup/cpu, given instead of
 * the directory that holds them, or the v2 mount on a v1 host). */
static void warn_if_no_cgroup(struct sampler *s)
{
	if (s->warned_no_cgroup || s->cgroup_reads == 0 || s->cgroup_links > 0)
		return;
	diag("--cgroup-root %s: the cgroup of no vCPU thread is under it (looked for the directory that "
	     "/proc/PID/task/TID/cgroup names: the cpu controller's hierarchy, e.g. cpu,cpuacct/machine/..., "
	     "or the cgroup v2 path of its 0:: line); give the directory that holds the hierarchies, "
	     "usually /sys/fs/cgroup; until then no VM has the throttled/contention split",
	     s->cgroup_root);
	s->warned_no_cgroup = true;
}

/* Samples between two reads of a v1 period whose quota did not change. */
static uint64_t period_every(const struct sampler *s)
{
	uint64_t every = seconds_in_ticks(s, PERIOD_REFRESH_S);

	return s->period_ticks ? (every + s->period_ticks - 1) / s->period_ticks : 1;
}

/* Reads the thread's cgroup file and links it to the cgroups on its path;
 * an unchanged file whose cgroups are all still in the set keeps its links.
 * True when the file changed since it was last read (the thread moved). */
static bool relink(struct sampler *s, const struct vm_entry *vm, struct thread_entry *thread, uint64_t now_ticks)
{
	struct thread_watch *w = &thread->watch;
	char buf[4096];
	struct cgroup_ref ref;
	uint32_t hash, was = w->cg_hash;
	ssize_t len;

	w->cg_at = now_ticks + (w->cg_at == 0 ? (uint64_t)thread->tid % seconds_in_ticks(s, CGROUP_REFRESH_S)
							: seconds_in_ticks(s, CGROUP_REFRESH_S));
	w->cg_read_at = now_ticks;
	len = vm_table_read_cgroup(s->table, vm, thread, buf, sizeof(buf));
	hash = len >= 0 ? text_hash(buf, (size_t)len) : 0;
	if (len >= 0 && hash == w->cg_hash && w->cg.known && cgroup_links_current(&s->cgroups, &w->cg))
		; /* the same cgroup: keep its links */
	else if (len >= 0 && parse_proc_cgroup(buf, (size_t)len, &ref) == 0)
		cgroup_link(&s->cgroups, &ref, &w->cg);
	else
		memset(&w->cg, 0, sizeof(w->cg)); /* unknown: no throttling figure */
	w->cg_hash = hash;
	s->cgroup_reads++;
	s->cgroup_links += w->cg.known;
	return was != 0 && hash != was;
}

/* A thread's cgroups, read again when it is due (the table above); true
 * when it moved. */
static bool refresh_cgroups(struct sampler *s, const struct vm_entry *vm, struct thread_entry *thread,
			    uint64_t now_ticks, const struct schedstat *stat)
{
	struct thread_watch *w = &thread->watch;
	bool moved = false;

	if (s->cgroups.root_fd < 0)
		return false;
	if (w->cg_at == 0 || now_ticks >= w->cg_at || waited(s, thread, stat) ||
	    !cgroup_links_current(&s->cgroups, &w->cg))
		moved = relink(s, vm, thread, now_ticks);
	/* its cgroups' throttled counters are read when it waited at all (or is new) */
	cgroup_mark(&s->cgroups, &w->cg,
		    !w->sampled || stat->wait_ns < w->wait_ns ? UINT64_MAX : stat->wait_ns - w->wait_ns);
	return moved;
}

/* One vCPU found moved: its VM was most likely moved whole (libvirt, an
 * operator), so every other vCPU of it not read this tick is read now, and
 * its sample (already in snap, from first on) takes its new links: the move
 * costs the VM this one tick's split, not a later one when an idle vCPU is
 * next read. */
static void relink_the_rest(struct sampler *s, struct vm_entry *vm, struct snapshot *snap, size_t first,
			    uint64_t now_ticks)
{
	for (size_t i = 0; i < vm->thread_count; i++) {
		struct thread_entry *thread = &vm->threads[i];
		if (thread->gone || thread->who.vcpu_id < 0 || thread->watch.cg_read_at == now_ticks)
			continue;
		relink(s, vm, thread, now_ticks);
		cgroup_mark(&s->cgroups, &thread->watch.cg, 0);
		for (size_t k = first; k < snap->thread_count; k++)
			if (snap->threads[k].tid == thread->tid)
				snap->threads[k].cg = thread->watch.cg;
	}
}

static int read_schedstat(const struct vm_entry *vm, const struct thread_entry *thread,
			  struct schedstat *out)
{
	char buf[SCHEDSTAT_MAX], path[48];
	ssize_t len;

	if (thread->schedstat_fd >= 0) {
		len = procfs_pread(thread->schedstat_fd, buf, sizeof(buf));
	} else {
		snprintf(path, sizeof(path), "task/%d/schedstat", thread->tid);
		len = vm_read_file(vm, path, buf, sizeof(buf));
	}
	if (len < 0)
		return (int)len;
	return parse_schedstat(buf, (size_t)len, out);
}

/* "0 0 0" is what the kernel prints when it keeps no scheduler statistics
 * (!sched_info_on()); a live thread that has run once never reads so.  Such a
 * thread has no sample rather than a made-up 0. */
static bool schedstat_blank(const struct schedstat *stat)
{
	return stat->cpu_ns == 0 && stat->wait_ns == 0 && stat->timeslices == 0;
}

/* Reads every thread of vm into the snapshot; a thread whose read fails is
 * left out of this tick, and dropped when it is gone (ESRCH on its fd). */
static int sample_threads(struct sampler *s, struct vm_entry *vm, struct snapshot *snap, uint64_t now_ticks)
{
	size_t first = snap->thread_count;
	bool moved = false;

	for (size_t i = 0; i < vm->thread_count; i++) {
		struct thread_entry *thread = &vm->threads[i];
		struct schedstat stat;
		int err;

		err = read_schedstat(vm, thread, &stat);
		if (err == -ESRCH || err == -ENOENT) {
			vm_table_thread_gone(vm, thread);
			continue;
		}
		if (err)
			continue;
		if (thread->who.vcpu_id >= 0) {
			refresh_cpus(s, vm, thread, now_ticks);
			moved |= refresh_cgroups(s, vm, thread, now_ticks, &stat);
		}
		thread->watch.sampled = true;
		thread->watch.wait_ns = stat.wait_ns;
		s->threads_read++;
		if (schedstat_blank(&stat)) {
			s->threads_blank++;
			continue;
		}
		struct thread_sample sample = {
			.tid = thread->tid, .starttime = thread->starttime,
			.vcpu_id = thread->who.vcpu_id, .tcg = thread->who.tcg,
			.cpu_ns = stat.cpu_ns, .wait_ns = stat.wait_ns, .runs = stat.timeslices, .cpus_off = NO_TEXT,
			.cg = thread->watch.cg,
		};
		memcpy(sample.comm, thread->who.comm, sizeof(sample.comm));
		if (thread->watch.cpus && thread->who.vcpu_id >= 0 &&
		    (sample.cpus_off = snapshot_add_text(snap, thread->watch.cpus)) == NO_TEXT)
			return -ENOMEM;
		if (snapshot_add_thread(snap, &sample))
			return -ENOMEM;
	}
	if (moved)
		relink_the_rest(s, vm, snap, first, now_ticks);
	return 0;
}

static void warn_if_no_schedstat(struct sampler *s)
{
	if (s->warned_no_schedstat || s->threads_read == 0 || s->threads_blank < s->threads_read)
		return;
	diag("every thread's schedstat reads \"0 0 0\": this kernel keeps no scheduler statistics "
	     "(CONFIG_SCHED_INFO), so steal cannot be measured; VMs are reported without vCPU figures");
	s->warned_no_schedstat = true;
}

static int sample_vm(struct sampler *s, struct vm_entry *vm, struct snapshot *snap, uint64_t now_ticks)
{
	struct vm_sample *sample;

	if (vm_table_sync_threads(s->table, vm))
		return 0; /* vanished since the scan: gone next tick */
	for (size_t i = 0; i < vm->thread_count; i++)
		vcpus_look_again(vm, &vm->threads[i]);
	vcpus_number(vm);
	sample = snapshot_add_vm(snap, vm->name, vm->name_len);
	if (!sample)
		return -ENOMEM;
	sample->pid = vm->pid;
	sample->starttime = vm->starttime;
	sample->ident = vm->ident;
	sample->utime = vm->stat.utime;
	sample->stime = vm->stat.stime;
	sample->guest_time = vm->stat.guest_time;
	sample->vcpu_source = vm->source;
	return sample_threads(s, vm, snap, now_ticks);
}

/* Now, in the clock ticks that /proc/PID/stat's starttime counts from boot. */
static uint64_t boot_ticks(const struct sampler *s)
{
	struct timespec now;

	clock_gettime(CLOCK_BOOTTIME, &now);
	return (uint64_t)now.tv_sec * (uint64_t)vm_table_clk_tck(s->table) +
	       (uint64_t)now.tv_nsec / (1000000000UL / (uint64_t)vm_table_clk_tck(s->table));
}

int sampler_take(struct sampler *s, struct snapshot *snap)
{
	uint64_t now_ticks;
	int err;

	snapshot_clear(snap);
	read_host(s, snap);
	now_ticks = boot_ticks(s);
	s->period_ticks = s->last_ticks && now_ticks > s->last_ticks ? now_ticks - s->last_ticks : 0;
	s->last_ticks = now_ticks;
	err = vm_table_scan(s->table, now_ticks);
	if (err)
		return err;
	s->threads_read = s->threads_blank = 0;
	for (size_t i = 0; i < vm_table_count(s->table); i++) {
		err = sample_vm(s, vm_table_vm(s->table, i), snap, now_ticks);
		if (err)
			return err;
	}
	warn_if_no_schedstat(s);
	vm_table_warn_if_short_of_fds(s->table);
	if (s->cgroups.root_fd < 0)
		return 0;
	snap->cgroups_on = true;
	warn_if_no_cgroup(s);
	return cgroup_sample_all(&s->cgroups, &snap->cgroups, &snap->cgroup_count, &snap->cgroup_cap, &snap->names,
				 period_every(s), quiet_ns(s));
}
