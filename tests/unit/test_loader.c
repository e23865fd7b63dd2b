/* test_loader.c - image loaders against images built here, valid and hostile.
 *
 * Every image is constructed in memory by the builders below; each
 * malformed variant must give -VMS_ERR_BADIMAGE (or -VMS_ERR_INVAL for bad
 * options) with a "name: reason" detail, and never crash (run under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "machine/elf.h"
#include "machine/gmem.h"
#include "machine/loader.h"
#include "machine/memmap.h"
#include "machine/symtab.h"
#include "machine/x86.h"

#define RAM_SIZE (64ull << 20)
#define IMG_CAP  0x6000u

/* ---------------------------------------------------------------------
 * Builders
 */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

struct bph {
    uint32_t type;
    uint64_t off, va, pa, filesz, memsz;
};

struct belf {
    int cls;                /* 32 or 64 */
    uint16_t machine, type;
    uint64_t entry;
    unsigned nph;
    struct bph ph[8];
    bool syms;              /* append .symtab/.strtab at SYM_OFF */
};

#define SYM_OFF 0x4000u     /* section headers, symbols, strings */

/* Symbols the builder writes: name, value, size, st_info, shndx. */
static const struct { const char *name; uint64_t value, size; uint8_t info; uint16_t shndx; }
bsyms[] = {
    { "", 0, 0, 0, 0 },                         /* the null symbol */
    { "_start", 0x100010, 0x20, 0x12, 1 },      /* GLOBAL FUNC */
    { "counter", 0x101000, 4, 0x11, 2 },        /* GLOBAL OBJECT */
    { "loop", 0x100020, 0, 0x00, 1 },           /* LOCAL NOTYPE */
    { "text_section", 0x100000, 0, 0x03, 1 },   /* SECTION: skipped */
    { "kernel.c", 0, 0, 0x04, 0xFFF1 },         /* FILE: skipped */
    { "extern_fn", 0, 0, 0x12, 0 },             /* undefined: skipped */
};
#define NBSYMS (sizeof(bsyms) / sizeof(bsyms[0]))

static void build_symbols(uint8_t *img, int cls, uint64_t *shoff, uint16_t *shnum)
{
    unsigned shsz = cls == 32 ? 40 : 64, symsz = cls == 32 ? 16 : 24;
    uint32_t sh_at = SYM_OFF, sym_at = SYM_OFF + 0x100, str_at = SYM_OFF + 0x400;
    uint32_t strpos = 1;

    img[str_at] = 0;
    for (unsigned i = 0; i < NBSYMS; i++) {
        uint8_t *s = img + sym_at + i * symsz;
        uint32_t name = 0;
        if (bsyms[i].name[0]) {
            name = strpos;
            strcpy((char *)img + str_at + strpos, bsyms[i].name);
            strpos += (uint32_t)strlen(bsyms[i].name) + 1;
        }
        put32(s, name);
        if (cls == 32) {
            put32(s + 4, (uint32_t)bsyms[i].value);
            put32(s + 8, (uint32_t)bsyms[i].size);
            s[12] = bsyms[i].info;
            put16(s + 14, bsyms[i].shndx);
        } else {
            s[4] = bsyms[i].info;
            put16(s + 6, bsyms[i].shndx);
            put64(s + 8, bsyms[i].value);
            put64(s + 16, bsyms[i].size);
        }
    }
    /* section 1: SYMTAB (link 2); section 2: STRTAB */
    uint8_t *sh1 = img + sh_at + shsz, *sh2 = img + sh_at + 2 * shsz;
    if (cls == 32) {
        put32(sh1 + 4, 2); put32(sh1 + 16, sym_at); put32(sh1 + 20, NBSYMS * symsz);
        put32(sh1 + 24, 2); put32(sh1 + 36, symsz);
        put32(sh2 + 4, 3); put32(sh2 + 16, str_at); put32(sh2 + 20, strpos);
    } else {
        put32(sh1 + 4, 2); put64(sh1 + 24, sym_at); put64(sh1 + 32, NBSYMS * symsz);
        put32(sh1 + 40, 2); put64(sh1 + 56, symsz);
        put32(sh2 + 4, 3); put64(sh2 + 24, str_at); put64(sh2 + 32, strpos);
    }
    *shoff = sh_at;
    *shnum = 3;
}

/* Write the ELF header and program headers of @e at the start of @img. */
static void build_elf(uint8_t *img, const struct belf *e)
{
    bool c32 = e->cls == 32;
    unsigned ehsz = c32 ? 52 : 64, phsz = c32 ? 32 : 56;
    uint64_t shoff = 0;
    uint16_t shnum = 0;

    memcpy(img, "\x7f" "ELF", 4);
    img[4] = c32 ? 1 : 2;
    img[5] = 1;
    img[6] = 1;
    put16(img + 16, e->type ? e->type : 2);
    put16(img + 18, e->machine);
    put32(img + 20, 1);
    if (e->syms)
        build_symbols(img, e->cls, &shoff, &shnum);
    if (c32) {
        put32(img + 24, (uint32_t)e->entry); put32(img + 28, ehsz); put32(img + 32, (uint32_t)shoff);
        put16(img + 40, ehsz); put16(img + 42, phsz); put16(img + 44, (uint16_t)e->nph);
        put16(img + 46, 40); put16(img + 48, shnum);
    } else {
        put64(img + 24, e->entry); put64(img + 32, ehsz); put64(img + 40, shoff);
        put16(img + 52, ehsz); put16(img + 54, phsz); put16(img + 56, (uint16_t)e->nph);
        put16(img + 58, 64); put16(img + 60, shnum);
    }
    for (unsigned i = 0; i < e->nph; i++) {
        uint8_t *p = img + ehsz + i * phsz;
        const struct bph *h = &e->ph[i];
        if (c32) {
            put32(p, h->type); put32(p + 4, (uint32_t)h->off); put32(p + 8, (uint32_t)h->va);
            put32(p + 12, (uint32_t)h->pa); put32(p + 16, (uint32_t)h->filesz);
            put32(p + 20, (uint32_t)h->memsz); put32(p + 24, 5); put32(p + 28, 0x1000);
        } else {
            put32(p, h->type); put32(p + 4, 5); put64(p + 8, h->off); put64(p + 16, h->va);
            put64(p + 24, h->pa); put64(p + 32, h->filesz); put64(p + 40, h->memsz);
            put64(p + 48, 0x1000);
        }
    }
}

/* A multiboot v1 header at @p with @flags (and address fields when bit 16). */
static void build_mbhdr(uint8_t *p, uint32_t flags, const uint32_t addr[5])
{
    put32(p, MULTIBOOT_HDR_MAGIC);
    put32(p + 4, flags);
    put32(p + 8, (uint32_t)-(MULTIBOOT_HDR_MAGIC + flags));
    for (int i = 0; addr && i < 5; i++)
        put32(p + 12 + 4 * i, addr[i]);
}

/* The reference multiboot ELF32: text at 0x100000 (header at its start,
 * entry at 0x100010), data at 0x101000 with 0x100 bytes of file and
 * 0x2000 of memory (bss), symbols. */
static struct belf mb_elf(void)
{
    return (struct belf){
        .cls = 32, .machine = ELF_EM_386, .entry = 0x100010, .nph = 2, .syms = true,
        .ph = {
            { ELF_PT_LOAD, 0x1000, 0x100000, 0x100000, 0x1000, 0x1000 },
            { ELF_PT_LOAD, 0x2000, 0x101000, 0x101000, 0x100, 0x2000 },
        },
    };
}

static size_t make_mb_elf(uint8_t *img, const struct belf *e, uint32_t flags)
{
    memset(img, 0, IMG_CAP);
    build_elf(img, e);
    build_mbhdr(img + 0x1000, flags, NULL);
    memset(img + 0x1010, 0x90, 0x10);           /* "code" */
    memset(img + 0x2000, 0xD5, 0x100);          /* data */
    return IMG_CAP;
}

/* The reference ELF64: one segment at 0x200000, entry 0x200000. */
static struct belf elf64_ref(void)
{
    return (struct belf){
        .cls = 64, .machine = ELF_EM_X86_64, .entry = 0x200000, .nph = 1, .syms = true,
        .ph = { { ELF_PT_LOAD, 0x1000, 0x200000, 0x200000, 0x100, 0x1000 } },
    };
}

static size_t make_elf64(uint8_t *img, const struct belf *e)
{
    memset(img, 0, IMG_CAP);
    build_elf(img, e);
    memset(img + 0x1000, 0xF4, 0x100);
    return IMG_CAP;
}

static size_t make_boot_sector(uint8_t *img, size_t len)
{
    memset(img, 0, len);
    img[0] = 0xEB; img[1] = 0xFE;      /* jmp $ */
    img[510] = 0x55; img[511] = 0xAA;
    return len;
}

/* ---------------------------------------------------------------------
 * Fixture and checks
 */

struct fx {
    struct gmem mem;
    struct load_result r;
    uint8_t img[IMG_CAP];
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f || gmem_init(&f->mem, RAM_SIZE) < 0)
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    load_result_fini(&f->r);
    gmem_fini(&f->mem);
    free(f);
    return 0;
}

static int load(struct fx *f, size_t len, const struct load_opts *o)
{
    load_result_fini(&f->r);
    vms_clearerr();
    return loader_load_buf(&f->mem, "test.img", f->img, len, o, &f->r);
}

/* The load fails with @err and a "test.img: ...@why..." detail. */
static void expect_fail(struct fx *f, size_t len, const struct load_opts *o,
                        int err, const char *why)
{
    int r = load(f, len, o);
    const char *msg = vms_lasterr(r);
    if (r != err || strncmp(msg, "test.img: ", 10) != 0 || !strstr(msg, why) ||
        strchr(msg, '\n'))
        fail_msg("want %d \"%s\", got %d \"%s\"", err, why, r, msg);
    assert_int_equal(f->r.syms.n, 0);
}

/* A segment cache equals the descriptor at its selector in the GDT in
 * guest memory, decoded. */
static void check_seg_vs_gdt(const struct fx *f, int segno)
{
    const struct cpu_state *s = &f->r.cpu;
    const struct x86_segment *c = &s->seg[segno];
    struct x86_segment d = *c;
    uint8_t raw[8];

    assert_true(SEL_INDEX(c->selector) * 8 + 7 <= s->gdt.limit);
    assert_int_equal(gmem_read(&f->mem, s->gdt.base + SEL_INDEX(c->selector) * 8, raw, 8), 0);
    x86_desc_decode(get64(raw), 0, false, &d);
    assert_int_equal(d.base, c->base);
    assert_int_equal(d.limit, c->limit);
    assert_int_equal(d.type, c->type);
    assert_int_equal(d.s, c->s);
    assert_int_equal(d.dpl, c->dpl);
    assert_int_equal(d.present, c->present);
    assert_int_equal(d.l, c->l);
    assert_int_equal(d.db, c->db);
    assert_int_equal(d.g, c->g);
    assert_true(c->type & SEGTYPE_ACCESSED);
}

static void check_flat_data(const struct fx *f)
{
    for (int i = SEG_ES; i <= SEG_GS; i++) {
        if (i == SEG_CS)
            continue;
        const struct x86_segment *d = &f->r.cpu.seg[i];
        assert_int_equal(d->selector, LOADER_SEL_DATA);
        assert_int_equal(d->base, 0);
        assert_int_equal(d->limit, 0xFFFFFFFFu);
        assert_int_equal(d->type, SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED);
        assert_true(d->s && d->present && d->db && d->g && !d->l && !d->unusable);
        check_seg_vs_gdt(f, i);
    }
}

static uint32_t ram32(const struct fx *f, uint64_t pa)
{
    uint8_t b[4];
    assert_int_equal(gmem_read(&f->mem, pa, b, 4), 0);
    return get32(b);
}

static uint64_t ram64(const struct fx *f, uint64_t pa)
{
    uint8_t b[8];
    assert_int_equal(gmem_read(&f->mem, pa, b, 8), 0);
    return get64(b);
}

static const char *ramstr(const struct fx *f, uint64_t pa)
{
    const char *p = gmem_ptr(&f->mem, pa, 1);
    assert_non_null(p);
    assert_non_null(memchr(p, 0, f->mem.size - pa));
    return p;
}

/* The multiboot info block at EBX (Multiboot 0.6.96 section 3.3). */
static void check_mbi(const struct fx *f, uint64_t mbi, const char *cmdline)
{
    assert_int_equal(mbi, LOADER_MBI_ADDR);
    assert_int_equal(ram32(f, mbi), (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9));
    assert_int_equal(ram32(f, mbi + 4), 639);
    assert_int_equal(ram32(f, mbi + 8), (RAM_SIZE - (1u << 20)) / 1024);
    assert_string_equal(ramstr(f, ram32(f, mbi + 16)), cmdline);
    assert_string_equal(ramstr(f, ram32(f, mbi + 64)), "vmscope");
    uint32_t mlen = ram32(f, mbi + 44), maddr = ram32(f, mbi + 48);
    static const uint64_t want[4][3] = {
        { 0, 0x9FC00, 1 }, { 0x9FC00, 0x400, 2 }, { 0xF0000, 0x10000, 2 },
        { 0x100000, RAM_SIZE - 0x100000, 1 },
    };
    assert_int_equal(mlen, 4 * 24);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = maddr + 24 * i;
        assert_int_equal(ram32(f, e), 20);
        assert_int_equal(ram64(f, e + 4), want[i][0]);
        assert_int_equal(ram64(f, e + 12), want[i][1]);
        assert_int_equal(ram32(f, e + 20), want[i][2]);
    }
}

/* ---------------------------------------------------------------------
 * Boot sectors and flat binaries
 */

static void test_boot_sector(void **state)
{
    struct fx *f = *state;
    size_t len = make_boot_sector(f->img, 512);
    const struct cpu_state *s = &f->r.cpu;

    assert_int_equal(load(f, len, NULL), 0);
    assert_int_equal(f->r.kind, IMAGE_BOOTSECTOR);
    assert_string_equal(image_kind_name(f->r.kind), "bootsector");
    assert_int_equal(x86_mode_of(s), MODE_REAL);
    assert_int_equal(s->seg[SEG_CS].selector, 0);
    assert_int_equal(s->seg[SEG_CS].base, 0);
    assert_int_equal(s->rip, 0x7C00);
    assert_int_equal(f->r.entry, 0x7C00);
    assert_int_equal(s->gpr[GPR_RDX], 0x80);
    assert_int_equal(s->gpr[GPR_RSP], LOADER_BOOT_SP);
    for (int i = 0; i < GPR_COUNT; i++)
        if (i != GPR_RDX && i != GPR_RSP)
            assert_int_equal(s->gpr[i], 0);
    for (int i = SEG_ES; i <= SEG_GS; i++) {
        assert_int_equal(s->seg[i].selector, 0);
        assert_int_equal(s->seg[i].base, 0);
        assert_int_equal(s->seg[i].limit, 0xFFFF);
    }
    assert_int_equal(s->cr0, CR0_ET);
    assert_int_equal(s->rflags, 0x2);
    assert_int_equal(s->idt.base, 0);
    assert_int_equal(s->idt.limit, 0x3FF);
    assert_int_equal(memcmp(f->mem.ram + 0x7C00, f->img, 512), 0);
    assert_int_equal(f->r.bootinfo, 0);
}

static void test_disk_image_loads_sector0_only(void **state)
{
    struct fx *f = *state;
    size_t len = make_boot_sector(f->img, 4096);

    memset(f->img + 512, 0x77, 4096 - 512);
    assert_int_equal(load(f, len, NULL), 0);
    assert_int_equal(f->r.kind, IMAGE_BOOTSECTOR);
    assert_int_equal(f->mem.ram[0x7DFF], 0xAA);
    assert_int_equal(f->mem.ram[0x7E00], 0);
    assert_non_null(strstr(f->r.desc, "disk image"));
}

static void test_boot_sector_bad(void **state)
{
    struct fx *f = *state;

    make_boot_sector(f->img, 512);
    f->img[511] = 0xAB;
    expect_fail(f, 512, NULL, -VMS_ERR_BADIMAGE, "unknown image format");
    make_boot_sector(f->img, 512);
    expect_fail(f, 511, NULL, -VMS_ERR_BADIMAGE, "unknown image format");
    expect_fail(f, 0, NULL, -VMS_ERR_BADIMAGE, "unknown image format");
}

static void test_flat_real(void **state)
{
    struct fx *f = *state;
    struct load_opts o = { .flat = true, .load_addr = 0x10000 };
    const struct cpu_state *s = &f->r.cpu;

    memset(f->img, 0x90, 100);
    assert_int_equal(load(f, 100, &o), 0);
    assert_int_equal(f->r.kind, IMAGE_FLAT);
    assert_int_equal(x86_mode_of(s), MODE_REAL);
    assert_int_equal(s->seg[SEG_CS].selector, 0x1000);
    assert_int_equal(s->seg[SEG_CS].base, 0x10000);
    assert_int_equal(s->seg[SEG_SS].selector, 0x1000);
    assert_int_equal(s->seg[SEG_DS].base, 0x10000);
    assert_int_equal(s->rip, 0);
    assert_int_equal(f->r.entry, 0x10000);
    assert_int_equal(f->mem.ram[0x10000 + 99], 0x90);
    assert_int_equal(f->mem.ram[0x10000 + 100], 0);

    o.load_addr = 0x10008;
    expect_fail(f, 100, &o, -VMS_ERR_INVAL, "multiple of 16");
    o.load_addr = 0x100000;
    expect_fail(f, 100, &o, -VMS_ERR_INVAL, "below 1 MiB");
    o.load_addr = RAM_SIZE - 50;
    expect_fail(f, 100, &o, -VMS_ERR_INVAL, "do not fit in guest RAM");
    o.load_addr = UINT64_MAX - 10;
    expect_fail(f, 100, &o, -VMS_ERR_INVAL, "do not fit in guest RAM");
}

static void test_flat32(void **state)
{
    struct fx *f = *state;
    struct load_opts o = { .flat32 = true, .load_addr = 0x200000 };
    const struct cpu_state *s = &f->r.cpu;

    memset(f->img, 0x90, 64);
    assert_int_equal(load(f, 64, &o), 0);
    assert_int_equal(x86_mode_of(s), MODE_PROT32);
    assert_int_equal(s->rip, 0x200000);
    assert_int_equal(s->seg[SEG_CS].selector, LOADER_SEL_CODE32);
    check_seg_vs_gdt(f, SEG_CS);
    check_flat_data(f);
    assert_int_equal(s->gpr[GPR_RSP], LOADER_STACK_TOP);

    o.load_addr = MM_BOOTINFO_BASE - 32;
    expect_fail(f, 64, &o, -VMS_ERR_INVAL, "boot information area");
}

/* ---------------------------------------------------------------------
 * Multiboot
 */

static void test_multiboot_elf(void **state)
{
    struct fx *f = *state;
    struct belf e = mb_elf();
    size_t len = make_mb_elf(f->img, &e, 0x3);
    const struct cpu_state *s = &f->r.cpu;
    uint64_t off;

    memset(f->mem.ram + 0x101000, 0xCC, 0x2000);    /* bss must be zeroed */
    assert_int_equal(load(f, len, NULL), 0);
    assert_int_equal(f->r.kind, IMAGE_MULTIBOOT);
    assert_string_equal(f->r.desc, "multiboot ELF32, entry 0x100010, 2 segments");
    /* Multiboot 0.6.96 section 3.2 */
    assert_int_equal(x86_mode_of(s), MODE_PROT32);
    assert_int_equal(s->gpr[GPR_RAX], 0x2BADB002);
    assert_int_equal(s->gpr[GPR_RBX], f->r.bootinfo);
    assert_int_equal(s->rip, 0x100010);
    assert_int_equal(s->cr0 & (CR0_PE | CR0_PG), CR0_PE);
    assert_int_equal(s->rflags & (RFLAGS_VM | RFLAGS_IF), 0);
    assert_int_equal(s->efer, 0);
    const struct x86_segment *cs = &s->seg[SEG_CS];
    assert_int_equal(cs->selector, LOADER_SEL_CODE32);
    assert_int_equal(cs->base, 0);
    assert_int_equal(cs->limit, 0xFFFFFFFFu);
    assert_int_equal(cs->type, SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED);
    assert_true(cs->s && cs->present && cs->db && cs->g && !cs->l && cs->dpl == 0);
    check_seg_vs_gdt(f, SEG_CS);
    check_flat_data(f);
    assert_int_equal(s->gdt.base, LOADER_GDT_ADDR);
    assert_int_equal(s->idt.limit, 0x3FF);
    check_mbi(f, s->gpr[GPR_RBX], "test.img");
    /* segments */
    assert_int_equal(memcmp(f->mem.ram + 0x100000, f->img + 0x1000, 0x1000), 0);
    assert_int_equal(f->mem.ram[0x101000], 0xD5);
    assert_int_equal(f->mem.ram[0x1010FF], 0xD5);
    for (unsigned i = 0x100; i < 0x2000; i++)
        assert_int_equal(f->mem.ram[0x101000 + i], 0);
    assert_int_equal(f->r.lo, 0x100000);
    assert_int_equal(f->r.hi, 0x103000);
    /* symbols from .symtab: FUNC, OBJECT, NOTYPE; not SECTION, FILE, UNDEF */
    assert_int_equal(f->r.syms.n, 3);
    const struct sym *sym = symtab_lookup(&f->r.syms, 0x100018, &off);
    assert_non_null(sym);
    assert_string_equal(sym->name, "_start");
    assert_int_equal(off, 8);
    sym = symtab_lookup(&f->r.syms, 0x100028, &off);
    assert_string_equal(sym->name, "loop");
    uint64_t a;
    assert_int_equal(symtab_find(&f->r.syms, "counter", &a), 0);
    assert_int_equal(a, 0x101000);
    assert_int_equal(symtab_find(&f->r.syms, "text_section", &a), -VMS_ERR_NOTFOUND);
    assert_int_equal(symtab_find(&f->r.syms, "extern_fn", &a), -VMS_ERR_NOTFOUND);
}

static void test_multiboot_cmdline_and_virtual_entry(void **state)
{
    struct fx *f = *state;
    struct belf e = mb_elf();
    struct load_opts o = { .cmdline = "kernel debug=1" };

    /* A higher-half kernel: linked at 0xC0100000, loaded at 0x100000. */
    e.ph[0].va = 0xC0100000;
    e.ph[1].va = 0xC0101000;
    e.entry = 0xC0100010;
    size_t len = make_mb_elf(f->img, &e, 0x2);
    assert_int_equal(load(f, len, &o), 0);
    assert_int_equal(f->r.cpu.rip, 0x100010);
    check_mbi(f, f->r.cpu.gpr[GPR_RBX], "kernel debug=1");

    /* Arguments follow the image name, as GRUB and QEMU's -append pass
     * them (Xen drops the first word as the image's name). */
    struct load_opts a = { .args = "console=com1 loglvl=all" };
    assert_int_equal(load(f, len, &a), 0);
    check_mbi(f, f->r.cpu.gpr[GPR_RBX], "test.img console=com1 loglvl=all");

    char longcmd[LOADER_CMDLINE_MAX + 1];
    memset(longcmd, 'x', sizeof(longcmd) - 1);
    longcmd[sizeof(longcmd) - 1] = 0;
    o.cmdline = longcmd;
    expect_fail(f, len, &o, -VMS_ERR_INVAL, "command line longer");
    /* the name and the arguments together too long */
    longcmd[LOADER_CMDLINE_MAX - sizeof("test.img")] = 0;
    a.args = longcmd;
    expect_fail(f, len, &a, -VMS_ERR_INVAL, "command line longer");
    longcmd[LOADER_CMDLINE_MAX - sizeof("test.img") - 1] = 0;   /* exactly fits */
    assert_int_equal(load(f, len, &a), 0);
}

/* Multiboot modules (0.6.96 section 3.3, flags bit 3): page-aligned above
 * the kernel, one after another, their 16-byte entries and strings after
 * them; the memory map untouched. */
static void test_multiboot_modules(void **state)
{
    struct fx *f = *state;
    struct belf e = mb_elf();
    uint8_t a[5000], b[1];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)(i * 7);
    b[0] = 0x5A;
    struct loader_module m[3] = {
        { a, sizeof(a), "vmlinuz console=hvc0" }, { b, 1, "initrd" }, { NULL, 0, "" },
    };
    struct load_opts o = { .mods = m, .nmods = 3 };
    size_t len = make_mb_elf(f->img, &e, 0x3);      /* page-aligned modules asked */

    assert_int_equal(load(f, len, &o), 0);
    uint64_t mbi = f->r.cpu.gpr[GPR_RBX];
    assert_int_equal(ram32(f, mbi), (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    assert_int_equal(ram32(f, mbi + 20), 3);
    uint32_t t = ram32(f, mbi + 24);
    /* the kernel ends at 0x103000 (bss included) */
    static const uint32_t want[3][2] = {
        { 0x103000, 0x103000 + 5000 }, { 0x105000, 0x105001 }, { 0x106000, 0x106000 },
    };
    assert_int_equal(t, 0x106000);     /* the empty module takes no room */
    uint32_t str = t + 3 * 16;
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(ram32(f, t + 16 * i), want[i][0]);
        assert_int_equal(ram32(f, t + 16 * i + 4), want[i][1]);
        assert_int_equal(ram32(f, t + 16 * i + 8), str);
        assert_int_equal(ram32(f, t + 16 * i + 12), 0);
        assert_string_equal(ramstr(f, str), m[i].string);
        str += (uint32_t)strlen(m[i].string) + 1;
    }
    assert_memory_equal(gmem_ptr(&f->mem, 0x103000, sizeof(a)), a, sizeof(a));
    assert_int_equal(*(uint8_t *)gmem_ptr(&f->mem, 0x105000, 1), 0x5A);
    /* the rest of the information block as without modules */
    assert_string_equal(ramstr(f, ram32(f, mbi + 16)), "test.img");

    /* too big for RAM, too many, a string too long: one line each */
    struct loader_module big = { a, RAM_SIZE, "big" };
    o = (struct load_opts){ .mods = &big, .nmods = 1 };
    expect_fail(f, len, &o, -VMS_ERR_BADIMAGE, "module 0 (");
    struct loader_module many[LOADER_MAX_MODULES + 1];
    for (unsigned i = 0; i <= LOADER_MAX_MODULES; i++)
        many[i] = (struct loader_module){ b, 1, "m" };
    o = (struct load_opts){ .mods = many, .nmods = LOADER_MAX_MODULES + 1 };
    expect_fail(f, len, &o, -VMS_ERR_BADIMAGE, "at most 16");
    char longs[LOADER_MODULE_STRING_MAX + 1];
    memset(longs, 's', sizeof(longs) - 1);
    longs[sizeof(longs) - 1] = 0;
    struct loader_module lm = { b, 1, longs };
    o = (struct load_opts){ .mods = &lm, .nmods = 1 };
    expect_fail(f, len, &o, -VMS_ERR_BADIMAGE, "string longer");

    /* a boot sector takes no modules */
    memset(f->img, 0, 512);
    f->img[510] = 0x55, f->img[511] = 0xAA;
    o = (struct load_opts){ .mods = m, .nmods = 1 };
    expect_fail(f, 512, &o, -VMS_ERR_BADIMAGE, "modules are for a multiboot or ELF64 kernel");
    /* nor a command line, which it would never see */
    o = (struct load_opts){ .args = "console=com1" };
    expect_fail(f, 512, &o, -VMS_ERR_BADIMAGE, "a command line is for a multiboot or ELF64");
}

static void test_multiboot_aout_kludge(void **state)
{
    struct fx *f = *state;
    /* A non-ELF kernel: header at file offset 0x20, file loaded at 0x100000,
     * 0x300 bytes of file, bss up to 0x101000, entry 0x100040. */
    const uint32_t addr[5] = { 0x100020, 0x100000, 0x100300, 0x101000, 0x100040 };

    memset(f->img, 0, IMG_CAP);
    memset(f->img, 0xAB, 0x400);
    build_mbhdr(f->img + 0x20, 0x10003, addr);
    memset(f->mem.ram + 0x100300, 0xCC, 0xD00);
    assert_int_equal(load(f, 0x400, NULL), 0);
    assert_int_equal(f->r.kind, IMAGE_MULTIBOOT);
    assert_int_equal(f->r.cpu.rip, 0x100040);
    assert_int_equal(memcmp(f->mem.ram + 0x100000, f->img, 0x300), 0);
    assert_int_equal(f->mem.ram[0x100300], 0);
    assert_int_equal(f->mem.ram[0x100FFF], 0);
    assert_int_equal(f->r.hi, 0x101000);

    /* the same header in an ELF32: the address fields win (bit 16) */
    struct belf e = mb_elf();
    make_mb_elf(f->img, &e, 0);
    const uint32_t eaddr[5] = { 0x200000, 0x200000 - 0x1000, 0x200000 + 0x800, 0, 0x200100 };
    build_mbhdr(f->img + 0x1000, 0x10000, eaddr);
    assert_int_equal(load(f, IMG_CAP, NULL), 0);
    assert_int_equal(f->r.cpu.rip, 0x200100);
    assert_int_equal(memcmp(f->mem.ram + 0x1FF000, f->img, 0x1800), 0);

    /* bad address fields */
    const uint32_t bad1[5] = { 0x201000, 0x201020, 0, 0, 0x201040 };  /* load > header */
    build_mbhdr(f->img + 0x1000, 0x10000, bad1);
    expect_fail(f, IMG_CAP, NULL, -VMS_ERR_BADIMAGE, "load_addr");
    const uint32_t bad2[5] = { 0x201000, 0x200000, 0x1FF000, 0, 0x200000 };  /* end < start */
    build_mbhdr(f->img + 0x1000, 0x10000, bad2);
    expect_fail(f, IMG_CAP, NULL, -VMS_ERR_BADIMAGE, "load_end_addr");
    const uint32_t bad3[5] = { 0x201000, 0x200000, 0x200000 + IMG_CAP + 1, 0, 0x200000 };
    build_mbhdr(f->img + 0x1000, 0x10000, bad3);
    expect_fail(f, IMG_CAP, NULL, -VMS_ERR_BADIMAGE, "beyond the end of the file");
    const uint32_t bad4[5] = { 0x201000, 0x200000, 0, 0x200000 + 10, 0x200000 };
    build_mbhdr(f->img + 0x1000, 0x10000, bad4);
    expect_fail(f, IMG_CAP, NULL, -VMS_ERR_BADIMAGE, "bss_end_addr");
    const uint32_t bad5[5] = { 0x201000, 0x200000, 0, 0, 0x50000 };       /* entry outside */
    build_mbhdr(f->img + 0x1000, 0x10000, bad5);
    expect_fail(f, IMG_CAP, NULL, -VMS_ERR_BADIMAGE, "entry point");
    const uint32_t bad6[5] = { 0xFFFFF000, 0xFFFFE000, 0xFFFFF800, 0xFFFFFFFF, 0xFFFFE000 };
    /* header offset smaller than header_addr - load_addr */
    const uint32_t bad7[5] = { 0x201000, 0x100000, 0, 0, 0x201000 };
    build_mbhdr(f->img + 0x1000, 0x10000, bad6);
    expect_fail(f, IMG_CAP, NULL, -VMS_ERR_BADIMAGE, "do not fit in guest RAM");
    build_mbhdr(f->img + 0x1000, 0x10000, bad7);
    expect_fail(f, IMG_CAP, NULL, -VMS_ERR_BADIMAGE, "load_addr");
}

static void test_multiboot_header_errors(void **state)
{
    struct fx *f = *state;
    struct belf e = mb_elf();
    size_t len;

    /* no multiboot header at all */
    len = make_mb_elf(f->img, &e, 0);
    memset(f->img + 0x1000, 0, 12);
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "not a multiboot or x86-64 ELF");
    /* bad checksum */
    len = make_mb_elf(f->img, &e, 0);
    f->img[0x1008] ^= 1;
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "checksum");
    /* header beyond the first 8 KiB is not seen */
    len = make_mb_elf(f->img, &e, 0);
    memset(f->img + 0x1000, 0, 12);
    build_mbhdr(f->img + 0x2000, 0, NULL);
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "not a multiboot or x86-64 ELF");
    /* a misaligned header is not seen */
    len = make_mb_elf(f->img, &e, 0);
    memset(f->img + 0x1000, 0, 12);
    build_mbhdr(f->img + 0x1002, 0, NULL);
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "not a multiboot or x86-64 ELF");
    /* required features we cannot honour (bits 2-15) */
    len = make_mb_elf(f->img, &e, 0x4);
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "video mode");
    len = make_mb_elf(f->img, &e, 0x100);
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "flags 0x00000100");
    /* optional unknown bits (17-31) are ignored */
    len = make_mb_elf(f->img, &e, 0x80000003u);
    assert_int_equal(load(f, len, NULL), 0);
    /* a multiboot ELF for another machine */
    e.machine = 40; /* ARM */
    len = make_mb_elf(f->img, &e, 0);
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "not for i386");
    /* non-ELF without address fields */
    memset(f->img, 0, IMG_CAP);
    build_mbhdr(f->img + 0x40, 0, NULL);
    expect_fail(f, 0x400, NULL, -VMS_ERR_BADIMAGE, "flags bit 16");
}

static void test_multiboot_segment_errors(void **state)
{
    struct fx *f = *state;
    struct belf e;

    e = mb_elf(); e.ph[1].pa = 0x100800;                    /* overlap */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "overlap");
    e = mb_elf(); e.ph[1].memsz = 0xFFFFFFFF;               /* huge */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "guest RAM");
    e = mb_elf(); e.ph[1].pa = 0xFFFFF000; e.ph[1].memsz = 0x2000; /* wraps in 32 bits */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "guest RAM");
    e = mb_elf(); e.ph[1].filesz = 0x3000;                   /* filesz > memsz */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "exceeds memory size");
    e = mb_elf(); e.ph[1].off = IMG_CAP - 0x10;              /* data past EOF */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "beyond the end");
    e = mb_elf(); e.ph[1].off = 0xFFFFFFF0;                  /* offset + size overflows */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "beyond the end");
    e = mb_elf(); e.entry = 0x5000000;                       /* entry not in a segment */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "entry point");
    e = mb_elf(); e.entry = 0xF0000000;                      /* entry outside RAM */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "entry point");
    e = mb_elf(); e.ph[1].pa = MM_BOOTINFO_BASE + 0x800;     /* onto the boot info */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE,
                "boot information area");
    e = mb_elf(); e.ph[1].pa = MM_BOOTINFO_BASE - 0x100;     /* straddles its start */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE,
                "boot information area");
    e = mb_elf(); e.ph[1].pa = 0xB8000;                      /* VGA hole */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "hole");
    e = mb_elf(); e.ph[0].pa = RAM_SIZE - 0x800;             /* end beyond RAM */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "guest RAM");
    e = mb_elf(); e.ph[0].type = 6; e.ph[1].type = 4;        /* nothing to load */
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "no loadable");
}

/* Guest memory is not touched when a load is refused. */
static void test_refused_load_writes_nothing(void **state)
{
    struct fx *f = *state;
    struct belf e = mb_elf();

    e.ph[1].pa = 0x100800;
    expect_fail(f, make_mb_elf(f->img, &e, 0), NULL, -VMS_ERR_BADIMAGE, "overlap");
    for (uint64_t pa = 0x100000; pa < 0x103000; pa++)
        assert_int_equal(f->mem.ram[pa], 0);
    for (uint64_t pa = MM_BOOTINFO_BASE; pa < MM_BOOTINFO_BASE + MM_BOOTINFO_SIZE; pa++)
        assert_int_equal(f->mem.ram[pa], 0);
}

/* ---------------------------------------------------------------------
 * ELF header and table errors (both classes)
 */

static void test_elf_header_errors(void **state)
{
    struct fx *f = *state;
    struct belf e = mb_elf();
    size_t len = make_mb_elf(f->img, &e, 0);

    f->img[4] = 3;
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "unknown ELF class");
    make_mb_elf(f->img, &e, 0);
    f->img[5] = 2;
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "little-endian");
    make_mb_elf(f->img, &e, 0);
    expect_fail(f, 40, NULL, -VMS_ERR_BADIMAGE, "truncated ELF header");
    make_mb_elf(f->img, &e, 0);
    put32(f->img + 28, IMG_CAP - 0x20);                      /* phoff near EOF */
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "program header table");
    make_mb_elf(f->img, &e, 0);
    put32(f->img + 28, 0xFFFFFFF0);                          /* phoff outside */
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "program header table");
    make_mb_elf(f->img, &e, 0);
    put16(f->img + 44, 0xFFFF);                              /* phnum huge */
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "too many program headers");
    make_mb_elf(f->img, &e, 0);
    put16(f->img + 42, 8);                                   /* phentsize too small */
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "entry size");
    make_mb_elf(f->img, &e, 0);
    put32(f->img + 32, 0xFFFFFF00);                          /* shoff outside */
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "section header table");
    make_mb_elf(f->img, &e, 0);
    put32(f->img + SYM_OFF + 40 + 16, 0xFFFFFFF0);          /* symtab outside */
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "symbol or string table");
    make_mb_elf(f->img, &e, 0);
    put32(f->img + SYM_OFF + 40 + 24, 7);                    /* sh_link outside */
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "missing string table");
    make_mb_elf(f->img, &e, 0);
    put32(f->img + SYM_OFF + 0x100 + 16, 0x7FFFFFFF);       /* st_name outside */
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "symbol name");
}

/* Every prefix of a valid image is refused cleanly or loads. */
static void test_truncated_everywhere(void **state)
{
    struct fx *f = *state;
    struct belf e = mb_elf();
    size_t len = make_mb_elf(f->img, &e, 0);
    uint8_t *copy = malloc(len);

    for (size_t n = 0; n < len; n += (n < 0x100 ? 1 : 0x3F)) {
        memcpy(copy, f->img, n);    /* exact-length buffer: ASan sees overreads */
        load_result_fini(&f->r);
        int r = loader_load_buf(&f->mem, "test.img", copy, n, NULL, &f->r);
        if (n < 0x2100)
            assert_int_equal(r, -VMS_ERR_BADIMAGE);
    }
    free(copy);
    e = elf64_ref();
    len = make_elf64(f->img, &e);
    copy = malloc(len);
    for (size_t n = 0; n < 0x1100; n += (n < 0x100 ? 1 : 0x3F)) {
        memcpy(copy, f->img, n);
        load_result_fini(&f->r);
        assert_int_equal(loader_load_buf(&f->mem, "test.img", copy, n, NULL, &f->r),
                         -VMS_ERR_BADIMAGE);
    }
    free(copy);
}

/* Random corruption of valid images: never a crash, only 0 or an error. */
static void test_fuzz_corruption(void **state)
{
    struct fx *f = *state;
    uint8_t orig[IMG_CAP];
    uint32_t seed = 12345;
    unsigned loaded = 0, refused = 0;

    for (int round = 0; round < 3000; round++) {
        struct belf e = round % 2 ? mb_elf() : elf64_ref();
        size_t len = round % 2 ? make_mb_elf(f->img, &e, 0) : make_elf64(f->img, &e);
        memcpy(orig, f->img, len);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (round % 3 ? 0x100 : len);
            f->img[at] = (uint8_t)(seed >> 24);
        }
        int r = load(f, len, NULL);
        assert_true(r == 0 || r == -VMS_ERR_BADIMAGE || r == -VMS_ERR_INVAL);
        r == 0 ? loaded++ : refused++;
    }
    assert_true(loaded > 0 && refused > 0);
}

/* ---------------------------------------------------------------------
 * ELF64
 */

static void test_elf64(void **state)
{
    struct fx *f = *state;
    struct belf e = elf64_ref();
    size_t len = make_elf64(f->img, &e);
    const struct cpu_state *s = &f->r.cpu;

    assert_int_equal(load(f, len, NULL), 0);
    assert_int_equal(f->r.kind, IMAGE_ELF64);
    assert_string_equal(f->r.desc, "ELF64, entry 0x200000, 1 segment");
    assert_int_equal(x86_mode_of(s), MODE_LONG64);
    assert_int_equal(s->rip, 0x200000);
    assert_int_equal(s->cr0, CR0_PG | CR0_WP | CR0_ET | CR0_PE);
    assert_int_equal(s->cr4, CR4_PAE);
    assert_int_equal(s->efer, EFER_LME | EFER_LMA);
    assert_int_equal(s->cr3, LOADER_PML4_ADDR);
    assert_int_equal(s->rflags, 0x2);
    assert_int_equal(s->gpr[GPR_RSP], LOADER_STACK_TOP);
    assert_int_equal(s->gpr[GPR_RDI], LOADER_MBI_ADDR);
    const struct x86_segment *cs = &s->seg[SEG_CS];
    assert_int_equal(cs->selector, LOADER_SEL_CODE64);
    assert_true(cs->l && !cs->db && cs->present && cs->s);
    check_seg_vs_gdt(f, SEG_CS);
    check_flat_data(f);
    assert_int_equal(s->seg[SEG_TR].type, SYSTYPE_TSS_BUSY);
    check_mbi(f, s->gpr[GPR_RDI], "test.img");
    /* identity map: walk a few addresses through the tables */
    const uint64_t probe[] = { 0, 0x200000, 0x3FFFFFFF, 0x40000000, 0xFEE00000, 0xFFFFFFFF };
    for (unsigned i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
        uint64_t va = probe[i];
        uint64_t pml4e = ram64(f, s->cr3 + 8 * ((va >> 39) & 511));
        assert_int_equal(pml4e & 3, 3);
        uint64_t pdpte = ram64(f, (pml4e & ~0xFFFull) + 8 * ((va >> 30) & 511));
        assert_int_equal(pdpte & 0x83, 3);
        uint64_t pde = ram64(f, (pdpte & ~0xFFFull) + 8 * ((va >> 21) & 511));
        assert_int_equal(pde & 0x83, 0x83);
        assert_int_equal((pde & ~0x1FFFFFull & 0xFFFFFFFFFull) | (va & 0x1FFFFF), va);
    }
    assert_int_equal(ram64(f, s->cr3 + 8), 0);       /* nothing above 512 GiB */
    assert_int_equal(ram64(f, LOADER_PDPT_ADDR + 8 * 4), 0); /* nothing above 4 GiB */
    assert_int_equal(f->mem.ram[0x2000FF], 0xF4);
    assert_int_equal(f->mem.ram[0x200100], 0);
    assert_int_equal(f->r.syms.n, 3);
}

static void test_elf64_errors(void **state)
{
    struct fx *f = *state;
    struct belf e;

    e = elf64_ref(); e.machine = 183; /* AArch64 */
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE,
                "not a multiboot or x86-64 ELF");
    e = elf64_ref(); e.type = 3; /* ET_DYN */
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE, "not an executable");
    e = elf64_ref(); e.ph[0].memsz = UINT64_MAX - 0x100;
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE, "guest RAM");
    e = elf64_ref(); e.ph[0].pa = UINT64_MAX - 0x80;      /* pa + memsz wraps */
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE, "guest RAM");
    e = elf64_ref(); e.ph[0].off = UINT64_MAX - 0x10;     /* off + filesz wraps */
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE, "beyond the end");
    e = elf64_ref(); e.ph[0].filesz = UINT64_MAX;
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE, "exceeds memory size");
    e = elf64_ref(); e.entry = 0x1200000000ull;
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE, "entry point");
    e = elf64_ref(); e.nph = 2;
    e.ph[1] = (struct bph){ ELF_PT_LOAD, 0x1000, 0x200080, 0x200080, 0x10, 0x10 };
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE, "overlap");
    e = elf64_ref(); e.ph[0].pa = LOADER_PML4_ADDR;
    expect_fail(f, make_elf64(f->img, &e), NULL, -VMS_ERR_BADIMAGE, "boot information");
    /* phoff + phnum * phentsize past the end of the file */
    e = elf64_ref();
    size_t len = make_elf64(f->img, &e);
    put64(f->img + 32, len - 56 + 1);
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "program header table");
    make_elf64(f->img, &e);
    put64(f->img + 32, UINT64_MAX - 8);
    expect_fail(f, len, NULL, -VMS_ERR_BADIMAGE, "program header table");
}

/* A higher-half ELF64 (linked at -2 GiB, loaded at 2 MiB) enters at the
 * physical alias of e_entry, which the identity map covers. */
static void test_elf64_higher_half(void **state)
{
    struct fx *f = *state;
    struct belf e = elf64_ref();

    e.ph[0].va = 0xFFFFFFFF80200000ull;
    e.entry = 0xFFFFFFFF80200040ull;
    assert_int_equal(load(f, make_elf64(f->img, &e), NULL), 0);
    assert_int_equal(f->r.cpu.rip, 0x200040);
    assert_int_equal(f->r.entry, 0x200040);
}

static void test_small_ram(void **state)
{
    (void)state;
    struct gmem m;
    struct load_result r;
    static uint8_t img[IMG_CAP];
    struct belf e = mb_elf();

    assert_int_equal(gmem_init(&m, 0x80000), 0);      /* 512 KiB */
    make_mb_elf(img, &e, 0);
    assert_int_equal(loader_load_buf(&m, "small", img, IMG_CAP, NULL, &r), -VMS_ERR_INVAL);
    assert_non_null(strstr(vms_lasterr(-VMS_ERR_INVAL), "too small"));
    make_boot_sector(img, 512);
    assert_int_equal(loader_load_buf(&m, "small", img, 512, NULL, &r), 0);
    load_result_fini(&r);
    gmem_fini(&m);
}

/* ---------------------------------------------------------------------
 * Files and sibling symbol files
 */

static void test_sym_path(void **state)
{
    (void)state;
    char b[64];

    assert_int_equal(loader_sym_path("dir/boot.bin", b, sizeof(b)), 0);
    assert_string_equal(b, "dir/boot.sym");
    assert_int_equal(loader_sym_path("disk.img", b, sizeof(b)), 0);
    assert_string_equal(b, "disk.sym");
    assert_int_equal(loader_sym_path("a.d/kernel", b, sizeof(b)), 0);
    assert_string_equal(b, "a.d/kernel.sym");
    assert_int_equal(loader_sym_path(".hidden", b, sizeof(b)), 0);
    assert_string_equal(b, ".hidden.sym");
    assert_int_equal(loader_sym_path("x.tar.gz", b, sizeof(b)), 0);
    assert_string_equal(b, "x.tar.sym");
    assert_int_equal(loader_sym_path("long-name.img", b, 8), -VMS_ERR_RANGE);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void test_load_file_with_sym(void **state)
{
    struct fx *f = *state;
    char dir[] = "/tmp/vms-loader-XXXXXX", img[64], sym[64];
    const char nm[] = "00007c00 T start\n00007c10 t print\n         U undefined\n"
                      "00007c40 d message\n";
    uint64_t off;

    assert_non_null(mkdtemp(dir));
    snprintf(img, sizeof(img), "%s/boot.bin", dir);
    snprintf(sym, sizeof(sym), "%s/boot.sym", dir);
    write_file(img, f->img, make_boot_sector(f->img, 512));
    assert_int_equal(loader_load(&f->mem, img, NULL, &f->r), 0);
    assert_int_equal(f->r.syms.n, 0);
    load_result_fini(&f->r);
    write_file(sym, nm, sizeof(nm) - 1);
    assert_int_equal(loader_load(&f->mem, img, NULL, &f->r), 0);
    assert_int_equal(f->r.syms.n, 3);
    const struct sym *s = symtab_lookup(&f->r.syms, 0x7C12, &off);
    assert_non_null(s);
    assert_string_equal(s->name, "print");
    assert_int_equal(off, 2);
    load_result_fini(&f->r);

    /* errors name the file */
    char missing[80];
    snprintf(missing, sizeof(missing), "%s/missing.img", dir);
    assert_int_equal(loader_load(&f->mem, missing, NULL, &f->r), -VMS_ERR_IO);
    assert_non_null(strstr(vms_lasterr(-VMS_ERR_IO), missing));
    write_file(img, "junk", 4);
    assert_int_equal(loader_load(&f->mem, img, NULL, &f->r), -VMS_ERR_BADIMAGE);
    assert_int_equal(strncmp(vms_lasterr(-VMS_ERR_BADIMAGE), img, strlen(img)), 0);
    unlink(img);
    unlink(sym);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_boot_sector),
        T(test_disk_image_loads_sector0_only),
        T(test_boot_sector_bad),
        T(test_flat_real),
        T(test_flat32),
        T(test_multiboot_elf),
        T(test_multiboot_cmdline_and_virtual_entry),
        T(test_multiboot_modules),
        T(test_multiboot_aout_kludge),
        T(test_multiboot_header_errors),
        T(test_multiboot_segment_errors),
        T(test_refused_load_writes_nothing),
        T(test_elf_header_errors),
        T(test_truncated_everywhere),
        T(test_fuzz_corruption),
        T(test_elf64),
        T(test_elf64_errors),
        T(test_elf64_higher_half),
        T(test_small_ram),
        T(test_sym_path),
        T(test_load_file_with_sym),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
