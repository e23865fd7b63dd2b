/* test_sysinsn.c - SYSCALL/SYSRET/SYSENTER/SYSEXIT (machine/sysinsn.c),
 * the Operation sections of SDM Vol. 2B, including the fault cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "machine/sysinsn.h"

/* Linux's layout: kernel CS 0x10 / SS 0x18; SYSRET base 0x23 (32-bit
 * user CS), user SS 0x2B, 64-bit user CS 0x33. */
#define STAR_VALUE ((0x23ull << 48) | (0x10ull << 32))
#define LSTAR_VALUE 0xFFFFFFFF81000000ull
#define FMASK_VALUE (RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC)

static struct x86_segment seg(uint16_t sel, bool code, unsigned dpl, bool l)
{
    struct x86_segment g = { .selector = sel, .limit = 0xFFFFFFFFu, .s = 1,
                             .type = code ? 0xB : 0x3, .dpl = (uint8_t)dpl,
                             .present = 1, .g = 1, .l = l, .db = !l };
    return g;
}

static void long_state(struct cpu_state *s, unsigned cpl)
{
    memset(s, 0, sizeof(*s));
    s->cr0 = CR0_PE | CR0_PG;
    s->cr4 = CR4_PAE;
    s->efer = EFER_LME | EFER_LMA | EFER_SCE;
    s->seg[SEG_CS] = seg(cpl ? 0x33 : 0x10, true, cpl, true);
    s->seg[SEG_SS] = seg(cpl ? 0x2B : 0x18, false, cpl, false);
    s->star = STAR_VALUE;
    s->lstar = LSTAR_VALUE;
    s->fmask = FMASK_VALUE;
    s->rip = 0x401000;
    s->rflags = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_TF | RFLAGS_CF;
}

static void prot_state(struct cpu_state *s, unsigned cpl)
{
    memset(s, 0, sizeof(*s));
    s->cr0 = CR0_PE;
    s->seg[SEG_CS] = seg(cpl ? 0x1B : 0x08, true, cpl, false);
    s->seg[SEG_SS] = seg(cpl ? 0x23 : 0x10, false, cpl, false);
    s->sysenter_cs = 0x08;
    s->sysenter_esp = 0xFFFFFFFF00080000ull;
    s->sysenter_eip = 0xFFFFFFFFC0100000ull;
    s->rip = 0x8048000;
    s->rflags = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_RF;
}

/* Flat hidden parts: base 0, 4 GiB, code type 11 / data type 3, S, P, G. */
static void check_flat(const struct cpu_state *s, uint16_t cs, uint16_t ss, unsigned dpl,
                       unsigned bits)
{
    const struct x86_segment *c = &s->seg[SEG_CS], *d = &s->seg[SEG_SS];

    assert_int_equal(c->selector, cs);
    assert_int_equal(d->selector, ss);
    assert_int_equal(c->base, 0);
    assert_int_equal(c->limit, 0xFFFFFFFFu);
    assert_int_equal(c->type, 11);
    assert_int_equal(d->type, 3);
    assert_true(c->s && c->present && c->g && d->s && d->present && d->g && d->db);
    assert_int_equal(c->dpl, dpl);
    assert_int_equal(d->dpl, dpl);
    assert_int_equal(c->l, bits == 64);
    assert_int_equal(c->db, bits == 32);
    assert_int_equal(x86_cpl(s), dpl);
    assert_int_equal(x86_code_bits(s), bits);
}

static void test_syscall(void **state)
{
    struct cpu_state s;
    (void)state;

    long_state(&s, 3);
    s.rflags |= RFLAGS_RF;
    assert_int_equal(x86_syscall(&s, 2), 0);
    assert_int_equal(s.gpr[GPR_RCX], 0x401002);
    assert_int_equal(s.gpr[GPR_R11], RFLAGS_FIXED | RFLAGS_IF | RFLAGS_TF | RFLAGS_CF);
    assert_int_equal(s.rip, LSTAR_VALUE);
    assert_int_equal(s.rflags, RFLAGS_FIXED | RFLAGS_CF);
    check_flat(&s, 0x10, 0x18, 0, 64);
}

/* CS gets STAR[47:32] with RPL cleared; SS is STAR[47:32] + 8 as is. */
static void test_syscall_star_rpl(void **state)
{
    struct cpu_state s;
    (void)state;

    long_state(&s, 3);
    s.star = 0x13ull << 32;
    assert_int_equal(x86_syscall(&s, 2), 0);
    assert_int_equal(s.seg[SEG_CS].selector, 0x10);
    assert_int_equal(s.seg[SEG_SS].selector, 0x1B);
}

static void test_syscall_ud(void **state)
{
    struct cpu_state s, before;
    (void)state;

    long_state(&s, 3);
    s.efer &= ~EFER_SCE;
    before = s;
    assert_int_equal(x86_syscall(&s, 2), EXC_UD);
    assert_memory_equal(&s, &before, sizeof(s));
    long_state(&s, 3);                      /* compatibility mode (Intel: #UD) */
    s.seg[SEG_CS] = seg(0x23, true, 3, false);
    assert_int_equal(x86_syscall(&s, 2), EXC_UD);
    prot_state(&s, 3);                      /* legacy protected mode */
    s.efer = EFER_SCE;
    assert_int_equal(x86_syscall(&s, 2), EXC_UD);
}

static void test_sysretq(void **state)
{
    struct cpu_state s;
    (void)state;

    long_state(&s, 0);
    s.gpr[GPR_RCX] = 0x00007FFFFFFFF000ull;
    s.gpr[GPR_R11] = 0xFFFFFFFFFFFFFFFFull;
    assert_int_equal(x86_sysret(&s, 1), 0);
    assert_int_equal(s.rip, 0x00007FFFFFFFF000ull);
    assert_int_equal(s.rflags, 0x3C7FD7 | RFLAGS_FIXED);   /* RF, VM cleared */
    check_flat(&s, 0x33, 0x2B, 3, 64);
}

static void test_sysretl(void **state)
{
    struct cpu_state s;
    (void)state;

    long_state(&s, 0);
    s.gpr[GPR_RCX] = 0xFFFFFFFF08048000ull;
    s.gpr[GPR_R11] = RFLAGS_IF;
    assert_int_equal(x86_sysret(&s, 0), 0);
    assert_int_equal(s.rip, 0x08048000);
    assert_int_equal(s.rflags, RFLAGS_IF | RFLAGS_FIXED);
    check_flat(&s, 0x23, 0x2B, 3, 32);
    assert_int_equal(x86_mode_of(&s), MODE_COMPAT);
}

static void test_sysret_faults(void **state)
{
    struct cpu_state s, before;
    (void)state;

    long_state(&s, 0);
    s.gpr[GPR_RCX] = 0x0000800000000000ull;   /* non-canonical */
    before = s;
    assert_int_equal(x86_sysret(&s, 1), EXC_GP);
    assert_memory_equal(&s, &before, sizeof(s));
    assert_int_equal(x86_sysret(&s, 0), 0);   /* SYSRETL uses ECX only */
    long_state(&s, 3);
    assert_int_equal(x86_sysret(&s, 1), EXC_GP);   /* CPL 3 */
    long_state(&s, 0);
    s.efer &= ~EFER_SCE;
    assert_int_equal(x86_sysret(&s, 1), EXC_UD);
}

static void test_sysenter_32(void **state)
{
    struct cpu_state s;
    (void)state;

    prot_state(&s, 3);
    s.rflags |= RFLAGS_VM;
    assert_int_equal(x86_sysenter(&s), 0);
    assert_int_equal(s.gpr[GPR_RSP], 0x80000);
    assert_int_equal(s.rip, 0xC0100000);
    assert_int_equal(s.rflags, RFLAGS_FIXED);
    check_flat(&s, 0x08, 0x10, 0, 32);
}

static void test_sysenter_64(void **state)
{
    struct cpu_state s;
    (void)state;

    long_state(&s, 3);
    s.sysenter_cs = 0x13;      /* RPL ignored */
    s.sysenter_esp = 0xFFFF880000010000ull;
    s.sysenter_eip = 0xFFFFFFFF81000100ull;
    assert_int_equal(x86_sysenter(&s), 0);
    assert_int_equal(s.gpr[GPR_RSP], 0xFFFF880000010000ull);
    assert_int_equal(s.rip, 0xFFFFFFFF81000100ull);
    check_flat(&s, 0x10, 0x18, 0, 64);
}

static void test_sysenter_faults(void **state)
{
    struct cpu_state s;
    (void)state;

    prot_state(&s, 3);
    s.sysenter_cs = 0x3;       /* [15:2] = 0 */
    assert_int_equal(x86_sysenter(&s), EXC_GP);
    prot_state(&s, 0);
    s.cr0 = 0;                 /* real mode */
    assert_int_equal(x86_sysenter(&s), EXC_GP);
}

static void test_sysexit_32(void **state)
{
    struct cpu_state s;
    (void)state;

    prot_state(&s, 0);
    s.gpr[GPR_RCX] = 0xBFFFF000;
    s.gpr[GPR_RDX] = 0x08048100;
    assert_int_equal(x86_sysexit(&s, 0), 0);
    assert_int_equal(s.gpr[GPR_RSP], 0xBFFFF000);
    assert_int_equal(s.rip, 0x08048100);
    assert_int_equal(s.rflags, RFLAGS_FIXED | RFLAGS_IF | RFLAGS_RF);   /* unchanged */
    check_flat(&s, 0x1B, 0x23, 3, 32);
}

static void test_sysexit_64(void **state)
{
    struct cpu_state s, before;
    (void)state;

    long_state(&s, 0);
    s.sysenter_cs = 0x08;
    s.gpr[GPR_RCX] = 0x00007FFFFFFFE000ull;
    s.gpr[GPR_RDX] = 0x0000000000401000ull;
    assert_int_equal(x86_sysexit(&s, 1), 0);
    check_flat(&s, 0x2B, 0x33, 3, 64);
    assert_int_equal(s.gpr[GPR_RSP], 0x00007FFFFFFFE000ull);
    long_state(&s, 0);
    s.sysenter_cs = 0x08;
    s.gpr[GPR_RDX] = 0x8000000000000000ull;
    before = s;
    assert_int_equal(x86_sysexit(&s, 1), EXC_GP);
    assert_memory_equal(&s, &before, sizeof(s));
}

static void test_sysexit_faults(void **state)
{
    struct cpu_state s;
    (void)state;

    prot_state(&s, 3);
    assert_int_equal(x86_sysexit(&s, 0), EXC_GP);     /* CPL 3 */
    prot_state(&s, 0);
    s.sysenter_cs = 0;
    assert_int_equal(x86_sysexit(&s, 0), EXC_GP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syscall), cmocka_unit_test(test_syscall_star_rpl),
        cmocka_unit_test(test_syscall_ud), cmocka_unit_test(test_sysretq),
        cmocka_unit_test(test_sysretl), cmocka_unit_test(test_sysret_faults),
        cmocka_unit_test(test_sysenter_32), cmocka_unit_test(test_sysenter_64),
        cmocka_unit_test(test_sysenter_faults), cmocka_unit_test(test_sysexit_32),
        cmocka_unit_test(test_sysexit_64), cmocka_unit_test(test_sysexit_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
