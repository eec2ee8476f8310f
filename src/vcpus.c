#include "vcpus.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "qemu_args.h"

#define NAME_CHECKS 3

/* Reads task/TID/stat: the thread's name (comm, field 2) and whether it has
 * run guest code (guest_time, field 43). */
static int read_thread_stat(const struct vm_entry *vm, struct thread_entry *thread, struct pid_stat *stat)
{
	char path[48], buf[1024];
	ssize_t len;

	snprintf(path, sizeof(path), "task/%d/stat", thread->tid);
	len = vm_read_file(vm, path, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	if (parse_pid_stat(buf, (size_t)len, stat))
		return -EINVAL;
	thread->who.guest_time = thread->who.guest_time || stat->guest_time > 0;
	return 0;
}

static void name_thread(struct thread_entry *thread, const struct vm_entry *vm, const char *comm)
{
	struct vcpu_name vcpu;

	thread->who.named_vcpu = VCPU_NONE;
	thread->who.tcg = false;
	snprintf(thread->who.comm, sizeof(thread->who.comm), "%s", comm);
	if (parse_vcpu_comm(comm, strlen(comm), &vcpu)) {
		thread->who.named_vcpu = vcpu.id;
		thread->who.tcg = vcpu.tcg;
	}
	/* a thread that still carries the main thread's name may be renamed */
	if (thread->who.named_vcpu != VCPU_NONE || thread->tid == vm->pid || strcmp(comm, vm->main_comm) != 0)
		thread->who.name_checks = 0;
}

/* Looks at a thread again while it may still get its name or its first
 * guest time; on a QEMU that names its vCPUs this stops after a few ticks. */
void vcpus_look_again(const struct vm_entry *vm, struct thread_entry *thread)
{
	bool for_name = thread->who.name_checks > 0;
	bool for_guest_time = vm->source != VCPU_SOURCE_COMM && !thread->who.guest_time && thread->tid != vm->pid;
	struct pid_stat stat;

	if (thread->who.just_opened) {
		thread->who.just_opened = false;
		return;
	}
	if (!for_name && !for_guest_time)
		return;
	if (for_name)
		thread->who.name_checks--;
	if (read_thread_stat(vm, thread, &stat) == 0 && for_name)
		name_thread(thread, vm, stat.comm);
}

/* QEMU without debug-threads=on (before QEMU 11) names no thread "CPU
 * n/KVM".  Only vCPU threads run guest code, so then the vCPUs are the
 * threads with guest time, numbered in TID order (QEMU creates them in vCPU
 * order).  When no thread has guest time either (TCG, a guest not started,
 * a kernel whose KVM backend does not account it), no thread but the main
 * one can be said not to be a vCPU: VCPU_UNKNOWN. */
void vcpus_number(struct vm_entry *vm)
{
	int next = 0;
	bool any_guest_time = false;

	vm->source = VCPU_SOURCE_GUEST_TIME;
	for (size_t i = 0; i < vm->thread_count; i++) {
		if (vm->threads[i].who.named_vcpu != VCPU_NONE)
			vm->source = VCPU_SOURCE_COMM;
		any_guest_time = any_guest_time || (vm->threads[i].who.guest_time && vm->threads[i].tid != vm->pid);
	}
	if (vm->source == VCPU_SOURCE_GUEST_TIME && !any_guest_time)
		vm->source = VCPU_SOURCE_NONE;
	for (size_t i = 0; i < vm->thread_count; i++) {
		struct thread_entry *thread = &vm->threads[i];
		if (vm->source == VCPU_SOURCE_COMM)
			thread->who.vcpu_id = thread->who.named_vcpu;
		else if (thread->tid == vm->pid)
			thread->who.vcpu_id = VCPU_NONE; /* QEMU's main thread never runs a vCPU */
		else if (vm->source == VCPU_SOURCE_NONE)
			thread->who.vcpu_id = VCPU_UNKNOWN;
		else
			thread->who.vcpu_id = thread->who.guest_time ? next++ : VCPU_NONE;
	}
}

int vcpus_first_look(const struct vm_entry *vm, struct thread_entry *thread)
{
	struct pid_stat stat;
	int err;

	thread->who.name_checks = NAME_CHECKS;
	err = read_thread_stat(vm, thread, &stat);
	if (err)
		return err;
	thread->starttime = stat.starttime;
	thread->who.just_opened = true;
	name_thread(thread, vm, stat.comm);
	return 0;
}
