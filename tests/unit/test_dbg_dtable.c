/* test_dbg_dtable.c - descriptor decoding for the GDT/LDT/IDT/IVT views
 * (debugger/dtable.c), on raw descriptors built by hand from the SDM's
 * layouts (Vol. 3A 3.4.5, 3.5, 6.11, 6.14.1, 7.2.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "debugger/dtable.h"

/* A segment descriptor from its fields (Figure 3-8). */
static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned type, unsigned s,
                         unsigned dpl, unsigned p, unsigned l, unsigned db, unsigned g)
{
    return (limit & 0xFFFFull) | ((uint64_t)(base & 0xFFFFFF) << 16) |
           ((uint64_t)type << 40) | ((uint64_t)s << 44) | ((uint64_t)dpl << 45) |
           ((uint64_t)p << 47) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
           ((uint64_t)l << 53) | ((uint64_t)db << 54) | ((uint64_t)g << 55) |
           ((uint64_t)(base >> 24) << 56);
}

/* A gate (Figure 6-2 / 6-8). */
static uint64_t gate(uint64_t off, uint16_t sel, unsigned type, unsigned dpl, unsigned ist)
{
    return (off & 0xFFFF) | ((uint64_t)sel << 16) | ((uint64_t)(ist & 7) << 32) |
           ((uint64_t)type << 40) | ((uint64_t)dpl << 45) | (1ull << 47) |
           (((off >> 16) & 0xFFFF) << 48);
}

static void test_code_data(void **state)
{
    struct dbg_desc d;
    (void)state;

    dtable_decode_seg(&d, seg_desc(0, 0xFFFFF, 0xA, 1, 0, 1, 0, 1, 1), 0, false);
    assert_true(d.ok && d.present && !d.system && !d.gate);
    assert_int_equal(d.seg.base, 0);
    assert_int_equal(d.seg.limit, 0xFFFFFFFF);     /* G scales the limit */
    assert_string_equal(d.kind, "code32 RX");
    assert_non_null(strstr(d.text, "limit=0xffffffff"));

    dtable_decode_seg(&d, seg_desc(0x12345678, 0xFFFF, 0x3, 1, 3, 1, 0, 0, 0), 0, false);
    assert_int_equal(d.seg.base, 0x12345678);
    assert_int_equal(d.seg.limit, 0xFFFF);
    assert_int_equal(d.dpl, 3);
    assert_string_equal(d.kind, "data RW A");

    dtable_decode_seg(&d, seg_desc(0, 0, 0x8, 1, 0, 1, 1, 0, 0), 0, true);
    assert_string_equal(d.kind, "code64 X");
    dtable_decode_seg(&d, seg_desc(0, 0xFFFF, 0xE, 1, 0, 1, 0, 0, 0), 0, false);
    assert_string_equal(d.kind, "code16 RX conforming");
    dtable_decode_seg(&d, seg_desc(0, 0xFFFF, 0x6, 1, 0, 0, 0, 1, 0), 0, false);
    assert_string_equal(d.kind, "data RW expand-down big");
    assert_false(d.present);
    assert_non_null(strstr(d.text, "not-present"));

    dtable_decode_seg(&d, 0, 0, false);
    assert_string_equal(d.kind, "null");
}

static void test_system(void **state)
{
    struct dbg_desc d;
    (void)state;

    /* 32-bit TSS, busy */
    dtable_decode_seg(&d, seg_desc(0xc000f820, 0x67, 0xB, 0, 0, 1, 0, 0, 0), 0, false);
    assert_true(d.system);
    assert_string_equal(d.kind, "tss32 busy");
    assert_int_equal(d.seg.base, 0xc000f820);
    assert_int_equal(d.seg.limit, 0x67);
    /* 64-bit TSS: 16 bytes, base 63:32 in the high half (Figure 7-4) */
    uint64_t lo = seg_desc(0x8011c200, 0x67, 0x9, 0, 0, 1, 0, 0, 0);
    assert_true(dtable_is_wide(lo, true));
    assert_false(dtable_is_wide(lo, false));
    dtable_decode_seg(&d, lo, 0xffffffffull, true);
    assert_string_equal(d.kind, "tss64");
    assert_true(d.seg.base == 0xffffffff8011c200ull);
    assert_true(d.raw[1] == 0xffffffffull);
    /* LDT and a 16-bit TSS */
    dtable_decode_seg(&d, seg_desc(0x1000, 0xFF, 0x2, 0, 0, 1, 0, 0, 0), 0, false);
    assert_string_equal(d.kind, "ldt");
    dtable_decode_seg(&d, seg_desc(0x1000, 0x2B, 0x1, 0, 0, 1, 0, 0, 0), 0, false);
    assert_string_equal(d.kind, "tss16");
    /* a call gate in the GDT */
    dtable_decode_seg(&d, gate(0x1234, 0x08, 0xC, 3, 0), 0, false);
    assert_true(d.gate);
    assert_string_equal(d.kind, "call gate32");
    assert_int_equal(d.gate_sel, 8);
    assert_int_equal(d.gate_off, 0x1234);
    /* a data descriptor is never wide */
    assert_false(dtable_is_wide(seg_desc(0, 0, 0x2, 1, 0, 1, 0, 0, 0), true));
}

static void test_gates(void **state)
{
    struct dbg_desc d;
    (void)state;

    dtable_decode_gate(&d, gate(0xc0001074, 0x08, 0xE, 0, 0), 0, false);
    assert_string_equal(d.kind, "int gate32");
    assert_int_equal(d.gate_off, 0xc0001074);
    assert_int_equal(d.gate_sel, 0x08);
    assert_int_equal(d.dpl, 0);
    dtable_decode_gate(&d, gate(0x1000, 0x08, 0xF, 3, 0), 0, false);
    assert_string_equal(d.kind, "trap gate32");
    assert_int_equal(d.dpl, 3);
    dtable_decode_gate(&d, gate(0x100, 0x08, 0x6, 0, 0), 0, false);
    assert_string_equal(d.kind, "int gate16");
    dtable_decode_gate(&d, gate(0, 0x28, 0x5, 0, 0), 0, false);
    assert_string_equal(d.kind, "task gate");
    assert_non_null(strstr(d.text, "tss 0028"));
    /* 64-bit: offset 63:32 in the high half, IST in bits 34:32 */
    dtable_decode_gate(&d, gate(0x80109086, 0x08, 0xE, 0, 1), 0xffffffffull, true);
    assert_string_equal(d.kind, "int gate64");
    assert_true(d.gate_off == 0xffffffff80109086ull);
    assert_int_equal(d.ist, 1);
    assert_non_null(strstr(d.text, "ist1"));
    /* not a gate type in the IDT */
    dtable_decode_gate(&d, gate(0, 0x08, 0x9, 0, 0), 0, false);
    assert_non_null(strstr(d.kind, "invalid"));
    dtable_decode_gate(&d, 0, 0, false);
    assert_string_equal(d.kind, "empty");
}

static void test_ivt(void **state)
{
    struct dbg_desc d;
    (void)state;

    dtable_decode_ivt(&d, 0xF000FF53u);   /* F000:FF53 */
    assert_int_equal(d.gate_sel, 0xF000);
    assert_int_equal(d.gate_off, 0xFF53);
    assert_non_null(strstr(d.text, "linear 0xfff53"));
}

static void test_kinds(void **state)
{
    struct x86_segment g = { .s = 1, .type = SEGTYPE_CODE, .db = 1 };
    char buf[32];
    (void)state;

    dtable_seg_kind(&g, false, buf, sizeof(buf));
    assert_string_equal(buf, "code32 X");
    g.s = 0;
    g.type = SYSTYPE_INT;
    dtable_seg_kind(&g, true, buf, sizeof(buf));
    assert_string_equal(buf, "int gate64");
    g.type = SYSTYPE_CALL16;
    dtable_seg_kind(&g, true, buf, sizeof(buf));
    assert_string_equal(buf, "reserved");         /* no 16-bit gates in IA-32e mode */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_data),
        cmocka_unit_test(test_system),
        cmocka_unit_test(test_gates),
        cmocka_unit_test(test_ivt),
        cmocka_unit_test(test_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
