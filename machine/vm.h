/* vm.h - one virtual machine: RAM, buses, devices, vCPUs, virtual time.
 *
 * A VM owns its RAM, its two buses, its platform devices (platform.h) and
 * its vCPUs.  The hypervisor (hv.h) owns the VMs and schedules their
 * vCPUs.  vm_handle_exit() is the run loop's one switch over exit kinds:
 * engines call it synchronously for port I/O and MMIO (through vcpu->io),
 * the scheduler calls it for everything that ends a run.
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

/* Process exit statuses of `vmscope run` (docs/RUN.md).  A debug-exit
 * status is always odd ((v << 1) | 1); vmscope's own are even. */
#define VMS_STATUS_HALT          0   /* clean halt: HLT with interrupts off */
#define VMS_STATUS_BADIMAGE      2   /* bad image or bad command line */
#define VMS_STATUS_TRIPLE_FAULT  4
#define VMS_STATUS_TIMEOUT       6   /* --timeout seconds of host time passed */
#define VMS_STATUS_INSN_LIMIT    8   /* --max-insns reached */
#define VMS_STATUS_ENGINE       10   /* the CPU engine failed */
#define VMS_STATUS_STUCK        12   /* halted with interrupts on, nothing can wake it */

enum vm_state {
    VM_RUNNING,
    VM_EXITED,      /* debug-exit port written: status in exit_status */
    VM_HALTED,      /* every vCPU halted with interrupts off */
    VM_STUCK,       /* halted with interrupts on and nothing can wake it */
    VM_SHUTDOWN,    /* triple fault */
    VM_FAILED,      /* engine failure */
    VM_LIMIT,       /* instruction limit reached */
};

struct platform;

/* How the VM's serial console is connected. */
typedef void (*vm_console_fn)(void *opaque, unsigned vm, uint8_t byte);

struct vm_config {
    uint64_t mem_size;              /* bytes of guest RAM */
    unsigned ncpus;                 /* vCPUs */
    const struct vcpu_ops *engine;  /* chosen once for all vCPUs */
    uint64_t insn_limit;            /* 0: none */
    vm_console_fn console;          /* UART output; NULL: dropped */
    void *console_opaque;
    /* PC devices (docs/PC.md) */
    const char *disk[2];            /* ATA primary master, slave images; NULL: none */
    unsigned disk_flags[2];         /* ATA_SNAPSHOT, ATA_READONLY (ata.h) */
    bool rtc_fixed;                 /* RTC starts at rtc_epoch, else at the host time */
    int64_t rtc_epoch;              /* Unix seconds, UTC */
    /* One-line messages for the user (bad sector numbers, read-only
     * disks); called with console_opaque; NULL: dropped. */
    void (*notice)(void *opaque, unsigned vm, const char *line);
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
    struct platform *plat;      /* devices (owned) */
    enum vm_state state;
    int exit_status;            /* process status this VM asks for */
    char reason[160];           /* why it stopped, one line */
    uint64_t insn_limit;        /* 0: none */
    uint64_t insns;             /* retired by all vCPUs */
    /* per vCPU: last control state seen, for MODE and CR3 events */
    int last_mode[VM_MAX_VCPUS];
    uint64_t last_cr3[VM_MAX_VCPUS];
    /* per vCPU: INIT or STARTUP received, applied by vm_try_inject()
     * before the vCPU next runs (never inside another engine's run):
     * -1 none, else the real-mode CS:IP to start at (CS << 16 | IP) */
    int64_t start_at[VM_MAX_VCPUS];
    int last_ran;               /* vCPU that ran last (-1: none yet) */
};

/* Create VM number @index with @cfg; events go to @ev.  On success *out
 * owns everything; vm_destroy() releases it. */
int vm_create(struct vm **out, unsigned index, const struct vm_config *cfg,
              struct evstream *ev) VMS_MUST_CHECK;
void vm_destroy(struct vm *vm);

/* Set the boot vCPU's state (from a loader) and tell the engine that the
 * host wrote guest RAM. */
int vm_start(struct vm *vm, const struct cpu_state *boot) VMS_MUST_CHECK;

/* Move every vCPU of @vm to the engine @ops while the VM is stopped
 * between runs: the complete CPU state goes from the old engine to the
 * new one; RAM (one gmem) and the user-space devices stay where they are,
 * so they carry over as they are.  On failure the VM is stopped as
 * VM_FAILED and the error returned.  A move out of or into an engine with
 * kernel_irqchip (--kvm-irqchip) is refused (-VMS_ERR_UNSUPPORTED, one
 * line) before anything changes: the VM runs on where it was. */
int vm_switch_engine(struct vm *vm, const struct vcpu_ops *ops) VMS_MUST_CHECK;

/* The run loop's exit switch (see above).  Returns true when the vCPU may
 * keep running, false when it must return to the scheduler. */
bool vm_handle_exit(struct vcpu *v, struct vcpu_exit *ex);

/* Stop the VM with @state and a reason (first stop wins). */
void vm_stop(struct vm *vm, enum vm_state state, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Nothing can wake the VM's halted vCPUs any more: stop it, as a clean
 * halt when they halted with interrupts off, else as stuck. */
void vm_stop_idle(struct vm *vm);

/* Emit @e for vCPU @v (fills vm, vcpu, vtime). */
void vm_note(struct vcpu *v, struct event *e);

/* Interrupt plumbing for the scheduler: is an interrupt waiting for vCPU
 * @v (from its local APIC, or the 8259 through LINT0), and deliver it now
 * if the guest accepts it.  vm_try_inject() first applies a pending INIT
 * or STARTUP to @v, and drops @v's translated code when another vCPU of
 * the VM ran since @v did (engines see only their own stores). */
bool vm_irq_pending(struct vcpu *v);
/* An NMI waits for @v and @v can take it now. */
bool vm_nmi_ready(struct vcpu *v);
int vm_try_inject(struct vcpu *v);

/* The APIC bus delivered INIT to vCPU @cpu: an application processor
 * stops and waits for STARTUP (not runnable); the boot processor restarts
 * at the reset vector F000:FFF0.  (SDM Vol. 3A 8.4, 10.4.7.3) */
void vm_cpu_init(struct vm *vm, unsigned cpu);
/* STARTUP with @vector reached waiting vCPU @cpu: it runs in real mode
 * from CS = vector << 8, IP = 0. */
void vm_cpu_startup(struct vm *vm, unsigned cpu, uint8_t vector);

/* After a run: report vCPU @v's mode switches and CR3 changes seen since
 * its last look. */
void vm_check_control(struct vcpu *v);

/* Host input for the serial console. */
void vm_console_input(struct vm *vm, const uint8_t *buf, size_t n);

const char *vm_state_name(enum vm_state s);

#endif
