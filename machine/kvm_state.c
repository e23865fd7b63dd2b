/* kvm_state.c - KVM register structures <-> struct cpu_state. */
#include "kvm_state.h"

#include <string.h>

#include "cpuid.h"
#include "lapic.h"
#include "memmap.h"

/* Where each GPR lives in struct kvm_regs (hardware encoding order). */
#define KREG(f) offsetof(struct kvm_regs, f)
static const size_t gpr_off[GPR_COUNT] = {
    KREG(rax), KREG(rcx), KREG(rdx), KREG(rbx), KREG(rsp), KREG(rbp), KREG(rsi), KREG(rdi),
    KREG(r8), KREG(r9), KREG(r10), KREG(r11), KREG(r12), KREG(r13), KREG(r14), KREG(r15),
};

/* Segment registers of struct kvm_sregs in enum x86_seg order. */
#define KSEG(f) offsetof(struct kvm_sregs, f)
static const size_t seg_off[SEG_COUNT] = {
    KSEG(es), KSEG(cs), KSEG(ss), KSEG(ds), KSEG(fs), KSEG(gs), KSEG(ldt), KSEG(tr),
};

/* The MSRs carried through KVM_GET/SET_MSRS and their cpu_state fields. */
struct msr_map { uint32_t index; size_t off; };
#define MSR_MAP(n, f) { n, offsetof(struct cpu_state, f) }
static const struct msr_map msr_map[KVM_STATE_NMSR] = {
    MSR_MAP(MSR_STAR, star), MSR_MAP(MSR_LSTAR, lstar), MSR_MAP(MSR_CSTAR, cstar),
    MSR_MAP(MSR_FMASK, fmask), MSR_MAP(MSR_KERNEL_GS_BASE, kernel_gs_base),
    MSR_MAP(MSR_IA32_SYSENTER_CS, sysenter_cs),
    MSR_MAP(MSR_IA32_SYSENTER_ESP, sysenter_esp),
    MSR_MAP(MSR_IA32_SYSENTER_EIP, sysenter_eip),
    MSR_MAP(MSR_IA32_TSC, tsc),
    /* IA32_APIC_BASE also travels in kvm_sregs.apic_base; the MSR copy is
     * not written back (kvm_sregs wins), only listed for completeness. */
    MSR_MAP(MSR_IA32_APIC_BASE, apic_base),
};

static uint64_t *field(struct cpu_state *s, size_t off)
{
    return (uint64_t *)((char *)s + off);
}

static const uint64_t *cfield(const struct cpu_state *s, size_t off)
{
    return (const uint64_t *)((const char *)s + off);
}

void kvm_seg_to_x86(const struct kvm_segment *k, struct x86_segment *x)
{
    *x = (struct x86_segment){
        .selector = k->selector, .base = k->base, .limit = k->limit,
        .type = k->type, .s = k->s, .dpl = k->dpl, .present = k->present,
        .avl = k->avl, .l = k->l, .db = k->db, .g = k->g, .unusable = k->unusable,
    };
}

void kvm_seg_from_x86(const struct x86_segment *x, struct kvm_segment *k)
{
    *k = (struct kvm_segment){
        .selector = x->selector, .base = x->base, .limit = x->limit,
        .type = x->type, .s = x->s, .dpl = x->dpl, .present = x->present,
        .avl = x->avl, .l = x->l, .db = x->db, .g = x->g,
        /* VMX's "unusable" (SDM Vol. 3C 24.4.1): a segment that is not
         * present cannot be used either; KVM's own get_segment agrees. */
        .unusable = x->unusable || !x->present,
    };
}

void kvm_state_msr_list(struct kvm_state_msrs *m)
{
    memset(m, 0, sizeof(*m));
    m->hdr.nmsrs = KVM_STATE_NMSR;
    for (unsigned i = 0; i < KVM_STATE_NMSR; i++)
        m->e[i].index = msr_map[i].index;
}

static void sregs_to_cpu(const struct kvm_sregs *sr, struct cpu_state *out)
{
    for (int i = 0; i < SEG_COUNT; i++)
        kvm_seg_to_x86((const struct kvm_segment *)((const char *)sr + seg_off[i]),
                       &out->seg[i]);
    out->gdt = (struct x86_dtable){ .base = sr->gdt.base, .limit = sr->gdt.limit };
    out->idt = (struct x86_dtable){ .base = sr->idt.base, .limit = sr->idt.limit };
    out->cr0 = sr->cr0;
    out->cr2 = sr->cr2;
    out->cr3 = sr->cr3;
    out->cr4 = sr->cr4;
    out->cr8 = sr->cr8;
    out->efer = sr->efer;
    out->apic_base = sr->apic_base;
}

void kvm_state_to_cpu(const struct kvm_regs *r, const struct kvm_sregs *sr,
                      const struct kvm_state_msrs *m, const struct kvm_debugregs *d,
                      struct cpu_state *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < GPR_COUNT; i++)
        out->gpr[i] = *(const uint64_t *)((const char *)r + gpr_off[i]);
    out->rip = r->rip;
    out->rflags = r->rflags;
    for (unsigned i = 0; i < m->hdr.nmsrs && i < KVM_STATE_NMSR; i++)
        for (unsigned j = 0; j < KVM_STATE_NMSR; j++)
            if (msr_map[j].index == m->e[i].index)
                *field(out, msr_map[j].off) = m->e[i].data;
    /* kvm_sregs is authoritative for APIC_BASE: after the MSR loop. */
    sregs_to_cpu(sr, out);
    for (int i = 0; i < 4; i++)
        out->dr[i] = d->db[i];
    out->dr[6] = d->dr6;
    out->dr[7] = d->dr7;
}

static void sregs_from_cpu(const struct cpu_state *s, struct kvm_sregs *sr)
{
    for (int i = 0; i < SEG_COUNT; i++)
        kvm_seg_from_x86(&s->seg[i], (struct kvm_segment *)((char *)sr + seg_off[i]));
    sr->gdt = (struct kvm_dtable){ .base = s->gdt.base, .limit = s->gdt.limit };
    sr->idt = (struct kvm_dtable){ .base = s->idt.base, .limit = s->idt.limit };
    sr->cr0 = s->cr0;
    sr->cr2 = s->cr2;
    sr->cr3 = s->cr3;
    sr->cr4 = s->cr4;
    sr->cr8 = s->cr8;
    sr->efer = s->efer;
    sr->apic_base = s->apic_base;
}

void kvm_state_from_cpu(const struct cpu_state *s, struct kvm_regs *r,
                        struct kvm_sregs *sr, struct kvm_state_msrs *m,
                        struct kvm_debugregs *d)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < GPR_COUNT; i++)
        *(uint64_t *)((char *)r + gpr_off[i]) = s->gpr[i];
    r->rip = s->rip;
    r->rflags = s->rflags | RFLAGS_FIXED;
    sregs_from_cpu(s, sr);
    kvm_state_msr_list(m);
    /* APIC_BASE goes through kvm_sregs only: leave it out of the list. */
    m->hdr.nmsrs = KVM_STATE_NMSR - 1;
    for (unsigned i = 0; i < m->hdr.nmsrs; i++)
        m->e[i].data = *cfield(s, msr_map[i].off);
    memset(d, 0, sizeof(*d));
    for (int i = 0; i < 4; i++)
        d->db[i] = s->dr[i];
    d->dr6 = s->dr[6];
    d->dr7 = s->dr[7];
}

/* ---- CPUID ---- */

/* Leaves whose ECX input selects a subleaf (SDM Vol. 2A CPUID): KVM must
 * match the index for them. */
static int indexed_leaf(uint32_t leaf)
{
    return leaf == 4 || leaf == 7 || leaf == 0xB || leaf == 0xD;
}

/* Leaves @first..(max reported by @first) into @out. */
static unsigned add_range(uint32_t first, unsigned apic_id, unsigned ncpus,
                          struct kvm_cpuid_entry2 *out, unsigned n, unsigned max)
{
    struct cpuid_regs r;

    cpuid_model(first, 0, apic_id, ncpus, &r);
    uint32_t last = r.eax;
    if (last < first)
        return n;
    for (uint32_t leaf = first; leaf <= last && n < max; leaf++) {
        cpuid_model(leaf, 0, apic_id, ncpus, &r);
        out[n++] = (struct kvm_cpuid_entry2){
            .function = leaf, .index = 0,
            .flags = indexed_leaf(leaf) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
            .eax = r.eax, .ebx = r.ebx, .ecx = r.ecx, .edx = r.edx,
        };
    }
    return n;
}

unsigned kvm_state_cpuid(unsigned apic_id, unsigned ncpus,
                         struct kvm_cpuid_entry2 *out, unsigned max)
{
    static const uint32_t ranges[] = { 0x00000000u, 0x40000000u, 0x80000000u };
    unsigned n = 0;

    for (unsigned i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        n = add_range(ranges[i], apic_id, ncpus, out, n, max);
    return n;
}

/* ------------------------------------------------ in-kernel irqchip */

static void route(struct kvm_irq_routing_entry *e, unsigned irq, uint32_t chip, unsigned pin)
{
    memset(e, 0, sizeof(*e));
    e->gsi = irq;
    e->type = KVM_IRQ_ROUTING_IRQCHIP;
    e->u.irqchip.irqchip = chip;
    e->u.irqchip.pin = pin;
}

unsigned kvm_state_gsi_routing(struct kvm_irq_routing_entry *out, unsigned max)
{
    unsigned n = 0;

    for (unsigned irq = 0; irq < ISA_IRQS; irq++) {
        int pin = isa_irq_ioapic_pin(irq);
        if (pin < 0)          /* the cascade: no device, no entry */
            continue;
        if (n < max)
            route(&out[n++], irq, irq < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
                  irq & 7);
        if (n < max)
            route(&out[n++], irq, KVM_IRQCHIP_IOAPIC, (unsigned)pin);
    }
    return n;
}

#define LVT_TIMER_MODE_SHIFT 17
#define LVT_TIMER_TSC_DEADLINE 2u   /* mode bits 18:17 = 10b */

static uint32_t lapic_reg(const struct kvm_lapic_state *l, unsigned off)
{
    uint32_t v;

    memcpy(&v, l->regs + off, sizeof(v));   /* little-endian, as the page */
    return v;
}

bool kvm_state_lapic_timer_armed(const struct kvm_lapic_state *l)
{
    uint32_t lvtt = lapic_reg(l, LAPIC_LVT_BASE);

    if (lvtt & APIC_LVT_MASKED)
        return false;
    if (((lvtt >> LVT_TIMER_MODE_SHIFT) & 3u) == LVT_TIMER_TSC_DEADLINE)
        return true;
    /* Programmed, not only counting: a one-shot that expired a moment ago
     * reads a count of 0 before KVM has raised its interrupt (it does so
     * when the vCPU next enters), and parking the vCPU then loses the
     * wake-up.  A guest that once used a one-shot and then halts for good
     * is therefore not declared stuck; it sleeps in KVM. */
    return lapic_reg(l, LAPIC_TIMER_ICR) != 0 || lapic_reg(l, LAPIC_TIMER_CCR) != 0;
}

/* Any vector requested and not yet delivered (IRR, 8 registers of 32 bits
 * 16 bytes apart from 0x200). */
bool kvm_state_lapic_irr_pending(const struct kvm_lapic_state *l)
{
    for (unsigned i = 0; i < 8; i++)
        if (lapic_reg(l, 0x200 + i * 0x10) != 0)
            return true;
    return false;
}

/* Our init_step: 0 ready, 2/3/4 = ICW2/3/4 next; KVM's init_state: 0
 * ready, 1/2/3 = ICW2/3/4 next (arch/x86/kvm/i8259.c). */
void kvm_state_pic_from_chip(const struct pic_chip *c, struct kvm_pic_state *k)
{
    memset(k, 0, sizeof(*k));
    k->last_irr = c->level;
    k->irr = c->irr;
    k->imr = c->imr;
    k->isr = c->isr;
    k->priority_add = c->priority_add;
    k->irq_base = c->vector_base;
    k->read_reg_select = c->read_isr;
    k->poll = c->poll;
    k->special_mask = c->special_mask;
    k->init_state = c->init_step ? (uint8_t)(c->init_step - 1) : 0;
    k->auto_eoi = c->auto_eoi;
    k->rotate_on_auto_eoi = c->rotate_aeoi;
    k->special_fully_nested_mode = c->sfnm;
    k->init4 = c->icw4_needed;
    k->elcr = c->elcr;
    k->elcr_mask = c->elcr_mask;
}

void kvm_state_pic_to_chip(const struct kvm_pic_state *k, struct pic_chip *c)
{
    c->level = k->last_irr;
    c->irr = k->irr;
    c->imr = k->imr;
    c->isr = k->isr;
    c->priority_add = k->priority_add;
    c->vector_base = k->irq_base & 0xF8u;   /* ICW2 bits 7-3 */
    c->read_isr = k->read_reg_select != 0;
    c->poll = k->poll != 0;
    c->special_mask = k->special_mask != 0;
    c->init_step = k->init_state ? (uint8_t)(k->init_state + 1) : 0;
    c->auto_eoi = k->auto_eoi != 0;
    c->rotate_aeoi = k->rotate_on_auto_eoi != 0;
    c->sfnm = k->special_fully_nested_mode != 0;
    c->icw4_needed = k->init4 != 0;
    c->elcr = k->elcr & k->elcr_mask;
    c->elcr_mask = k->elcr_mask;
}
