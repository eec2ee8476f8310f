#include "discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "qemu_args.h"
#include "snapshot.h"
#include "text.h"

#define STAT_MAX 1024

bool fd_budget_take(struct fd_budget *budget)
{
	if (budget->kept >= budget->limit) {
		budget->short_of = true;
		return false;
	}
	budget->kept++;
	return true;
}

void fd_budget_give(struct fd_budget *budget)
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

void thread_entry_close(struct thread_entry *thread, struct fd_budget *budget)
{
	close_kept(&thread->schedstat_fd, budget);
	free(thread->cpus);
	thread->cpus = NULL;
}

static void vm_entry_free(struct vm_entry *vm)
{
	if (!vm)
		return;
	for (size_t i = 0; i < vm->thread_count; i++)
		thread_entry_close(&vm->threads[i], vm->budget);
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
	vm->has_uuid = args.has_uuid;
	memcpy(vm->uuid, args.uuid, sizeof(vm->uuid));
	memcpy(vm->id, args.id, sizeof(vm->id));
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
static struct vm_entry *vm_entry_new(struct vm_table *table, int root_fd, const struct id_entry *found,
				     uint64_t starttime)
{
	struct vm_entry *vm = calloc(1, sizeof(*vm));
	ssize_t len;

	if (!vm)
		return NULL;
	vm->pid = found->id;
	vm->ino = found->ino;
	vm->starttime = starttime;
	vm->root_fd = root_fd;
	vm->budget = &table->budget;
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
static struct vm_entry *examine_pid(struct vm_table *table, int root_fd, const struct id_entry *found,
				    uint64_t now_ticks, struct pid_memo *memo)
{
	char path[32], buf[1024];
	struct pid_stat stat;
	ssize_t len, cmd_len;
	bool young;

	memo->pid = 0;
	snprintf(path, sizeof(path), "%d/stat", found->id);
	len = procfs_read_file(root_fd, path, buf, sizeof(buf));
	if (len < 0 || parse_pid_stat(buf, (size_t)len, &stat))
		return NULL;
	snprintf(path, sizeof(path), "%d/cmdline", found->id);
	cmd_len = procfs_read_file(root_fd, path, table->cmdline, CMDLINE_MAX);
	if (runs_qemu(&stat, table->cmdline, cmd_len))
		return vm_entry_new(table, root_fd, found, stat.starttime);
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
static bool memo_still_holds(const struct vm_table *table, int root_fd, struct pid_memo *memo,
			     const struct id_entry *found, uint64_t now_ticks)
{
	char path[32], comm[64];
	size_t len;

	if (memo->ino != found->ino || memo->look_alike)
		return false; /* a new process behind the same pid, or one to examine whole */
	if (memo->recheck_at != 0 && now_ticks < memo->recheck_at)
		return true;
	snprintf(path, sizeof(path), "%d/comm", found->id);
	if (procfs_read_file(root_fd, path, comm, sizeof(comm)) < 0)
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

static void scan_one_pid(struct vm_table *table, int root_fd, const struct id_entry *found,
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
		if (memo_still_holds(table, root_fd, &memo, found, now_ticks)) {
			next->memo[next->memo_count++] = memo;
			return;
		}
	}
	vm = examine_pid(table, root_fd, found, now_ticks, &memo);
	if (vm)
		next->vms[next->vm_count++] = vm;
	else if (memo.pid)
		next->memo[next->memo_count++] = memo;
}

int vm_table_scan(struct vm_table *table, int root_fd, uint64_t now_ticks)
{
	struct scan_cursor at = { 0, 0 };
	struct vm_generation swap;
	int err;

	if (!table->cmdline && !(table->cmdline = malloc(CMDLINE_MAX)))
		return -ENOMEM;
	err = procfs_list_ids(root_fd, false, &table->pids);
	if (err)
		return err;
	if (reserve(&table->next, table->pids.len + 1))
		return -ENOMEM;
	table->next.vm_count = table->next.memo_count = 0;
	for (size_t i = 0; i < table->pids.len; i++)
		scan_one_pid(table, root_fd, &table->pids.entries[i], now_ticks, &at);
	while (at.vm < table->cur.vm_count)
		vm_entry_free(table->cur.vms[at.vm++]);
	swap = table->cur;
	table->cur = table->next;
	table->next = swap;
	return 0;
}

void vm_table_free(struct vm_table *table)
{
	for (size_t i = 0; i < table->cur.vm_count; i++)
		vm_entry_free(table->cur.vms[i]);
	free(table->cur.vms);
	free(table->cur.memo);
	free(table->next.vms);
	free(table->next.memo);
	free(table->cmdline);
	id_list_free(&table->pids);
	memset(table, 0, sizeof(*table));
}
