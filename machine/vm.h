/* vm.h - one virtual machine: RAM, buses, devices, vCPUs, virtual time.
 *
 * A VM owns its RAM, its two buses and its devices, and its vCPUs.  The
 * hypervisor (hv.h) owns the VMs and schedules their vCPUs.
 */
#ifndef VMS_VM_H
#define VMS_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bus.h"
#include "err.h"
#include "event.h"
#include "gmem.h"
#include "vclock.h"
#include "vcpu.h"

#define VM_MAX_VCPUS 16

enum vm_state {
    VM_RUNNING,
    VM_EXITED,      /* debug-exit port written: status in exit_status */
    VM_HALTED,      /* every vCPU halted with interrupts off */
    VM_SHUTDOWN,    /* triple fault or engine failure */
    VM_LIMIT,       /* instruction limit reached */
};

struct vm {
    unsigned index;
    char name[16];              /* "vm0" */
    struct gmem mem;
    struct bus bus;
    struct vclock clock;
    struct evstream *ev;        /* the hypervisor's stream (not owned) */
    struct vcpu *vcpu[VM_MAX_VCPUS];
    unsigned nvcpu;
    struct vm_devices *dev;     /* the platform's devices (vm_platform.c) */
    enum vm_state state;
    int exit_status;            /* debug-exit status (v << 1) | 1 */
    char reason[128];           /* why it stopped, one line */
    uint64_t insn_limit;        /* 0: none */
};

#endif
