/* qemu_args: who a QEMU process is, from its own bytes: whether a program
 * name is a QEMU system emulator, what its command line says of the guest
 * (-name, -uuid, -smbios type=1 uuid, -id), which threads are vCPUs (their
 * names under debug-threads=on).  Pure like parse: bytes and a length in,
 * a struct out, any content accepted. */
#ifndef KVMSTEAL_QEMU_ARGS_H
#define KVMSTEAL_QEMU_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define UUID_TEXT_LEN 36
#define VM_ID_MAX 32 /* longest -id kept: Proxmox VMIDs are up to 9 digits */

/* Who a VM says it is besides its name (which varies in length and is kept
 * apart): the one identity the VM table, the snapshot and the textfile
 * hold, copied whole from one to the next. */
struct vm_ident {
	bool has_uuid;
	char uuid[UUID_TEXT_LEN + 1];    /* lowercase; "" without has_uuid */
	char id[VM_ID_MAX + 1];          /* Proxmox VE's -id VMID; "" if none */
};

/* What a QEMU command line says about the guest. */
struct qemu_args {
	char *name;       /* malloc'd, unescaped bytes (may hold any byte but NUL); NULL if none */
	size_t name_len;
	bool has_uuid;    /* from -uuid, else from -smbios type=1,...,uuid= */
	bool uuid_malformed;             /* a -uuid or SMBIOS uuid that is not 8-4-4-4-12 hex */
	char uuid[UUID_TEXT_LEN + 1];    /* lowercase */
	bool id_malformed;               /* -id given but not 1..VM_ID_MAX of [A-Za-z0-9._-] */
	char id[VM_ID_MAX + 1];          /* Proxmox VE's -id VMID; "" if none */
};

/* A vCPU thread name as QEMU sets it with debug-threads=on: "CPU <n>/KVM". */
struct vcpu_name {
	int id;
	bool tcg; /* "CPU <n>/TCG" */
};

/* Parses the NUL-separated argv; out->name must be freed with qemu_args_free. */
int parse_qemu_cmdline(const char *buf, size_t len, struct qemu_args *out);
void qemu_args_free(struct qemu_args *args);

/* True when a comm or an argv[0] basename names a QEMU system emulator:
 * "qemu-kvm", "kvm", "kvm-spice", or "qemu-system-*". */
bool parse_is_qemu_program(const char *name, size_t len);

/* True for argv[0] (the bytes up to the first NUL) whose basename qualifies. */
bool parse_is_qemu_argv0(const char *cmdline, size_t len);

/* Returns true and fills out when comm is "CPU <n>/KVM" or "CPU <n>/TCG". */
bool parse_vcpu_comm(const char *comm, size_t len, struct vcpu_name *out);

#endif
