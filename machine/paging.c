/* paging.c - the guest page-table walker (SDM Vol. 3A ch. 4).
 *
 * A walk visits the levels of one paging mode, recording each entry, and
 * stops at the first entry that is not present or has a reserved bit set.
 * At the leaf it checks the access rights combined over all levels
 * (SDM 4.6) and computes the #PF error code (SDM 4.7).
 */
#include "paging.h"

#include <string.h>

#define PAGE_4K   0x1000ull
#define PAGE_2M   0x200000ull
#define PAGE_4M   0x400000ull
#define PAGE_1G   0x40000000ull

/* Physical-address field of a PAE/4-level entry: bits 51:12 (SDM 4.5). */
#define PTE64_ADDR      0x000FFFFFFFFFF000ull
/* Bits 51:MAXPHYADDR are reserved in PAE and 4-level entries. */
#define PTE64_RSVD_PHYS (((1ull << 52) - 1) & ~((1ull << PG_MAXPHYADDR) - 1))
/* PAE PDEs and PTEs also reserve bits 62:52 (SDM Tables 4-8 to 4-11;
 * 4-level entries ignore them). */
#define PTE_PAE_RSVD_HIGH (((1ull << 63) - 1) & ~((1ull << 52) - 1))
/* PAE PDPTE: bits 2:1 and 8:5 are reserved, and bit 63 (no XD there)
 * (SDM Table 4-8, 4.4.1). */
#define PDPTE_PAE_RSVD  (0x6ull | 0x1E0ull | (1ull << 63))
/* Large-page entries: bits 20:13 (2 MiB) or 29:13 (1 GiB) lie below the
 * page frame and are reserved (bit 12 is PAT) (SDM Tables 4-17, 4-18). */
#define LARGE_2M_RSVD   0x1FE000ull
#define LARGE_1G_RSVD   0x3FFFE000ull
/* 32-bit paging, 4 MiB PDE (SDM Table 4-4): bits 20:13 are physical
 * address bits 39:32 (PSE-36, M = 40), bit 21 is reserved. */
#define PDE32_4M_HIGH_SHIFT 13
#define PDE32_4M_HIGH_MASK  0xFFull
#define PDE32_4M_RSVD       (1ull << 21)
#define PDE32_4M_FRAME      0xFFC00000ull
#define PTE32_FRAME         0xFFFFF000ull
/* CR3: PAE page-directory-pointer table is 32-byte aligned (SDM 4.4.1). */
#define CR3_PAE_PDPT        0xFFFFFFE0ull
#define CR3_32_PD           0xFFFFF000ull

struct walker {
    const struct cpu_state *s;
    struct gmem *mem;
    unsigned flags;
    struct pg_walk *w;
    bool nxe;            /* XD bit is defined (PAE/4-level with EFER.NXE) */
    bool rw_all, us_all, nx_any;
};

enum pg_mode pg_mode_of(const struct cpu_state *s)
{
    if (!(s->cr0 & CR0_PG) || !(s->cr0 & CR0_PE))
        return PGM_NONE;
    if (!(s->cr4 & CR4_PAE))
        return PGM_32;
    return (s->efer & EFER_LMA) ? PGM_4LEVEL : PGM_PAE;
}

const char *pg_mode_name(enum pg_mode m)
{
    static const char *const names[] = {
        [PGM_NONE] = "none", [PGM_32] = "32-bit", [PGM_PAE] = "PAE",
        [PGM_4LEVEL] = "4-level",
    };
    return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

const char *pg_fault_name(enum pg_fault f)
{
    static const char *const names[] = {
        [PGF_NONE] = "none",
        [PGF_NOT_PRESENT] = "not present",
        [PGF_RESERVED] = "reserved bit set",
        [PGF_WRITE_RO] = "write to read-only page",
        [PGF_USER_SUPER] = "user access to supervisor page",
        [PGF_NX] = "fetch from no-execute page",
        [PGF_SMEP] = "supervisor fetch from user page (SMEP)",
        [PGF_SMAP] = "supervisor access to user page (SMAP)",
        [PGF_BAD_TABLE] = "page table outside RAM",
        [PGF_NONCANONICAL] = "non-canonical address",
        [PGF_NOT_RAM] = "page maps no RAM",
    };
    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

/* The error code bits that describe the access itself (SDM 4.7): W, U/S,
 * and I/D when SMEP is on or XD is defined (PAE/4-level with NXE). */
static uint32_t pfec_access(const struct walker *k)
{
    uint32_t e = 0;

    if (k->flags & PGW_WRITE)
        e |= PFEC_W;
    if (k->flags & PGW_USER)
        e |= PFEC_U;
    if ((k->flags & PGW_FETCH) && ((k->s->cr4 & CR4_SMEP) || k->nxe))
        e |= PFEC_I;
    return e;
}

static bool fail(struct walker *k, enum pg_fault f)
{
    uint32_t e = pfec_access(k);

    k->w->ok = false;
    k->w->fault = f;
    switch (f) {
    case PGF_NOT_PRESENT:  break;
    case PGF_NONCANONICAL: e = 0; break;       /* #GP/#SS, no error code bits */
    case PGF_RESERVED:
    case PGF_BAD_TABLE:    e |= PFEC_P | PFEC_RSVD; break;
    default:               e |= PFEC_P; break; /* protection violation */
    }
    k->w->pfec = e;
    return false;
}

static const char *level_name(enum pg_mode m, unsigned level)
{
    static const char *const names[] = { "?", "PTE", "PDE", "PDPTE", "PML4E" };

    (void)m;
    return level < 5 ? names[level] : "?";
}

/* Little-endian load of a 4- or 8-byte entry from guest RAM. */
static bool load_entry(const struct gmem *mem, uint64_t pa, unsigned size, uint64_t *e)
{
    uint8_t b[8];

    if (gmem_read(mem, pa, b, size) != 0)
        return false;
    *e = 0;
    for (unsigned i = 0; i < size; i++)
        *e |= (uint64_t)b[i] << (8 * i);
    return true;
}

static void store_entry(struct gmem *mem, uint64_t pa, unsigned size, uint64_t e)
{
    uint8_t b[8];

    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(e >> (8 * i));
    /* The entry was just read from RAM, so the write cannot fail. */
    (void)!gmem_write(mem, pa, b, size);
}

/* Read the entry @index of the table at @table (level @level), record it,
 * and fold its R/W, U/S and XD bits into the effective rights. */
static bool visit(struct walker *k, unsigned level, uint64_t table, unsigned index,
                  unsigned esize)
{
    struct pg_level *l = &k->w->lv[k->w->nlevels++];

    l->level = level;
    l->name = level_name(k->w->mode, level);
    l->table = table;
    l->index = index;
    l->entry_pa = table + (uint64_t)index * esize;
    l->entry = 0;
    if (!load_entry(k->mem, l->entry_pa, esize, &l->entry))
        return fail(k, PGF_BAD_TABLE);
    if (!(l->entry & PTE_P))
        return fail(k, PGF_NOT_PRESENT);
    /* PAE PDPTEs carry no R/W, U/S or XD (SDM 4.4.1). */
    if (k->w->mode == PGM_PAE && level == 3)
        return true;
    k->rw_all = k->rw_all && (l->entry & PTE_RW);
    k->us_all = k->us_all && (l->entry & PTE_US);
    k->nx_any = k->nx_any || (k->nxe && (l->entry & PTE_NX));
    return true;
}

static uint64_t last_entry(const struct walker *k)
{
    return k->w->lv[k->w->nlevels - 1].entry;
}

/* Reserved bits common to every PAE/4-level entry (SDM 4.4.2, 4.5.4). */
static uint64_t rsvd64(const struct walker *k)
{
    uint64_t r = PTE64_RSVD_PHYS;

    if (!k->nxe)
        r |= PTE_NX;             /* XD is reserved when EFER.NXE = 0 */
    if (k->w->mode == PGM_PAE)
        r |= PTE_PAE_RSVD_HIGH;
    return r;
}

static bool check_rsvd(struct walker *k, uint64_t rsvd)
{
    return (last_entry(k) & rsvd) ? fail(k, PGF_RESERVED) : true;
}

/* Access rights combined over all levels (SDM 4.6). */
static bool check_rights(struct walker *k)
{
    const struct cpu_state *s = k->s;
    bool user = k->flags & PGW_USER, write = k->flags & PGW_WRITE;

    k->w->writable = k->rw_all;
    k->w->user = k->us_all;
    k->w->executable = !k->nx_any;
    if (user && !k->us_all)
        return fail(k, PGF_USER_SUPER);
    if (k->flags & PGW_FETCH) {
        if (k->nx_any)
            return fail(k, PGF_NX);
        if (!user && k->us_all && (s->cr4 & CR4_SMEP))
            return fail(k, PGF_SMEP);
        return true;
    }
    /* SMAP: supervisor data access to a user page is allowed only when
     * explicit and EFLAGS.AC = 1 (SDM 4.6.1). */
    if (!user && k->us_all && (s->cr4 & CR4_SMAP) &&
        ((k->flags & PGW_IMPLICIT) || !(s->rflags & RFLAGS_AC)))
        return fail(k, PGF_SMAP);
    /* Writes need R/W at every level, for supervisor only with CR0.WP. */
    if (write && !k->rw_all && (user || (s->cr0 & CR0_WP)))
        return fail(k, PGF_WRITE_RO);
    return true;
}

/* Set Accessed on every entry used and Dirty on the leaf for a write
 * (SDM 4.8).  PAE PDPTEs have no A bit (bit 5 is reserved there). */
static void set_ad(struct walker *k, unsigned esize)
{
    struct pg_walk *w = k->w;

    for (unsigned i = 0; i < w->nlevels; i++) {
        struct pg_level *l = &w->lv[i];
        uint64_t e = l->entry | PTE_A;

        if (w->mode == PGM_PAE && l->level == 3)
            continue;
        if (i == w->nlevels - 1 && (k->flags & PGW_WRITE))
            e |= PTE_D;
        if (e != l->entry) {
            store_entry(k->mem, l->entry_pa, esize, e);
            l->entry = e;
        }
    }
}

static bool finish(struct walker *k, uint64_t frame, uint64_t size, unsigned esize)
{
    if (!check_rights(k))
        return false;
    k->w->page_size = size;
    k->w->pa = frame | (k->w->va & (size - 1));
    k->w->ok = true;
    if (k->flags & PGW_SET_AD)
        set_ad(k, esize);
    return true;
}

/* 32-bit paging (SDM 4.3): PDE, then a 4 MiB page (CR4.PSE) or a PTE. */
static bool walk_32(struct walker *k)
{
    uint64_t va = k->w->va, pde, pte;

    if (!visit(k, 2, k->s->cr3 & CR3_32_PD, (va >> 22) & 0x3FF, 4))
        return false;
    pde = last_entry(k);
    if ((pde & PTE_PS) && (k->s->cr4 & CR4_PSE)) {
        if (!check_rsvd(k, PDE32_4M_RSVD))
            return false;
        uint64_t high = (pde >> PDE32_4M_HIGH_SHIFT) & PDE32_4M_HIGH_MASK;
        return finish(k, (pde & PDE32_4M_FRAME) | (high << 32), PAGE_4M, 4);
    }
    if (!visit(k, 1, pde & PTE32_FRAME, (va >> 12) & 0x3FF, 4))
        return false;
    pte = last_entry(k);
    return finish(k, pte & PTE32_FRAME, PAGE_4K, 4);
}

/* The PD and PT levels shared by PAE and 4-level paging. */
static bool walk_pd_pt(struct walker *k, uint64_t pd)
{
    uint64_t va = k->w->va, pde;

    if (!visit(k, 2, pd, (va >> 21) & 0x1FF, 8) || !check_rsvd(k, rsvd64(k)))
        return false;
    pde = last_entry(k);
    if (pde & PTE_PS) {
        if (!check_rsvd(k, LARGE_2M_RSVD))
            return false;
        return finish(k, pde & PTE64_ADDR & ~(PAGE_2M - 1), PAGE_2M, 8);
    }
    if (!visit(k, 1, pde & PTE64_ADDR, (va >> 12) & 0x1FF, 8) ||
        !check_rsvd(k, rsvd64(k)))
        return false;
    return finish(k, last_entry(k) & PTE64_ADDR, PAGE_4K, 8);
}

/* PAE paging (SDM 4.4): the 4 PDPTEs sit at CR3[31:5].  A real CPU loads
 * them on MOV CR3 and raises #GP there for reserved bits; the walker reads
 * them at walk time and reports PGF_RESERVED. */
static bool walk_pae(struct walker *k)
{
    uint64_t va = k->w->va;

    if (!visit(k, 3, k->s->cr3 & CR3_PAE_PDPT, (va >> 30) & 3, 8) ||
        !check_rsvd(k, PDPTE_PAE_RSVD | rsvd64(k)))
        return false;
    return walk_pd_pt(k, last_entry(k) & PTE64_ADDR);
}

static bool canonical48(uint64_t va)
{
    uint64_t top = va >> (PG_LINEAR_BITS - 1);

    return top == 0 || top == (~0ull >> (PG_LINEAR_BITS - 1));
}

/* 4-level paging (SDM 4.5): PML4E (PS reserved), PDPTE (1 GiB pages), ... */
static bool walk_4level(struct walker *k)
{
    uint64_t va = k->w->va, pdpte;

    if (!canonical48(va))
        return fail(k, PGF_NONCANONICAL);
    if (!visit(k, 4, k->s->cr3 & PTE64_ADDR, (va >> 39) & 0x1FF, 8) ||
        !check_rsvd(k, rsvd64(k) | PTE_PS))
        return false;
    if (!visit(k, 3, last_entry(k) & PTE64_ADDR, (va >> 30) & 0x1FF, 8) ||
        !check_rsvd(k, rsvd64(k)))
        return false;
    pdpte = last_entry(k);
    if (pdpte & PTE_PS) {
        if (!check_rsvd(k, LARGE_1G_RSVD))
            return false;
        return finish(k, pdpte & PTE64_ADDR & ~(PAGE_1G - 1), PAGE_1G, 8);
    }
    return walk_pd_pt(k, pdpte & PTE64_ADDR);
}

bool pg_translate(const struct cpu_state *s, struct gmem *mem, uint64_t va,
                  unsigned flags, struct pg_walk *w)
{
    struct walker k = { .s = s, .mem = mem, .flags = flags, .w = w,
                        .rw_all = true, .us_all = true };

    memset(w, 0, sizeof(*w));
    w->mode = pg_mode_of(s);
    w->va = w->mode == PGM_4LEVEL ? va : (va & 0xFFFFFFFFull);
    k.nxe = w->mode != PGM_32 && (s->efer & EFER_NXE);
    switch (w->mode) {
    case PGM_32:     return walk_32(&k);
    case PGM_PAE:    return walk_pae(&k);
    case PGM_4LEVEL: return walk_4level(&k);
    default:
        w->ok = true;
        w->pa = w->va;
        w->page_size = PAGE_4K;
        w->writable = w->user = w->executable = true;
        return true;
    }
}

/* Linear addresses wrap at 4 GiB outside 4-level paging. */
static uint64_t linear_mask(const struct cpu_state *s)
{
    return pg_mode_of(s) == PGM_4LEVEL ? ~0ull : 0xFFFFFFFFull;
}

static uint64_t chunk_len(uint64_t va, uint64_t len)
{
    uint64_t room = PAGE_4K - (va & (PAGE_4K - 1));

    return len < room ? len : room;
}

static bool not_ram(struct pg_walk *w)
{
    w->ok = false;
    w->fault = PGF_NOT_RAM;
    return false;
}

bool pg_read_linear(const struct cpu_state *s, struct gmem *mem, uint64_t va,
                    void *buf, uint64_t len, unsigned flags, struct pg_walk *w)
{
    struct pg_walk local;
    uint8_t *p = buf;
    uint64_t mask = linear_mask(s);

    w = w ? w : &local;
    flags &= ~PGW_WRITE;
    for (uint64_t done = 0, n; done < len; done += n, va = (va + n) & mask) {
        n = chunk_len(va, len - done);
        if (!pg_translate(s, mem, va, flags, w))
            return false;
        if (gmem_read(mem, w->pa, p + done, n) != 0)
            return not_ram(w);
    }
    return true;
}

bool pg_probe_linear(const struct cpu_state *s, struct gmem *mem, uint64_t va,
                     uint64_t len, unsigned flags, struct pg_walk *w)
{
    struct pg_walk local;
    uint64_t mask = linear_mask(s);

    w = w ? w : &local;
    for (uint64_t done = 0, n; done < len; done += n, va = (va + n) & mask) {
        n = chunk_len(va, len - done);
        if (!pg_translate(s, mem, va, flags & ~PGW_SET_AD, w))
            return false;
        if (!gmem_ok(mem, w->pa, n))
            return not_ram(w);
    }
    return true;
}

bool pg_write_linear(const struct cpu_state *s, struct gmem *mem, uint64_t va,
                     const void *buf, uint64_t len, unsigned flags,
                     struct pg_walk *w)
{
    struct pg_walk local;
    const uint8_t *p = buf;
    uint64_t mask = linear_mask(s);

    w = w ? w : &local;
    flags |= PGW_WRITE;
    if (!pg_probe_linear(s, mem, va, len, flags, w))
        return false;
    for (uint64_t done = 0, n; done < len; done += n, va = (va + n) & mask) {
        n = chunk_len(va, len - done);
        if (!pg_translate(s, mem, va, flags, w) ||
            gmem_write(mem, w->pa, p + done, n) != 0)
            return not_ram(w);
    }
    return true;
}
