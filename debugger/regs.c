/* regs.c - register names, sub-registers and the bit tables of RFLAGS,
 * CR0, CR4 and EFER (SDM Vol. 1 3.4.3, Vol. 3A 2.2.1, 2.5). */
#include "debugger/regs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const dbg_reg_names[DREG_COUNT] = {
#define DBG_REG_NAME(id, name) [DREG_##id] = name,
    DBG_REGS(DBG_REG_NAME)
#undef DBG_REG_NAME
};

const struct dbg_bitname dbg_rflags_bits[] = {
    { 0, 1, "CF", "carry" }, { 2, 1, "PF", "parity" }, { 4, 1, "AF", "adjust" },
    { 6, 1, "ZF", "zero" }, { 7, 1, "SF", "sign" }, { 8, 1, "TF", "trap (single step)" },
    { 9, 1, "IF", "interrupts enabled" }, { 10, 1, "DF", "direction" },
    { 11, 1, "OF", "overflow" }, { RFLAGS_IOPL_SHIFT, 2, "IOPL", "I/O privilege level" },
    { 14, 1, "NT", "nested task" }, { 16, 1, "RF", "resume" },
    { 17, 1, "VM", "virtual-8086 mode" }, { 18, 1, "AC", "alignment check" },
    { 19, 1, "VIF", "virtual interrupt" }, { 20, 1, "VIP", "virtual interrupt pending" },
    { 21, 1, "ID", "CPUID available" }, { 0, 0, NULL, NULL },
};

const struct dbg_bitname dbg_cr0_bits[] = {
    { 0, 1, "PE", "protected mode" }, { 1, 1, "MP", "monitor coprocessor" },
    { 2, 1, "EM", "x87 emulation" }, { 3, 1, "TS", "task switched" },
    { 4, 1, "ET", "extension type" }, { 5, 1, "NE", "numeric error" },
    { 16, 1, "WP", "write protect (supervisor)" }, { 18, 1, "AM", "alignment mask" },
    { 29, 1, "NW", "not write-through" }, { 30, 1, "CD", "cache disable" },
    { 31, 1, "PG", "paging" }, { 0, 0, NULL, NULL },
};

const struct dbg_bitname dbg_cr4_bits[] = {
    { 0, 1, "VME", "vm86 extensions" }, { 1, 1, "PVI", "protected-mode virtual interrupts" },
    { 2, 1, "TSD", "RDTSC at CPL 0 only" }, { 3, 1, "DE", "debugging extensions" },
    { 4, 1, "PSE", "4 MiB pages" }, { 5, 1, "PAE", "physical address extension" },
    { 6, 1, "MCE", "machine check" }, { 7, 1, "PGE", "global pages" },
    { 8, 1, "PCE", "RDPMC at any CPL" }, { 9, 1, "OSFXSR", "FXSAVE/SSE" },
    { 10, 1, "OSXMMEXCPT", "SSE exceptions" }, { 11, 1, "UMIP", "user-mode instruction prevention" },
    { 12, 1, "LA57", "5-level paging" }, { 16, 1, "FSGSBASE", "RDFSBASE etc." },
    { 17, 1, "PCIDE", "process-context IDs" }, { 18, 1, "OSXSAVE", "XSAVE" },
    { 20, 1, "SMEP", "supervisor-mode execution prevention" },
    { 21, 1, "SMAP", "supervisor-mode access prevention" }, { 0, 0, NULL, NULL },
};

const struct dbg_bitname dbg_efer_bits[] = {
    { 0, 1, "SCE", "SYSCALL enable" }, { 8, 1, "LME", "long mode enable" },
    { 10, 1, "LMA", "long mode active" }, { 11, 1, "NXE", "no-execute enable" },
    { 0, 0, NULL, NULL },
};

void dbg_bits_format(const struct dbg_bitname *t, uint64_t v, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (; t->name && n < len; t++) {
        uint64_t field = (v >> t->bit) & ((1ull << t->width) - 1);
        int w = 0;
        if (t->width > 1 && field)
            w = snprintf(buf + n, len - n, "%s%s=%llu", n ? " " : "", t->name,
                         (unsigned long long)field);
        else if (field)
            w = snprintf(buf + n, len - n, "%s%s", n ? " " : "", t->name);
        if (w > 0)
            n += (size_t)w;
    }
}

/* Names of the 32/16/8-bit parts of the first eight GPRs (in enum
 * dbg_reg order: rax rbx rcx rdx rsi rdi rbp rsp). */
struct subreg { const char *name; enum dbg_reg reg; unsigned bits, shift; };
static const struct subreg subregs[] = {
    { "eax", DREG_RAX, 32, 0 }, { "ax", DREG_RAX, 16, 0 }, { "al", DREG_RAX, 8, 0 }, { "ah", DREG_RAX, 8, 8 },
    { "ebx", DREG_RBX, 32, 0 }, { "bx", DREG_RBX, 16, 0 }, { "bl", DREG_RBX, 8, 0 }, { "bh", DREG_RBX, 8, 8 },
    { "ecx", DREG_RCX, 32, 0 }, { "cx", DREG_RCX, 16, 0 }, { "cl", DREG_RCX, 8, 0 }, { "ch", DREG_RCX, 8, 8 },
    { "edx", DREG_RDX, 32, 0 }, { "dx", DREG_RDX, 16, 0 }, { "dl", DREG_RDX, 8, 0 }, { "dh", DREG_RDX, 8, 8 },
    { "esi", DREG_RSI, 32, 0 }, { "si", DREG_RSI, 16, 0 }, { "sil", DREG_RSI, 8, 0 },
    { "edi", DREG_RDI, 32, 0 }, { "di", DREG_RDI, 16, 0 }, { "dil", DREG_RDI, 8, 0 },
    { "ebp", DREG_RBP, 32, 0 }, { "bp", DREG_RBP, 16, 0 }, { "bpl", DREG_RBP, 8, 0 },
    { "esp", DREG_RSP, 32, 0 }, { "sp", DREG_RSP, 16, 0 }, { "spl", DREG_RSP, 8, 0 },
    { "eip", DREG_RIP, 32, 0 }, { "ip", DREG_RIP, 16, 0 }, { "pc", DREG_RIP, 64, 0 },
    { "eflags", DREG_RFLAGS, 32, 0 }, { "flags", DREG_RFLAGS, 16, 0 },
    { "fp", DREG_RBP, 64, 0 },
};

const char *dbg_reg_subname(unsigned i)
{
    return i < sizeof(subregs) / sizeof(subregs[0]) ? subregs[i].name : NULL;
}

int dbg_reg_lookup(const char *name, struct dbg_regref *out)
{
    char low[24];
    size_t n = strlen(name);

    if (n == 0 || n >= sizeof(low))
        return -VMS_ERR_NOTFOUND;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    for (unsigned r = 0; r < DREG_COUNT; r++) {
        if (!strcmp(low, dbg_reg_names[r])) {
            *out = (struct dbg_regref){ (enum dbg_reg)r, 64, 0 };
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(subregs) / sizeof(subregs[0]); i++) {
        if (!strcmp(low, subregs[i].name)) {
            *out = (struct dbg_regref){ subregs[i].reg, subregs[i].bits, subregs[i].shift };
            return 0;
        }
    }
    /* r8d, r8w, r8b ... r15d */
    char *end;
    if (low[0] == 'r') {
        long k = strtol(low + 1, &end, 10);
        unsigned bits = !strcmp(end, "d") ? 32 : !strcmp(end, "w") ? 16 :
                        (!strcmp(end, "b") || !strcmp(end, "l")) ? 8 : 0;
        if (end != low + 1 && k >= 8 && k <= 15 && bits) {
            *out = (struct dbg_regref){ (enum dbg_reg)(DREG_R8 + (k - 8)), bits, 0 };
            return 0;
        }
    }
    return -VMS_ERR_NOTFOUND;
}

/* enum dbg_reg order of the GPRs -> enum x86_gpr */
static const enum x86_gpr gpr_of[16] = {
    GPR_RAX, GPR_RBX, GPR_RCX, GPR_RDX, GPR_RSI, GPR_RDI, GPR_RBP, GPR_RSP,
    GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
};

int dbg_reg_seg(enum dbg_reg r)
{
    static const int segs[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS,
                                SEG_LDTR, SEG_TR };
    if (r >= DREG_CS && r <= DREG_TR)
        return segs[r - DREG_CS];
    return -1;
}

/* Pointer to the 64-bit field holding @r, or NULL for the special ones. */
static uint64_t *reg_slot(struct cpu_state *c, enum dbg_reg r)
{
    if (r <= DREG_R15)
        return &c->gpr[gpr_of[r]];
    switch (r) {
    case DREG_RIP: return &c->rip;
    case DREG_RFLAGS: return &c->rflags;
    case DREG_FS_BASE: return &c->seg[SEG_FS].base;
    case DREG_GS_BASE: return &c->seg[SEG_GS].base;
    case DREG_GDTR_BASE: return &c->gdt.base;
    case DREG_IDTR_BASE: return &c->idt.base;
    case DREG_CR0: return &c->cr0;
    case DREG_CR2: return &c->cr2;
    case DREG_CR3: return &c->cr3;
    case DREG_CR4: return &c->cr4;
    case DREG_CR8: return &c->cr8;
    case DREG_EFER: return &c->efer;
    case DREG_DR0: case DREG_DR1: case DREG_DR2: case DREG_DR3:
        return &c->dr[r - DREG_DR0];
    case DREG_DR6: return &c->dr[6];
    case DREG_DR7: return &c->dr[7];
    case DREG_STAR: return &c->star;
    case DREG_LSTAR: return &c->lstar;
    case DREG_CSTAR: return &c->cstar;
    case DREG_FMASK: return &c->fmask;
    case DREG_KERNEL_GS_BASE: return &c->kernel_gs_base;
    case DREG_SYSENTER_CS: return &c->sysenter_cs;
    case DREG_SYSENTER_ESP: return &c->sysenter_esp;
    case DREG_SYSENTER_EIP: return &c->sysenter_eip;
    default: return NULL;
    }
}

uint64_t dbg_reg_get(const struct cpu_state *cpu, enum dbg_reg r)
{
    int seg = dbg_reg_seg(r);

    if (seg >= 0)
        return cpu->seg[seg].selector;
    if (r == DREG_GDTR_LIMIT)
        return cpu->gdt.limit;
    if (r == DREG_IDTR_LIMIT)
        return cpu->idt.limit;
    uint64_t *p = reg_slot((struct cpu_state *)cpu, r);
    return p ? *p : 0;
}

void dbg_reg_put(struct cpu_state *cpu, enum dbg_reg r, uint64_t v)
{
    int seg = dbg_reg_seg(r);

    if (seg >= 0) {
        cpu->seg[seg].selector = (uint16_t)v;
        return;
    }
    if (r == DREG_GDTR_LIMIT) {
        cpu->gdt.limit = (uint16_t)v;
        return;
    }
    if (r == DREG_IDTR_LIMIT) {
        cpu->idt.limit = (uint16_t)v;
        return;
    }
    uint64_t *p = reg_slot(cpu, r);
    if (p)
        *p = v;
}

static uint64_t mask_of(unsigned bits)
{
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

uint64_t dbg_regref_get(const struct cpu_state *cpu, const struct dbg_regref *ref)
{
    return (dbg_reg_get(cpu, ref->reg) >> ref->shift) & mask_of(ref->bits);
}

void dbg_regref_put(struct cpu_state *cpu, const struct dbg_regref *ref, uint64_t v)
{
    uint64_t m = mask_of(ref->bits) << ref->shift;
    uint64_t old = dbg_reg_get(cpu, ref->reg);

    /* A 32-bit GPR write zero-extends in 64-bit mode; the debugger keeps
     * the upper half instead only for 8/16-bit parts (as the CPU does). */
    if (ref->bits == 32 && ref->reg <= DREG_R15)
        old = 0;
    dbg_reg_put(cpu, ref->reg, (old & ~m) | ((v << ref->shift) & m));
}
