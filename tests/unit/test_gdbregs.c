/* test_gdbregs.c - the gdb register layout: names and sizes as gdb's amd64
 * description requires them, the target description XML, conversions
 * both ways (g/G/p/P), the linear PC outside 64-bit mode, selector
 * writes, and hostile G blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "debugger/gdbregs.h"
#include "machine/err.h"
#include "machine/x86.h"

/* gdb's amd64 core register order (amd64-tdep.c amd64_register_names):
 * a description whose org.gnu.gdb.i386.core lacks any of them is rejected. */
static const char *const amd64_core[] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
    "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7",
    "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
};

static uint64_t le(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n && i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* A 64-bit mode state with a distinct value in every register. */
static void long_state(struct cpu_state *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < GPR_COUNT; i++)
        s->gpr[i] = 0x1111111111111111ull * (i + 1) + i;
    s->rip = 0xffffffff80109290ull;
    s->rflags = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_ZF;
    for (unsigned i = 0; i < SEG_COUNT; i++) {
        s->seg[i].selector = (uint16_t)(0x08 * (i + 1));
        s->seg[i].present = 1;
        s->seg[i].s = 1;
    }
    s->seg[SEG_CS].l = 1;
    s->seg[SEG_CS].type = SEGTYPE_CODE | SEGTYPE_CODE_READ;
    s->seg[SEG_FS].base = 0x7f0000001000ull;
    s->seg[SEG_GS].base = 0xffff888000000000ull;
    s->cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    s->cr2 = 0xdeadbeef000ull;
    s->cr3 = 0x101000;
    s->cr4 = CR4_PAE;
    s->cr8 = 3;
    s->efer = EFER_LME | EFER_LMA | EFER_NXE;
}

static void test_names_and_sizes(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(amd64_core) / sizeof(amd64_core[0]); i++)
        assert_string_equal(gdbregs_name(i, 0), amd64_core[i]);
    assert_string_equal(gdbregs_name(GDBREG_FS_BASE, 0), "fs_base");
    assert_string_equal(gdbregs_name(GDBREG_GS_BASE, 0), "gs_base");
    assert_string_equal(gdbregs_name(GDBREG_CR3, 0), "cr3");
    assert_string_equal(gdbregs_name(GDBREG_EFER, 0), "efer");
    assert_null(gdbregs_name(GDBREG_COUNT, 0));
    assert_int_equal(gdbregs_size(GDBREG_RAX, 0), 8);
    assert_int_equal(gdbregs_size(GDBREG_EFLAGS, 0), 4);
    assert_int_equal(gdbregs_size(GDBREG_CS, 0), 4);
    assert_int_equal(gdbregs_size(GDBREG_ST0 + 7, 0), 10);
    assert_int_equal(gdbregs_size(GDBREG_FOP, 0), 4);
    assert_int_equal(gdbregs_size(GDBREG_COUNT, 0), 0);
    /* 16*8 + 8 + 4 + 6*4 + 8*10 + 8*4 + 2*8 + 6*8: the same in every mode */
    assert_int_equal(gdbregs_g_size(0), 128 + 8 + 4 + 24 + 80 + 32 + 16 + 48);
}

static void test_target_xml(void **state)
{
    (void)state;
    static char xml[16384];
    char small[64];

    int n = gdbregs_target_xml(xml, sizeof(xml), 0);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(xml));
    assert_non_null(strstr(xml, "<architecture>i386:x86-64</architecture>"));
    assert_non_null(strstr(xml, "<feature name=\"org.gnu.gdb.i386.core\">"));
    assert_non_null(strstr(xml, "<feature name=\"org.gnu.gdb.i386.segments\">"));
    assert_non_null(strstr(xml, "<feature name=\"org.vmscope.x86.control\">"));
    /* every register appears once, in order, with its width and number */
    const char *p = xml;
    for (unsigned i = 0; i < GDBREG_COUNT; i++) {
        char want[96];
        snprintf(want, sizeof(want), "<reg name=\"%s\" bitsize=\"%u\"", gdbregs_name(i, 0),
                 gdbregs_size(i, 0) * 8);
        const char *q = strstr(p, want);
        assert_non_null(q);
        char num[32];
        snprintf(num, sizeof(num), "regnum=\"%u\"", i);
        assert_non_null(strstr(q, num));
        p = q + 1;
    }
    /* named bits come from x86.h: CR0.PG is bit 31, EFER.LMA bit 10 */
    assert_non_null(strstr(xml, "<field name=\"PG\" start=\"31\" end=\"31\"/>"));
    assert_non_null(strstr(xml, "<field name=\"LMA\" start=\"10\" end=\"10\"/>"));
    assert_non_null(strstr(xml, "<field name=\"IF\" start=\"9\" end=\"9\"/>"));
    assert_int_equal(gdbregs_target_xml(small, sizeof(small), 0), -VMS_ERR_RANGE);
}

static void test_read_long(void **state)
{
    (void)state;
    struct cpu_state s;
    uint8_t b[GDBREGS_MAX_BYTES];

    long_state(&s);
    assert_int_equal(gdbregs_read(&s, GDBREG_RAX, b, 0), 8);
    assert_true(le(b, 8) == s.gpr[GPR_RAX]);
    /* gdb's order is rax rbx rcx rdx, not the hardware's rax rcx rdx rbx */
    gdbregs_read(&s, GDBREG_RBX, b, 0);
    assert_true(le(b, 8) == s.gpr[GPR_RBX]);
    gdbregs_read(&s, GDBREG_RSP, b, 0);
    assert_true(le(b, 8) == s.gpr[GPR_RSP]);
    gdbregs_read(&s, GDBREG_R15, b, 0);
    assert_true(le(b, 8) == s.gpr[GPR_R15]);
    gdbregs_read(&s, GDBREG_RIP, b, GDBREGS_LINEAR_PC);
    assert_true(le(b, 8) == 0xffffffff80109290ull);      /* 64-bit: never biased */
    assert_int_equal(gdbregs_read(&s, GDBREG_EFLAGS, b, 0), 4);
    assert_true(le(b, 4) == (RFLAGS_FIXED | RFLAGS_IF | RFLAGS_ZF));
    gdbregs_read(&s, GDBREG_SS, b, 0);
    assert_true(le(b, 4) == s.seg[SEG_SS].selector);
    gdbregs_read(&s, GDBREG_FS_BASE, b, 0);
    assert_true(le(b, 8) == 0x7f0000001000ull);
    gdbregs_read(&s, GDBREG_GS_BASE, b, 0);
    assert_true(le(b, 8) == 0xffff888000000000ull);
    gdbregs_read(&s, GDBREG_CR2, b, 0);
    assert_true(le(b, 8) == s.cr2);
    gdbregs_read(&s, GDBREG_EFER, b, 0);
    assert_true(le(b, 8) == s.efer);
    gdbregs_read(&s, GDBREG_FCTRL, b, 0);
    assert_true(le(b, 4) == 0x37f);                      /* x87 after FNINIT */
    assert_int_equal(gdbregs_read(&s, GDBREG_COUNT, b, 0), -VMS_ERR_INVAL);
}

static void test_roundtrip_all(void **state)
{
    (void)state;
    struct cpu_state s, t;
    static uint8_t g[1024], g2[1024];
    size_t n = gdbregs_g_size(0);

    long_state(&s);
    gdbregs_read_all(&s, g, 0);
    /* unmodified block written back: nothing changes */
    t = s;
    assert_int_equal(gdbregs_write_all(&t, g, n, 0), 0);
    assert_memory_equal(&t, &s, sizeof(s));
    /* the block is the concatenation of the p replies */
    size_t off = 0;
    for (unsigned i = 0; i < GDBREG_COUNT; i++) {
        uint8_t b[GDBREGS_MAX_BYTES];
        int sz = gdbregs_read(&s, i, b, 0);
        assert_memory_equal(g + off, b, (size_t)sz);
        off += (size_t)sz;
    }
    /* change values through G and read them back */
    g[0] ^= 0xff;                                  /* rax low byte */
    uint64_t newcr3 = 0x2000;
    size_t cr3_off = n - 6 * 8 + 2 * 8;            /* cr0 cr2 [cr3] cr4 cr8 efer */
    memcpy(g + cr3_off, &newcr3, 8);
    assert_int_equal(gdbregs_write_all(&t, g, n, 0), 0);
    assert_true(t.gpr[GPR_RAX] == (s.gpr[GPR_RAX] ^ 0xff));
    assert_true(t.cr3 == 0x2000);
    gdbregs_read_all(&t, g2, 0);
    assert_memory_equal(g, g2, n);
}

static void test_write_single(void **state)
{
    (void)state;
    struct cpu_state s;
    uint8_t b[GDBREGS_MAX_BYTES] = { 0 };

    long_state(&s);
    b[0] = 0x00;                                   /* eflags = 0: bit 1 stays */
    assert_int_equal(gdbregs_write(&s, GDBREG_EFLAGS, b, 0), 0);
    assert_true(s.rflags == RFLAGS_FIXED);
    memset(b, 0xaa, 8);
    assert_int_equal(gdbregs_write(&s, GDBREG_R9, b, 0), 0);
    assert_true(s.gpr[GPR_R9] == 0xaaaaaaaaaaaaaaaaull);
    /* x87 is not modelled: writes are ignored, reads stay the reset value */
    assert_int_equal(gdbregs_write(&s, GDBREG_FCTRL, b, 0), 0);
    gdbregs_read(&s, GDBREG_FCTRL, b, 0);
    assert_true(le(b, 4) == 0x37f);
    assert_int_equal(gdbregs_write(&s, GDBREG_COUNT, b, 0), -VMS_ERR_INVAL);
}

static void test_selectors(void **state)
{
    (void)state;
    struct cpu_state s;
    uint8_t b[4];

    long_state(&s);
    /* protected/long mode: the same selector is fine, a new one needs a
     * descriptor load the stub does not do */
    b[0] = (uint8_t)s.seg[SEG_DS].selector; b[1] = 0; b[2] = 0; b[3] = 0;
    assert_int_equal(gdbregs_write(&s, GDBREG_DS, b, 0), 0);
    b[0] = 0x2b;
    assert_int_equal(gdbregs_write(&s, GDBREG_DS, b, 0), -VMS_ERR_UNSUPPORTED);
    /* real mode: base = selector * 16, as a real-mode load does */
    x86_reset_state(&s, 0, 0x7c00);
    b[0] = 0xc0; b[1] = 0x07;
    assert_int_equal(gdbregs_write(&s, GDBREG_ES, b, 0), 0);
    assert_int_equal(s.seg[SEG_ES].selector, 0x07c0);
    assert_true(s.seg[SEG_ES].base == 0x7c00);
    b[2] = 1;                                      /* 0x107c0 is no selector */
    assert_int_equal(gdbregs_write(&s, GDBREG_ES, b, 0), -VMS_ERR_UNSUPPORTED);
}

/* Outside 64-bit mode gdb's $pc can be the linear PC, CS.base + IP; a
 * write subtracts the base again. */
static void test_linear_pc(void **state)
{
    (void)state;
    struct cpu_state s;
    uint8_t b[8];

    x86_reset_state(&s, 0x07c0, 0x0005);
    assert_int_equal(x86_mode_of(&s), MODE_REAL);
    gdbregs_read(&s, GDBREG_RIP, b, 0);
    assert_true(le(b, 8) == 0x5);
    gdbregs_read(&s, GDBREG_RIP, b, GDBREGS_LINEAR_PC);
    assert_true(le(b, 8) == 0x7c05);
    uint64_t pc = 0x7c10;
    memcpy(b, &pc, 8);
    assert_int_equal(gdbregs_write(&s, GDBREG_RIP, b, GDBREGS_LINEAR_PC), 0);
    assert_true(s.rip == 0x10);
    assert_int_equal(gdbregs_write(&s, GDBREG_RIP, b, 0), 0);
    assert_true(s.rip == 0x7c10);
    /* G with a new CS: the bias is the new CS's (selectors apply first) */
    static uint8_t g[1024];
    x86_reset_state(&s, 0x07c0, 0x0005);
    gdbregs_read_all(&s, g, GDBREGS_LINEAR_PC);
    size_t cs_off = 16 * 8 + 8 + 4;
    g[cs_off] = 0x00; g[cs_off + 1] = 0x10;        /* CS = 0x1000, base 0x10000 */
    pc = 0x10020;
    memcpy(g + 16 * 8, &pc, 8);
    assert_int_equal(gdbregs_write_all(&s, g, gdbregs_g_size(0), GDBREGS_LINEAR_PC), 0);
    assert_int_equal(s.seg[SEG_CS].selector, 0x1000);
    assert_true(s.rip == 0x20);
}

/* A G block that is too short updates only whole registers; one that
 * fails changes nothing; garbage never reads outside the block. */
static void test_hostile_G(void **state)
{
    (void)state;
    struct cpu_state s, t;
    static uint8_t g[1024];

    long_state(&s);
    gdbregs_read_all(&s, g, 0);
    memset(g, 0x55, 12);                           /* rax, half of rbx */
    t = s;
    assert_int_equal(gdbregs_write_all(&t, g, 12, 0), 0);
    assert_true(t.gpr[GPR_RAX] == 0x5555555555555555ull);
    assert_true(t.gpr[GPR_RBX] == s.gpr[GPR_RBX]);  /* incomplete: untouched */
    assert_int_equal(gdbregs_write_all(&t, g, 0, 0), 0);
    /* a new selector in long mode fails the whole block */
    gdbregs_read_all(&s, g, 0);
    g[0] = 0x99;
    g[16 * 8 + 8 + 4 + 4 * 3] = 0x33;               /* es */
    t = s;
    assert_int_equal(gdbregs_write_all(&t, g, gdbregs_g_size(0), 0), -VMS_ERR_UNSUPPORTED);
    assert_memory_equal(&t, &s, sizeof(s));
}

/* gdb's i386 order (i386-tdep.c i386_register_names). */
static const char *const i386_core[] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
    "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7",
    "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
};

static void test_i386_layout(void **state)
{
    (void)state;
    static char xml[16384];
    struct cpu_state s, t;
    static uint8_t g[1024];
    uint8_t b[GDBREGS_MAX_BYTES];

    for (unsigned i = 0; i < sizeof(i386_core) / sizeof(i386_core[0]); i++) {
        assert_string_equal(gdbregs_name(i, GDBREGS_I386), i386_core[i]);
        assert_string_equal(gdbregs_name(i, GDBREGS_I8086), i386_core[i]);
    }
    assert_int_equal(gdbregs_count(GDBREGS_I386), GDBREG32_COUNT);
    assert_int_equal(gdbregs_pc(GDBREGS_I386), GDBREG32_EIP);
    assert_int_equal(gdbregs_pc(0), GDBREG_RIP);
    assert_int_equal(gdbregs_size(GDBREG32_EAX, GDBREGS_I386), 4);
    /* 16*4 + 8*10 + 8*4 + 5*8 */
    assert_int_equal(gdbregs_g_size(GDBREGS_I386), 64 + 80 + 32 + 40);
    assert_true(gdbregs_target_xml(xml, sizeof(xml), GDBREGS_I386) > 0);
    assert_non_null(strstr(xml, "<architecture>i386</architecture>"));
    assert_null(strstr(xml, "org.gnu.gdb.i386.segments"));   /* no empty feature */
    assert_non_null(strstr(xml, "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\""));
    assert_true(gdbregs_target_xml(xml, sizeof(xml), GDBREGS_I8086) > 0);
    assert_non_null(strstr(xml, "<architecture>i8086</architecture>"));

    /* 32-bit values; a write keeps the upper half of the 64-bit register */
    long_state(&s);
    gdbregs_read(&s, GDBREG32_EBX, b, GDBREGS_I386);
    assert_true(le(b, 4) == (uint32_t)s.gpr[GPR_RBX]);
    b[0] = 0x78; b[1] = 0x56; b[2] = 0x34; b[3] = 0x12;
    t = s;
    assert_int_equal(gdbregs_write(&t, GDBREG32_ECX, b, GDBREGS_I386), 0);
    assert_true(t.gpr[GPR_RCX] == ((s.gpr[GPR_RCX] & ~0xFFFFFFFFull) | 0x12345678));
    /* the whole block round-trips */
    x86_reset_state(&s, 0x07c0, 0x0005);
    gdbregs_read_all(&s, g, GDBREGS_I386 | GDBREGS_LINEAR_PC);
    assert_true(le(g + 8 * 4, 4) == 0x7c05);       /* eip: the linear PC */
    t = s;
    assert_int_equal(gdbregs_write_all(&t, g, gdbregs_g_size(GDBREGS_I386),
                                       GDBREGS_I386 | GDBREGS_LINEAR_PC), 0);
    assert_memory_equal(&t, &s, sizeof(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_sizes),
        cmocka_unit_test(test_target_xml),
        cmocka_unit_test(test_read_long),
        cmocka_unit_test(test_roundtrip_all),
        cmocka_unit_test(test_write_single),
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_linear_pc),
        cmocka_unit_test(test_hostile_G),
        cmocka_unit_test(test_i386_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
