/* pagemap.c - enumerate the mappings of the guest's page tables. */
#include "debugger/pagemap.h"

#include <stdio.h>
#include <string.h>

#include "machine/paging.h"

#define ADDR_MASK_4K   0x000FFFFFFFFFF000ull   /* bits 51:12 of an entry */
#define ADDR_MASK_32   0xFFFFF000ull
#define PDE32_4M_MASK  0xFFC00000ull           /* 4 MiB page base 31:22 */
#define PDE32_PSE36_SHIFT 13                   /* bits 20:13 -> PA 39:32 */
#define PAE_PDPT_MASK  0xFFFFFFE0ull           /* CR3 in PAE mode: 32-byte aligned */

struct walk {
    const struct cpu_state *c;
    const struct gmem *m;
    struct dbg_map_range *out;
    unsigned max, n, total;
    unsigned visits;
    bool nx_enabled;
    bool have;                    /* cur holds an open range */
    struct dbg_map_range cur;
};

/* Rights accumulated along the path (SDM Vol. 3A 4.6: every level must
 * allow a write / user access; any NX level forbids execution). */
struct rights { bool w, u, x; };

static void flush(struct walk *k)
{
    if (!k->have)
        return;
    if (k->n < k->max)
        k->out[k->n++] = k->cur;
    k->total++;
    k->have = false;
}

static void add_page(struct walk *k, uint64_t va, uint64_t pa, uint64_t size, struct rights r)
{
    struct dbg_map_range *c = &k->cur;

    if (k->have && c->va + c->len == va && c->pa + c->len == pa && c->page_size == size &&
        c->writable == r.w && c->user == r.u && c->executable == r.x) {
        c->len += size;
        return;
    }
    flush(k);
    *c = (struct dbg_map_range){ .va = va, .pa = pa, .len = size, .writable = r.w,
                                 .user = r.u, .executable = r.x, .page_size = size };
    k->have = true;
}

static bool read_entry(const struct walk *k, uint64_t pa, unsigned size, uint64_t *e)
{
    uint64_t v = 0;
    if (!gmem_ok(k->m, pa, size))
        return false;
    memcpy(&v, k->m->ram + pa, size);
    *e = v;
    return true;
}

static struct rights narrow(const struct walk *k, struct rights r, uint64_t e)
{
    r.w = r.w && (e & PTE_RW);
    r.u = r.u && (e & PTE_US);
    r.x = r.x && !(k->nx_enabled && (e & PTE_NX));
    return r;
}

/* Sign-extend a 48-bit linear address (4-level paging is canonical). */
static uint64_t canonical(uint64_t va)
{
    return (va & (1ull << 47)) ? va | 0xFFFF000000000000ull : va;
}

/* 64-bit entries: @level 4..1 of a 4-level walk, 3..1 of PAE (level 3 is
 * the PDPT, handled by the callers). Page size at each level: */
static const uint64_t level_size[5] = { 0, 1ull << 12, 1ull << 21, 1ull << 30, 1ull << 39 };

static void walk64(struct walk *k, unsigned level, uint64_t table, uint64_t va_base,
                   struct rights r)
{
    for (unsigned i = 0; i < 512 && k->visits < PAGEMAP_MAX_VISITS; i++) {
        uint64_t e;
        k->visits++;
        if (!read_entry(k, table + i * 8ull, 8, &e) || !(e & PTE_P))
            continue;
        uint64_t va = va_base + i * level_size[level];
        struct rights nr = narrow(k, r, e);
        bool large = level > 1 && level < 4 && (e & PTE_PS);
        if (level == 1 || large) {
            uint64_t mask = ADDR_MASK_4K & ~(level_size[level] - 1);
            add_page(k, canonical(va), e & mask, level_size[level], nr);
            continue;
        }
        walk64(k, level - 1, e & ADDR_MASK_4K, va, nr);
    }
}

static void walk_pae(struct walk *k)
{
    uint64_t pdpt = k->c->cr3 & PAE_PDPT_MASK;
    struct rights all = { true, true, true };

    for (unsigned i = 0; i < 4; i++) {
        uint64_t e;
        if (!read_entry(k, pdpt + i * 8ull, 8, &e) || !(e & PTE_P))
            continue;
        /* PAE PDPTEs have no R/W, U/S or NX bits (SDM Vol. 3A 4.4.1) */
        walk64(k, 2, e & ADDR_MASK_4K, (uint64_t)i << 30, all);
    }
}

static void walk32(struct walk *k)
{
    uint64_t pd = k->c->cr3 & ADDR_MASK_32;
    struct rights all = { true, true, true };
    bool pse = k->c->cr4 & CR4_PSE;

    for (unsigned i = 0; i < 1024 && k->visits < PAGEMAP_MAX_VISITS; i++) {
        uint64_t pde;
        if (!read_entry(k, pd + i * 4ull, 4, &pde) || !(pde & PTE_P))
            continue;
        struct rights r = narrow(k, all, pde);
        uint64_t va = (uint64_t)i << 22;
        if (pse && (pde & PTE_PS)) {
            k->visits++;
            uint64_t pa = (pde & PDE32_4M_MASK) | (((pde >> PDE32_PSE36_SHIFT) & 0xFF) << 32);
            add_page(k, va, pa, 1ull << 22, r);
            continue;
        }
        for (unsigned j = 0; j < 1024; j++) {
            uint64_t pte;
            if (!read_entry(k, (pde & ADDR_MASK_32) + j * 4ull, 4, &pte) || !(pte & PTE_P))
                continue;
            k->visits++;
            add_page(k, va + ((uint64_t)j << 12), pte & ADDR_MASK_32, 4096, narrow(k, r, pte));
        }
    }
}

int pagemap_ranges(const struct cpu_state *c, const struct gmem *m,
                   struct dbg_map_range *out, unsigned max, unsigned *total)
{
    struct walk k = { .c = c, .m = m, .out = out, .max = max,
                      .nx_enabled = (c->efer & EFER_NXE) != 0 };
    struct rights all = { true, true, true };

    switch (pg_mode_of(c)) {
    case PGM_NONE:
        add_page(&k, 0, 0, m->size, all);
        k.cur.page_size = 0;
        break;
    case PGM_32:
        walk32(&k);
        break;
    case PGM_PAE:
        walk_pae(&k);
        break;
    case PGM_4LEVEL:
        walk64(&k, 4, c->cr3 & ADDR_MASK_4K, 0, all);
        break;
    }
    flush(&k);
    if (total)
        *total = k.total;
    return (int)k.n;
}

struct flag_name { uint64_t bit; const char *name; };
static const struct flag_name flag_names[] = {
    { PTE_P, "P" }, { PTE_RW, "RW" }, { PTE_US, "US" }, { PTE_PWT, "PWT" },
    { PTE_PCD, "PCD" }, { PTE_A, "A" }, { PTE_D, "D" }, { PTE_PS, "PS" },
    { PTE_G, "G" }, { PTE_NX, "NX" },
};

void pagemap_flags(uint64_t entry, bool leaf_pte, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]) && n < len; i++) {
        if (!(entry & flag_names[i].bit))
            continue;
        const char *name = flag_names[i].name;
        if (flag_names[i].bit == PTE_PS && leaf_pte)
            name = "PAT";
        int w = snprintf(buf + n, len - n, "%s%s", n ? " " : "", name);
        if (w > 0)
            n += (size_t)w;
    }
    if (!(entry & PTE_P))
        snprintf(buf, len, "not present");
}
