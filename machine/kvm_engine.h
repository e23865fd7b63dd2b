/* kvm_engine.h - the KVM engine: kvm_vcpu_ops, and its extras.
 *
 * The engine runs the guest on the host CPU through /dev/kvm with every
 * device in user space (docs/KVM.md): port I/O and MMIO exits go to
 * vcpu->io synchronously, interrupts from the user-space PIC go in with
 * KVM_INTERRUPT and the interrupt window, time slices end with a timer
 * signal and kvm_run.immediate_exit.  Virtual time on KVM is host time
 * spent in the guest (KVM cannot count instructions): see docs/KVM.md.
 */
#ifndef VMS_KVM_ENGINE_H
#define VMS_KVM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "vcpu.h"

/* The engine; "kvm". */
extern const struct vcpu_ops kvm_vcpu_ops;
/* The same engine with KVM's in-kernel 8259 pair, I/O APIC and local APICs
 * (--kvm-irqchip, docs/KVM.md): "kvm-irqchip", kernel_irqchip set. */
extern const struct vcpu_ops kvm_irqchip_vcpu_ops;

struct kvm_engine_stats {
    uint64_t runs;        /* KVM_RUN calls */
    uint64_t exits;       /* exits to user space (all kinds) */
    uint64_t io_exits;    /* KVM_EXIT_IO and KVM_EXIT_MMIO */
    uint64_t slices;      /* runs ended by the slice timer */
    uint64_t irq_lines;   /* --kvm-irqchip: KVM_IRQ_LINE calls for the VM */
    uint64_t irq_line_errors;   /* ... that KVM refused */
};

/* Counters of @v (a vCPU created with kvm_vcpu_ops). */
void kvm_engine_stats(const struct vcpu *v, struct kvm_engine_stats *out);

/* Open /dev/kvm and check API version 12, the capabilities the engine
 * needs, and that a VM can be created.  0 when usable; else -VMS_ERR_NOKVM
 * with a one-line reason in @why (EACCES named as such), or
 * -VMS_ERR_UNSUPPORTED for a /dev/kvm from KVM-PVM (docs/KVM.md). */
int kvm_engine_probe(char *why, size_t len);

/* True when the guest-debug interface (breakpoints, watchpoints) can be
 * trusted: false when the environment says KVM itself runs nested under
 * an emulator (VMSCOPE_KVM_NESTED=1, set by tests/kvm), where DR0-3 and
 * software breakpoints do not reach user space (DESIGN.md). */
bool kvm_engine_debug_trusted(void);

#endif
