/* kvm_state.h - conversion between KVM's register structures and the
 * common CPU state (struct cpu_state, x86.h), and the CPUID table KVM is
 * given.
 *
 * Pure functions: no ioctl, no /dev/kvm, so they are unit-tested on any
 * machine (tests/unit/test_kvm_state.c).  The KVM engine (kvm_engine.c)
 * moves the structures in and out with KVM_GET/SET_REGS, SREGS, MSRS and
 * DEBUGREGS.  Reference: Documentation/virt/kvm/api.rst (4.11-4.14, 4.18,
 * 4.32, 4.46).
 */
#ifndef VMS_KVM_STATE_H
#define VMS_KVM_STATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memmap.h"
#include "pic.h"
#include "x86.h"

/* The MSRs struct cpu_state carries outside kvm_sregs (EFER and APIC_BASE
 * travel in kvm_sregs; FS/GS base in the segment registers). */
#define KVM_STATE_NMSR 10

/* struct kvm_msrs with room for the entries (KVM reads nmsrs entries). */
struct kvm_state_msrs {
    struct kvm_msrs hdr;
    struct kvm_msr_entry e[KVM_STATE_NMSR];
};

/* Fill @out from the four KVM structures. */
void kvm_state_to_cpu(const struct kvm_regs *r, const struct kvm_sregs *sr,
                      const struct kvm_state_msrs *m, const struct kvm_debugregs *d,
                      struct cpu_state *out);

/* Fill the four KVM structures from @s.  @sr must hold what KVM_GET_SREGS
 * returned (the pending-interrupt bitmap is kept, everything else is
 * overwritten). */
void kvm_state_from_cpu(const struct cpu_state *s, struct kvm_regs *r,
                        struct kvm_sregs *sr, struct kvm_state_msrs *m,
                        struct kvm_debugregs *d);

/* The MSR indexes to ask KVM_GET_MSRS for (values zero). */
void kvm_state_msr_list(struct kvm_state_msrs *m);

/* struct kvm_segment <-> struct x86_segment (same fields; KVM marks a
 * not-present segment unusable). */
void kvm_seg_to_x86(const struct kvm_segment *k, struct x86_segment *x);
void kvm_seg_from_x86(const struct x86_segment *x, struct kvm_segment *k);

/* CPUID for KVM_SET_CPUID2: every leaf of the model in cpuid.c, for vCPU
 * @apic_id of @ncpus.  @out must have room for KVM_STATE_MAX_CPUID
 * entries; returns the number filled. */
#define KVM_STATE_MAX_CPUID 32
unsigned kvm_state_cpuid(unsigned apic_id, unsigned ncpus,
                         struct kvm_cpuid_entry2 *out, unsigned max);

/* ---- the in-kernel irqchip (--kvm-irqchip; docs/KVM.md) ---- */

/* KVM_SET_GSI_ROUTING for the platform's ISA IRQ lines, keyed by ISA IRQ
 * number (the "gsi" KVM_IRQ_LINE is given): every IRQ but the cascade
 * (2) reaches the 8259 pair (master pins 0-7, slave pins 8-15 as 0-7) and
 * the I/O APIC pin isa_irq_ioapic_pin() names (IRQ0 -> pin 2), the same
 * entries as the MP table and the MADT.  @out needs room for
 * KVM_STATE_MAX_ROUTES entries; returns the number filled (at most @max). */
#define KVM_STATE_MAX_ROUTES (2 * ISA_IRQS)
unsigned kvm_state_gsi_routing(struct kvm_irq_routing_entry *out, unsigned max);

/* True when the local APIC whose register page KVM_GET_LAPIC returned in
 * @l may still interrupt its CPU by itself: the timer LVT is unmasked and
 * the timer counts (current count != 0), or it is in TSC-deadline mode
 * (the deadline MSR is not looked at: armed, to be safe).  SDM Vol. 3A
 * 10.5.4. */
bool kvm_state_lapic_timer_armed(const struct kvm_lapic_state *l);

/* True when the IRR holds a vector: KVM delivers it when the vCPU runs. */
bool kvm_state_lapic_irr_pending(const struct kvm_lapic_state *l);

/* One 8259 of the user-space model as KVM's struct kvm_pic_state (for
 * KVM_SET_IRQCHIP), and back.  Same registers; KVM numbers the
 * initialisation step one lower (1: ICW2 next), has no LTIM bit (it uses
 * the ELCR) and does not model single mode. */
void kvm_state_pic_from_chip(const struct pic_chip *c, struct kvm_pic_state *k);
void kvm_state_pic_to_chip(const struct kvm_pic_state *k, struct pic_chip *c);

#endif
