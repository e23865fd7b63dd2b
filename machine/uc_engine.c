/* uc_engine.c - the Unicorn engine behind struct vcpu_ops.
 *
 * Unicorn 2.1.4 runs the guest (QEMU TCG); the engine adds what Unicorn
 * does not do (docs/ENGINE.md, DESIGN.md "Unicorn 2.1.x: facts measured"):
 *  - full segment state, CPL and 16/32/64-bit mode through the calibrated
 *    uc_context blob (uc_blob.c);
 *  - exception and interrupt delivery through the IVT/IDT (deliver.c), with
 *    QEMU's "previous exception" reset after each one;
 *  - SYSCALL/SYSENTER (sysinsn.c), CPUID (cpuid.c), RDTSC as virtual time;
 *  - exact instruction counting: a block hook adds each translation
 *    block's instruction count and stops before a block that would pass
 *    the budget; the tail and single steps run under a code hook;
 *  - code coherence for stores through non-executable aliases.
 * The guest is stopped only synchronously: from a block or code hook,
 * never from another thread or an MMIO callback.
 */
#include "uc_engine.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "cpuid.h"
#include "deliver.h"
#include "paging.h"
#include "sysinsn.h"
#include "uc_blob.h"
#include "vm.h"

#define UC_TCG_BUFFER     (32u << 20)   /* DESIGN: a flush then costs ~16 us */
#define UC_CPU_MODEL      UC_CPU_X86_SKYLAKE_SERVER  /* pdpe1gb, NX, LM, PGE */
#define PAGE_SIZE_4K      4096ull
#define PHYS_4G           (1ull << 32)
#define MAX_INSN_BYTES    15u
#define MAX_BLOCK_BYTES   4096u
/* uc_ctl_request_cache() without the header macro's signed shift
 * (3 << 30 overflows int; UBSan). */
#define UCV_CTL_REQUEST_CACHE \
    ((uc_control_type)((unsigned)UC_CTL_TB_REQUEST_CACHE | (2u << 26) | \
                       ((unsigned)UC_CTL_IO_READ_WRITE << 30)))

/* Opcodes the engine must recognise (SDM Vol. 2). */
#define OP_INT3    0xCC
#define OP_INTN    0xCD
#define OP_INTO    0xCE
#define OP_INT1    0xF1
#define OP_0F      0x0F
#define OP_SYSENTER 0x34   /* 0F 34 */
#define OP_SYSEXIT  0x35   /* 0F 35 */
#define REX_W       0x48
#define REX_MASK    0xF0
#define REX_BASE    0x40

enum ucv_stop {
    STOP_NONE,     /* uc_emu_start returned by itself: HLT or an error */
    STOP_BUDGET,   /* block hook: the next block would pass the budget */
    STOP_COUNT,    /* code hook: the counted instructions are done */
    STOP_KICK,
    STOP_EXC,      /* exception or INT n to deliver */
    STOP_SYS,      /* SYSCALL/SYSENTER/SYSEXIT to emulate */
    STOP_UNMAPPED, /* access outside RAM and MMIO (TLB-fill hook) */
    STOP_FLUSH,    /* code was written: drop translations, go on */
    STOP_BREAK,    /* debugger breakpoint (before the instruction) */
    STOP_WATCH,    /* debugger watchpoint (after the access) */
};

enum ucv_sys { SYS_SYSCALL, SYS_SYSENTER, SYS_SYSEXIT };

struct ucv;

/* Debugger state (set_debug); see the "debugger" section. */
enum ucv_dbg_hit { DBG_HIT_NONE, DBG_HIT_BREAK, DBG_HIT_WATCH };
struct ucv_dbg {
    struct vcpu_debug d;
    uc_hook h_brk[VCPU_MAX_BREAK];
    unsigned nbrk_hooks;
    uc_hook h_mem, h_after;
    bool watch_hooked;
    bool skip_armed;               /* the run's first breakpoint hit is skipped */
    uint64_t skip_addr;            /* ... when it is at this linear address */
    /* watched ranges as guest-physical chunks: memory hooks see physical
     * addresses (measured on 2.1.4), so linear watchpoints are translated
     * at the start of each run */
    struct ucv_wchunk { uint64_t pa, va, len; unsigned idx; } wc[VCPU_MAX_WATCH * 4];
    unsigned nwc;
    enum ucv_dbg_hit hit;
    uint64_t hit_addr, hit_value, hit_pa;
    uint8_t hit_size;
    bool hit_write;
};

/* Instruction counts of translation blocks by (address, size): asking
 * Unicorn (uc_ctl_request_cache) costs ~6 ns per block, a hit here ~1 ns.
 * Emptied whenever translations or the address space may have changed
 * (set_state, flushes); docs/ENGINE.md discusses the residual aliasing. */
#define ICACHE_SLOTS 4096u
struct icache_slot { uint64_t addr; uint32_t size; uint32_t icount; };

struct ucv_mmio {
    struct ucv *e;
    uint64_t base;
};

struct ucv {
    uc_engine *uc;
    struct vcpu *v;
    const struct uc_blob_layout *L;
    uc_context *ctx;               /* scratch for state conversion */
    csh cs;                        /* capstone, for counting and decoding */
    uc_hook h_block, h_code;
    bool code_hooked;              /* h_code installed (stepping or a tail) */
    bool by_code;                  /* the code hook counts the block running
                                      now, one instruction at a time */
    /* The tail of a budget: the block that would pass it, run under a code
     * hook bounded to its own bytes (size 0: none); tail_pa is where its
     * first byte was, so it can be dropped from the cache afterwards. */
    struct icache_slot tail, stopped_at;
    uint64_t tail_pa;
    /* run() bookkeeping */
    uint64_t budget, executed, code_left;
    /* What the block hook's common case compares with: the budget, or 0
     * while anything rare is pending (a kick, a flush, a code hook), so
     * that one comparison sends every block to block_general().
     * vcpu_kick() zeroes it through v->kick_limit. */
    volatile uint64_t limit;
    /* The block the block hook counted last (so the one running now,
     * unless the code hook counts): it began after executed - icount
     * instructions of this run.  A copy, not a pointer into icache[]: a
     * block that runs again is then found in this line, which is already
     * hot (see on_block()). */
    struct icache_slot cur;
    volatile int *kickp;           /* &v->kick */
    int slow;                      /* nonzero: the block hook's rare cases
                                      (flush_pending, code_hooked); see
                                      update_slow() */
    uint64_t last_code_rip;        /* linear address the code hook last saw */
    enum ucv_stop stop;
    uint32_t vector;               /* STOP_EXC */
    uint64_t hook_rip;             /* RIP inside the hook */
    bool invalid;                  /* STOP_EXC came from the #UD hook */
    enum ucv_sys sys;
    int sys_rexw;
    uint64_t bad_addr;             /* STOP_UNMAPPED */
    bool stepping;
    char pending_shutdown[96];     /* inject() hit a triple fault */
    uint64_t vtsc_base;            /* TSC = vtsc_base + instructions retired */
    uint64_t retired;
    uint64_t apic_base;            /* not writable through Unicorn */
    /* code coherence */
    uint8_t *code_map;             /* one bit per guest-physical page */
    uint64_t npages;
    bool vtlb;                     /* our TLB fill hook translates */
    bool flush_pending;            /* code written through a non-executable
                                      alias: flush at the next block */
    bool tlb_miss;                 /* it found no translation: retry */
    struct ucv_mmio **mmio;        /* each its own allocation: Unicorn keeps the pointer */
    unsigned nmmio;
    struct uc_engine_stats st;
    struct ucv_dbg dbg;
    struct icache_slot icache[ICACHE_SLOTS];
};

static struct ucv *eng(const struct vcpu *v) { return v->engine; }
static void icache_clear(struct ucv *e);

static void cpu_tlb(struct ucv *e, bool on);

/* Stored before the kick is read: a kick landing in between stores its
 * own 0 after ours. */
static void arm_limit(struct ucv *e)
{
    e->limit = e->budget;
    if (e->v->kick || e->slow)
        e->limit = 0;
}

static void update_slow(struct ucv *e)
{
    e->slow = e->flush_pending | e->code_hooked;
    arm_limit(e);
}

static void stop_guest(struct ucv *e, enum ucv_stop why)
{
    e->stop = why;
    uc_emu_stop(e->uc);
}

/* ---------------------------------------------------------------- state */

static const int gpr_ids[GPR_COUNT] = {
    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
    UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
    UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

struct msr_slot { uint32_t index; size_t off; };
#define MSR_SLOT(n, f) { n, offsetof(struct cpu_state, f) }
static const struct msr_slot msr_slots[] = {
    MSR_SLOT(MSR_STAR, star), MSR_SLOT(MSR_LSTAR, lstar),
    MSR_SLOT(MSR_CSTAR, cstar), MSR_SLOT(MSR_FMASK, fmask),
    MSR_SLOT(MSR_KERNEL_GS_BASE, kernel_gs_base),
    MSR_SLOT(MSR_IA32_SYSENTER_CS, sysenter_cs),
    MSR_SLOT(MSR_IA32_SYSENTER_ESP, sysenter_esp),
    MSR_SLOT(MSR_IA32_SYSENTER_EIP, sysenter_eip),
};
#define NMSR (sizeof(msr_slots) / sizeof(msr_slots[0]))

static uint64_t rd64(struct ucv *e, int id)
{
    uint64_t v = 0;
    uc_reg_read(e->uc, id, &v);
    return v;
}

static void wr64(struct ucv *e, int id, uint64_t v)
{
    uc_reg_write(e->uc, id, &v);
}

static uint64_t rdmsr(struct ucv *e, uint32_t index)
{
    uc_x86_msr m = { .rid = index };
    uc_reg_read(e->uc, UC_X86_REG_MSR, &m);
    return m.value;
}

static void wrmsr(struct ucv *e, uint32_t index, uint64_t value)
{
    uc_x86_msr m = { .rid = index, .value = value };
    uc_reg_write(e->uc, UC_X86_REG_MSR, &m);
}

static void get_regs(struct ucv *e, struct cpu_state *s)
{
    void *ptrs[GPR_COUNT];

    for (int i = 0; i < GPR_COUNT; i++)
        ptrs[i] = &s->gpr[i];
    uc_reg_read_batch(e->uc, (int *)gpr_ids, ptrs, GPR_COUNT);
    s->rip = rd64(e, UC_X86_REG_RIP);
    s->rflags = rd64(e, UC_X86_REG_RFLAGS);
}

static void get_system(struct ucv *e, struct cpu_state *s)
{
    static const int dr_ids[8] = {
        UC_X86_REG_DR0, UC_X86_REG_DR1, UC_X86_REG_DR2, UC_X86_REG_DR3,
        UC_X86_REG_DR4, UC_X86_REG_DR5, UC_X86_REG_DR6, UC_X86_REG_DR7,
    };
    uc_x86_mmr gdt = { 0 }, idt = { 0 };

    s->cr0 = rd64(e, UC_X86_REG_CR0);
    s->cr2 = rd64(e, UC_X86_REG_CR2);
    s->cr3 = rd64(e, UC_X86_REG_CR3);
    s->cr4 = rd64(e, UC_X86_REG_CR4);
    s->cr8 = rd64(e, UC_X86_REG_CR8);
    for (int i = 0; i < 8; i++)
        s->dr[i] = rd64(e, dr_ids[i]);
    uc_reg_read(e->uc, UC_X86_REG_GDTR, &gdt);
    uc_reg_read(e->uc, UC_X86_REG_IDTR, &idt);
    s->gdt = (struct x86_dtable){ .base = gdt.base, .limit = (uint16_t)gdt.limit };
    s->idt = (struct x86_dtable){ .base = idt.base, .limit = (uint16_t)idt.limit };
    s->efer = rdmsr(e, MSR_EFER);
    for (unsigned i = 0; i < NMSR; i++)
        *(uint64_t *)((char *)s + msr_slots[i].off) = rdmsr(e, msr_slots[i].index);
    s->apic_base = e->apic_base;
    s->tsc = e->vtsc_base + e->retired + e->executed;
}

static int save_blob(struct ucv *e)
{
    return uc_context_save(e->uc, e->ctx) == UC_ERR_OK ? 0 : -VMS_ERR_ENGINE;
}

static int ucv_get_state(struct vcpu *v, struct cpu_state *s)
{
    struct ucv *e = eng(v);

    memset(s, 0, sizeof(*s));
    get_regs(e, s);
    get_system(e, s);
    if (save_blob(e) < 0)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot save the CPU context");
    for (int i = SEG_ES; i < SEG_COUNT; i++)
        uc_blob_get_seg(e->L, e->ctx, (enum x86_seg)i, &s->seg[i]);
    return 0;
}

/* Control registers in an order Unicorn accepts: leave paging first (QEMU
 * clears EFER.LMA then), set CR4/CR3/EFER, then CR0 (QEMU sets EFER.LMA
 * when PG is turned on with EFER.LME and CR4.PAE; SDM Vol. 3A 9.8.5). */
static void put_control(struct ucv *e, const struct cpu_state *s)
{
    /* EFER.LMA is not writable through WRMSR (QEMU's update mask): clear
     * it by turning paging on and off with EFER.LME and CR4.PAE set. */
    wr64(e, UC_X86_REG_CR4, CR4_PAE);
    wrmsr(e, MSR_EFER, EFER_LME);
    wr64(e, UC_X86_REG_CR0, CR0_PE | CR0_PG);
    wr64(e, UC_X86_REG_CR0, CR0_PE);
    wr64(e, UC_X86_REG_CR4, s->cr4);
    wr64(e, UC_X86_REG_CR3, s->cr3);
    wrmsr(e, MSR_EFER, s->efer & ~EFER_LMA);
    wr64(e, UC_X86_REG_CR0, s->cr0);
    wr64(e, UC_X86_REG_CR2, s->cr2);
    wr64(e, UC_X86_REG_CR8, s->cr8);
}

static void put_regs(struct ucv *e, const struct cpu_state *s)
{
    static const int dr_ids[6] = {
        UC_X86_REG_DR0, UC_X86_REG_DR1, UC_X86_REG_DR2, UC_X86_REG_DR3,
        UC_X86_REG_DR6, UC_X86_REG_DR7,
    };
    static const int dr_idx[6] = { 0, 1, 2, 3, 6, 7 };
    uc_x86_mmr gdt = { .base = s->gdt.base, .limit = s->gdt.limit };
    uc_x86_mmr idt = { .base = s->idt.base, .limit = s->idt.limit };

    for (int i = 0; i < GPR_COUNT; i++)
        wr64(e, gpr_ids[i], s->gpr[i]);
    wr64(e, UC_X86_REG_RFLAGS, s->rflags | RFLAGS_FIXED);
    for (int i = 0; i < 6; i++)
        wr64(e, dr_ids[i], s->dr[dr_idx[i]]);
    uc_reg_write(e->uc, UC_X86_REG_GDTR, &gdt);
    uc_reg_write(e->uc, UC_X86_REG_IDTR, &idt);
    for (unsigned i = 0; i < NMSR; i++)
        wrmsr(e, msr_slots[i].index, *(const uint64_t *)((const char *)s + msr_slots[i].off));
    wr64(e, UC_X86_REG_RIP, s->rip);
}

/* Segment caches, hflags and the previous exception go through the blob. */
static int put_blob(struct ucv *e, const struct cpu_state *s)
{
    const struct uc_blob_layout *L = e->L;

    if (save_blob(e) < 0)
        return -VMS_ERR_ENGINE;
    for (int i = SEG_ES; i < SEG_COUNT; i++)
        uc_blob_put_seg(L, e->ctx, (enum x86_seg)i, &s->seg[i]);
    uint32_t h = uc_blob_u32(L, e->ctx, L->hflags);
    uc_blob_set_u32(L, e->ctx, L->hflags, (h & ~QHF_OWNED) | uc_blob_hflags(s));
    /* QEMU x86_cpu_do_interrupt() sets old_exception = -1 after each
     * delivery; Unicorn never calls it, so the engine does. */
    uc_blob_set_u32(L, e->ctx, L->old_exception, UINT32_MAX);
    if (uc_context_restore(e->uc, e->ctx) != UC_ERR_OK)
        return -VMS_ERR_ENGINE;
    /* The blob copy bypasses QEMU's CR3/CR0 hooks: drop stale TLB entries. */
    uc_ctl_flush_tlb(e->uc);
    return 0;
}

static int ucv_set_state(struct vcpu *v, const struct cpu_state *s)
{
    struct ucv *e = eng(v);

    put_control(e, s);
    put_regs(e, s);
    e->apic_base = s->apic_base;
    icache_clear(e);
    e->vtsc_base = s->tsc - e->retired - e->executed;
    if (put_blob(e, s) < 0)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot restore the CPU context");
    return 0;
}

/* --------------------------------------------------------- guest memory */

/* Linear address of CS:@rip. */
static uint64_t code_linear(const struct cpu_state *s, uint64_t rip)
{
    uint64_t lin = s->seg[SEG_CS].base + rip;
    return x86_code_bits(s) == 64 ? rip : (uint32_t)lin;
}

/* Read guest code at linear @va without touching A/D bits. */
static size_t read_code(struct ucv *e, const struct cpu_state *s, uint64_t va,
                        uint8_t *buf, size_t len)
{
    struct pg_walk w;

    while (len > 0) {
        if (pg_read_linear(s, &e->v->vm->mem, va, buf, len, 0, &w))
            return len;
        len--;   /* the tail crosses into a bad page: read less */
    }
    return 0;
}

static cs_mode cs_mode_of(const struct cpu_state *s)
{
    switch (x86_code_bits(s)) {
    case 64: return CS_MODE_64;
    case 32: return CS_MODE_32;
    default: return CS_MODE_16;
    }
}

/* Instructions that start in [from, to) decoding from @from. */
static uint64_t count_insns(struct ucv *e, const struct cpu_state *s,
                            uint64_t from, uint64_t to)
{
    uint8_t buf[MAX_BLOCK_BYTES];
    size_t len = to - from > sizeof(buf) ? sizeof(buf) : (size_t)(to - from);
    uint64_t n = 0;

    len = read_code(e, s, from, buf, len);
    cs_option(e->cs, CS_OPT_MODE, cs_mode_of(s));
    const uint8_t *p = buf;
    uint64_t addr = from;
    cs_insn *insn = cs_malloc(e->cs);
    if (!insn)
        return 0;
    while (len > 0 && addr < to && cs_disasm_iter(e->cs, &p, &len, &addr, insn))
        n++;
    cs_free(insn, 1);
    return n;
}

/* ------------------------------------------------------ event reporting */

static void note_event(struct ucv *e, struct event *ev)
{
    if (e->v->note)
        e->v->note(e->v, ev);
}

static void note_exception(struct ucv *e, const struct deliver_req *r,
                           const struct deliver_result *res, uint64_t rip)
{
    struct event ev = { .kind = r->kind == DLV_SOFTINT ? EV_SOFTINT : EV_EXCEPTION,
                        .vector = res->vector, .has_error = res->has_error,
                        .error = res->error, .rip = rip, .addr = r->cr2 };
    if (res->why[0])
        snprintf(ev.text, sizeof(ev.text), "%.*s", EV_TEXT_MAX - 1, res->why);
    note_event(e, &ev);
}

/* ----------------------------------------------- exceptions, interrupts */

/* Deliver @r on the current state; VEXIT_SHUTDOWN on a triple fault. */
static int deliver(struct ucv *e, struct cpu_state *s, const struct deliver_req *r,
                   uint64_t rip, struct vcpu_exit *ex)
{
    struct deliver_result res;

    memset(&res, 0, sizeof(res));
    if (x86_deliver(s, &e->v->vm->mem, r, &res) < 0)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: malformed delivery of vector %u", r->vector);
    e->st.exceptions++;
    if (res.shutdown) {
        /* res.why reads "triple fault: ..." or, for what the engine cannot
         * deliver (task gates), says so: an engine error, not a guest one. */
        ex->kind = res.unsupported ? VEXIT_ERROR : VEXIT_SHUTDOWN;
        ex->rip = rip;
        snprintf(ex->text, sizeof(ex->text), "%.*s", (int)sizeof(ex->text) - 1, res.why);
        return 1;
    }
    /* A delivery takes time like an instruction: a guest whose handler
     * faults at once (a fault loop, as on hardware) still spends its
     * budget, so the scheduler and --timeout keep control. */
    e->executed++;
    note_exception(e, r, &res, rip);
    return ucv_set_state(e->v, s);
}

/* How the instruction at @rip raised its vector (it ran to completion when
 * Unicorn moved RIP past it: INT n, INT3, INTO, INT1). */
static enum deliver_kind trap_kind(struct ucv *e, const struct cpu_state *s, uint64_t rip)
{
    uint8_t op = 0;

    read_code(e, s, code_linear(s, rip), &op, 1);
    /* INT n, INT3 and INTO check the gate's DPL (SDM Vol. 3A 6.12.1.1);
     * INT1 does not. */
    return op == OP_INT1 ? DLV_TRAP : DLV_SOFTINT;
}

/* Start of the INT n (CD ib), INT3 (CC), INTO (CE) or INT1 (F1) that
 * ended at @s->rip. */
static uint64_t int_insn_start(struct ucv *e, const struct cpu_state *s, uint32_t vector)
{
    uint8_t b[2] = { 0 };

    read_code(e, s, code_linear(s, s->rip - 2), b, 2);
    if (b[0] == OP_INTN && b[1] == vector)
        return s->rip - 2;
    return s->rip - 1;
}

/* Instructions of the interrupted block that retired before the fault. */
static void uncount_fault(struct ucv *e, const struct cpu_state *s, uint64_t rip)
{
    uint64_t lin = code_linear(s, rip);

    if (e->by_code) {
        if (e->last_code_rip == lin && e->executed > 0)
            e->executed--;
        return;
    }
    const struct icache_slot *b = &e->cur;
    if (lin >= b->addr && lin < b->addr + b->size && e->executed >= b->icount)
        e->executed = e->executed - b->icount + count_insns(e, s, b->addr, lin);
}

/* #PF: the error code from the blob, checked against our own walk. */
static uint32_t pf_error(struct ucv *e, const struct cpu_state *s, uint32_t err)
{
    struct pg_walk w;
    unsigned flags = (err & PFEC_W ? PGW_WRITE : 0) | (err & PFEC_U ? PGW_USER : 0) |
                     (err & PFEC_I ? PGW_FETCH : 0);

    if (!pg_translate(s, &e->v->vm->mem, s->cr2, flags, &w) || !w.ok)
        if ((w.pfec & (PFEC_P | PFEC_RSVD)) != (err & (PFEC_P | PFEC_RSVD)))
            return w.pfec;   /* our walker decides; docs/ENGINE.md */
    return err;
}

static int handle_exception(struct ucv *e, struct vcpu_exit *ex)
{
    struct cpu_state s;
    struct deliver_req r = { .vector = (uint8_t)e->vector };

    if (ucv_get_state(e->v, &s) < 0)
        return -VMS_ERR_ENGINE;
    cpu_tlb(e, false);   /* a fault retried with QEMU's walker is raised */
    /* QEMU raise_interrupt(): exception_is_int = 1 for INT n, INT3, INTO,
     * INT1; RIP is then already the next instruction (Unicorn sets it to
     * exception_next_eip), and the instruction retired. */
    uint64_t rip = e->invalid ? e->hook_rip : s.rip;
    bool is_int = !e->invalid && uc_blob_u32(e->L, e->ctx, e->L->exception_is_int);
    e->invalid = false;
    if (is_int) {
        rip = int_insn_start(e, &s, e->vector);
        r.kind = trap_kind(e, &s, rip);
        r.next_rip = s.rip;
        s.rip = rip;
    } else {
        s.rip = rip;
        uncount_fault(e, &s, rip);
        r.kind = DLV_FAULT;
        r.has_error = x86_vector_has_error(r.vector);
        if (r.has_error)
            r.error = uc_blob_u32(e->L, e->ctx, e->L->error_code);
        if (r.vector == EXC_PF) {
            r.cr2 = s.cr2;
            r.error = pf_error(e, &s, r.error);
        }
    }
    return deliver(e, &s, &r, rip, ex);
}

static void on_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
    struct ucv *e = opaque;

    (void)uc;
    e->vector = intno;
    stop_guest(e, STOP_EXC);
}

/* #UD, except SYSENTER/SYSEXIT which Unicorn may not implement. */
static bool on_invalid(uc_engine *uc, void *opaque)
{
    struct ucv *e = opaque;
    struct cpu_state s;
    uint8_t op[3] = { 0 };

    uc_reg_read(uc, UC_X86_REG_RIP, &e->hook_rip);
    memset(&s, 0, sizeof(s));
    get_system(e, &s);
    if (save_blob(e) == 0)
        uc_blob_get_seg(e->L, e->ctx, SEG_CS, &s.seg[SEG_CS]);
    read_code(e, &s, code_linear(&s, e->hook_rip), op, sizeof(op));
    int rexw = (op[0] & REX_MASK) == REX_BASE && (op[0] & 0x8);
    const uint8_t *o = (op[0] & REX_MASK) == REX_BASE ? op + 1 : op;
    if (o[0] == OP_0F && (o[1] == OP_SYSEXIT || o[1] == OP_SYSENTER)) {
        e->sys = o[1] == OP_SYSEXIT ? SYS_SYSEXIT : SYS_SYSENTER;
        e->sys_rexw = rexw;
        stop_guest(e, STOP_SYS);
        return false;
    }
    e->vector = EXC_UD;
    e->invalid = true;
    stop_guest(e, STOP_EXC);
    return false;
}

/* ------------------------------------------------------ SYSCALL et al. */

static void on_syscall(uc_engine *uc, void *opaque)
{
    struct ucv *e = opaque;

    uc_reg_read(uc, UC_X86_REG_RIP, &e->hook_rip);
    e->sys = SYS_SYSCALL;
    stop_guest(e, STOP_SYS);
}

static void on_sysenter(uc_engine *uc, void *opaque)
{
    struct ucv *e = opaque;

    uc_reg_read(uc, UC_X86_REG_RIP, &e->hook_rip);
    e->sys = SYS_SYSENTER;
    stop_guest(e, STOP_SYS);
}

#define SYS_INSN_LEN 2u   /* 0F 05, 0F 34 */

static int handle_sys(struct ucv *e, struct vcpu_exit *ex)
{
    static const char *const names[] = { "syscall", "sysenter", "sysexit" };
    struct cpu_state s;
    uint8_t op[2] = { 0 };
    int vec;

    if (ucv_get_state(e->v, &s) < 0)
        return -VMS_ERR_ENGINE;
    /* The hook may see RIP at or after the instruction: find its start. */
    uint64_t at = e->hook_rip;
    read_code(e, &s, code_linear(&s, at), op, 2);
    if (e->sys != SYS_SYSEXIT && op[0] != OP_0F)
        at -= SYS_INSN_LEN;
    s.rip = at;
    if (e->sys == SYS_SYSCALL)
        vec = x86_syscall(&s, SYS_INSN_LEN);
    else if (e->sys == SYS_SYSENTER)
        vec = x86_sysenter(&s);
    else
        vec = x86_sysexit(&s, e->sys_rexw);
    if (vec > 0) {
        struct deliver_req r = { .vector = (uint8_t)vec, .kind = DLV_FAULT,
                                 .has_error = x86_vector_has_error((uint8_t)vec) };
        return deliver(e, &s, &r, at, ex);
    }
    struct event ev = { .kind = EV_SYSCALL, .rip = at, .addr = s.rip };
    snprintf(ev.text, sizeof(ev.text), "%s", names[e->sys]);
    note_event(e, &ev);
    return ucv_set_state(e->v, &s);
}

/* CPUID: the one model of cpuid.c.  Returning 1 skips QEMU's own. */
static int on_cpuid(uc_engine *uc, void *opaque)
{
    struct ucv *e = opaque;
    struct cpuid_regs r;

    cpuid_model((uint32_t)rd64(e, UC_X86_REG_RAX), (uint32_t)rd64(e, UC_X86_REG_RCX),
                e->v->index, e->v->vm->nvcpu ? e->v->vm->nvcpu : 1, &r);
    wr64(e, UC_X86_REG_RAX, r.eax);
    wr64(e, UC_X86_REG_RBX, r.ebx);
    wr64(e, UC_X86_REG_RCX, r.ecx);
    wr64(e, UC_X86_REG_RDX, r.edx);
    (void)uc;
    return 1;
}

/* Instructions retired before the one at RIP (the block hook counted the
 * whole block already; the code hook counted this instruction). */
static uint64_t retired_now(struct ucv *e)
{
    struct cpu_state s;

    if (e->by_code)
        return e->executed - 1;
    memset(&s, 0, sizeof(s));
    get_system(e, &s);
    if (save_blob(e) == 0)
        uc_blob_get_seg(e->L, e->ctx, SEG_CS, &s.seg[SEG_CS]);
    uint64_t lin = code_linear(&s, rd64(e, UC_X86_REG_RIP));
    return e->executed - e->cur.icount + count_insns(e, &s, e->cur.addr, lin);
}

/* RDTSC/RDTSCP: virtual time (instructions retired), never the host TSC. */
static int on_rdtsc(uc_engine *uc, void *opaque)
{
    struct ucv *e = opaque;
    uint64_t t = e->vtsc_base + e->retired + retired_now(e);

    wr64(e, UC_X86_REG_RAX, (uint32_t)t);
    wr64(e, UC_X86_REG_RDX, t >> 32);
    (void)uc;
    return 1;
}

static int on_rdtscp(uc_engine *uc, void *opaque)
{
    struct ucv *e = opaque;
    wr64(e, UC_X86_REG_RCX, e->v->index);   /* IA32_TSC_AUX */
    return on_rdtsc(uc, opaque);
}

/* ------------------------------------------------------------ port I/O */

static void io_exit(struct ucv *e, struct vcpu_exit *x, uint64_t addr, unsigned size,
                    bool write, uint64_t value, enum vcpu_exit_kind kind)
{
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->addr = addr;
    x->size = (uint8_t)size;
    x->write = write;
    x->value = value;
    x->executed = e->executed;
    x->rip = rd64(e, UC_X86_REG_RIP);
    e->v->io(e->v, x);
}

static uint32_t on_in(uc_engine *uc, uint32_t port, int size, void *opaque)
{
    struct vcpu_exit x;

    io_exit(opaque, &x, port, (unsigned)size, false, 0, VEXIT_PIO);
    (void)uc;
    return (uint32_t)x.value;
}

static void on_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *opaque)
{
    struct vcpu_exit x;

    io_exit(opaque, &x, port, (unsigned)size, true, value, VEXIT_PIO);
    (void)uc;
}

/* ----------------------------------------------------------------- MMIO */

static uint64_t on_mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *opaque)
{
    struct ucv_mmio *m = opaque;
    struct vcpu_exit x;

    io_exit(m->e, &x, m->base + off, size, false, 0, VEXIT_MMIO);
    (void)uc;
    return x.value;
}

static void on_mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t value,
                          void *opaque)
{
    struct ucv_mmio *m = opaque;
    struct vcpu_exit x;

    io_exit(m->e, &x, m->base + off, size, true, value, VEXIT_MMIO);
    (void)uc;
}

static int map_mmio(struct ucv *e, uint64_t base, uint64_t end)
{
    if (end <= base)
        return 0;
    /* The callbacks' opaque must stay put: never realloc the records. */
    struct ucv_mmio **all = realloc(e->mmio, (e->nmmio + 1) * sizeof(*all));
    if (!all)
        return -VMS_ERR_NOMEM;
    e->mmio = all;
    struct ucv_mmio *m = malloc(sizeof(*m));
    if (!m)
        return -VMS_ERR_NOMEM;
    *m = (struct ucv_mmio){ .e = e, .base = base };
    e->mmio[e->nmmio++] = m;
    if (uc_mmio_map(e->uc, base, end - base, on_mmio_read, m, on_mmio_write, m) != UC_ERR_OK)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot map MMIO 0x%llx-0x%llx",
                          (unsigned long long)base, (unsigned long long)end);
    return 0;
}

/* [a, b) holds no device: RAM where the VM has it, else the open bus (an
 * MMIO catch-all below 4 GiB that the bus answers with all ones). */
static int map_gap(struct ucv *e, uint64_t a, uint64_t b)
{
    struct gmem *mem = &e->v->vm->mem;
    uint64_t ram_end = b < mem->size ? b : mem->size;

    if (a < ram_end && uc_mem_map_ptr(e->uc, a, ram_end - a, UC_PROT_ALL, mem->ram + a) != UC_ERR_OK)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot map guest RAM");
    uint64_t lo = a > mem->size ? a : mem->size, hi = b < PHYS_4G ? b : PHYS_4G;
    return map_mmio(e, lo, hi);
}

/* Device ranges (page-rounded, merged) go to MMIO; the rest is a gap. */
static int map_memory(struct ucv *e)
{
    const struct bus *bus = &e->v->vm->bus;
    uint64_t cur = 0, top = e->v->vm->mem.size > PHYS_4G ? e->v->vm->mem.size : PHYS_4G;
    int err;

    for (unsigned i = 0; i < bus->n[BUS_MMIO]; i++) {
        const struct bus_range *r = &bus->r[BUS_MMIO][i];
        uint64_t b = r->base & ~(PAGE_SIZE_4K - 1);
        uint64_t end = (r->base + r->len + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
        if (b < cur)
            b = cur;
        if (end <= b)
            continue;
        if ((err = map_gap(e, cur, b)) < 0 || (err = map_mmio(e, b, end)) < 0)
            return err;
        cur = end;
    }
    return map_gap(e, cur, top);
}

/* --------------------------------------- address translation, coherence */

/* The engine translates guest addresses itself (Unicorn's UC_TLB_VIRTUAL
 * with a TLB-fill hook) for two reasons (docs/ENGINE.md "Translation"):
 *  - speed: Unicorn 2.1.4 checks every store to a page whose TLB entry is
 *    executable for code, and its own walker (or no paging at all) makes
 *    every RAM page executable; entries filled here are executable only
 *    for pages that hold translated code, so stores to data pages take
 *    the fast path (DESIGN.md: ~10x on a load+store loop);
 *  - coherence: a page that holds translated code is executable in every
 *    entry that maps it, through any alias, so Unicorn checks every store
 *    to it; when a page first holds code the TLB is flushed so no older
 *    non-executable alias survives.
 * A walk that fails does not raise #PF here (the hook sees only the page,
 * not the exact address for CR2, nor whether the access is an implicit
 * supervisor one): the instruction is re-executed with QEMU's own walker
 * (UC_TLB_CPU), which raises the exact fault, and the engine returns to
 * its own translation after that delivery or at the next run(). */
static bool code_page(const struct ucv *e, uint64_t pa)
{
    uint64_t pg = pa / PAGE_SIZE_4K;
    return pg < e->npages && (e->code_map[pg / 8] & (1u << (pg % 8)));
}

/* Remember that page @pa holds translated code; true if it is new. */
static bool mark_code(struct ucv *e, uint64_t pa)
{
    uint64_t pg = pa / PAGE_SIZE_4K;

    if (pg >= e->npages || code_page(e, pa))
        return false;
    e->code_map[pg / 8] |= (uint8_t)(1u << (pg % 8));
    return true;
}

/* The paging state a walk needs, read from Unicorn. */
static void paging_state(struct ucv *e, struct cpu_state *s)
{
    memset(s, 0, sizeof(*s));
    s->cr0 = rd64(e, UC_X86_REG_CR0);
    s->cr3 = rd64(e, UC_X86_REG_CR3);
    s->cr4 = rd64(e, UC_X86_REG_CR4);
    s->efer = rdmsr(e, MSR_EFER);
    s->rflags = rd64(e, UC_X86_REG_RFLAGS);
}

/* CPL: 0 in real mode, 3 in virtual-8086 mode, else CS.RPL (which the CPU
 * keeps equal to CPL, conforming segments included; SDM Vol. 3A 5.8.1.2). */
static unsigned current_cpl(struct ucv *e, const struct cpu_state *s)
{
    if (!(s->cr0 & CR0_PE))
        return 0;
    if (s->rflags & RFLAGS_VM)
        return 3;
    return (unsigned)rd64(e, UC_X86_REG_CS) & 3;
}

/* The rights of a TLB entry for page @w: the access itself, plus what
 * the tables allow that needs no later A/D update (write only once the
 * page is dirty).  Execute only where code lives or is being fetched:
 * Unicorn then checks every store to the page for code.  A page holding
 * code reached through a non-executable mapping cannot be given execute
 * (a fetch through it must fault), so it is mapped read-only there and a
 * store through it drops every translation at the next block. */
static uint32_t entry_perms(struct ucv *e, const struct cpu_state *s, const struct pg_walk *w,
                            unsigned flags)
{
    uint32_t perms = UC_PROT_READ;
    bool user = flags & PGW_USER;
    bool paged = w->mode != PGM_NONE;
    bool dirty = !paged || (w->lv[w->nlevels - 1].entry & PTE_D);
    bool may_write = !paged || (w->writable && (user ? w->user : true)) ||
                     (!user && !(s->cr0 & CR0_WP));
    bool exec = !paged || w->executable;

    if ((flags & PGW_WRITE) || (may_write && dirty))
        perms |= UC_PROT_WRITE;
    if (flags & PGW_FETCH)
        return perms | UC_PROT_EXEC;
    if (!code_page(e, w->pa))
        return perms;
    if (exec)
        return perms | UC_PROT_EXEC;
    if (flags & PGW_WRITE) {
        e->flush_pending = true;
        update_slow(e);
        e->st.code_writes++;
        return perms;
    }
    return perms & ~(uint32_t)UC_PROT_WRITE;
}

static bool on_tlb_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *out,
                        void *opaque)
{
    struct ucv *e = opaque;
    struct cpu_state s;
    struct pg_walk w;
    unsigned flags = PGW_SET_AD;

    (void)uc;
    paging_state(e, &s);
    if (type == UC_MEM_WRITE)
        flags |= PGW_WRITE;
    else if (type == UC_MEM_FETCH)
        flags |= PGW_FETCH;
    if (current_cpl(e, &s) == 3)
        flags |= PGW_USER;
    e->st.tlb_fills++;
    if (!pg_translate(&s, &e->v->vm->mem, va, flags, &w) || !w.ok) {
        e->tlb_miss = true;   /* natural_exit() retries with QEMU's walker */
        return false;
    }
    out->paddr = w.pa & ~(PAGE_SIZE_4K - 1);
    if (out->paddr >= e->v->vm->mem.size && out->paddr >= PHYS_4G) {
        e->bad_addr = out->paddr;   /* no RAM, no device: end the VM */
        e->stop = STOP_UNMAPPED;
        return false;
    }
    out->perms = entry_perms(e, &s, &w, flags);
    return true;
}

/* Translate with Unicorn's own walker (true) or ours (false). */
static void cpu_tlb(struct ucv *e, bool on)
{
    if (on == !e->vtlb)
        return;
    uc_ctl_tlb_mode(e->uc, on ? UC_TLB_CPU : UC_TLB_VIRTUAL);
    uc_ctl_flush_tlb(e->uc);
    e->vtlb = !on;
}

static const struct icache_slot no_block;   /* size 0 never matches */

/* Field by field, as on_block() reads them back (store forwarding). */
static inline void set_cur(struct ucv *e, const struct icache_slot *c)
{
    e->cur.addr = c->addr;
    e->cur.size = c->size;
    e->cur.icount = c->icount;
}

static struct icache_slot *icache_slot(struct ucv *e, uint64_t addr)
{
    return &e->icache[(addr ^ (addr >> 12)) % ICACHE_SLOTS];
}

static void icache_clear(struct ucv *e)
{
    memset(e->icache, 0, sizeof(e->icache));   /* size 0 never matches */
    e->cur = no_block;
}

static void flush_code(struct ucv *e)
{
    icache_clear(e);
    uc_ctl_flush_tb(e->uc);
    uc_ctl_flush_tlb(e->uc);
    e->st.tb_flushes++;
    e->flush_pending = false;
    update_slow(e);
}

/* A block is about to run for the first time since the count cache was
 * emptied: remember its pages as code; a page new to code drops every TLB
 * entry (one may be a non-executable alias of it). */
static void note_block_pages(struct ucv *e, uint64_t addr, uint32_t size)
{
    struct cpu_state s;
    struct pg_walk w;
    bool fresh = false;

    paging_state(e, &s);
    if (pg_translate(&s, &e->v->vm->mem, addr, 0, &w))
        fresh |= mark_code(e, w.pa);
    if (size > 1 && pg_translate(&s, &e->v->vm->mem, addr + size - 1, 0, &w))
        fresh |= mark_code(e, w.pa);
    if (fresh) {
        uc_ctl_flush_tlb(e->uc);
        e->st.code_pages++;
    }
}

/* ------------------------------------------------- counting and stepping */

/* The block hook's rare cases: a kick, stale code, or a code hook that
 * counts instead (stepping: every block; a tail: that block only).
 * Returns true when the block must not be counted here. */
static bool block_slow(struct ucv *e, uint64_t addr, uint32_t size)
{
    if (e->v->kick) {
        stop_guest(e, STOP_KICK);
        return true;
    }
    if (e->flush_pending) {
        stop_guest(e, STOP_FLUSH);   /* this block may be stale: not run */
        return true;
    }
    e->by_code = e->stepping || (e->tail.size && addr == e->tail.addr && size == e->tail.size);
    return e->by_code;
}

/* The cache slot of the block at (@addr, @size), filled on a miss by
 * asking Unicorn (~6 ns). */
static const struct icache_slot *block_icount(struct ucv *e, uint64_t addr, uint32_t size)
{
    struct icache_slot *c = icache_slot(e, addr);
    uc_tb tb;

    if (c->addr != addr || c->size != size) {
        if (uc_ctl(e->uc, UCV_CTL_REQUEST_CACHE, addr, &tb) != UC_ERR_OK)
            tb.icount = 1;
        *c = (struct icache_slot){ addr, size, tb.icount };
        note_block_pages(e, addr, size);
    }
    return c;
}

/* Everything but the common case of on_block(). */
static __attribute__((noinline)) void block_general(struct ucv *e, uint64_t addr,
                                                    uint32_t size)
{
    if ((*e->kickp | e->slow) != 0 && block_slow(e, addr, size))
        return;
    const struct icache_slot *c = block_icount(e, addr, size);
    if (e->executed + c->icount > e->budget) {
        e->stopped_at = *c;
        stop_guest(e, STOP_BUDGET);  /* measured: the block does not run */
        return;
    }
    set_cur(e, c);
    e->executed += c->icount;
}

/* Runs before every translated block: the engine's clock.  This is the
 * hottest code in vmscope (once per ~5-10 guest instructions), so the
 * common cases (the block that ran last runs again; or its count is in
 * the cache) are a leaf with no spills and one comparison against the
 * budget (the limit is 0 while anything rare is pending); the rest is
 * block_general().
 *
 * Measured (user time, alternating builds, best of 3), against raw
 * Unicorn with no hook at ~3,400 MIPS on the one-block register loop and
 * ~2,850 on the two-block one (and 3,300 / 1,690 with an empty hook: the
 * call itself costs short blocks 40%):
 *   only the last block looked at:         one-block ~3,300, two-block 1,370
 *   the cache only, a pointer to the slot:  one-block ~2,900, two-block 1,600
 *   the last block first (a copy), then the cache, this code:
 *                                           one-block ~3,150, two-block 1,520
 * The copy is stored field by field, as it is read back (one 16-byte
 * store read back in parts stalled store forwarding). */
static void on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
    struct ucv *e = opaque;

    (void)uc;
    if (__builtin_expect(e->cur.addr == addr && e->cur.size == size, 0)) {
        uint64_t after = e->executed + e->cur.icount;
        if (__builtin_expect(after <= e->limit, 1)) {
            e->executed = after;
            return;
        }
    } else {
        const struct icache_slot *c = icache_slot(e, addr);
        if (__builtin_expect(c->addr == addr && c->size == size, 1)) {
            uint64_t after = e->executed + c->icount;
            if (__builtin_expect(after <= e->limit, 1)) {
                e->executed = after;
                set_cur(e, c);
                return;
            }
        }
    }
    block_general(e, addr, size);
}

static void on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
    struct ucv *e = opaque;

    (void)uc; (void)size;
    if (!e->by_code)
        return;   /* a block the block hook counted, translated with a tail hook */
    if (e->code_left == 0) {
        stop_guest(e, STOP_COUNT);   /* before this instruction */
        return;
    }
    e->code_left--;
    e->executed++;
    e->last_code_rip = addr;
    note_block_pages(e, addr, size);
}

/* A code hook fires only in blocks translated after it exists: flush. */
static int code_hook(struct ucv *e, bool on)
{
    if (on == e->code_hooked)
        return 0;
    if (on && uc_hook_add(e->uc, &e->h_code, UC_HOOK_CODE, (void *)on_code, e, 1, 0) != UC_ERR_OK)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot add a code hook");
    if (!on)
        uc_hook_del(e->uc, e->h_code);
    e->code_hooked = on;
    e->by_code = on;
    update_slow(e);
    uc_ctl_flush_tb(e->uc);
    e->st.tb_flushes++;
    return 0;
}

/* Where the first byte of the block at linear @addr is now (~0: nowhere). */
static uint64_t block_pa(struct ucv *e, uint64_t addr)
{
    struct cpu_state s;
    struct pg_walk w;

    paging_state(e, &s);
    return pg_translate(&s, &e->v->vm->mem, addr, 0, &w) ? w.pa : ~0ull;
}

/* The tail hook is gone: drop the one block translated with it, or
 * everything when the block is no longer where it was (the guest changed
 * its mappings meanwhile).  A stale copy would still be counted right
 * (on_code ignores blocks it does not count), only slower. */
static void tail_unhook(struct ucv *e)
{
    if (!e->tail.size)
        return;
    uc_hook_del(e->uc, e->h_code);
    e->code_hooked = e->by_code = false;
    if (block_pa(e, e->tail.addr) == e->tail_pa)
        uc_ctl_remove_cache(e->uc, e->tail.addr, e->tail.addr + e->tail.size);
    else
        flush_code(e);
    e->tail.size = 0;
    update_slow(e);
}

/* The block at @b would pass the budget: it runs under a code hook bounded
 * to its own bytes, which counts and stops at the exact instruction.  Only
 * this block is translated again (with the hook, and later without it):
 * a slice ends without emptying the translation cache. */
static int tail_hook(struct ucv *e, struct icache_slot b)
{
    tail_unhook(e);
    if (uc_hook_add(e->uc, &e->h_code, UC_HOOK_CODE, (void *)on_code, e, b.addr,
                    b.addr + b.size - 1) != UC_ERR_OK)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot add a code hook");
    e->code_hooked = true;
    e->tail = b;
    e->tail_pa = block_pa(e, b.addr);
    e->st.tails++;
    update_slow(e);
    uc_ctl_remove_cache(e->uc, b.addr, b.addr + b.size);
    return 0;
}

static int ucv_set_step(struct vcpu *v, bool on)
{
    struct ucv *e = eng(v);

    e->stepping = on;
    return code_hook(e, on);
}

/* --------------------------------------------- debugger: set_debug
 *
 * Breakpoints: one UC_HOOK_CODE per address, bounded to that address, so
 * only their instructions pay (a hook fires only in blocks translated
 * after it exists: every change flushes the translation cache).  The hook
 * stops before the instruction.  The first instruction of a run is never
 * stopped on: resuming at a breakpoint executes it (vcpu.h).
 * Watchpoints: UC_HOOK_MEM_READ/WRITE over every address while any exist
 * (each access then leaves the fast path, ~100 MIPS).  Those hooks report
 * guest-physical addresses (measured on 2.1.4), so the watched ranges are
 * kept as physical chunks: a linear watchpoint is translated with our own
 * walker (paging.c, no A/D side effects) at the start of each run, a
 * physical one is used as it is.  A hit is only noted in the memory hook
 * (stopping there would re-execute the instruction: DESIGN.md); a code
 * hook over every address then stops before the next instruction, so the
 * access has completed.
 */
static void dbg_clear_hooks(struct ucv *e)
{
    for (unsigned i = 0; i < e->dbg.nbrk_hooks; i++)
        uc_hook_del(e->uc, e->dbg.h_brk[i]);
    e->dbg.nbrk_hooks = 0;
    if (e->dbg.watch_hooked) {
        uc_hook_del(e->uc, e->dbg.h_mem);
        uc_hook_del(e->uc, e->dbg.h_after);
        e->dbg.watch_hooked = false;
    }
}

static uint64_t code_linear_now(struct ucv *e)
{
    struct cpu_state s;

    if (ucv_get_state(e->v, &s) < 0)
        return rd64(e, UC_X86_REG_RIP);
    return code_linear(&s, s.rip);
}

static void dbg_translate_watches(struct ucv *e);

/* Run start: a breakpoint at the first instruction does not fire. */
static void dbg_arm(struct ucv *e)
{
    e->dbg.hit = DBG_HIT_NONE;
    dbg_translate_watches(e);
    e->dbg.skip_armed = e->dbg.d.nbreak > 0;
    if (e->dbg.skip_armed)
        e->dbg.skip_addr = code_linear_now(e);
}

static void on_brk(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
    struct ucv *e = opaque;

    (void)uc; (void)size;
    if (e->dbg.skip_armed) {
        e->dbg.skip_armed = false;
        if (addr == e->dbg.skip_addr)
            return;
    }
    e->dbg.hit = DBG_HIT_BREAK;
    e->dbg.hit_addr = addr;
    stop_guest(e, STOP_BREAK);
}

/* The watched ranges under the current paging (see struct ucv_dbg). */
static void dbg_translate_watches(struct ucv *e)
{
    struct cpu_state s;

    e->dbg.nwc = 0;
    if (e->dbg.d.nwatch == 0)
        return;
    paging_state(e, &s);
    for (unsigned i = 0; i < e->dbg.d.nwatch; i++) {
        const struct vcpu_watch *w = &e->dbg.d.watch[i];
        uint64_t va = w->addr, end = w->addr + w->len;
        while (va < end && e->dbg.nwc < VCPU_MAX_WATCH * 4) {
            uint64_t chunk = PAGE_SIZE_4K - (va & (PAGE_SIZE_4K - 1));
            struct pg_walk pw;
            if (chunk > end - va)
                chunk = end - va;
            if (w->phys)
                chunk = end - va;
            if (w->phys || pg_translate(&s, &e->v->vm->mem, va, 0, &pw))
                e->dbg.wc[e->dbg.nwc++] = (struct ucv_wchunk){ w->phys ? va : pw.pa, va, chunk, i };
            va += chunk;
        }
    }
}

/* Memory hooks get guest-physical addresses. */
static void on_mem(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
                   int64_t value, void *opaque)
{
    struct ucv *e = opaque;
    bool write = type == UC_MEM_WRITE;

    (void)uc;
    if (e->dbg.hit != DBG_HIT_NONE)
        return;                       /* the first access of an instruction wins */
    for (unsigned i = 0; i < e->dbg.nwc; i++) {
        const struct ucv_wchunk *c = &e->dbg.wc[i];
        const struct vcpu_watch *w = &e->dbg.d.watch[c->idx];
        if (!(w->kind & (write ? WATCH_WRITE : WATCH_READ)) ||
            !(addr < c->pa + c->len && c->pa < addr + (uint64_t)size))
            continue;
        e->dbg.hit = DBG_HIT_WATCH;
        e->dbg.hit_addr = addr >= c->pa ? c->va + (addr - c->pa) : c->va;
        e->dbg.hit_size = (uint8_t)size;
        e->dbg.hit_write = write;
        e->dbg.hit_value = (uint64_t)value;
        e->dbg.hit_pa = addr;
        return;
    }
}

/* Before every instruction while watchpoints exist: stop after a hit. */
static void on_after(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
    struct ucv *e = opaque;

    (void)uc; (void)addr; (void)size;
    if (e->dbg.hit == DBG_HIT_WATCH)
        stop_guest(e, STOP_WATCH);
}

static int dbg_add_hooks(struct ucv *e)
{
    const struct vcpu_debug *d = &e->dbg.d;

    for (unsigned i = 0; i < d->nbreak; i++) {
        if (uc_hook_add(e->uc, &e->dbg.h_brk[i], UC_HOOK_CODE, (void *)on_brk, e,
                        d->brk[i], d->brk[i]) != UC_ERR_OK)
            return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot add a breakpoint hook");
        e->dbg.nbrk_hooks = i + 1;
    }
    if (d->nwatch == 0)
        return 0;
    if (uc_hook_add(e->uc, &e->dbg.h_mem, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                    (void *)on_mem, e, 1, 0) != UC_ERR_OK)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot add a watchpoint hook");
    if (uc_hook_add(e->uc, &e->dbg.h_after, UC_HOOK_CODE, (void *)on_after, e, 1, 0)
        != UC_ERR_OK) {
        uc_hook_del(e->uc, e->dbg.h_mem);
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot add a watchpoint hook");
    }
    e->dbg.watch_hooked = true;
    return 0;
}

static int ucv_set_debug(struct vcpu *v, const struct vcpu_debug *d)
{
    struct ucv *e = eng(v);
    static const struct vcpu_debug none;

    if (!d)
        d = &none;
    if (d->nbreak > VCPU_MAX_BREAK || d->nwatch > VCPU_MAX_WATCH)
        return vms_seterr(VMS_ERR_RANGE, "at most %d breakpoints and %d watchpoints",
                          VCPU_MAX_BREAK, VCPU_MAX_WATCH);
    for (unsigned i = 0; i < d->nwatch; i++)
        if (d->watch[i].len == 0 || d->watch[i].addr + d->watch[i].len < d->watch[i].addr)
            return vms_seterr(VMS_ERR_RANGE, "watchpoint %u: empty or wrapping range", i);
    dbg_clear_hooks(e);
    e->dbg.d = *d;
    int err = dbg_add_hooks(e);
    if (err < 0) {
        dbg_clear_hooks(e);
        e->dbg.d = none;
    }
    flush_code(e);   /* hooks apply to code translated from now on */
    return err;
}

/* A breakpoint or watchpoint stopped the guest: the exit, with the
 * instructions retired up to the stop (the block hook counted the whole
 * block). */
static int dbg_exit(struct ucv *e, struct vcpu_exit *ex)
{
    struct cpu_state s;

    if (ucv_get_state(e->v, &s) < 0)
        return -VMS_ERR_ENGINE;
    if (e->stop == STOP_BREAK || e->stop == STOP_WATCH)
        uncount_fault(e, &s, s.rip);   /* stopped before a counted instruction */
    ex->rip = s.rip;
    if (e->dbg.hit == DBG_HIT_BREAK) {
        ex->kind = VEXIT_BREAK;
        ex->addr = e->dbg.hit_addr;
    } else {
        ex->kind = VEXIT_WATCH;
        ex->addr = e->dbg.hit_addr;
        ex->size = e->dbg.hit_size;
        ex->write = e->dbg.hit_write;
        ex->value = e->dbg.hit_value;
        if (!ex->write) {   /* the value read: it is in memory now */
            uint64_t val = 0;
            if (gmem_read(&e->v->vm->mem, e->dbg.hit_pa, &val, ex->size <= 8 ? ex->size : 8) == 0)
                ex->value = val;
        }
    }
    e->dbg.hit = DBG_HIT_NONE;
    return 1;
}

/* A stop with a debug hit noted: report it (a step or budget that ends at
 * the same boundary loses to it). */
static bool dbg_pending(const struct ucv *e)
{
    if (e->dbg.hit == DBG_HIT_NONE)
        return false;
    return e->stop == STOP_BREAK || e->stop == STOP_WATCH || e->stop == STOP_COUNT ||
           e->stop == STOP_KICK || e->stop == STOP_BUDGET;
}

/* ------------------------------------------------------------------ run */

static void set_text(struct vcpu_exit *ex, const char *fmt, const char *detail)
{
    snprintf(ex->text, sizeof(ex->text), fmt, detail);
}

/* Our walker found no translation: Unicorn has put RIP back on the
 * instruction; run it again with QEMU's walker, which raises the exact
 * fault (or, for an implicit supervisor access from ring 3 that the fill
 * hook cannot tell apart, completes it). */
static int tlb_retry(struct ucv *e)
{
    struct cpu_state s;

    e->tlb_miss = false;
    e->st.tlb_retries++;
    if (ucv_get_state(e->v, &s) < 0)
        return -VMS_ERR_ENGINE;
    uncount_fault(e, &s, s.rip);
    cpu_tlb(e, true);
    return 0;
}

/* uc_emu_start returned with nothing stopping it on purpose. */
static int natural_exit(struct ucv *e, uc_err err, struct vcpu_exit *ex)
{
    if (err != UC_ERR_OK && e->tlb_miss)
        return tlb_retry(e);
    ex->rip = rd64(e, UC_X86_REG_RIP);
    if (err == UC_ERR_OK) {
        ex->kind = VEXIT_HLT;
        return 1;
    }
    if (e->stop == STOP_UNMAPPED) {
        ex->kind = VEXIT_SHUTDOWN;
        snprintf(ex->text, sizeof(ex->text),
                 "guest accessed unmapped page 0x%llx (outside RAM and the 4 GiB hole)",
                 (unsigned long long)e->bad_addr);
        return 1;
    }
    if (err == UC_ERR_READ_UNMAPPED || err == UC_ERR_WRITE_UNMAPPED ||
        err == UC_ERR_FETCH_UNMAPPED) {   /* seen with Unicorn's walker */
        ex->kind = VEXIT_SHUTDOWN;
        set_text(ex, "guest accessed unmapped memory (outside RAM and the 4 GiB hole): %s",
                 uc_strerror(err));
        return 1;
    }
    ex->kind = VEXIT_ERROR;
    set_text(ex, "unicorn: %s", uc_strerror(err));
    return -VMS_ERR_ENGINE;
}

/* Handle one stop; 0 = keep running, 1 = exit filled, < 0 = error. */
static int dispatch(struct ucv *e, uc_err err, struct vcpu_exit *ex)
{
    if (dbg_pending(e))
        return dbg_exit(e, ex);
    switch (e->stop) {
    case STOP_NONE:
    case STOP_UNMAPPED:
        return natural_exit(e, err, ex);
    case STOP_BUDGET:
        return tail_hook(e, e->stopped_at);   /* the tail runs counted */
    case STOP_COUNT:
        ex->kind = e->stepping ? VEXIT_STEP : VEXIT_BUDGET;
        return 1;
    case STOP_KICK:
        e->v->kick = 0;
        ex->kind = VEXIT_KICK;
        return 1;
    case STOP_EXC:
        return handle_exception(e, ex);
    case STOP_FLUSH:
        flush_code(e);
        return 0;
    case STOP_SYS:
        return handle_sys(e, ex);
    case STOP_BREAK:
    case STOP_WATCH:
        return dbg_exit(e, ex);   /* not reached: dbg_pending() */
    }
    return 0;
}

static uc_err start(struct ucv *e)
{
    e->stop = STOP_NONE;
    e->tlb_miss = false;
    e->st.runs++;
    if (e->code_hooked)
        e->code_left = e->stepping ? 1 : e->budget - e->executed;
    e->by_code = e->stepping;   /* until the first block says otherwise */
    arm_limit(e);
    return uc_emu_start(e->uc, rd64(e, UC_X86_REG_RIP), 0, 0, 0);
}

static int run_loop(struct ucv *e, struct vcpu_exit *ex)
{
    int rc = 0;

    if (e->pending_shutdown[0]) {
        ex->kind = VEXIT_SHUTDOWN;
        snprintf(ex->text, sizeof(ex->text), "%s", e->pending_shutdown);
        return 1;
    }
    while (rc == 0) {
        if (e->v->kick) {
            e->v->kick = 0;
            ex->kind = VEXIT_KICK;
            return 1;
        }
        if (e->executed >= e->budget && !e->stepping) {
            ex->kind = VEXIT_BUDGET;
            return 1;
        }
        rc = dispatch(e, start(e), ex);
        if (rc == 0 && e->stepping && e->stop == STOP_EXC)
            rc = (ex->kind = VEXIT_STEP, 1);
    }
    return rc;
}

static int ucv_run(struct vcpu *v, uint64_t budget, struct vcpu_exit *ex)
{
    struct ucv *e = eng(v);

    memset(ex, 0, sizeof(*ex));
    cpu_tlb(e, false);
    e->budget = budget;
    e->executed = 0;
    e->cur = no_block;
    dbg_arm(e);
    int rc = run_loop(e, ex);
    tail_unhook(e);
    ex->executed = e->executed;
    if (!ex->rip)
        ex->rip = rd64(e, UC_X86_REG_RIP);
    e->retired += e->executed;
    e->executed = 0;
    if (rc < 0 && ex->kind != VEXIT_ERROR) {
        ex->kind = VEXIT_ERROR;
        set_text(ex, "unicorn engine: %s", vms_lasterr(rc));
    }
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------ interrupts in */

static bool ucv_can_inject(struct vcpu *v)
{
    struct ucv *e = eng(v);

    if (!(rd64(e, UC_X86_REG_RFLAGS) & RFLAGS_IF) || save_blob(e) < 0)
        return false;
    return !(uc_blob_u32(e->L, e->ctx, e->L->hflags) & QHF_INHIBIT_IRQ);
}

static int ucv_inject(struct vcpu *v, uint8_t vector)
{
    struct ucv *e = eng(v);
    struct cpu_state s;
    struct deliver_result res;
    struct deliver_req r = { .vector = vector, .kind = DLV_EXTERNAL };

    if (ucv_get_state(v, &s) < 0)
        return -VMS_ERR_ENGINE;
    memset(&res, 0, sizeof(res));
    if (x86_deliver(&s, &v->vm->mem, &r, &res) < 0)
        return -VMS_ERR_INVAL;
    e->st.exceptions++;
    if (res.shutdown) {
        snprintf(e->pending_shutdown, sizeof(e->pending_shutdown), "triple fault: %.80s", res.why);
        return 0;   /* the next run() reports VEXIT_SHUTDOWN */
    }
    return ucv_set_state(v, &s);
}

static bool ucv_can_inject_nmi(struct vcpu *v)
{
    struct ucv *e = eng(v);

    if (save_blob(e) < 0)
        return false;
    return !(uc_blob_u32(e->L, e->ctx, e->L->hflags) & QHF_INHIBIT_IRQ) &&
           !(uc_blob_u32(e->L, e->ctx, e->L->hflags2) & QHF2_NMI_MASK);
}

/* Through vector 2 as an external interrupt is (no error code, the gate's
 * DPL not checked), then NMIs are blocked until the guest's next IRET:
 * QEMU's own flag, which its IRET clears (calibrated in uc_blob.c). */
static int ucv_inject_nmi(struct vcpu *v)
{
    struct ucv *e = eng(v);
    int err = ucv_inject(v, EXC_NMI);

    if (err < 0 || e->pending_shutdown[0] || save_blob(e) < 0)
        return err;
    uc_blob_set_u32(e->L, e->ctx, e->L->hflags2,
                    uc_blob_u32(e->L, e->ctx, e->L->hflags2) | QHF2_NMI_MASK);
    return uc_context_restore(e->uc, e->ctx) == UC_ERR_OK ? 0 : -VMS_ERR_ENGINE;
}

static void ucv_mem_written(struct vcpu *v, uint64_t gpa, uint64_t len)
{
    struct ucv *e = eng(v);

    (void)gpa; (void)len;
    /* uc_ctl_remove_cache takes virtual addresses; a host write names
     * physical ones, so drop everything (~16 us with a 32 MiB buffer). */
    flush_code(e);
}

/* -------------------------------------------------------- create/destroy */

static int add_hooks(struct ucv *e)
{
    uc_engine *uc = e->uc;
    uc_hook h;
    int ok = 1;

    ok &= uc_hook_add(uc, &e->h_block, UC_HOOK_BLOCK, (void *)on_block, e, 1, 0) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)on_intr, e, 1, 0) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INSN_INVALID, (void *)on_invalid, e, 1, 0) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_in, e, 1, 0, UC_X86_INS_IN) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_out, e, 1, 0, UC_X86_INS_OUT) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_syscall, e, 1, 0, UC_X86_INS_SYSCALL) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_sysenter, e, 1, 0, UC_X86_INS_SYSENTER) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_cpuid, e, 1, 0, UC_X86_INS_CPUID) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_rdtsc, e, 1, 0, UC_X86_INS_RDTSC) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_rdtscp, e, 1, 0, UC_X86_INS_RDTSCP) == UC_ERR_OK;
    ok &= uc_hook_add(uc, &h, UC_HOOK_TLB_FILL, (void *)on_tlb_fill, e, 1, 0) == UC_ERR_OK;
    return ok ? 0 : vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot install hooks");
}

static int open_engine(struct ucv *e)
{
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &e->uc) != UC_ERR_OK)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot open an x86-64 engine");
    if (uc_ctl_set_cpu_model(e->uc, UC_CPU_MODEL) != UC_ERR_OK ||
        uc_ctl_set_tcg_buffer_size(e->uc, UC_TCG_BUFFER) != UC_ERR_OK ||
        uc_ctl_exits_enable(e->uc) != UC_ERR_OK ||
        uc_ctl_tlb_mode(e->uc, UC_TLB_VIRTUAL) != UC_ERR_OK)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: cannot configure the engine");
    if (uc_context_alloc(e->uc, &e->ctx) != UC_ERR_OK ||
        uc_context_size(e->uc) != e->L->size)
        return vms_seterr(VMS_ERR_ENGINE, "unicorn: context size differs from calibration");
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &e->cs) != CS_ERR_OK)
        return vms_seterr(VMS_ERR_ENGINE, "capstone: cannot open an x86 decoder");
    return 0;
}

/* Reset: real mode at F000:FFF0 (SDM Vol. 3A 9.1.1). */
static int reset_cpu(struct ucv *e)
{
    struct cpu_state s;

    x86_reset_state(&s, 0xF000, 0xFFF0);
    return ucv_set_state(e->v, &s);
}

static void ucv_destroy(struct vcpu *v)
{
    struct ucv *e = v ? v->engine : NULL;

    if (!e)
        return;
    if (e->cs)
        cs_close(&e->cs);
    if (e->ctx)
        uc_context_free(e->ctx);
    if (e->uc)
        uc_close(e->uc);
    free(e->code_map);
    for (unsigned i = 0; i < e->nmmio; i++)
        free(e->mmio[i]);
    free(e->mmio);
    free(e);
    v->engine = NULL;
    v->kick_limit = NULL;
}

static int ucv_create(struct vcpu *v)
{
    struct ucv *e = calloc(1, sizeof(*e));
    int err;

    if (!e)
        return -VMS_ERR_NOMEM;
    v->engine = e;
    e->v = v;
    e->kickp = &v->kick;
    v->kick_limit = &e->limit;
    e->cur = no_block;
    e->vtlb = true;
    e->L = uc_blob_layout();
    if (!e->L) {
        err = -VMS_ERR_ENGINE;
        goto fail;
    }
    e->npages = v->vm->mem.size / PAGE_SIZE_4K;
    e->code_map = calloc(e->npages / 8 + 1, 1);
    if (!e->code_map) {
        err = -VMS_ERR_NOMEM;
        goto fail;
    }
    if ((err = open_engine(e)) < 0 || (err = map_memory(e)) < 0 ||
        (err = add_hooks(e)) < 0 || (err = reset_cpu(e)) < 0)
        goto fail;
    return 0;
fail:
    ucv_destroy(v);
    return err;
}

void uc_engine_stats(const struct vcpu *v, struct uc_engine_stats *out)
{
    *out = eng(v)->st;
}

const char *uc_engine_version(void)
{
    static char text[16];
    unsigned major, minor;
    unsigned full = uc_version(&major, &minor);

    snprintf(text, sizeof(text), "%u.%u.%u", major, minor, (full >> 8) & 0xFF);
    return text;
}

const struct vcpu_ops uc_vcpu_ops = {
    .name = "unicorn",
    .create = ucv_create,
    .destroy = ucv_destroy,
    .run = ucv_run,
    .get_state = ucv_get_state,
    .set_state = ucv_set_state,
    .can_inject = ucv_can_inject,
    .inject = ucv_inject,
    .can_inject_nmi = ucv_can_inject_nmi,
    .inject_nmi = ucv_inject_nmi,
    .set_step = ucv_set_step,
    .set_debug = ucv_set_debug,
    .mem_written = ucv_mem_written,
};
