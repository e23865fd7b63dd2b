/* deliver.c - exception and interrupt delivery (SDM Vol. 3A ch. 6 and the
 * INT n/INTO/INT3/INT1 pseudo-code in Vol. 2A).
 *
 * One attempt delivers one event on a copy of the CPU state.  A fault
 * raised by the attempt (a #GP on the IDT limit, a #PF on a stack push...)
 * ends it; x86_deliver() then applies Table 6-5 (serial delivery, #DF, or
 * shutdown) and tries again with the new event.  The guest is hostile:
 * every offset read from a gate, descriptor or TSS is checked against the
 * limit of its table before it is used.
 */
#include "deliver.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "paging.h"

/* Error code of exceptions that report a selector or IDT vector
 * (SDM Vol. 3A 6.13, Figure 6-7). */
#define ERRC_EXT      (1u << 0)   /* raised while delivering an external event */
#define ERRC_IDT      (1u << 1)   /* the index is an IDT vector */
#define ERRC_SEL_MASK 0xFFFCu     /* selector index and TI */

/* Gate descriptor fields (SDM Vol. 3A Figures 6-2, 6-8). */
#define GATE_SEL_SHIFT   16
#define GATE_TYPE_SHIFT  40
#define GATE_S           (1ull << 44)
#define GATE_DPL_SHIFT   45
#define GATE_P           (1ull << 47)
#define GATE_IST_SHIFT   32
#define GATE_IST_MASK    7u

/* TSS layouts (SDM Vol. 3A Figures 8-2, 8-11 and 8-12 (16-bit TSS)). */
#define TSS32_ESP0       4u    /* ESPn at 4 + 8n, SSn at 8 + 8n */
#define TSS16_SP0        2u    /* SPn at 2 + 4n, SSn at 4 + 4n */
#define TSS64_RSP0       4u    /* RSPn at 4 + 8n */
#define TSS64_IST1       0x24u /* ISTn at 0x24 + 8(n-1) */

#define FRAME_SLOTS      10

enum step { STEP_OK, STEP_FAULT, STEP_UNSUPPORTED };

struct gate {
    uint16_t sel;
    uint64_t offset;
    uint8_t type, dpl, ist;
    bool s, present;
};

/* The fault that ended an attempt. */
struct dfault {
    uint8_t vector;
    uint32_t error;
    uint64_t cr2;
    char what[160];
};

struct dctx {
    const struct cpu_state *old;   /* the state before the event */
    struct cpu_state n;            /* the state being built */
    struct gmem *mem;
    const struct deliver_req *r;   /* the event being delivered */
    uint32_t ext;                  /* ERRC_EXT for errors raised meanwhile */
    unsigned cpl;                  /* CPL before the event */
    struct dfault f;
};

/* Values pushed, first pushed first, in slots of @slot bytes. */
struct frame {
    unsigned slot, n;
    uint64_t val[FRAME_SLOTS];
};

bool x86_vector_has_error(uint8_t vector)
{
    switch (vector) {
    case EXC_DF: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP: case EXC_PF:
    case EXC_AC: case EXC_CP:
        return true;
    default:
        return false;
    }
}

/* ---- faults ---- */

static int raise_fault(struct dctx *c, uint8_t vec, uint32_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int raise_fault(struct dctx *c, uint8_t vec, uint32_t err, const char *fmt, ...)
{
    va_list ap;

    c->f.vector = vec;
    c->f.error = err;
    c->f.cr2 = 0;
    va_start(ap, fmt);
    vsnprintf(c->f.what, sizeof(c->f.what), fmt, ap);
    va_end(ap);
    return STEP_FAULT;
}

static int unsupported(struct dctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int unsupported(struct dctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->f.what, sizeof(c->f.what), fmt, ap);
    va_end(ap);
    return STEP_UNSUPPORTED;
}

/* The exception a failed linear access raises: #PF (CR2 = the address),
 * or @gp_vec(@gp_err) for a non-canonical address (#GP, or #SS for the
 * stack: SDM Vol. 3A 6.14.3). */
static int walk_fault(struct dctx *c, const struct pg_walk *w, uint8_t gp_vec,
                      uint32_t gp_err, const char *what)
{
    unsigned long long va = w->va;

    if (w->fault == PGF_NOT_RAM)
        return unsupported(c, "%s at linear %#llx is not RAM", what, va);
    if (w->fault == PGF_NONCANONICAL)
        return raise_fault(c, gp_vec, gp_err, "%s: non-canonical address %#llx", what, va);
    raise_fault(c, EXC_PF, w->pfec, "%s at %#llx: %s", what, va, pg_fault_name(w->fault));
    c->f.cr2 = w->va;
    return STEP_FAULT;
}

static uint64_t le_load(const uint8_t *b, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* Read a system table (IDT, GDT, LDT, TSS): an implicit supervisor access
 * (SDM Vol. 3A 4.6) that sets A bits like the CPU. */
static int sys_read(struct dctx *c, uint64_t lin, void *buf, unsigned len, const char *what)
{
    struct pg_walk w;

    if (pg_read_linear(c->old, c->mem, lin, buf, len, PGW_IMPLICIT | PGW_SET_AD, &w))
        return STEP_OK;
    return walk_fault(c, &w, EXC_GP, c->ext, what);
}

static uint32_t sel_error(const struct dctx *c, uint16_t sel)
{
    return (sel & ERRC_SEL_MASK) | c->ext;
}

static uint32_t idt_error(const struct dctx *c)
{
    return ((uint32_t)c->r->vector << 3) | ERRC_IDT | c->ext;
}

/* INT n, INT3 and INTO: software events, whose gate DPL is checked and
 * whose faults do not set EXT (SDM Vol. 3A 6.12.1.1, 6.13). */
static bool is_soft(const struct deliver_req *r)
{
    return r->kind == DLV_SOFTINT ||
           (r->kind == DLV_TRAP && (r->vector == EXC_BP || r->vector == EXC_OF));
}

/* ---- descriptors ---- */

/* Read the descriptor for @sel from the GDT or LDT; @vec(@sel) when the
 * selector lies outside the table (SDM Vol. 3A 3.4.2, 6.12.1). */
static int read_desc(struct dctx *c, uint16_t sel, uint8_t vec, uint64_t *raw)
{
    const struct x86_segment *ldt = &c->old->seg[SEG_LDTR];
    bool local = sel & SEL_TI;
    uint64_t base = local ? ldt->base : c->old->gdt.base;
    uint64_t limit = local ? ldt->limit : c->old->gdt.limit;
    uint64_t off = sel & ~7ull;
    uint8_t b[8];
    int rc;

    if (local && (ldt->unusable || !ldt->present))
        return raise_fault(c, vec, sel_error(c, sel), "selector %#x: no LDT is loaded", sel);
    if (off + 7 > limit)
        return raise_fault(c, vec, sel_error(c, sel), "selector %#x is beyond the %s limit %#llx",
                           sel, local ? "LDT" : "GDT", (unsigned long long)limit);
    if ((rc = sys_read(c, base + off, b, 8, "descriptor read")) != STEP_OK)
        return rc;
    *raw = le_load(b, 8);
    return STEP_OK;
}

/* Read the IDT entry for the vector: 8 bytes, or 16 in IA-32e mode
 * (SDM Vol. 3A 6.10, 6.14.1). */
static int read_gate(struct dctx *c, bool long_idt, struct gate *g)
{
    unsigned size = long_idt ? 16 : 8;
    uint64_t off = (uint64_t)c->r->vector * size, lo, hi;
    uint8_t b[16];
    int rc;

    if (off + size - 1 > c->old->idt.limit)
        return raise_fault(c, EXC_GP, idt_error(c), "vector %#x is beyond the IDT limit %#x",
                           c->r->vector, c->old->idt.limit);
    if ((rc = sys_read(c, c->old->idt.base + off, b, size, "IDT read")) != STEP_OK)
        return rc;
    lo = le_load(b, 8);
    hi = long_idt ? le_load(b + 8, 8) : 0;
    g->sel = (uint16_t)(lo >> GATE_SEL_SHIFT);
    g->offset = (lo & 0xFFFF) | ((lo >> 32) & 0xFFFF0000ull) | ((hi & 0xFFFFFFFFull) << 32);
    g->type = (lo >> GATE_TYPE_SHIFT) & 0xF;
    g->s = lo & GATE_S;
    g->dpl = (lo >> GATE_DPL_SHIFT) & 3;
    g->present = lo & GATE_P;
    g->ist = long_idt ? (lo >> GATE_IST_SHIFT) & GATE_IST_MASK : 0;
    return STEP_OK;
}

static bool gate_type_ok(uint8_t type, bool long_idt)
{
    if (long_idt)
        return type == SYSTYPE_INT || type == SYSTYPE_TRAP;
    return type == SYSTYPE_INT || type == SYSTYPE_TRAP || type == SYSTYPE_INT16 ||
           type == SYSTYPE_TRAP16 || type == SYSTYPE_TASK;
}

/* Gate type, DPL (software events only) and P, in the SDM's order. */
static int check_gate(struct dctx *c, const struct gate *g, bool long_idt)
{
    unsigned v = c->r->vector;

    if (g->s || !gate_type_ok(g->type, long_idt))
        return raise_fault(c, EXC_GP, idt_error(c),
                           "vector %#x: IDT entry type %#x is not a valid gate", v, g->type);
    if (is_soft(c->r) && g->dpl < c->cpl)
        return raise_fault(c, EXC_GP, (v << 3) | ERRC_IDT,
                           "INT %#x: gate DPL %u < CPL %u", v, g->dpl, c->cpl);
    if (!g->present)
        return raise_fault(c, EXC_NP, idt_error(c), "vector %#x: gate not present", v);
    if (g->type == SYSTYPE_TASK)
        return unsupported(c, "vector %#x: task gate (selector %#x): task switches are "
                           "not implemented", v, g->sel);
    return STEP_OK;
}

/* The handler's code segment (SDM Vol. 2A INT n: "PROTECTED-MODE" and
 * "IA-32e-MODE" checks on the gate's selector). */
static int load_code(struct dctx *c, const struct gate *g, bool long_idt,
                     struct x86_segment *cs)
{
    uint32_t err = sel_error(c, g->sel);
    uint64_t raw;
    int rc;

    if ((g->sel & ERRC_SEL_MASK) == 0)
        return raise_fault(c, EXC_GP, c->ext, "vector %#x: gate selector is null", c->r->vector);
    if ((rc = read_desc(c, g->sel, EXC_GP, &raw)) != STEP_OK)
        return rc;
    x86_desc_decode(raw, 0, false, cs);
    cs->selector = g->sel;
    if (!cs->s || !(cs->type & SEGTYPE_CODE))
        return raise_fault(c, EXC_GP, err, "handler selector %#x is not a code segment", g->sel);
    if (cs->dpl > c->cpl)
        return raise_fault(c, EXC_GP, err, "handler segment %#x: DPL %u > CPL %u",
                           g->sel, cs->dpl, c->cpl);
    if (long_idt && (!cs->l || cs->db))
        return raise_fault(c, EXC_GP, err, "handler segment %#x is not 64-bit code (L=%u D=%u)",
                           g->sel, cs->l, cs->db);
    if (!cs->present)
        return raise_fault(c, EXC_NP, err, "handler segment %#x not present", g->sel);
    cs->type |= SEGTYPE_ACCESSED;
    cs->unusable = 0;
    return STEP_OK;
}

/* The CPL of the handler: the CS DPL for a more privileged non-conforming
 * segment, else the current CPL.  From virtual-8086 mode only a DPL 0
 * non-conforming segment is allowed. */
static int handler_cpl(struct dctx *c, const struct x86_segment *cs, unsigned *cpl)
{
    bool vm86 = c->old->rflags & RFLAGS_VM;
    bool inner = !(cs->type & SEGTYPE_CODE_CONF) && cs->dpl < c->cpl;

    if (vm86 && (!inner || cs->dpl != 0))
        return raise_fault(c, EXC_GP, sel_error(c, cs->selector),
                           "virtual-8086 interrupt to segment %#x: not a DPL 0 "
                           "non-conforming segment", cs->selector);
    *cpl = inner ? cs->dpl : c->cpl;
    return STEP_OK;
}

/* The new stack segment from the TSS (SDM Vol. 2A INT n, INTER-PRIVILEGE-
 * LEVEL-INTERRUPT: #TS for the selector, #SS if not present). */
static int load_stack_seg(struct dctx *c, uint16_t sel, unsigned cpl, struct x86_segment *ss)
{
    uint32_t err = sel_error(c, sel);
    uint64_t raw;
    int rc;

    if ((sel & ERRC_SEL_MASK) == 0)
        return raise_fault(c, EXC_TS, c->ext, "TSS ring-%u stack selector is null", cpl);
    if ((rc = read_desc(c, sel, EXC_TS, &raw)) != STEP_OK)
        return rc;
    x86_desc_decode(raw, 0, false, ss);
    ss->selector = sel;
    if (SEL_RPL(sel) != cpl || ss->dpl != cpl)
        return raise_fault(c, EXC_TS, err, "stack selector %#x: RPL %u / DPL %u != CPL %u",
                           sel, SEL_RPL(sel), ss->dpl, cpl);
    if (!ss->s || (ss->type & SEGTYPE_CODE) || !(ss->type & SEGTYPE_DATA_WRITE))
        return raise_fault(c, EXC_TS, err, "stack selector %#x is not a writable data segment", sel);
    if (!ss->present)
        return raise_fault(c, EXC_SS, err, "stack segment %#x not present", sel);
    ss->type |= SEGTYPE_ACCESSED;
    ss->unusable = 0;
    return STEP_OK;
}

static uint32_t tr_error(const struct dctx *c)
{
    return sel_error(c, c->old->seg[SEG_TR].selector);
}

/* Read @len bytes at offset @off of the current TSS, #TS when beyond its
 * limit (SDM Vol. 3A 6.12.1, 7.2.1). */
static int tss_read(struct dctx *c, uint32_t off, void *buf, unsigned len)
{
    const struct x86_segment *tr = &c->old->seg[SEG_TR];

    if (tr->unusable || !tr->present || tr->s)
        return raise_fault(c, EXC_TS, tr_error(c), "no valid TSS is loaded (TR %#x)", tr->selector);
    if ((uint64_t)off + len - 1 > tr->limit)
        return raise_fault(c, EXC_TS, tr_error(c), "TSS offset %#x is beyond the TR limit %#x",
                           off + len - 1, tr->limit);
    return sys_read(c, tr->base + off, buf, len, "TSS read");
}

/* SS:ESP for ring @cpl from a 16- or 32-bit TSS. */
static int tss_stack(struct dctx *c, unsigned cpl, struct x86_segment *ss, uint64_t *esp)
{
    bool tss32 = (c->old->seg[SEG_TR].type & ~2u) == SYSTYPE_TSS_AVAIL;
    unsigned width = tss32 ? 4 : 2;
    uint32_t off = tss32 ? TSS32_ESP0 + 8 * cpl : TSS16_SP0 + 4 * cpl;
    uint8_t b[6];
    int rc;

    if ((rc = tss_read(c, off, b, width + 2)) != STEP_OK)
        return rc;
    *esp = le_load(b, width);
    return load_stack_seg(c, (uint16_t)le_load(b + width, 2), cpl, ss);
}

/* RSPn (@ist = 0) or ISTn from the 64-bit TSS (SDM Vol. 3A 6.14.4, 6.14.5). */
static int tss64_stack(struct dctx *c, unsigned cpl, unsigned ist, uint64_t *rsp)
{
    uint32_t off = ist ? TSS64_IST1 + 8 * (ist - 1) : TSS64_RSP0 + 8 * cpl;
    uint8_t b[8];
    int rc;

    if ((rc = tss_read(c, off, b, 8)) != STEP_OK)
        return rc;
    *rsp = le_load(b, 8);
    return STEP_OK;
}

/* ---- the stack frame ---- */

static void push(struct frame *f, uint64_t v)
{
    if (f->n < FRAME_SLOTS)
        f->val[f->n++] = v;
}

/* A push of @size bytes at offset @off fits the segment: expand-up up to
 * the limit, expand-down above it (SDM Vol. 3A 5.3). */
static bool seg_fits(const struct x86_segment *ss, uint64_t off, unsigned size)
{
    uint64_t last = off + size - 1;

    if (ss->s && !(ss->type & SEGTYPE_CODE) && (ss->type & SEGTYPE_DATA_DOWN))
        return off > ss->limit && last <= (ss->db ? 0xFFFFFFFFull : 0xFFFFull);
    return last <= ss->limit;
}

struct stack {
    const struct x86_segment *ss;
    uint64_t sp;           /* in: before the pushes; out: after */
    uint64_t mask;         /* 0xFFFF, 0xFFFFFFFF (SS.B) or ~0 (64-bit) */
    bool flat;             /* IA-32e: no base, no limit, canonical checks */
    unsigned cpl;          /* privilege of the pushes (paging U/S) */
    uint32_t ss_error;     /* #SS error code for a limit violation */
};

static uint64_t stack_linear(const struct stack *st, uint64_t off)
{
    return st->flat ? off : (st->ss->base + off) & 0xFFFFFFFFull;
}

/* Check every slot (limit, then paging) before writing any, so a fault
 * leaves memory as it was; then write them with A/D updates. */
static int write_frame(struct dctx *c, const struct frame *f, struct stack *st)
{
    unsigned flags = PGW_WRITE | PGW_SET_AD | (st->cpl == 3 ? PGW_USER : 0);
    uint64_t off[FRAME_SLOTS], p = st->sp;
    struct pg_walk w;

    for (unsigned i = 0; i < f->n; i++) {
        p = (p - f->slot) & st->mask;
        off[i] = p;
        if (!st->flat && !seg_fits(st->ss, p, f->slot))
            return raise_fault(c, EXC_SS, st->ss_error, "stack push at %#x:%#llx is outside "
                               "SS limit %#x", st->ss->selector, (unsigned long long)p,
                               st->ss->limit);
        if (!pg_probe_linear(c->old, c->mem, stack_linear(st, p), f->slot, flags, &w))
            return walk_fault(c, &w, EXC_SS, st->ss_error, "stack push");
    }
    for (unsigned i = 0; i < f->n; i++) {
        uint8_t b[8];

        for (unsigned j = 0; j < f->slot; j++)
            b[j] = (uint8_t)(f->val[i] >> (8 * j));
        if (!pg_write_linear(c->old, c->mem, stack_linear(st, off[i]), b, f->slot, flags, &w))
            return walk_fault(c, &w, EXC_SS, st->ss_error, "stack push");
    }
    st->sp = p;
    return STEP_OK;
}

/* ---- what is pushed and what the handler starts with ---- */

static uint64_t saved_rip(const struct dctx *c)
{
    bool after = c->r->kind == DLV_TRAP || c->r->kind == DLV_SOFTINT;

    return after ? c->r->next_rip : c->old->rip;
}

/* The pushed EFLAGS: for faults other than #DB the image has RF = 1 so the
 * instruction restarts without an instruction breakpoint firing again
 * (SDM Vol. 3A 2.3 "RF", Vol. 3B 17.3.1.1). */
static uint64_t saved_flags(const struct dctx *c)
{
    uint64_t f = c->old->rflags;

    if (c->r->kind == DLV_FAULT && c->r->vector != EXC_DB)
        f |= RFLAGS_RF;
    return f;
}

static bool push_error(const struct dctx *c)
{
    return c->r->has_error && (c->r->kind == DLV_FAULT || c->r->kind == DLV_TRAP);
}

/* Both gate kinds clear TF, VM, RF and NT; an interrupt gate also IF
 * (SDM Vol. 3A 6.12.1.3). */
static uint64_t handler_flags(const struct dctx *c, uint8_t gate_type)
{
    uint64_t f = c->old->rflags & ~(RFLAGS_TF | RFLAGS_VM | RFLAGS_RF | RFLAGS_NT);
    bool trap_gate = gate_type & 1;     /* 0x7, 0xF trap; 0x6, 0xE interrupt */

    return trap_gate ? f : f & ~RFLAGS_IF;
}

static void null_seg(struct x86_segment *seg, uint16_t sel)
{
    memset(seg, 0, sizeof(*seg));
    seg->selector = sel;
    seg->unusable = 1;
}

/* CS as the handler sees it: RPL = CPL; the cached DPL is the CPL (for a
 * conforming segment the CPL is not its DPL, and x86_cpl() reads CS.DPL). */
static void set_cs(struct dctx *c, const struct x86_segment *cs, unsigned cpl)
{
    c->n.seg[SEG_CS] = *cs;
    c->n.seg[SEG_CS].selector = (uint16_t)((cs->selector & ~3u) | cpl);
    c->n.seg[SEG_CS].dpl = (uint8_t)cpl;
}

static void push_return(const struct dctx *c, struct frame *f)
{
    push(f, saved_flags(c));
    push(f, c->old->seg[SEG_CS].selector);
    push(f, saved_rip(c));
    if (push_error(c))
        push(f, c->r->error);
}

/* ---- real mode (SDM Vol. 3A 20.1.4; Vol. 2A INT n REAL-ADDRESS-MODE) ---- */

static int deliver_real(struct dctx *c)
{
    const struct cpu_state *o = c->old;
    uint64_t off = (uint64_t)c->r->vector * 4;
    struct frame f = { .slot = 2 };
    struct stack st = { .ss = &o->seg[SEG_SS], .sp = o->gpr[GPR_RSP],
                        .mask = o->seg[SEG_SS].db ? 0xFFFFFFFFull : 0xFFFFull };
    uint8_t b[4];
    int rc;

    if (off + 3 > o->idt.limit)
        return raise_fault(c, EXC_GP, 0, "vector %#x is beyond the IVT limit %#x",
                           c->r->vector, o->idt.limit);
    if ((rc = sys_read(c, o->idt.base + off, b, 4, "IVT read")) != STEP_OK)
        return rc;
    push(&f, o->rflags & 0xFFFF);
    push(&f, o->seg[SEG_CS].selector);
    push(&f, saved_rip(c) & 0xFFFF);
    if ((rc = write_frame(c, &f, &st)) != STEP_OK)
        return rc;
    /* A real-mode CS load sets selector and base only (SDM Vol. 3A 20.1.1). */
    c->n.seg[SEG_CS].selector = (uint16_t)le_load(b + 2, 2);
    c->n.seg[SEG_CS].base = (uint64_t)c->n.seg[SEG_CS].selector << 4;
    c->n.rip = le_load(b, 2);
    c->n.gpr[GPR_RSP] = (o->gpr[GPR_RSP] & ~st.mask) | st.sp;
    c->n.rflags = o->rflags & ~(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC);
    return STEP_OK;
}

/* ---- protected mode (SDM Vol. 3A 6.12) ---- */

static int check_rip(struct dctx *c, const struct x86_segment *cs, uint64_t rip)
{
    if (rip > cs->limit)
        return raise_fault(c, EXC_GP, c->ext, "handler offset %#llx is beyond CS limit %#x",
                           (unsigned long long)rip, cs->limit);
    return STEP_OK;
}

static void enter_handler(struct dctx *c, const struct gate *g, const struct x86_segment *cs,
                          unsigned cpl, uint64_t rip)
{
    set_cs(c, cs, cpl);
    c->n.rip = rip;
    c->n.rflags = handler_flags(c, g->type);
}

/* To a more privileged ring: the stack from the TSS; from virtual-8086 mode
 * also push GS, FS, DS, ES and load them with null. */
static int prot_inner(struct dctx *c, const struct gate *g, const struct x86_segment *cs,
                      unsigned cpl, uint64_t rip)
{
    const struct cpu_state *o = c->old;
    bool vm86 = o->rflags & RFLAGS_VM, gate32 = g->type & 8;
    struct x86_segment ss;
    struct frame f = { .slot = gate32 ? 4 : 2 };
    struct stack st = { .ss = &ss, .cpl = cpl };
    int rc;

    if ((rc = tss_stack(c, cpl, &ss, &st.sp)) != STEP_OK || (rc = check_rip(c, cs, rip)))
        return rc;
    st.mask = ss.db ? 0xFFFFFFFFull : 0xFFFFull;
    st.ss_error = sel_error(c, ss.selector);
    if (vm86) {
        push(&f, o->seg[SEG_GS].selector);
        push(&f, o->seg[SEG_FS].selector);
        push(&f, o->seg[SEG_DS].selector);
        push(&f, o->seg[SEG_ES].selector);
    }
    push(&f, o->seg[SEG_SS].selector);
    push(&f, o->gpr[GPR_RSP]);
    push_return(c, &f);
    if ((rc = write_frame(c, &f, &st)) != STEP_OK)
        return rc;
    c->n.seg[SEG_SS] = ss;
    c->n.gpr[GPR_RSP] = st.sp;  /* upper ESP bits of a 16-bit stack: the TSS's */
    if (vm86)
        for (int i = SEG_ES; i <= SEG_GS; i++)
            if (i != SEG_CS && i != SEG_SS)
                null_seg(&c->n.seg[i], 0);
    enter_handler(c, g, cs, cpl, rip);
    return STEP_OK;
}

/* Same ring (or a conforming segment): push on the current stack. */
static int prot_same(struct dctx *c, const struct gate *g, const struct x86_segment *cs,
                     uint64_t rip)
{
    const struct cpu_state *o = c->old;
    struct frame f = { .slot = (g->type & 8) ? 4 : 2 };
    struct stack st = { .ss = &o->seg[SEG_SS], .sp = o->gpr[GPR_RSP], .cpl = c->cpl,
                        .mask = o->seg[SEG_SS].db ? 0xFFFFFFFFull : 0xFFFFull,
                        .ss_error = c->ext };
    int rc;

    if ((rc = check_rip(c, cs, rip)) != STEP_OK)
        return rc;
    push_return(c, &f);
    if ((rc = write_frame(c, &f, &st)) != STEP_OK)
        return rc;
    c->n.gpr[GPR_RSP] = (o->gpr[GPR_RSP] & ~st.mask) | st.sp;
    enter_handler(c, g, cs, c->cpl, rip);
    return STEP_OK;
}

static int deliver_prot(struct dctx *c)
{
    const struct cpu_state *o = c->old;
    struct gate g;
    struct x86_segment cs;
    unsigned cpl, iopl = (o->rflags & RFLAGS_IOPL) >> RFLAGS_IOPL_SHIFT;
    uint64_t rip;
    int rc;

    /* INT n in virtual-8086 mode needs IOPL 3 (CR4.VME redirection is not
     * modelled) (SDM Vol. 3A 20.3.3, Vol. 2A INT n). */
    if ((o->rflags & RFLAGS_VM) && c->r->kind == DLV_SOFTINT && iopl < 3)
        return raise_fault(c, EXC_GP, 0, "INT %#x in virtual-8086 mode with IOPL %u",
                           c->r->vector, iopl);
    if ((rc = read_gate(c, false, &g)) || (rc = check_gate(c, &g, false)) ||
        (rc = load_code(c, &g, false, &cs)) || (rc = handler_cpl(c, &cs, &cpl)))
        return rc;
    rip = (g.type & 8) ? g.offset & 0xFFFFFFFFull : g.offset & 0xFFFF;
    if (cpl < c->cpl)
        return prot_inner(c, &g, &cs, cpl, rip);
    return prot_same(c, &g, &cs, rip);
}

/* ---- IA-32e mode (SDM Vol. 3A 6.14) ---- */

static bool canonical(uint64_t a)
{
    uint64_t top = a >> (PG_LINEAR_BITS - 1);

    return top == 0 || top == (~0ull >> (PG_LINEAR_BITS - 1));
}

/* The stack for the handler: IST if the gate names one, else RSPn from the
 * TSS on a privilege change, else the current RSP; aligned to 16. */
static int long_stack(struct dctx *c, const struct gate *g, unsigned cpl, uint64_t *rsp)
{
    int rc;

    *rsp = c->old->gpr[GPR_RSP];
    if (g->ist || cpl < c->cpl) {
        if ((rc = tss64_stack(c, cpl, g->ist, rsp)) != STEP_OK)
            return rc;
        if (!canonical(*rsp))
            return raise_fault(c, EXC_SS, c->ext, "%s%u stack %#llx is not canonical",
                               g->ist ? "IST" : "RSP", g->ist ? g->ist : cpl,
                               (unsigned long long)*rsp);
    }
    *rsp &= ~0xFull;
    return STEP_OK;
}

static int deliver_long(struct dctx *c)
{
    const struct cpu_state *o = c->old;
    struct gate g;
    struct x86_segment cs;
    struct frame f = { .slot = 8 };
    struct stack st = { .ss = &o->seg[SEG_SS], .mask = ~0ull, .flat = true,
                        .ss_error = c->ext };
    unsigned cpl;
    int rc;

    if ((rc = read_gate(c, true, &g)) || (rc = check_gate(c, &g, true)) ||
        (rc = load_code(c, &g, true, &cs)) || (rc = handler_cpl(c, &cs, &cpl)) ||
        (rc = long_stack(c, &g, cpl, &st.sp)))
        return rc;
    if (!canonical(g.offset))
        return raise_fault(c, EXC_GP, c->ext, "handler address %#llx is not canonical",
                           (unsigned long long)g.offset);
    st.cpl = cpl;
    push(&f, o->seg[SEG_SS].selector);
    push(&f, o->gpr[GPR_RSP]);
    push_return(c, &f);
    if ((rc = write_frame(c, &f, &st)) != STEP_OK)
        return rc;
    /* A privilege change loads SS with a null selector whose RPL is the
     * new CPL (SDM Vol. 3A 6.14.4). */
    if (cpl < c->cpl) {
        null_seg(&c->n.seg[SEG_SS], (uint16_t)cpl);
        c->n.seg[SEG_SS].dpl = (uint8_t)cpl;
    }
    c->n.gpr[GPR_RSP] = st.sp;
    enter_handler(c, &g, &cs, cpl, g.offset);
    return STEP_OK;
}

/* ---- one attempt, and Table 6-5 around it ---- */

static int deliver_once(struct dctx *c)
{
    if (c->r->kind == DLV_FAULT && c->r->vector == EXC_PF)
        c->n.cr2 = c->r->cr2;   /* CR2 is written before the frame (SDM 6.15) */
    if (!(c->old->cr0 & CR0_PE))
        return deliver_real(c);
    if (c->old->efer & EFER_LMA)
        return deliver_long(c);
    return deliver_prot(c);
}

enum exc_class { CLS_BENIGN, CLS_CONTRIBUTORY, CLS_PAGE_FAULT, CLS_DOUBLE };

/* SDM Vol. 3A Table 6-4.  Interrupts (INT n, external) are benign. */
static enum exc_class classify(const struct deliver_req *r)
{
    if (r->kind == DLV_SOFTINT || r->kind == DLV_EXTERNAL)
        return CLS_BENIGN;
    switch (r->vector) {
    case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP:
        return CLS_CONTRIBUTORY;
    case EXC_PF: case EXC_VE:
        return CLS_PAGE_FAULT;
    case EXC_DF:
        return CLS_DOUBLE;
    default:
        return CLS_BENIGN;
    }
}

static const char *exc_mnemonic(uint8_t v)
{
    static const char *const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS",
        "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    };
    return v < 32 && names[v] ? names[v] : "vector";
}

static void event_name(const struct deliver_req *r, char *buf, size_t len)
{
    if (r->kind == DLV_SOFTINT)
        snprintf(buf, len, "INT %#x", r->vector);
    else if (r->kind == DLV_EXTERNAL)
        snprintf(buf, len, "interrupt %#x", r->vector);
    else if (r->vector < 32)
        snprintf(buf, len, "%s", exc_mnemonic(r->vector));
    else
        snprintf(buf, len, "vector %#x", r->vector);
}

static void fault_name(const struct dfault *f, char *buf, size_t len)
{
    if (x86_vector_has_error(f->vector))
        snprintf(buf, len, "%s(%#x)", exc_mnemonic(f->vector), f->error);
    else
        snprintf(buf, len, "%s", exc_mnemonic(f->vector));
}

/* Append one escalation step "<fault> (<what>) while delivering <event>". */
static void note(struct deliver_result *res, const char *prefix, const struct dfault *f,
                 const struct deliver_req *cur)
{
    char fn[24], ev[24];
    size_t used = strlen(res->why);

    fault_name(f, fn, sizeof(fn));
    event_name(cur, ev, sizeof(ev));
    snprintf(res->why + used, sizeof(res->why) - used, "%s%s%s (%s) while delivering %s",
             used ? "; " : "", prefix, fn, f->what, ev);
}

/* The next event after a fault during delivery of @cur: the fault itself
 * (serially) or #DF.  Returns false for a triple fault. */
static bool escalate(struct deliver_req *cur, const struct dfault *f,
                     struct deliver_result *res)
{
    enum exc_class first = classify(cur);
    struct deliver_req second = { .vector = f->vector, .kind = DLV_FAULT,
                                  .has_error = x86_vector_has_error(f->vector),
                                  .error = f->error, .cr2 = f->cr2,
                                  .next_rip = cur->next_rip };
    enum exc_class cls = classify(&second);

    if (first == CLS_DOUBLE)
        return false;
    if ((first == CLS_CONTRIBUTORY && cls == CLS_CONTRIBUTORY) ||
        (first == CLS_PAGE_FAULT && cls != CLS_BENIGN)) {
        note(res, "#DF: ", f, cur);
        second = (struct deliver_req){ .vector = EXC_DF, .kind = DLV_FAULT, .has_error = true,
                                       .error = 0, .next_rip = cur->next_rip };
    } else {
        note(res, "", f, cur);
    }
    *cur = second;
    return true;
}

static int shutdown(struct deliver_result *res, bool unsup, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int shutdown(struct deliver_result *res, bool unsup, const char *fmt, ...)
{
    va_list ap;

    res->shutdown = true;
    res->unsupported = unsup;
    va_start(ap, fmt);
    vsnprintf(res->why, sizeof(res->why), fmt, ap);
    va_end(ap);
    return 0;
}

static bool req_ok(const struct deliver_req *r)
{
    return r->kind == DLV_FAULT || r->kind == DLV_TRAP || r->kind == DLV_SOFTINT ||
           r->kind == DLV_EXTERNAL;
}

/* A benign event, a contributory fault, #DF, shutdown: at most 4 rounds. */
#define MAX_ROUNDS 4

int x86_deliver(struct cpu_state *s, struct gmem *mem, const struct deliver_req *r,
                struct deliver_result *res)
{
    struct deliver_req cur;
    uint64_t cr2;

    if (!s || !mem || !r || !res || !req_ok(r))
        return -VMS_ERR_INVAL;
    memset(res, 0, sizeof(*res));
    cur = *r;
    cr2 = s->cr2;
    for (int round = 0; round < MAX_ROUNDS; round++) {
        struct dctx c = { .old = s, .n = *s, .mem = mem, .r = &cur,
                          .ext = is_soft(&cur) ? 0 : ERRC_EXT, .cpl = x86_cpl(s) };
        char fn[24];
        int rc;

        c.n.cr2 = cr2;
        rc = deliver_once(&c);
        cr2 = c.n.cr2;
        if (rc == STEP_OK) {
            *s = c.n;
            res->vector = cur.vector;
            res->has_error = push_error(&c) && (s->cr0 & CR0_PE);
            res->error = res->has_error ? cur.error : 0;
            return 0;
        }
        if (rc == STEP_UNSUPPORTED)
            return shutdown(res, true, "%s", c.f.what);
        /* A #PF loads CR2 when it is detected, also when it becomes #DF
         * (a #DF handler reads CR2 to spot a stack overflow). */
        if (c.f.vector == EXC_PF)
            cr2 = c.f.cr2;
        fault_name(&c.f, fn, sizeof(fn));
        if (!escalate(&cur, &c.f, res))
            return shutdown(res, false, "triple fault: %s (%s) while delivering #DF",
                            fn, c.f.what);
    }
    return shutdown(res, false, "delivery did not converge after %d faults", MAX_ROUNDS);
}
