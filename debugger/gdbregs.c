/* gdbregs.c - the register table behind the target description and the
 * g/G/p/P byte layout (see gdbregs.h).
 *
 * gdb (i386-tdep.c, amd64-tdep.c) accepts a description whose feature
 * org.gnu.gdb.i386.core names rax..gs and the x87 registers in amd64
 * order; org.gnu.gdb.i386.segments adds fs_base/gs_base.  The control
 * registers are our own feature: gdb shows any register a description
 * names ($cr3, `info registers cr0`) and decodes the <flags> types.
 * Reference: gdb manual, "Target Descriptions" and "i386 Features".
 */
#include "gdbregs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "machine/err.h"

enum greg_kind {
    GK_U64,      /* a uint64_t field of cpu_state */
    GK_RIP,      /* rip, optionally as a linear PC */
    GK_EFLAGS,   /* low 32 bits of rflags */
    GK_SEL,      /* a segment selector (off = segment number) */
    GK_FPU,      /* x87, not modelled (off = the value it reads as) */
};

enum greg_feature { F_CORE, F_SEGMENTS, F_CONTROL, F_COUNT };

static const char *const feature_name[F_COUNT] = {
    [F_CORE] = "org.gnu.gdb.i386.core",
    [F_SEGMENTS] = "org.gnu.gdb.i386.segments",
    [F_CONTROL] = "org.vmscope.x86.control",
};

struct greg {
    const char *name;
    uint8_t size;           /* bytes in the packet */
    uint8_t kind;           /* enum greg_kind */
    uint8_t feature;        /* enum greg_feature */
    const char *type;       /* gdb type name */
    const char *group;      /* register group, NULL: gdb's default */
    size_t off;             /* meaning per kind */
};

#define CPU_OFF(field) offsetof(struct cpu_state, field)
#define GPR(n, nm, r) [n] = { nm, 8, GK_U64, F_CORE, "int64", NULL, CPU_OFF(gpr[r]) }
#define PTR(n, nm, r, t) [n] = { nm, 8, GK_U64, F_CORE, t, NULL, CPU_OFF(gpr[r]) }
#define SEL(n, r, s) [n] = { r, 4, GK_SEL, F_CORE, "int32", NULL, s }
#define ST(i) [GDBREG_ST0 + i] = { "st" #i, 10, GK_FPU, F_CORE, "i387_ext", "float", 0 }
#define FPU(n, r, v) [n] = { r, 4, GK_FPU, F_CORE, "int", "float", v }
#define CTL(n, r, f, t) [n] = { r, 8, GK_U64, F_CONTROL, t, "system", CPU_OFF(f) }

/* x87 control word after FNINIT (SDM Vol. 1 8.1.5): all exceptions masked. */
#define FPU_FCTRL_INIT 0x37f

static const struct greg regs[GDBREG_COUNT] = {
    GPR(GDBREG_RAX, "rax", GPR_RAX), GPR(GDBREG_RBX, "rbx", GPR_RBX),
    GPR(GDBREG_RCX, "rcx", GPR_RCX), GPR(GDBREG_RDX, "rdx", GPR_RDX),
    GPR(GDBREG_RSI, "rsi", GPR_RSI), GPR(GDBREG_RDI, "rdi", GPR_RDI),
    PTR(GDBREG_RBP, "rbp", GPR_RBP, "data_ptr"), PTR(GDBREG_RSP, "rsp", GPR_RSP, "data_ptr"),
    GPR(GDBREG_R8, "r8", GPR_R8), GPR(GDBREG_R9, "r9", GPR_R9),
    GPR(GDBREG_R10, "r10", GPR_R10), GPR(GDBREG_R11, "r11", GPR_R11),
    GPR(GDBREG_R12, "r12", GPR_R12), GPR(GDBREG_R13, "r13", GPR_R13),
    GPR(GDBREG_R14, "r14", GPR_R14), GPR(GDBREG_R15, "r15", GPR_R15),
    [GDBREG_RIP] = { "rip", 8, GK_RIP, F_CORE, "code_ptr", NULL, CPU_OFF(rip) },
    [GDBREG_EFLAGS] = { "eflags", 4, GK_EFLAGS, F_CORE, "i386_eflags", NULL, 0 },
    SEL(GDBREG_CS, "cs", SEG_CS), SEL(GDBREG_SS, "ss", SEG_SS), SEL(GDBREG_DS, "ds", SEG_DS),
    SEL(GDBREG_ES, "es", SEG_ES), SEL(GDBREG_FS, "fs", SEG_FS), SEL(GDBREG_GS, "gs", SEG_GS),
    ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
    FPU(GDBREG_FCTRL, "fctrl", FPU_FCTRL_INIT), FPU(GDBREG_FSTAT, "fstat", 0),
    FPU(GDBREG_FTAG, "ftag", 0), FPU(GDBREG_FISEG, "fiseg", 0),
    FPU(GDBREG_FIOFF, "fioff", 0), FPU(GDBREG_FOSEG, "foseg", 0),
    FPU(GDBREG_FOOFF, "fooff", 0), FPU(GDBREG_FOP, "fop", 0),
    [GDBREG_FS_BASE] = { "fs_base", 8, GK_U64, F_SEGMENTS, "int", NULL, CPU_OFF(seg[SEG_FS].base) },
    [GDBREG_GS_BASE] = { "gs_base", 8, GK_U64, F_SEGMENTS, "int", NULL, CPU_OFF(seg[SEG_GS].base) },
    CTL(GDBREG_CR0, "cr0", cr0, "vms_cr0"), CTL(GDBREG_CR2, "cr2", cr2, "uint64"),
    CTL(GDBREG_CR3, "cr3", cr3, "uint64"), CTL(GDBREG_CR4, "cr4", cr4, "vms_cr4"),
    CTL(GDBREG_CR8, "cr8", cr8, "uint64"), CTL(GDBREG_EFER, "efer", efer, "vms_efer"),
};

/* gdb's i386 layout (i386-tdep.c i386_register_names; 32bit-core.xml)
 * for guests that never leave 32-bit mode: 32-bit GPRs and EIP, so gdb
 * disassembles 32-bit code and accepts `set architecture i8086`. */
#define GPR32(n, nm, r) [n] = { nm, 4, GK_U64, F_CORE, "int32", NULL, CPU_OFF(gpr[r]) }
#define PTR32(n, nm, r, t) [n] = { nm, 4, GK_U64, F_CORE, t, NULL, CPU_OFF(gpr[r]) }
#define ST32(i) [GDBREG32_ST0 + i] = { "st" #i, 10, GK_FPU, F_CORE, "i387_ext", "float", 0 }

static const struct greg regs32[GDBREG32_COUNT] = {
    GPR32(GDBREG32_EAX, "eax", GPR_RAX), GPR32(GDBREG32_ECX, "ecx", GPR_RCX),
    GPR32(GDBREG32_EDX, "edx", GPR_RDX), GPR32(GDBREG32_EBX, "ebx", GPR_RBX),
    PTR32(GDBREG32_ESP, "esp", GPR_RSP, "data_ptr"),
    PTR32(GDBREG32_EBP, "ebp", GPR_RBP, "data_ptr"),
    GPR32(GDBREG32_ESI, "esi", GPR_RSI), GPR32(GDBREG32_EDI, "edi", GPR_RDI),
    [GDBREG32_EIP] = { "eip", 4, GK_RIP, F_CORE, "code_ptr", NULL, CPU_OFF(rip) },
    [GDBREG32_EFLAGS] = { "eflags", 4, GK_EFLAGS, F_CORE, "i386_eflags", NULL, 0 },
    SEL(GDBREG32_CS, "cs", SEG_CS), SEL(GDBREG32_SS, "ss", SEG_SS),
    SEL(GDBREG32_DS, "ds", SEG_DS), SEL(GDBREG32_ES, "es", SEG_ES),
    SEL(GDBREG32_FS, "fs", SEG_FS), SEL(GDBREG32_GS, "gs", SEG_GS),
    ST32(0), ST32(1), ST32(2), ST32(3), ST32(4), ST32(5), ST32(6), ST32(7),
    FPU(GDBREG32_FCTRL, "fctrl", FPU_FCTRL_INIT), FPU(GDBREG32_FSTAT, "fstat", 0),
    FPU(GDBREG32_FTAG, "ftag", 0), FPU(GDBREG32_FISEG, "fiseg", 0),
    FPU(GDBREG32_FIOFF, "fioff", 0), FPU(GDBREG32_FOSEG, "foseg", 0),
    FPU(GDBREG32_FOOFF, "fooff", 0), FPU(GDBREG32_FOP, "fop", 0),
    CTL(GDBREG32_CR0, "cr0", cr0, "vms_cr0"), CTL(GDBREG32_CR2, "cr2", cr2, "uint64"),
    CTL(GDBREG32_CR3, "cr3", cr3, "uint64"), CTL(GDBREG32_CR4, "cr4", cr4, "vms_cr4"),
    CTL(GDBREG32_EFER, "efer", efer, "vms_efer"),
};

struct layout {
    const char *arch;           /* <architecture> */
    const struct greg *regs;
    unsigned count;
    unsigned pc;                /* regno of rip/eip */
};

static const struct layout layouts[] = {
    { "i386:x86-64", regs, GDBREG_COUNT, GDBREG_RIP },
    { "i386", regs32, GDBREG32_COUNT, GDBREG32_EIP },
    /* gdb takes the disassembler from the description's architecture and
     * ignores `set architecture i8086` once a description is in use. */
    { "i8086", regs32, GDBREG32_COUNT, GDBREG32_EIP },
};

static const struct layout *layout_of(unsigned flags)
{
    if (flags & GDBREGS_I8086)
        return &layouts[2];
    return &layouts[(flags & GDBREGS_I386) ? 1 : 0];
}

/* ---- <flags> types: every bit named from machine/x86.h ---- */

struct gbit { const char *name; uint64_t mask; };

static const struct gbit eflags_bits[] = {
    { "CF", RFLAGS_CF }, { "", RFLAGS_FIXED }, { "PF", RFLAGS_PF }, { "AF", RFLAGS_AF },
    { "ZF", RFLAGS_ZF }, { "SF", RFLAGS_SF }, { "TF", RFLAGS_TF }, { "IF", RFLAGS_IF },
    { "DF", RFLAGS_DF }, { "OF", RFLAGS_OF }, { "NT", RFLAGS_NT }, { "RF", RFLAGS_RF },
    { "VM", RFLAGS_VM }, { "AC", RFLAGS_AC }, { "VIF", RFLAGS_VIF }, { "VIP", RFLAGS_VIP },
    { "ID", RFLAGS_ID }, { NULL, 0 },
};
static const struct gbit cr0_bits[] = {
    { "PE", CR0_PE }, { "MP", CR0_MP }, { "EM", CR0_EM }, { "TS", CR0_TS },
    { "ET", CR0_ET }, { "NE", CR0_NE }, { "WP", CR0_WP }, { "AM", CR0_AM },
    { "NW", CR0_NW }, { "CD", CR0_CD }, { "PG", CR0_PG }, { NULL, 0 },
};
static const struct gbit cr4_bits[] = {
    { "VME", CR4_VME }, { "PVI", CR4_PVI }, { "TSD", CR4_TSD }, { "DE", CR4_DE },
    { "PSE", CR4_PSE }, { "PAE", CR4_PAE }, { "MCE", CR4_MCE }, { "PGE", CR4_PGE },
    { "PCE", CR4_PCE }, { "OSFXSR", CR4_OSFXSR }, { "OSXMMEXCPT", CR4_OSXMMEXCPT },
    { "UMIP", CR4_UMIP }, { "LA57", CR4_LA57 }, { "FSGSBASE", CR4_FSGSBASE },
    { "PCIDE", CR4_PCIDE }, { "OSXSAVE", CR4_OSXSAVE }, { "SMEP", CR4_SMEP },
    { "SMAP", CR4_SMAP }, { NULL, 0 },
};
static const struct gbit efer_bits[] = {
    { "SCE", EFER_SCE }, { "LME", EFER_LME }, { "LMA", EFER_LMA }, { "NXE", EFER_NXE },
    { NULL, 0 },
};

struct gflags {
    const char *id;
    unsigned size;
    enum greg_feature feature;
    const struct gbit *bits;
};

static const struct gflags flag_types[] = {
    { "i386_eflags", 4, F_CORE, eflags_bits },
    { "vms_cr0", 8, F_CONTROL, cr0_bits },
    { "vms_cr4", 8, F_CONTROL, cr4_bits },
    { "vms_efer", 8, F_CONTROL, efer_bits },
};

/* ---- table access ---- */

const char *gdbregs_name(unsigned regno, unsigned flags)
{
    const struct layout *L = layout_of(flags);
    return regno < L->count ? L->regs[regno].name : NULL;
}

unsigned gdbregs_size(unsigned regno, unsigned flags)
{
    const struct layout *L = layout_of(flags);
    return regno < L->count ? L->regs[regno].size : 0;
}

unsigned gdbregs_count(unsigned flags)
{
    return layout_of(flags)->count;
}

unsigned gdbregs_pc(unsigned flags)
{
    return layout_of(flags)->pc;
}

size_t gdbregs_g_size(unsigned flags)
{
    const struct layout *L = layout_of(flags);
    size_t n = 0;

    for (unsigned i = 0; i < L->count; i++)
        n += L->regs[i].size;
    return n;
}

/* ---- the target description ---- */

struct xbuf { char *p; size_t cap, len; bool full; };

__attribute__((format(printf, 2, 3)))
static void xput(struct xbuf *x, const char *fmt, ...)
{
    va_list ap;
    size_t room = x->len < x->cap ? x->cap - x->len : 0;

    va_start(ap, fmt);
    int n = vsnprintf(x->p + x->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        x->full = true;
    else
        x->len += (size_t)n;
}

static void xml_flags(struct xbuf *x, const struct gflags *f)
{
    xput(x, "  <flags id=\"%s\" size=\"%u\">\n", f->id, f->size);
    for (const struct gbit *b = f->bits; b->name; b++) {
        unsigned bit = (unsigned)__builtin_ctzll(b->mask);
        xput(x, "   <field name=\"%s\" start=\"%u\" end=\"%u\"/>\n", b->name, bit, bit);
    }
    xput(x, "  </flags>\n");
}

static void xml_feature(struct xbuf *x, const struct layout *L, enum greg_feature f)
{
    bool any = false;

    for (unsigned i = 0; i < L->count; i++)
        any |= L->regs[i].feature == f;
    if (!any)
        return;
    xput(x, " <feature name=\"%s\">\n", feature_name[f]);
    for (size_t i = 0; i < sizeof(flag_types) / sizeof(flag_types[0]); i++)
        if (flag_types[i].feature == f)
            xml_flags(x, &flag_types[i]);
    for (unsigned i = 0; i < L->count; i++) {
        const struct greg *r = &L->regs[i];
        if (r->feature != f)
            continue;
        xput(x, "  <reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"",
             r->name, r->size * 8u, r->type, i);
        if (r->group)
            xput(x, " group=\"%s\"", r->group);
        xput(x, "/>\n");
    }
    xput(x, " </feature>\n");
}

int gdbregs_target_xml(char *buf, size_t cap, unsigned flags)
{
    struct xbuf x = { .p = buf, .cap = cap };
    const struct layout *L = layout_of(flags);

    xput(&x, "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
             "<target version=\"1.0\">\n"
             " <architecture>%s</architecture>\n", L->arch);
    for (unsigned f = 0; f < F_COUNT; f++)
        xml_feature(&x, L, (enum greg_feature)f);
    xput(&x, "</target>\n");
    if (x.full)
        return -VMS_ERR_RANGE;
    return (int)x.len;
}

/* ---- values ---- */

static void put_le(uint8_t *out, uint64_t v, unsigned size)
{
    memset(out, 0, size);
    for (unsigned i = 0; i < size && i < 8; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *in, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size && i < 8; i++)
        v |= (uint64_t)in[i] << (8 * i);
    return v;
}

/* Outside 64-bit mode the linear PC differs from RIP by CS.base (real
 * mode: CS * 16).  Addresses in m/M/Z packets are linear, so with
 * GDBREGS_LINEAR_PC gdb's $pc is comparable with them. */
static uint64_t pc_bias(const struct cpu_state *s, unsigned flags)
{
    if (!(flags & GDBREGS_LINEAR_PC) || x86_mode_of(s) == MODE_LONG64)
        return 0;
    return s->seg[SEG_CS].base;
}

static uint64_t *field64(struct cpu_state *s, const struct greg *r)
{
    return (uint64_t *)((char *)s + r->off);
}

static uint64_t reg_value(const struct cpu_state *s, const struct greg *r, unsigned flags)
{
    switch (r->kind) {
    case GK_U64: return *field64((struct cpu_state *)s, r);
    case GK_RIP:
        if (x86_mode_of(s) == MODE_LONG64)
            return s->rip;
        return (s->rip + pc_bias(s, flags)) & 0xFFFFFFFFull;
    case GK_EFLAGS: return s->rflags & 0xFFFFFFFFull;
    case GK_SEL: return s->seg[r->off].selector;
    case GK_FPU: return r->off;
    }
    return 0;
}

int gdbregs_read(const struct cpu_state *s, unsigned regno, uint8_t *out, unsigned flags)
{
    const struct layout *L = layout_of(flags);

    if (regno >= L->count)
        return -VMS_ERR_INVAL;
    put_le(out, reg_value(s, &L->regs[regno], flags), L->regs[regno].size);
    return L->regs[regno].size;
}

/* A selector write: the same value is a no-op (G packets send them all
 * back); real mode and vm86 reload the base as the CPU would (base =
 * selector * 16); protected mode would need a descriptor load. */
static int write_sel(struct cpu_state *s, unsigned seg, uint64_t v)
{
    enum x86_mode m = x86_mode_of(s);

    if (v == s->seg[seg].selector)
        return 0;
    if (v > 0xFFFF || (m != MODE_REAL && m != MODE_VM86))
        return -VMS_ERR_UNSUPPORTED;
    s->seg[seg].selector = (uint16_t)v;
    s->seg[seg].base = v << 4;
    return 0;
}

int gdbregs_write(struct cpu_state *s, unsigned regno, const uint8_t *in, unsigned flags)
{
    const struct layout *L = layout_of(flags);

    if (regno >= L->count)
        return -VMS_ERR_INVAL;
    const struct greg *r = &L->regs[regno];
    uint64_t v = get_le(in, r->size);

    switch (r->kind) {
    case GK_U64:             /* a narrower register keeps the upper bits */
        if (r->size < 8)
            v |= *field64(s, r) & ~((1ull << (8 * r->size)) - 1);
        *field64(s, r) = v;
        return 0;
    case GK_RIP:
        if (x86_mode_of(s) == MODE_LONG64)
            s->rip = v;
        else
            s->rip = (v - pc_bias(s, flags)) & 0xFFFFFFFFull;
        return 0;
    case GK_EFLAGS:
        s->rflags = (s->rflags & ~0xFFFFFFFFull) | v | RFLAGS_FIXED;
        return 0;
    case GK_SEL: return write_sel(s, (unsigned)r->off, v);
    case GK_FPU: return 0;            /* not modelled: see docs/GDB.md */
    }
    return -VMS_ERR_INVAL;
}

void gdbregs_read_all(const struct cpu_state *s, uint8_t *out, unsigned flags)
{
    const struct layout *L = layout_of(flags);
    size_t off = 0;

    for (unsigned i = 0; i < L->count; i++) {
        gdbregs_read(s, i, out + off, flags);
        off += L->regs[i].size;
    }
}

int gdbregs_write_all(struct cpu_state *s, const uint8_t *in, size_t len, unsigned flags)
{
    const struct layout *L = layout_of(flags);
    const struct greg *regs = L->regs;
    struct cpu_state t = *s;
    size_t off = 0;

    /* RIP's linear-PC bias depends on CS: write the selectors first, then
     * the rest with the bias of the CS the block leaves. */
    for (unsigned i = 0; i < L->count && off + regs[i].size <= len; i++) {
        int err = regs[i].kind == GK_RIP ? 0 : gdbregs_write(&t, i, in + off, flags);
        if (err < 0)
            return err;
        off += regs[i].size;
    }
    size_t rip_off = 0;
    for (unsigned i = 0; i < L->pc; i++)
        rip_off += regs[i].size;
    if (rip_off + regs[L->pc].size <= len) {
        int err = gdbregs_write(&t, L->pc, in + rip_off, flags);
        if (err < 0)
            return err;
    }
    *s = t;
    return 0;
}
