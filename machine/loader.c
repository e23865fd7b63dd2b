/* loader.c - boot sectors, flat binaries, multiboot v1 and x86-64 ELF.
 *
 * Every image goes through the same three steps: parse and check
 * everything (no guest write yet), then copy the segments and write the
 * boot information, then build the entry state.  Entry states are in
 * loader.h and docs/LOADERS.md.
 */
#include "loader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf.h"

#define SECTOR_SIZE 512u
#define GIB4 0x100000000ull

/* ---- multiboot v1 (Multiboot Specification 0.6.96) ---- */
#define MB_SEARCH_LEN      8192u        /* 3.1.1: header within 8 KiB, 4-aligned */
#define MB_HDR_MIN         12u          /* magic, flags, checksum */
#define MB_HDR_ADDR_END    32u          /* + the five address fields */
#define MB_FLAG_PAGE_ALIGN (1u << 0)    /* 3.1.2: align modules (we load none) */
#define MB_FLAG_MEMINFO    (1u << 1)    /* 3.1.2: mem_* fields wanted */
#define MB_FLAG_REQUIRED   0x0000FFFFu  /* bits 0-15: refuse what we cannot do */
#define MB_FLAG_ADDR       (1u << 16)   /* 3.1.3: address fields are valid */

/* Boot information (3.3): flag bits and field offsets. */
#define MBI_FLAG_MEM       (1u << 0)    /* mem_lower, mem_upper */
#define MBI_FLAG_CMDLINE   (1u << 2)
#define MBI_FLAG_MODS      (1u << 3)    /* mods_count, mods_addr */
#define MBI_FLAG_MMAP      (1u << 6)
#define MBI_FLAG_LOADER    (1u << 9)    /* boot_loader_name */
#define MBI_OFF_FLAGS      0u
#define MBI_OFF_MEM_LOWER  4u
#define MBI_OFF_MEM_UPPER  8u
#define MBI_OFF_CMDLINE    16u
#define MBI_OFF_MODS_COUNT 20u
#define MBI_OFF_MODS_ADDR  24u
#define MOD_ENTRY_SIZE     16u          /* mod_start, mod_end, string, reserved */
#define MBI_OFF_MMAP_LEN   44u
#define MBI_OFF_MMAP_ADDR  48u
#define MBI_OFF_LOADER     64u
#define MBI_SIZE           88u          /* up to the VBE fields */
#define MMAP_ENTRY_SIZE    24u          /* size field + 20 bytes */
#define MMAP_ENTRY_BODY    20u          /* value of the size field */
#define MMAP_AVAILABLE     1u
#define MMAP_RESERVED      2u
#define MMAP_MAX_ENTRIES   4u

/* ---- x86-64 paging entries (SDM Vol. 3A 4.5) ---- */
#define PTE_P  (1ull << 0)   /* present */
#define PTE_RW (1ull << 1)   /* writable */
#define PTE_PS (1ull << 7)   /* maps a 2 MiB page (in a PD entry) */
#define PAGE_2M (2ull << 20)

/* The address ranges no segment may touch. */
#define HOLE_BASE MM_EBDA_BASE   /* EBDA, VGA, option ROMs, BIOS */
#define HOLE_END  MM_HIGH_RAM

static const char loader_name[] = "vmscope";

/* A segment to copy: file bytes [off, off+filesz) to guest-physical pa,
 * zero-filled up to memsz; va is where it is linked. */
struct seg {
    uint64_t off, filesz, memsz, pa, va;
};

/* One load in progress. */
struct ld {
    struct gmem *mem;
    const char *name;
    const uint8_t *buf;
    size_t len;
    const struct load_opts *opts;
    struct load_result *out;
    struct seg seg[ELF_MAX_PHNUM];
    unsigned nseg;
    char cmd[LOADER_CMDLINE_MAX];  /* the command line put together */
    uint64_t mod_pa[LOADER_MAX_MODULES];
    uint64_t mod_table;            /* the module entries, then their strings */
};

static int bad(const struct ld *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(const struct ld *ld, const char *fmt, ...)
{
    char why[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return vms_seterr(VMS_ERR_BADIMAGE, "%s: %s", ld->name, why);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* [a, a+alen) and [b, b+blen) overlap (both already known to lie in RAM,
 * so the sums cannot overflow). */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

const char *image_kind_name(enum image_kind k)
{
    static const char *const names[] = {
        [IMAGE_NONE] = "none", [IMAGE_BOOTSECTOR] = "bootsector",
        [IMAGE_FLAT] = "flat", [IMAGE_MULTIBOOT] = "multiboot",
        [IMAGE_ELF64] = "elf64",
    };
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void load_result_fini(struct load_result *r)
{
    if (r)
        symtab_fini(&r->syms);
}

/* ---------------------------------------------------------------------
 * Segment checks: everything about a segment is checked before any byte
 * of guest RAM is written.
 */

static int seg_check_one(const struct ld *ld, unsigned i, bool below4g)
{
    const struct seg *s = &ld->seg[i];

    if (s->filesz > s->memsz)
        return bad(ld, "segment %u: file size 0x%llx exceeds memory size 0x%llx", i,
                   (unsigned long long)s->filesz, (unsigned long long)s->memsz);
    if (s->off > ld->len || s->filesz > ld->len - s->off)
        return bad(ld, "segment %u: data at file offset 0x%llx+0x%llx lies beyond "
                   "the end of the file (%zu bytes; truncated?)", i,
                   (unsigned long long)s->off, (unsigned long long)s->filesz, ld->len);
    if (!gmem_ok(ld->mem, s->pa, s->memsz))
        return bad(ld, "segment %u: 0x%llx bytes at 0x%llx do not fit in guest RAM "
                   "(%llu MiB)", i, (unsigned long long)s->memsz,
                   (unsigned long long)s->pa, (unsigned long long)(ld->mem->size >> 20));
    if (below4g && s->pa + s->memsz > GIB4)
        return bad(ld, "segment %u at 0x%llx lies above the 4 GiB identity map", i,
                   (unsigned long long)s->pa);
    if (overlaps(s->pa, s->memsz, MM_BOOTINFO_BASE, MM_BOOTINFO_SIZE))
        return bad(ld, "segment %u [0x%llx, 0x%llx) overlaps the boot information "
                   "area [0x%x, 0x%x)", i, (unsigned long long)s->pa,
                   (unsigned long long)(s->pa + s->memsz), MM_BOOTINFO_BASE,
                   MM_BOOTINFO_BASE + MM_BOOTINFO_SIZE);
    if (overlaps(s->pa, s->memsz, HOLE_BASE, HOLE_END - HOLE_BASE))
        return bad(ld, "segment %u [0x%llx, 0x%llx) overlaps the EBDA/VGA/BIOS hole "
                   "[0x%x, 0x%x)", i, (unsigned long long)s->pa,
                   (unsigned long long)(s->pa + s->memsz), HOLE_BASE, HOLE_END);
    return 0;
}

static int seg_check_all(const struct ld *ld, bool below4g)
{
    int err;

    if (ld->nseg == 0)
        return bad(ld, "no loadable segments");
    for (unsigned i = 0; i < ld->nseg; i++)
        if ((err = seg_check_one(ld, i, below4g)) < 0)
            return err;
    for (unsigned i = 0; i < ld->nseg; i++)
        for (unsigned j = i + 1; j < ld->nseg; j++)
            if (overlaps(ld->seg[i].pa, ld->seg[i].memsz, ld->seg[j].pa,
                         ld->seg[j].memsz))
                return bad(ld, "segments %u and %u overlap in physical memory", i, j);
    return 0;
}

/* Translate entry address @e (linked, virtual) to the guest-physical address
 * through the segment containing it; an address that is already inside a
 * segment's physical range is taken as it is. */
static int seg_entry(const struct ld *ld, uint64_t e, uint64_t *pa)
{
    for (unsigned i = 0; i < ld->nseg; i++) {
        const struct seg *s = &ld->seg[i];
        if (e >= s->va && e - s->va < s->memsz) {
            *pa = s->pa + (e - s->va);
            return 0;
        }
    }
    for (unsigned i = 0; i < ld->nseg; i++) {
        const struct seg *s = &ld->seg[i];
        if (e >= s->pa && e - s->pa < s->memsz) {
            *pa = e;
            return 0;
        }
    }
    return bad(ld, "entry point 0x%llx lies outside every loaded segment",
               (unsigned long long)e);
}

/* Copy the checked segments and zero their bss; record the span. */
static void seg_copy_all(struct ld *ld)
{
    uint64_t lo = UINT64_MAX, hi = 0;

    for (unsigned i = 0; i < ld->nseg; i++) {
        const struct seg *s = &ld->seg[i];
        uint8_t *dst = gmem_ptr(ld->mem, s->pa, s->memsz); /* checked */
        if (!dst || !s->memsz)
            continue;
        memcpy(dst, ld->buf + s->off, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
        lo = s->pa < lo ? s->pa : lo;
        hi = s->pa + s->memsz > hi ? s->pa + s->memsz : hi;
    }
    ld->out->lo = lo == UINT64_MAX ? 0 : lo;
    ld->out->hi = hi;
    ld->out->nsegs = ld->nseg;
}

/* ---------------------------------------------------------------------
 * Segment registers and the GDT we write.  The hidden parts loaded into
 * the CPU are exactly what x86_desc_decode() makes of the descriptors in
 * guest memory (accessed bit already set, so the CPU never writes them).
 */

static struct x86_segment seg_flat(uint16_t sel, uint8_t type, bool l)
{
    return (struct x86_segment){
        .selector = sel, .base = 0, .limit = 0xFFFFFFFFu, .type = type,
        .s = 1, .dpl = 0, .present = 1, .l = l, .db = !l, .g = 1,
    };
}

#define TYPE_CODE_RX (SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED)
#define TYPE_DATA_RW (SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED)

static struct x86_segment gdt_entry(unsigned sel)
{
    switch (sel) {
    case LOADER_SEL_CODE32: return seg_flat(LOADER_SEL_CODE32, TYPE_CODE_RX, false);
    case LOADER_SEL_DATA:   return seg_flat(LOADER_SEL_DATA, TYPE_DATA_RW, false);
    case LOADER_SEL_CODE64: return seg_flat(LOADER_SEL_CODE64, TYPE_CODE_RX, true);
    default:                return (struct x86_segment){ 0 };
    }
}

static void gdt_write(struct gmem *mem)
{
    uint8_t *gdt = gmem_ptr(mem, LOADER_GDT_ADDR, LOADER_GDT_ENTRIES * 8);

    for (unsigned i = 0; i < LOADER_GDT_ENTRIES; i++) {
        struct x86_segment s = gdt_entry(i * 8);
        wr64(gdt + i * 8, i ? x86_desc_encode(&s) : 0);
    }
}

/* Protected-mode state shared by flat32, multiboot and elf64. */
static void state_flat_pm(struct cpu_state *s, uint16_t cs_sel)
{
    x86_reset_state(s, 0, 0);
    s->seg[SEG_CS] = gdt_entry(cs_sel);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        if (i != SEG_CS)
            s->seg[i] = gdt_entry(LOADER_SEL_DATA);
    s->seg[SEG_TR].type = SYSTYPE_TSS_BUSY;   /* what QEMU shows; KVM needs it
                                                 in long mode */
    s->gdt = (struct x86_dtable){ LOADER_GDT_ADDR, LOADER_GDT_ENTRIES * 8 - 1 };
    s->idt = (struct x86_dtable){ 0, 0x3FF };  /* as the BIOS left it */
    s->cr0 = CR0_PE | CR0_ET;
    s->rflags = RFLAGS_FIXED;
}

/* ---------------------------------------------------------------------
 * Multiboot information (Multiboot 0.6.96 section 3.3), also handed to
 * elf64 kernels.
 */

static uint32_t mmap_build(uint64_t ram, uint8_t *out)
{
    uint64_t low_end = ram < MM_LOW_RAM_END ? ram : MM_LOW_RAM_END;
    const uint64_t ent[MMAP_MAX_ENTRIES][3] = {
        { 0, low_end, MMAP_AVAILABLE },
        { MM_EBDA_BASE, 0xA0000u - MM_EBDA_BASE, MMAP_RESERVED },
        { 0xF0000u, MM_BIOS_END - 0xF0000u, MMAP_RESERVED },
        { MM_HIGH_RAM, ram > MM_HIGH_RAM ? ram - MM_HIGH_RAM : 0, MMAP_AVAILABLE },
    };
    uint32_t n = 0;

    for (unsigned i = 0; i < MMAP_MAX_ENTRIES; i++) {
        if (ent[i][1] == 0)
            continue;
        uint8_t *e = out + n * MMAP_ENTRY_SIZE;
        wr32(e, MMAP_ENTRY_BODY);
        wr64(e + 4, ent[i][0]);
        wr64(e + 12, ent[i][1]);
        wr32(e + 20, (uint32_t)ent[i][2]);
        n++;
    }
    return n * MMAP_ENTRY_SIZE;
}

/* The command line, checked before anything is written: opts->cmdline
 * as it is, else the image name followed by opts->args (a loader's
 * convention, GRUB's "multiboot FILE ARGS" and QEMU's -append: kernels
 * such as Xen drop the first word as the image name). */
static int mbi_cmdline(struct ld *ld, const char **cmd)
{
    const struct load_opts *o = ld->opts;
    int n;

    if (o && o->cmdline)
        n = snprintf(ld->cmd, sizeof(ld->cmd), "%s", o->cmdline);
    else if (o && o->args)
        n = snprintf(ld->cmd, sizeof(ld->cmd), "%s %s", ld->name, o->args);
    else
        n = snprintf(ld->cmd, sizeof(ld->cmd), "%s", ld->name);
    if (n < 0 || (size_t)n >= sizeof(ld->cmd))
        return vms_seterr(VMS_ERR_INVAL, "%s: command line longer than %u bytes",
                          ld->name, LOADER_CMDLINE_MAX - 1);
    *cmd = ld->cmd;
    return 0;
}

/* Zero the boot information area, then write GDT, info, map, name, cmdline. */
static void bootinfo_write(struct ld *ld, const char *cmd)
{
    uint64_t ram = ld->mem->size;
    uint8_t *area = gmem_ptr(ld->mem, MM_BOOTINFO_BASE, MM_BOOTINFO_SIZE);
    uint8_t *mbi = area + (LOADER_MBI_ADDR - MM_BOOTINFO_BASE);
    uint64_t low = ram < MM_LOW_RAM_END ? ram : MM_LOW_RAM_END;
    uint64_t upper = ram > MM_HIGH_RAM ? (ram - MM_HIGH_RAM) >> 10 : 0;

    memset(area, 0, MM_BOOTINFO_SIZE);
    gdt_write(ld->mem);
    uint32_t mlen = mmap_build(ram, area + (LOADER_MMAP_ADDR - MM_BOOTINFO_BASE));
    memcpy(area + (LOADER_NAME_ADDR - MM_BOOTINFO_BASE), loader_name, sizeof(loader_name));
    memcpy(area + (LOADER_CMDLINE_ADDR - MM_BOOTINFO_BASE), cmd, strlen(cmd) + 1);
    wr32(mbi + MBI_OFF_FLAGS, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MMAP |
                              MBI_FLAG_LOADER);
    wr32(mbi + MBI_OFF_MEM_LOWER, (uint32_t)(low >> 10));
    wr32(mbi + MBI_OFF_MEM_UPPER, upper > UINT32_MAX ? UINT32_MAX : (uint32_t)upper);
    wr32(mbi + MBI_OFF_CMDLINE, LOADER_CMDLINE_ADDR);
    wr32(mbi + MBI_OFF_MMAP_LEN, mlen);
    wr32(mbi + MBI_OFF_MMAP_ADDR, LOADER_MMAP_ADDR);
    wr32(mbi + MBI_OFF_LOADER, LOADER_NAME_ADDR);
    if (ld->opts && ld->opts->nmods) {
        wr32(mbi + MBI_OFF_FLAGS, rd32(mbi + MBI_OFF_FLAGS) | MBI_FLAG_MODS);
        wr32(mbi + MBI_OFF_MODS_COUNT, ld->opts->nmods);
        wr32(mbi + MBI_OFF_MODS_ADDR, (uint32_t)ld->mod_table);
    }
    ld->out->bootinfo = LOADER_MBI_ADDR;
}

/* ---------------------------------------------------------------------
 * Multiboot modules
 */

#define PAGE 0x1000u
static uint64_t page_up(uint64_t a) { return (a + PAGE - 1) & ~(uint64_t)(PAGE - 1); }

/* Where each module goes: page-aligned (the multiboot header's bit 0 asks
 * for it, and it costs nothing otherwise), one after another above the
 * highest byte of the kernel, then a page with the entries and the
 * strings.  All below 4 GiB (the entries are 32-bit) and inside RAM. */
static int mods_place(struct ld *ld)
{
    const struct load_opts *o = ld->opts;
    uint64_t at = MM_HIGH_RAM, strings = 0;

    if (!o || !o->nmods)
        return 0;
    if (o->nmods > LOADER_MAX_MODULES)
        return bad(ld, "%u modules: at most %u", o->nmods, LOADER_MAX_MODULES);
    for (unsigned i = 0; i < ld->nseg; i++)
        if (ld->seg[i].pa + ld->seg[i].memsz > at)
            at = ld->seg[i].pa + ld->seg[i].memsz;
    for (unsigned i = 0; i < o->nmods; i++) {
        size_t n = strnlen(o->mods[i].string, LOADER_MODULE_STRING_MAX);
        if (n == LOADER_MODULE_STRING_MAX)
            return bad(ld, "module %u: string longer than %u bytes", i,
                       LOADER_MODULE_STRING_MAX - 1);
        strings += n + 1;
        ld->mod_pa[i] = page_up(at);
        at = ld->mod_pa[i] + o->mods[i].len;
        if (at > GIB4 || !gmem_ok(ld->mem, ld->mod_pa[i], o->mods[i].len))
            return bad(ld, "module %u (%zu bytes) does not fit in guest RAM below 4 GiB "
                       "above the kernel (%llu MiB of RAM)", i, o->mods[i].len,
                       (unsigned long long)(ld->mem->size >> 20));
    }
    ld->mod_table = page_up(at);
    uint64_t tlen = o->nmods * MOD_ENTRY_SIZE + strings;
    if (ld->mod_table + tlen > GIB4 || !gmem_ok(ld->mem, ld->mod_table, tlen))
        return bad(ld, "the module table does not fit in guest RAM below 4 GiB");
    return 0;
}

static void mods_write(struct ld *ld)
{
    const struct load_opts *o = ld->opts;

    if (!o || !o->nmods)
        return;
    uint64_t str = ld->mod_table + o->nmods * MOD_ENTRY_SIZE;
    for (unsigned i = 0; i < o->nmods; i++) {
        const struct loader_module *m = &o->mods[i];
        size_t n = strlen(m->string) + 1;
        uint8_t *e = gmem_ptr(ld->mem, ld->mod_table + i * MOD_ENTRY_SIZE, MOD_ENTRY_SIZE);
        if (m->len)
            memcpy(gmem_ptr(ld->mem, ld->mod_pa[i], m->len), m->buf, m->len);
        memcpy(gmem_ptr(ld->mem, str, n), m->string, n);
        wr32(e + 0, (uint32_t)ld->mod_pa[i]);
        wr32(e + 4, (uint32_t)(ld->mod_pa[i] + m->len));
        wr32(e + 8, (uint32_t)str);
        wr32(e + 12, 0);
        str += n;
    }
}

int loader_module_read(const char *spec, struct loader_module *m)
{
    char path[4096];
    size_t plen = strcspn(spec, " \t");

    memset(m, 0, sizeof(*m));
    m->string = spec;
    if (plen == 0 || plen >= sizeof(path))
        return vms_seterr(VMS_ERR_INVAL, "module '%.64s': no file name", spec);
    if (strlen(spec) >= LOADER_MODULE_STRING_MAX)
        return vms_seterr(VMS_ERR_INVAL, "module '%.64s...': string longer than %u bytes",
                          spec, LOADER_MODULE_STRING_MAX - 1);
    memcpy(path, spec, plen);
    path[plen] = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return vms_seterr(VMS_ERR_IO, "%s: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || (unsigned long)size > (1ul << 30) || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return vms_seterr(VMS_ERR_INVAL, "%s: not a regular file of at most 1 GiB", path);
    }
    m->len = (size_t)size;
    m->buf = malloc(m->len ? m->len : 1);
    if (!m->buf || fread(m->buf, 1, m->len, f) != m->len) {
        int e = errno;
        fclose(f);
        loader_module_fini(m);
        return vms_seterr(m->buf ? VMS_ERR_IO : VMS_ERR_NOMEM, "%s: cannot read: %s", path,
                          strerror(e ? e : EIO));
    }
    fclose(f);
    return 0;
}

int loader_load_modules(struct gmem *mem, const char *path, const struct load_opts *opts,
                        const char *const *specs, unsigned nspecs, struct load_result *out)
{
    struct loader_module mods[LOADER_MAX_MODULES];
    struct load_opts o = opts ? *opts : (struct load_opts){ 0 };
    unsigned n = 0;
    int err = 0;

    if (nspecs > LOADER_MAX_MODULES) {
        memset(out, 0, sizeof(*out));
        return vms_seterr(VMS_ERR_INVAL, "%s: %u modules: at most %u", path, nspecs,
                          LOADER_MAX_MODULES);
    }
    while (n < nspecs && (err = loader_module_read(specs[n], &mods[n])) == 0)
        n++;
    if (err == 0) {
        o.mods = mods;
        o.nmods = nspecs;
        err = loader_load(mem, path, &o, out);
    } else {
        memset(out, 0, sizeof(*out));
    }
    for (unsigned i = 0; i < n; i++)
        loader_module_fini(&mods[i]);
    return err;
}

void loader_module_fini(struct loader_module *m)
{
    if (!m)
        return;
    free(m->buf);
    m->buf = NULL;
    m->len = 0;
}

static int bootinfo_fits(const struct ld *ld)
{
    if (!gmem_ok(ld->mem, MM_BOOTINFO_BASE, MM_BOOTINFO_SIZE))
        return vms_seterr(VMS_ERR_INVAL, "%s: guest RAM (%llu KiB) is too small for "
                          "the boot information area at 0x%x", ld->name,
                          (unsigned long long)(ld->mem->size >> 10), MM_BOOTINFO_BASE);
    return 0;
}

/* ---------------------------------------------------------------------
 * Boot sector
 */

static bool is_boot_sector(const uint8_t *buf, size_t len)
{
    return len >= SECTOR_SIZE && buf[MM_BOOT_SIG_OFF] == 0x55 &&
           buf[MM_BOOT_SIG_OFF + 1] == 0xAA;
}

static void state_boot_sector(struct cpu_state *s)
{
    x86_reset_state(s, 0, MM_BOOT_LOAD);
    s->cr0 = CR0_ET;                         /* caches on, as a BIOS leaves it */
    s->gpr[GPR_RDX] = LOADER_BOOT_DRIVE;
    s->gpr[GPR_RSP] = LOADER_BOOT_SP;
    s->idt = (struct x86_dtable){ 0, 0x3FF }; /* the real-mode IVT */
    s->gdt = (struct x86_dtable){ 0, 0 };
    s->seg[SEG_TR].type = SYSTYPE_TSS_BUSY;   /* as QEMU + SeaBIOS show */
}

static int load_boot_sector(struct ld *ld)
{
    struct load_result *out = ld->out;

    if (!gmem_ok(ld->mem, MM_BOOT_LOAD, SECTOR_SIZE))
        return vms_seterr(VMS_ERR_INVAL, "%s: guest RAM is too small for a boot sector",
                          ld->name);
    if (gmem_write(ld->mem, MM_BOOT_LOAD, ld->buf, SECTOR_SIZE) < 0)
        return -VMS_ERR_RANGE;
    state_boot_sector(&out->cpu);
    out->kind = IMAGE_BOOTSECTOR;
    out->entry = MM_BOOT_LOAD;
    out->lo = MM_BOOT_LOAD;
    out->hi = MM_BOOT_LOAD + SECTOR_SIZE;
    out->nsegs = 1;
    if (ld->len > SECTOR_SIZE)
        snprintf(out->desc, sizeof(out->desc), "disk image (%zu bytes), boot sector "
                 "at 0x7c00", ld->len);
    else
        snprintf(out->desc, sizeof(out->desc), "boot sector at 0x7c00");
    return 0;
}

/* ---------------------------------------------------------------------
 * Flat binary
 */

static int flat_check(const struct ld *ld, uint64_t addr, bool pm)
{
    if (ld->len == 0)
        return bad(ld, "empty file");
    if (!gmem_ok(ld->mem, addr, ld->len))
        return vms_seterr(VMS_ERR_INVAL, "%s: %zu bytes at 0x%llx do not fit in guest RAM",
                          ld->name, ld->len, (unsigned long long)addr);
    if (!pm && (addr >= MM_HIGH_RAM || addr % 16))
        return vms_seterr(VMS_ERR_INVAL, "%s: a real-mode flat binary needs a load "
                          "address below 1 MiB that is a multiple of 16 (got 0x%llx)",
                          ld->name, (unsigned long long)addr);
    if (pm && addr + ld->len > GIB4)
        return vms_seterr(VMS_ERR_INVAL, "%s: a 32-bit flat binary must lie below 4 GiB",
                          ld->name);
    if (pm && overlaps(addr, ld->len, MM_BOOTINFO_BASE, MM_BOOTINFO_SIZE))
        return vms_seterr(VMS_ERR_INVAL, "%s: [0x%llx, 0x%llx) overlaps the boot "
                          "information area [0x%x, 0x%x)", ld->name,
                          (unsigned long long)addr, (unsigned long long)(addr + ld->len),
                          MM_BOOTINFO_BASE, MM_BOOTINFO_BASE + MM_BOOTINFO_SIZE);
    return pm ? bootinfo_fits(ld) : 0;
}

static void state_flat_real(struct cpu_state *s, uint64_t addr)
{
    uint16_t sel = (uint16_t)(addr >> 4);

    x86_reset_state(s, sel, 0);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        if (i != SEG_CS)
            x86_seg_real(&s->seg[i], sel);
    s->cr0 = CR0_ET;
    s->idt = (struct x86_dtable){ 0, 0x3FF };
    s->gdt = (struct x86_dtable){ 0, 0 };
    s->seg[SEG_TR].type = SYSTYPE_TSS_BUSY;
}

static int load_flat(struct ld *ld)
{
    uint64_t addr = ld->opts->load_addr;
    bool pm = ld->opts->flat32;
    struct load_result *out = ld->out;
    const char *cmd = NULL;
    int err;

    if ((err = flat_check(ld, addr, pm)) < 0)
        return err;
    if (pm && (err = mbi_cmdline(ld, &cmd)) < 0)
        return err;
    memcpy(gmem_ptr(ld->mem, addr, ld->len), ld->buf, ld->len);
    if (pm) {
        bootinfo_write(ld, cmd);
        out->bootinfo = 0;     /* written, but not announced: no EAX/EBX */
        state_flat_pm(&out->cpu, LOADER_SEL_CODE32);
        out->cpu.rip = addr;
        out->cpu.gpr[GPR_RSP] = LOADER_STACK_TOP;
    } else {
        state_flat_real(&out->cpu, addr);
    }
    out->kind = IMAGE_FLAT;
    out->entry = addr;
    out->lo = addr;
    out->hi = addr + ld->len;
    out->nsegs = 1;
    snprintf(out->desc, sizeof(out->desc), "flat binary, %zu bytes at 0x%llx, %s",
             ld->len, (unsigned long long)addr, pm ? "32-bit protected mode" : "real mode");
    return 0;
}

/* ---------------------------------------------------------------------
 * Multiboot v1
 */

struct mb_header {
    size_t off;             /* in the file */
    uint32_t flags;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Find the first multiboot header with a valid checksum in the first 8 KiB.
 * 1: found; 0: no magic at all; <0: only headers with a bad checksum or a
 * header cut off by the 8 KiB limit or the end of the file. */
static int mb_find(const struct ld *ld, struct mb_header *h)
{
    size_t end = ld->len < MB_SEARCH_LEN ? ld->len : MB_SEARCH_LEN;
    int seen = 0;

    for (size_t off = 0; off + MB_HDR_MIN <= end; off += 4) {
        const uint8_t *p = ld->buf + off;
        if (rd32(p) != MULTIBOOT_HDR_MAGIC)
            continue;
        seen = -1;
        uint32_t flags = rd32(p + 4);
        if ((uint32_t)(MULTIBOOT_HDR_MAGIC + flags + rd32(p + 8)) != 0)
            continue;
        if ((flags & MB_FLAG_ADDR) && off + MB_HDR_ADDR_END > end)
            return bad(ld, "multiboot header at 0x%zx: address fields cut off", off);
        *h = (struct mb_header){ .off = off, .flags = flags };
        if (flags & MB_FLAG_ADDR) {
            h->header_addr = rd32(p + 12);
            h->load_addr = rd32(p + 16);
            h->load_end_addr = rd32(p + 20);
            h->bss_end_addr = rd32(p + 24);
            h->entry_addr = rd32(p + 28);
        }
        return 1;
    }
    return seen < 0 ? bad(ld, "multiboot header checksum is wrong") : 0;
}

/* 3.1.2: bits 0-15 are requirements; refuse any we cannot honour. */
static int mb_check_flags(const struct ld *ld, uint32_t flags)
{
    uint32_t unsupported = flags & MB_FLAG_REQUIRED &
                           ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO);

    if (unsupported)
        return bad(ld, "multiboot header requires features vmscope does not provide "
                   "(flags 0x%08x%s)", unsupported,
                   (unsupported & 4u) ? ": bit 2, video mode information" : "");
    return 0;
}

/* 3.1.3: the address fields describe one segment loaded from the file. */
static int mb_aout_segment(struct ld *ld, const struct mb_header *h, uint64_t *entry)
{
    struct seg *s = &ld->seg[0];

    if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > h->off)
        return bad(ld, "multiboot load_addr 0x%x does not fit header_addr 0x%x at "
                   "file offset 0x%zx", h->load_addr, h->header_addr, h->off);
    s->off = h->off - (h->header_addr - h->load_addr);
    s->pa = s->va = h->load_addr;
    if (h->load_end_addr == 0)
        s->filesz = ld->len - s->off;
    else if (h->load_end_addr < h->load_addr)
        return bad(ld, "multiboot load_end_addr is below load_addr");
    else
        s->filesz = h->load_end_addr - h->load_addr;
    s->memsz = s->filesz;
    if (h->bss_end_addr) {
        if (h->bss_end_addr < h->load_addr + s->filesz)
            return bad(ld, "multiboot bss_end_addr is below load_end_addr");
        s->memsz = h->bss_end_addr - h->load_addr;
    }
    ld->nseg = 1;
    *entry = h->entry_addr;
    return 0;
}

/* Collect the PT_LOAD segments of @ef (physical address p_paddr). */
static int elf_segments(struct ld *ld, const struct elf_file *ef)
{
    ld->nseg = 0;
    for (unsigned i = 0; i < ef->phnum; i++) {
        struct elf_phdr ph;
        elf_phdr(ef, i, &ph);
        if (ph.type != ELF_PT_LOAD)
            continue;
        if (ph.memsz == 0 && ph.filesz == 0)
            continue;
        ld->seg[ld->nseg++] = (struct seg){ .off = ph.offset, .filesz = ph.filesz,
                                            .memsz = ph.memsz, .pa = ph.paddr,
                                            .va = ph.vaddr };
    }
    return 0;
}

static void state_multiboot(struct cpu_state *s, uint64_t entry)
{
    state_flat_pm(s, LOADER_SEL_CODE32);
    s->rip = entry;
    s->gpr[GPR_RAX] = MULTIBOOT_BOOT_MAGIC;
    s->gpr[GPR_RBX] = LOADER_MBI_ADDR;
    s->gpr[GPR_RSP] = LOADER_MB_ESP;
}

static int load_symbols(struct ld *ld, const struct elf_file *ef)
{
    if (!ef)
        return 0;
    int n = elf_load_symbols(ef, &ld->out->syms);
    return n < 0 ? n : 0;
}

/* Checks, then writes: shared by multiboot and elf64.  @e is the linked
 * entry address; @ef the ELF (for symbols) or NULL. */
static int load_checked(struct ld *ld, const struct elf_file *ef, uint64_t e,
                        bool below4g, const char **cmd)
{
    uint64_t entry = 0;
    int err;

    if ((err = bootinfo_fits(ld)) < 0 || (err = seg_check_all(ld, below4g)) < 0 ||
        (err = seg_entry(ld, e, &entry)) < 0 || (err = mbi_cmdline(ld, cmd)) < 0 ||
        (err = mods_place(ld)) < 0 || (err = load_symbols(ld, ef)) < 0)
        return err;
    seg_copy_all(ld);
    mods_write(ld);
    bootinfo_write(ld, *cmd);
    ld->out->entry = entry;
    return 0;
}

static int load_multiboot(struct ld *ld, const struct elf_file *ef,
                          const struct mb_header *h)
{
    struct load_result *out = ld->out;
    const char *cmd;
    uint64_t e = 0;
    int err;

    if ((err = mb_check_flags(ld, h->flags)) < 0)
        return err;
    if (h->flags & MB_FLAG_ADDR)
        err = mb_aout_segment(ld, h, &e);
    else if (ef)
        err = elf_segments(ld, ef), e = ef->entry;
    else
        err = bad(ld, "multiboot header without address fields (flags bit 16) in a "
                  "file that is not ELF");
    if (err < 0 || (err = load_checked(ld, ef, e, true, &cmd)) < 0)
        return err;
    state_multiboot(&out->cpu, out->entry);
    out->kind = IMAGE_MULTIBOOT;
    snprintf(out->desc, sizeof(out->desc), "multiboot %s, entry 0x%llx, %u segment%s",
             (h->flags & MB_FLAG_ADDR) ? "a.out kludge" : "ELF32",
             (unsigned long long)out->entry, ld->nseg, ld->nseg == 1 ? "" : "s");
    return 0;
}

/* ---------------------------------------------------------------------
 * ELF64: long mode with an identity map of the first 4 GiB.
 */

static void pagetables_write(struct gmem *mem)
{
    uint8_t *pml4 = gmem_ptr(mem, LOADER_PML4_ADDR, 4096);
    uint8_t *pdpt = gmem_ptr(mem, LOADER_PDPT_ADDR, 4096);
    uint8_t *pd = gmem_ptr(mem, LOADER_PD_ADDR, 4 * 4096);

    memset(pml4, 0, 4096);
    memset(pdpt, 0, 4096);
    wr64(pml4, LOADER_PDPT_ADDR | PTE_P | PTE_RW);
    for (unsigned g = 0; g < 4; g++)
        wr64(pdpt + 8 * g, (LOADER_PD_ADDR + 4096ull * g) | PTE_P | PTE_RW);
    for (unsigned i = 0; i < 4 * 512; i++)
        wr64(pd + 8 * i, (uint64_t)i * PAGE_2M | PTE_P | PTE_RW | PTE_PS);
}

static void state_long64(struct cpu_state *s, uint64_t entry)
{
    state_flat_pm(s, LOADER_SEL_CODE64);
    s->cr0 = CR0_PG | CR0_WP | CR0_ET | CR0_PE;
    s->cr3 = LOADER_PML4_ADDR;
    s->cr4 = CR4_PAE;
    s->efer = EFER_LME | EFER_LMA;
    s->idt = (struct x86_dtable){ 0, 0 };
    s->rip = entry;
    s->gpr[GPR_RSP] = LOADER_STACK_TOP;
    s->gpr[GPR_RDI] = s->gpr[GPR_RBX] = LOADER_MBI_ADDR;
    s->gpr[GPR_RSI] = s->gpr[GPR_RAX] = MULTIBOOT_BOOT_MAGIC;
}

static int load_elf64(struct ld *ld, const struct elf_file *ef)
{
    struct load_result *out = ld->out;
    const char *cmd;
    int err;

    if (ef->type != ELF_ET_EXEC)
        return bad(ld, "ELF64 is not an executable (e_type %u)", ef->type);
    if ((err = elf_segments(ld, ef)) < 0 ||
        (err = load_checked(ld, ef, ef->entry, true, &cmd)) < 0)
        return err;
    pagetables_write(ld->mem);
    state_long64(&out->cpu, out->entry);
    out->kind = IMAGE_ELF64;
    snprintf(out->desc, sizeof(out->desc), "ELF64, entry 0x%llx, %u segment%s",
             (unsigned long long)out->entry, ld->nseg, ld->nseg == 1 ? "" : "s");
    return 0;
}

/* ---------------------------------------------------------------------
 * Detection
 */

static int load_elf(struct ld *ld)
{
    struct elf_file ef;
    struct mb_header h;
    int err, found;

    if ((err = elf_parse(&ef, ld->buf, ld->len, ld->name)) < 0)
        return err;
    if (ef.cls == ELF_CLASS64 && ef.machine == ELF_EM_X86_64)
        return load_elf64(ld, &ef);
    if (ef.cls == ELF_CLASS32 && (found = mb_find(ld, &h)) != 0) {
        if (found < 0)
            return found;
        if (ef.machine != ELF_EM_386)
            return bad(ld, "multiboot ELF32 is not for i386 (e_machine %u)", ef.machine);
        return load_multiboot(ld, &ef, &h);
    }
    return bad(ld, "not a multiboot or x86-64 ELF");
}

static int load_detect(struct ld *ld)
{
    struct mb_header h;
    int found;

    if (ld->opts && (ld->opts->flat || ld->opts->flat32))
        return load_flat(ld);
    if (elf_is_elf(ld->buf, ld->len))
        return load_elf(ld);
    found = mb_find(ld, &h);
    if (found > 0 && (h.flags & MB_FLAG_ADDR))
        return load_multiboot(ld, NULL, &h);
    if (is_boot_sector(ld->buf, ld->len))
        return load_boot_sector(ld);
    if (found > 0)
        return load_multiboot(ld, NULL, &h);   /* explains bit 16 */
    return bad(ld, "unknown image format (not ELF, multiboot or a boot sector "
               "ending in 0x55 0xAA; a flat binary needs a load address)");
}

int loader_load_buf(struct gmem *mem, const char *name, const uint8_t *buf,
                    size_t len, const struct load_opts *opts, struct load_result *out)
{
    struct ld *ld;
    int err;

    memset(out, 0, sizeof(*out));
    symtab_init(&out->syms);
    if (!mem || !mem->ram || (!buf && len))
        return -VMS_ERR_INVAL;
    ld = calloc(1, sizeof(*ld));
    if (!ld)
        return vms_seterr(VMS_ERR_NOMEM, "%s: out of memory", name);
    *ld = (struct ld){ .mem = mem, .name = name ? name : "image", .buf = buf,
                       .len = len, .opts = opts, .out = out };
    err = load_detect(ld);
    if (err == 0 && opts && opts->nmods && !ld->mod_table)
        err = bad(ld, "modules are for a multiboot or ELF64 kernel, not a %s image",
                  image_kind_name(out->kind));
    if (err == 0 && opts && (opts->args || opts->cmdline) && !ld->cmd[0])
        err = bad(ld, "a command line is for a multiboot or ELF64 kernel, not a %s image",
                  image_kind_name(out->kind));
    free(ld);
    if (err < 0) {
        load_result_fini(out);
        memset(out, 0, sizeof(*out));
    }
    return err;
}

/* ---------------------------------------------------------------------
 * Files
 */

int loader_sym_path(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t stem = dot && dot != (slash ? slash + 1 : path) ? (size_t)(dot - path)
                                                           : strlen(path);

    if (stem + sizeof(".sym") > size)
        return -VMS_ERR_RANGE;
    memcpy(buf, path, stem);
    memcpy(buf + stem, ".sym", sizeof(".sym"));
    return 0;
}

/* Read @path: all of it, or only sector 0 of a file over LOADER_MAX_FILE. */
static int read_image(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    int err = 0;

    if (!f)
        return vms_seterr(VMS_ERR_IO, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return vms_seterr(VMS_ERR_IO, "%s: not a regular file", path);
    }
    *len = (uint64_t)st.st_size > LOADER_MAX_FILE ? SECTOR_SIZE : (size_t)st.st_size;
    *buf = malloc(*len ? *len : 1);
    if (!*buf)
        err = vms_seterr(VMS_ERR_NOMEM, "%s: out of memory", path);
    else if (fread(*buf, 1, *len, f) != *len)
        err = vms_seterr(VMS_ERR_IO, "%s: short read", path);
    fclose(f);
    if (err < 0) {
        free(*buf);
        *buf = NULL;
    }
    return err;
}

/* Symbols from the sibling nm listing replace the ELF's own when it exists:
 * the build writes it from the link that has the real (e.g. 64-bit
 * higher-half) addresses, which an objcopy'd ELF32 no longer holds. */
static int load_sibling_symbols(const char *path, struct symtab *out)
{
    struct symtab t;
    char sym[4096];

    if (loader_sym_path(path, sym, sizeof(sym)) < 0)
        return 0;
    symtab_init(&t);
    int n = symtab_load_nm(&t, sym);
    if (n <= 0) {
        symtab_fini(&t);
        return n == -VMS_ERR_NOTFOUND ? 0 : n;
    }
    symtab_fini(out);
    *out = t;
    return 0;
}

int loader_load(struct gmem *mem, const char *path, const struct load_opts *opts,
                struct load_result *out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int err;

    memset(out, 0, sizeof(*out));
    if ((err = read_image(path, &buf, &len)) < 0)
        return err;
    err = loader_load_buf(mem, path, buf, len, opts, out);
    free(buf);
    if (err < 0)
        return err;
    if ((err = load_sibling_symbols(path, &out->syms)) < 0) {
        load_result_fini(out);
        memset(out, 0, sizeof(*out));
        return err;
    }
    return 0;
}
