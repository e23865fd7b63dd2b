/* views.c - the session's view models (session.h): registers,
 * disassembly, stack, page walk, mappings, memory map, descriptor tables,
 * TSS, backtrace, VMs, devices, events.  Every view reads guest state
 * without changing it. */
#include "debugger/session_priv.h"

#include <stdio.h>
#include <string.h>

#include "debugger/dtable.h"
#include "debugger/pagemap.h"
#include "debugger/regs.h"
#include "machine/platform.h"
#include "machine/sched.h"

#define MAX_INSN_BYTES 15

/* ------------------------------------------------------------ registers */

static void seg_text(const struct x86_segment *g, bool long_mode, char *buf, size_t len)
{
    char kind[32];

    if (g->unusable && !g->present) {
        snprintf(buf, len, "0x%04x (unusable)", g->selector);
        return;
    }
    dtable_seg_kind(g, long_mode, kind, sizeof(kind));
    snprintf(buf, len, "0x%04x base=0x%llx limit=0x%x %s dpl%u%s", g->selector,
             (unsigned long long)g->base, g->limit, kind, g->dpl, g->present ? "" : " NP");
}

static bool reg_changed(const struct cpu_state *a, const struct cpu_state *b, enum dbg_reg r)
{
    int seg = dbg_reg_seg(r);

    if (seg >= 0)
        return a->seg[seg].selector != b->seg[seg].selector ||
               a->seg[seg].base != b->seg[seg].base;
    return dbg_reg_get(a, r) != dbg_reg_get(b, r);
}

int session_regs(struct session *s, struct dbg_regs_view *out)
{
    const struct cpu_state *c = session_state(s);

    if (!c)
        return -VMS_ERR_ENGINE;
    memset(out, 0, sizeof(*out));
    out->cpu = *c;
    out->mode = x86_mode_of(c);
    out->bits = x86_code_bits(c);
    out->cpl = x86_cpl(c);
    out->paging = pg_mode_of(c);
    bool same = s->have_prev && s->prev_vm == s->cur_vm && s->prev_vcpu == s->cur_vcpu;
    for (unsigned r = 0; same && r < DREG_COUNT; r++)
        out->changed[r] = reg_changed(&s->prev_cpu, c, (enum dbg_reg)r);
    char flags[80];
    dbg_bits_format(dbg_rflags_bits, c->rflags, flags, sizeof(flags));
    snprintf(out->rflags_text, sizeof(out->rflags_text), "[ %s%s]", flags, flags[0] ? " " : "");
    dbg_bits_format(dbg_cr0_bits, c->cr0, out->cr0_text, sizeof(out->cr0_text));
    dbg_bits_format(dbg_cr4_bits, c->cr4, out->cr4_text, sizeof(out->cr4_text));
    dbg_bits_format(dbg_efer_bits, c->efer, out->efer_text, sizeof(out->efer_text));
    bool lm = (c->efer & EFER_LMA) != 0;
    for (int i = 0; i < SEG_COUNT; i++)
        seg_text(&c->seg[i], lm, out->seg_text[i], sizeof(out->seg_text[i]));
    return 0;
}

/* ----------------------------------------------------------- disassembly */

static cs_mode cs_mode_for(unsigned bits)
{
    return bits == 64 ? CS_MODE_64 : bits == 32 ? CS_MODE_32 : CS_MODE_16;
}

static void fill_target(struct session *s, const cs_insn *in, uint64_t cs_base,
                        struct dbg_insn *d)
{
    const cs_x86 *x = &in->detail->x86;

    d->is_call = cs_insn_group(s->cs, in, CS_GRP_CALL);
    d->is_ret = cs_insn_group(s->cs, in, CS_GRP_RET) || cs_insn_group(s->cs, in, CS_GRP_IRET);
    d->is_jump = cs_insn_group(s->cs, in, CS_GRP_JUMP);
    if ((d->is_call || d->is_jump) && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
        d->has_target = true;
        d->target = cs_base + (uint64_t)x->operands[0].imm;
        char sym[60];
        if (session_symbolize(s, d->target, sym, sizeof(sym)))
            snprintf(d->target_sym, sizeof(d->target_sym), "<%s>", sym);
    }
}

/* Decode one instruction at linear @pc into @d; false at unreadable or
 * undecodable bytes (d->ok false, len 1 to move on). */
static bool decode_one(struct session *s, uint64_t pc, uint64_t cs_base,
                       cs_insn *in, struct dbg_insn *d)
{
    uint8_t buf[MAX_INSN_BYTES];
    struct pg_walk w;

    memset(d, 0, sizeof(*d));
    d->pc = pc;
    int64_t n = session_read_virt(s, pc, buf, sizeof(buf), &w);
    if (n > 0 && pg_translate(session_state(s), &session_cur_vm(s)->mem, pc, 0, &w)) {
        d->pa = w.pa;
        d->pa_ok = true;
    }
    const uint8_t *p = buf;
    size_t size = n > 0 ? (size_t)n : 0;
    uint64_t addr = pc - cs_base;
    if (size == 0 || !cs_disasm_iter(s->cs, &p, &size, &addr, in)) {
        d->len = 1;
        snprintf(d->text, sizeof(d->text), size == 0 ? "(unreadable)" : "(bad)");
        if (n > 0) {
            d->bytes[0] = buf[0];
        }
        return false;
    }
    d->ok = true;
    d->len = (uint8_t)in->size;
    memcpy(d->bytes, in->bytes, in->size);
    snprintf(d->text, sizeof(d->text), "%.31s%s%.60s", in->mnemonic, in->op_str[0] ? " " : "",
             in->op_str);
    fill_target(s, in, cs_base, d);
    return true;
}

static void mark(struct session *s, struct dbg_insn *d, uint64_t cur_pc)
{
    session_symbolize(s, d->pc, d->sym, sizeof(d->sym));
    d->is_pc = d->pc == cur_pc;
    const struct dbg_bp *b = session_bp_at_pc(s, d->pc);
    if (b) {
        d->bp = b->id;
        d->bp_enabled = b->enabled;
    }
}

int session_disasm(struct session *s, uint64_t pc, unsigned n, unsigned bits,
                   struct dbg_insn *out)
{
    const struct cpu_state *c = session_state(s);

    if (!c)
        return -VMS_ERR_ENGINE;
    if (bits == 0)
        bits = x86_code_bits(c);
    if (bits != 16 && bits != 32 && bits != 64)
        return vms_seterr(VMS_ERR_INVAL, "%u-bit code: 16, 32 or 64", bits);
    uint64_t cs_base = bits == 64 ? 0 : c->seg[SEG_CS].base;
    uint64_t cur = dbg_code_linear(c, c->rip);
    cs_option(s->cs, CS_OPT_MODE, cs_mode_for(bits));
    cs_insn *in = cs_malloc(s->cs);
    if (!in)
        return -VMS_ERR_NOMEM;
    unsigned i;
    for (i = 0; i < n; i++) {
        bool ok = decode_one(s, pc, cs_base, in, &out[i]);
        mark(s, &out[i], cur);
        pc += out[i].len;
        if (!ok && out[i].text[1] == 'u') {
            i++;
            break;   /* unreadable: stop here */
        }
    }
    cs_free(in, 1);
    return (int)i;
}

/* Where to start decoding so that about @before instructions precede pc:
 * the containing symbol's start when near, else the furthest start a few
 * bytes back whose decoding lands exactly on pc. */
static uint64_t back_start(struct session *s, uint64_t pc, unsigned before)
{
    struct dbg_insn tmp[64];
    uint64_t off;
    const struct sym *sym = symtab_lookup(&s->syms, pc, &off);

    if (before == 0)
        return pc;
    if (sym && off > 0 && off < 512) {
        int n = session_disasm(s, sym->addr, 64, 0, tmp);
        for (int i = 0; i < n; i++)
            if (tmp[i].pc == pc)
                return tmp[i >= (int)before ? i - (int)before : 0].pc;
    }
    for (unsigned back = before * 4; back > 0; back--) {
        if (back > pc)
            continue;
        unsigned want = before + 1 < 64 ? before + 1 : 64;
        int n = session_disasm(s, pc - back, want, 0, tmp);
        for (int i = 0; i < n; i++)
            if (tmp[i].pc == pc && tmp[i].ok)
                return tmp[i >= (int)before ? i - (int)before : 0].pc;
    }
    return pc;
}

int session_disasm_pc(struct session *s, unsigned before, unsigned n, struct dbg_insn *out)
{
    uint64_t pc = session_pc(s);
    return session_disasm(s, back_start(s, pc, before < n ? before : n - 1), n, 0, out);
}

/* --------------------------------------------------------------- stack */

static uint64_t stack_linear(const struct cpu_state *c, uint64_t off)
{
    unsigned bits = x86_code_bits(c);
    if (bits == 64)
        return off;
    return (uint32_t)(c->seg[SEG_SS].base + (c->seg[SEG_SS].db ? (uint32_t)off : (uint16_t)off));
}

int session_stack(struct session *s, unsigned n, struct dbg_stack_slot *out)
{
    const struct cpu_state *c = session_state(s);

    if (!c)
        return -VMS_ERR_ENGINE;
    unsigned w = session_word(s);
    uint64_t sp = stack_linear(c, c->gpr[GPR_RSP]);
    uint64_t fp = stack_linear(c, c->gpr[GPR_RBP]);
    for (unsigned i = 0; i < n; i++) {
        struct dbg_stack_slot *slot = &out[i];
        uint64_t v = 0;
        memset(slot, 0, sizeof(*slot));
        slot->addr = sp + (uint64_t)i * w;
        slot->ok = session_read_virt(s, slot->addr, &v, w, NULL) == (int64_t)w;
        slot->value = v;
        slot->is_sp = i == 0;
        slot->is_fp = slot->addr == fp;
        if (slot->ok)
            session_symbolize(s, dbg_code_linear(c, v), slot->sym, sizeof(slot->sym));
    }
    return (int)n;
}

/* -------------------------------------------------------------- paging */

int session_pagewalk(struct session *s, uint64_t va, unsigned flags, struct dbg_pagewalk *out)
{
    const struct cpu_state *c = session_state(s);

    if (!c)
        return -VMS_ERR_ENGINE;
    memset(out, 0, sizeof(*out));
    /* never PGW_SET_AD: inspection must not change the guest */
    pg_translate(c, &session_cur_vm(s)->mem, va, flags & ~PGW_SET_AD, &out->w);
    const struct pg_walk *w = &out->w;
    for (unsigned i = 0; i < w->nlevels && i < 5; i++)
        pagemap_flags(w->lv[i].entry, w->lv[i].level == 1, out->level_flags[i],
                      sizeof(out->level_flags[i]));
    if (w->ok) {
        snprintf(out->result, sizeof(out->result), "0x%llx -> 0x%llx (%s%s, %s %s %s)",
                 (unsigned long long)va, (unsigned long long)w->pa,
                 w->mode == PGM_NONE ? "no paging" : "page ",
                 w->mode == PGM_NONE ? "" :
                 w->page_size == (1ull << 30) ? "1 GiB" : w->page_size == (1ull << 22) ? "4 MiB" :
                 w->page_size == (1ull << 21) ? "2 MiB" : "4 KiB",
                 w->writable ? "RW" : "RO", w->user ? "user" : "supervisor",
                 w->executable ? "X" : "NX");
    } else if (w->fault == PGF_NONCANONICAL) {
        snprintf(out->result, sizeof(out->result), "0x%llx: fault: not canonical (bits 63:47 "
                 "differ): #GP, not #PF", (unsigned long long)va);
    } else {
        const char *where = w->nlevels ? w->lv[w->nlevels - 1].name : "";
        snprintf(out->result, sizeof(out->result), "0x%llx: fault: %s%s%s (#PF error code 0x%x)",
                 (unsigned long long)va, pg_fault_name(w->fault), where[0] ? " at " : "",
                 where, w->pfec);
    }
    return 0;
}

int session_mappings(struct session *s, struct dbg_map_range *out, unsigned max,
                     unsigned *total)
{
    const struct cpu_state *c = session_state(s);

    if (!c)
        return -VMS_ERR_ENGINE;
    return pagemap_ranges(c, &session_cur_vm(s)->mem, out, max, total);
}

int session_memmap(struct session *s, struct dbg_region *out, unsigned max)
{
    struct vm *vm = session_cur_vm(s);
    unsigned n = 0;

    if (max == 0)
        return 0;
    out[n++] = (struct dbg_region){ .base = 0, .len = vm->mem.size, .kind = REGION_RAM,
                                    .name = "ram" };
    static const enum dbg_region_kind kinds[BUS_SPACES] = { REGION_PIO, REGION_MMIO };
    for (int sp = BUS_MMIO; sp >= BUS_PIO; sp--) {
        for (unsigned i = 0; i < vm->bus.n[sp] && n < max; i++) {
            const struct bus_range *r = &vm->bus.r[sp][i];
            out[n] = (struct dbg_region){ .base = r->base, .len = r->len, .kind = kinds[sp],
                                          .reads = r->reads, .writes = r->writes };
            snprintf(out[n].name, sizeof(out[n].name), "%s", r->name ? r->name : "?");
            n++;
        }
    }
    return (int)n;
}

/* ---------------------------------------------------- descriptor tables */

static int read_u64(struct session *s, uint64_t va, uint64_t *v)
{
    *v = 0;
    return session_read_virt(s, va, v, 8, NULL) == 8 ? 0 : -VMS_ERR_FAULT;
}

static void desc_unreadable(struct dbg_desc *d)
{
    d->ok = false;
    snprintf(d->kind, sizeof(d->kind), "?");
    snprintf(d->text, sizeof(d->text), "cannot read 0x%llx", (unsigned long long)d->addr);
}

static int dtable_segs(struct session *s, uint64_t base, uint32_t limit, bool lm,
                       unsigned first, unsigned max, struct dbg_desc *out)
{
    unsigned n = 0;

    for (unsigned i = first; n < max && (uint64_t)i * 8 + 7 <= limit; i++) {
        struct dbg_desc *d = &out[n++];
        uint64_t lo, hi = 0;
        memset(d, 0, sizeof(*d));
        d->index = i;
        d->addr = base + (uint64_t)i * 8;
        if (read_u64(s, d->addr, &lo) < 0) {
            desc_unreadable(d);
            continue;
        }
        if (dtable_is_wide(lo, lm) && read_u64(s, d->addr + 8, &hi) < 0)
            hi = 0;
        dtable_decode_seg(d, lo, hi, lm);
        if (dtable_is_wide(lo, lm))
            i++;   /* the upper half is not an entry of its own */
    }
    return (int)n;
}

static int dtable_idt(struct session *s, const struct cpu_state *c, unsigned first,
                      unsigned max, struct dbg_desc *out)
{
    bool lm = (c->efer & EFER_LMA) != 0;
    unsigned size = lm ? 16 : 8, n = 0;

    for (unsigned i = first; n < max && i < 256 && (uint64_t)i * size + size - 1 <= c->idt.limit; i++) {
        struct dbg_desc *d = &out[n++];
        uint64_t lo, hi = 0;
        memset(d, 0, sizeof(*d));
        d->index = i;
        d->addr = c->idt.base + (uint64_t)i * size;
        if (read_u64(s, d->addr, &lo) < 0 || (lm && read_u64(s, d->addr + 8, &hi) < 0)) {
            desc_unreadable(d);
            continue;
        }
        dtable_decode_gate(d, lo, hi, lm);
        uint64_t cs_base = 0;
        if (!lm) {   /* the target segment's base, when it is the current CS */
            if (d->gate_sel == c->seg[SEG_CS].selector)
                cs_base = c->seg[SEG_CS].base;
        }
        session_symbolize(s, cs_base + d->gate_off, d->sym, sizeof(d->sym));
    }
    return (int)n;
}

static int dtable_ivt(struct session *s, const struct cpu_state *c, unsigned first,
                      unsigned max, struct dbg_desc *out)
{
    unsigned n = 0;

    for (unsigned i = first; n < max && i < 256 && (uint64_t)i * 4 + 3 <= c->idt.limit; i++) {
        struct dbg_desc *d = &out[n++];
        uint32_t raw = 0;
        memset(d, 0, sizeof(*d));
        d->index = i;
        d->addr = c->idt.base + (uint64_t)i * 4;
        if (session_read_phys(s, d->addr, &raw, 4) != 4) {
            desc_unreadable(d);
            continue;
        }
        dtable_decode_ivt(d, raw);
        session_symbolize(s, ((uint64_t)d->gate_sel << 4) + d->gate_off, d->sym, sizeof(d->sym));
    }
    return (int)n;
}

int session_dtable(struct session *s, enum dbg_table t, unsigned first, unsigned max,
                   struct dbg_desc *out)
{
    const struct cpu_state *c = session_state(s);

    if (!c)
        return -VMS_ERR_ENGINE;
    bool lm = (c->efer & EFER_LMA) != 0;
    switch (t) {
    case DT_GDT:
        return dtable_segs(s, c->gdt.base, c->gdt.limit, lm, first, max, out);
    case DT_LDT:
        if (c->seg[SEG_LDTR].selector == 0 || !c->seg[SEG_LDTR].present)
            return vms_seterr(VMS_ERR_NOTFOUND, "no LDT loaded (LDTR = 0)");
        return dtable_segs(s, c->seg[SEG_LDTR].base, c->seg[SEG_LDTR].limit, lm, first, max, out);
    case DT_IDT:
        if (!(c->cr0 & CR0_PE))
            return dtable_ivt(s, c, first, max, out);
        return dtable_idt(s, c, first, max, out);
    case DT_IVT:
        return dtable_ivt(s, c, first, max, out);
    }
    return -VMS_ERR_INVAL;
}

/* TSS layouts (SDM Vol. 3A Figures 7-2, 7-11; 16-bit: Figure 7-10). */
struct tss_field { const char *name; uint8_t off, size; };
static const struct tss_field tss16[] = {
    { "link", 0, 2 }, { "sp0", 2, 2 }, { "ss0", 4, 2 }, { "sp1", 6, 2 }, { "ss1", 8, 2 },
    { "sp2", 10, 2 }, { "ss2", 12, 2 }, { "ip", 14, 2 }, { "flags", 16, 2 }, { "ax", 18, 2 },
    { "cx", 20, 2 }, { "dx", 22, 2 }, { "bx", 24, 2 }, { "sp", 26, 2 }, { "bp", 28, 2 },
    { "si", 30, 2 }, { "di", 32, 2 }, { "es", 34, 2 }, { "cs", 36, 2 }, { "ss", 38, 2 },
    { "ds", 40, 2 }, { "ldt", 42, 2 }, { NULL, 0, 0 },
};
static const struct tss_field tss32[] = {
    { "link", 0x00, 2 }, { "esp0", 0x04, 4 }, { "ss0", 0x08, 2 }, { "esp1", 0x0C, 4 },
    { "ss1", 0x10, 2 }, { "esp2", 0x14, 4 }, { "ss2", 0x18, 2 }, { "cr3", 0x1C, 4 },
    { "eip", 0x20, 4 }, { "eflags", 0x24, 4 }, { "eax", 0x28, 4 }, { "ecx", 0x2C, 4 },
    { "edx", 0x30, 4 }, { "ebx", 0x34, 4 }, { "esp", 0x38, 4 }, { "ebp", 0x3C, 4 },
    { "esi", 0x40, 4 }, { "edi", 0x44, 4 }, { "es", 0x48, 2 }, { "cs", 0x4C, 2 },
    { "ss", 0x50, 2 }, { "ds", 0x54, 2 }, { "fs", 0x58, 2 }, { "gs", 0x5C, 2 },
    { "ldt", 0x60, 2 }, { "trap", 0x64, 2 }, { "iomap", 0x66, 2 }, { NULL, 0, 0 },
};
static const struct tss_field tss64[] = {
    { "rsp0", 0x04, 8 }, { "rsp1", 0x0C, 8 }, { "rsp2", 0x14, 8 }, { "ist1", 0x24, 8 },
    { "ist2", 0x2C, 8 }, { "ist3", 0x34, 8 }, { "ist4", 0x3C, 8 }, { "ist5", 0x44, 8 },
    { "ist6", 0x4C, 8 }, { "ist7", 0x54, 8 }, { "iomap", 0x66, 2 }, { NULL, 0, 0 },
};

int session_tss(struct session *s, struct dbg_tss *out)
{
    const struct cpu_state *c = session_state(s);

    if (!c)
        return -VMS_ERR_ENGINE;
    memset(out, 0, sizeof(*out));
    const struct x86_segment *tr = &c->seg[SEG_TR];
    out->base = tr->base;
    out->limit = tr->limit;
    if (!(c->cr0 & CR0_PE)) {
        snprintf(out->err, sizeof(out->err), "real mode: no task state segment in use");
        return 0;
    }
    bool lm = (c->efer & EFER_LMA) != 0;
    bool t16 = tr->type == SYSTYPE_TSS16_AVAIL || tr->type == SYSTYPE_TSS16_BUSY;
    out->bits = lm ? 64 : t16 ? 16 : 32;
    const struct tss_field *f = lm ? tss64 : t16 ? tss16 : tss32;
    for (; f->name && out->n < sizeof(out->f) / sizeof(out->f[0]); f++) {
        uint64_t v = 0;
        if (f->off + f->size - 1u > tr->limit ||
            session_read_virt(s, tr->base + f->off, &v, f->size, NULL) != f->size) {
            if (out->n == 0) {
                snprintf(out->err, sizeof(out->err), "TSS at 0x%llx (limit 0x%x) is not readable",
                         (unsigned long long)tr->base, tr->limit);
                return 0;
            }
            break;
        }
        snprintf(out->f[out->n].name, sizeof(out->f[0].name), "%s", f->name);
        out->f[out->n++].value = v;
    }
    out->ok = true;
    return 0;
}

/* ----------------------------------------------------------- backtrace */

/* A return address worth showing: mapped, and in a symbol when the image
 * has symbols (an exception's error code where a return address would be,
 * or a stale frame pointer, ends the backtrace instead of showing junk). */
bool session_plausible_return(struct session *s, const struct cpu_state *c, uint64_t ret)
{
    struct pg_walk w;
    uint64_t pc = dbg_code_linear(c, ret);
    char sym[64];

    if (ret == 0 || !pg_translate(c, &session_cur_vm(s)->mem, pc, 0, &w))
        return false;
    return session_symbols(s)->n == 0 || session_symbolize(s, pc, sym, sizeof(sym));
}

/* One frame up: by the prologue of the function at f->pc when pc is in
 * its straight-line start, else by the frame-pointer chain.  False at the
 * end of the chain (or where it does not go up the stack). */
static bool frame_up(struct session *s, const struct cpu_state *c, unsigned w, uint64_t mask,
                     uint64_t *pc, uint64_t *sp, uint64_t *fp)
{
    uint64_t ret = 0, saved_fp = 0;
    int64_t delta;

    if (session_prologue_depth(s, *pc, w, &delta) && delta >= 0) {
        uint64_t slot = *sp + (uint64_t)delta;
        if (session_read_virt(s, stack_linear(c, slot), &ret, w, NULL) != (int64_t)w ||
            !session_plausible_return(s, c, ret))
            return false;
        *sp = (slot + w) & mask;
        *pc = dbg_code_linear(c, ret);
        return true;
    }
    if (*fp == 0 || session_read_virt(s, stack_linear(c, *fp), &saved_fp, w, NULL) != (int64_t)w ||
        session_read_virt(s, stack_linear(c, *fp + w), &ret, w, NULL) != (int64_t)w)
        return false;
    saved_fp &= mask;
    /* callers' frames lie above (the stack grows down): anything else is
     * not a frame-pointer chain; stop rather than loop */
    if (saved_fp <= *fp || !session_plausible_return(s, c, ret))
        return false;
    *sp = (*fp + 2 * w) & mask;
    *fp = saved_fp;
    *pc = dbg_code_linear(c, ret);
    return true;
}

int session_backtrace(struct session *s, struct dbg_frame *out, unsigned max)
{
    const struct cpu_state *c = session_state(s);

    if (!c)
        return -VMS_ERR_ENGINE;
    unsigned w = session_word(s), n = 0;
    uint64_t mask = w == 8 ? ~0ull : w == 4 ? 0xFFFFFFFFull : 0xFFFFull;
    uint64_t pc = dbg_code_linear(c, c->rip), fp = c->gpr[GPR_RBP] & mask;
    uint64_t sp = c->gpr[GPR_RSP] & mask;
    for (bool more = true; more && n < max; n++) {
        struct dbg_frame *f = &out[n];
        f->level = n;
        f->pc = pc;
        f->fp = stack_linear(c, fp);
        session_symbolize(s, pc, f->sym, sizeof(f->sym));
        more = frame_up(s, c, w, mask, &pc, &sp, &fp);
    }
    return (int)n;
}

/* ------------------------------------------------- VMs, vCPUs, devices */

int session_sched(struct session *s, struct dbg_sched_info *out)
{
    struct hv *hv = s->hv;

    memset(out, 0, sizeof(*out));
    snprintf(out->policy, sizeof(out->policy), "%s", hv->sched.ops->name);
    out->npcpu = hv->npcpu;
    out->now = hv->now;
    out->rounds = hv->rounds;
    out->quantum = hv->sched.quantum;
    out->nvm = hv->nvm;
    out->nvcpu = hv->sched.n;
    return 0;
}

int session_vms(struct session *s, struct dbg_vm_info *out, unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < s->hv->nvm && n < max; i++) {
        const struct vm *vm = s->hv->vm[i];
        struct dbg_vm_info *o = &out[n++];
        memset(o, 0, sizeof(*o));
        o->index = vm->index;
        snprintf(o->name, sizeof(o->name), "%s", vm->name);
        o->state = vm->state;
        snprintf(o->reason, sizeof(o->reason), "%s", vm->reason);
        o->exit_status = vm->exit_status;
        o->mem = vm->mem.size;
        o->insns = vm->insns;
        o->vtime = vclock_now(&vm->clock);
        o->nvcpu = vm->nvcpu;
    }
    return (int)n;
}

int session_vcpus(struct session *s, struct dbg_vcpu_info *out, unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < s->hv->nvm; i++) {
        struct vm *vm = s->hv->vm[i];
        for (unsigned k = 0; k < vm->nvcpu && n < max; k++) {
            struct vcpu *v = vm->vcpu[k];
            struct dbg_vcpu_info *o = &out[n++];
            struct cpu_state c;
            memset(o, 0, sizeof(*o));
            o->vm = i;
            o->index = k;
            o->current = i == s->cur_vm && k == s->cur_vcpu;
            o->halted = v->halted;
            o->runnable = v->runnable;
            o->scheduled = v->scheduled;
            o->insns = v->insns;
            o->exits = v->exits;
            if (v->ops->get_state(v, &c) == 0) {
                o->rip = c.rip;
                o->pc = dbg_code_linear(&c, c.rip);
                o->mode = x86_mode_of(&c);
            }
        }
    }
    return (int)n;
}

static unsigned device_events(const struct session *s, const char *name)
{
    const struct evstream *ev = &s->hv->ev;
    uint64_t first = ev->seq > EV_RING ? ev->seq - EV_RING : 0;
    unsigned n = 0;

    for (uint64_t q = first; q < ev->seq; q++) {
        const struct event *e = ev_get(ev, q);
        if (e && e->vm == s->cur_vm && !strncmp(e->text, name, strlen(name)))
            n++;
    }
    return n;
}

int session_devices(struct session *s, struct dbg_device *out, unsigned max)
{
    struct vm *vm = session_cur_vm(s);
    unsigned n = 0;

    for (int sp = BUS_PIO; sp < BUS_SPACES; sp++) {
        for (unsigned i = 0; i < vm->bus.n[sp] && n < max; i++) {
            const struct bus_range *r = &vm->bus.r[sp][i];
            struct dbg_device *d = &out[n++];
            memset(d, 0, sizeof(*d));
            snprintf(d->name, sizeof(d->name), "%s", r->name ? r->name : "?");
            d->space = (enum bus_space)sp;
            d->base = r->base;
            d->len = r->len;
            d->reads = r->reads;
            d->writes = r->writes;
            d->nevents = device_events(s, d->name);
            d->in_kernel = platform_irqchip_device(vm->plat, r);
        }
    }
    return (int)n;
}

/* -------------------------------------------------------------- events */

int session_events(struct session *s, const struct dbg_evfilter *f, struct event *out,
                   unsigned max)
{
    const struct evstream *ev = &s->hv->ev;
    uint64_t first = ev->seq > EV_RING ? ev->seq - EV_RING : 0;
    unsigned n = 0;

    /* newest first, then reverse into oldest-first order */
    for (uint64_t q = ev->seq; q > first && n < max; q--) {
        const struct event *e = ev_get(ev, q - 1);
        if (e && (!f || dbg_evfilter_match(f, e)))
            out[n++] = *e;
    }
    for (unsigned i = 0; i < n / 2; i++) {
        struct event t = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = t;
    }
    return (int)n;
}

static const char *const vector_mnemonics[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "", "#TS", "#NP",
    "#SS", "#GP", "#PF", "", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static int event_detail(const struct event *e, char *buf, size_t len)
{
    switch ((enum ev_kind)e->kind) {
    case EV_PIO:
    case EV_MMIO:
        return snprintf(buf, len, "%s %s 0x%llx %s 0x%llx (%u byte%s) %s",
                        e->kind == EV_PIO ? "port" : "addr", e->write ? "write" : "read",
                        (unsigned long long)e->addr, e->write ? "<-" : "->",
                        (unsigned long long)e->value, e->size, e->size == 1 ? "" : "s", e->text);
    case EV_EXCEPTION:
    case EV_SOFTINT:
    case EV_INJECT: {
        const char *mn = e->vector < 32 && e->kind != EV_INJECT ? vector_mnemonics[e->vector] : "";
        int n = snprintf(buf, len, "vector %u%s%s", e->vector, mn[0] ? " " : "", mn);
        if (e->has_error && n > 0 && (size_t)n < len)
            n += snprintf(buf + n, len - (size_t)n, " error 0x%x", e->error);
        if (e->vector == EXC_PF && e->kind == EV_EXCEPTION && n > 0 && (size_t)n < len)
            n += snprintf(buf + n, len - (size_t)n, " cr2 0x%llx", (unsigned long long)e->addr);
        if (n > 0 && (size_t)n < len)
            n += snprintf(buf + n, len - (size_t)n, " at rip 0x%llx%s%s",
                          (unsigned long long)e->rip, e->text[0] ? " " : "", e->text);
        return n;
    }
    case EV_MODE:
        return snprintf(buf, len, "-> %s at rip 0x%llx", e->text, (unsigned long long)e->rip);
    case EV_CR3:
        return snprintf(buf, len, "<- 0x%llx at rip 0x%llx", (unsigned long long)e->addr,
                        (unsigned long long)e->rip);
    case EV_HLT:
        return snprintf(buf, len, "at rip 0x%llx", (unsigned long long)e->rip);
    default:
        return snprintf(buf, len, "%s", e->text);
    }
}

void dbg_event_format(const struct event *e, char *buf, size_t len)
{
    char who[24];

    if (e->vcpu == 0xFFFF)
        snprintf(who, sizeof(who), "vm%u", e->vm);
    else
        snprintf(who, sizeof(who), "vm%u.%u", e->vm, e->vcpu);
    int n = snprintf(buf, len, "#%llu %s t=%lluns %s ", (unsigned long long)e->seq, who,
                     (unsigned long long)e->vtime, ev_kind_name((enum ev_kind)e->kind));
    if (n > 0 && (size_t)n < len)
        event_detail(e, buf + n, len - (size_t)n);
}

/* ------------------------------------------------------------ segments */

int session_load_seg(struct session *s, struct cpu_state *c, int seg, uint16_t sel)
{
    struct x86_segment *g = &c->seg[seg];

    if (!(c->cr0 & CR0_PE) || (c->rflags & RFLAGS_VM)) {
        x86_seg_real(g, sel);
        return 0;
    }
    if ((sel & ~3u) == 0) {
        if (seg == SEG_CS || seg == SEG_SS)
            return vms_seterr(VMS_ERR_INVAL, "a null selector cannot be loaded into %s",
                              seg == SEG_CS ? "cs" : "ss");
        memset(g, 0, sizeof(*g));
        g->selector = sel;
        g->unusable = 1;
        return 0;
    }
    bool ldt = (sel & SEL_TI) != 0;
    uint64_t base = ldt ? c->seg[SEG_LDTR].base : c->gdt.base;
    uint32_t limit = ldt ? c->seg[SEG_LDTR].limit : c->gdt.limit;
    uint64_t off = (uint64_t)SEL_INDEX(sel) * 8, lo = 0, hi = 0;
    if (off + 7 > limit)
        return vms_seterr(VMS_ERR_RANGE, "selector 0x%x is beyond the %s limit 0x%x", sel,
                          ldt ? "LDT" : "GDT", limit);
    if (read_u64(s, base + off, &lo) < 0)
        return vms_seterr(VMS_ERR_FAULT, "cannot read the descriptor of selector 0x%x", sel);
    bool wide = dtable_is_wide(lo, (c->efer & EFER_LMA) != 0);
    if (wide && read_u64(s, base + off + 8, &hi) < 0)
        hi = 0;
    x86_desc_decode(lo, hi, wide, g);
    g->selector = sel;
    return 0;
}

/* ------------------------------------------------------------- printing */

void session_print_pc_line(struct session *s, struct dbg_out *out)
{
    struct dbg_insn in;

    if (session_disasm(s, session_pc(s), 1, 0, &in) < 1)
        return;
    dbg_printf(out, "=> 0x%llx%s%s%s:\t%s%s%s\n", (unsigned long long)in.pc,
               in.sym[0] ? " <" : "", in.sym, in.sym[0] ? ">" : "", in.text,
               in.target_sym[0] ? " " : "", in.target_sym);
}

void session_print_stop(struct session *s, struct dbg_out *out)
{
    const struct dbg_stop *st = &s->last;

    if (s->console_mid) {   /* the guest's line is not finished: ours starts anew */
        dbg_printf(out, "\n");
        s->console_mid = false;
    }
    dbg_printf(out, "%s\n", st->line);
    if (st->reason != DSTOP_EXITED && st->reason != DSTOP_ERROR)
        session_print_pc_line(s, out);
}
