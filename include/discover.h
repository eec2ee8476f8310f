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

struct fd_budget; /* the table's: how many proc files may be kept open */
struct vm_entry;

/* A thread of a VM.  The table alone creates, merges and frees these (its
 * vm_entry owns them); the table's part is its own, and each other part is
 * written by one module only, through the hooks below. */

/* vcpus.c's: who the thread is. */
struct thread_who {
	int vcpu_id;         /* this tick's vCPU number, VCPU_NONE for others */
	int named_vcpu;      /* n from a "CPU n/KVM" name, else VCPU_NONE */
	bool tcg;            /* named "CPU n/TCG" */
	bool guest_time;     /* has run guest code: field 43 of its stat > 0 */
	bool just_opened;    /* its stat was read this tick already */
	uint8_t name_checks; /* ticks left to look at its name again: QEMU
	                        names a new thread just after creating it */
	char comm[COMM_MAX]; /* its name when last read (the VM screen lists other threads by it) */
};

/* sample.c's: its last reading, and when the parts below are read again
 * (the table in sample.c).  cpus is allocated and freed by sample.c alone:
 * the table calls its forget hook before an entry goes. */
struct thread_watch {
	uint64_t wait_ns;       /* schedstat (2) at the previous tick: a vCPU that waits is looked at again */
	char *cpus;             /* a vCPU's Cpus_allowed_list; NULL if unknown */
	uint64_t cpus_at;       /* when to read it again, clock ticks after boot */
	struct cgroup_links cg; /* with --cgroup-root: the cgroups on a vCPU's path (cgroup.c links them) */
	uint64_t cg_at;         /* when to read its cgroup file again; 0: never read */
	uint64_t cg_read_at;    /* when it was last read */
	uint32_t cg_hash;       /* of its cgroup file when last read */
	bool sampled;           /* wait_ns holds its previous schedstat (2) */
};

struct thread_entry {
	/* the table's */
	int tid;
	uint64_t starttime;  /* set by the first look, which reads the thread's stat */
	int schedstat_fd;    /* kept open; -1 when the fd budget is spent: read by path */
	bool gone;           /* found gone this tick (fd closed): dropped at the next sync */
	int cgroup_fd;       /* task/TID/cgroup kept open once read (--cgroup-root); -1: not yet, or by path */
	bool cgroup_by_path; /* no descriptor could be kept for it */
	struct thread_who who;
	struct thread_watch watch;
};

/* What the table calls as a thread comes and goes.  first_look: who a new
 * thread is (vcpus_first_look), looked at once as it is added; an error
 * leaves the thread out.  forget: frees what another module hung on the
 * entry, before the entry goes (may be called twice: a gone thread's files
 * are closed at once, its entry at the next sync). */
struct thread_hooks {
	int (*first_look)(const struct vm_entry *vm, struct thread_entry *thread);
	void (*forget)(struct thread_entry *thread);
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
	const struct thread_hooks *hooks; /* the table's */
	char *name;                 /* valid UTF-8, NUL-terminated, "" if none */
	size_t name_len;
	struct vm_ident ident;      /* from its command line */
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

/* The table of VMs: it alone lists the root, keeps the VM entries and their
 * threads, remembers the processes that are not VMs, and spends the fd
 * budget.  Opaque. */
struct vm_table;

/* A table over the proc root root_fd (borrowed), calling hooks (borrowed)
 * as threads come and go; NULL on ENOMEM.  The fd budget is what
 * RLIMIT_NOFILE leaves after the descriptors open now. */
struct vm_table *vm_table_new(int root_fd, const struct thread_hooks *hooks);
void vm_table_free(struct vm_table *table);

/* Lists the root and brings the table up to date: VMs that are gone or whose
 * PID was reused are dropped, new VMs are added, every VM's stat is re-read.
 * now_ticks: clock ticks since boot (CLOCK_BOOTTIME), to tell young
 * processes; a test may give any clock.  0, or -errno when the root itself
 * cannot be listed. */
int vm_table_scan(struct vm_table *table, uint64_t now_ticks);

/* The VMs of the last scan, sorted by pid. */
size_t vm_table_count(const struct vm_table *table);
struct vm_entry *vm_table_vm(const struct vm_table *table, size_t i);

/* sysconf(_SC_CLK_TCK): the unit of starttime and of now_ticks. */
long vm_table_clk_tck(const struct vm_table *table);

/* Makes vm->threads follow the process's task/ listing when it may have
 * changed (the thread count differs, or a thread was found gone): gone
 * threads are freed, new ones added (their schedstat kept open while the
 * budget allows) and looked at.  0, or -errno when the VM has vanished. */
int vm_table_sync_threads(struct vm_table *table, struct vm_entry *vm);

/* Reads the thread's task/TID/cgroup into buf: through a descriptor kept
 * from the first read on while the budget allows (a pread costs a third of
 * an open, read and close), else by path.  As vm_read_file. */
ssize_t vm_table_read_cgroup(struct vm_table *table, const struct vm_entry *vm, struct thread_entry *thread,
			     char *buf, size_t size);

/* A thread whose files say it is gone: its fd is given back now, the entry
 * goes at the next sync. */
void vm_table_thread_gone(struct vm_entry *vm, struct thread_entry *thread);

/* Once: when some file was read by path for want of a descriptor, says the
 * limit and what keeping every file open would take. */
void vm_table_warn_if_short_of_fds(struct vm_table *table);

#endif
