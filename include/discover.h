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
	int vcpu_id;       /* this tick's vCPU number, VCPU_NONE for others */
	int named_vcpu;    /* n from a "CPU n/KVM" name, else VCPU_NONE */
	bool tcg;          /* named "CPU n/TCG" */
	bool guest_time;   /* has run guest code: field 43 of its stat > 0 */
	bool just_opened;  /* its stat was read this tick already */
	uint8_t name_checks; /* ticks left to look at its name again: QEMU
	                        names a new thread just after creating it */
};

struct vm_entry {
	int pid;
	uint64_t ino;               /* of PID's directory in the root listing */
	uint64_t starttime;
	int dir_fd;                 /* PID directory, relative to the root */
	int stat_fd;                /* PID/stat */
	int task_fd;                /* PID/task, re-listed every tick */
	char *name;                 /* valid UTF-8, NUL-terminated, "" if none */
	size_t name_len;
	bool has_uuid;
	char uuid[UUID_TEXT_LEN + 1];
	char main_comm[COMM_MAX];
	struct pid_stat stat;       /* as read by the latest scan */
	struct thread_entry *threads; /* sorted by tid */
	size_t thread_count, thread_cap;
	bool thread_gone;           /* a tracked thread was found gone */
	bool vcpus_by_guest_time;   /* no thread is named CPU n/...: the vCPUs
	                               are the threads with guest time */
};

/* A process found not to be QEMU.  It is not examined again while its pid
 * lists with the same inode (a new process behind a reused pid gets a new
 * one), except while it is young: a launcher such as libvirt forks and then
 * execs QEMU, and an exec changes the comm, so a young process's comm is read
 * again each tick until it is YOUNG_PROCESS_S old. */
struct pid_memo {
	int pid;
	uint64_t ino;
	uint64_t starttime;     /* clock ticks after boot */
	bool settled;           /* old enough: no more reads */
	char comm[COMM_MAX];
};

#define YOUNG_PROCESS_S 30

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
	struct vm_generation cur, next;
	struct id_list pids;    /* scratch: the root listing */
	char *cmdline;          /* scratch, CMDLINE_MAX bytes */
	long clk_tck;
};

#define CMDLINE_MAX (128 * 1024)

/* Lists the root and brings the table up to date: VMs that are gone or whose
 * PID was reused are dropped, new VMs are added, every VM's stat is re-read.
 * now_ticks: clock ticks since boot (CLOCK_BOOTTIME), to tell young processes.
 * Returns 0, or -errno when the root itself cannot be listed. */
int vm_table_scan(struct vm_table *table, int root_fd, uint64_t now_ticks);

void vm_table_free(struct vm_table *table);

/* Closes a thread's fd; used by the sampler when a thread goes away. */
void thread_entry_close(struct thread_entry *thread);

#endif
