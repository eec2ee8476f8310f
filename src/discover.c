#include "discover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "diag.h"
#include "qemu_args.h"
#include "snapshot.h"
#include "text.h"

#define STAT_MAX 1024
#define CMDLINE_MAX (128 * 1024)

/* How many descriptors the agent keeps open on proc files.  Keeping a file
 * open is only cheaper than opening it again; every file can also be read by
 * path.  The rest of RLIMIT_NOFILE stays free for what a tick cannot do
 * without: /proc/stat, the listing, a file read by path, the output and
 * the textfile. */
struct fd_budget {
	size_t limit;     /* descriptors that may be kept */
	size_t kept;      /* kept now */
	size_t reserved;  /* left free for the agent itself */
	bool short_of;    /* some file was read by path for want of one */
};

/* A process found not to be a VM.  A launcher forks and then execs QEMU,
 * and an exec keeps the pid and its /proc inode but changes the comm, so
 * the comm is read again: each tick while the process is young (libvirt
 * execs at once), then once every RECHECK_S (a launcher may wait on storage
 * or a hook first).  A process that looks like QEMU by name but is not one
 * (a wrapper script, a QEMU not yet multi-threaded) is examined whole each
 * tick: exec'ing the real QEMU would not change its comm. */
struct pid_memo {
	int pid;
	uint64_t ino;
	uint64_t starttime;     /* clock ticks after boot */
	uint64_t recheck_at;    /* clock ticks after boot; 0 while young */
	bool look_alike;        /* named like QEMU, not a VM (yet) */
	char comm[COMM_MAX];
};

#define YOUNG_PROCESS_S 30
#define RECHECK_S 30

/* One generation of the table: VMs and non-VM processes, both sorted by pid. */
struct vm_generation {
	struct vm_entry **vms;  /* each owned by the table */
	size_t vm_count, vm_cap;
	struct pid_memo *memo;
	size_t memo_count, memo_cap;
};

/* Each scan builds the next generation from the current one; the two swap,
 * so the arrays are allocated once and only grow. */
struct vm_table {
	int root_fd;            /* borrowed */
	bool on_procfs;         /* the real /proc: listings skip what procfs_list_ids says */
	long clk_tck;
	struct fd_budget budget;
	const struct thread_hooks *hooks; /* borrowed */
	struct vm_generation cur, next;
	struct id_list pids;    /* scratch: the root listing */
	struct id_list tids;    /* scratch: one VM's task/ listing */
	struct thread_entry *merged; /* scratch: one VM's next thread list */
	size_t merged_cap;
	char *cmdline;          /* scratch, CMDLINE_MAX bytes */
	bool warned_short_of_fds;
};

static bool fd_budget_take(struct fd_budget *budget)
{
	if (budget->kept >= budget->limit) {
		budget->short_of = true;
		return false;
	}
	budget->kept++;
	return true;
}

static void fd_budget_give(struct fd_budget *budget)
{
	if (budget->kept > 0)
		budget->kept--;
}

static void close_kept(int *fd, struct fd_budget *budget)
{
	if (*fd >= 0) {
		close(*fd);
		fd_budget_give(budget);
	}
	*fd = -1;
}

static void thread_entry_close(struct thread_entry *thread, const struct vm_entry *vm)
{
	close_kept(&thread->schedstat_fd, vm->budget);
	close_kept(&thread->cgroup_fd, vm->budget);
	if (vm->hooks->forget)
		vm->hooks->forget(thread);
}

static void vm_entry_free(struct vm_entry *vm)
{
	if (!vm)
		return;
	for (size_t i = 0; i < vm->thread_count; i++)
		thread_entry_close(&vm->threads[i], vm);
	close_kept(&vm->task_fd, vm->budget);
	close_kept(&vm->stat_fd, vm->budget);
	close_kept(&vm->dir_fd, vm->budget);
	free(vm->threads);
	free(vm->name);
	free(vm);
}

/* rel as a path from the root when vm has no directory fd: "PID/rel". */
static int vm_path(const struct vm_entry *vm, const char *rel, char *path, size_t size, int *dirfd)
{
	if (vm->dir_fd >= 0) {
		*dirfd = vm->dir_fd;
		return snprintf(path, size, "%s", rel) < (int)size ? 0 : -ENAMETOOLONG;
	}
	*dirfd = vm->root_fd;
	return snprintf(path, size, "%d/%s", vm->pid, rel) < (int)size ? 0 : -ENAMETOOLONG;
}

ssize_t vm_read_file(const struct vm_entry *vm, const char *rel, char *buf, size_t size)
{
	char path[64];
	int dirfd, err = vm_path(vm, rel, path, sizeof(path), &dirfd);

	if (err) {
		buf[0] = '\0';
		return err;
	}
	return procfs_read_file(dirfd, path, buf, size);
}

int vm_open_file(const struct vm_entry *vm, const char *rel)
{
	char path[64];
	int dirfd, err = vm_path(vm, rel, path, sizeof(path), &dirfd);

	return err ? err : procfs_open_file(dirfd, path);
}

int vm_open_dir(const struct vm_entry *vm, const char *rel)
{
	char path[64];
	int dirfd, err = vm_path(vm, rel, path, sizeof(path), &dirfd);

	return err ? err : procfs_open_dir(dirfd, path);
}

/* Re-reads PID/stat.  -ESRCH when the process is gone, a zombie, or another
 * process now holds the PID (a different starttime). */
static int vm_entry_refresh(struct vm_entry *vm)
{
	char buf[STAT_MAX];
	ssize_t len = vm->stat_fd >= 0 ? procfs_pread(vm->stat_fd, buf, sizeof(buf))
				       : vm_read_file(vm, "stat", buf, sizeof(buf));
	struct pid_stat stat;

	if (len < 0)
		return (int)len;
	if (parse_pid_stat(buf, (size_t)len, &stat))
		return -EINVAL;
	if (stat.starttime != vm->starttime || stat.state == 'Z' || stat.state == 'X')
		return -ESRCH;
	vm->stat = stat;
	return 0;
}

/* The name as a log line may carry it: hidden code points as <U+XXXX>. */
static void warn_identity(const struct vm_entry *vm, const struct qemu_args *args)
{
	struct buf name = { 0 };

	if (!args->uuid_malformed && !args->id_malformed)
		return;
	if (text_append_visible(&name, vm->name, vm->name_len) || buf_append(&name, "", 1)) {
		buf_free(&name);
		return;
	}
	if (args->uuid_malformed)
		diag("VM pid %d (\"%s\"): -uuid is not a UUID (8-4-4-4-12 hex); reporting it without vm_uuid",
		     vm->pid, name.data);
	if (args->id_malformed)
		diag("VM pid %d (\"%s\"): -id is not 1 to %d letters, digits, '.', '_' or '-'; reporting it without vm_id",
		     vm->pid, name.data, VM_ID_MAX);
	buf_free(&name);
}

static int vm_entry_set_identity(struct vm_entry *vm, const char *cmdline, size_t len)
{
	struct qemu_args args;

	parse_qemu_cmdline(cmdline, len, &args);
	vm->name = malloc(TEXT_UTF8_MAX(args.name_len));
	if (!vm->name) {
		qemu_args_free(&args);
		return -ENOMEM;
	}
	vm->name_len = text_to_utf8(args.name ? args.name : "", args.name_len, vm->name);
	vm->ident.has_uuid = args.has_uuid;
	memcpy(vm->ident.uuid, args.uuid, sizeof(vm->ident.uuid));
	memcpy(vm->ident.id, args.id, sizeof(vm->ident.id));
	warn_identity(vm, &args);
	qemu_args_free(&args);
	return 0;
}

/* The fd of an open the budget allowed, or -1 with the budget given back. */
static int kept(struct fd_budget *budget, int fd)
{
	if (fd >= 0)
		return fd;
	fd_budget_give(budget);
	return -1;
}

/* Opens what the budget allows, in the order that saves the most: the
 * directory (every read of the VM goes through it), stat, task/.  A fd on
 * stat or task/ without one on the directory would save nothing. */
static void vm_entry_keep_fds(struct vm_entry *vm)
{
	char path[16];

	snprintf(path, sizeof(path), "%d", vm->pid);
	if (fd_budget_take(vm->budget))
		vm->dir_fd = kept(vm->budget, procfs_open_dir(vm->root_fd, path));
	if (vm->dir_fd >= 0 && fd_budget_take(vm->budget))
		vm->stat_fd = kept(vm->budget, procfs_open_file(vm->dir_fd, "stat"));
	if (vm->dir_fd >= 0 && fd_budget_take(vm->budget))
		vm->task_fd = kept(vm->budget, procfs_open_dir(vm->dir_fd, "task"));
}

/* Builds the entry for the QEMU process found as `found` (its stat read by
 * path a moment ago).  Everything is read again, and the starttime must
 * still match, so the entry is that very process. */
static struct vm_entry *vm_entry_new(struct vm_table *table, const struct id_entry *found,
				     uint64_t starttime)
{
	struct vm_entry *vm = calloc(1, sizeof(*vm));
	ssize_t len;

	if (!vm)
		return NULL;
	vm->pid = found->id;
	vm->ino = found->ino;
	vm->starttime = starttime;
	vm->root_fd = table->root_fd;
	vm->budget = &table->budget;
	vm->hooks = table->hooks;
	vm->dir_fd = vm->stat_fd = vm->task_fd = -1;
	vm_entry_keep_fds(vm);
	if (vm_entry_refresh(vm) != 0)
		goto fail;
	memcpy(vm->main_comm, vm->stat.comm, sizeof(vm->main_comm));
	len = vm_read_file(vm, "cmdline", table->cmdline, CMDLINE_MAX);
	if (len <= 0 || vm_entry_set_identity(vm, table->cmdline, (size_t)len))
		goto fail;
	return vm;
fail:
	vm_entry_free(vm);
	return NULL;
}

static bool is_young(const struct vm_table *table, uint64_t starttime, uint64_t now_ticks)
{
	return starttime <= now_ticks && now_ticks - starttime < (uint64_t)(YOUNG_PROCESS_S * table->clk_tck);
}

/* When a settled process's comm is next read: RECHECK_S on, with the first
 * wait spread by pid so that thousands of processes found at start are not
 * all read again in the same tick. */
static uint64_t next_recheck(const struct vm_table *table, int pid, uint64_t now_ticks, bool first)
{
	uint64_t period = (uint64_t)(RECHECK_S * table->clk_tck);

	if (first)
		return now_ticks + 1 + period * ((uint64_t)pid % 64) / 64;
	return now_ticks + period;
}

/* What the kernel says a process runs: a script's argv[0] is its
 * interpreter (binfmt_script puts it first), while its comm is the
 * script's name; a QEMU renamed by -name ...,process=X keeps its argv[0].
 * So argv[0] decides.  QEMU starts its RCU thread before main(), so a QEMU
 * has two threads or more; a wrapper that forks the real QEMU and waits has
 * one. */
static bool runs_qemu(const struct pid_stat *stat, const char *cmdline, ssize_t len)
{
	return len > 0 && parse_is_qemu_argv0(cmdline, (size_t)len) && stat->num_threads >= 2 &&
	       stat->state != 'Z' && stat->state != 'X';
}

/* Looks at a PID the table does not know (or whose comm changed).  Returns
 * a new VM entry, or NULL with *memo filled for another process (memo->pid
 * 0 when it vanished, could not be read, or is a QEMU that could not be
 * opened: those are looked at again next tick). */
static struct vm_entry *examine_pid(struct vm_table *table, const struct id_entry *found,
				    uint64_t now_ticks, struct pid_memo *memo)
{
	char path[32], buf[1024];
	struct pid_stat stat;
	ssize_t len, cmd_len;
	bool young;

	memo->pid = 0;
	snprintf(path, sizeof(path), "%d/stat", found->id);
	len = procfs_read_file(table->root_fd, path, buf, sizeof(buf));
	if (len < 0 || parse_pid_stat(buf, (size_t)len, &stat))
		return NULL;
	snprintf(path, sizeof(path), "%d/cmdline", found->id);
	cmd_len = procfs_read_file(table->root_fd, path, table->cmdline, CMDLINE_MAX);
	if (runs_qemu(&stat, table->cmdline, cmd_len))
		return vm_entry_new(table, found, stat.starttime);
	young = is_young(table, stat.starttime, now_ticks);
	*memo = (struct pid_memo){
		.pid = found->id, .ino = found->ino, .starttime = stat.starttime,
		.recheck_at = young ? 0 : next_recheck(table, found->id, now_ticks, true),
		.look_alike = parse_is_qemu_program(stat.comm, strlen(stat.comm)) ||
			      (cmd_len > 0 && parse_is_qemu_argv0(table->cmdline, (size_t)cmd_len)),
	};
	memcpy(memo->comm, stat.comm, sizeof(memo->comm));
	return NULL;
}

/* A known non-VM process: true when it still is one (memo updated). */
static bool memo_still_holds(const struct vm_table *table, struct pid_memo *memo,
			     const struct id_entry *found, uint64_t now_ticks)
{
	char path[32], comm[64];
	size_t len;

	if (memo->ino != found->ino || memo->look_alike)
		return false; /* a new process behind the same pid, or one to examine whole */
	if (memo->recheck_at != 0 && now_ticks < memo->recheck_at)
		return true;
	snprintf(path, sizeof(path), "%d/comm", found->id);
	if (procfs_read_file(table->root_fd, path, comm, sizeof(comm)) < 0)
		return false;
	len = strlen(comm);
	if (len > 0 && comm[len - 1] == '\n')
		comm[--len] = '\0';
	if (len >= COMM_MAX || strcmp(comm, memo->comm) != 0)
		return false; /* it exec'd: look again */
	if (memo->recheck_at != 0)
		memo->recheck_at = next_recheck(table, found->id, now_ticks, false);
	else if (!is_young(table, memo->starttime, now_ticks))
		memo->recheck_at = next_recheck(table, found->id, now_ticks, true);
	return true;
}

static int reserve(struct vm_generation *gen, size_t count)
{
	if (array_reserve((void **)&gen->vms, &gen->vm_cap, count, sizeof(*gen->vms)) ||
	    array_reserve((void **)&gen->memo, &gen->memo_cap, count, sizeof(*gen->memo)))
		return -ENOMEM;
	return 0;
}

/* Cursors into the current generation, both advancing in pid order. */
struct scan_cursor {
	size_t vm;
	size_t memo;
};

static void scan_one_pid(struct vm_table *table, const struct id_entry *found,
			 uint64_t now_ticks, struct scan_cursor *at)
{
	struct vm_generation *cur = &table->cur, *next = &table->next;
	struct pid_memo memo;
	struct vm_entry *vm;

	while (at->vm < cur->vm_count && cur->vms[at->vm]->pid < found->id)
		vm_entry_free(cur->vms[at->vm++]); /* vanished */
	while (at->memo < cur->memo_count && cur->memo[at->memo].pid < found->id)
		at->memo++;
	if (at->vm < cur->vm_count && cur->vms[at->vm]->pid == found->id) {
		vm = cur->vms[at->vm++];
		if (vm->ino == found->ino && vm_entry_refresh(vm) == 0) {
			next->vms[next->vm_count++] = vm;
			return;
		}
		vm_entry_free(vm); /* gone or PID reused: whatever is there now is new */
	} else if (at->memo < cur->memo_count && cur->memo[at->memo].pid == found->id) {
		memo = cur->memo[at->memo++];
		if (memo_still_holds(table, &memo, found, now_ticks)) {
			next->memo[next->memo_count++] = memo;
			return;
		}
	}
	vm = examine_pid(table, found, now_ticks, &memo);
	if (vm)
		next->vms[next->vm_count++] = vm;
	else if (memo.pid)
		next->memo[next->memo_count++] = memo;
}

int vm_table_scan(struct vm_table *table, uint64_t now_ticks)
{
	struct scan_cursor at = { 0, 0 };
	struct vm_generation swap;
	int err;

	if (!table->cmdline && !(table->cmdline = malloc(CMDLINE_MAX)))
		return -ENOMEM;
	err = procfs_list_ids(table->root_fd, false, &table->pids);
	if (err)
		return err;
	if (reserve(&table->next, table->pids.len + 1))
		return -ENOMEM;
	table->next.vm_count = table->next.memo_count = 0;
	for (size_t i = 0; i < table->pids.len; i++)
		scan_one_pid(table, &table->pids.entries[i], now_ticks, &at);
	while (at.vm < table->cur.vm_count)
		vm_entry_free(table->cur.vms[at.vm++]);
	swap = table->cur;
	table->cur = table->next;
	table->next = swap;
	return 0;
}

/* Descriptors a tick needs besides the kept ones: /proc/stat, a file read
 * by path, a task/ listing by path, the output and its reopening (two), the
 * textfile's temporary file, the readiness socket, and one spare. */
#define FDS_FOR_THE_AGENT 8

/* The kept fds may use what RLIMIT_NOFILE leaves after the descriptors open
 * now (standard streams, the root, the output: the lowest free one tells,
 * as the kernel hands out the lowest) and those a tick needs. */
static void fd_budget_init(struct fd_budget *budget)
{
	struct rlimit limit;
	int lowest = fcntl(0, F_DUPFD_CLOEXEC, 0);
	size_t open_now = lowest >= 0 ? (size_t)lowest : 3;
	size_t allowed = 1024;

	if (lowest >= 0)
		close(lowest);
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
		allowed = limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > SIZE_MAX / 2 ? SIZE_MAX / 2
											  : (size_t)limit.rlim_cur;
	budget->reserved = open_now + FDS_FOR_THE_AGENT;
	budget->limit = allowed > budget->reserved ? allowed - budget->reserved : 0;
}

struct vm_table *vm_table_new(int root_fd, const struct thread_hooks *hooks)
{
	struct vm_table *table = calloc(1, sizeof(*table));

	if (!table)
		return NULL;
	table->root_fd = root_fd;
	table->hooks = hooks;
	table->on_procfs = procfs_is_procfs(root_fd);
	table->clk_tck = sysconf(_SC_CLK_TCK);
	fd_budget_init(&table->budget);
	return table;
}

size_t vm_table_count(const struct vm_table *table)
{
	return table->cur.vm_count;
}

struct vm_entry *vm_table_vm(const struct vm_table *table, size_t i)
{
	return table->cur.vms[i];
}

long vm_table_clk_tck(const struct vm_table *table)
{
	return table->clk_tck;
}

static int thread_entry_open(struct vm_table *table, struct vm_entry *vm, int tid, struct thread_entry *thread)
{
	char path[48];
	int err;

	memset(thread, 0, sizeof(*thread));
	thread->tid = tid;
	thread->schedstat_fd = thread->cgroup_fd = -1;
	err = table->hooks->first_look(vm, thread);
	if (err)
		return err;
	snprintf(path, sizeof(path), "task/%d/schedstat", tid);
	if (!fd_budget_take(&table->budget))
		return 0; /* read by path each tick */
	thread->schedstat_fd = vm_open_file(vm, path);
	if (thread->schedstat_fd >= 0)
		return 0;
	fd_budget_give(&table->budget);
	err = thread->schedstat_fd;
	thread->schedstat_fd = -1;
	if (err == -EMFILE || err == -ENFILE) {
		table->budget.short_of = true; /* another part of the process holds fds */
		return 0;
	}
	return err;
}

/* Listing task/ costs as much as reading eight schedstat files, so it is
 * listed only when the thread set may have changed: the thread count in
 * /proc/PID/stat (read anyway) differs from the threads tracked, or a tracked
 * thread was found gone (an exit and a new thread between two ticks keep the
 * count, but the gone thread's fd says ESRCH). */
static bool threads_may_have_changed(const struct vm_entry *vm)
{
	return vm->thread_gone || vm->thread_count == 0 || vm->stat.num_threads != vm->thread_count;
}

/* Lists task/ through the kept fd, or opens it for this listing only. */
static int list_threads(struct vm_table *table, const struct vm_entry *vm)
{
	int fd = vm->task_fd >= 0 ? vm->task_fd : vm_open_dir(vm, "task");
	int err;

	if (fd < 0)
		return fd;
	err = procfs_list_ids(fd, table->on_procfs, &table->tids);
	if (fd != vm->task_fd)
		close(fd);
	return err;
}

/* Both lists are sorted by tid: one merge; a gone entry whose tid is listed
 * again is a new thread (a reused TID). */
int vm_table_sync_threads(struct vm_table *table, struct vm_entry *vm)
{
	size_t old_i = 0, count = 0;
	int err;

	if (!threads_may_have_changed(vm))
		return 0;
	err = list_threads(table, vm);
	if (err)
		return err;
	vm->thread_gone = false;
	if (array_reserve((void **)&table->merged, &table->merged_cap, table->tids.len, sizeof(*table->merged)))
		return -ENOMEM;
	for (size_t i = 0; i < table->tids.len; i++) {
		int tid = table->tids.entries[i].id;
		while (old_i < vm->thread_count && vm->threads[old_i].tid < tid)
			thread_entry_close(&vm->threads[old_i++], vm);
		if (old_i < vm->thread_count && vm->threads[old_i].tid == tid && !vm->threads[old_i].gone)
			table->merged[count++] = vm->threads[old_i++];
		else if (thread_entry_open(table, vm, tid, &table->merged[count]) == 0)
			count++;
	}
	while (old_i < vm->thread_count)
		thread_entry_close(&vm->threads[old_i++], vm);
	if (array_reserve((void **)&vm->threads, &vm->thread_cap, count, sizeof(*vm->threads))) {
		for (size_t i = 0; i < count; i++)
			thread_entry_close(&table->merged[i], vm);
		vm->thread_count = 0;
		return -ENOMEM;
	}
	if (count > 0)
		memcpy(vm->threads, table->merged, count * sizeof(*vm->threads));
	vm->thread_count = count;
	return 0;
}

ssize_t vm_table_read_cgroup(struct vm_table *table, const struct vm_entry *vm, struct thread_entry *thread,
			     char *buf, size_t size)
{
	char path[48];

	snprintf(path, sizeof(path), "task/%d/cgroup", thread->tid);
	if (thread->cgroup_fd < 0 && !thread->cgroup_by_path) {
		if (fd_budget_take(&table->budget)) {
			thread->cgroup_fd = vm_open_file(vm, path);
			if (thread->cgroup_fd < 0)
				fd_budget_give(&table->budget);
		}
		thread->cgroup_by_path = thread->cgroup_fd < 0;
	}
	return thread->cgroup_fd < 0 ? vm_read_file(vm, path, buf, size) : procfs_pread(thread->cgroup_fd, buf, size);
}

void vm_table_thread_gone(struct vm_entry *vm, struct thread_entry *thread)
{
	thread_entry_close(thread, vm);
	thread->gone = true;
	vm->thread_gone = true;
}

void vm_table_warn_if_short_of_fds(struct vm_table *table)
{
	struct fd_budget *budget = &table->budget;
	size_t vms = table->cur.vm_count, threads = 0, cgroups = 0;

	if (table->warned_short_of_fds || !budget->short_of)
		return;
	for (size_t i = 0; i < vms; i++) {
		const struct vm_entry *vm = table->cur.vms[i];
		threads += vm->thread_count;
		for (size_t k = 0; k < vm->thread_count; k++)
			cgroups += vm->threads[k].cgroup_fd >= 0 || vm->threads[k].cgroup_by_path;
	}
	diag("file descriptor limit (RLIMIT_NOFILE) %zu: keeping every proc file open would take %zu "
	     "(%zu for the agent, 3 for each of %zu VMs, 1 for each of %zu threads, 1 for each of %zu vCPUs' "
	     "cgroup files); the rest are read by path each tick, which costs more CPU; every VM is still reported",
	     budget->limit + budget->reserved, budget->reserved + 3 * vms + threads + cgroups, budget->reserved, vms,
	     threads, cgroups);
	table->warned_short_of_fds = true;
}

void vm_table_free(struct vm_table *table)
{
	if (!table)
		return;
	for (size_t i = 0; i < table->cur.vm_count; i++)
		vm_entry_free(table->cur.vms[i]);
	free(table->cur.vms);
	free(table->cur.memo);
	free(table->next.vms);
	free(table->next.memo);
	free(table->cmdline);
	free(table->merged);
	id_list_free(&table->pids);
	id_list_free(&table->tids);
	free(table);
}
