/* test_kvm_state.c - conversion between KVM's register structures and the
 * common CPU state (machine/kvm_state.c), and the CPUID table KVM gets.
 * No /dev/kvm needed: the structures are filled and read by hand, as KVM
 * would (Documentation/virt/kvm/api.rst 4.11-4.14, 4.18, 4.46). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "machine/cpuid.h"
#include "machine/kvm_state.h"
#include "machine/lapic.h"
#include "machine/x86.h"

/* A long-mode CPL 3 state with every field distinct. */
static void long_state(struct cpu_state *s)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < GPR_COUNT; i++)
        s->gpr[i] = 0x1000000000000000ull + (uint64_t)i * 0x1111;
    s->rip = 0x400123;
    s->rflags = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_CF;
    for (int i = 0; i < SEG_COUNT; i++)
        s->seg[i] = (struct x86_segment){ .selector = (uint16_t)(0x8 * i + 3),
                                          .base = 0x10000ull * (uint64_t)i, .limit = 0xFFFFF,
                                          .type = (uint8_t)(i + 1), .s = 1, .dpl = 3,
                                          .present = 1, .avl = (uint8_t)(i & 1),
                                          .db = 1, .g = 1 };
    s->seg[SEG_CS].l = 1;
    s->seg[SEG_CS].db = 0;
    s->seg[SEG_FS].base = 0x7FFF12345000ull;
    s->gdt = (struct x86_dtable){ 0xFFFFFFFF8010C000ull, 0x37 };
    s->idt = (struct x86_dtable){ 0xFFFFFFFF80116000ull, 0xFFF };
    s->cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET;
    s->cr2 = 0xDEAD000;
    s->cr3 = 0x101000;
    s->cr4 = CR4_PAE | CR4_PGE;
    s->cr8 = 5;
    s->efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
    for (int i = 0; i < 4; i++)
        s->dr[i] = 0x1000ull * (uint64_t)(i + 1);
    s->dr[6] = 0xFFFF0FF0;
    s->dr[7] = 0x401;
    s->star = 0x0018000800000000ull;
    s->lstar = 0xFFFFFFFF80109128ull;
    s->cstar = 0xFFFFFFFF80109200ull;
    s->fmask = 0x40700;
    s->kernel_gs_base = 0xFFFF888000000000ull;
    s->sysenter_cs = 0x10;
    s->sysenter_esp = 0x8000;
    s->sysenter_eip = 0x9000;
    s->apic_base = 0xFEE00900;
    s->tsc = 123456789;
}

/* What KVM_GET_MSRS would return for the list we ask for. */
static void answer_msrs(const struct kvm_state_msrs *set, struct kvm_state_msrs *get)
{
    kvm_state_msr_list(get);
    for (unsigned i = 0; i < get->hdr.nmsrs; i++)
        for (unsigned j = 0; j < set->hdr.nmsrs; j++)
            if (set->e[j].index == get->e[i].index)
                get->e[i].data = set->e[j].data;
}

static void test_roundtrip_long(void **state)
{
    struct cpu_state in, out;
    struct kvm_regs r;
    struct kvm_sregs sr;
    struct kvm_state_msrs m, g;
    struct kvm_debugregs d;
    (void)state;

    long_state(&in);
    memset(&sr, 0, sizeof(sr));
    kvm_state_from_cpu(&in, &r, &sr, &m, &d);
    answer_msrs(&m, &g);
    g.e[KVM_STATE_NMSR - 1].data = in.apic_base;   /* the MSR copy of APIC_BASE */
    kvm_state_to_cpu(&r, &sr, &g, &d, &out);
    assert_memory_equal(&in, &out, sizeof(in));
}

static void test_gprs_in_kvm_order(void **state)
{
    struct cpu_state in;
    struct kvm_regs r;
    struct kvm_sregs sr;
    struct kvm_state_msrs m;
    struct kvm_debugregs d;
    (void)state;

    long_state(&in);
    memset(&sr, 0, sizeof(sr));
    kvm_state_from_cpu(&in, &r, &sr, &m, &d);
    /* struct kvm_regs is rax rbx rcx rdx rsi rdi rsp rbp r8..r15: not the
     * hardware encoding order of enum x86_gpr. */
    assert_int_equal(r.rax, in.gpr[GPR_RAX]);
    assert_int_equal(r.rbx, in.gpr[GPR_RBX]);
    assert_int_equal(r.rcx, in.gpr[GPR_RCX]);
    assert_int_equal(r.rsp, in.gpr[GPR_RSP]);
    assert_int_equal(r.rdi, in.gpr[GPR_RDI]);
    assert_int_equal(r.r15, in.gpr[GPR_R15]);
    assert_int_equal(r.rip, 0x400123);
    assert_int_equal(sr.cs.l, 1);
    assert_int_equal(sr.fs.base, 0x7FFF12345000ull);
    assert_int_equal(sr.efer, in.efer);
    assert_int_equal(sr.cr8, 5);
    assert_int_equal(d.db[3], 0x4000);
    assert_int_equal(d.dr7, 0x401);
}

static void test_rflags_fixed_bit(void **state)
{
    struct cpu_state in;
    struct kvm_regs r;
    struct kvm_sregs sr;
    struct kvm_state_msrs m;
    struct kvm_debugregs d;
    (void)state;

    long_state(&in);
    in.rflags = 0;   /* bit 1 always reads 1 (SDM Vol. 1 3.4.3) */
    memset(&sr, 0, sizeof(sr));
    kvm_state_from_cpu(&in, &r, &sr, &m, &d);
    assert_int_equal(r.rflags, RFLAGS_FIXED);
}

static void test_not_present_is_unusable(void **state)
{
    struct x86_segment x = { .selector = 0, .type = 3, .s = 1, .present = 0 };
    struct kvm_segment k;
    (void)state;

    kvm_seg_from_x86(&x, &k);
    assert_int_equal(k.unusable, 1);
    x.present = 1;
    kvm_seg_from_x86(&x, &k);
    assert_int_equal(k.unusable, 0);
    x.unusable = 1;
    kvm_seg_from_x86(&x, &k);
    assert_int_equal(k.unusable, 1);
}

static void test_segment_fields(void **state)
{
    struct kvm_segment k = { .base = 0x12345678, .limit = 0xFFFFFFFF, .selector = 0x1B,
                             .type = 0xB, .present = 1, .dpl = 3, .db = 1, .s = 1,
                             .l = 0, .g = 1, .avl = 1, .unusable = 0 };
    struct x86_segment x;
    struct kvm_segment back;
    (void)state;

    kvm_seg_to_x86(&k, &x);
    assert_int_equal(x.base, 0x12345678);
    assert_int_equal(x.limit, 0xFFFFFFFFu);   /* byte granular on both sides */
    assert_int_equal(x.selector, 0x1B);
    assert_int_equal(x.type, 0xB);
    assert_int_equal(x.dpl, 3);
    assert_true(x.db && x.s && x.g && x.avl && x.present);
    kvm_seg_from_x86(&x, &back);
    assert_memory_equal(&k, &back, sizeof(k));
}

static void test_msr_list(void **state)
{
    struct kvm_state_msrs m;
    static const uint32_t want[] = {
        MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_FMASK, MSR_KERNEL_GS_BASE,
        MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_TSC,
    };
    (void)state;

    kvm_state_msr_list(&m);
    assert_int_equal(m.hdr.nmsrs, KVM_STATE_NMSR);
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        bool found = false;
        for (unsigned j = 0; j < m.hdr.nmsrs; j++)
            found |= m.e[j].index == want[i];
        assert_true(found);
    }
    /* struct kvm_msrs is followed directly by its entries. */
    assert_ptr_equal((void *)m.hdr.entries, (void *)m.e);
}

static void test_apic_base_from_sregs(void **state)
{
    struct cpu_state in, out;
    struct kvm_regs r;
    struct kvm_sregs sr;
    struct kvm_state_msrs m, g;
    struct kvm_debugregs d;
    (void)state;

    long_state(&in);
    memset(&sr, 0, sizeof(sr));
    kvm_state_from_cpu(&in, &r, &sr, &m, &d);
    /* The MSR list written back leaves APIC_BASE to kvm_sregs. */
    for (unsigned i = 0; i < m.hdr.nmsrs; i++)
        assert_int_not_equal(m.e[i].index, MSR_IA32_APIC_BASE);
    answer_msrs(&m, &g);
    g.e[KVM_STATE_NMSR - 1].data = 0x1234;   /* a stale MSR copy loses */
    kvm_state_to_cpu(&r, &sr, &g, &d, &out);
    assert_int_equal(out.apic_base, 0xFEE00900);
}

static void test_interrupt_bitmap_kept(void **state)
{
    struct cpu_state in;
    struct kvm_regs r;
    struct kvm_sregs sr;
    struct kvm_state_msrs m;
    struct kvm_debugregs d;
    (void)state;

    long_state(&in);
    memset(&sr, 0, sizeof(sr));
    sr.interrupt_bitmap[0] = 1ull << 32;   /* vector 32 pending in KVM */
    kvm_state_from_cpu(&in, &r, &sr, &m, &d);
    assert_int_equal(sr.interrupt_bitmap[0], 1ull << 32);
}

static void test_cpuid_table_matches_model(void **state)
{
    struct kvm_cpuid_entry2 e[KVM_STATE_MAX_CPUID];
    struct cpuid_regs want;
    (void)state;

    unsigned n = kvm_state_cpuid(0, 1, e, KVM_STATE_MAX_CPUID);
    assert_true(n > 10);
    bool has_lm = false, has_hv = false;
    for (unsigned i = 0; i < n; i++) {
        cpuid_model(e[i].function, e[i].index, 0, 1, &want);
        assert_int_equal(e[i].eax, want.eax);
        assert_int_equal(e[i].ebx, want.ebx);
        assert_int_equal(e[i].ecx, want.ecx);
        assert_int_equal(e[i].edx, want.edx);
        has_lm |= e[i].function == 0x80000001u && (e[i].edx & (1u << 29));
        has_hv |= e[i].function == 0x40000000u;
        if (e[i].function == 7)
            assert_true(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
    }
    assert_true(has_lm);   /* KVM refuses EFER.LME without CPUID LM */
    assert_true(has_hv);
}

static void test_cpuid_table_bounded(void **state)
{
    struct kvm_cpuid_entry2 e[4];
    (void)state;

    assert_int_equal(kvm_state_cpuid(0, 1, e, 4), 4);
}

static void test_cpuid_per_vcpu(void **state)
{
    struct kvm_cpuid_entry2 e[KVM_STATE_MAX_CPUID];
    (void)state;

    unsigned n = kvm_state_cpuid(3, 4, e, KVM_STATE_MAX_CPUID);
    for (unsigned i = 0; i < n; i++)
        if (e[i].function == 1)
            assert_int_equal(e[i].ebx >> 24, 3);   /* initial APIC ID */
}

static void lapic_set(struct kvm_lapic_state *l, unsigned off, uint32_t v)
{
    memcpy(l->regs + off, &v, sizeof(v));
}

/* What decides whether a halted vCPU with the in-kernel irqchip may still
 * be woken by KVM alone (kvm_engine.c check_halted): its local APIC timer
 * counting (or in TSC-deadline mode), or a vector already requested. */
static void test_lapic_wake_sources(void **state)
{
    struct kvm_lapic_state l;
    (void)state;

    memset(&l, 0, sizeof(l));
    lapic_set(&l, LAPIC_LVT_BASE, APIC_LVT_MASKED | 0x30);
    lapic_set(&l, LAPIC_TIMER_CCR, 1000);
    assert_false(kvm_state_lapic_timer_armed(&l));          /* masked */
    lapic_set(&l, LAPIC_LVT_BASE, 0x30);
    assert_true(kvm_state_lapic_timer_armed(&l));           /* counting */
    lapic_set(&l, LAPIC_TIMER_CCR, 0);
    assert_false(kvm_state_lapic_timer_armed(&l));          /* never programmed */
    lapic_set(&l, LAPIC_TIMER_ICR, 500000);
    assert_true(kvm_state_lapic_timer_armed(&l));           /* one-shot, just expired */
    lapic_set(&l, LAPIC_TIMER_ICR, 0);
    lapic_set(&l, LAPIC_LVT_BASE, (2u << 17) | 0x30);
    assert_true(kvm_state_lapic_timer_armed(&l));           /* TSC deadline */

    assert_false(kvm_state_lapic_irr_pending(&l));
    for (unsigned v = 16; v < 256; v += 37) {
        lapic_set(&l, 0x200 + (v / 32) * 0x10, 1u << (v % 32));
        assert_true(kvm_state_lapic_irr_pending(&l));
        lapic_set(&l, 0x200 + (v / 32) * 0x10, 0);
    }
    lapic_set(&l, 0x100, ~0u);                               /* ISR: in service, not pending */
    assert_false(kvm_state_lapic_irr_pending(&l));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_long), cmocka_unit_test(test_gprs_in_kvm_order),
        cmocka_unit_test(test_rflags_fixed_bit), cmocka_unit_test(test_not_present_is_unusable),
        cmocka_unit_test(test_segment_fields), cmocka_unit_test(test_msr_list),
        cmocka_unit_test(test_apic_base_from_sregs), cmocka_unit_test(test_interrupt_bitmap_kept),
        cmocka_unit_test(test_cpuid_table_matches_model), cmocka_unit_test(test_cpuid_table_bounded),
        cmocka_unit_test(test_cpuid_per_vcpu), cmocka_unit_test(test_lapic_wake_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
