/* vcpus: which threads of a QEMU process are its vCPUs, and their numbers.
 *
 * By name first: QEMU with debug-threads=on names them "CPU n/KVM" (a thread
 * gets its name just after it starts, so a new thread is looked at again a
 * few ticks).  Without names, by guest time: only vCPU threads run guest
 * code.  With neither, no thread but the main one can be said not to be a
 * vCPU.  Reads go through the VM's files (discover's vm_read_file). */
#ifndef KVMSTEAL_VCPUS_H
#define KVMSTEAL_VCPUS_H

#include "discover.h"

/* A thread seen for the first time: its starttime, name and guest time
 * from task/TID/stat.  0 or -errno (the thread is gone, or its stat garbage). */
int vcpus_first_look(const struct vm_entry *vm, struct thread_entry *thread);

/* Each tick while the thread may still be renamed or first run guest code. */
void vcpus_look_again(const struct vm_entry *vm, struct thread_entry *thread);

/* Sets vm->source and every thread's vcpu_id from what was seen. */
void vcpus_number(struct vm_entry *vm);

#endif
