/* test_paging.c - the page walker (machine/paging.c) in every mode:
 * translations, reserved bits, rights, #PF error codes, A/D bits and
 * linear accesses across pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "machine/paging.h"

#define RAM_SIZE (4u << 20)
#define T1 0x10000u   /* top-level table */
#define T2 0x11000u
#define T3 0x12000u
#define T4 0x13000u

struct fx {
    struct gmem mem;
    struct cpu_state s;
    struct pg_walk w;
};

static void wr(struct gmem *m, uint64_t pa, uint64_t v, unsigned size)
{
    assert_int_equal(gmem_write(m, pa, &v, size), 0);   /* little-endian host */
}

static uint64_t rd(struct gmem *m, uint64_t pa, unsigned size)
{
    uint64_t v = 0;

    assert_int_equal(gmem_read(m, pa, &v, size), 0);
    return v;
}

static int setup(void **state)
{
    static struct fx f;

    memset(&f, 0, sizeof(f));
    if (gmem_init(&f.mem, RAM_SIZE) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    gmem_fini(&((struct fx *)*state)->mem);
    return 0;
}

#define URW (PTE_P | PTE_RW | PTE_US)

/* 32-bit paging: PD at T1; PDE 1 (4 MiB..8 MiB) -> PT at T2. */
static void mode32(struct fx *f, uint64_t pte_for_0x400000)
{
    memset(&f->s, 0, sizeof(f->s));
    f->s.cr0 = CR0_PE | CR0_PG;
    f->s.cr3 = T1;
    wr(&f->mem, T1 + 1 * 4, T2 | URW, 4);
    wr(&f->mem, T2 + 0 * 4, pte_for_0x400000, 4);
}

/* PAE: PDPT at T1 (32-byte aligned), PDPTE 0 -> PD T2, PDE 2 -> PT T3. */
static void mode_pae(struct fx *f, uint64_t pte_for_0x400000)
{
    memset(&f->s, 0, sizeof(f->s));
    f->s.cr0 = CR0_PE | CR0_PG;
    f->s.cr4 = CR4_PAE;
    f->s.cr3 = T1;
    wr(&f->mem, T1, T2 | PTE_P, 8);
    wr(&f->mem, T2 + 2 * 8, T3 | URW, 8);
    wr(&f->mem, T3, pte_for_0x400000, 8);
}

/* 4-level: PML4 T1 -> PDPT T2 -> PD T3 -> PT T4 for 0x400000. */
static void mode64(struct fx *f, uint64_t pte_for_0x400000)
{
    memset(&f->s, 0, sizeof(f->s));
    f->s.cr0 = CR0_PE | CR0_PG;
    f->s.cr4 = CR4_PAE;
    f->s.efer = EFER_LME | EFER_LMA | EFER_NXE;
    f->s.cr3 = T1;
    wr(&f->mem, T1, T2 | URW, 8);
    wr(&f->mem, T2, T3 | URW, 8);
    wr(&f->mem, T3 + 2 * 8, T4 | URW, 8);
    wr(&f->mem, T4, pte_for_0x400000, 8);
}

static bool walk(struct fx *f, uint64_t va, unsigned flags)
{
    return pg_translate(&f->s, &f->mem, va, flags, &f->w);
}

static void expect_fault(struct fx *f, uint64_t va, unsigned flags, enum pg_fault why,
                         uint32_t pfec)
{
    assert_false(walk(f, va, flags));
    assert_int_equal(f->w.fault, why);
    assert_int_equal(f->w.pfec, pfec);
}

/* ---- translations ---- */

static void test_none(void **state)
{
    struct fx *f = *state;

    memset(&f->s, 0, sizeof(f->s));
    assert_int_equal(pg_mode_of(&f->s), PGM_NONE);
    assert_true(walk(f, 0x1234567, PGW_WRITE));
    assert_int_equal(f->w.pa, 0x1234567);
    assert_int_equal(f->w.nlevels, 0);
}

static void test_32_4k(void **state)
{
    struct fx *f = *state;

    mode32(f, 0x300000 | URW);
    assert_int_equal(pg_mode_of(&f->s), PGM_32);
    assert_true(walk(f, 0x400123, PGW_USER | PGW_WRITE));
    assert_int_equal(f->w.pa, 0x300123);
    assert_int_equal(f->w.page_size, 0x1000);
    assert_int_equal(f->w.nlevels, 2);
    assert_string_equal(f->w.lv[0].name, "PDE");
    assert_int_equal(f->w.lv[0].entry_pa, T1 + 4);
    assert_int_equal(f->w.lv[1].index, 0);
    assert_true(f->w.writable && f->w.user && f->w.executable);
}

/* CR4.PSE: 4 MiB pages, PSE-36 high bits, bit 21 reserved; without PSE
 * the PS bit is ignored. */
static void test_32_4m_pse36(void **state)
{
    struct fx *f = *state;

    mode32(f, 0);
    f->s.cr4 = CR4_PSE;
    wr(&f->mem, T1 + 2 * 4, 0xC00000 | (0x3ull << 13) | PTE_PS | URW, 4);
    assert_true(walk(f, 0x8ABCDE, 0));
    assert_int_equal(f->w.pa, 0x300000000ull | 0xCABCDE);
    assert_int_equal(f->w.page_size, 4u << 20);
    wr(&f->mem, T1 + 2 * 4, 0xC00000 | (1ull << 21) | PTE_PS | URW, 4);
    expect_fault(f, 0x800000, PGW_WRITE, PGF_RESERVED, PFEC_P | PFEC_W | PFEC_RSVD);
    /* PSE off: the same PDE points at a page table at 0xC00000 + bit 21 */
    f->s.cr4 = 0;
    wr(&f->mem, T1 + 2 * 4, T3 | PTE_PS | URW, 4);
    wr(&f->mem, T3, 0x5000 | URW, 4);
    assert_true(walk(f, 0x800000, 0));
    assert_int_equal(f->w.pa, 0x5000);
}

static void test_pae_2m_and_pdpte_rsvd(void **state)
{
    struct fx *f = *state;

    mode_pae(f, 0x300000 | URW);
    assert_int_equal(pg_mode_of(&f->s), PGM_PAE);
    assert_true(walk(f, 0x400010, 0));
    assert_int_equal(f->w.pa, 0x300010);
    assert_int_equal(f->w.nlevels, 3);
    wr(&f->mem, T2 + 3 * 8, 0x200000 | PTE_PS | URW, 8);       /* 6 MiB..8 MiB */
    assert_true(walk(f, 0x6FFFFF, 0));
    assert_int_equal(f->w.pa, 0x2FFFFF);
    assert_int_equal(f->w.page_size, 2u << 20);
    wr(&f->mem, T2 + 3 * 8, 0x200000 | (1ull << 13) | PTE_PS | URW, 8);
    expect_fault(f, 0x600000, 0, PGF_RESERVED, PFEC_P | PFEC_RSVD);
    wr(&f->mem, T1, T2 | PTE_P | PTE_RW, 8);                    /* bit 1 reserved */
    expect_fault(f, 0x400000, 0, PGF_RESERVED, PFEC_P | PFEC_RSVD);
}

/* XD (bit 63): reserved without EFER.NXE, no-execute with it. */
static void test_pae_nx(void **state)
{
    struct fx *f = *state;

    mode_pae(f, 0x300000 | URW | PTE_NX);
    expect_fault(f, 0x400000, 0, PGF_RESERVED, PFEC_P | PFEC_RSVD);
    f->s.efer = EFER_NXE;
    assert_true(walk(f, 0x400000, 0));
    assert_false(f->w.executable);
    expect_fault(f, 0x400000, PGW_FETCH | PGW_USER, PGF_NX, PFEC_P | PFEC_U | PFEC_I);
}

static void test_4level_1g_and_rsvd(void **state)
{
    struct fx *f = *state;

    mode64(f, 0x300000 | URW);
    assert_true(walk(f, 0x400FFF, 0));
    assert_int_equal(f->w.pa, 0x300FFF);
    assert_int_equal(f->w.nlevels, 4);
    assert_string_equal(f->w.lv[0].name, "PML4E");
    wr(&f->mem, T2 + 8, 0x40000000 | PTE_PS | URW, 8);          /* 1 GiB at 1 GiB */
    assert_true(walk(f, 0x7FFFFFFF, 0));
    assert_int_equal(f->w.pa, 0x7FFFFFFF);
    assert_int_equal(f->w.page_size, 1u << 30);
    wr(&f->mem, T2 + 8, 0x40000000 | (1ull << 29) | PTE_PS | URW, 8);
    expect_fault(f, 0x40000000, 0, PGF_RESERVED, PFEC_P | PFEC_RSVD);
    wr(&f->mem, T4, (1ull << 39) | URW, 8);                     /* below MAXPHYADDR */
    assert_true(walk(f, 0x400000, 0));
    wr(&f->mem, T4, (1ull << PG_MAXPHYADDR) | URW, 8);          /* at MAXPHYADDR */
    expect_fault(f, 0x400000, 0, PGF_RESERVED, PFEC_P | PFEC_RSVD);
    wr(&f->mem, T1, T2 | URW | PTE_PS, 8);                      /* PS in a PML4E */
    expect_fault(f, 0x400000, PGW_FETCH, PGF_RESERVED, PFEC_P | PFEC_RSVD | PFEC_I);
}

static void test_4level_noncanonical(void **state)
{
    struct fx *f = *state;

    mode64(f, 0x300000 | URW);
    expect_fault(f, 0x0000800000000000ull, 0, PGF_NONCANONICAL, 0);
    expect_fault(f, 0xFFFF800000000000ull, 0, PGF_NOT_PRESENT, 0);   /* canonical */
}

/* ---- rights and error codes (SDM 4.6, 4.7) ---- */

static void test_rights(void **state)
{
    struct fx *f = *state;

    mode64(f, 0x300000 | PTE_P | PTE_US);                        /* read-only user */
    expect_fault(f, 0x400000, PGW_USER | PGW_WRITE, PGF_WRITE_RO, PFEC_P | PFEC_W | PFEC_U);
    assert_true(walk(f, 0x400000, PGW_WRITE));                   /* WP = 0 */
    f->s.cr0 |= CR0_WP;
    expect_fault(f, 0x400000, PGW_WRITE, PGF_WRITE_RO, PFEC_P | PFEC_W);
    wr(&f->mem, T4, 0x300000 | PTE_P | PTE_RW, 8);               /* supervisor page */
    expect_fault(f, 0x400000, PGW_USER, PGF_USER_SUPER, PFEC_P | PFEC_U);
    wr(&f->mem, T3 + 2 * 8, T4 | PTE_P | PTE_US, 8);             /* R/W = 0 above */
    wr(&f->mem, T4, 0x300000 | URW, 8);
    expect_fault(f, 0x400000, PGW_USER | PGW_WRITE, PGF_WRITE_RO, PFEC_P | PFEC_W | PFEC_U);
}

static void test_smep_smap(void **state)
{
    struct fx *f = *state;

    mode64(f, 0x300000 | URW);
    f->s.efer &= ~EFER_NXE;
    assert_true(walk(f, 0x400000, PGW_FETCH));
    f->s.cr4 |= CR4_SMEP;
    expect_fault(f, 0x400000, PGW_FETCH, PGF_SMEP, PFEC_P | PFEC_I);
    f->s.cr4 = CR4_PAE | CR4_SMAP;
    expect_fault(f, 0x400000, 0, PGF_SMAP, PFEC_P);
    f->s.rflags = RFLAGS_AC;
    assert_true(walk(f, 0x400000, PGW_WRITE));
    expect_fault(f, 0x400000, PGW_IMPLICIT, PGF_SMAP, PFEC_P);
    assert_true(walk(f, 0x400000, PGW_USER));
}

/* I/D is set for fetches only with SMEP or with PAE/4-level + NXE. */
static void test_pfec_fetch_bit(void **state)
{
    struct fx *f = *state;

    mode32(f, 0);
    expect_fault(f, 0x400000, PGW_FETCH | PGW_USER, PGF_NOT_PRESENT, PFEC_U);
    f->s.cr4 = CR4_SMEP;
    expect_fault(f, 0x400000, PGW_FETCH, PGF_NOT_PRESENT, PFEC_I);
    mode_pae(f, 0);
    expect_fault(f, 0x400000, PGW_FETCH, PGF_NOT_PRESENT, 0);
    f->s.efer = EFER_NXE;
    expect_fault(f, 0x400000, PGW_FETCH, PGF_NOT_PRESENT, PFEC_I);
    expect_fault(f, 0x400000, PGW_WRITE | PGW_USER, PGF_NOT_PRESENT, PFEC_W | PFEC_U);
}

static void test_table_outside_ram(void **state)
{
    struct fx *f = *state;

    mode64(f, 0x300000 | URW);
    wr(&f->mem, T3 + 2 * 8, 0x7FF000000ull | URW, 8);
    expect_fault(f, 0x400000, PGW_WRITE, PGF_BAD_TABLE, PFEC_P | PFEC_RSVD | PFEC_W);
    assert_int_equal(f->w.nlevels, 4);
    assert_int_equal(f->w.lv[3].table, 0x7FF000000ull);
}

/* ---- A/D ---- */

static void test_accessed_dirty(void **state)
{
    struct fx *f = *state;

    mode64(f, 0x300000 | URW);
    assert_true(walk(f, 0x400000, PGW_WRITE));                   /* no SET_AD */
    assert_int_equal(rd(&f->mem, T4, 8), 0x300000 | URW);
    assert_true(walk(f, 0x400000, PGW_SET_AD));                  /* read */
    assert_int_equal(rd(&f->mem, T1, 8), T2 | URW | PTE_A);
    assert_int_equal(rd(&f->mem, T3 + 16, 8), T4 | URW | PTE_A);
    assert_int_equal(rd(&f->mem, T4, 8), 0x300000 | URW | PTE_A);
    assert_true(walk(f, 0x400000, PGW_SET_AD | PGW_WRITE));
    assert_int_equal(rd(&f->mem, T4, 8), 0x300000 | URW | PTE_A | PTE_D);
    assert_int_equal(rd(&f->mem, T3 + 16, 8), T4 | URW | PTE_A);  /* no D above */
}

static void test_ad_not_on_failure_and_pae_pdpte(void **state)
{
    struct fx *f = *state;

    mode_pae(f, 0x300000 | PTE_P);                                /* supervisor RO */
    f->s.cr0 |= CR0_WP;
    assert_false(walk(f, 0x400000, PGW_SET_AD | PGW_WRITE));
    assert_int_equal(rd(&f->mem, T3, 8), 0x300000 | PTE_P);
    assert_int_equal(rd(&f->mem, T2 + 16, 8), T3 | URW);
    assert_true(walk(f, 0x400000, PGW_SET_AD));
    assert_int_equal(rd(&f->mem, T1, 8), T2 | PTE_P);             /* PDPTE: no A bit */
    assert_int_equal(rd(&f->mem, T3, 8), 0x300000 | PTE_P | PTE_A);
}

/* ---- linear accesses ---- */

static void test_linear_cross_page(void **state)
{
    struct fx *f = *state;
    uint8_t buf[4] = { 1, 2, 3, 4 }, out[4];

    mode64(f, 0x300000 | URW);
    wr(&f->mem, T4 + 8 * 1, 0x200000 | URW, 8);                  /* 0x401000 -> 0x200000 */
    assert_true(pg_write_linear(&f->s, &f->mem, 0x400FFE, buf, 4, PGW_SET_AD, &f->w));
    assert_int_equal(rd(&f->mem, 0x300FFE, 2), 0x0201);
    assert_int_equal(rd(&f->mem, 0x200000, 2), 0x0403);
    assert_true(rd(&f->mem, T4 + 8, 8) & PTE_D);
    assert_true(pg_read_linear(&f->s, &f->mem, 0x400FFE, out, 4, 0, &f->w));
    assert_memory_equal(out, buf, 4);
    /* second page read-only with WP: nothing is written at all */
    f->s.cr0 |= CR0_WP;
    wr(&f->mem, T4 + 8, 0x200000 | PTE_P | PTE_US, 8);
    buf[0] = 9;
    assert_false(pg_write_linear(&f->s, &f->mem, 0x400FFE, buf, 4, 0, &f->w));
    assert_int_equal(f->w.va, 0x401000);
    assert_int_equal(f->w.pfec, PFEC_P | PFEC_W);
    assert_int_equal(rd(&f->mem, 0x300FFE, 1), 1);
}

static void test_linear_not_ram(void **state)
{
    struct fx *f = *state;
    uint8_t b[2] = { 0 };

    mode64(f, 0xFEE00000 | URW);                                  /* LAPIC page */
    assert_true(walk(f, 0x400000, 0));
    assert_false(pg_read_linear(&f->s, &f->mem, 0x400000, b, 2, 0, &f->w));
    assert_int_equal(f->w.fault, PGF_NOT_RAM);
    assert_false(pg_write_linear(&f->s, &f->mem, 0x400000, b, 2, 0, NULL));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(pg_mode_name(PGM_4LEVEL), "4-level");
    assert_string_equal(pg_fault_name(PGF_SMAP), "supervisor access to user page (SMAP)");
    assert_string_equal(pg_fault_name((enum pg_fault)99), "?");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_none), T(test_32_4k), T(test_32_4m_pse36), T(test_pae_2m_and_pdpte_rsvd),
        T(test_pae_nx), T(test_4level_1g_and_rsvd), T(test_4level_noncanonical),
        T(test_rights), T(test_smep_smap), T(test_pfec_fetch_bit), T(test_table_outside_ram),
        T(test_accessed_dirty), T(test_ad_not_on_failure_and_pae_pdpte),
        T(test_linear_cross_page), T(test_linear_not_ram), T(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
