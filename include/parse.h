/* parse: pure parsers for the /proc files kvmsteal reads.
 *
 * Each takes bytes and a length (no NUL needed, any content accepted) and
 * fills a struct, returning 0 or -EINVAL.  None touches the filesystem, so the
 * unit tests and the fuzzers feed them arbitrary bytes.  What a QEMU
 * process's own bytes say of the guest (its command line, its vCPU thread
 * names) is in qemu_args. */
#ifndef KVMSTEAL_PARSE_H
#define KVMSTEAL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COMM_MAX 16 /* TASK_COMM_LEN: 15 bytes and a NUL */
#define CPU_LIST_MAX 128 /* longest Cpus_allowed_list kept ("0-255" is 5 bytes; a list of
			    single CPUs past that length is not reported rather than cut) */

/* /proc/PID/task/TID/schedstat: three counters since the thread started. */
struct schedstat {
	uint64_t cpu_ns;     /* (1) time on a CPU */
	uint64_t wait_ns;    /* (2) time runnable, waiting on a run queue */
	uint64_t timeslices; /* (3) times it was scheduled in */
};

/* The fields of /proc/PID/stat (or task/TID/stat) that kvmsteal uses. */
struct pid_stat {
	char comm[COMM_MAX];    /* (2) between the first '(' and the last ')' */
	char state;             /* (3) 'Z' zombie, 'X' dead, ... */
	uint64_t utime;         /* (14) clock ticks, guest time included */
	uint64_t stime;         /* (15) clock ticks */
	uint64_t num_threads;   /* (20) */
	uint64_t starttime;     /* (22) clock ticks after boot: identity with the pid */
	uint64_t guest_time;    /* (43) clock ticks running a guest */
};

/* The aggregate "cpu" line of /proc/stat, in clock ticks. */
struct cpu_times {
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
	uint64_t guest, guest_nice; /* already counted inside user and nice */
};

struct host_stat {
	struct cpu_times cpu;
	unsigned cpu_count; /* number of "cpuN" lines: online CPUs */
};

/* One "cpuN" line of /proc/stat: an online CPU's times. */
struct cpu_line {
	unsigned id;
	struct cpu_times t;
};

int parse_schedstat(const char *buf, size_t len, struct schedstat *out);
int parse_pid_stat(const char *buf, size_t len, struct pid_stat *out);
int parse_proc_stat(const char *buf, size_t len, struct host_stat *out);

/* The "cpuN" lines of /proc/stat (a buffer parse_proc_stat accepted) into
 * out, at most cap of them, in the file's order (ascending ids).  The
 * number written, or -EINVAL for a malformed line or ids out of order,
 * -ENOSPC for more than cap lines. */
int parse_proc_stat_cpus(const char *buf, size_t len, struct cpu_line *out, size_t cap);

/* A CPU list in the kernel's format ("0-3,8", as Cpus_allowed_list prints
 * it; NUL-terminated) into mask (ncpus bits in bytes of 8, cleared first):
 * CPUs at or past ncpus are left out.  0, or -EINVAL when malformed. */
int parse_cpu_list(const char *list, unsigned char *mask, size_t ncpus);

/* /proc/PID/task/TID/status: the value of Cpus_allowed_list ("0-3,8", the
 * kernel's list format, checked as such) into out (CPU_LIST_MAX + 1 bytes).
 * 0, or -EINVAL when the line is missing, malformed or longer. */
int parse_status_cpus(const char *buf, size_t len, char out[CPU_LIST_MAX + 1]);

/* The CPUs set in mask (ncpus bits, one per CPU, in bytes of 8) in the
 * kernel's list format ("0-3,8"), as Cpus_allowed_list prints them.
 * 0, or -ENOSPC when the list is longer than CPU_LIST_MAX, -EINVAL for none. */
int format_cpu_list(const unsigned char *mask, size_t ncpus, char out[CPU_LIST_MAX + 1]);

#define CGROUP_PATH_MAX 1024
#define CGROUP_CONTROLLERS_MAX 64

/* The cgroup that /proc/PID/task/TID/cgroup gives a thread for the cpu
 * controller: a cgroup v1 line whose controller list holds "cpu"
 * ("4:cpu,cpuacct:/machine.slice/..."), else the v2 line "0::/...". */
struct cgroup_ref {
	bool v1;
	char controllers[CGROUP_CONTROLLERS_MAX]; /* v1: the list as printed: the hierarchy's directory */
	char path[CGROUP_PATH_MAX];               /* "/..." without "." or ".." components */
};

/* 0, or -EINVAL when there is no such line, or its path could leave the
 * hierarchy ("..") or is too long. */
int parse_proc_cgroup(const char *buf, size_t len, struct cgroup_ref *out);

/* cgroup v2 cpu.max: "max PERIOD" (no limit: *quota_us = -1) or "QUOTA PERIOD". */
int parse_cpu_max(const char *buf, size_t len, int64_t *quota_us, uint64_t *period_us);

/* cgroup v1 cpu.cfs_quota_us or cpu.cfs_period_us: one integer (-1: no quota). */
int parse_cgroup_int(const char *buf, size_t len, int64_t *out);

/* cpu.stat: the value of key ("throttled_usec" in v2, "throttled_time" ns in v1). */
int parse_cpu_stat(const char *buf, size_t len, const char *key, uint64_t *out);

#endif
