/* sysinsn.c - SYSCALL/SYSRET and SYSENTER/SYSEXIT, Intel semantics
 * (SDM Vol. 2B, "SYSCALL", "SYSRET", "SYSENTER", "SYSEXIT": Operation).
 *
 * These instructions load CS and SS with fixed hidden parts, not from the
 * GDT: only the selectors come from the MSRs.  vmscope presents an Intel
 * CPU (docs/CPU.md), so SYSCALL/SYSRET are #UD outside 64-bit mode, even
 * though AMD CPUs allow them in legacy and compatibility mode.
 */
#include "sysinsn.h"

#include "paging.h"

/* STAR (SDM Vol. 3A 5.8.8): [47:32] SYSCALL CS (SS = +8), [63:48] SYSRET
 * base selector (32-bit CS = base, SS = base + 8, 64-bit CS = base + 16). */
#define STAR_SYSCALL_SHIFT 32
#define STAR_SYSRET_SHIFT  48
#define SYSRET_SS_OFFSET   8
#define SYSRET_CS64_OFFSET 16
/* SYSENTER_CS (SDM Vol. 2B SYSENTER/SYSEXIT): SS = CS + 8; SYSEXIT CS =
 * +16 (32-bit) or +32 (64-bit), its SS 8 above that. */
#define SYSENTER_SS_OFFSET   8
#define SYSEXIT_CS32_OFFSET  16
#define SYSEXIT_CS64_OFFSET  32
#define SEL_INDEX_TI_MASK    0xFFFCu
/* SYSRET: RFLAGS <- (R11 & 3C7FD7H) | 2 (clears RF, VM and reserved bits). */
#define SYSRET_RFLAGS_MASK   0x3C7FD7ull
#define SEGTYPE_CODE_XR_A    (SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED) /* 11 */
#define SEGTYPE_DATA_RW_A    (SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED)               /* 3 */

/* Flat 4 GiB segment with the fixed hidden part these instructions load:
 * base 0, limit FFFFFH with G = 1, S = 1, P = 1. */
static void flat_seg(struct x86_segment *seg, uint16_t sel, uint8_t type, unsigned dpl)
{
    *seg = (struct x86_segment){
        .selector = sel, .base = 0, .limit = 0xFFFFFFFFu, .type = type,
        .s = 1, .dpl = (uint8_t)dpl, .present = 1, .g = 1,
    };
}

/* CS for @bits-bit code (L = 1 D = 0 for 64, L = 0 D = 1 for 32), SS with B = 1. */
static void load_flat(struct cpu_state *s, uint16_t cs, uint16_t ss, unsigned dpl,
                      unsigned bits)
{
    flat_seg(&s->seg[SEG_CS], cs, SEGTYPE_CODE_XR_A, dpl);
    s->seg[SEG_CS].l = bits == 64;
    s->seg[SEG_CS].db = bits != 64;
    flat_seg(&s->seg[SEG_SS], ss, SEGTYPE_DATA_RW_A, dpl);
    s->seg[SEG_SS].db = 1;
}

static bool canonical(uint64_t a)
{
    uint64_t top = a >> (PG_LINEAR_BITS - 1);

    return top == 0 || top == (~0ull >> (PG_LINEAR_BITS - 1));
}

/* SYSCALL/SYSRET need 64-bit mode (CS.L, EFER.LMA) and EFER.SCE. */
static bool syscall_ok(const struct cpu_state *s)
{
    return x86_mode_of(s) == MODE_LONG64 && (s->efer & EFER_SCE);
}

int x86_syscall(struct cpu_state *s, unsigned insn_len)
{
    uint16_t star_cs = (uint16_t)(s->star >> STAR_SYSCALL_SHIFT);
    uint16_t cs = star_cs & SEL_INDEX_TI_MASK;    /* RPL forced to 0 */

    if (!syscall_ok(s))
        return EXC_UD;
    s->gpr[GPR_RCX] = s->rip + insn_len;
    /* RF is 0 once an instruction completes; QEMU and AMD clear it in R11. */
    s->gpr[GPR_R11] = s->rflags & ~RFLAGS_RF;
    s->rip = s->lstar;
    s->rflags = (s->rflags & ~s->fmask & ~RFLAGS_RF) | RFLAGS_FIXED;
    /* SS = STAR[47:32] + 8, without the RPL masking CS gets. */
    load_flat(s, cs, (uint16_t)(star_cs + SYSRET_SS_OFFSET), 0, 64);
    return 0;
}

int x86_sysret(struct cpu_state *s, int rex_w)
{
    uint16_t base = (uint16_t)(s->star >> STAR_SYSRET_SHIFT);
    uint16_t cs = (uint16_t)((rex_w ? base + SYSRET_CS64_OFFSET : base) | 3);
    uint16_t ss = (uint16_t)((base + SYSRET_SS_OFFSET) | 3);

    if (!syscall_ok(s))
        return EXC_UD;
    if (x86_cpl(s) != 0)
        return EXC_GP;
    if (rex_w && !canonical(s->gpr[GPR_RCX]))
        return EXC_GP;
    s->rip = rex_w ? s->gpr[GPR_RCX] : (uint32_t)s->gpr[GPR_RCX];
    s->rflags = (s->gpr[GPR_R11] & SYSRET_RFLAGS_MASK) | RFLAGS_FIXED;
    load_flat(s, cs, ss, 3, rex_w ? 64 : 32);
    return 0;
}

/* #GP(0) when IA32_SYSENTER_CS[15:2] = 0 or in real mode. */
static bool sysenter_cs_ok(const struct cpu_state *s)
{
    return (s->cr0 & CR0_PE) && ((s->sysenter_cs & SEL_INDEX_TI_MASK) != 0);
}

int x86_sysenter(struct cpu_state *s)
{
    uint16_t cs = (uint16_t)s->sysenter_cs & SEL_INDEX_TI_MASK;
    bool ia32e = s->efer & EFER_LMA;

    if (!sysenter_cs_ok(s))
        return EXC_GP;
    s->rflags &= ~(RFLAGS_VM | RFLAGS_IF | RFLAGS_RF);
    s->gpr[GPR_RSP] = ia32e ? s->sysenter_esp : (uint32_t)s->sysenter_esp;
    s->rip = ia32e ? s->sysenter_eip : (uint32_t)s->sysenter_eip;
    load_flat(s, cs, (uint16_t)(cs + SYSENTER_SS_OFFSET), 0, ia32e ? 64 : 32);
    return 0;
}

int x86_sysexit(struct cpu_state *s, int rex_w)
{
    bool to64 = rex_w && x86_mode_of(s) == MODE_LONG64;
    uint16_t base = (uint16_t)s->sysenter_cs;
    uint16_t cs = (uint16_t)((base + (to64 ? SYSEXIT_CS64_OFFSET : SYSEXIT_CS32_OFFSET)) | 3);

    if (!sysenter_cs_ok(s) || x86_cpl(s) != 0)
        return EXC_GP;
    if (to64 && (!canonical(s->gpr[GPR_RCX]) || !canonical(s->gpr[GPR_RDX])))
        return EXC_GP;
    s->gpr[GPR_RSP] = to64 ? s->gpr[GPR_RCX] : (uint32_t)s->gpr[GPR_RCX];
    s->rip = to64 ? s->gpr[GPR_RDX] : (uint32_t)s->gpr[GPR_RDX];
    load_flat(s, cs, (uint16_t)(cs + SYSENTER_SS_OFFSET), 3, to64 ? 64 : 32);
    return 0;
}
