#include "discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "snapshot.h"
#include "text.h"

#define STAT_MAX 1024

void thread_entry_close(struct thread_entry *thread)
{
	if (thread->schedstat_fd >= 0)
		close(thread->schedstat_fd);
	thread->schedstat_fd = -1;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void vm_entry_free(struct vm_entry *vm)
{
	if (!vm)
		return;
	for (size_t i = 0; i < vm->thread_count; i++)
		thread_entry_close(&vm->threads[i]);
	close_fd(vm->task_fd);
	close_fd(vm->stat_fd);
	close_fd(vm->dir_fd);
	free(vm->threads);
	free(vm->name);
	free(vm);
}

/* Re-reads PID/stat.  -ESRCH when the process is gone, a zombie, or another
 * process now holds the PID (a different starttime). */
static int vm_entry_refresh(struct vm_entry *vm)
{
	char buf[STAT_MAX];
	ssize_t len = procfs_pread(vm->stat_fd, buf, sizeof(buf));
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
	if (args.uuid_malformed)
		diag("VM pid %d (\"%s\"): -uuid is not a UUID (8-4-4-4-12 hex); reporting it without vm_uuid",
		     vm->pid, vm->name);
	qemu_args_free(&args);
	return 0;
}

/* Builds the entry for the QEMU process found as `found` (its stat read by
 * path a moment ago).  Everything is read again through the PID directory fd,
 * and the starttime must still match, so the entry is that very process. */
static struct vm_entry *vm_entry_new(struct vm_table *table, int root_fd, const struct id_entry *found,
				     uint64_t starttime)
{
	struct vm_entry *vm = calloc(1, sizeof(*vm));
	char path[16];
	ssize_t len;

	if (!vm)
		return NULL;
	vm->pid = found->id;
	vm->ino = found->ino;
	vm->starttime = starttime;
	vm->stat_fd = vm->task_fd = -1;
	snprintf(path, sizeof(path), "%d", found->id);
	vm->dir_fd = procfs_open_dir(root_fd, path);
	if (vm->dir_fd < 0)
		goto fail;
	vm->stat_fd = procfs_open_file(vm->dir_fd, "stat");
	vm->task_fd = procfs_open_dir(vm->dir_fd, "task");
	if (vm->stat_fd < 0 || vm->task_fd < 0 || vm_entry_refresh(vm) != 0)
		goto fail;
	memcpy(vm->main_comm, vm->stat.comm, sizeof(vm->main_comm));
	len = procfs_read_file(vm->dir_fd, "cmdline", table->cmdline, CMDLINE_MAX);
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

/* Looks at a PID the table does not know (or whose comm changed): its stat
 * says its comm, state and starttime; argv[0] is read only when the comm does
 * not already tell (QEMU renames its main thread with -name ...,process=X).
 * Returns a new VM entry, or NULL with *memo filled for another process
 * (memo->pid 0 when it vanished, could not be read, or is a QEMU that could
 * not be opened). */
static struct vm_entry *examine_pid(struct vm_table *table, int root_fd, const struct id_entry *found,
				    uint64_t now_ticks, struct pid_memo *memo)
{
	char path[32], buf[1024];
	struct pid_stat stat;
	ssize_t len;
	bool is_qemu;

	memo->pid = 0;
	snprintf(path, sizeof(path), "%d/stat", found->id);
	len = procfs_read_file(root_fd, path, buf, sizeof(buf));
	if (len < 0 || parse_pid_stat(buf, (size_t)len, &stat))
		return NULL;
	is_qemu = parse_is_qemu_program(stat.comm, strlen(stat.comm));
	if (!is_qemu) {
		snprintf(path, sizeof(path), "%d/cmdline", found->id);
		len = procfs_read_file(root_fd, path, table->cmdline, CMDLINE_MAX);
		is_qemu = len > 0 && parse_is_qemu_argv0(table->cmdline, (size_t)len);
	}
	/* A QEMU that cannot be opened right now (it is exiting, or file
	 * descriptors ran out) is looked at again next tick: it is never
	 * remembered as some other process. */
	if (is_qemu && stat.state != 'Z' && stat.state != 'X')
		return vm_entry_new(table, root_fd, found, stat.starttime);
	*memo = (struct pid_memo){ .pid = found->id, .ino = found->ino, .starttime = stat.starttime,
				   .settled = !is_young(table, stat.starttime, now_ticks) };
	memcpy(memo->comm, stat.comm, sizeof(memo->comm));
	return NULL;
}

/* A known non-QEMU process: true when it still is one (memo updated). */
static bool memo_still_holds(const struct vm_table *table, int root_fd, struct pid_memo *memo,
			     const struct id_entry *found, uint64_t now_ticks)
{
	char path[32], comm[64];
	size_t len;

	if (memo->ino != found->ino)
		return false; /* a new process behind the same pid */
	if (memo->settled)
		return true;
	snprintf(path, sizeof(path), "%d/comm", found->id);
	if (procfs_read_file(root_fd, path, comm, sizeof(comm)) < 0)
		return false;
	len = strlen(comm);
	if (len > 0 && comm[len - 1] == '\n')
		comm[--len] = '\0';
	if (len >= COMM_MAX || strcmp(comm, memo->comm) != 0)
		return false; /* it exec'd: look again */
	memo->settled = !is_young(table, memo->starttime, now_ticks);
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
