/* refread: the reference readers for scripts/bench.sh.
 *
 *   refread INTERVAL_S TICKS [--schema-floor] PID...
 *
 * It opens the schedstat file of every thread of the PIDs given once, then on
 * each tick (absolute deadlines, like kvmsteal) does one pread per thread and
 * nothing else: no parsing, no output.  That is the cost floor of reading
 * run-queue wait from /proc.
 *
 * --schema-floor adds, each tick, the other reads that schema v1 cannot do
 * without: one listing of /proc (a new VM must show up within a tick) with a
 * directory fd kept open, and one pread of /proc/PID/stat per PID on a kept
 * fd (utime, stime and guest_time of the process figures).  Still nothing is
 * parsed or written: it is what any agent writing schema v1 from /proc pays
 * to the kernel. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_FDS = 100000, MAX_PIDS = 20000 };

struct fds {
	int *fd;
	int count, max;
};

static void keep(struct fds *fds, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && fds->count < fds->max)
		fds->fd[fds->count++] = fd;
	else if (fd >= 0)
		close(fd);
}

static void open_threads(const char *pid, struct fds *threads)
{
	char path[600];
	DIR *dir;
	struct dirent *entry;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid, entry->d_name);
		keep(threads, path);
	}
	closedir(dir);
}

static void read_all(const struct fds *fds)
{
	char buf[1024];

	for (int i = 0; i < fds->count; i++)
		if (pread(fds->fd[i], buf, sizeof(buf), 0) < 0)
			buf[0] = 0;
}

static void list_proc(int proc_fd)
{
	char buf[16384];

	if (lseek(proc_fd, 0, SEEK_SET) == 0)
		while (getdents64(proc_fd, buf, sizeof(buf)) > 0)
			;
}

int main(int argc, char **argv)
{
	static int thread_fd[MAX_FDS], stat_fd[MAX_PIDS];
	struct fds threads = { thread_fd, 0, MAX_FDS }, stats = { stat_fd, 0, MAX_PIDS };
	struct timespec deadline;
	int first_pid = 3, proc_fd = -1;
	double interval;
	long ticks;

	if (argc > 3 && strcmp(argv[3], "--schema-floor") == 0)
		first_pid = 4;
	if (argc <= first_pid) {
		fprintf(stderr, "usage: refread INTERVAL_S TICKS [--schema-floor] PID...\n");
		return 64;
	}
	interval = atof(argv[1]);
	ticks = atol(argv[2]);
	for (int i = first_pid; i < argc; i++) {
		char path[600];
		open_threads(argv[i], &threads);
		snprintf(path, sizeof(path), "/proc/%s/stat", argv[i]);
		if (first_pid == 4)
			keep(&stats, path);
	}
	if (first_pid == 4)
		proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fprintf(stderr, "refread: %d threads, %d stat files\n", threads.count, stats.count);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	for (long t = 0; t < ticks; t++) {
		long ns = deadline.tv_nsec + (long)(interval * 1e9);
		deadline.tv_sec += ns / 1000000000L;
		deadline.tv_nsec = ns % 1000000000L;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
		if (proc_fd >= 0)
			list_proc(proc_fd);
		read_all(&stats);
		read_all(&threads);
	}
	return 0;
}
