/* test_dbg_pagewalk.c - the debugger's paging views on hand-built page
 * tables in a RAM buffer: the mapping summary (`info tab`) in every mode
 * and page size, rights through the levels, NX, merging, hostile tables;
 * the per-level walk the `pagewalk` view shows, for every fault reason;
 * and the flag names of every entry bit (SDM Vol. 3A 4.3-4.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "debugger/pagemap.h"
#include "machine/paging.h"

#define RAM_SIZE (8u << 20)
#define T1 0x10000u
#define T2 0x11000u
#define T3 0x12000u
#define T4 0x13000u
#define URW (PTE_P | PTE_RW | PTE_US)

struct fx {
    struct gmem mem;
    struct cpu_state s;
    struct dbg_map_range r[64];
};

static void wr(struct gmem *m, uint64_t pa, uint64_t v, unsigned size)
{
    assert_int_equal(gmem_write(m, pa, &v, size), 0);
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

static void paging32(struct fx *f, bool pse)
{
    memset(f->mem.ram, 0, RAM_SIZE);
    memset(&f->s, 0, sizeof(f->s));
    f->s.cr0 = CR0_PE | CR0_PG;
    f->s.cr3 = T1;
    f->s.cr4 = pse ? CR4_PSE : 0;
}

static void paging_pae(struct fx *f)
{
    memset(f->mem.ram, 0, RAM_SIZE);
    memset(&f->s, 0, sizeof(f->s));
    f->s.cr0 = CR0_PE | CR0_PG;
    f->s.cr3 = T1;
    f->s.cr4 = CR4_PAE;
    f->s.efer = EFER_NXE;
}

static void paging4(struct fx *f)
{
    paging_pae(f);
    f->s.efer = EFER_LME | EFER_LMA | EFER_NXE;
}

static int ranges(struct fx *f, unsigned *total)
{
    return pagemap_ranges(&f->s, &f->mem, f->r, 64, total);
}

static void test_no_paging(void **state)
{
    struct fx *f = *state;
    unsigned total;
    memset(&f->s, 0, sizeof(f->s));
    assert_int_equal(ranges(f, &total), 1);
    assert_int_equal(f->r[0].va, 0);
    assert_int_equal(f->r[0].len, RAM_SIZE);
    assert_true(f->r[0].writable && f->r[0].user && f->r[0].executable);
}

static void test_32bit(void **state)
{
    struct fx *f = *state;
    unsigned total;

    paging32(f, true);
    /* PDE 0 -> PT: pages 0 and 1 contiguous RW, page 2 RO, page 5 elsewhere */
    wr(&f->mem, T1 + 0 * 4, T2 | URW, 4);
    wr(&f->mem, T2 + 0 * 4, 0x100000 | URW, 4);
    wr(&f->mem, T2 + 1 * 4, 0x101000 | URW, 4);
    wr(&f->mem, T2 + 2 * 4, 0x102000 | PTE_P | PTE_US, 4);
    wr(&f->mem, T2 + 5 * 4, 0x300000 | PTE_P, 4);
    /* PDE 0x300: a 4 MiB page (PSE) supervisor RW; PSE-36 bits 20:13 -> PA 39:32 */
    wr(&f->mem, T1 + 0x300 * 4, 0x00400000 | PTE_P | PTE_RW | PTE_PS | (1u << 13), 4);
    assert_int_equal(ranges(f, &total), 4);
    assert_int_equal(total, 4);
    assert_int_equal(f->r[0].va, 0);
    assert_int_equal(f->r[0].pa, 0x100000);
    assert_int_equal(f->r[0].len, 0x2000);               /* merged */
    assert_true(f->r[0].writable && f->r[0].user);
    assert_int_equal(f->r[1].va, 0x2000);
    assert_false(f->r[1].writable);                      /* rights split the run */
    assert_int_equal(f->r[2].va, 0x5000);
    assert_false(f->r[2].user);
    assert_int_equal(f->r[3].va, 0xc0000000u);
    assert_true(f->r[3].pa == 0x100400000ull);           /* PSE-36 */
    assert_int_equal(f->r[3].page_size, 4u << 20);
    assert_true(f->r[3].executable);                     /* no NX in 32-bit paging */
    /* without CR4.PSE, PS is ignored: the PDE points to a page table */
    paging32(f, false);
    wr(&f->mem, T1, T2 | URW | PTE_PS, 4);
    wr(&f->mem, T2, 0x5000 | URW, 4);
    assert_int_equal(ranges(f, &total), 1);
    assert_int_equal(f->r[0].page_size, 4096);
}

static void test_pae(void **state)
{
    struct fx *f = *state;
    unsigned total;

    paging_pae(f);
    wr(&f->mem, T1 + 0 * 8, T2 | PTE_P, 8);               /* PDPTE 0 */
    wr(&f->mem, T1 + 3 * 8, T3 | PTE_P, 8);               /* PDPTE 3 */
    wr(&f->mem, T2 + 1 * 8, 0x200000 | URW | PTE_PS | PTE_NX, 8);   /* 2 MiB NX */
    wr(&f->mem, T3 + 511 * 8, T4 | PTE_P | PTE_RW, 8);
    wr(&f->mem, T4 + 0 * 8, 0x7000 | URW, 8);             /* user bit lost at the PDE */
    assert_int_equal(ranges(f, &total), 2);
    assert_int_equal(f->r[0].va, 0x200000);
    assert_int_equal(f->r[0].page_size, 2u << 20);
    assert_false(f->r[0].executable);
    assert_true(f->r[0].user && f->r[0].writable);
    assert_int_equal(f->r[1].va, 0xffe00000u);
    assert_int_equal(f->r[1].pa, 0x7000);
    assert_false(f->r[1].user);
    assert_true(f->r[1].executable);
    /* NX is honoured only with EFER.NXE */
    f->s.efer = 0;
    assert_int_equal(ranges(f, &total), 2);
    assert_true(f->r[0].executable);
}

static void test_4level(void **state)
{
    struct fx *f = *state;
    unsigned total;

    paging4(f);
    wr(&f->mem, T1 + 0 * 8, T2 | URW, 8);                 /* PML4[0] */
    wr(&f->mem, T1 + 511 * 8, T3 | PTE_P | PTE_RW, 8);    /* PML4[511]: higher half */
    wr(&f->mem, T2 + 1 * 8, 0x40000000 | URW | PTE_PS, 8);  /* 1 GiB page at 1 GiB */
    wr(&f->mem, T2 + 0 * 8, T4 | URW, 8);                 /* PDPT[0] -> PD */
    wr(&f->mem, T4 + 2 * 8, 0x400000 | URW | PTE_PS, 8);  /* 2 MiB at 4 MiB */
    wr(&f->mem, T3 + 510 * 8, 0x0 | PTE_P | PTE_RW | PTE_PS, 8);  /* 1 GiB at -2 GiB */
    assert_int_equal(ranges(f, &total), 3);
    assert_int_equal(f->r[0].va, 0x400000);
    assert_int_equal(f->r[0].page_size, 2u << 20);
    assert_int_equal(f->r[1].va, 0x40000000);
    assert_int_equal(f->r[1].page_size, 1u << 30);
    assert_true(f->r[2].va == 0xffffffff80000000ull);    /* sign-extended */
    assert_false(f->r[2].user);
    /* only @max filled, *total counts all */
    assert_int_equal(pagemap_ranges(&f->s, &f->mem, f->r, 1, &total), 1);
    assert_int_equal(total, 3);
}

static void test_hostile_tables(void **state)
{
    struct fx *f = *state;
    unsigned total;

    /* every entry of every level points back at the PML4: 512^4 paths;
     * the walk must stop at its visit budget, not run for hours */
    paging4(f);
    for (unsigned i = 0; i < 512; i++)
        wr(&f->mem, T1 + i * 8ull, T1 | URW, 8);
    int n = ranges(f, &total);
    assert_true(n >= 1);
    /* a table outside RAM is skipped, not read */
    paging4(f);
    wr(&f->mem, T1, 0x7ff0000000ull | URW, 8);
    assert_int_equal(ranges(f, &total), 0);
    f->s.cr3 = 0x7ff0000000ull;                       /* CR3 itself outside RAM */
    assert_int_equal(ranges(f, &total), 0);
}

/* The walk the pagewalk view prints: levels visited and the fault. */
static void walk(struct fx *f, uint64_t va, unsigned flags, bool ok, enum pg_fault fault,
                 unsigned nlevels)
{
    struct pg_walk w;
    bool r = pg_translate(&f->s, &f->mem, va, flags, &w);
    if (r != ok || w.fault != fault || w.nlevels != nlevels)
        fail_msg("va %#llx flags %#x: ok %d fault %s levels %u", (unsigned long long)va, flags,
                 r, pg_fault_name(w.fault), w.nlevels);
}

static void test_fault_reasons(void **state)
{
    struct fx *f = *state;

    paging4(f);
    f->s.cr0 |= CR0_WP;
    f->s.cr4 |= CR4_SMEP | CR4_SMAP;
    wr(&f->mem, T1, T2 | URW, 8);
    wr(&f->mem, T2, T3 | URW, 8);
    wr(&f->mem, T3, T4 | URW, 8);
    wr(&f->mem, T4 + 1 * 8, 0x1000 | PTE_P | PTE_US, 8);            /* user RO */
    wr(&f->mem, T4 + 2 * 8, 0x2000 | PTE_P | PTE_RW, 8);            /* supervisor RW */
    wr(&f->mem, T4 + 3 * 8, 0x3000 | URW | PTE_NX, 8);              /* user NX */
    wr(&f->mem, T4 + 4 * 8, 0x4000 | URW | (1ull << 51), 8);        /* reserved bit */
    wr(&f->mem, T4 + 7 * 8, 0x7000 | PTE_P, 8);                     /* supervisor RO */
    wr(&f->mem, T3 + 1 * 8, 0x7ff0000000ull | URW, 8);              /* PT outside RAM */
    walk(f, 0x1000, PGW_USER, true, PGF_NONE, 4);
    walk(f, 0x6000, 0, false, PGF_NOT_PRESENT, 4);                  /* PTE P=0 */
    walk(f, 0x8000000000ull, 0, false, PGF_NOT_PRESENT, 1);        /* PML4E P=0 */
    walk(f, 0x1000, PGW_USER | PGW_WRITE, false, PGF_WRITE_RO, 4);
    walk(f, 0x7000, PGW_WRITE, false, PGF_WRITE_RO, 4);             /* CR0.WP */
    f->s.cr0 &= ~CR0_WP;
    walk(f, 0x7000, PGW_WRITE, true, PGF_NONE, 4);                  /* ring 0 ignores R/W */
    f->s.cr0 |= CR0_WP;
    walk(f, 0x2000, PGW_USER, false, PGF_USER_SUPER, 4);
    walk(f, 0x3000, PGW_USER | PGW_FETCH, false, PGF_NX, 4);
    walk(f, 0x4000, 0, false, PGF_RESERVED, 4);
    walk(f, 0x1000, PGW_FETCH, false, PGF_SMEP, 4);
    walk(f, 0x1000, 0, false, PGF_SMAP, 4);
    walk(f, 0x200000, 0, false, PGF_BAD_TABLE, 4);
    walk(f, 0x800000000000ull, 0, false, PGF_NONCANONICAL, 0);
    /* the view never sets A/D: entries are unchanged after all those walks */
    uint64_t e = 0;
    assert_int_equal(gmem_read(&f->mem, T4 + 8, &e, 8), 0);
    assert_true(e == (0x1000 | PTE_P | PTE_US));
}

static void test_flag_names(void **state)
{
    char buf[96];
    (void)state;
    pagemap_flags(PTE_P | PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_A | PTE_D | PTE_PS |
                  PTE_G | PTE_NX, false, buf, sizeof(buf));
    assert_string_equal(buf, "P RW US PWT PCD A D PS G NX");
    pagemap_flags(PTE_P | PTE_PS, true, buf, sizeof(buf));       /* bit 7 of a PTE is PAT */
    assert_string_equal(buf, "P PAT");
    pagemap_flags(PTE_RW, false, buf, sizeof(buf));
    assert_string_equal(buf, "not present");
    pagemap_flags(PTE_P, false, buf, 4);                         /* truncation is safe */
    assert_string_equal(buf, "P");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_paging),
        cmocka_unit_test(test_32bit),
        cmocka_unit_test(test_pae),
        cmocka_unit_test(test_4level),
        cmocka_unit_test(test_hostile_tables),
        cmocka_unit_test(test_fault_reasons),
        cmocka_unit_test(test_flag_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
