/* prom: the figures as Prometheus counters, in a textfile for
 * node_exporter's textfile collector, rewritten atomically each tick.
 *
 * The agent keeps per VM totals that only grow: each tick adds the deltas
 * rate computed, so a thread that exits (its counter gone from /proc) never
 * makes a sum go down, and a vCPU thread replaced by a new one continues its
 * vCPU's series.  A series starts at 0 when the agent first reports the VM;
 * a VM that is gone leaves the file.
 *
 * A VM's series are labelled vm_name, vm_uuid and vm_id (empty when the
 * command line has none).  Those need not be unique (two VMs with one name
 * and no UUID, two QEMU processes of one VM during a local migration), and
 * node_exporter rejects a whole textfile that repeats a label set; so a VM
 * whose labels a live VM already holds also gets process_pid, for as long as
 * it lives.  The first one keeps its series unchanged. */
#ifndef KVMSTEAL_PROM_H
#define KVMSTEAL_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "parse.h"
#include "qemu_args.h"
#include "rate.h"
#include "text.h"

struct prom_vcpu {
	int id;
	uint64_t steal_ns, run_ns;
	uint64_t runs;            /* times it got a CPU */
};

/* Who used the CPUs a VM may run on (holders.h), in the order of the label. */
enum prom_holder { HOLDER_OWN, HOLDER_OTHER_VMS, HOLDER_HOST, HOLDER_IRQ, HOLDER_IDLE, HOLDERS };

struct prom_vm {
	int pid;
	uint64_t starttime;
	char *name;               /* valid UTF-8, owned */
	struct vm_ident ident;
	bool pid_label;           /* another live VM had its labels first: it adds process_pid */
	bool had_unknown;         /* its vCPUs could not be told apart at some tick */
	const char *accel;        /* "kvm", "tcg" or "" */
	uint64_t other_wait_ns, user_ns, system_ns, guest_ns;
	uint64_t unknown_wait_ns; /* threads that may be vCPUs (vcpu_source none) */
	bool had_throttle;        /* --cgroup-root gave it throttling figures at some tick */
	uint64_t throttled_ns;    /* the throttled part of its summed vCPU steal */
	double limit_cpus;        /* the tightest limit on its vCPUs' paths at the last tick; 0: none */
	bool had_holders;         /* its CPUs' use was known at some tick */
	uint64_t holders_ns[HOLDERS];
	struct prom_vcpu *vcpus;  /* sorted by id, owned */
	size_t vcpu_count, vcpu_cap;
};

struct prom_state {
	struct prom_vm *vms;      /* sorted by pid */
	size_t count, cap;
	struct prom_vm *next;     /* the next tick's list, swapped in */
	size_t next_cap;
	long clk_tck;
	struct buf text;
	struct diag_limit write_limit;
	unsigned long failed;     /* ticks whose textfile could not be written since one was: said on recovery */
	const char *path;         /* borrowed, for messages */
	char *base;               /* the file's name in its directory, owned */
	int dir_fd;               /* the directory, kept open: every file is made relative to it */
	int lock_fd;              /* .NAME.lock, flock'ed while the agent runs */
};

#define PROM_FILE_MODE 0644 /* node_exporter runs as its own user; nothing here is secret */

/* Before the first write: opens path's directory, takes the lock file
 * beside the textfile (.NAME.lock, never removed: removing it would let two
 * agents lock two files) and checks that a file can be made there.  0;
 * -EWOULDBLOCK when another kvmsteal holds the lock; -ELOOP when path is a
 * symbolic link; another -errno.  Call with state zeroed but for clk_tck. */
int prom_open(struct prom_state *state, const char *path);

/* Adds one tick's figures; VMs not in figures are dropped.  0 or -ENOMEM. */
int prom_update(struct prom_state *state, const struct tick_figures *figures);

/* Writes the textfile: a new file of a random name in the directory (O_EXCL,
 * O_NOFOLLOW, mode PROM_FILE_MODE whatever the umask), renamed over the
 * textfile; removed again on any failure.  0 or -errno (reported on
 * stderr, once a minute at most). */
int prom_write(struct prom_state *state);

void prom_free(struct prom_state *state);

#endif
