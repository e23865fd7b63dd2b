/* pane_cpu.c - registers, disassembly, stack, memory and page walk panes. */
#include "tui/pane_cpu.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

/* ================================================================ registers */

struct regs_pane {
    struct dbg_regs_view v;
    bool ok;
    int lines;                  /* at the last draw, for scrolling */
};

static void *regs_create(void)
{
    return calloc(1, sizeof(struct regs_pane));
}

static void regs_update(struct pane *p, struct tui *t)
{
    struct regs_pane *r = p->state;

    r->ok = session_regs(t->s, &r->v) == 0;
}

/* A "name value" cell; the value in CHANGED style when it changed. */
static void reg_cell(struct canvas c, int x, int y, const char *name, const char *val,
                     bool changed)
{
    int n = cv_text(c, x, y, -1, STY_LABEL, name);
    cv_text(c, x + n + 1, y, -1, changed ? STY_CHANGED : STY_NORMAL, val);
}

static const char *const gpr32[] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp" };
static const char *const sreg_names[] = { "cs", "ss", "ds", "es", "fs", "gs" };

/* The general registers in as many columns as fit; returns lines used. */
static int draw_gprs(struct canvas c, int y, const struct regs_pane *r)
{
    bool wide = r->v.bits == 64;
    int n = wide ? 16 : 8, cw = wide ? 22 : 14;
    int cols = c.r.w / cw > 0 ? c.r.w / cw : 1, rows = (n + cols - 1) / cols;
    char val[24];

    for (int i = 0; i < n; i++) {
        uint64_t v = dbg_reg_get(&r->v.cpu, (enum dbg_reg)(DREG_RAX + i));
        if (wide)
            snprintf(val, sizeof(val), "%016" PRIx64, v);
        else
            snprintf(val, sizeof(val), "%08" PRIx64, v & 0xFFFFFFFFu);
        const char *name = wide ? dbg_reg_names[DREG_RAX + i] : gpr32[i];
        reg_cell(c, (i / rows) * cw, y + i % rows, name, val, r->v.changed[DREG_RAX + i]);
    }
    return rows;
}

static int draw_ip_flags(struct canvas c, int y, const struct regs_pane *r)
{
    bool wide = r->v.bits == 64;
    char val[24];
    int x;

    snprintf(val, sizeof(val), wide ? "%016" PRIx64 : "%08" PRIx64,
             wide ? r->v.cpu.rip : r->v.cpu.rip & 0xFFFFFFFFu);
    reg_cell(c, 0, y, wide ? "rip" : "eip", val, r->v.changed[DREG_RIP]);
    x = wide ? 22 : 14;
    snprintf(val, sizeof(val), "%08" PRIx64, r->v.cpu.rflags);
    reg_cell(c, x, y, "flags", val, r->v.changed[DREG_RFLAGS]);
    cv_text(c, x + 15, y, -1, r->v.changed[DREG_RFLAGS] ? STY_CHANGED : STY_DIM,
            r->v.rflags_text);
    return 1;
}

static int draw_segs(struct canvas c, int y, const struct regs_pane *r)
{
    static const enum dbg_reg sreg[] = { DREG_CS, DREG_SS, DREG_DS, DREG_ES, DREG_FS, DREG_GS };
    static const enum x86_seg seg[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
    int cols = c.r.w / 9 > 6 ? 6 : (c.r.w / 9 > 0 ? c.r.w / 9 : 1), lines = 0;
    char val[8];

    for (int i = 0; i < 6; i++) {
        snprintf(val, sizeof(val), "%04x", r->v.cpu.seg[seg[i]].selector);
        reg_cell(c, (i % cols) * 9, y + i / cols, sreg_names[i], val, r->v.changed[sreg[i]]);
    }
    lines = (6 + cols - 1) / cols;
    /* The hidden parts of CS and SS say what the CPU really does. */
    for (int i = 0; i < 2; i++) {
        int n = cv_text(c, 0, y + lines, -1, STY_LABEL, sreg_names[i]);
        cv_text(c, n + 1, y + lines, -1, STY_DIM, r->v.seg_text[seg[i]]);
        lines++;
    }
    return lines;
}

static int draw_control(struct canvas c, int y, const struct regs_pane *r)
{
    const struct { const char *name; enum dbg_reg reg; const char *text; } cr[] = {
        { "cr0", DREG_CR0, r->v.cr0_text }, { "cr2", DREG_CR2, "" },
        { "cr3", DREG_CR3, "" }, { "cr4", DREG_CR4, r->v.cr4_text },
        { "efer", DREG_EFER, r->v.efer_text },
    };
    char val[24];

    for (size_t i = 0; i < sizeof(cr) / sizeof(cr[0]); i++) {
        snprintf(val, sizeof(val), "%08" PRIx64, dbg_reg_get(&r->v.cpu, cr[i].reg));
        reg_cell(c, 0, y + (int)i, cr[i].name, val, r->v.changed[cr[i].reg]);
        cv_text(c, 5 + (int)strlen(val) + 1, y + (int)i, -1, STY_DIM, cr[i].text);
    }
    return (int)(sizeof(cr) / sizeof(cr[0]));
}

static void regs_draw(struct pane *p, struct tui *t, struct canvas c)
{
    struct regs_pane *r = p->state;
    struct canvas v;
    int y = 0;

    (void)t;
    if (!r->ok) {
        cv_text(c, 0, 0, -1, STY_ERROR, "registers unavailable");
        return;
    }
    v = canvas_sub(c, (struct rect){ 0, -p->scroll, c.r.w, c.r.h + p->scroll });
    y += draw_gprs(v, y, r);
    y += draw_ip_flags(v, y, r);
    y += draw_segs(v, y, r);
    y += draw_control(v, y, r);
    r->lines = y;
}

static bool regs_key(struct pane *p, struct tui *t, enum tui_action a)
{
    (void)t;
    return pane_scroll_key(p, a, ((struct regs_pane *)p->state)->lines);
}

static void regs_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    struct regs_pane *r = p->state;

    (void)t;
    if (r->ok)
        snprintf(buf, len, "%s cpl%u paging %s", x86_mode_name(r->v.mode), r->v.cpl,
                 pg_mode_name(r->v.paging));
}

const struct pane_ops pane_regs_ops = {
    .name = "regs", .title = "Registers", .create = regs_create, .destroy = free,
    .update = regs_update, .draw = regs_draw, .key = regs_key, .subtitle = regs_subtitle,
};

/* ============================================================== disassembly */

#define DIS_LINES 80
#define DIS_BEFORE 12

struct disasm_pane {
    struct dbg_insn in[DIS_LINES];
    int n;
    int pc_line;                /* index of the current instruction, -1 */
    uint64_t sel_pc;            /* selected address (when pane->sel >= 0) */
    char err[96];
};

static void *disasm_create(void)
{
    return calloc(1, sizeof(struct disasm_pane));
}

static void disasm_update(struct pane *p, struct tui *t)
{
    struct disasm_pane *d = p->state;
    int n = session_disasm_pc(t->s, DIS_BEFORE, DIS_LINES, d->in);

    d->n = n < 0 ? 0 : n;
    d->pc_line = -1;
    d->err[0] = '\0';
    if (n < 0)
        snprintf(d->err, sizeof(d->err), "%s", vms_lasterr(n));
    for (int i = 0; i < d->n; i++)
        if (d->in[i].is_pc)
            d->pc_line = i;
    /* Keep the selection on its address if it is still shown. */
    p->sel = -1;
    for (int i = 0; d->sel_pc && i < d->n; i++)
        if (d->in[i].pc == d->sel_pc && i != d->pc_line)
            p->sel = i;
    if (p->sel < 0)
        d->sel_pc = 0;
}

bool pane_disasm_selected(struct pane *p, struct tui *t, uint64_t *pc)
{
    struct disasm_pane *d = p ? p->state : NULL;

    if (!d)
        return false;
    if (p->gen != t->gen) {
        disasm_update(p, t);
        p->gen = t->gen;
    }
    int i = p->sel >= 0 ? p->sel : d->pc_line;
    if (i < 0 || i >= d->n)
        return false;
    *pc = d->in[i].pc;
    return true;
}

static void insn_bytes(const struct dbg_insn *in, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < in->len && i < 6 && o + 3 < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%02x", in->bytes[i]);
    if (in->len > 6 && o + 2 < len)
        snprintf(buf + o, len - o, "..");
}

/* One instruction line: marker, address, bytes, text, target symbol. */
static void draw_insn(struct canvas c, int y, const struct dbg_insn *in, bool selected,
                      bool wide_addr, bool bytes)
{
    const struct screen *s = c.s;
    char buf[48];
    int x = 0;

    if (in->bp)
        cv_put(c, 0, y, in->bp_enabled ? screen_glyph(s, GL_BULLET) : 'o', STY_BREAK);
    if (in->is_pc)
        cv_put(c, 1, y, screen_glyph(s, GL_ARROW), STY_CURRENT);
    x = 3;
    snprintf(buf, sizeof(buf), wide_addr ? "%016" PRIx64 : "%08" PRIx64, in->pc);
    x += cv_text(c, x, y, -1, STY_DIM, buf) + 1;
    if (bytes) {
        insn_bytes(in, buf, sizeof(buf));
        cv_text(c, x, y, 14, STY_DIM, buf);
        x += 15;
    }
    int n = cv_text(c, x, y, -1, in->ok ? STY_NORMAL : STY_ERROR, in->ok ? in->text : "(bad)");
    if (in->has_target && in->target_sym[0])
        cv_text(c, x + n + 1, y, -1, STY_SYMBOL, in->target_sym);
    enum scr_style line = in->is_pc ? STY_CURRENT : selected ? STY_SELECT : STY_NORMAL;
    if (line != STY_NORMAL)
        for (int i = 2; i < c.r.w; i++) {
            const struct cell *cell = screen_at(c.s, c.ox + i, c.oy + y);
            if (cell && (cell->style == STY_NORMAL || cell->style == STY_DIM
                         || cell->style == STY_SYMBOL || in->is_pc))
                cv_style(c, i, y, 1, line);
        }
}

/* A symbol that starts at this instruction gets a label line. */
static bool label_of(const struct dbg_insn *in, char *buf, size_t len)
{
    if (!in->sym[0] || strchr(in->sym, '+'))
        return false;
    snprintf(buf, len, "%s:", in->sym);
    return true;
}

static void disasm_draw(struct pane *p, struct tui *t, struct canvas c)
{
    struct disasm_pane *d = p->state;
    int focus = p->sel >= 0 ? p->sel : d->pc_line, y = 0, lines = 0, first;
    bool wide = false, bytes = c.r.w >= 60;
    char label[80];

    (void)t;
    if (d->n == 0) {
        cv_text(c, 0, 0, -1, STY_ERROR, d->err[0] ? d->err : "nothing to disassemble");
        return;
    }
    for (int i = 0; i < d->n; i++)
        wide |= d->in[i].pc > 0xFFFFFFFFu;
    /* Start so the focused line sits about a third down. */
    first = focus < 0 ? 0 : focus;
    for (lines = 0; first > 0 && lines < c.r.h / 3; first--)
        lines += 1 + label_of(&d->in[first - 1], label, sizeof(label));
    for (int i = first; i < d->n && y < c.r.h; i++) {
        if (label_of(&d->in[i], label, sizeof(label)))
            cv_text(c, 1, y++, -1, STY_SYMBOL, label);
        if (y < c.r.h)
            draw_insn(c, y++, &d->in[i], i == p->sel, wide, bytes);
    }
}

static bool disasm_key(struct pane *p, struct tui *t, enum tui_action a)
{
    struct disasm_pane *d = p->state;
    int cur = p->sel >= 0 ? p->sel : d->pc_line, page = p->rows > 2 ? p->rows - 2 : 1;

    (void)t;
    switch (a) {
    case ACT_UP: cur--; break;
    case ACT_DOWN: cur++; break;
    case ACT_PAGE_UP: cur -= page; break;
    case ACT_PAGE_DOWN: cur += page; break;
    case ACT_TOP: cur = d->pc_line; break;
    case ACT_BOTTOM: cur = d->n - 1; break;
    default: return false;
    }
    if (cur >= d->n)
        cur = d->n - 1;
    if (cur < 0)
        cur = 0;
    p->sel = cur == d->pc_line ? -1 : cur;
    d->sel_pc = p->sel >= 0 ? d->in[cur].pc : 0;
    return true;
}

static void disasm_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    struct disasm_pane *d = p->state;
    int i = p->sel >= 0 ? p->sel : d->pc_line;

    (void)t;
    if (i >= 0 && i < d->n && d->in[i].sym[0])
        snprintf(buf, len, "%s%s", d->in[i].sym, p->sel >= 0 ? " (selected)" : "");
}

const struct pane_ops pane_disasm_ops = {
    .name = "disasm", .title = "Code", .create = disasm_create, .destroy = free,
    .update = disasm_update, .draw = disasm_draw, .key = disasm_key,
    .subtitle = disasm_subtitle,
};

/* ==================================================================== stack */

#define STACK_SLOTS 64

struct stack_pane {
    struct dbg_stack_slot s[STACK_SLOTS];
    int n;
    unsigned width;             /* bytes per slot */
};

static void *stack_create(void)
{
    return calloc(1, sizeof(struct stack_pane));
}

static void stack_update(struct pane *p, struct tui *t)
{
    struct stack_pane *st = p->state;
    int n = session_stack(t->s, STACK_SLOTS, st->s);

    st->n = n < 0 ? 0 : n;
    st->width = x86_code_bits(session_cpu(t->s)) / 8;
}

static void stack_draw(struct pane *p, struct tui *t, struct canvas c)
{
    struct stack_pane *st = p->state;
    bool wide = st->width == 8;
    char buf[64];

    (void)t;
    for (int y = 0; y < c.r.h && p->scroll + y < st->n; y++) {
        const struct dbg_stack_slot *s = &st->s[p->scroll + y];
        const char *mark = s->is_sp ? (wide ? "rsp" : "esp") : s->is_fp ? (wide ? "rbp" : "ebp") : "";
        cv_text(c, 0, y, -1, STY_LABEL, mark);
        snprintf(buf, sizeof(buf), wide ? "%016" PRIx64 : "%08" PRIx64, s->addr);
        int x = 4 + cv_text(c, 4, y, -1, STY_DIM, buf) + 1;
        if (!s->ok) {
            cv_text(c, x, y, -1, STY_ERROR, "(unreadable)");
            continue;
        }
        snprintf(buf, sizeof(buf), st->width == 8 ? "%016" PRIx64 : st->width == 4
                 ? "%08" PRIx64 : "%04" PRIx64, s->value);
        x += cv_text(c, x, y, -1, STY_NORMAL, buf) + 1;
        cv_text(c, x, y, -1, STY_SYMBOL, s->sym);
    }
    if (st->n == 0)
        cv_text(c, 0, 0, -1, STY_DIM, "(no stack)");
}

static bool stack_key(struct pane *p, struct tui *t, enum tui_action a)
{
    (void)t;
    return pane_scroll_key(p, a, ((struct stack_pane *)p->state)->n);
}

const struct pane_ops pane_stack_ops = {
    .name = "stack", .title = "Stack", .create = stack_create, .destroy = free,
    .update = stack_update, .draw = stack_draw, .key = stack_key,
};

/* =================================================================== memory */

#define MEM_BYTES 4096

struct memory_pane {
    uint64_t base;              /* address of byte 0 of data[] */
    uint8_t data[MEM_BYTES];
    int64_t got;                /* bytes readable from base */
    bool phys;
    char what[64];              /* where the address came from */
};

static void *memory_create(void)
{
    return calloc(1, sizeof(struct memory_pane));
}

static void memory_update(struct pane *p, struct tui *t)
{
    struct memory_pane *m = p->state;

    m->phys = t->mem_set && t->mem_phys;
    if (t->mem_set) {
        m->base = t->mem_addr & ~0xFull;
        snprintf(m->what, sizeof(m->what), "%s0x%" PRIx64, m->phys ? "phys " : "", t->mem_addr);
    } else {
        m->base = session_last_stop(t->s)->pc & ~0xFull;
        snprintf(m->what, sizeof(m->what), "at the pc (`mem EXPR` moves)");
    }
    m->base += (uint64_t)p->scroll * 16u;
    m->got = m->phys ? session_read_phys(t->s, m->base, m->data, MEM_BYTES)
                     : session_read_virt(t->s, m->base, m->data, MEM_BYTES, NULL);
}

static void memory_line(struct canvas c, int y, const struct memory_pane *m, int off,
                        int per)
{
    char buf[24];
    int x;

    snprintf(buf, sizeof(buf), m->base + (uint64_t)off > 0xFFFFFFFFu ? "%016" PRIx64
             : "%08" PRIx64, m->base + (uint64_t)off);
    x = cv_text(c, 0, y, -1, STY_DIM, buf) + 2;
    for (int i = 0; i < per; i++) {
        bool ok = off + i < m->got;
        snprintf(buf, sizeof(buf), ok ? "%02x" : "??", ok ? m->data[off + i] : 0);
        cv_text(c, x + i * 3 + (i >= 8), y, 2, ok ? STY_NORMAL : STY_ERROR, buf);
    }
    x += per * 3 + (per > 8) + 1;
    for (int i = 0; i < per; i++) {
        bool ok = off + i < m->got;
        uint8_t b = ok ? m->data[off + i] : '?';
        cv_put(c, x + i, y, isprint(b) ? b : '.', ok ? STY_SYMBOL : STY_ERROR);
    }
}

static void memory_draw(struct pane *p, struct tui *t, struct canvas c)
{
    struct memory_pane *m = p->state;
    int per = c.r.w >= 78 ? 16 : 8;

    (void)t;
    if (m->got <= 0)
        cv_text(c, 0, c.r.h - 1, -1, STY_ERROR, "(not mapped)");
    for (int y = 0; y < c.r.h && (y + 1) * per <= MEM_BYTES; y++)
        memory_line(c, y, m, y * per, per);
}

static bool memory_key(struct pane *p, struct tui *t, enum tui_action a)
{
    int old = p->scroll;

    switch (a) {
    case ACT_UP: p->scroll--; break;
    case ACT_DOWN: p->scroll++; break;
    case ACT_PAGE_UP: p->scroll -= p->rows; break;
    case ACT_PAGE_DOWN: p->scroll += p->rows; break;
    case ACT_TOP: p->scroll = 0; break;
    default: return false;
    }
    if (old != p->scroll)
        memory_update(p, t);
    return true;
}

static void memory_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    (void)t;
    snprintf(buf, len, "%s", ((struct memory_pane *)p->state)->what);
}

const struct pane_ops pane_memory_ops = {
    .name = "memory", .title = "Memory", .create = memory_create, .destroy = free,
    .update = memory_update, .draw = memory_draw, .key = memory_key,
    .subtitle = memory_subtitle,
};

/* ================================================================ page walk */

struct walk_pane {
    struct dbg_pagewalk w;
    bool ok;
    uint64_t va;
    char err[96];
};

static void *walk_create(void)
{
    return calloc(1, sizeof(struct walk_pane));
}

static void walk_update(struct pane *p, struct tui *t)
{
    struct walk_pane *w = p->state;

    w->va = t->walk_set ? t->walk_addr : session_last_stop(t->s)->pc;
    int rc = session_pagewalk(t->s, w->va, 0, &w->w);
    w->ok = rc == 0;
    if (rc < 0)
        snprintf(w->err, sizeof(w->err), "%s", vms_lasterr(rc));
}

/* One level as a tree branch, indented by depth. */
static void walk_level(struct canvas c, int y, int depth, const struct pg_level *lv,
                       const char *flags, bool last_ok)
{
    char buf[96];
    int x = depth * 2;

    cv_put(c, x, y, screen_glyph(c.s, GL_LASTBRANCH), STY_BORDER);
    cv_put(c, x + 1, y, screen_glyph(c.s, GL_HLINE), STY_BORDER);
    snprintf(buf, sizeof(buf), "%s[%u]", lv->name, lv->index);
    x += 3 + cv_text(c, x + 3, y, -1, STY_LABEL, buf) + 1;
    snprintf(buf, sizeof(buf), "@%" PRIx64 " = %016" PRIx64, lv->entry_pa, lv->entry);
    x += cv_text(c, x, y, -1, STY_DIM, buf) + 1;
    cv_text(c, x, y, -1, last_ok ? STY_OK : STY_ERROR, flags);
}

static void walk_draw(struct pane *p, struct tui *t, struct canvas c)
{
    struct walk_pane *w = p->state;
    const struct pg_walk *pw = &w->w.w;
    char buf[128];
    int y = 0;

    (void)t;
    if (!w->ok) {
        cv_text(c, 0, 0, -1, STY_ERROR, w->err);
        return;
    }
    if (pw->mode == PGM_NONE) {
        cv_printf(c, 0, y++, STY_NORMAL, "paging is off: linear = physical");
        cv_printf(c, 0, y++, STY_OK, "0x%" PRIx64 " -> 0x%" PRIx64, w->va, pw->pa);
        return;
    }
    snprintf(buf, sizeof(buf), "%s paging, linear 0x%" PRIx64, pg_mode_name(pw->mode), w->va);
    cv_text(c, 0, y++, -1, STY_TITLE, buf);
    cv_printf(c, 0, y++, STY_LABEL, "CR3 -> table at 0x%" PRIx64,
              pw->nlevels ? pw->lv[0].table : 0);
    for (unsigned i = 0; i < pw->nlevels && i < 5 && y < c.r.h; i++) {
        bool bad = !pw->ok && i + 1 == pw->nlevels;
        walk_level(c, y++, (int)i, &pw->lv[i], w->w.level_flags[i], !bad);
    }
    if (y < c.r.h)
        cv_text(c, (int)pw->nlevels * 2, y++, -1, pw->ok ? STY_OK : STY_ERROR, w->w.result);
}

static void walk_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    snprintf(buf, len, "0x%" PRIx64 "%s", ((struct walk_pane *)p->state)->va,
             t->walk_set ? "" : " (pc; `walk EXPR` for another)");
}

const struct pane_ops pane_pagewalk_ops = {
    .name = "pagewalk", .title = "Page walk", .create = walk_create, .destroy = free,
    .update = walk_update, .draw = walk_draw, .subtitle = walk_subtitle,
};
