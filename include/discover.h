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
#include "qemu_args.h"
#include "procfs.h"
#include "snapshot.h"

/* How many descriptors the agent keeps open on proc files.  Keeping a file
 * open is only cheaper than opening it again; every file can also be read by
 * path.  The rest of RLIMIT_NOFILE stays free for what a tick cannot do
 * without: /proc/stat, the listing, a file read by path, the output and
 * the textfile. */
struct fd_budget {
	size_t limit;     /* descriptors that may be kept */
	size_t kept;      /* kept now */
	size_t reserved;  /* left free for the agent itself */
	bool short_of;    /* this tick, some file was read by path for want of one */
};

/* True (and counted) when one more descriptor may be kept. */
bool fd_budget_take(struct fd_budget *budget);
void fd_budget_give(struct fd_budget *budget);

/* A thread of a VM, as the sampler tracks it (owned by its vm_entry). */
struct thread_entry {
	int tid;
	uint64_t starttime;
	int schedstat_fd;  /* kept open; -1 when the fd budget is spent: read by path */
	int vcpu_id;       /* this tick's vCPU number, VCPU_NONE for others */
	int named_vcpu;    /* n from a "CPU n/KVM" name, else VCPU_NONE */
	bool tcg;          /* named "CPU n/TCG" */
	bool guest_time;   /* has run guest code: field 43 of its stat > 0 */
	bool just_opened;  /* its stat was read this tick already */
	uint8_t name_checks; /* ticks left to look at its name again: QEMU
	                        names a new thread just after creating it */
	char comm[COMM_MAX]; /* its name when last read (the VM screen lists other threads by it) */
	bool sampled;        /* wait_ns holds its previous schedstat (2) */
	uint64_t wait_ns;    /* schedstat (2) at the previous tick: a vCPU that waits is looked at again */
	char *cpus;          /* a vCPU's Cpus_allowed_list, owned; NULL if unknown */
	uint64_t cpus_at;    /* when to read it again, clock ticks after boot */
	struct cgroup_links cg; /* with --cgroup-root: the cgroups on a vCPU's path */
	uint64_t cg_at;      /* when to read its cgroup file again; 0: never read */
	uint32_t cg_hash;    /* of its cgroup file when last read */
};

struct vm_entry {
	int pid;
	uint64_t ino;               /* of PID's directory in the root listing */
	uint64_t starttime;
	int root_fd;                /* borrowed: files without a kept fd are read from here */
	int dir_fd;                 /* PID directory, relative to the root; -1: by path */
	int stat_fd;                /* PID/stat; -1: by path */
	int task_fd;                /* PID/task, re-listed when threads change; -1: by path */
	struct fd_budget *budget;   /* the table's */
	char *name;                 /* valid UTF-8, NUL-terminated, "" if none */
	size_t name_len;
	bool has_uuid;
	char uuid[UUID_TEXT_LEN + 1];
	char id[VM_ID_MAX + 1];     /* Proxmox VE's -id, "" if none */
	char main_comm[COMM_MAX];
	struct pid_stat stat;       /* as read by the latest scan */
	struct thread_entry *threads; /* sorted by tid */
	size_t thread_count, thread_cap;
	bool thread_gone;           /* a tracked thread was found gone */
	enum vcpu_source source;    /* how this tick's vCPUs were told apart */
};

/* Reads (or opens) the file rel of vm's process, e.g. "task/12/stat":
 * through its directory fd when one is kept, else by path from the root.
 * Return as procfs_read_file / procfs_open_file / procfs_open_dir. */
ssize_t vm_read_file(const struct vm_entry *vm, const char *rel, char *buf, size_t size);
int vm_open_file(const struct vm_entry *vm, const char *rel);
int vm_open_dir(const struct vm_entry *vm, const char *rel);

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
	struct vm_generation cur, next;
	struct id_list pids;    /* scratch: the root listing */
	char *cmdline;          /* scratch, CMDLINE_MAX bytes */
	long clk_tck;
	struct fd_budget budget;
};

#define CMDLINE_MAX (128 * 1024)

/* Lists the root and brings the table up to date: VMs that are gone or whose
 * PID was reused are dropped, new VMs are added, every VM's stat is re-read.
 * now_ticks: clock ticks since boot (CLOCK_BOOTTIME), to tell young processes.
 * Returns 0, or -errno when the root itself cannot be listed. */
int vm_table_scan(struct vm_table *table, int root_fd, uint64_t now_ticks);

void vm_table_free(struct vm_table *table);

/* Closes a thread's fd (given back to budget); used by the sampler when a
 * thread goes away. */
void thread_entry_close(struct thread_entry *thread, struct fd_budget *budget);

#endif
