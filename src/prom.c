#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

static void prom_vm_clear(struct prom_vm *vm)
{
	free(vm->name);
	free(vm->vcpus);
	memset(vm, 0, sizeof(*vm));
}

static int prom_vm_init(struct prom_vm *vm, const struct vm_figures *f)
{
	memset(vm, 0, sizeof(*vm));
	vm->pid = f->vm->pid;
	vm->starttime = f->vm->starttime;
	vm->name = strdup(f->name);
	vm->ident = f->vm->ident;
	return vm->name ? 0 : -ENOMEM;
}

static bool same_labels(const struct prom_vm *a, const struct prom_vm *b)
{
	return !a->pid_label && !b->pid_label && a->ident.has_uuid == b->ident.has_uuid && strcmp(a->name, b->name) == 0 &&
	       (!a->ident.has_uuid || strcmp(a->ident.uuid, b->ident.uuid) == 0) && strcmp(a->ident.id, b->ident.id) == 0;
}

/* A new series whose labels a live one (in vms, n of them) already holds. */
static bool labels_taken(const struct prom_vm *vm, const struct prom_vm *vms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (&vms[i] != vm && vms[i].name && same_labels(vm, &vms[i]))
			return true;
	return false;
}

/* Finds or inserts the series of vCPU id (vcpus sorted by id). */
static struct prom_vcpu *vcpu_series(struct prom_vm *vm, int id)
{
	size_t at = 0;

	while (at < vm->vcpu_count && vm->vcpus[at].id < id)
		at++;
	if (at < vm->vcpu_count && vm->vcpus[at].id == id)
		return &vm->vcpus[at];
	if (array_insert((void **)&vm->vcpus, &vm->vcpu_count, &vm->vcpu_cap, at, sizeof(*vm->vcpus)))
		return NULL;
	vm->vcpus[at].id = id;
	return &vm->vcpus[at];
}

static int add_deltas(struct prom_vm *vm, const struct tick_figures *figures, const struct vm_figures *f,
		      long clk_tck)
{
	uint64_t ns_per_tick = 1000000000ULL / (uint64_t)clk_tck;

	vm->other_wait_ns += f->other_wait_ns;
	vm->unknown_wait_ns += f->unknown_wait_ns;
	vm->had_unknown = vm->had_unknown || f->vm->vcpu_source == VCPU_SOURCE_NONE;
	if (f->has_throttle) {
		vm->had_throttle = true;
		vm->throttled_ns += f->throttled_ns;
		vm->limit_cpus = f->limit_cpus;
	}
	vm->user_ns += f->user_ticks * ns_per_tick;
	vm->system_ns += f->system_ticks * ns_per_tick;
	vm->guest_ns += f->guest_ticks * ns_per_tick;
	vm->accel = f->vcpu_count == 0 ? "" : f->tcg ? "tcg" : "kvm";
	if (f->holders.valid) {
		const struct vm_holders *h = &f->holders;
		vm->had_holders = true;
		vm->holders_ns[HOLDER_OWN] += h->own_ns;
		vm->holders_ns[HOLDER_OTHER_VMS] += h->other_vms_ns;
		vm->holders_ns[HOLDER_HOST] += h->host_ns;
		vm->holders_ns[HOLDER_IRQ] += h->irq_ns;
		vm->holders_ns[HOLDER_IDLE] += h->idle_ns;
	}
	for (size_t k = 0; k < f->vcpu_count; k++) {
		const struct vcpu_figures *v = &figures->vcpus[f->vcpu_first + k];
		struct prom_vcpu *series = vcpu_series(vm, v->id);
		if (!series)
			return -ENOMEM;
		series->steal_ns += v->steal_ns;
		series->run_ns += v->run_ns;
		series->runs += v->runs;
	}
	return 0;
}

/* Merges by (pid, starttime): both lists are sorted by pid.  The new list is
 * built in the spare array and the two swap, so nothing is allocated per tick
 * once they are large enough. */
int prom_update(struct prom_state *state, const struct tick_figures *figures)
{
	struct prom_vm *next, *spare = state->vms;
	size_t old = 0, filled = 0, spare_cap = state->cap;
	int err = 0;

	if (array_reserve((void **)&state->next, &state->next_cap, figures->vm_count, sizeof(*state->next)))
		return -ENOMEM;
	next = state->next;
	if (figures->vm_count > 0)
		memset(next, 0, figures->vm_count * sizeof(*next));
	for (size_t i = 0; i < figures->vm_count && err == 0; i++) {
		const struct vm_figures *f = &figures->vms[i];
		while (old < state->count && state->vms[old].pid < f->vm->pid)
			prom_vm_clear(&state->vms[old++]);
		if (old < state->count && state->vms[old].pid == f->vm->pid &&
		    state->vms[old].starttime == f->vm->starttime)
			next[i] = state->vms[old++];
		else if ((err = prom_vm_init(&next[i], f)) == 0)
			next[i].pid_label = labels_taken(&next[i], next, i) ||
					    labels_taken(&next[i], state->vms + old, state->count - old);
		if (err == 0 || next[i].name)
			filled = i + 1;
		if (err == 0)
			err = add_deltas(&next[i], figures, f, state->clk_tck);
	}
	while (old < state->count)
		prom_vm_clear(&state->vms[old++]);
	state->vms = next;
	state->cap = state->next_cap;
	state->count = filled;
	state->next = spare;
	state->next_cap = spare_cap;
	return err;
}

/* value with every hidden code point but the newline (the format escapes
 * it) as <U+XXXX>, NUL-terminated in out. */
static int visible_label(struct buf *out, const char *value)
{
	for (const char *p = value; *p;) {
		size_t run = strcspn(p, "\n");
		if (text_append_visible(out, p, run) || (p[run] == '\n' && buf_append(out, "\n", 1)))
			return -ENOMEM;
		p += run + (p[run] == '\n');
	}
	return buf_append(out, "", 1);
}

/* Label values escape backslash, double quote and newline, the format's
 * only escapes; every other hidden code point (a control, bidi or invisible
 * character: text_is_hidden) is written as the text <U+XXXX>, so that `cat`
 * or `curl` of the file never passes it to a terminal. */
static int append_label(struct buf *b, const char *name, const char *value, bool first)
{
	struct buf visible = { 0 };
	int err = buf_append(b, first ? "" : ",", first ? 0 : 1);

	err = err ? err : buf_append(b, name, strlen(name));
	err = err ? err : buf_append(b, "=\"", 2);
	err = err ? err : visible_label(&visible, value);
	if (!err)
		value = visible.data;
	for (const char *p = value; err == 0 && *p; p++) {
		if (*p == '\\' || *p == '"')
			err = buf_append(b, "\\", 1) ? -ENOMEM : buf_append(b, p, 1);
		else if (*p == '\n')
			err = buf_append(b, "\\n", 2);
		else
			err = buf_append(b, p, 1);
	}
	buf_free(&visible);
	return err ? err : buf_append(b, "\"", 1);
}

/* The labels that identify vm's series; process_pid where they collide, or
 * always (with_pid) for kvm_vm_info. */
static int append_vm_labels(struct buf *b, const struct prom_vm *vm, bool with_pid)
{
	char pid[16];
	int err = append_label(b, "vm_name", vm->name, true);

	err = err ? err : append_label(b, "vm_uuid", vm->ident.has_uuid ? vm->ident.uuid : "", false);
	err = err ? err : append_label(b, "vm_id", vm->ident.id, false);
	if (err || !(with_pid || vm->pid_label))
		return err;
	snprintf(pid, sizeof(pid), "%d", vm->pid);
	return append_label(b, "process_pid", pid, false);
}

/* A sample line: NAME{vm labels[,extra="value"]} SECONDS, from nanoseconds. */
static int append_sample(struct buf *b, const char *metric, const struct prom_vm *vm, const char *extra,
			 const char *extra_value, uint64_t ns)
{
	char value[48];
	int err = buf_append(b, metric, strlen(metric));

	err = err ? err : buf_append(b, "{", 1);
	err = err ? err : append_vm_labels(b, vm, false);
	if (err == 0 && extra)
		err = append_label(b, extra, extra_value, false);
	snprintf(value, sizeof(value), "} %llu.%09llu\n", (unsigned long long)(ns / 1000000000ULL),
		 (unsigned long long)(ns % 1000000000ULL));
	return err ? err : buf_append(b, value, strlen(value));
}

static int append_header(struct buf *b, const char *metric, const char *type, const char *help)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
	return buf_append(b, line, (size_t)n);
}

enum vcpu_counter { VCPU_STEAL, VCPU_RUN, VCPU_RUNS };

/* A count, not seconds: NAME{vm labels,vcpu="ID"} N. */
static int append_count(struct buf *b, const char *metric, const struct prom_vm *vm, const char *vcpu,
			uint64_t count)
{
	char value[32];
	int err = buf_append(b, metric, strlen(metric));

	err = err ? err : buf_append(b, "{", 1);
	err = err ? err : append_vm_labels(b, vm, false);
	err = err ? err : append_label(b, "vcpu", vcpu, false);
	snprintf(value, sizeof(value), "} %llu\n", (unsigned long long)count);
	return err ? err : buf_append(b, value, strlen(value));
}

static int append_vcpu_metric(struct prom_state *state, const char *metric, const char *help,
			      enum vcpu_counter which)
{
	struct buf *b = &state->text;
	int err = append_header(b, metric, "counter", help);

	for (size_t i = 0; err == 0 && i < state->count; i++) {
		const struct prom_vm *vm = &state->vms[i];
		for (size_t k = 0; err == 0 && k < vm->vcpu_count; k++) {
			const struct prom_vcpu *v = &vm->vcpus[k];
			char id[16];
			snprintf(id, sizeof(id), "%d", v->id);
			err = which == VCPU_RUNS ? append_count(b, metric, vm, id, v->runs)
						 : append_sample(b, metric, vm, "vcpu", id,
								 which == VCPU_STEAL ? v->steal_ns : v->run_ns);
		}
	}
	return err;
}

/* Counters whose rates over their sum are the shares of the VM's CPUs. */
static int append_holders(struct prom_state *state)
{
	static const char *const holders[HOLDERS] = { "own", "other_vms", "host", "irq", "idle" };
	struct buf *b = &state->text;
	int err = append_header(b, "kvm_vm_cpus_seconds_total", "counter",
				"Time of the host CPUs the VM's vCPUs may run on, by who used it: "
				"own, other_vms, host, irq, idle.");

	for (size_t i = 0; err == 0 && i < state->count; i++)
		for (int h = 0; err == 0 && state->vms[i].had_holders && h < HOLDERS; h++)
			err = append_sample(b, "kvm_vm_cpus_seconds_total", &state->vms[i], "holder", holders[h],
					    state->vms[i].holders_ns[h]);
	return err;
}

/* With --cgroup-root: the throttled part of each VM's summed vCPU steal (so
 * that its steal rate minus this rate is the contention), and its limit. */
static int append_throttle_metrics(struct prom_state *state)
{
	struct buf *b = &state->text;
	int err = append_header(b, "kvm_vm_vcpu_throttled_seconds_total", "counter",
				"The part of the VM's summed vCPU steal that CPU limits (CFS bandwidth) on its cgroups caused.");

	for (size_t i = 0; err == 0 && i < state->count; i++)
		if (state->vms[i].had_throttle)
			err = append_sample(b, "kvm_vm_vcpu_throttled_seconds_total", &state->vms[i], NULL, NULL,
					    state->vms[i].throttled_ns);
	err = err ? err : append_header(b, "kvm_vm_cpu_limit_cpus", "gauge",
					"The tightest CPU limit on the VM's vCPU threads' cgroups, in CPUs.");
	for (size_t i = 0; err == 0 && i < state->count; i++) {
		const struct prom_vm *vm = &state->vms[i];
		char value[48];
		if (!vm->had_throttle || vm->limit_cpus <= 0)
			continue;
		err = buf_append(b, "kvm_vm_cpu_limit_cpus{", 22);
		err = err ? err : append_vm_labels(b, vm, false);
		snprintf(value, sizeof(value), "} %.6g\n", vm->limit_cpus);
		err = err ? err : buf_append(b, value, strlen(value));
	}
	return err;
}

static int append_vm_metrics(struct prom_state *state)
{
	struct buf *b = &state->text;
	int err = append_header(b, "kvm_vm_other_threads_wait_seconds_total", "counter",
				"Run-queue wait summed over the QEMU process's non-vCPU threads (I/O, main loop, workers).");

	for (size_t i = 0; err == 0 && i < state->count; i++)
		err = append_sample(b, "kvm_vm_other_threads_wait_seconds_total", &state->vms[i], NULL, NULL,
				    state->vms[i].other_wait_ns);
	err = err ? err : append_header(b, "kvm_vm_unidentified_threads_wait_seconds_total", "counter",
					"Run-queue wait of the threads of a VM whose vCPU threads cannot be told apart "
					"(no CPU n/KVM name, no guest time): vCPUs and I/O threads together.");
	for (size_t i = 0; err == 0 && i < state->count; i++)
		if (state->vms[i].had_unknown)
			err = append_sample(b, "kvm_vm_unidentified_threads_wait_seconds_total", &state->vms[i], NULL,
					    NULL, state->vms[i].unknown_wait_ns);
	err = err ? err : append_throttle_metrics(state);
	err = err ? err : append_header(b, "kvm_vm_cpu_seconds_total", "counter",
					"CPU time of the QEMU process by mode; user excludes guest time.");
	for (size_t i = 0; err == 0 && i < state->count; i++) {
		const struct prom_vm *vm = &state->vms[i];
		err = append_sample(b, "kvm_vm_cpu_seconds_total", vm, "mode", "guest", vm->guest_ns);
		err = err ? err : append_sample(b, "kvm_vm_cpu_seconds_total", vm, "mode", "user", vm->user_ns);
		err = err ? err : append_sample(b, "kvm_vm_cpu_seconds_total", vm, "mode", "system", vm->system_ns);
	}
	err = err ? err : append_holders(state);
	err = err ? err : append_header(b, "kvm_vm_info", "gauge", "A QEMU/KVM VM seen by kvmsteal; always 1.");
	for (size_t i = 0; err == 0 && i < state->count; i++) {
		const struct prom_vm *vm = &state->vms[i];
		err = buf_append(b, "kvm_vm_info{", 12);
		err = err ? err : append_vm_labels(b, vm, true);
		err = err ? err : append_label(b, "accel", vm->accel ? vm->accel : "", false);
		err = err ? err : buf_append(b, "} 1\n", 4);
	}
	return err;
}

static int format_text(struct prom_state *state)
{
	int err;

	state->text.len = 0;
	err = append_vcpu_metric(state, "kvm_vcpu_steal_seconds_total",
				 "Time the vCPU thread waited runnable for a host CPU: the guest's steal time.", VCPU_STEAL);
	err = err ? err : append_vcpu_metric(state, "kvm_vcpu_run_seconds_total",
					     "Time the vCPU thread ran on a host CPU.", VCPU_RUN);
	err = err ? err : append_vcpu_metric(state, "kvm_vcpu_runs_total",
					     "Times the vCPU thread got a host CPU (schedstat field 3): steal seconds "
					     "over runs is the mean wait per run.", VCPU_RUNS);
	return err ? err : append_vm_metrics(state);
}

int prom_write(struct prom_state *state)
{
	int err;

	if (format_text(state))
		return -ENOMEM;
	err = files_replace(state->dir_fd, state->base, PROM_FILE_MODE, state->text.data, state->text.len);
	if (err) {
		diag_limited(&state->write_limit, 60, "cannot write the Prometheus textfile %s: %s; the NDJSON goes on",
			     state->path, strerror(-err));
		state->failed++;
	} else if (state->failed) {
		diag("writing the Prometheus textfile %s again; %lu tick%s not written while it failed", state->path,
		     state->failed, state->failed == 1 ? " was" : "s were");
		state->failed = 0;
	}
	return err;
}

static int split_path(struct prom_state *state, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strlen(base) > NAME_MAX - 18)
		return -EINVAL;
	if (!(state->base = strdup(base)))
		return -ENOMEM;
	dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return -ENOMEM;
	state->dir_fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	return state->dir_fd < 0 ? -errno : 0;
}

int prom_open(struct prom_state *state, const char *path)
{
	struct stat st;
	char name[NAME_MAX + 1];
	int err, fd;

	state->path = path;
	state->dir_fd = state->lock_fd = -1;
	if ((err = split_path(state, path)))
		return err;
	/* beside the textfile: node_exporter reads only *.prom */
	if ((state->lock_fd = files_lock_beside(state->dir_fd, state->base, PROM_FILE_MODE)) < 0)
		return state->lock_fd;
	if (fstatat(state->dir_fd, state->base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP; /* rename would replace the link: say so rather than surprise */
	fd = files_create_temp(state->dir_fd, state->base, PROM_FILE_MODE, name, sizeof(name));
	if (fd < 0)
		return fd;
	close(fd);
	unlinkat(state->dir_fd, name, 0);
	return 0;
}

void prom_free(struct prom_state *state)
{
	if (state->path && state->dir_fd >= 0)
		close(state->dir_fd);
	if (state->path && state->lock_fd >= 0)
		close(state->lock_fd); /* the lock goes with it */
	free(state->base);
	for (size_t i = 0; i < state->count; i++)
		prom_vm_clear(&state->vms[i]);
	free(state->vms);
	free(state->next);
	buf_free(&state->text);
	memset(state, 0, sizeof(*state));
}
