/* uc_blob.c - calibrate the uc_context blob layout with probe guests.
 *
 * Method (docs/ENGINE.md "Blob calibration"):
 *  1. LDTR/TR/GDTR/IDTR can be written whole through uc_x86_mmr: write
 *     distinctive values, save the context, search.  That gives the field
 *     offsets inside one SegmentCache and the stride between caches, and
 *     checks that LDTR, TR, GDTR, IDTR are consecutive caches.  ES..GS are
 *     the six caches before LDTR (QEMU: segs[6]; ldt; tr; gdt; idt).
 *  2. A probe guest loads five distinct data descriptors into ES, SS, DS,
 *     FS, GS and far-returns to a distinct CS: every cache must hold what
 *     the descriptor said.
 *  3. hflags: the one word whose owned bits read "real mode" on a fresh
 *     UC_MODE_16 engine and "64-bit, CPL 0" on a fresh UC_MODE_64 engine.
 *  4. error_code / old_exception / exception_is_int: probe guests raise
 *     #GP(0x1234), #DE and INT 0x42 on fresh engines; the words reading
 *     0x1234 / 0, 13 / 0 (and -1 before any fault), and 0 / 0 / 1 (within
 *     16 bytes after the error code, QEMU's order) are the ones.
 *  5. hflags2: the word after hflags reads GIF (bit 0) alone on fresh
 *     engines, and the NMI-blocked bit set there is cleared by a probe
 *     guest's IRETQ (what lets the engine block NMIs until the handler's
 *     IRET without seeing the IRET itself).
 * The engine then verifies the whole layout semantically (uc_engine.c).
 * Offsets are only computed here, once; afterwards they are read-only.
 */
#include "uc_blob.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define PROBE_RAM    0x10000u
#define PROBE_GDT    0x1000u
#define PROBE_CODE   0x2000u
#define PROBE_STACK  0x8000u
#define PROBE_SEGS   5u          /* ES, SS, DS, FS, GS get distinct descriptors */

/* QEMU descriptor-cache flag bits (= descriptor high dword bits). */
#define QDESC_TYPE_SHIFT 8
#define QDESC_S    (1u << 12)
#define QDESC_DPL_SHIFT 13
#define QDESC_P    (1u << 15)
#define QDESC_AVL  (1u << 20)
#define QDESC_L    (1u << 21)
#define QDESC_B    (1u << 22)
#define QDESC_G    (1u << 23)

static struct uc_blob_layout layout;     /* written once by calibrate() */
static const struct uc_blob_layout *layout_ok;
static pthread_once_t layout_once = PTHREAD_ONCE_INIT;
static char layout_err[200];

/* ---- accessors ---- */

uint32_t uc_blob_u32(const struct uc_blob_layout *L, const void *blob, size_t off)
{
    uint32_t v;
    (void)L;
    memcpy(&v, (const uint8_t *)blob + off, sizeof(v));
    return v;
}

void uc_blob_set_u32(const struct uc_blob_layout *L, void *blob, size_t off, uint32_t v)
{
    (void)L;
    memcpy((uint8_t *)blob + off, &v, sizeof(v));
}

static uint64_t blob_u64(const void *blob, size_t off)
{
    uint64_t v;
    memcpy(&v, (const uint8_t *)blob + off, sizeof(v));
    return v;
}

static size_t seg_off(const struct uc_blob_layout *L, enum x86_seg seg)
{
    return L->seg0 + (size_t)seg * L->stride;
}

void uc_blob_get_seg(const struct uc_blob_layout *L, const void *blob,
                     enum x86_seg seg, struct x86_segment *out)
{
    size_t o = seg_off(L, seg);
    uint32_t fl = uc_blob_u32(L, blob, o + L->f.flags);

    memset(out, 0, sizeof(*out));
    out->selector = (uint16_t)uc_blob_u32(L, blob, o + L->f.sel);
    out->base = blob_u64(blob, o + L->f.base);
    out->limit = uc_blob_u32(L, blob, o + L->f.limit);
    out->type = (fl >> QDESC_TYPE_SHIFT) & 0xF;
    out->s = !!(fl & QDESC_S);
    out->dpl = (fl >> QDESC_DPL_SHIFT) & 3;
    out->present = !!(fl & QDESC_P);
    out->avl = !!(fl & QDESC_AVL);
    out->l = !!(fl & QDESC_L);
    out->db = !!(fl & QDESC_B);
    out->g = !!(fl & QDESC_G);
    out->unusable = !out->present;
    /* LTR marks the TSS descriptor busy (SDM Vol. 3A 7.2.4) and the CPU's
     * TR holds it busy, as KVM reports it; QEMU keeps the type it loaded
     * (available).  Report busy, so both engines show the same TR. */
    if (seg == SEG_TR && !out->s && (out->type & 7) == SYSTYPE_TSS16_AVAIL)
        out->type |= 2;
}

static uint32_t seg_flags(const struct x86_segment *in)
{
    uint32_t fl = (uint32_t)(in->type & 0xF) << QDESC_TYPE_SHIFT;

    fl |= in->s ? QDESC_S : 0;
    fl |= (uint32_t)(in->dpl & 3) << QDESC_DPL_SHIFT;
    fl |= in->present ? QDESC_P : 0;
    fl |= in->avl ? QDESC_AVL : 0;
    fl |= in->l ? QDESC_L : 0;
    fl |= in->db ? QDESC_B : 0;
    fl |= in->g ? QDESC_G : 0;
    return fl;
}

void uc_blob_put_seg(const struct uc_blob_layout *L, void *blob,
                     enum x86_seg seg, const struct x86_segment *in)
{
    size_t o = seg_off(L, seg);
    uint64_t base = in->base;

    uc_blob_set_u32(L, blob, o + L->f.sel, in->selector);
    memcpy((uint8_t *)blob + o + L->f.base, &base, sizeof(base));
    uc_blob_set_u32(L, blob, o + L->f.limit, in->limit);
    uc_blob_set_u32(L, blob, o + L->f.flags, seg_flags(in));
}

/* QEMU cpu_x86_load_seg_cache() (target/i386/cpu.h): CPL = SS.DPL; CS.L in
 * long mode -> CS32|SS32|CS64, else CS32 = CS.B; SS32 = SS.B; ADDSEG unless
 * 64-bit code, set in real/vm86/16-bit code, else when a DS/ES/SS base is
 * non-zero. */
uint32_t uc_blob_hflags(const struct cpu_state *s)
{
    bool pe = s->cr0 & CR0_PE, vm = s->rflags & RFLAGS_VM;
    bool lma = s->efer & EFER_LMA;
    const struct x86_segment *cs = &s->seg[SEG_CS], *ss = &s->seg[SEG_SS];
    uint32_t h = pe ? QHF_PE : 0;

    h |= lma ? QHF_LMA : 0;
    h |= !pe ? 0 : vm ? 3u : (ss->dpl & 3u);
    if (lma && cs->l)
        h |= QHF_CS32 | QHF_CS64;
    else if (cs->db)
        h |= QHF_CS32;
    h |= ss->db ? QHF_SS32 : 0;
    if (h & QHF_CS64)
        return h;
    if (!pe || vm || !(h & QHF_CS32))
        return h | QHF_ADDSEG;
    if (s->seg[SEG_DS].base | s->seg[SEG_ES].base | ss->base)
        h |= QHF_ADDSEG;
    return h;
}

/* ---- probe engines ---- */

struct probe {
    uc_engine *uc;
    uint8_t *ram;
    uc_context *ctx;
    int vector;               /* last INTR vector, -1 none */
    uc_hook hook;
};

static void probe_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
    struct probe *p = opaque;
    p->vector = (int)intno;
    uc_emu_stop(uc);
}

static void probe_close(struct probe *p)
{
    if (p->ctx)
        uc_context_free(p->ctx);
    if (p->uc)
        uc_close(p->uc);
    free(p->ram);
    memset(p, 0, sizeof(*p));
}

static int probe_open(struct probe *p, uc_mode mode)
{
    memset(p, 0, sizeof(*p));
    p->vector = -1;
    p->ram = aligned_alloc(4096, PROBE_RAM);
    if (!p->ram)
        return -1;
    memset(p->ram, 0, PROBE_RAM);
    if (uc_open(UC_ARCH_X86, mode, &p->uc) != UC_ERR_OK)
        return -1;
    if (uc_mem_map_ptr(p->uc, 0, PROBE_RAM, UC_PROT_ALL, p->ram) != UC_ERR_OK ||
        uc_context_alloc(p->uc, &p->ctx) != UC_ERR_OK ||
        uc_hook_add(p->uc, &p->hook, UC_HOOK_INTR, (void *)probe_intr, p, 1, 0) != UC_ERR_OK ||
        uc_ctl_exits_enable(p->uc) != UC_ERR_OK)
        return -1;
    return 0;
}

static int probe_save(struct probe *p)
{
    return uc_context_save(p->uc, p->ctx) == UC_ERR_OK ? 0 : -1;
}

/* The descriptor the probe guest loads into data segment @i (0..4). */
static void probe_data_seg(unsigned i, struct x86_segment *d)
{
    memset(d, 0, sizeof(*d));
    d->selector = (uint16_t)(0x10 + 8 * i);
    d->base = 0x00100011u + 0x00230000u * i;
    d->limit = 0x0ABC0u + i;
    d->type = SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED;
    d->s = d->present = d->db = 1;
}

static void probe_code_seg(struct x86_segment *c)
{
    memset(c, 0, sizeof(*c));
    c->selector = 0x08;
    c->limit = 0xFFFFFFFFu;
    c->type = SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED;
    c->s = c->present = c->l = c->g = 1;
}

static void probe_gdt(struct probe *p)
{
    struct x86_segment d;
    uint64_t raw;

    probe_code_seg(&d);
    raw = x86_desc_encode(&d);
    memcpy(p->ram + PROBE_GDT + 8, &raw, 8);
    for (unsigned i = 0; i < PROBE_SEGS; i++) {
        probe_data_seg(i, &d);
        raw = x86_desc_encode(&d);
        memcpy(p->ram + PROBE_GDT + d.selector, &raw, 8);
    }
    uc_x86_mmr gdtr = { .base = PROBE_GDT, .limit = 0x3F };
    uc_reg_write(p->uc, UC_X86_REG_GDTR, &gdtr);
}

static int probe_run(struct probe *p, const uint8_t *code, size_t len)
{
    uint64_t rsp = PROBE_STACK;

    memcpy(p->ram + PROBE_CODE, code, len);
    probe_gdt(p);
    uc_reg_write(p->uc, UC_X86_REG_RSP, &rsp);
    if (uc_emu_start(p->uc, PROBE_CODE, 0, 0, 0) != UC_ERR_OK)
        return -1;
    return probe_save(p);
}

/* ---- search helpers ---- */

static long find_unique_u64(const void *blob, size_t size, uint64_t v)
{
    long at = -1;
    for (size_t o = 0; o + 8 <= size; o += 4) {
        if (blob_u64(blob, o) != v)
            continue;
        if (at >= 0)
            return -2;
        at = (long)o;
    }
    return at;
}

static int cal_fail(const char *what)
{
    unsigned major, minor;

    uc_version(&major, &minor);
    snprintf(layout_err, sizeof(layout_err),
             "libunicorn %u.%u: uc_context layout calibration failed (%s); "
             "refusing to run", major, minor, what);
    return -1;
}

/* ---- step 1: LDTR/TR/GDTR/IDTR through uc_x86_mmr ---- */

#define CAL_LDT_BASE  0x0000123456789AB0ull
#define CAL_TR_BASE   0x00000FEDCBA98760ull
#define CAL_GDT_BASE  0x00000ACE13579BD0ull
#define CAL_IDT_BASE  0x00000BDF02468AC0ull

static long cache_start(const void *blob, size_t size, uint64_t base, uint16_t sel,
                        size_t *base_rel)
{
    long b = find_unique_u64(blob, size, base);
    if (b < 8)
        return -1;
    for (long s = b - 8; s < b; s += 4)
        if ((uint16_t)uc_blob_u32(NULL, blob, (size_t)s) == sel) {
            *base_rel = (size_t)(b - s);
            return s;
        }
    return -1;
}

static int cal_tables(struct uc_blob_layout *L)
{
    struct probe p;
    uc_x86_mmr ldt = { .selector = 0x5A58, .base = CAL_LDT_BASE,
                       .limit = 0x000FEDCB, .flags = 0x00008200 };
    uc_x86_mmr tr = { .selector = 0x4B40, .base = CAL_TR_BASE,
                      .limit = 0x0001ABCD, .flags = 0x00008B00 };
    uc_x86_mmr gdt = { .base = CAL_GDT_BASE, .limit = 0x7FF7 };
    uc_x86_mmr idt = { .base = CAL_IDT_BASE, .limit = 0x0FF7 };
    size_t rel, rel2;
    int rc = -1;

    if (probe_open(&p, UC_MODE_64) < 0)
        return cal_fail("cannot open a probe engine");
    L->size = uc_context_size(p.uc);
    uc_reg_write(p.uc, UC_X86_REG_LDTR, &ldt);
    uc_reg_write(p.uc, UC_X86_REG_TR, &tr);
    uc_reg_write(p.uc, UC_X86_REG_GDTR, &gdt);
    uc_reg_write(p.uc, UC_X86_REG_IDTR, &idt);
    if (probe_save(&p) < 0)
        goto out;
    long l = cache_start(p.ctx, L->size, CAL_LDT_BASE, ldt.selector, &rel);
    long t = cache_start(p.ctx, L->size, CAL_TR_BASE, tr.selector, &rel2);
    long g = find_unique_u64(p.ctx, L->size, CAL_GDT_BASE);
    long i = find_unique_u64(p.ctx, L->size, CAL_IDT_BASE);
    if (l < 0 || t <= l || rel != rel2 || g < 0 || i < 0) {
        rc = cal_fail("LDTR/TR caches not found");
        goto out;
    }
    L->stride = (size_t)(t - l);
    L->f.sel = 0;
    L->f.base = rel;
    L->f.limit = rel + 8;
    L->f.flags = rel + 12;
    if (L->f.flags + 4 > L->stride || (size_t)l < 6 * L->stride ||
        (size_t)g != (size_t)t + L->stride + rel ||
        (size_t)i != (size_t)t + 2 * L->stride + rel) {
        rc = cal_fail("GDTR/IDTR are not the caches after TR");
        goto out;
    }
    L->seg0 = (size_t)l - 6 * L->stride;
    if (uc_blob_u32(L, p.ctx, (size_t)l + L->f.limit) != ldt.limit ||
        uc_blob_u32(L, p.ctx, (size_t)t + L->f.flags) != tr.flags ||
        (uint16_t)uc_blob_u32(L, p.ctx, (size_t)g - rel + L->f.limit) != gdt.limit) {
        rc = cal_fail("segment cache fields disagree");
        goto out;
    }
    rc = 0;
out:
    probe_close(&p);
    return rc;
}

/* ---- step 2: ES..GS and CS loaded by a probe guest ---- */

/* 64-bit code: load ES, SS, DS, FS, GS with selectors 0x10..0x30, then
 * far-return to CS = 0x08 and HLT. */
static const uint8_t probe_seg_code[] = {
    0x66, 0xB8, 0x10, 0x00, 0x8E, 0xC0,        /* mov ax,0x10; mov es,ax */
    0x66, 0xB8, 0x18, 0x00, 0x8E, 0xD0,        /* mov ax,0x18; mov ss,ax */
    0x66, 0xB8, 0x20, 0x00, 0x8E, 0xD8,        /* mov ax,0x20; mov ds,ax */
    0x66, 0xB8, 0x28, 0x00, 0x8E, 0xE0,        /* mov ax,0x28; mov fs,ax */
    0x66, 0xB8, 0x30, 0x00, 0x8E, 0xE8,        /* mov ax,0x30; mov gs,ax */
    0x6A, 0x08,                                /* push 0x08 */
    0x68, 0x27, 0x20, 0x00, 0x00,              /* push 0x2027 */
    0x48, 0xCB,                                /* retfq */
    0xF4,                                      /* 0x2027: hlt */
};

static bool seg_equal(const struct x86_segment *a, const struct x86_segment *b)
{
    return a->selector == b->selector && a->base == b->base &&
           a->limit == b->limit && a->type == b->type && a->s == b->s &&
           a->dpl == b->dpl && a->present == b->present && a->l == b->l &&
           a->db == b->db && a->g == b->g;
}

static int cal_segs(const struct uc_blob_layout *L)
{
    static const enum x86_seg order[PROBE_SEGS] = { SEG_ES, SEG_SS, SEG_DS, SEG_FS, SEG_GS };
    struct probe p;
    struct x86_segment want, got;
    int rc = -1;

    if (probe_open(&p, UC_MODE_64) < 0 ||
        probe_run(&p, probe_seg_code, sizeof(probe_seg_code)) < 0) {
        probe_close(&p);
        return cal_fail("segment probe guest did not run");
    }
    for (unsigned i = 0; i < PROBE_SEGS; i++) {
        probe_data_seg(i, &want);
        uc_blob_get_seg(L, p.ctx, order[i], &got);
        if (!seg_equal(&want, &got))
            goto out;
    }
    probe_code_seg(&want);
    uc_blob_get_seg(L, p.ctx, SEG_CS, &got);
    got.limit = want.limit;   /* QEMU keeps the scaled limit; compare attributes */
    if (!seg_equal(&want, &got))
        goto out;
    rc = 0;
out:
    probe_close(&p);
    return rc < 0 ? cal_fail("ES..GS/CS caches do not hold the loaded descriptors") : 0;
}

/* ---- step 3: hflags ---- */

static int blob_of_fresh(uc_mode mode, void **blob, size_t size)
{
    struct probe p;

    if (probe_open(&p, mode) < 0 || probe_save(&p) < 0) {
        probe_close(&p);
        return -1;
    }
    *blob = malloc(size);
    if (*blob)
        memcpy(*blob, p.ctx, size);
    probe_close(&p);
    return *blob ? 0 : -1;
}

static int cal_hflags(struct uc_blob_layout *L)
{
    const uint32_t known = QHF_CPL_MASK | QHF_CS32 | QHF_SS32 | QHF_ADDSEG |
                           QHF_PE | QHF_LMA | QHF_CS64;
    const uint32_t real = QHF_ADDSEG;
    const uint32_t long64 = QHF_CS32 | QHF_SS32 | QHF_PE | QHF_LMA | QHF_CS64;
    void *b16 = NULL, *b64 = NULL;
    long found = -1;
    unsigned n = 0;

    if (blob_of_fresh(UC_MODE_16, &b16, L->size) < 0 ||
        blob_of_fresh(UC_MODE_64, &b64, L->size) < 0)
        goto out;
    for (size_t o = 0; o + 4 <= L->seg0; o += 4) {
        if ((uc_blob_u32(L, b16, o) & known) != real ||
            (uc_blob_u32(L, b64, o) & known) != long64)
            continue;
        found = (long)o;
        n++;
    }
out:
    free(b16);
    free(b64);
    if (n != 1)
        return cal_fail(n ? "hflags word is ambiguous" : "hflags word not found");
    L->hflags = (size_t)found;
    return 0;
}

/* ---- step 4: error code and the previous exception ---- */

static const uint8_t probe_gp_code[] = {
    0x66, 0xBB, 0x34, 0x12,   /* mov bx,0x1234 (TI=1, empty LDT) */
    0x8E, 0xDB,               /* mov ds,bx -> #GP(0x1234) */
    0xF4,
};
static const uint8_t probe_int_code[] = {
    0x66, 0xBB, 0x34, 0x12,   /* mov bx,0x1234 */
    0xCD, 0x42,               /* int 0x42 */
    0xF4,
};
static const uint8_t probe_de_code[] = {
    0x66, 0xBB, 0x34, 0x12,   /* mov bx,0x1234: same registers as above */
    0x31, 0xC9,               /* xor ecx,ecx */
    0xF7, 0xF1,               /* div ecx -> #DE */
    0xF4,
};

/* Run @code on a fresh engine expecting INTR @vector; keep the blob before
 * (@pre, may be NULL) and after (@post). */
static int fault_blobs(const uint8_t *code, size_t len, int vector,
                       void **pre, void **post, size_t size)
{
    struct probe p;
    int rc = -1;

    if (probe_open(&p, UC_MODE_64) < 0 || probe_save(&p) < 0)
        goto out;
    if (pre && !(*pre = malloc(size)))
        goto out;
    if (pre)
        memcpy(*pre, p.ctx, size);
    if (probe_run(&p, code, len) < 0 || p.vector != vector)
        goto out;
    if (!(*post = malloc(size)))
        goto out;
    memcpy(*post, p.ctx, size);
    rc = 0;
out:
    probe_close(&p);
    return rc;
}

static long unique_where(const void *a, uint32_t va, const void *b, uint32_t vb,
                         const void *c, uint32_t vc, size_t size)
{
    long found = -1;
    for (size_t o = 0; o + 4 <= size; o += 4) {
        if (uc_blob_u32(NULL, a, o) != va || uc_blob_u32(NULL, b, o) != vb)
            continue;
        if (c && uc_blob_u32(NULL, c, o) != vc)
            continue;
        if (found >= 0)
            return -2;
        found = (long)o;
    }
    return found;
}

/* The word in (@err, @err + 16] reading 1 after INT n and 0 after faults. */
static long find_is_int(const void *in, const void *gp, const void *de, long err)
{
    long found = -1;
    for (long o = err + 4; o <= err + 16; o += 4) {
        if (uc_blob_u32(NULL, in, (size_t)o) != 1 || uc_blob_u32(NULL, gp, (size_t)o) != 0 ||
            uc_blob_u32(NULL, de, (size_t)o) != 0)
            continue;
        if (found >= 0)
            return -2;
        found = o;
    }
    return found;
}

static int cal_exceptions(struct uc_blob_layout *L)
{
    void *pre = NULL, *gp = NULL, *de = NULL, *in = NULL;
    long err = -1, old = -1, is_int = -1;

    if (fault_blobs(probe_gp_code, sizeof(probe_gp_code), EXC_GP, &pre, &gp, L->size) == 0 &&
        fault_blobs(probe_de_code, sizeof(probe_de_code), EXC_DE, NULL, &de, L->size) == 0 &&
        fault_blobs(probe_int_code, sizeof(probe_int_code), 0x42, NULL, &in, L->size) == 0) {
        err = unique_where(gp, 0x1234, de, 0, in, 0, L->size);
        old = unique_where(gp, EXC_GP, de, EXC_DE, pre, UINT32_MAX, L->size);
        if (err >= 0 && (size_t)err + 20 <= L->size)
            is_int = find_is_int(in, gp, de, err);
    }
    free(pre);
    free(gp);
    free(de);
    free(in);
    if (is_int < 0)
        return cal_fail("exception_is_int not found");
    L->exception_is_int = (size_t)is_int;
    if (err < 0)
        return cal_fail("exception error code not found");
    if (old < 0)
        return cal_fail("previous-exception word not found");
    L->error_code = (size_t)err;
    L->old_exception = (size_t)old;
    return 0;
}

/* ---- step 5: hflags2 and the NMI-blocked bit ---- */

static const uint8_t probe_iret_code[] = {
    0x48, 0x89, 0xE0,                            /* mov rax,rsp */
    0x6A, 0x00,                                  /* push 0 (SS) */
    0x50,                                        /* push rax (RSP) */
    0x9C,                                        /* pushfq */
    0x6A, 0x08,                                  /* push 8 (CS) */
    0x48, 0x8D, 0x0D, 0x03, 0x00, 0x00, 0x00,    /* lea rcx,[rip+3] */
    0x51,                                        /* push rcx */
    0x48, 0xCF,                                  /* iretq */
    0xF4,                                        /* hlt */
};

static int cal_hflags2(struct uc_blob_layout *L)
{
    const size_t off = L->hflags + 4;
    struct probe p = { 0 };       /* probe_close() is safe before probe_open() */
    void *b16 = NULL;
    int ok = 0;

    if (blob_of_fresh(UC_MODE_16, &b16, L->size) == 0 && off + 4 <= L->seg0 &&
        uc_blob_u32(L, b16, off) == 1 && probe_open(&p, UC_MODE_64) == 0 &&
        probe_save(&p) == 0 && uc_blob_u32(L, p.ctx, off) == 1) {
        uc_blob_set_u32(L, p.ctx, off, 1u | QHF2_NMI_MASK);
        ok = uc_context_restore(p.uc, p.ctx) == UC_ERR_OK &&
             probe_run(&p, probe_iret_code, sizeof(probe_iret_code)) == 0 &&
             p.vector < 0 && uc_blob_u32(L, p.ctx, off) == 1;
    }
    probe_close(&p);
    free(b16);
    if (!ok)
        return cal_fail("hflags2 (NMI blocking cleared by IRET) not found");
    L->hflags2 = off;
    return 0;
}

static void calibrate(void)
{
    struct uc_blob_layout L;

    memset(&L, 0, sizeof(L));
    if (cal_tables(&L) < 0 || cal_segs(&L) < 0 || cal_hflags(&L) < 0 ||
        cal_exceptions(&L) < 0 || cal_hflags2(&L) < 0)
        return;
    layout = L;
    layout_ok = &layout;
}

const struct uc_blob_layout *uc_blob_layout(void)
{
    pthread_once(&layout_once, calibrate);
    if (!layout_ok)
        vms_seterr(VMS_ERR_ENGINE, "%s", layout_err);
    return layout_ok;
}
