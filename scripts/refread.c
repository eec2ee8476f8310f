/* refread: the reference reader for scripts/bench.sh, the cost floor of
 * reading run-queue wait from /proc.  It opens the schedstat file of every
 * thread of the PIDs given once, then on each tick (absolute deadlines, like
 * kvmsteal) does one pread per thread and nothing else: no parsing, no output.
 *
 *   refread INTERVAL_S TICKS PID...
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int open_threads(const char *pid, int *fds, int count, int max)
{
	char path[600];
	DIR *dir;
	struct dirent *entry;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	dir = opendir(path);
	if (!dir)
		return count;
	while ((entry = readdir(dir)) != NULL && count < max) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid, entry->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			fds[count++] = fd;
	}
	closedir(dir);
	return count;
}

int main(int argc, char **argv)
{
	enum { MAX_FDS = 100000 };
	static int fds[MAX_FDS];
	struct timespec deadline;
	double interval;
	long ticks;
	int count = 0;
	char buf[128];

	if (argc < 4) {
		fprintf(stderr, "usage: refread INTERVAL_S TICKS PID...\n");
		return 64;
	}
	interval = atof(argv[1]);
	ticks = atol(argv[2]);
	for (int i = 3; i < argc; i++)
		count = open_threads(argv[i], fds, count, MAX_FDS);
	fprintf(stderr, "refread: %d threads\n", count);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	for (long t = 0; t < ticks; t++) {
		long ns = deadline.tv_nsec + (long)(interval * 1e9);
		deadline.tv_sec += ns / 1000000000L;
		deadline.tv_nsec = ns % 1000000000L;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
		for (int i = 0; i < count; i++)
			if (pread(fds[i], buf, sizeof(buf), 0) < 0)
				buf[0] = 0;
	}
	return 0;
}
