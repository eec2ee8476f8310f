/* holders: who used the host CPUs a VM may run on, over one tick.
 *
 * For each VM, over vm_cpus (the union of its vCPU threads' allowed CPUs,
 * online ones): the share of those CPUs' capacity that went to the VM's own
 * threads, to other VMs' threads, to the host's own work (every other user
 * and system time), to interrupts (irq + softirq) and to idle (+ iowait).
 * Capacity is what /proc/stat's cpuN lines counted over the interval, less
 * steal (time the CPUs did not exist for this kernel: nested hosts).
 *
 * A thread's on-CPU time (schedstat field 1) is spread evenly over the CPUs
 * it may run on: a vCPU's over its Cpus_allowed_list (all online CPUs when
 * unknown), every other thread's over all online CPUs (their affinity is not
 * read).  Exact when the sets are equal or disjoint; an estimate otherwise
 * (the README says how far off).  The VMs' time is not told apart from the
 * host's by /proc/stat's guest column: some hosts account a vCPU's time as
 * system time. */
#ifndef KVMSTEAL_HOLDERS_H
#define KVMSTEAL_HOLDERS_H

#include "rate.h"
#include "snapshot.h"

/* Fills out->vms[i].holders for every VM with vCPU figures, and out->cpus
 * (each online CPU's busy and VM shares), when both snapshots have per-CPU
 * lines.  0 or -ENOMEM. */
int holders_compute(const struct snapshot *prev, const struct snapshot *cur, long clk_tck,
		    struct tick_figures *out);

#endif
