/* fakeqemu: a process shaped like a QEMU/KVM guest, for tests and the demo on
 * machines without QEMU.
 *
 *   fakeqemu -name guest=NAME,debug-threads=on [-uuid UUID] -smp N [-pidfile F]
 *
 * It re-executes itself so that argv[0] is "qemu-system-x86_64" (or
 * $FAKEQEMU_ARGV0, e.g. Proxmox VE's /usr/bin/kvm), names its main thread
 * "qemu-system-x86" (or $FAKEQEMU_COMM) and starts N vCPU threads named "CPU n/KVM"
 * (FAKEQEMU_ACCEL=tcg: "CPU n/TCG") plus "call_rcu", "IO mon_iothread" and
 * "worker".  The first FAKEQEMU_BUSY vCPUs (default: all) spin, the others
 * sleep (in naps of FAKEQEMU_NAP_MS, default 50; benchmarks use long naps so that
 * thousands of idle threads cost nothing).  Once every thread is named it writes its pid to -pidfile (atomically,
 * like QEMU), then runs until SIGTERM/SIGINT or FAKEQEMU_SECONDS (default 60).
 * SIGUSR1 replaces the last vCPU thread by a new one of the same name (a new
 * TID, as after a vCPU unplug and plug); SIGUSR2 does the same to the
 * "worker" thread (QEMU's thread pool lets workers exit and starts new ones). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define QEMU_ARGV0 "qemu-system-x86_64"
#define MAX_VCPUS 1024

struct fake_thread {
	pthread_t handle;
	char name[16];
	bool busy;
	int nap_ms;
	atomic_int stop;
};

static atomic_int named_count;

static void *thread_main(void *arg)
{
	struct fake_thread *t = arg;
	struct timespec nap = { t->nap_ms / 1000, (long)(t->nap_ms % 1000) * 1000 * 1000 };

	pthread_setname_np(pthread_self(), t->name);
	atomic_fetch_add(&named_count, 1);
	while (!atomic_load_explicit(&t->stop, memory_order_relaxed)) {
		if (t->busy) {
			for (volatile int i = 0; i < 100000; i++)
				;
		} else {
			nanosleep(&nap, NULL);
		}
	}
	return NULL;
}

static void reexec_as_qemu(int argc, char **argv)
{
	const char *want = getenv("FAKEQEMU_ARGV0") ? getenv("FAKEQEMU_ARGV0") : QEMU_ARGV0;
	char **args;

	if (strcmp(argv[0], want) == 0)
		return;
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args)
		exit(1);
	args[0] = (char *)want;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	execv("/proc/self/exe", args);
	perror("fakeqemu: execv /proc/self/exe");
	exit(1);
}

static const char *arg_after(int argc, char **argv, const char *option)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], option) == 0)
			return argv[i + 1];
	return NULL;
}

static int write_pidfile(const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static int env_int(const char *name, int fallback)
{
	const char *value = getenv(name);
	return value && *value ? atoi(value) : fallback;
}

int main(int argc, char **argv)
{
	static struct fake_thread threads[MAX_VCPUS + 3];
	static const char *others[] = { "call_rcu", "IO mon_iothread", "worker" };
	const char *smp = arg_after(argc, argv, "-smp");
	const char *pidfile = arg_after(argc, argv, "-pidfile");
	const char *accel = getenv("FAKEQEMU_ACCEL");
	int vcpus = smp ? atoi(smp) : 1;
	int busy = env_int("FAKEQEMU_BUSY", vcpus);
	int seconds = env_int("FAKEQEMU_SECONDS", 60);
	int nap_ms = env_int("FAKEQEMU_NAP_MS", 50);
	int count = 0;
	sigset_t stop_signals;
	struct timespec timeout = { seconds, 0 };

	reexec_as_qemu(argc, argv);
	if (vcpus < 0 || vcpus > MAX_VCPUS) {
		fprintf(stderr, "fakeqemu: -smp from 0 to %d\n", MAX_VCPUS);
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test that started us */
	prctl(PR_SET_NAME, getenv("FAKEQEMU_COMM") ? getenv("FAKEQEMU_COMM") : "qemu-system-x86");
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGUSR1);
	sigaddset(&stop_signals, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	for (int i = 0; i < vcpus; i++, count++) {
		snprintf(threads[count].name, sizeof(threads[count].name), "CPU %d/%s", i,
			 accel && strcmp(accel, "tcg") == 0 ? "TCG" : "KVM");
		threads[count].busy = i < busy;
	}
	for (int i = 0; i < 3; i++, count++)
		snprintf(threads[count].name, sizeof(threads[count].name), "%s", others[i]);
	for (int i = 0; i < count; i++)
		threads[i].nap_ms = nap_ms > 0 ? nap_ms : 50;
	for (int i = 0; i < count; i++)
		if (pthread_create(&threads[i].handle, NULL, thread_main, &threads[i]) != 0) {
			fprintf(stderr, "fakeqemu: cannot create thread %d\n", i);
			return 1;
		}
	while (atomic_load(&named_count) < count)
		usleep(1000);
	if (pidfile && write_pidfile(pidfile) != 0)
		fprintf(stderr, "fakeqemu: cannot write %s: %s\n", pidfile, strerror(errno));

	for (int sig;;) {
		sig = sigtimedwait(&stop_signals, NULL, &timeout);
		if (sig < 0 && errno == EINTR)
			continue; /* stopped and continued (SIGSTOP, SIGCONT): go on */
		if (sig != SIGUSR1 && sig != SIGUSR2)
			break;
		struct fake_thread *last = &threads[sig == SIGUSR1 && vcpus > 0 ? vcpus - 1 : count - 1];
		atomic_store(&last->stop, 1);
		pthread_join(last->handle, NULL);
		atomic_store(&last->stop, 0);
		if (pthread_create(&last->handle, NULL, thread_main, last) != 0)
			return 1;
	}
	for (int i = 0; i < count; i++)
		atomic_store(&threads[i].stop, 1);
	for (int i = 0; i < count; i++)
		pthread_join(threads[i].handle, NULL);
	return 0;
}
