/* discover: which processes under the proc root are QEMU VMs, and what their
 * command line says.  The table keeps, per VM, directory and stat fds open:
 * on the real /proc an fd opened on a process fails with ESRCH once that
 * process is gone, so a reused PID can never be mistaken for the old VM; the
 * starttime read on every tick covers fake trees, where fds do not expire. */
#ifndef KVMSTEAL_DISCOVER_H
#define KVMSTEAL_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "procfs.h"

/* A thread of a VM, as the sampler tracks it (owned by its vm_entry). */
struct thread_entry {
	int tid;
	uint64_t starttime;
	int schedstat_fd;  /* kept open; -1 after fds ran out: read by path */
	int vcpu_id;       /* VCPU_NONE for other threads */
	bool tcg;
	bool provisional;  /* comm still the main thread's: QEMU names a new
	                      thread just after creating it, so look again */
};

struct vm_entry {
	int pid;
	uint64_t starttime;
	int dir_fd;                 /* PID directory, relative to the root */
	int stat_fd;                /* PID/stat */
	char *name;                 /* valid UTF-8, NUL-terminated, "" if none */
	size_t name_len;
	bool has_uuid;
	char uuid[UUID_TEXT_LEN + 1];
	char main_comm[COMM_MAX];
	struct pid_stat stat;       /* as read by the latest scan */
	struct thread_entry *threads; /* sorted by tid */
	size_t thread_count, thread_cap;
	bool warned_no_vcpu;
};

/* A process found not to be QEMU, remembered with its comm so that it is not
 * examined again until its comm changes (an exec changes it). */
struct pid_memo {
	int pid;
	char comm[COMM_MAX];
};

struct vm_table {
	struct vm_entry **vms;  /* sorted by pid; each owned by the table */
	size_t count, cap;
	struct pid_memo *memo;  /* sorted by pid */
	size_t memo_count, memo_cap;
	struct id_list pids;    /* scratch */
	char *cmdline;          /* scratch, CMDLINE_MAX bytes */
};

#define CMDLINE_MAX (128 * 1024)

/* Lists the root and brings the table up to date: VMs that are gone or whose
 * PID was reused are dropped, new VMs are added, every VM's stat is re-read.
 * Returns 0, or -errno when the root itself cannot be listed. */
int vm_table_scan(struct vm_table *table, int root_fd);

void vm_table_free(struct vm_table *table);

/* Closes a thread's fd; used by the sampler when a thread goes away. */
void thread_entry_close(struct thread_entry *thread);

#endif
