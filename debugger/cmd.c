/* cmd.c - the debugger's command language: the one command table, the
 * parser over it, and every command's implementation (on session.h).
 * docs/COMMANDS.md is generated from the table (cmd_write_markdown). */
#include "debugger/cmd.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/regs.h"
#include "debugger/session_priv.h"

#define MAX_X_UNITS 4096     /* x/N: at most this many units */
#define MAX_LIST    512      /* rows of table views */
#define SOURCE_DEPTH_MAX 8

struct cmd_ctx {
    struct session *s;
    struct dbg_out *out;
    const char *args;        /* after the name (leading spaces skipped) */
    const char *fmt;         /* the /FMT suffix without '/', or "" */
    const struct dbg_cmd *cmd;
};

/* ------------------------------------------------------------ helpers */

static int usage(struct cmd_ctx *c)
{
    dbg_printf(c->out, "usage: %s %s\n", c->cmd->name, c->cmd->args);
    return -VMS_ERR_SYNTAX;
}

static int errorf(struct cmd_ctx *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int errorf(struct cmd_ctx *c, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dbg_vprintf(c->out, fmt, ap);
    va_end(ap);
    dbg_printf(c->out, "\n");
    return err < 0 ? err : -err;
}

/* Report a failed session call with its detail. */
static int fail(struct cmd_ctx *c, int err)
{
    return errorf(c, err, "%s", vms_lasterr(err));
}

static const char *skip_ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Copy the next word of *p into @buf; false at the end. */
static bool next_word(const char **p, char *buf, size_t len)
{
    const char *q = skip_ws(*p);
    size_t n = 0;

    while (q[n] && !isspace((unsigned char)q[n]))
        n++;
    if (n == 0)
        return false;
    snprintf(buf, len, "%.*s", (int)n, q);
    *p = q + n;
    return true;
}

static int eval(struct cmd_ctx *c, const char *text, uint64_t *v)
{
    int err = session_eval(c->s, text, v);
    return err < 0 ? fail(c, err) : 0;
}

/* SEG:OFF (Bochs' vbreak form): the linear address through the segment
 * (real mode: SEG * 16; else the descriptor SEG selects). */
static int seg_offset(struct cmd_ctx *c, const char *text, const char *colon, uint64_t *addr)
{
    char seg[64];
    uint64_t sel, off;
    const struct cpu_state *cur = session_cpu(c->s);

    snprintf(seg, sizeof(seg), "%.*s", (int)(colon - text), text);
    if (!cur)
        return fail(c, -VMS_ERR_ENGINE);
    if (eval(c, seg, &sel) < 0 || eval(c, colon + 1, &off) < 0)
        return -VMS_ERR_SYNTAX;
    struct cpu_state tmp = *cur;
    int err = session_load_seg(c->s, &tmp, SEG_DS, (uint16_t)sel);
    if (err < 0)
        return fail(c, err);
    *addr = tmp.seg[SEG_DS].base + off;
    return 0;
}

/* A location: "*EXPR", a symbol, an expression or SEG:OFF (all give a
 * linear address). */
static int location(struct cmd_ctx *c, const char *text, uint64_t *addr)
{
    text = skip_ws(text);
    if (*text == '*')
        text++;
    const char *colon = strchr(text, ':');
    if (colon && !strchr(colon + 1, ':'))
        return seg_offset(c, text, colon, addr);
    return eval(c, text, addr);
}

static void symbolic(struct session *s, uint64_t addr, char *buf, size_t len)
{
    char sym[64];
    if (session_symbolize(s, addr, sym, sizeof(sym)))
        snprintf(buf, len, "0x%llx <%s>", (unsigned long long)addr, sym);
    else
        snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}

/* Split "LOCATION if COND" at " if ". */
static void split_if(const char *args, char *loc, size_t loclen, char *cond, size_t condlen)
{
    const char *p = strstr(args, " if ");
    if (!strncmp(args, "if ", 3))
        p = args - 1;
    if (!p) {
        snprintf(loc, loclen, "%s", args);
        cond[0] = '\0';
        return;
    }
    snprintf(loc, loclen, "%.*s", (int)(p - args), args);
    snprintf(cond, condlen, "%s", skip_ws(p + 4));
}

/* ------------------------------------------------ execution commands */

static void run_displays(struct cmd_ctx *c);

/* Print the stop and the displays after an execution command. */
static int after_run(struct cmd_ctx *c, int err)
{
    if (err < 0 && err != -VMS_ERR_SHUTDOWN)
        return fail(c, err);
    session_print_stop(c->s, c->out);
    if (err == -VMS_ERR_SHUTDOWN)
        return 0;
    run_displays(c);
    return 0;
}

static int count_arg(struct cmd_ctx *c, uint64_t *n)
{
    *n = 1;
    if (!*c->args)
        return 0;
    if (eval(c, c->args, n) < 0)
        return -VMS_ERR_SYNTAX;
    if (*n == 0)
        return errorf(c, VMS_ERR_RANGE, "the count must be at least 1");
    return 0;
}

static int cmd_stepi(struct cmd_ctx *c)
{
    uint64_t n;
    int err = count_arg(c, &n);
    return err < 0 ? err : after_run(c, session_stepi(c->s, n, NULL));
}

static int cmd_next(struct cmd_ctx *c)
{
    uint64_t n;
    int err = count_arg(c, &n);
    return err < 0 ? err : after_run(c, session_next(c->s, n, NULL));
}

static int cmd_continue(struct cmd_ctx *c)
{
    uint64_t n = 0;
    /* gdb: `continue N` ignores the current breakpoint N-1 more times */
    if (*c->args) {
        if (eval(c, c->args, &n) < 0)
            return -VMS_ERR_SYNTAX;
        const struct dbg_stop *st = session_last_stop(c->s);
        if (st->reason == DSTOP_BREAKPOINT && n > 1)
            (void)!session_bp_ignore(c->s, st->bp, n - 1);
    }
    return after_run(c, session_continue(c->s, NULL));
}

static int cmd_finish(struct cmd_ctx *c)
{
    return after_run(c, session_finish(c->s, NULL));
}

static int until_common(struct cmd_ctx *c, bool frame)
{
    uint64_t addr;
    if (!*c->args) {
        if (!frame)
            return usage(c);
        return after_run(c, session_next(c->s, 1, NULL));
    }
    if (location(c, c->args, &addr) < 0)
        return -VMS_ERR_SYNTAX;
    return after_run(c, session_until(c->s, addr, frame, NULL));
}

static int cmd_until(struct cmd_ctx *c) { return until_common(c, true); }
static int cmd_advance(struct cmd_ctx *c) { return until_common(c, false); }

static int cmd_icount(struct cmd_ctx *c)
{
    uint64_t n;
    if (!*c->args) {
        struct vcpu *v = session_vcpu(c->s);
        dbg_printf(c->out, "vm%u.vcpu%u has retired %llu instructions\n", v->vm->index,
                   v->index, (unsigned long long)v->insns);
        return 0;
    }
    if (eval(c, c->args, &n) < 0)
        return -VMS_ERR_SYNTAX;
    int err = session_run_to_count(c->s, n, NULL);
    if (err == -VMS_ERR_RANGE)
        return fail(c, err);
    return after_run(c, err);
}

static int cmd_run(struct cmd_ctx *c)
{
    int err = session_restart(c->s);
    if (err < 0)
        return fail(c, err);
    dbg_printf(c->out, "Restarted %s\n", session_describe(c->s));
    session_print_stop(c->s, c->out);
    return 0;
}

/* ------------------------------------------------------- breakpoints */

static int add_break(struct cmd_ctx *c, bool phys, bool temporary)
{
    struct dbg_bp b;
    char loc[DBG_SPEC_MAX], cond[DBG_SPEC_MAX];
    int id;

    memset(&b, 0, sizeof(b));
    split_if(c->args, loc, sizeof(loc), b.cond, sizeof(b.cond));
    (void)cond;
    b.type = BPT_BREAK;
    b.enabled = true;
    b.phys = phys;
    b.temporary = temporary;
    if (!loc[0])
        b.addr = session_pc(c->s);
    else if (location(c, loc, &b.addr) < 0)
        return -VMS_ERR_SYNTAX;
    snprintf(b.spec, sizeof(b.spec), "%s", loc[0] ? loc : "*$pc");
    int err = session_bp_add(c->s, &b, &id);
    if (err < 0)
        return fail(c, err);
    char where[96];
    symbolic(c->s, b.addr, where, sizeof(where));
    dbg_printf(c->out, "%s %d at %s%s\n", temporary ? "Temporary breakpoint" : "Breakpoint",
               id, phys ? "physical " : "", where);
    return 0;
}

static int cmd_break(struct cmd_ctx *c) { return add_break(c, false, false); }
static int cmd_tbreak(struct cmd_ctx *c) { return add_break(c, false, true); }
static int cmd_pbreak(struct cmd_ctx *c) { return add_break(c, true, false); }

static int add_watch(struct cmd_ctx *c, unsigned kind)
{
    struct dbg_bp b;
    char loc[DBG_SPEC_MAX], word[32];
    const char *p = c->args;
    int id;

    memset(&b, 0, sizeof(b));
    split_if(c->args, loc, sizeof(loc), b.cond, sizeof(b.cond));
    p = loc;
    const char *save = p;
    if (next_word(&p, word, sizeof(word)) && (!strcmp(word, "-p") || !strcmp(word, "-phys")))
        b.phys = true;
    else
        p = save;
    /* ADDR [LEN]: the last word is a length when there are two */
    char expr[DBG_SPEC_MAX];
    snprintf(expr, sizeof(expr), "%s", skip_ws(p));
    char *sp = strrchr(expr, ' ');
    b.len = session_word(c->s);
    if (sp && !strchr(sp, ')')) {
        uint64_t len;
        if (eval(c, sp + 1, &len) < 0)
            return -VMS_ERR_SYNTAX;
        b.len = len;
        *sp = '\0';
    }
    if (!expr[0])
        return usage(c);
    if (location(c, expr, &b.addr) < 0)
        return -VMS_ERR_SYNTAX;
    b.type = BPT_WATCH;
    b.enabled = true;
    b.wkind = kind;
    snprintf(b.spec, sizeof(b.spec), "%s", skip_ws(p));
    int err = session_bp_add(c->s, &b, &id);
    if (err < 0)
        return fail(c, err);
    static const char *const names[] = { "", "Watchpoint", "Read watchpoint", "Access watchpoint" };
    dbg_printf(c->out, "%s %d: %s0x%llx, %llu byte%s\n", names[kind], id,
               b.phys ? "physical " : "", (unsigned long long)b.addr,
               (unsigned long long)b.len, b.len == 1 ? "" : "s");
    return 0;
}

static int cmd_watch(struct cmd_ctx *c) { return add_watch(c, WATCH_WRITE); }
static int cmd_rwatch(struct cmd_ctx *c) { return add_watch(c, WATCH_READ); }
static int cmd_awatch(struct cmd_ctx *c) { return add_watch(c, WATCH_ACCESS); }

/* A catch for events the current engine never reports would silently
 * never stop: say so (the kinds it names, with the engine's name). */
static void catch_unreported_note(struct cmd_ctx *c, uint32_t kinds)
{
    const struct vcpu *v = session_vcpu(c->s);
    uint32_t miss = v ? kinds & v->ops->unreported_events : 0;

    if (!miss)
        return;
    dbg_printf(c->out, "Note: the %s engine does not report", v->ops->name);
    for (unsigned k = 0; k < EV_KIND_COUNT; k++)
        if (miss & (1u << k))
            dbg_printf(c->out, " %s", ev_kind_name((enum ev_kind)k));
    dbg_printf(c->out, " events (the CPU handles them without an exit): %s\n",
               miss == kinds ? "this catch will not stop" : "only the other kinds stop");
}

static int cmd_catch(struct cmd_ctx *c)
{
    struct dbg_bp b;
    char what[DBG_SPEC_MAX], err[160];
    int id;

    memset(&b, 0, sizeof(b));
    split_if(c->args, what, sizeof(what), b.cond, sizeof(b.cond));
    if (!what[0])
        return usage(c);
    if (dbg_evfilter_parse(&b.ev, what, err, sizeof(err)) < 0)
        return errorf(c, VMS_ERR_SYNTAX, "%s", err);
    b.type = BPT_EVENT;
    b.enabled = true;
    snprintf(b.spec, sizeof(b.spec), "%s", what);
    int rc = session_bp_add(c->s, &b, &id);
    if (rc < 0)
        return fail(c, rc);
    char desc[96];
    dbg_evfilter_format(&b.ev, desc, sizeof(desc));
    dbg_printf(c->out, "Event breakpoint %d: %s\n", id, desc);
    catch_unreported_note(c, b.ev.kinds);
    return 0;
}

/* Apply @fn to each number in the arguments (none: all, as id 0). */
static int each_id(struct cmd_ctx *c, int (*fn)(struct session *, int, bool), bool arg)
{
    char word[32];
    const char *p = c->args;
    bool any = false;

    while (next_word(&p, word, sizeof(word))) {
        char *end;
        long id = strtol(word, &end, 10);
        if (*end || id <= 0)
            return errorf(c, VMS_ERR_SYNTAX, "'%s' is not a breakpoint number", word);
        int err = fn(c->s, (int)id, arg);
        if (err < 0)
            return fail(c, err);
        any = true;
    }
    if (any)
        return 0;
    int err = fn(c->s, 0, arg);
    return err < 0 ? fail(c, err) : 0;
}

static int del_one(struct session *s, int id, bool unused) { (void)unused; return session_bp_delete(s, id); }
static int en_one(struct session *s, int id, bool on) { return session_bp_enable(s, id, on); }

static int cmd_delete(struct cmd_ctx *c) { return each_id(c, del_one, false); }
static int cmd_enable(struct cmd_ctx *c) { return each_id(c, en_one, true); }
static int cmd_disable(struct cmd_ctx *c) { return each_id(c, en_one, false); }

static int id_and_rest(struct cmd_ctx *c, int *id, const char **rest)
{
    char word[32];
    const char *p = c->args;
    char *end;

    if (!next_word(&p, word, sizeof(word)))
        return usage(c);
    *id = (int)strtol(word, &end, 10);
    if (*end || *id <= 0)
        return errorf(c, VMS_ERR_SYNTAX, "'%s' is not a breakpoint number", word);
    *rest = skip_ws(p);
    return 0;
}

static int cmd_condition(struct cmd_ctx *c)
{
    int id;
    const char *rest;
    int err = id_and_rest(c, &id, &rest);
    if (err < 0)
        return err;
    err = session_bp_condition(c->s, id, rest);
    if (err < 0)
        return fail(c, err);
    if (!rest[0])
        dbg_printf(c->out, "Breakpoint %d now unconditional.\n", id);
    return 0;
}

static int cmd_ignore(struct cmd_ctx *c)
{
    int id;
    const char *rest;
    uint64_t n;
    int err = id_and_rest(c, &id, &rest);
    if (err < 0)
        return err;
    if (!rest[0])
        return usage(c);
    if (eval(c, rest, &n) < 0)
        return -VMS_ERR_SYNTAX;
    err = session_bp_ignore(c->s, id, n);
    if (err < 0)
        return fail(c, err);
    dbg_printf(c->out, "Will ignore next %llu crossings of breakpoint %d.\n",
               (unsigned long long)n, id);
    return 0;
}

static void bp_what(struct session *s, const struct dbg_bp *b, char *addr, size_t alen,
                    char *what, size_t wlen)
{
    static const char *const wk[] = { "", "w", "r", "rw" };
    addr[0] = what[0] = '\0';
    if (b->type == BPT_EVENT) {
        dbg_evfilter_format(&b->ev, what, wlen);
        return;
    }
    if (b->type == BPT_WATCH) {
        snprintf(addr, alen, "%s0x%llx+%llu %s", b->phys ? "p:" : "", (unsigned long long)b->addr,
                 (unsigned long long)b->len, wk[b->wkind & 3]);
        snprintf(what, wlen, "%.90s", b->spec);
        return;
    }
    snprintf(addr, alen, "%s0x%llx", b->phys ? "p:" : "", (unsigned long long)b->addr);
    if (b->phys || !session_symbolize(s, b->addr, what, wlen))
        snprintf(what, wlen, "%.90s", b->spec);
    /* where a virtual breakpoint lands now, through the current CR3 */
    struct dbg_pagewalk pw;
    size_t n = strlen(what);
    if (!b->phys && session_pagewalk(s, b->addr, PGW_FETCH, &pw) == 0 && pw.w.mode != PGM_NONE)
        snprintf(what + n, wlen - n, pw.w.ok ? " (pa 0x%llx)" : " (not mapped now)",
                 (unsigned long long)pw.w.pa);
}

static int cmd_info_breakpoints(struct cmd_ctx *c)
{
    static const char *const types[] = { "breakpoint", "watchpoint", "catch" };
    unsigned n = session_bp_count(c->s);

    if (n == 0) {
        dbg_printf(c->out, "No breakpoints or watchpoints.\n");
        return 0;
    }
    dbg_printf(c->out, "Num  Type        Disp Enb Address               Hits  What\n");
    for (unsigned i = 0; i < n; i++) {
        const struct dbg_bp *b = session_bp_at(c->s, i);
        char addr[48], what[96];
        bp_what(c->s, b, addr, sizeof(addr), what, sizeof(what));
        dbg_printf(c->out, "%-4d %-11s %-4s %-3s %-21s %-5llu %s\n", b->id, types[b->type],
                   b->temporary ? "del" : "keep", b->enabled ? "y" : "n", addr,
                   (unsigned long long)b->hits, what);
        if (b->cond[0])
            dbg_printf(c->out, "\tstop only if %s\n", b->cond);
        if (b->ignore)
            dbg_printf(c->out, "\tignore next %llu hits\n", (unsigned long long)b->ignore);
    }
    return 0;
}

/* ------------------------------------------------------- registers */

static void print_gprs(struct cmd_ctx *c, const struct dbg_regs_view *v)
{
    static const enum dbg_reg order[] = { DREG_RAX, DREG_RBX, DREG_RCX, DREG_RDX, DREG_RSI,
                                          DREG_RDI, DREG_RBP, DREG_RSP, DREG_R8, DREG_R9,
                                          DREG_R10, DREG_R11, DREG_R12, DREG_R13, DREG_R14,
                                          DREG_R15 };
    bool wide = v->bits == 64;
    unsigned n = wide ? 16 : 8;

    for (unsigned i = 0; i < n; i++) {
        enum dbg_reg r = order[i];
        uint64_t val = dbg_reg_get(&v->cpu, r);
        char name[8];
        snprintf(name, sizeof(name), "%s%s", wide || r >= DREG_R8 ? "" : "e",
                 wide ? dbg_reg_names[r] : dbg_reg_names[r] + 1);
        if (wide)
            dbg_printf(c->out, "%-3s 0x%016llx%c%s", name, (unsigned long long)val,
                       v->changed[r] ? '*' : ' ', i % 3 == 2 ? "\n" : "  ");
        else
            dbg_printf(c->out, "%-3s 0x%08llx%c%s", name, (unsigned long long)(val & 0xFFFFFFFF),
                       v->changed[r] ? '*' : ' ', i % 4 == 3 ? "\n" : "  ");
    }
    if (wide)
        dbg_printf(c->out, "\n");
}

static void print_segs(struct cmd_ctx *c, const struct dbg_regs_view *v)
{
    static const struct { const char *name; int seg; enum dbg_reg r; } segs[] = {
        { "cs", SEG_CS, DREG_CS }, { "ss", SEG_SS, DREG_SS }, { "ds", SEG_DS, DREG_DS },
        { "es", SEG_ES, DREG_ES }, { "fs", SEG_FS, DREG_FS }, { "gs", SEG_GS, DREG_GS },
        { "ldtr", SEG_LDTR, DREG_LDTR }, { "tr", SEG_TR, DREG_TR },
    };
    for (unsigned i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
        dbg_printf(c->out, "%-4s %s%s\n", segs[i].name, v->seg_text[segs[i].seg],
                   v->changed[segs[i].r] ? " *" : "");
    dbg_printf(c->out, "gdtr base=0x%llx limit=0x%x%s\nidtr base=0x%llx limit=0x%x%s\n",
               (unsigned long long)v->cpu.gdt.base, v->cpu.gdt.limit,
               v->changed[DREG_GDTR_BASE] || v->changed[DREG_GDTR_LIMIT] ? " *" : "",
               (unsigned long long)v->cpu.idt.base, v->cpu.idt.limit,
               v->changed[DREG_IDTR_BASE] || v->changed[DREG_IDTR_LIMIT] ? " *" : "");
}

static void print_cregs(struct cmd_ctx *c, const struct dbg_regs_view *v)
{
    const struct cpu_state *s = &v->cpu;
    dbg_printf(c->out, "cr0 0x%08llx%s [ %s%s]\n", (unsigned long long)s->cr0,
               v->changed[DREG_CR0] ? "*" : "", v->cr0_text, v->cr0_text[0] ? " " : "");
    dbg_printf(c->out, "cr2 0x%llx%s  cr3 0x%llx%s  cr8 0x%llx\n", (unsigned long long)s->cr2,
               v->changed[DREG_CR2] ? "*" : "", (unsigned long long)s->cr3,
               v->changed[DREG_CR3] ? "*" : "", (unsigned long long)s->cr8);
    dbg_printf(c->out, "cr4 0x%08llx%s [ %s%s]\n", (unsigned long long)s->cr4,
               v->changed[DREG_CR4] ? "*" : "", v->cr4_text, v->cr4_text[0] ? " " : "");
    dbg_printf(c->out, "efer 0x%llx%s [ %s%s]\n", (unsigned long long)s->efer,
               v->changed[DREG_EFER] ? "*" : "", v->efer_text, v->efer_text[0] ? " " : "");
}

static void print_mode(struct cmd_ctx *c, const struct dbg_regs_view *v)
{
    dbg_printf(c->out, "mode %s, %u-bit code, cpl %u, paging %s\n", x86_mode_name(v->mode),
               v->bits, v->cpl, pg_mode_name(v->paging));
}

static int print_named_regs(struct cmd_ctx *c, const struct dbg_regs_view *v)
{
    char word[32];
    const char *p = c->args;

    while (next_word(&p, word, sizeof(word))) {
        struct dbg_regref ref;
        const char *name = word[0] == '$' ? word + 1 : word;
        if (dbg_reg_lookup(name, &ref) < 0)
            return errorf(c, VMS_ERR_NOTFOUND, "Invalid register `%s'", name);
        uint64_t val = dbg_regref_get(&v->cpu, &ref);
        dbg_printf(c->out, "%-8s 0x%-16llx %llu%s\n", name, (unsigned long long)val,
                   (unsigned long long)val, v->changed[ref.reg] ? " *" : "");
    }
    return 0;
}

static int regs_view(struct cmd_ctx *c, struct dbg_regs_view *v)
{
    int err = session_regs(c->s, v);
    return err < 0 ? fail(c, err) : 0;
}

static int cmd_info_registers(struct cmd_ctx *c)
{
    struct dbg_regs_view v;

    if (regs_view(c, &v) < 0)
        return -VMS_ERR_ENGINE;
    if (*c->args)
        return print_named_regs(c, &v);
    print_gprs(c, &v);
    dbg_printf(c->out, "%s 0x%0*llx%s  %s 0x%08llx%s %s\n", v.bits == 64 ? "rip" : "eip",
               v.bits == 64 ? 16 : 8, (unsigned long long)v.cpu.rip,
               v.changed[DREG_RIP] ? "*" : " ", v.bits == 64 ? "rflags" : "eflags",
               (unsigned long long)v.cpu.rflags, v.changed[DREG_RFLAGS] ? "*" : " ",
               v.rflags_text);
    print_mode(c, &v);
    print_segs(c, &v);
    print_cregs(c, &v);
    return 0;
}

static int cmd_sreg(struct cmd_ctx *c)
{
    struct dbg_regs_view v;
    if (regs_view(c, &v) < 0)
        return -VMS_ERR_ENGINE;
    print_segs(c, &v);
    return 0;
}

/* Control registers decoded bit by bit, with what each bit means. */
static void print_bits_long(struct cmd_ctx *c, const char *name, uint64_t val,
                            const struct dbg_bitname *t)
{
    dbg_printf(c->out, "%s = 0x%llx\n", name, (unsigned long long)val);
    for (; t->name; t++) {
        uint64_t f = (val >> t->bit) & ((1ull << t->width) - 1);
        dbg_printf(c->out, "  %-10s bit %-2u = %llu  %s\n", t->name, t->bit,
                   (unsigned long long)f, t->what);
    }
}

static int cmd_creg(struct cmd_ctx *c)
{
    struct dbg_regs_view v;
    if (regs_view(c, &v) < 0)
        return -VMS_ERR_ENGINE;
    print_bits_long(c, "cr0", v.cpu.cr0, dbg_cr0_bits);
    dbg_printf(c->out, "cr2 = 0x%llx (last page-fault address)\n", (unsigned long long)v.cpu.cr2);
    dbg_printf(c->out, "cr3 = 0x%llx (page-table root%s)\n", (unsigned long long)v.cpu.cr3,
               (v.cpu.cr0 & CR0_PG) ? "" : ", unused: paging off");
    print_bits_long(c, "cr4", v.cpu.cr4, dbg_cr4_bits);
    print_bits_long(c, "efer", v.cpu.efer, dbg_efer_bits);
    return 0;
}

/* ----------------------------------------------------- print and set */

static void print_value(struct cmd_ctx *c, uint64_t v, char f)
{
    char sym[64];
    switch (f) {
    case 'x': dbg_printf(c->out, "0x%llx\n", (unsigned long long)v); return;
    case 'd': dbg_printf(c->out, "%lld\n", (long long)v); return;
    case 'u': dbg_printf(c->out, "%llu\n", (unsigned long long)v); return;
    case 'o': dbg_printf(c->out, "%#llo\n", (unsigned long long)v); return;
    case 'c': dbg_printf(c->out, "%llu '%c'\n", (unsigned long long)v & 0xFF,
                         isprint((int)(v & 0xFF)) ? (int)(v & 0xFF) : '.'); return;
    case 't': {
        char bits[65];
        int n = 0;
        for (int i = 63; i >= 0; i--)
            if (n || (v >> i) & 1 || i == 0)
                bits[n++] = (char)('0' + ((v >> i) & 1));
        bits[n] = '\0';
        dbg_printf(c->out, "%s\n", bits);
        return;
    }
    default:
        if (session_symbolize(c->s, v, sym, sizeof(sym)))
            dbg_printf(c->out, "0x%llx (%llu) <%s>\n", (unsigned long long)v,
                       (unsigned long long)v, sym);
        else
            dbg_printf(c->out, "0x%llx (%llu)\n", (unsigned long long)v, (unsigned long long)v);
    }
}

/* The format letter of a /FMT suffix (ignoring counts and sizes). */
static char fmt_letter(const char *fmt, const char *allowed)
{
    for (; *fmt; fmt++)
        if (strchr(allowed, *fmt))
            return *fmt;
    return 0;
}

static int cmd_print(struct cmd_ctx *c)
{
    uint64_t v;
    if (!*c->args)
        return usage(c);
    if (eval(c, c->args, &v) < 0)
        return -VMS_ERR_SYNTAX;
    print_value(c, v, fmt_letter(c->fmt, "xduotc"));
    return 0;
}

/* set $reg = EXPR | set {T}ADDR = EXPR | set *ADDR = EXPR | set var ... */
static int set_register(struct cmd_ctx *c, const char *name, uint64_t v)
{
    struct dbg_regref ref;
    const struct cpu_state *cur = session_cpu(c->s);
    if (dbg_reg_lookup(name, &ref) < 0)
        return errorf(c, VMS_ERR_NOTFOUND, "Invalid register `%s'", name);
    if (!cur)
        return fail(c, -VMS_ERR_ENGINE);
    if (dbg_reg_seg(ref.reg) >= 0 || ref.bits == 64) {
        int err = session_reg_set(c->s, ref.reg, v);
        return err < 0 ? fail(c, err) : 0;
    }
    struct cpu_state n = *cur;
    dbg_regref_put(&n, &ref, v);
    int err = session_set_cpu(c->s, &n);
    return err < 0 ? fail(c, err) : 0;
}

static unsigned lvalue_size(struct session *s, const char **lhs)
{
    const char *p = *lhs;
    static const struct { const char *pre; unsigned size; } forms[] = {
        { "{b}", 1 }, { "{h}", 2 }, { "{w}", 4 }, { "{g}", 8 }, { "{char}", 1 },
        { "{short}", 2 }, { "{int}", 4 }, { "{long}", 8 },
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        size_t n = strlen(forms[i].pre);
        if (!strncmp(p, forms[i].pre, n)) {
            *lhs = p + n;
            return forms[i].size;
        }
    }
    if (*p == '*') {
        *lhs = p + 1;
        return session_word(s);
    }
    return 0;
}

static int cmd_set(struct cmd_ctx *c)
{
    char lhs[DBG_SPEC_MAX];
    const char *args = c->args;
    uint64_t v, addr;

    if (!strncmp(args, "var ", 4))
        args = skip_ws(args + 4);
    const char *eq = strchr(args, '=');
    if (!eq || eq[1] == '=')
        return usage(c);
    snprintf(lhs, sizeof(lhs), "%.*s", (int)(eq - args), args);
    for (size_t n = strlen(lhs); n && isspace((unsigned char)lhs[n - 1]); n--)
        lhs[n - 1] = '\0';
    if (eval(c, eq + 1, &v) < 0)
        return -VMS_ERR_SYNTAX;
    if (lhs[0] == '$')
        return set_register(c, lhs + 1, v);
    const char *p = lhs;
    unsigned size = lvalue_size(c->s, &p);
    if (!size)
        return errorf(c, VMS_ERR_SYNTAX, "cannot assign to '%s' (use $reg, *ADDR or {w}ADDR)", lhs);
    if (eval(c, p, &addr) < 0)
        return -VMS_ERR_SYNTAX;
    int err = session_write_virt(c->s, addr, &v, size);
    return err < 0 ? fail(c, err) : 0;
}

/* ------------------------------------------------------------ memory */

struct xfmt { unsigned count; char letter; char size; };

/* gdb's /NFU: count, format letter (x d u o t c a s i), size (b h w g). */
static int parse_xfmt(struct cmd_ctx *c, struct xfmt *f)
{
    const char *p = c->fmt;
    f->count = 1;
    f->letter = c->s->x_fmt;
    f->size = c->s->x_size;
    if (isdigit((unsigned char)*p)) {
        unsigned long n = strtoul(p, (char **)&p, 10);
        if (n == 0 || n > MAX_X_UNITS)
            return errorf(c, VMS_ERR_RANGE, "count %lu out of range (1-%u)", n, MAX_X_UNITS);
        f->count = (unsigned)n;
    }
    for (; *p; p++) {
        if (strchr("xduotcasi", *p))
            f->letter = *p;
        else if (strchr("bhwg", *p))
            f->size = *p;
        else
            return errorf(c, VMS_ERR_SYNTAX, "invalid format letter '%c'", *p);
    }
    if (f->letter == 'a')
        f->size = session_word(c->s) == 8 ? 'g' : session_word(c->s) == 4 ? 'w' : 'h';
    if (f->letter == 'c')
        f->size = 'b';
    c->s->x_fmt = f->letter;
    c->s->x_size = f->size;
    return 0;
}

static unsigned size_bytes(char size)
{
    return size == 'b' ? 1 : size == 'h' ? 2 : size == 'g' ? 8 : 4;
}

static void print_unit(struct cmd_ctx *c, uint64_t v, const struct xfmt *f, unsigned bytes)
{
    char sym[64];
    switch (f->letter) {
    case 'd': {
        int64_t sv = bytes == 8 ? (int64_t)v : bytes == 4 ? (int32_t)v : bytes == 2 ? (int16_t)v : (int8_t)v;
        dbg_printf(c->out, "%lld", (long long)sv);
        return;
    }
    case 'u': dbg_printf(c->out, "%llu", (unsigned long long)v); return;
    case 'o': dbg_printf(c->out, "%#llo", (unsigned long long)v); return;
    case 't':
        for (int i = (int)bytes * 8 - 1; i >= 0; i--)
            dbg_printf(c->out, "%c", (int)('0' + ((v >> i) & 1)));
        return;
    case 'c':
        dbg_printf(c->out, "%3u '%c'", (unsigned)v, isprint((int)v) ? (int)v : '.');
        return;
    case 'a':
        if (session_symbolize(c->s, v, sym, sizeof(sym)))
            dbg_printf(c->out, "0x%llx <%s>", (unsigned long long)v, sym);
        else
            dbg_printf(c->out, "0x%llx", (unsigned long long)v);
        return;
    default:
        dbg_printf(c->out, "0x%0*llx", (int)bytes * 2, (unsigned long long)v);
    }
}

static void line_head(struct cmd_ctx *c, uint64_t addr, bool phys)
{
    char sym[64];
    if (!phys && session_symbolize(c->s, addr, sym, sizeof(sym)))
        dbg_printf(c->out, "0x%llx <%s>:", (unsigned long long)addr, sym);
    else
        dbg_printf(c->out, "0x%llx:", (unsigned long long)addr);
}

static int64_t read_mem(struct session *s, uint64_t addr, void *buf, size_t len, bool phys)
{
    return phys ? session_read_phys(s, addr, buf, len) : session_read_virt(s, addr, buf, len, NULL);
}

static int x_units(struct cmd_ctx *c, uint64_t addr, const struct xfmt *f, bool phys)
{
    unsigned bytes = size_bytes(f->size);
    unsigned per_line = f->letter == 'c' ? 8 : bytes == 8 ? 2 : bytes == 4 ? 4 : 8;

    for (unsigned i = 0; i < f->count; i++) {
        uint64_t a = addr + (uint64_t)i * bytes, v = 0;
        if (i % per_line == 0)
            line_head(c, a, phys);
        if (read_mem(c->s, a, &v, bytes, phys) != (int64_t)bytes) {
            dbg_printf(c->out, "\nCannot access memory at address 0x%llx\n", (unsigned long long)a);
            return -VMS_ERR_FAULT;
        }
        dbg_printf(c->out, "\t");
        print_unit(c, v, f, bytes);
        if (i % per_line == per_line - 1 || i + 1 == f->count)
            dbg_printf(c->out, "\n");
    }
    c->s->last_x = addr + (uint64_t)(f->count - 1) * bytes;
    c->s->next_x = addr + (uint64_t)f->count * bytes;
    return 0;
}

static int x_strings(struct cmd_ctx *c, uint64_t addr, const struct xfmt *f, bool phys)
{
    for (unsigned i = 0; i < f->count; i++) {
        char buf[256];
        int64_t n = read_mem(c->s, addr, buf, sizeof(buf) - 1, phys);
        if (n <= 0) {
            dbg_printf(c->out, "Cannot access memory at address 0x%llx\n", (unsigned long long)addr);
            return -VMS_ERR_FAULT;
        }
        buf[n] = '\0';
        size_t len = strnlen(buf, (size_t)n);
        line_head(c, addr, phys);
        dbg_printf(c->out, "\t\"");
        for (size_t k = 0; k < len; k++) {
            unsigned char ch = (unsigned char)buf[k];
            if (isprint(ch) && ch != '"' && ch != '\\')
                dbg_printf(c->out, "%c", ch);
            else
                dbg_printf(c->out, "\\%03o", ch);
        }
        dbg_printf(c->out, "\"\n");
        c->s->last_x = addr;
        addr += len + 1;
    }
    c->s->next_x = addr;
    return 0;
}

static void print_insn(struct cmd_ctx *c, const struct dbg_insn *in)
{
    char bytes[48] = "";
    size_t n = 0;
    for (unsigned k = 0; k < in->len && k < 8 && n + 3 < sizeof(bytes); k++)
        n += (size_t)snprintf(bytes + n, sizeof(bytes) - n, "%02x ", in->bytes[k]);
    dbg_printf(c->out, "%s%c 0x%llx%s%s%s:\t%-24s %s%s%s\n", in->is_pc ? "=>" : "  ",
               in->bp ? (in->bp_enabled ? 'b' : 'B') : ' ', (unsigned long long)in->pc,
               in->sym[0] ? " <" : "", in->sym, in->sym[0] ? ">" : "", bytes, in->text,
               in->target_sym[0] ? " " : "", in->target_sym);
}

static int x_insns(struct cmd_ctx *c, uint64_t addr, unsigned count, unsigned bits)
{
    struct dbg_insn in[64];
    unsigned done = 0;

    while (done < count) {
        unsigned chunk = count - done > 64 ? 64 : count - done;
        int n = session_disasm(c->s, addr, chunk, bits, in);
        if (n <= 0)
            return n < 0 ? fail(c, n) : 0;
        for (int i = 0; i < n; i++)
            print_insn(c, &in[i]);
        c->s->last_x = in[n - 1].pc;
        addr = in[n - 1].pc + in[n - 1].len;
        done += (unsigned)n;
        if ((unsigned)n < chunk || !in[n - 1].ok)
            break;
    }
    c->s->next_x = addr;
    return 0;
}

static int examine(struct cmd_ctx *c, bool phys)
{
    struct xfmt f;
    uint64_t addr = c->s->next_x;

    if (parse_xfmt(c, &f) < 0)
        return -VMS_ERR_SYNTAX;
    if (*c->args && (phys ? eval(c, c->args, &addr) : location(c, c->args, &addr)) < 0)
        return -VMS_ERR_SYNTAX;
    if (f.letter == 'i') {
        if (phys)
            return errorf(c, VMS_ERR_UNSUPPORTED, "xp/i: disassemble virtual addresses with x/i");
        return x_insns(c, addr, f.count, 0);
    }
    if (f.letter == 's')
        return x_strings(c, addr, &f, phys);
    return x_units(c, addr, &f, phys);
}

static int cmd_x(struct cmd_ctx *c) { return examine(c, false); }
static int cmd_xp(struct cmd_ctx *c) { return examine(c, true); }

/* disassemble [ADDR [N]] [/16|/32|/64] */
static int cmd_disassemble(struct cmd_ctx *c)
{
    char word[DBG_SPEC_MAX];
    const char *p = c->args;
    uint64_t addr = session_pc(c->s), n = 10;
    unsigned bits = 0;

    if (c->fmt[0]) {
        bits = (unsigned)strtoul(c->fmt, NULL, 10);
        if (bits != 16 && bits != 32 && bits != 64)
            return errorf(c, VMS_ERR_SYNTAX, "disassemble/%s: use /16, /32 or /64", c->fmt);
    }
    if (next_word(&p, word, sizeof(word)) && location(c, word, &addr) < 0)
        return -VMS_ERR_SYNTAX;
    if (next_word(&p, word, sizeof(word)) && eval(c, word, &n) < 0)
        return -VMS_ERR_SYNTAX;
    if (n == 0 || n > MAX_X_UNITS)
        return errorf(c, VMS_ERR_RANGE, "count out of range (1-%u)", MAX_X_UNITS);
    return x_insns(c, addr, (unsigned)n, bits);
}

static int cmd_stack(struct cmd_ctx *c)
{
    struct dbg_stack_slot slots[64];
    uint64_t n = 8;

    if (*c->args && eval(c, c->args, &n) < 0)
        return -VMS_ERR_SYNTAX;
    if (n == 0 || n > 64)
        return errorf(c, VMS_ERR_RANGE, "stack: 1 to 64 slots");
    int got = session_stack(c->s, (unsigned)n, slots);
    if (got < 0)
        return fail(c, got);
    unsigned w = session_word(c->s);
    for (int i = 0; i < got; i++) {
        const struct dbg_stack_slot *sl = &slots[i];
        if (!sl->ok) {
            dbg_printf(c->out, "  0x%llx: (unreadable)\n", (unsigned long long)sl->addr);
            break;
        }
        dbg_printf(c->out, "%s 0x%llx: 0x%0*llx%s%s%s%s\n",
                   sl->is_sp ? "sp" : sl->is_fp ? "fp" : "  ", (unsigned long long)sl->addr,
                   (int)w * 2, (unsigned long long)sl->value, sl->is_fp && sl->is_sp ? " (fp)" : "",
                   sl->sym[0] ? " <" : "", sl->sym, sl->sym[0] ? ">" : "");
    }
    return 0;
}

/* ------------------------------------------------------------ paging */

static int cmd_pagewalk(struct cmd_ctx *c)
{
    struct dbg_pagewalk pw;
    uint64_t va;
    unsigned flags = 0;
    char word[DBG_SPEC_MAX], expr[DBG_SPEC_MAX] = "";
    const char *p = c->args;

    while (next_word(&p, word, sizeof(word))) {
        if (!strcmp(word, "write")) flags |= PGW_WRITE;
        else if (!strcmp(word, "user")) flags |= PGW_USER;
        else if (!strcmp(word, "exec") || !strcmp(word, "fetch")) flags |= PGW_FETCH;
        else if (strlen(expr) + strlen(word) + 2 < sizeof(expr)) {
            if (expr[0])
                strcat(expr, " ");
            strcat(expr, word);
        }
    }
    if (!expr[0])
        return usage(c);
    if (eval(c, expr, &va) < 0)
        return -VMS_ERR_SYNTAX;
    int err = session_pagewalk(c->s, va, flags, &pw);
    if (err < 0)
        return fail(c, err);
    dbg_printf(c->out, "Page walk of 0x%llx (%s%s, %s %s%s):\n", (unsigned long long)va,
               pw.w.mode == PGM_NONE ? "paging off" : pg_mode_name(pw.w.mode),
               pw.w.mode == PGM_NONE ? "" : " paging", flags & PGW_USER ? "user" : "supervisor",
               flags & PGW_WRITE ? "write" : "read", flags & PGW_FETCH ? " fetch" : "");
    for (unsigned i = 0; i < pw.w.nlevels && i < 5; i++) {
        const struct pg_level *l = &pw.w.lv[i];
        dbg_printf(c->out, "  %-6s table 0x%-10llx [%3u] entry@0x%-10llx = 0x%016llx  %s\n",
                   l->name, (unsigned long long)l->table, l->index,
                   (unsigned long long)l->entry_pa, (unsigned long long)l->entry,
                   pw.level_flags[i]);
    }
    dbg_printf(c->out, "  %s\n", pw.result);
    return 0;
}

static void size_text(uint64_t n, char *buf, size_t len)
{
    if (n >= (1ull << 30) && n % (1ull << 30) == 0)
        snprintf(buf, len, "%llu GiB", (unsigned long long)(n >> 30));
    else if (n >= (1ull << 20) && n % (1ull << 20) == 0)
        snprintf(buf, len, "%llu MiB", (unsigned long long)(n >> 20));
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, len, "%llu KiB", (unsigned long long)(n >> 10));
    else
        snprintf(buf, len, "%llu B", (unsigned long long)n);
}

static int cmd_info_tab(struct cmd_ctx *c)
{
    static struct dbg_map_range r[MAX_LIST];
    unsigned total = 0;

    int n = session_mappings(c->s, r, MAX_LIST, &total);
    if (n < 0)
        return fail(c, n);
    const struct cpu_state *cpu = session_cpu(c->s);
    if (pg_mode_of(cpu) == PGM_NONE)
        dbg_printf(c->out, "paging off: linear = physical, %u range\n", total);
    else
        dbg_printf(c->out, "%s paging, cr3 0x%llx: %u range%s\n", pg_mode_name(pg_mode_of(cpu)),
                   (unsigned long long)cpu->cr3, total, total == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        char sz[24], pg[24];
        size_text(r[i].len, sz, sizeof(sz));
        size_text(r[i].page_size, pg, sizeof(pg));
        dbg_printf(c->out, "0x%016llx-0x%016llx -> 0x%012llx %9s %c%c%c %s%s%s\n",
                   (unsigned long long)r[i].va, (unsigned long long)(r[i].va + r[i].len - 1),
                   (unsigned long long)r[i].pa, sz, 'r', r[i].writable ? 'w' : '-',
                   r[i].executable ? 'x' : '-', r[i].user ? "user" : "supervisor",
                   r[i].page_size ? ", pages of " : "", r[i].page_size ? pg : "");
    }
    if (total > (unsigned)n)
        dbg_printf(c->out, "... %u more ranges\n", total - (unsigned)n);
    return 0;
}

static int cmd_info_mtree(struct cmd_ctx *c)
{
    struct dbg_region r[MAX_LIST];
    static const char *const kinds[] = { "ram", "mmio", "io" };

    int n = session_memmap(c->s, r, MAX_LIST);
    if (n < 0)
        return fail(c, n);
    for (int i = 0; i < n; i++) {
        if (i == 0 || r[i].kind != r[i - 1].kind)
            dbg_printf(c->out, "%s:\n", r[i].kind == REGION_PIO ? "I/O ports" :
                       r[i].kind == REGION_RAM ? "guest-physical memory" : "MMIO");
        dbg_printf(c->out, "  0x%08llx-0x%08llx %-5s %-12s", (unsigned long long)r[i].base,
                   (unsigned long long)(r[i].base + r[i].len - 1), kinds[r[i].kind], r[i].name);
        if (r[i].kind != REGION_RAM)
            dbg_printf(c->out, " reads %llu writes %llu", (unsigned long long)r[i].reads,
                       (unsigned long long)r[i].writes);
        dbg_printf(c->out, "\n");
    }
    return 0;
}

/* ------------------------------------------------- descriptor tables */

static int dtable_cmd(struct cmd_ctx *c, enum dbg_table t)
{
    static struct dbg_desc d[256];
    uint64_t first = 0, count = 256;
    char word[64];
    const char *p = c->args;

    if (next_word(&p, word, sizeof(word))) {
        if (eval(c, word, &first) < 0)
            return -VMS_ERR_SYNTAX;
        count = 1;
        if (next_word(&p, word, sizeof(word)) && eval(c, word, &count) < 0)
            return -VMS_ERR_SYNTAX;
    }
    if (first > 8191 || count == 0 || count > 256)
        return errorf(c, VMS_ERR_RANGE, "index or count out of range");
    int n = session_dtable(c->s, t, (unsigned)first, (unsigned)count, d);
    if (n == -VMS_ERR_NOTFOUND && t == DT_LDT) {
        dbg_printf(c->out, "%s\n", vms_lasterr(n));   /* a state, not a failure */
        return 0;
    }
    if (n < 0)
        return fail(c, n);
    const struct cpu_state *cpu = session_cpu(c->s);
    static const char *const names[] = { "GDT", "LDT", "IDT", "IVT" };
    bool ivt = t == DT_IVT || (t == DT_IDT && !(cpu->cr0 & CR0_PE));
    uint64_t base = t == DT_GDT ? cpu->gdt.base : t == DT_LDT ? cpu->seg[SEG_LDTR].base : cpu->idt.base;
    uint64_t limit = t == DT_GDT ? cpu->gdt.limit : t == DT_LDT ? cpu->seg[SEG_LDTR].limit : cpu->idt.limit;
    dbg_printf(c->out, "%s at 0x%llx, limit 0x%llx:\n", ivt ? "IVT" : names[t],
               (unsigned long long)base, (unsigned long long)limit);
    for (int i = 0; i < n; i++) {
        bool empty = !strcmp(d[i].kind, "null") || !strcmp(d[i].kind, "empty");
        if (empty && count > 1)
            continue;
        dbg_printf(c->out, "  %s[0x%02x]%s %s%s%s%s\n", ivt ? "" : t == DT_IDT ? "vec" : "sel",
                   t == DT_IDT || ivt ? d[i].index : d[i].index * 8 + (t == DT_LDT ? 4 : 0),
                   "", d[i].text, d[i].sym[0] ? " <" : "", d[i].sym, d[i].sym[0] ? ">" : "");
    }
    return 0;
}

static int cmd_info_gdt(struct cmd_ctx *c) { return dtable_cmd(c, DT_GDT); }
static int cmd_info_ldt(struct cmd_ctx *c) { return dtable_cmd(c, DT_LDT); }
static int cmd_info_idt(struct cmd_ctx *c) { return dtable_cmd(c, DT_IDT); }
static int cmd_info_ivt(struct cmd_ctx *c) { return dtable_cmd(c, DT_IVT); }

static int cmd_info_tss(struct cmd_ctx *c)
{
    struct dbg_tss t;
    int err = session_tss(c->s, &t);

    if (err < 0)
        return fail(c, err);
    if (!t.ok) {
        dbg_printf(c->out, "%s\n", t.err);   /* a state to show, not a failed command */
        return 0;
    }
    dbg_printf(c->out, "%u-bit TSS at 0x%llx, limit 0x%x (tr 0x%x)\n", t.bits,
               (unsigned long long)t.base, t.limit, session_cpu(c->s)->seg[SEG_TR].selector);
    for (unsigned i = 0; i < t.n; i++)
        dbg_printf(c->out, "  %-7s 0x%llx%s", t.f[i].name, (unsigned long long)t.f[i].value,
                   i % 4 == 3 || i + 1 == t.n ? "\n" : "");
    return 0;
}

/* ------------------------------------------------------------- frames */

static int cmd_backtrace(struct cmd_ctx *c)
{
    struct dbg_frame f[64];
    uint64_t max = 64;

    if (*c->args && (eval(c, c->args, &max) < 0 || max == 0))
        return -VMS_ERR_SYNTAX;
    int n = session_backtrace(c->s, f, max > 64 ? 64 : (unsigned)max);
    if (n < 0)
        return fail(c, n);
    for (int i = 0; i < n; i++)
        dbg_printf(c->out, "#%-2u 0x%llx in %s (fp 0x%llx)\n", f[i].level,
                   (unsigned long long)f[i].pc, f[i].sym[0] ? f[i].sym : "??",
                   (unsigned long long)f[i].fp);
    return 0;
}

static int cmd_info_symbol(struct cmd_ctx *c)
{
    uint64_t a;
    char sym[64];
    if (!*c->args)
        return usage(c);
    if (eval(c, c->args, &a) < 0)
        return -VMS_ERR_SYNTAX;
    if (session_symbolize(c->s, a, sym, sizeof(sym)))
        dbg_printf(c->out, "%s\n", sym);
    else
        dbg_printf(c->out, "No symbol matches %s.\n", c->args);
    return 0;
}

/* ----------------------------------------------- VMs, devices, events */

static const char *vcpu_state(const struct dbg_vcpu_info *v)
{
    if (!v->runnable) return "waiting for SIPI";
    if (v->halted) return "halted";
    if (v->scheduled) return "running";
    return "runnable";
}

static int cmd_info_vms(struct cmd_ctx *c)
{
    struct dbg_sched_info si;
    static struct dbg_vm_info vms[HV_MAX_VMS];
    static struct dbg_vcpu_info vc[HV_MAX_VMS * 4];

    if (session_sched(c->s, &si) < 0)
        return -VMS_ERR_ENGINE;
    dbg_printf(c->out, "scheduler %s: %u pcpu%s, quantum %lluns, now %lluns, %llu rounds\n",
               si.policy, si.npcpu, si.npcpu == 1 ? "" : "s", (unsigned long long)si.quantum,
               (unsigned long long)si.now, (unsigned long long)si.rounds);
    int n = session_vms(c->s, vms, HV_MAX_VMS);
    int m = session_vcpus(c->s, vc, HV_MAX_VMS * 4);
    for (int i = 0; i < n; i++) {
        dbg_printf(c->out, "%s: %s, %llu MiB, %llu insns, vtime %lluns%s%s\n", vms[i].name,
                   vm_state_name(vms[i].state), (unsigned long long)(vms[i].mem >> 20),
                   (unsigned long long)vms[i].insns, (unsigned long long)vms[i].vtime,
                   vms[i].reason[0] ? ": " : "", vms[i].reason);
        for (int k = 0; k < m; k++) {
            if (vc[k].vm != vms[i].index)
                continue;
            char where[96];
            symbolic(c->s, vc[k].pc, where, sizeof(where));
            dbg_printf(c->out, "%c vcpu%u: %-16s %-12s %llu insns %llu exits at %s\n",
                       vc[k].current ? '*' : ' ', vc[k].index, vcpu_state(&vc[k]),
                       x86_mode_name(vc[k].mode), (unsigned long long)vc[k].insns,
                       (unsigned long long)vc[k].exits, where);
        }
    }
    return 0;
}

static int cmd_vcpu(struct cmd_ctx *c)
{
    unsigned vm = 0, vcpu = 0;
    if (sscanf(c->args, "vm%u.vcpu%u", &vm, &vcpu) != 2 &&
        sscanf(c->args, "vm%u.%u", &vm, &vcpu) != 2 && sscanf(c->args, "%u.%u", &vm, &vcpu) != 2 &&
        sscanf(c->args, "%u", &vcpu) != 1)
        return usage(c);
    if (sscanf(c->args, "%u", &vcpu) == 1 && !strchr(c->args, '.'))
        vm = session_vcpu(c->s)->vm->index;
    int err = session_select(c->s, vm, vcpu);
    if (err < 0)
        return fail(c, err);
    dbg_printf(c->out, "[Switching to vm%u.vcpu%u]\n", vm, vcpu);
    session_print_pc_line(c->s, c->out);
    return 0;
}

static int cmd_info_device(struct cmd_ctx *c)
{
    struct dbg_device d[64];
    static const char *const spaces[] = { "io", "mmio" };
    int n = session_devices(c->s, d, 64);
    bool found = false;

    if (n < 0)
        return fail(c, n);
    for (int i = 0; i < n; i++) {
        if (*c->args && strcmp(c->args, d[i].name))
            continue;
        found = true;
        dbg_printf(c->out, "%-10s %-4s 0x%llx-0x%llx reads %llu writes %llu, %u recent events%s\n",
                   d[i].name, spaces[d[i].space], (unsigned long long)d[i].base,
                   (unsigned long long)(d[i].base + d[i].len - 1), (unsigned long long)d[i].reads,
                   (unsigned long long)d[i].writes, d[i].nevents,
                   d[i].in_kernel ? " (in-kernel irqchip: not seen)" : "");
    }
    if (!found && *c->args)
        return errorf(c, VMS_ERR_NOTFOUND, "no device '%s' (info device lists them)", c->args);
    for (int i = 0; i < n; i++) {
        if (d[i].in_kernel && !strcmp(c->args, d[i].name)) {
            /* Its model holds the state from before the guest started. */
            dbg_printf(c->out, "in-kernel irqchip: KVM emulates %s; its state and the "
                       "guest's accesses are not seen by vmscope\n", d[i].name);
            return 0;
        }
    }
    if (*c->args) {
        struct dbg_devreg regs[64];
        int nr = session_device_regs(c->s, c->args, regs, 64);
        if (nr > 0)
            dbg_printf(c->out, "registers as last written:\n");
        for (int i = 0; i < nr; i++)
            dbg_printf(c->out, "  %-12s <- %-40s (event #%llu)\n", regs[i].reg, regs[i].value,
                       (unsigned long long)regs[i].seq);
        struct dbg_evfilter f;
        struct event ev[10];
        dbg_evfilter_any(&f);
        snprintf(f.text, sizeof(f.text), "%s", c->args);
        f.vm = (int)session_vcpu(c->s)->vm->index;
        int k = session_events(c->s, &f, ev, 10);
        for (int i = 0; i < k; i++) {
            char line[200];
            dbg_event_format(&ev[i], line, sizeof(line));
            dbg_printf(c->out, "  %s\n", line);
        }
    }
    return 0;
}

static int cmd_info_events(struct cmd_ctx *c)
{
    static struct event ev[EV_RING];
    struct dbg_evfilter f;
    char err[160], word[32];
    const char *p = c->args, *save = p;
    uint64_t n = 20;

    if (next_word(&p, word, sizeof(word)) && isdigit((unsigned char)word[0]))
        n = strtoull(word, NULL, 0);
    else
        p = save;
    if (n == 0 || n > EV_RING)
        return errorf(c, VMS_ERR_RANGE, "1 to %u events", EV_RING);
    p = skip_ws(p);
    if (*p && dbg_evfilter_parse(&f, p, err, sizeof(err)) < 0)
        return errorf(c, VMS_ERR_SYNTAX, "%s", err);
    int k = session_events(c->s, *p ? &f : NULL, ev, (unsigned)n);
    if (k < 0)
        return fail(c, k);
    for (int i = 0; i < k; i++) {
        char line[220];
        dbg_event_format(&ev[i], line, sizeof(line));
        dbg_printf(c->out, "%s\n", line);
    }
    if (k == 0)
        dbg_printf(c->out, "No matching events.\n");
    return 0;
}

/* ------------------------------------------------------------ session */

static int cmd_display(struct cmd_ctx *c)
{
    struct session *s = c->s;
    if (!*c->args) {
        run_displays(c);
        return 0;
    }
    if (s->ndisplay == SESSION_MAX_DISPLAY)
        return errorf(c, VMS_ERR_RANGE, "at most %d displays", SESSION_MAX_DISPLAY);
    struct session_display *d = &s->display[s->ndisplay++];
    d->id = s->next_display++;
    snprintf(d->cmd, sizeof(d->cmd), "%s", c->args);
    dbg_printf(c->out, "Display %d: %s\n", d->id, d->cmd);
    return 0;
}

static int cmd_undisplay(struct cmd_ctx *c)
{
    struct session *s = c->s;
    if (!*c->args) {
        s->ndisplay = 0;
        return 0;
    }
    int id = atoi(c->args);
    for (unsigned i = 0; i < s->ndisplay; i++) {
        if (s->display[i].id == id) {
            memmove(&s->display[i], &s->display[i + 1], (s->ndisplay - i - 1) * sizeof(s->display[0]));
            s->ndisplay--;
            return 0;
        }
    }
    return errorf(c, VMS_ERR_NOTFOUND, "no display number %d", id);
}

static void run_displays(struct cmd_ctx *c)
{
    struct session *s = c->s;
    bool batch = s->batch;
    s->batch = false;          /* the "N: CMD" header replaces the echo */
    for (unsigned i = 0; i < s->ndisplay; i++) {
        dbg_printf(c->out, "%d: %s\n", s->display[i].id, s->display[i].cmd);
        int rc = session_exec(s, s->display[i].cmd, c->out);
        (void)rc;
    }
    s->batch = batch;
}

static int cmd_source(struct cmd_ctx *c)
{
    if (!*c->args)
        return usage(c);
    if (c->s->source_depth >= SOURCE_DEPTH_MAX)
        return errorf(c, VMS_ERR_RANGE, "source: nested too deeply");
    return session_source(c->s, c->args, true, c->out);
}

static int cmd_echo(struct cmd_ctx *c)
{
    dbg_printf(c->out, "%s\n", c->args);
    return 0;
}

static int cmd_quit(struct cmd_ctx *c)
{
    (void)c;
    return SESSION_QUIT;
}

/* @text in lines of at most @width columns, broken at spaces. */
static void print_wrapped(struct dbg_out *out, const char *text, size_t width)
{
    while (*text) {
        size_t n = strlen(text);
        if (n > width) {
            n = width;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0)
                n = width;
        }
        dbg_printf(out, "%.*s\n", (int)n, text);
        text = skip_ws(text + n);
    }
}

static void help_one(struct dbg_out *out, const struct dbg_cmd *d, bool full)
{
    char aliases[128] = "";
    size_t n = 0;
    for (const char *a = d->aliases; a && *a && n + 2 < sizeof(aliases); a++)
        aliases[n++] = *a == '_' ? ' ' : *a == ' ' ? ',' : *a;
    aliases[n] = '\0';
    if (!full) {
        dbg_printf(out, "  %-18s %s\n", d->name, d->help);
        return;
    }
    dbg_printf(out, "%s%s%s -- %s\n", d->name, d->args[0] ? " " : "", d->args, d->help);
    if (aliases[0]) {
        dbg_printf(out, "aliases: ");
        for (char *a = aliases; *a; a++)
            dbg_printf(out, "%s", *a == ',' ? ", " : (char[]){ *a, 0 });
        dbg_printf(out, "\n");
    }
    if (d->details)
        print_wrapped(out, d->details, 78);
}

static int cmd_help(struct cmd_ctx *c)
{
    if (*c->args) {
        const char *rest;
        char fmt[16], err[128];
        const struct dbg_cmd *d = cmd_find(c->args, &rest, fmt, sizeof(fmt), err, sizeof(err));
        if (!d)
            return errorf(c, VMS_ERR_NOTFOUND, "%s", err);
        help_one(c->out, d, true);
        return 0;
    }
    for (int g = 0; g < CG_COUNT; g++) {
        dbg_printf(c->out, "%s:\n", cmd_group_names[g]);
        for (unsigned i = 0; i < dbg_ncmds; i++)
            if (dbg_cmds[i].group == (enum cmd_group)g)
                help_one(c->out, &dbg_cmds[i], false);
    }
    dbg_printf(c->out, "Type \"help COMMAND\" for details and aliases.\n");
    return 0;
}

/* ------------------------------------------------------------- table */

const char *const cmd_group_names[CG_COUNT] = {
    [CG_RUN] = "Running", [CG_BREAK] = "Breakpoints, watchpoints, event breakpoints",
    [CG_DATA] = "Expressions and memory", [CG_CPU] = "CPU state",
    [CG_MEMORY] = "Paging and descriptor tables", [CG_MACHINE] = "VMs, devices, events",
    [CG_SESSION] = "Session",
};

#define LOC_HELP "LOCATION is *EXPR, a symbol, an expression or SEG:OFF (real mode: SEG*16+OFF; " \
    "else through the descriptor): a linear (virtual) address."

const struct dbg_cmd dbg_cmds[] = {
    { "stepi", "si step s", "[N]", "execute N instructions (into calls and interrupts)",
      "Every instruction counts, including those of interrupt handlers entered.",
      CG_RUN, CC_EXPR, true, false, cmd_stepi },
    { "nexti", "next n ni", "[N]",
      "step N instructions, running over call, int, syscall, rep and loop",
      "The instruction after a call/int/rep/loop is reached with the stack at the same "
      "level (recursion does not stop it); a breakpoint inside stops first.",
      CG_RUN, CC_EXPR, true, false, cmd_next },
    { "continue", "c cont", "[N]", "run until something stops the guest",
      "With N, ignore the breakpoint just hit N-1 more times. Every VM runs under the "
      "scheduler.", CG_RUN, CC_NONE, false, false, cmd_continue },
    { "finish", "fin", "", "run until the current function returns",
      "While pc is in the straight-line start of a function, the prologue decoded from its "
      "symbol (pushes, sub esp) says where the return address is; elsewhere it is at the "
      "frame pointer + one word. Refused when that is not a plausible return address.",
      CG_RUN, CC_NONE, false, false, cmd_finish },
    { "until", "u", "[LOCATION]", "run to LOCATION or until the current frame returns",
      "Without LOCATION: like next. " LOC_HELP, CG_RUN, CC_LOCATION, false, false, cmd_until },
    { "advance", "", "LOCATION", "run to LOCATION", LOC_HELP, CG_RUN, CC_LOCATION, false,
      false, cmd_advance },
    { "icount", "", "[N]", "run until this vCPU has retired N instructions in all",
      "Without N: print the count. The count is the one `info vms` shows; run from a "
      "fresh start it is deterministic.", CG_RUN, CC_EXPR, false, false, cmd_icount },
    { "run", "r restart", "", "start the guest over from its image (breakpoints stay)",
      NULL, CG_RUN, CC_NONE, false, false, cmd_run },

    { "break", "b br vbreak vb lbreak lb", "[LOCATION] [if COND]",
      "breakpoint at a virtual (linear) address",
      LOC_HELP " The address is translated through the current CR3 each time it is "
      "reached. Without LOCATION: the current instruction.", CG_BREAK, CC_LOCATION, false,
      false, cmd_break },
    { "tbreak", "tb", "[LOCATION] [if COND]", "temporary breakpoint (deleted when hit)",
      LOC_HELP, CG_BREAK, CC_LOCATION, false, false, cmd_tbreak },
    { "pbreak", "pb", "ADDR [if COND]", "breakpoint at a guest-physical address",
      "Stops wherever that physical byte is executed from, through any mapping of the "
      "current address space (Bochs: pb).", CG_BREAK, CC_EXPR, false, false, cmd_pbreak },
    { "watch", "", "[-phys] ADDR [LEN] [if COND]", "stop after a write changes [ADDR, ADDR+LEN)",
      "LEN defaults to the word size. -phys watches guest-physical addresses through every "
      "mapping. The stop line gives the access and the value.", CG_BREAK, CC_EXPR, false,
      false, cmd_watch },
    { "rwatch", "", "[-phys] ADDR [LEN] [if COND]", "stop after a read of the range", NULL,
      CG_BREAK, CC_EXPR, false, false, cmd_rwatch },
    { "awatch", "", "[-phys] ADDR [LEN] [if COND]", "stop after a read or write of the range",
      NULL, CG_BREAK, CC_EXPR, false, false, cmd_awatch },
    { "catch", "", "EVENT [if COND]", "event breakpoint: stop when the event stream shows EVENT",
      "EVENT: mode [real|protected|long|...] [paging|nopaging] | cr3 [VALUE] | exception "
      "[VEC|pf|gp|...] | interrupt [VEC] | inject [VEC] | softint [VEC] | pio [PORT[-PORT]] "
      "[read|write] | mmio [ADDR[-ADDR]] [read|write] | device NAME | exit [pio|mmio|hlt|"
      "shutdown|end] | triple | sched vmN.vcpuM | syscall. Any of them may add vmN or "
      "vmN.vcpuM. Mode and CR3 catches make the guest run one instruction at a time so the "
      "stop is exact.", CG_BREAK, CC_EVENT, false, false, cmd_catch },
    { "delete", "d del", "[N...]", "delete breakpoints (all without N)", NULL, CG_BREAK,
      CC_NONE, false, false, cmd_delete },
    { "disable", "dis bpd", "[N...]", "disable breakpoints (all without N)", NULL,
      CG_BREAK, CC_NONE, false, false, cmd_disable },
    { "enable", "en bpe", "[N...]", "enable breakpoints (all without N)", NULL, CG_BREAK,
      CC_NONE, false, false, cmd_enable },
    { "condition", "cond", "N [EXPR]", "stop at breakpoint N only when EXPR is non-zero",
      "Without EXPR the breakpoint becomes unconditional.", CG_BREAK, CC_EXPR, false, false,
      cmd_condition },
    { "ignore", "", "N COUNT", "ignore the next COUNT hits of breakpoint N", NULL, CG_BREAK,
      CC_NONE, false, false, cmd_ignore },
    { "info breakpoints", "info_b info_break info_watchpoints blist i_b", "",
      "list breakpoints, watchpoints and event breakpoints with hit counts", NULL, CG_BREAK,
      CC_NONE, false, false, cmd_info_breakpoints },

    { "print", "p inspect", "[/FMT] EXPR", "evaluate an expression",
      "Numbers in any base (0x1f 0o17 017 0b101 1fh), $registers ($eax, $cr3, $pc = linear), "
      "symbols, C operators, *ADDR (a word of the current width), {b|h|w|g}ADDR. /FMT: x d u "
      "o t c.", CG_DATA, CC_EXPR, false, true, cmd_print },
    { "x", "", "[/NFU] [ADDR]", "examine memory at a virtual address",
      "N count, F format (x d u o t c a s i), U size (b h w g), as in gdb. Without ADDR: "
      "continue after the last one. $_ is the last address examined.", CG_DATA, CC_EXPR,
      true, true, cmd_x },
    { "xp", "", "[/NFU] [ADDR]", "examine memory at a guest-physical address (Bochs, QEMU)",
      NULL, CG_DATA, CC_EXPR, true, true, cmd_xp },
    { "set", "", "$REG = EXPR | *ADDR = EXPR | {w}ADDR = EXPR",
      "change a register or memory",
      "Writing a segment register reloads its hidden part from the GDT/LDT (real mode: "
      "base = selector * 16).", CG_DATA, CC_EXPR, false, false, cmd_set },
    { "disassemble", "disas", "[/16|/32|/64] [LOCATION [N]]",
      "disassemble N instructions (default 10 from the current one)",
      "Capstone in the current mode unless a width is given. 'b' marks an enabled "
      "breakpoint, 'B' a disabled one, '=>' the current instruction.", CG_DATA,
      CC_LOCATION, true, true, cmd_disassemble },
    { "stack", "print-stack", "[N]", "N stack slots from the stack pointer (default 8)", NULL,
      CG_DATA, CC_EXPR, false, false, cmd_stack },
    { "backtrace", "bt where", "[N]", "call stack with symbols (prologues, then frame pointers)", NULL,
      CG_DATA, CC_EXPR, false, false, cmd_backtrace },
    { "info symbol", "info_sym", "ADDR", "which symbol an address is in", NULL, CG_DATA,
      CC_EXPR, false, false, cmd_info_symbol },

    { "info registers", "info_r info_reg i_r regs registers", "[REG...]",
      "registers, mode, segments with hidden parts, control registers ('*' = changed)",
      "Changed means different from the previous stop.", CG_CPU, CC_EXPR, false, false,
      cmd_info_registers },
    { "sreg", "info_sreg info_segments", "", "segment registers with hidden base/limit/"
      "attributes, GDTR, IDTR, LDTR, TR (Bochs)", NULL, CG_CPU, CC_NONE, false, false, cmd_sreg },
    { "creg", "info_creg info_control", "", "CR0, CR2, CR3, CR4 and EFER decoded bit by bit "
      "(Bochs)", NULL, CG_CPU, CC_NONE, false, false, cmd_creg },
    { "vcpu", "thread", "vmN.vcpuM | M", "select the vCPU that views and stepping apply to",
      NULL, CG_CPU, CC_NONE, false, false, cmd_vcpu },

    { "pagewalk", "page walk info_pagewalk", "ADDR [write] [user] [exec]",
      "walk the page tables for ADDR: every level, flags, result or exact fault",
      "Uses vmscope's own walker: nothing in the guest changes (no A/D bits, no CR2). The "
      "access kind decides which rights are checked.", CG_MEMORY, CC_EXPR, false, false,
      cmd_pagewalk },
    { "info tab", "info_mem info_tlb info_mappings", "",
      "the current address space as ranges with rights (Bochs: info tab, QEMU: info mem/tlb)",
      NULL, CG_MEMORY, CC_NONE, false, false, cmd_info_tab },
    { "info mtree", "info_memmap memmap", "",
      "the guest-physical memory map: RAM, MMIO and I/O-port devices (QEMU: info mtree)",
      NULL, CG_MEMORY, CC_NONE, false, false, cmd_info_mtree },
    { "info gdt", "", "[INDEX [COUNT]]", "the GDT decoded (selector = index * 8)", NULL,
      CG_MEMORY, CC_EXPR, false, false, cmd_info_gdt },
    { "info ldt", "", "[INDEX [COUNT]]", "the current LDT decoded", NULL, CG_MEMORY, CC_EXPR,
      false, false, cmd_info_ldt },
    { "info idt", "", "[VECTOR [COUNT]]", "the IDT decoded (the IVT in real mode)", NULL,
      CG_MEMORY, CC_EXPR, false, false, cmd_info_idt },
    { "info ivt", "", "[VECTOR [COUNT]]", "the real-mode interrupt vector table at the IDTR base",
      NULL, CG_MEMORY, CC_EXPR, false, false, cmd_info_ivt },
    { "info tss", "", "", "the current task state segment decoded", NULL, CG_MEMORY, CC_NONE,
      false, false, cmd_info_tss },

    { "info vms", "info_vcpus info_threads info_sched", "",
      "VMs, their vCPUs and the scheduler state ('*' = current vCPU)", NULL, CG_MACHINE,
      CC_NONE, false, false, cmd_info_vms },
    { "info device", "info_devices info_dev", "[NAME]",
      "devices on the buses with access counts; NAME adds its registers and recent events", NULL,
      CG_MACHINE, CC_DEVICE, false, false, cmd_info_device },
    { "info events", "events info_log", "[N] [FILTER]",
      "the last N (20) events of the event stream matching FILTER (same words as catch)",
      NULL, CG_MACHINE, CC_EVENT, false, false, cmd_info_events },

    { "display", "", "[COMMAND]", "run COMMAND after every stop (e.g. display x/4xw $esp)",
      NULL, CG_SESSION, CC_NONE, false, false, cmd_display },
    { "undisplay", "", "[N]", "remove display N (all without N)", NULL, CG_SESSION, CC_NONE,
      false, false, cmd_undisplay },
    { "source", "", "FILE", "run the commands in FILE", NULL, CG_SESSION, CC_FILE, false,
      false, cmd_source },
    { "echo", "", "TEXT", "print TEXT", NULL, CG_SESSION, CC_NONE, false, false, cmd_echo },
    { "help", "h", "[COMMAND]", "list commands, or describe one", NULL, CG_SESSION, CC_NONE,
      false, false, cmd_help },
    { "quit", "q exit", "", "leave the debugger", NULL, CG_SESSION, CC_NONE, false, false,
      cmd_quit },
};

const unsigned dbg_ncmds = sizeof(dbg_cmds) / sizeof(dbg_cmds[0]);

/* ------------------------------------------------------------ parser */

/* The @k-th name of @d (0: the name, then the aliases, '_' as space)
 * into @buf; false past the last. */
static bool cmd_name_at(const struct dbg_cmd *d, unsigned k, char *buf, size_t len)
{
    if (k == 0) {
        snprintf(buf, len, "%s", d->name);
        return true;
    }
    const char *a = d->aliases;
    for (unsigned i = 1; a && *a; i++) {
        a = skip_ws(a);
        size_t n = strcspn(a, " ");
        if (n == 0)
            break;
        if (i == k) {
            snprintf(buf, len, "%.*s", (int)n, a);
            for (char *q = buf; *q; q++)
                if (*q == '_')
                    *q = ' ';
            return true;
        }
        a += n;
    }
    return false;
}

/* Split the first two words of @line: w1 stops at '/' too. */
struct words {
    char w1[32], w2[32];
    const char *after1, *after2;   /* text after each word */
};

static void split_words(const char *line, struct words *w)
{
    const char *p = skip_ws(line);
    size_t n = strcspn(p, " \t/");
    snprintf(w->w1, sizeof(w->w1), "%.*s", (int)(n < sizeof(w->w1) ? n : sizeof(w->w1) - 1), p);
    w->after1 = p + n;
    p = skip_ws(w->after1);
    n = strcspn(p, " \t/");
    snprintf(w->w2, sizeof(w->w2), "%.*s", (int)(n < sizeof(w->w2) ? n : sizeof(w->w2) - 1), p);
    w->after2 = p + n;
}

/* Match against two-word names: exact, else a unique prefix of the
 * second word after an exact first word ("info reg"). */
static const struct dbg_cmd *find_two(const struct words *w, char *err, size_t errlen)
{
    const struct dbg_cmd *prefix = NULL;
    unsigned nprefix = 0;
    char name[64];

    if (!w->w2[0])
        return NULL;
    for (unsigned i = 0; i < dbg_ncmds; i++) {
        for (unsigned k = 0; cmd_name_at(&dbg_cmds[i], k, name, sizeof(name)); k++) {
            char *sp = strchr(name, ' ');
            if (!sp)
                continue;
            *sp = '\0';
            if (strcmp(name, w->w1))
                continue;
            if (!strcmp(sp + 1, w->w2))
                return &dbg_cmds[i];
            if (!strncmp(sp + 1, w->w2, strlen(w->w2)) && prefix != &dbg_cmds[i]) {
                prefix = &dbg_cmds[i];
                nprefix++;
            }
        }
    }
    if (nprefix == 1)
        return prefix;
    if (nprefix > 1)
        snprintf(err, errlen, "ambiguous command \"%s %s\"", w->w1, w->w2);
    return NULL;
}

static const struct dbg_cmd *find_one(const struct words *w, char *err, size_t errlen)
{
    const struct dbg_cmd *prefix = NULL;
    unsigned nprefix = 0;
    char name[64];

    for (unsigned i = 0; i < dbg_ncmds; i++)
        for (unsigned k = 0; cmd_name_at(&dbg_cmds[i], k, name, sizeof(name)); k++)
            if (!strcmp(name, w->w1))
                return &dbg_cmds[i];
    for (unsigned i = 0; i < dbg_ncmds && w->w1[0]; i++) {
        if (strchr(dbg_cmds[i].name, ' '))
            continue;
        if (!strncmp(dbg_cmds[i].name, w->w1, strlen(w->w1))) {
            prefix = &dbg_cmds[i];
            nprefix++;
        }
    }
    if (nprefix == 1)
        return prefix;
    if (nprefix > 1)
        snprintf(err, errlen, "ambiguous command \"%s\" (help lists commands)", w->w1);
    else
        snprintf(err, errlen, "undefined command: \"%s\" (try \"help\")", w->w1);
    return NULL;
}

/* "info" alone or with an unknown word: say what may follow. */
static void info_subcommands(char *err, size_t len)
{
    size_t n = (size_t)snprintf(err, len, "\"info\" must be followed by one of:");
    for (unsigned i = 0; i < dbg_ncmds && n < len; i++)
        if (!strncmp(dbg_cmds[i].name, "info ", 5))
            n += (size_t)snprintf(err + n, len - n, " %s", dbg_cmds[i].name + 5);
}

const struct dbg_cmd *cmd_find(const char *line, const char **rest, char *fmt, size_t fmtlen,
                               char *err, size_t errlen)
{
    struct words w;
    const char *after;

    err[0] = '\0';
    fmt[0] = '\0';
    split_words(line, &w);
    const struct dbg_cmd *d = find_two(&w, err, errlen);
    if (d) {
        after = w.after2;
    } else {
        if (err[0])
            return NULL;
        d = find_one(&w, err, errlen);
        after = w.after1;
        if (!d && (!strcmp(w.w1, "info") || !strcmp(w.w1, "i")))
            info_subcommands(err, errlen);
        if (!d)
            return NULL;
    }
    if (*after == '/') {
        size_t n = strcspn(after + 1, " \t");
        if (!d->format)
            return snprintf(err, errlen, "\"%s\" takes no /FORMAT", d->name), NULL;
        snprintf(fmt, fmtlen, "%.*s", (int)n, after + 1);
        after += 1 + n;
    }
    *rest = skip_ws(after);
    return d;
}

/* ------------------------------------------------------------ exec */

static void trim(char *line)
{
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
}

/* What an empty line repeats: the same command, and for x the format
 * only (so it continues where the last one ended). */
static void remember(struct session *s, const struct dbg_cmd *d, const char *line, const char *fmt)
{
    if (!d->repeat)
        return;
    if (d->run == cmd_x || d->run == cmd_xp)
        snprintf(s->last_line, sizeof(s->last_line), "%s%s%s", d->name, fmt[0] ? "/" : "", fmt);
    else
        snprintf(s->last_line, sizeof(s->last_line), "%s", line);
}

int session_exec(struct session *s, const char *input, struct dbg_out *out)
{
    char line[SESSION_LINE_MAX], fmt[32], err[160];
    const char *rest;

    snprintf(line, sizeof(line), "%s", skip_ws(input));
    trim(line);
    if (s->batch && line[0]) {
        if (s->console_mid)
            dbg_printf(out, "\n");
        s->console_mid = false;
        dbg_printf(out, "(vmscope) %s\n", line);
    }
    if (line[0] == '#')
        return 0;
    if (!line[0]) {
        if (s->batch || !s->last_line[0])
            return 0;
        snprintf(line, sizeof(line), "%s", s->last_line);
    }
    const struct dbg_cmd *d = cmd_find(line, &rest, fmt, sizeof(fmt), err, sizeof(err));
    if (!d) {
        dbg_printf(out, "%s\n", err);
        return -VMS_ERR_SYNTAX;
    }
    struct dbg_out *saved = s->out;
    struct cmd_ctx c = { .s = s, .out = out, .args = rest, .fmt = fmt, .cmd = d };
    s->out = out;
    vms_clearerr();
    int rc = d->run(&c);
    s->out = saved;
    remember(s, d, line, fmt);
    return rc;
}

void session_set_batch(struct session *s, bool on)
{
    s->batch = on;
}

int session_source(struct session *s, const char *path, bool stop_on_error, struct dbg_out *out)
{
    FILE *f = fopen(path, "r");
    char line[SESSION_LINE_MAX];
    unsigned lineno = 0;
    int rc = 0;

    if (!f) {
        dbg_printf(out, "%s: %s\n", path, strerror(errno));
        return -VMS_ERR_NOTFOUND;
    }
    s->source_depth++;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        rc = session_exec(s, line, out);
        if (rc == SESSION_QUIT)
            break;
        if (rc < 0 && stop_on_error) {
            dbg_printf(out, "%s:%u: stopped at this error\n", path, lineno);
            break;
        }
        rc = 0;
    }
    s->source_depth--;
    fclose(f);
    return rc;
}

/* ------------------------------------------------------- completion */

static const char *const event_words[] = {
    "mode", "cr3", "exception", "interrupt", "inject", "softint", "pio", "mmio", "device",
    "exit", "triple", "sched", "syscall", "hlt", "read", "write", "paging", "nopaging",
    "real", "protected", "long", NULL,
};

/* The @i-th string among @n candidates produced by @gen that starts with
 * @word; NULL past the end. */
static const char *nth_match(struct session *s, const char *word, unsigned i,
                             const char *(*gen)(struct session *, unsigned, const char *),
                             const char *ctx)
{
    size_t wl = strlen(word);
    unsigned seen = 0;

    for (unsigned k = 0;; k++) {
        const char *cand = gen(s, k, ctx);
        if (!cand)
            return NULL;
        if (!cand[0] || strncmp(cand, word, wl))
            continue;
        if (seen++ == i)
            return cand;
    }
}

/* The first word of the @k-th name over the whole table into @buf (k
 * counts every name and alias of every command); false past the end. */
static bool first_word_at(unsigned k, char *buf, size_t len)
{
    for (unsigned i = 0; i < dbg_ncmds; i++) {
        for (unsigned a = 0; cmd_name_at(&dbg_cmds[i], a, buf, len); a++) {
            if (k-- == 0) {
                buf[strcspn(buf, " ")] = '\0';
                return true;
            }
        }
    }
    return false;
}

/* Candidates: first words of command names and aliases, each once ("info"
 * once for all its sub-commands); repeats are given as "" to skip. */
static const char *gen_command(struct session *s, unsigned k, const char *ctx)
{
    char earlier[64];

    (void)ctx;
    if (!first_word_at(k, s->complete, sizeof(s->complete)))
        return NULL;
    for (unsigned j = 0; j < k; j++)
        if (first_word_at(j, earlier, sizeof(earlier)) && !strcmp(earlier, s->complete))
            return "";
    return s->complete;
}

/* Second words of two-word commands whose first word is @ctx. */
static const char *gen_sub(struct session *s, unsigned k, const char *ctx)
{
    char name[64];
    for (unsigned i = 0; i < dbg_ncmds; i++) {
        for (unsigned a = 0; cmd_name_at(&dbg_cmds[i], a, name, sizeof(name)); a++) {
            if (k-- != 0)
                continue;
            char *sp = strchr(name, ' ');
            if (!sp)
                return "";
            *sp = '\0';
            if (strcmp(name, ctx))
                return "";
            snprintf(s->complete, sizeof(s->complete), "%s", sp + 1);
            return s->complete;
        }
    }
    return NULL;
}

static const char *gen_symbol(struct session *s, unsigned k, const char *ctx)
{
    (void)ctx;
    return k < s->syms.n ? s->syms.v[k].name : NULL;
}

static const char *gen_register(struct session *s, unsigned k, const char *ctx)
{
    const char *name = k < DREG_COUNT ? dbg_reg_names[k] : dbg_reg_subname(k - DREG_COUNT);

    (void)ctx;
    if (!name)
        return NULL;
    snprintf(s->complete, sizeof(s->complete), "$%s", name);
    return s->complete;
}

static const char *gen_event(struct session *s, unsigned k, const char *ctx)
{
    (void)s; (void)ctx;
    for (unsigned i = 0; event_words[i]; i++)
        if (i == k)
            return event_words[i];
    return NULL;
}

static const char *gen_device(struct session *s, unsigned k, const char *ctx)
{
    struct dbg_device d[64];
    (void)ctx;
    int n = session_devices(s, d, 64);
    if ((int)k >= n)
        return NULL;
    snprintf(s->complete, sizeof(s->complete), "%s", d[k].name);
    return s->complete;
}

const char *session_complete(struct session *s, const char *line, unsigned i)
{
    const char *word = strrchr(line, ' ');
    word = word ? word + 1 : line;
    const char *before = line;
    struct words w;

    split_words(before, &w);
    bool first = skip_ws(line) == word;
    if (first)
        return nth_match(s, word, i, gen_command, NULL);
    const char *rest;
    char fmt[32], err[160], head[SESSION_LINE_MAX];
    snprintf(head, sizeof(head), "%.*s", (int)(word - line), line);
    bool second = skip_ws(w.after1) == word;
    if (second && !strcmp(w.w1, "help"))
        return nth_match(s, word, i, gen_command, NULL);
    if (second && (!strcmp(w.w1, "info") || !strcmp(w.w1, "i")))
        return nth_match(s, word, i, gen_sub, "info");
    const struct dbg_cmd *d = cmd_find(head, &rest, fmt, sizeof(fmt), err, sizeof(err));
    if (!d)
        return NULL;
    if (*word == '*')
        word++;
    switch (d->complete) {
    case CC_LOCATION:
    case CC_EXPR:
        if (*word == '$')
            return nth_match(s, word, i, gen_register, NULL);
        return nth_match(s, word, i, gen_symbol, NULL);
    case CC_EVENT:
        return nth_match(s, word, i, gen_event, NULL);
    case CC_DEVICE:
        return nth_match(s, word, i, gen_device, NULL);
    case CC_FILE:
    case CC_NONE:
        return NULL;
    }
    return NULL;
}

/* ---------------------------------------------------------- markdown */

/* Markdown text: '*' and '_' outside `code` are escaped, the first letter
 * capitalised when @cap. */
static void md_text(struct dbg_out *out, const char *text, bool cap)
{
    bool code = false;

    for (const char *p = text; *p; p++) {
        char c = *p;
        if (c == '`')
            code = !code;
        if (!code && (c == '*' || c == '_'))
            dbg_printf(out, "\\");
        if (cap && p == text && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        dbg_printf(out, "%c", c);
    }
}

void cmd_write_markdown(struct dbg_out *out)
{
    dbg_printf(out, "# vmscope debugger commands\n\n"
               "Generated from the command table in `debugger/cmd.c` by "
               "`vmscope help --markdown`; do not edit by hand (a test checks that it is up "
               "to date). See docs/DEBUGGER.md for how the debugger works.\n\n"
               "Commands may be abbreviated to a unique prefix (`cont`, `info reg`). An empty "
               "line repeats the last stepping or `x` command (not in `--batch` scripts). "
               "Lines starting with `#` are comments.\n");
    for (int g = 0; g < CG_COUNT; g++) {
        dbg_printf(out, "\n## %s\n", cmd_group_names[g]);
        for (unsigned i = 0; i < dbg_ncmds; i++) {
            const struct dbg_cmd *d = &dbg_cmds[i];
            char name[64];
            if (d->group != (enum cmd_group)g)
                continue;
            dbg_printf(out, "\n### `%s%s%s`\n\n", d->name, d->args[0] ? " " : "", d->args);
            md_text(out, d->help, true);
            dbg_printf(out, ".\n");
            for (unsigned k = 1; cmd_name_at(d, k, name, sizeof(name)); k++)
                dbg_printf(out, "%s`%s`", k == 1 ? "\nAliases: " : ", ", name);
            if (cmd_name_at(d, 1, name, sizeof(name)))
                dbg_printf(out, "\n");
            if (d->details) {
                dbg_printf(out, "\n");
                md_text(out, d->details, false);
                dbg_printf(out, "\n");
            }
        }
    }
}
