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

static void vm_entry_free(struct vm_entry *vm)
{
	if (!vm)
		return;
	for (size_t i = 0; i < vm->thread_count; i++)
		thread_entry_close(&vm->threads[i]);
	if (vm->stat_fd >= 0)
		close(vm->stat_fd);
	if (vm->dir_fd >= 0)
		close(vm->dir_fd);
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

/* Builds the entry for a QEMU process whose PID directory is open as dir_fd
 * (taken over: closed on failure). */
static struct vm_entry *vm_entry_new(int pid, int dir_fd, const char *cmdline, size_t len)
{
	struct vm_entry *vm = calloc(1, sizeof(*vm));
	char buf[STAT_MAX];
	ssize_t n;

	if (!vm) {
		close(dir_fd);
		return NULL;
	}
	vm->pid = pid;
	vm->dir_fd = dir_fd;
	vm->stat_fd = procfs_open_file(dir_fd, "stat");
	if (vm->stat_fd < 0)
		goto fail;
	n = procfs_pread(vm->stat_fd, buf, sizeof(buf));
	if (n < 0 || parse_pid_stat(buf, (size_t)n, &vm->stat))
		goto fail;
	if (vm->stat.state == 'Z' || vm->stat.state == 'X')
		goto fail;
	vm->starttime = vm->stat.starttime;
	memcpy(vm->main_comm, vm->stat.comm, sizeof(vm->main_comm));
	if (vm_entry_set_identity(vm, cmdline, len))
		goto fail;
	return vm;
fail:
	vm_entry_free(vm);
	return NULL;
}

static void strip_newline(char *text)
{
	size_t len = strlen(text);
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
}

/* Looks at a PID not tracked as a VM.  Returns a new VM entry, or NULL with
 * *memo filled when it is some other process (memo->pid 0: it vanished). */
static struct vm_entry *examine_pid(struct vm_table *table, int root_fd, int pid,
				    const struct pid_memo *known, struct pid_memo *memo)
{
	char path[32], comm[64];
	ssize_t len;
	int dir_fd;
	bool is_qemu;

	memo->pid = 0;
	snprintf(path, sizeof(path), "%d/comm", pid);
	if (procfs_read_file(root_fd, path, comm, sizeof(comm)) < 0)
		return NULL;
	strip_newline(comm);
	snprintf(memo->comm, sizeof(memo->comm), "%s", comm);
	if (known && strcmp(known->comm, memo->comm) == 0) {
		memo->pid = pid;
		return NULL;
	}
	snprintf(path, sizeof(path), "%d", pid);
	dir_fd = procfs_open_dir(root_fd, path);
	if (dir_fd < 0)
		return NULL;
	len = procfs_read_file(dir_fd, "cmdline", table->cmdline, CMDLINE_MAX);
	if (len < 0)
		len = 0;
	/* QEMU may rename its main thread (-name ...,process=X): argv[0] still tells. */
	is_qemu = parse_is_qemu_program(comm, strlen(comm)) ||
		  parse_is_qemu_argv0(table->cmdline, (size_t)len);
	if (is_qemu && len > 0)
		return vm_entry_new(pid, dir_fd, table->cmdline, (size_t)len);
	close(dir_fd);
	memo->pid = pid;
	return NULL;
}

static int grow_array(void **array, size_t *cap, size_t want, size_t elem)
{
	size_t new_cap = *cap ? *cap : 64;
	void *grown;

	if (want <= *cap)
		return 0;
	while (new_cap < want)
		new_cap *= 2;
	grown = realloc(*array, new_cap * elem);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*cap = new_cap;
	return 0;
}

/* The next table and memo are built in fresh arrays sized for every listed PID,
 * then swapped in and the old ones freed. */
struct scan_result {
	struct vm_entry **vms;
	size_t count, cap;
	struct pid_memo *memo;
	size_t memo_count, memo_cap;
};

static void scan_one_pid(struct vm_table *table, int root_fd, int pid, size_t *old_i,
			 size_t *memo_i, struct scan_result *next)
{
	const struct pid_memo *known = NULL;
	struct pid_memo memo;
	struct vm_entry *vm = NULL;

	while (*old_i < table->count && table->vms[*old_i]->pid < pid)
		vm_entry_free(table->vms[(*old_i)++]); /* vanished */
	while (*memo_i < table->memo_count && table->memo[*memo_i].pid < pid)
		(*memo_i)++;
	if (*old_i < table->count && table->vms[*old_i]->pid == pid) {
		vm = table->vms[(*old_i)++];
		if (vm_entry_refresh(vm) == 0) {
			next->vms[next->count++] = vm;
			return;
		}
		vm_entry_free(vm); /* gone or PID reused: whatever is there now is new */
	}
	if (*memo_i < table->memo_count && table->memo[*memo_i].pid == pid)
		known = &table->memo[*memo_i];
	vm = examine_pid(table, root_fd, pid, known, &memo);
	if (vm)
		next->vms[next->count++] = vm;
	else if (memo.pid)
		next->memo[next->memo_count++] = memo;
}

int vm_table_scan(struct vm_table *table, int root_fd)
{
	struct scan_result next = { 0 };
	size_t old_i = 0, memo_i = 0;
	int err;

	if (!table->cmdline && !(table->cmdline = malloc(CMDLINE_MAX)))
		return -ENOMEM;
	err = procfs_list_ids(root_fd, ".", &table->pids);
	if (err)
		return err;
	if (grow_array((void **)&next.vms, &next.cap, table->pids.len + 1, sizeof(*next.vms)) ||
	    grow_array((void **)&next.memo, &next.memo_cap, table->pids.len + 1, sizeof(*next.memo))) {
		free(next.vms);
		free(next.memo);
		return -ENOMEM;
	}
	for (size_t i = 0; i < table->pids.len; i++)
		scan_one_pid(table, root_fd, table->pids.ids[i], &old_i, &memo_i, &next);
	while (old_i < table->count)
		vm_entry_free(table->vms[old_i++]);
	free(table->vms);
	free(table->memo);
	table->vms = next.vms;
	table->count = next.count;
	table->cap = next.cap;
	table->memo = next.memo;
	table->memo_count = next.memo_count;
	table->memo_cap = next.memo_cap;
	return 0;
}

void vm_table_free(struct vm_table *table)
{
	for (size_t i = 0; i < table->count; i++)
		vm_entry_free(table->vms[i]);
	free(table->vms);
	free(table->memo);
	free(table->cmdline);
	id_list_free(&table->pids);
	memset(table, 0, sizeof(*table));
}
