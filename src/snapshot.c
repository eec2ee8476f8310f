#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void snapshot_clear(struct snapshot *snap)
{
	snap->host_valid = false;
	snap->cpu_count = 0;
	snap->vm_count = 0;
	snap->thread_count = 0;
	snap->names.len = 0;
	snap->cgroups_on = false;
	snap->cgroup_count = 0;
}

void snapshot_free(struct snapshot *snap)
{
	free(snap->vms);
	free(snap->threads);
	free(snap->cgroups);
	free(snap->cpus);
	buf_free(&snap->names);
	memset(snap, 0, sizeof(*snap));
}

struct vm_sample *snapshot_add_vm(struct snapshot *snap, const char *name, size_t name_len)
{
	struct vm_sample *vm;
	size_t name_off = snap->names.len;

	if (array_reserve((void **)&snap->vms, &snap->vm_cap, snap->vm_count + 1, sizeof(*vm)))
		return NULL;
	if (buf_append(&snap->names, name, name_len) || buf_append(&snap->names, "", 1))
		return NULL;
	vm = &snap->vms[snap->vm_count++];
	memset(vm, 0, sizeof(*vm));
	vm->name_off = name_off;
	vm->thread_first = snap->thread_count;
	return vm;
}

int snapshot_add_thread(struct snapshot *snap, const struct thread_sample *thread)
{
	if (array_reserve((void **)&snap->threads, &snap->thread_cap, snap->thread_count + 1, sizeof(*thread)))
		return -ENOMEM;
	snap->threads[snap->thread_count++] = *thread;
	if (snap->vm_count > 0)
		snap->vms[snap->vm_count - 1].thread_count++;
	return 0;
}

uint32_t snapshot_add_text(struct snapshot *snap, const char *text)
{
	size_t off = snap->names.len;

	if (off >= NO_TEXT || buf_append(&snap->names, text, strlen(text) + 1))
		return NO_TEXT;
	return (uint32_t)off;
}
