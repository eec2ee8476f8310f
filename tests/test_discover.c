/* discover.c on a fake proc tree with an injected clock: which processes are
 * VMs, and how soon a process that execs QEMU is found (young: the next
 * scan; settled: within RECHECK_S, its first wait spread by pid; a QEMU
 * look-alike: the next scan), a reused PID, a thread that goes.  The same
 * logic tests/identity.sh checks in real time (a late exec, 66 s), here in
 * milliseconds. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "discover.h"
#include "procfs.h"
#include "vcpus.h"

static char root[64];
static long hz;

static void put(const char *rel, const char *data, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644); /* in place: a kept fd reads the new bytes */
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		perror(path);
	if (fd >= 0)
		close(fd);
}

/* PID's stat as proc(5) lays it out; only state, threads and starttime matter here. */
static void put_stat(const char *rel, int pid, const char *comm, int threads, uint64_t starttime)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%d (%s) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 %d 0 %llu 0 0 0 0 0 0 0 0 0 0 "
			 "0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", pid, comm, threads, (unsigned long long)starttime);
	put(rel, line, (size_t)n);
}

/* A process: its stat, comm, cmdline (NUL-separated argv) and threads
 * pid, pid+1, ... (the first named comm, the others names[i]). */
static void process(int pid, const char *comm, const char *argv, size_t argv_len, int threads, const char **names,
		    uint64_t starttime)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "%s/%d", root, pid);
	mkdir(rel, 0755);
	snprintf(rel, sizeof(rel), "%s/%d/task", root, pid);
	mkdir(rel, 0755);
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	put_stat(rel, pid, comm, threads, starttime);
	snprintf(rel, sizeof(rel), "%d/comm", pid);
	put(rel, comm, strlen(comm));
	snprintf(rel, sizeof(rel), "%d/cmdline", pid);
	put(rel, argv, argv_len);
	for (int i = 0; i < threads; i++) {
		const char *name = i == 0 ? comm : names[i - 1];
		snprintf(rel, sizeof(rel), "%s/%d/task/%d", root, pid, pid + i);
		mkdir(rel, 0755);
		snprintf(rel, sizeof(rel), "%d/task/%d/stat", pid, pid + i);
		put_stat(rel, pid + i, name, threads, starttime);
		snprintf(rel, sizeof(rel), "%d/task/%d/comm", pid, pid + i);
		put(rel, name, strlen(name));
		snprintf(rel, sizeof(rel), "%d/task/%d/schedstat", pid, pid + i);
		put(rel, "1000 0 1\n", 9);
	}
}

static const char *qemu_threads[] = { "call_rcu", "CPU 0/KVM" };
static const char qemu_argv[] = "qemu-system-x86_64\0-name\0guest=late,debug-threads=on\0-smp\0001\0";
static const char bash_argv[] = "bash\0launch.sh\0";

/* The process at pid becomes QEMU in place (an exec keeps the pid and its directory). */
static void exec_qemu(int pid, uint64_t starttime)
{
	process(pid, "qemu-system-x86", qemu_argv, sizeof(qemu_argv) - 1, 3, qemu_threads, starttime);
}

static size_t vms(struct vm_table *t, uint64_t now, int *first_pid)
{
	CHECK(vm_table_scan(t, now) == 0);
	*first_pid = vm_table_count(t) ? vm_table_vm(t, 0)->pid : 0;
	return vm_table_count(t);
}

static int open_root(void)
{
	strcpy(root, "/tmp/kvmsteal-discover.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return procfs_open_dir(AT_FDCWD, root);
}

static void remove_root(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
}

/* The threads the table said it was dropping (its forget hook), by tid. */
static int forgotten[8];
static size_t forgotten_count;

static void forget(struct thread_entry *thread)
{
	if (forgotten_count < sizeof(forgotten) / sizeof(forgotten[0]))
		forgotten[forgotten_count++] = thread->tid;
}

static const struct thread_hooks hooks = { .first_look = vcpus_first_look, .forget = forget };

/* A table over a new, empty tree; end() frees both. */
static struct vm_table *begin(int *fd)
{
	*fd = open_root();
	forgotten_count = 0;
	return vm_table_new(*fd, &hooks);
}

static void end(struct vm_table *t, int fd)
{
	vm_table_free(t);
	close(fd);
	remove_root();
}

/* A young process (5 s old) that execs QEMU is found at the next scan. */
static void test_young_exec(void)
{
	int fd, pid;
	struct vm_table *t = begin(&fd);
	uint64_t now = 1000 * (uint64_t)hz;

	process(100, "bash", bash_argv, sizeof(bash_argv) - 1, 1, NULL, now - 5 * (uint64_t)hz);
	CHECK(vms(t, now, &pid) == 0);
	exec_qemu(100, now - 5 * (uint64_t)hz);
	CHECK(vms(t, now + 1, &pid) == 1 && pid == 100);
	CHECK_STR(vm_table_vm(t, 0)->name, "late");
	end(t, fd);
}

/* A settled process's name is read again RECHECK_S (30 s) apart, its first
 * wait spread by pid (pid 200: 8/64 of 30 s, 3.75 s): an exec is found at
 * that read, not before. */
static void test_settled_exec(void)
{
	int fd, pid;
	struct vm_table *t = begin(&fd);
	uint64_t now = 1000 * (uint64_t)hz, first = 1 + 30 * (uint64_t)hz * 8 / 64;

	process(200, "bash", bash_argv, sizeof(bash_argv) - 1, 1, NULL, 0);
	CHECK(vms(t, now, &pid) == 0);
	exec_qemu(200, 0);
	CHECK(vms(t, now + first - 1, &pid) == 0); /* not due */
	CHECK(vms(t, now + first, &pid) == 1 && pid == 200);
	end(t, fd);
}

/* After a read that finds it unchanged, the next is 30 s later. */
static void test_settled_every_30_s(void)
{
	int fd, pid;
	struct vm_table *t = begin(&fd);
	uint64_t now = 1000 * (uint64_t)hz, first = 1 + 30 * (uint64_t)hz * 8 / 64, period = 30 * (uint64_t)hz;

	process(200, "bash", bash_argv, sizeof(bash_argv) - 1, 1, NULL, 0);
	CHECK(vms(t, now, &pid) == 0);
	CHECK(vms(t, now + first, &pid) == 0); /* read: still bash */
	exec_qemu(200, 0);
	CHECK(vms(t, now + first + period - 1, &pid) == 0);
	CHECK(vms(t, now + first + period, &pid) == 1 && pid == 200);
	end(t, fd);
}

/* Young means younger than 30 s: a 29 s old process is read each scan, and
 * once it is 30 s old it waits its turn. */
static void test_growing_old(void)
{
	int fd, pid;
	struct vm_table *t = begin(&fd);
	uint64_t now = 1000 * (uint64_t)hz, start = now - 29 * (uint64_t)hz;

	process(150, "bash", bash_argv, sizeof(bash_argv) - 1, 1, NULL, start); /* 150 % 64 = 22 */
	CHECK(vms(t, now, &pid) == 0);
	CHECK(vms(t, now + (uint64_t)hz, &pid) == 0); /* 30 s old: its first recheck is spread */
	exec_qemu(150, start);
	CHECK(vms(t, now + (uint64_t)hz + 2, &pid) == 0);
	CHECK(vms(t, now + (uint64_t)hz + 1 + 30 * (uint64_t)hz * 22 / 64, &pid) == 1);
	end(t, fd);
}

/* Named like QEMU with one thread (a wrapper script, or QEMU before its RCU
 * thread): not a VM, but examined whole each scan, however old. */
static void test_look_alike(void)
{
	int fd, pid;
	struct vm_table *t = begin(&fd);
	uint64_t now = 1000 * (uint64_t)hz;

	process(300, "qemu-system-x86", qemu_argv, sizeof(qemu_argv) - 1, 1, NULL, 0);
	CHECK(vms(t, now, &pid) == 0);
	CHECK(vms(t, now + 1, &pid) == 0);
	exec_qemu(300, 0);
	CHECK(vms(t, now + 2, &pid) == 1 && pid == 300);
	end(t, fd);
}

/* A PID reused (a new directory, so a new inode) is another process: the
 * VM goes, whatever its stat says. */
static void test_pid_reused(void)
{
	int fd, pid;
	struct vm_table *t = begin(&fd);
	uint64_t now = 1000 * (uint64_t)hz;
	char cmd[128];

	exec_qemu(400, 0);
	CHECK(vms(t, now, &pid) == 1 && pid == 400);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/400'", root);
	CHECK(system(cmd) == 0);
	process(400, "bash", bash_argv, sizeof(bash_argv) - 1, 1, NULL, now);
	CHECK(vms(t, now + 1, &pid) == 0);
	end(t, fd);
}

/* Threads follow task/: a gone thread is dropped at the next sync, a new
 * one added and looked at (its name makes it a vCPU); the forget hook is
 * called for every thread that goes, so the module that hung something on
 * it frees it. */
static void test_threads(void)
{
	static const char *three[] = { "call_rcu", "CPU 0/KVM", "CPU 1/KVM" };
	int fd, pid;
	struct vm_table *t = begin(&fd);
	uint64_t now = 1000 * (uint64_t)hz;
	struct vm_entry *vm;
	char rel[128];

	exec_qemu(500, 0);
	CHECK(vms(t, now, &pid) == 1);
	vm = vm_table_vm(t, 0);
	CHECK(vm_table_sync_threads(t, vm) == 0 && vm->thread_count == 3);
	CHECK(vm->thread_count == 3 && vm->threads[2].who.named_vcpu == 0);
	process(500, "qemu-system-x86", qemu_argv, sizeof(qemu_argv) - 1, 4, three, 0);
	CHECK(vms(t, now + 1, &pid) == 1);
	vm = vm_table_vm(t, 0);
	CHECK(vm_table_sync_threads(t, vm) == 0 && vm->thread_count == 4);
	CHECK(vm->thread_count == 4 && vm->threads[3].who.named_vcpu == 1);
	CHECK(forgotten_count == 0);
	vm_table_thread_gone(vm, &vm->threads[1]); /* its files said ESRCH */
	CHECK(forgotten_count == 1 && forgotten[0] == 501);
	snprintf(rel, sizeof(rel), "rm -rf '%s/500/task/501'", root);
	CHECK(system(rel) == 0);
	CHECK(vm_table_sync_threads(t, vm) == 0 && vm->thread_count == 3);
	CHECK(vm->thread_count == 3 && vm->threads[1].tid == 502 && !vm->threads[1].gone);
	CHECK(forgotten_count == 2 && forgotten[1] == 501); /* its entry, at the sync */
	vm_table_free(t);
	CHECK(forgotten_count == 5); /* the VM's three, with the VM */
	t = NULL;
	end(t, fd);
}

int main(void)
{
	hz = sysconf(_SC_CLK_TCK);
	RUN(test_young_exec);
	RUN(test_settled_exec);
	RUN(test_settled_every_30_s);
	RUN(test_growing_old);
	RUN(test_look_alike);
	RUN(test_pid_reused);
	RUN(test_threads);
	return check_report("test_discover");
}
