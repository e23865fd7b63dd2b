/* test_x86.c - descriptor decode/encode and mode helpers (machine/x86.c),
 * and the CPU model CPUID presents (machine/cpuid.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "machine/cpuid.h"
#include "machine/paging.h"
#include "machine/x86.h"

/* ---- descriptors (SDM Vol. 3A Figure 3-8) ---- */

static void test_decode_flat_code32(void **state)
{
    struct x86_segment g = { .selector = 0x08 };
    (void)state;

    x86_desc_decode(0x00CF9A000000FFFFull, 0, false, &g);
    assert_int_equal(g.selector, 0x08);   /* left alone */
    assert_int_equal(g.base, 0);
    assert_int_equal(g.limit, 0xFFFFFFFFu);
    assert_int_equal(g.type, 0xA);
    assert_true(g.s && g.present && g.db && g.g);
    assert_false(g.l || g.avl || g.unusable);
    assert_int_equal(g.dpl, 0);
}

static void test_decode_code64_dpl3(void **state)
{
    struct x86_segment g;
    (void)state;

    x86_desc_decode(0x00AFFB000000FFFFull, 0, false, &g);
    assert_true(g.l);
    assert_false(g.db);
    assert_int_equal(g.dpl, 3);
    assert_int_equal(g.type, 0xB);
}

static void test_decode_base_limit_bytes(void **state)
{
    struct x86_segment g;
    (void)state;

    /* base 0x12345678, limit 0x5ABCD byte-granular, data RW, DPL 2 */
    x86_desc_decode(0x1245D2345678ABCDull, 0, false, &g);
    assert_int_equal(g.base, 0x12345678);
    assert_int_equal(g.limit, 0x5ABCD);
    assert_int_equal(g.type, 0x2);
    assert_int_equal(g.dpl, 2);
    assert_true(g.db);
    assert_false(g.g);
}

/* A 64-bit TSS descriptor spans 16 bytes: base 63:32 in the high half. */
static void test_decode_tss64(void **state)
{
    struct x86_segment g;
    (void)state;

    x86_desc_decode(0xFF008B3000000067ull, 0x00000000FFFFFFFFull, true, &g);
    assert_int_equal(g.base, 0xFFFFFFFFFF300000ull);
    assert_int_equal(g.limit, 0x67);
    assert_int_equal(g.type, SYSTYPE_TSS_BUSY);
    assert_false(g.s);
    x86_desc_decode(0xFF008B3000000067ull, 0x00000000FFFFFFFFull, false, &g);
    assert_int_equal(g.base, 0xFF300000ull);
}

static void test_decode_not_present_unusable(void **state)
{
    struct x86_segment g;
    (void)state;

    x86_desc_decode(0x00CF12000000FFFFull, 0, false, &g);
    assert_false(g.present);
    assert_true(g.unusable);
}

static void test_encode_roundtrip(void **state)
{
    const uint64_t raws[] = {
        0x00CF9A000000FFFFull, 0x00AFFB000000FFFFull, 0x1245D2345678ABCDull,
        0x00408900A0000067ull, 0x0000820000000FFFull, 0xFF5FF6FFFFFFFFFFull,
    };
    (void)state;

    for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
        struct x86_segment g;

        x86_desc_decode(raws[i], 0, false, &g);
        assert_int_equal(x86_desc_encode(&g), raws[i]);
    }
}

/* ---- modes ---- */

static void test_modes_and_cpl(void **state)
{
    struct cpu_state s;
    (void)state;

    x86_reset_state(&s, 0xF000, 0xFFF0);
    assert_int_equal(x86_mode_of(&s), MODE_REAL);
    assert_int_equal(x86_cpl(&s), 0);
    assert_int_equal(x86_code_bits(&s), 16);
    s.cr0 |= CR0_PE;
    s.seg[SEG_CS].dpl = 3;
    assert_int_equal(x86_mode_of(&s), MODE_PROT16);
    assert_int_equal(x86_cpl(&s), 3);
    s.seg[SEG_CS].db = 1;
    assert_int_equal(x86_mode_of(&s), MODE_PROT32);
    assert_int_equal(x86_code_bits(&s), 32);
    s.rflags |= RFLAGS_VM;
    assert_int_equal(x86_mode_of(&s), MODE_VM86);
    assert_int_equal(x86_cpl(&s), 3);
    s.rflags &= ~RFLAGS_VM;
    s.efer = EFER_LME | EFER_LMA;
    assert_int_equal(x86_mode_of(&s), MODE_COMPAT);
    s.seg[SEG_CS].db = 0;
    s.seg[SEG_CS].l = 1;
    assert_int_equal(x86_mode_of(&s), MODE_LONG64);
    assert_int_equal(x86_code_bits(&s), 64);
    assert_string_equal(x86_mode_name(MODE_LONG64), "long64");
    assert_string_equal(x86_mode_name((enum x86_mode)42), "?");
}

static void test_reset_state(void **state)
{
    struct cpu_state s;
    (void)state;

    x86_reset_state(&s, 0xF000, 0xFFF0);
    assert_int_equal(s.seg[SEG_CS].base, 0xF0000);
    assert_int_equal(s.seg[SEG_CS].type & SEGTYPE_CODE, SEGTYPE_CODE);
    assert_int_equal(s.rip, 0xFFF0);
    assert_int_equal(s.rflags, RFLAGS_FIXED);
    assert_int_equal(s.cr0, CR0_ET | CR0_CD | CR0_NW);
    assert_int_equal(s.dr[6], 0xFFFF0FF0);
    assert_int_equal(s.dr[7], 0x400);
    assert_int_equal(s.idt.limit, 0xFFFF);
    assert_int_equal(pg_mode_of(&s), PGM_NONE);
}

static void test_seg_real(void **state)
{
    struct x86_segment g;
    (void)state;

    x86_seg_real(&g, 0xB800);
    assert_int_equal(g.base, 0xB8000);
    assert_int_equal(g.limit, 0xFFFF);
    assert_true(g.present && g.s);
}

/* ---- CPUID model ---- */

static void id(uint32_t leaf, struct cpuid_regs *r)
{
    cpuid_model(leaf, 0, 2, 4, r);
}

static void test_cpuid_vendor_and_brand(void **state)
{
    struct cpuid_regs r;
    char vendor[13] = { 0 }, brand[49] = { 0 };
    (void)state;

    id(0, &r);
    memcpy(vendor, &r.ebx, 4);
    memcpy(vendor + 4, &r.edx, 4);
    memcpy(vendor + 8, &r.ecx, 4);
    assert_string_equal(vendor, "GenuineIntel");
    assert_int_equal(r.eax, 7);
    for (uint32_t l = 0; l < 3; l++) {
        id(0x80000002u + l, &r);
        memcpy(brand + 16 * l, &r, 16);
    }
    assert_string_equal(brand, "vmscope virtual CPU");
    id(0x80000000u, &r);
    assert_int_equal(r.eax, 0x80000008u);
}

static void test_cpuid_leaf1(void **state)
{
    struct cpuid_regs r;
    (void)state;

    cpuid_model(1, 0, 3, 4, &r);
    assert_int_equal(r.eax, 0x6FB);
    assert_int_equal(r.ebx >> 24, 3);             /* APIC ID */
    assert_int_equal((r.ebx >> 16) & 0xFF, 4);    /* logical processors */
    assert_int_equal((r.ebx >> 8) & 0xFF, 8);     /* CLFLUSH 64 bytes */
    assert_true(r.edx & (1u << 28));              /* HTT */
    assert_true(r.edx & (1u << 11));              /* SEP */
    assert_true(r.edx & (1u << 6));               /* PAE */
    assert_false(r.edx & (1u << 1));              /* no VME */
    assert_true(r.ecx & (1u << 31));              /* hypervisor */
    assert_false(r.ecx & (1u << 21));             /* no x2APIC */
    cpuid_model(1, 0, 0, 1, &r);
    assert_false(r.edx & (1u << 28));             /* one CPU: no HTT */
    assert_int_equal(r.ebx >> 24, 0);
}

static void test_cpuid_extended(void **state)
{
    struct cpuid_regs r;
    char sig[13] = { 0 };
    (void)state;

    id(0x80000001u, &r);
    assert_int_equal(r.edx, (1u << 11) | (1u << 20) | (1u << 26) | (1u << 29));
    assert_int_equal(r.ecx, 1);
    id(0x80000008u, &r);
    assert_int_equal(r.eax & 0xFF, PG_MAXPHYADDR);
    assert_int_equal((r.eax >> 8) & 0xFF, 48);
    id(0x40000000u, &r);
    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    assert_string_equal(sig, "vmscope");
}

static void test_cpuid_unknown_zero(void **state)
{
    const uint32_t leaves[] = { 3, 4, 7, 8, 0xB, 0xD, 0x40000001u, 0x80000005u,
                                0x80000009u, 0xC0000000u, 0xFFFFFFFFu };
    (void)state;

    for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        struct cpuid_regs r = { 1, 1, 1, 1 };

        id(leaves[i], &r);
        assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_flat_code32), cmocka_unit_test(test_decode_code64_dpl3),
        cmocka_unit_test(test_decode_base_limit_bytes), cmocka_unit_test(test_decode_tss64),
        cmocka_unit_test(test_decode_not_present_unusable),
        cmocka_unit_test(test_encode_roundtrip), cmocka_unit_test(test_modes_and_cpl),
        cmocka_unit_test(test_reset_state), cmocka_unit_test(test_seg_real),
        cmocka_unit_test(test_cpuid_vendor_and_brand), cmocka_unit_test(test_cpuid_leaf1),
        cmocka_unit_test(test_cpuid_extended), cmocka_unit_test(test_cpuid_unknown_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
