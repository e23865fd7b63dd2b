/* session.c - the debugger session: life cycle, execution control,
 * breakpoints and stop reporting (session.h).
 *
 * Execution control is one loop (resume()) over three ways of running:
 *   RUN_ALL   every VM under the scheduler (hv_round), engines at full
 *             speed with breakpoint/watchpoint hooks: continue, next over
 *             a call, finish, until;
 *   RUN_STEP  only the current vCPU, one instruction per run: stepi, and
 *             continue while an event breakpoint needs instruction
 *             precision (mode switches and CR3 writes are seen after each
 *             run, so they are exact only when each run is one step);
 *   RUN_ONE   only the current vCPU with an instruction budget: run to an
 *             instruction count.
 * A halted vCPU cannot run alone: the scheduler runs a round (others run,
 * virtual time advances to the next timer) until it is woken.
 */
#include "debugger/session_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/expr.h"
#include "debugger/regs.h"
#include "machine/ata.h"
#include "machine/engine.h"
#include "machine/loader.h"
#include "machine/memmap.h"
#include "machine/platform.h"

#define POLL_EVERY_ROUNDS 1       /* a round is at most one quantum per pCPU */
#define POLL_EVERY_STEPS  4096

/* ------------------------------------------------------------- output */

int dbg_vprintf(struct dbg_out *o, const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;

    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0 || !o || !o->write) {
        va_end(ap2);
        return n;
    }
    if ((size_t)n < sizeof(small)) {
        o->write(o->opaque, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            o->write(o->opaque, big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
    return n;
}

int dbg_printf(struct dbg_out *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = dbg_vprintf(o, fmt, ap);
    va_end(ap);
    return n;
}

static void file_write(void *opaque, const char *text, size_t len)
{
    fwrite(text, 1, len, (FILE *)opaque);
}

void dbg_out_file(struct dbg_out *o, void *f)
{
    o->write = file_write;
    o->opaque = f;
}

static void buf_write(void *opaque, const char *text, size_t len)
{
    struct dbg_outbuf *b = opaque;

    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->text, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->text = p;
        b->cap = cap;
    }
    memcpy(b->text + b->len, text, len);
    b->len += len;
    b->text[b->len] = '\0';
}

void dbg_outbuf_init(struct dbg_outbuf *b)
{
    memset(b, 0, sizeof(*b));
    b->out.write = buf_write;
    b->out.opaque = b;
}

void dbg_outbuf_reset(struct dbg_outbuf *b)
{
    b->len = 0;
    b->oom = false;
    if (b->text)
        b->text[0] = '\0';
}

void dbg_outbuf_fini(struct dbg_outbuf *b)
{
    free(b->text);
    dbg_outbuf_init(b);
}

/* ------------------------------------------------------------- helpers */

/* For results that cannot matter here (the arguments were just checked). */
static void ignore_rc(int rc) { (void)rc; }

struct vm *session_cur_vm(struct session *s)
{
    return s->hv->vm[s->cur_vm];
}

struct vcpu *session_vcpu(struct session *s)
{
    return session_cur_vm(s)->vcpu[s->cur_vcpu];
}

const struct cpu_state *session_state(struct session *s)
{
    if (!s->cpu_valid) {
        struct vcpu *v = session_vcpu(s);
        if (v->ops->get_state(v, &s->cpu) < 0)
            return NULL;
        s->cpu_valid = true;
    }
    return &s->cpu;
}

const struct cpu_state *session_cpu(struct session *s)
{
    return session_state(s);
}

uint64_t dbg_code_linear(const struct cpu_state *c, uint64_t rip)
{
    if (x86_code_bits(c) == 64)
        return rip;
    return (uint32_t)(c->seg[SEG_CS].base + rip);
}

uint64_t session_pc(struct session *s)
{
    const struct cpu_state *c = session_state(s);
    return c ? dbg_code_linear(c, c->rip) : 0;
}

unsigned session_word(struct session *s)
{
    const struct cpu_state *c = session_state(s);
    return c ? x86_code_bits(c) / 8 : 4;
}

struct hv *session_hv(struct session *s) { return s->hv; }
const struct session_config *session_config(const struct session *s) { return &s->cfg; }
const struct symtab *session_symbols(const struct session *s) { return &s->syms; }
const char *session_describe(const struct session *s) { return s->desc; }
const struct dbg_stop *session_last_stop(const struct session *s) { return &s->last; }

void session_current(const struct session *s, unsigned *vm, unsigned *vcpu)
{
    *vm = s->cur_vm;
    *vcpu = s->cur_vcpu;
}

int session_select(struct session *s, unsigned vm, unsigned vcpu)
{
    if (vm >= s->hv->nvm || vcpu >= s->hv->vm[vm]->nvcpu)
        return vms_seterr(VMS_ERR_RANGE, "no vCPU vm%u.vcpu%u", vm, vcpu);
    s->cur_vm = vm;
    s->cur_vcpu = vcpu;
    s->cpu_valid = false;
    return 0;
}

bool session_symbolize(const struct session *s, uint64_t addr, char *buf, size_t len)
{
    uint64_t off;
    const struct sym *sym = symtab_lookup(&s->syms, addr, &off);

    if (!sym) {
        if (len)
            buf[0] = '\0';
        return false;
    }
    /* several names at one address (_erodata, _user_start, user_main):
     * prefer one not starting with '_', the function students wrote */
    const struct sym *first = sym;
    while (first > s->syms.v && first[-1].addr == sym->addr)
        first--;
    for (const struct sym *q = first; q < s->syms.v + s->syms.n && q->addr == sym->addr; q++) {
        if (q->name[0] != '_') {
            sym = q;
            break;
        }
    }
    if (off)
        snprintf(buf, len, "%s+%llu", sym->name, (unsigned long long)off);
    else
        snprintf(buf, len, "%s", sym->name);
    return true;
}

const char *dbg_stop_reason_name(enum dbg_stop_reason r)
{
    static const char *const names[DSTOP_REASON_COUNT] = {
        [DSTOP_NONE] = "running", [DSTOP_START] = "start", [DSTOP_STEP] = "step",
        [DSTOP_BREAKPOINT] = "breakpoint", [DSTOP_WATCHPOINT] = "watchpoint",
        [DSTOP_EVENT] = "event", [DSTOP_FINISH] = "finish", [DSTOP_LOCATION] = "location",
        [DSTOP_COUNT] = "count", [DSTOP_INTERRUPT] = "interrupt", [DSTOP_EXITED] = "exited",
        [DSTOP_ERROR] = "error",
    };
    return (unsigned)r < DSTOP_REASON_COUNT ? names[r] : "?";
}

/* -------------------------------------------------------- event sink */

static struct dbg_bp *bp_by_id(struct session *s, int id)
{
    for (unsigned i = 0; i < s->nbp; i++)
        if (s->bp[i].id == id)
            return &s->bp[i];
    return NULL;
}

/* "uart0 LCR <- 0x03 8N1": remember LCR's last write for the device view. */
static void note_device_write(struct session *s, const struct event *e)
{
    const char *sp = strchr(e->text, ' '), *arrow = strstr(e->text, " <- ");
    if (!sp || !arrow || arrow <= sp)
        return;
    size_t dl = (size_t)(sp - e->text), rl = (size_t)(arrow - sp - 1);
    if (dl >= sizeof(s->devreg[0].dev) || rl >= sizeof(s->devreg[0].r.reg) || rl == 0)
        return;
    struct session_devreg *d = NULL;
    unsigned last = s->devreg_last;   /* the same register as last time: the common case */
    for (unsigned k = 0; k < s->ndevreg && !d; k++) {
        struct session_devreg *c = &s->devreg[(last + k) % s->ndevreg];
        if (c->vm == e->vm && !strncmp(c->dev, e->text, dl) && !c->dev[dl] &&
            !strncmp(c->r.reg, sp + 1, rl) && !c->r.reg[rl]) {
            d = c;
            s->devreg_last = (unsigned)(c - s->devreg);
        }
    }
    if (!d) {
        if (s->ndevreg == SESSION_MAX_DEVREGS)
            return;
        d = &s->devreg[s->ndevreg++];
        d->vm = e->vm;
        memcpy(d->dev, e->text, dl);
        d->dev[dl] = '\0';
        memcpy(d->r.reg, sp + 1, rl);
        d->r.reg[rl] = '\0';
    }
    snprintf(d->r.value, sizeof(d->r.value), "%s", arrow + 4);
    d->r.seq = e->seq;
}

int session_device_regs(struct session *s, const char *name, struct dbg_devreg *out,
                        unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < s->ndevreg && n < max; i++)
        if (s->devreg[i].vm == s->cur_vm && !strcmp(s->devreg[i].dev, name))
            out[n++] = s->devreg[i].r;
    return (int)n;
}

/* Called for every event: an enabled event breakpoint that matches stops
 * the run at the next block boundary (the condition is checked then). */
static void on_event(void *opaque, const struct event *e)
{
    struct session *s = opaque;

    if (e->kind == EV_DEVICE)
        note_device_write(s, e);
    if (!s->running || s->ev_hit)
        return;
    for (unsigned i = 0; i < s->nbp; i++) {
        struct dbg_bp *b = &s->bp[i];
        if (b->type != BPT_EVENT || !b->enabled || !dbg_evfilter_match(&b->ev, e))
            continue;
        s->ev_hit = true;
        s->ev_bp = b->id;
        s->ev = *e;
        s->hv->dbg_stop = 1;
        if (e->vm < s->hv->nvm) {
            struct vm *vm = s->hv->vm[e->vm];
            for (unsigned k = 0; k < vm->nvcpu; k++)
                vcpu_kick(vm->vcpu[k]);
        }
        return;
    }
}

/* ---------------------------------------------------- create/destroy */

static void console_write(struct session *s, const char *text, size_t len)
{
    if (s->out && s->out->write)
        s->out->write(s->out->opaque, text, len);
    else
        fwrite(text, 1, len, stdout);
}

/* Guest serial output; with several VMs each line says whose it is. */
static void console_to_out(void *opaque, unsigned vm, uint8_t byte)
{
    struct session *s = opaque;
    char c = (char)byte;

    if (s->hv && s->hv->nvm > 1 && (!s->console_mid || s->console_vm != vm)) {
        char tag[16];
        int n = snprintf(tag, sizeof(tag), "%s[vm%u] ", s->console_mid ? "\n" : "", vm);
        console_write(s, tag, (size_t)n);
    }
    s->console_mid = byte != '\n';
    s->console_vm = vm;
    console_write(s, &c, 1);
}

static int load_symbols(struct session *s, struct load_result *lr)
{
    s->syms = lr->syms;             /* take ownership */
    symtab_init(&lr->syms);
    /* --symbols, else the scenario's symbols= listing */
    const char *file = s->cfg.symfile ? s->cfg.symfile : s->sc.symbols[0] ? s->sc.symbols : NULL;
    if (!file)
        return 0;
    int n = symtab_load_nm(&s->syms, file);
    if (n < 0)
        return vms_seterr(VMS_ERR_NOTFOUND, "%s: cannot read symbols", file);
    return 0;
}

/* A boot sector image is also disk 0 (snapshot: the file is never
 * written), with the scenario's disk= images after it, then the BIOS's
 * POST: as `vmscope run` boots it (tui/main.c), so a kernel that reads
 * its disks through int 13h or ATA can be debugged. */
static int boot_sector_disks(struct session *s, struct vm *vm)
{
    int err = platform_attach_disk(vm->plat, 0, s->sc.image, ATA_SNAPSHOT);

    for (unsigned i = 0; err == 0 && i < s->sc.ndisks && i + 1 < ATA_DRIVES; i++)
        err = platform_attach_disk(vm->plat, i + 1, s->sc.disk[i], ATA_SNAPSHOT);
    if (err == 0)
        platform_bios_post(vm->plat);
    return err;
}

static int build_vm(struct session *s, unsigned index, const struct vm_config *vc)
{
    struct load_opts lo = { .load_addr = s->cfg.load_addr, .flat = s->cfg.flat,
                            .args = s->cfg.cmdline ? s->cfg.cmdline
                                  : s->sc.has_cmdline ? s->sc.cmdline : NULL };
    struct load_result lr;
    struct vm *vm;

    int err = vm_create(&vm, index, vc, &s->hv->ev);
    if (err < 0)
        return err;
    err = hv_add_vm(s->hv, vm);
    if (err < 0) {
        vm_destroy(vm);
        return err;
    }
    err = loader_load_modules(&vm->mem, s->sc.image, &lo, s->cfg.modules, s->cfg.nmodules,
                              &lr);
    if (err < 0)
        return err;
    if (lr.kind == IMAGE_BOOTSECTOR && (err = boot_sector_disks(s, vm)) < 0) {
        load_result_fini(&lr);
        return err;
    }
    if (index == 0) {
        snprintf(s->desc, sizeof(s->desc), "%s%.100s: %.120s", s->sc.title[0] ? "scenario " : "",
                 s->sc.title[0] ? s->sc.name : s->sc.image, lr.desc);
        err = load_symbols(s, &lr);
    }
    if (err == 0)
        err = vm_start(vm, &lr.cpu);
    load_result_fini(&lr);
    return err;
}

static void reset_stop(struct session *s)
{
    memset(&s->last, 0, sizeof(s->last));
    s->last.reason = DSTOP_START;
    s->cur_vm = s->cur_vcpu = 0;
    s->cpu_valid = false;
    s->have_stop = s->have_prev = false;
    memset(s->applied_valid, 0, sizeof(s->applied_valid));
    memset(s->stepping, 0, sizeof(s->stepping));
    const struct cpu_state *c = session_state(s);
    if (c) {
        s->last.rip = c->rip;
        s->last.pc = dbg_code_linear(c, c->rip);
        s->stop_cpu = *c;
        s->have_stop = true;
    }
    char sym[64];
    session_symbolize(s, s->last.pc, sym, sizeof(sym));
    snprintf(s->last.line, sizeof(s->last.line), "Stopped before the first instruction at 0x%llx%s%s%s",
             (unsigned long long)s->last.pc, sym[0] ? " <" : "", sym, sym[0] ? ">" : "");
}

static int build(struct session *s)
{
    struct hv_config hc = { .npcpu = s->cfg.npcpus ? s->cfg.npcpus : 1,
                            .quantum = s->cfg.quantum };
    struct vm_config vc = {
        .mem_size = s->cfg.mem,
        .ncpus = s->cfg.ncpus ? s->cfg.ncpus : s->sc.cpus ? s->sc.cpus : 1,
        .engine = s->engine,
        .console = s->cfg.console ? s->cfg.console : console_to_out,
        .console_opaque = s->cfg.console ? s->cfg.console_opaque : s,
    };
    int err = hv_create(&s->hv, &hc);
    if (err < 0)
        return err;
    s->ndevreg = s->devreg_last = 0;
    s->sink = (struct ev_sink){ .emit = on_event, .opaque = s };
    ev_add_sink(&s->hv->ev, &s->sink);
    symtab_fini(&s->syms);
    unsigned nvms = s->cfg.nvms ? s->cfg.nvms : 1;
    for (unsigned i = 0; i < nvms && err == 0; i++)
        err = build_vm(s, i, &vc);
    if (err < 0)
        return err;
    reset_stop(s);
    return 0;
}

static int copy_config(struct session *s, const struct session_config *cfg)
{
    s->cfg = *cfg;
    if (!cfg->target)
        return vms_seterr(VMS_ERR_INVAL, "no image or scenario given");
    snprintf(s->target, sizeof(s->target), "%s", cfg->target);
    snprintf(s->engine_name, sizeof(s->engine_name), "%s", cfg->engine ? cfg->engine : "auto");
    snprintf(s->argv0, sizeof(s->argv0), "%s", cfg->argv0 ? cfg->argv0 : "vmscope");
    s->cfg.target = s->target;
    s->cfg.engine = s->engine_name;
    s->cfg.argv0 = s->argv0;
    if (cfg->symfile) {
        snprintf(s->symfile, sizeof(s->symfile), "%s", cfg->symfile);
        s->cfg.symfile = s->symfile;
    }
    return 0;
}

static int resolve(struct session *s)
{
    char why[160];

    if (engine_choose(s->engine_name, &s->engine, why, sizeof(why)) < 0 ||
        (s->cfg.kvm_irqchip && engine_kernel_irqchip(&s->engine, why, sizeof(why)) < 0))
        return vms_seterr(VMS_ERR_ENGINE, "%s", why);
    if (scenario_resolve(s->target, s->argv0, &s->sc) < 0)
        return -VMS_ERR_NOTFOUND;
    if (s->cfg.mem == 0 && (!s->sc.mem[0] || gmem_parse_size(s->sc.mem, &s->cfg.mem) < 0))
        s->cfg.mem = MM_DEFAULT_RAM;
    return 0;
}

int session_create(struct session **out, const struct session_config *cfg)
{
    struct session *s = calloc(1, sizeof(*s));
    int err;

    if (!s)
        return -VMS_ERR_NOMEM;
    s->next_id = 1;
    s->next_display = 1;
    s->x_fmt = 'x';
    s->x_size = 'w';
    symtab_init(&s->syms);
    if (cs_open(CS_ARCH_X86, CS_MODE_32, &s->cs) != CS_ERR_OK) {
        free(s);
        return vms_seterr(VMS_ERR_NOMEM, "capstone: cannot open an x86 decoder");
    }
    cs_option(s->cs, CS_OPT_DETAIL, CS_OPT_ON);
    if ((err = copy_config(s, cfg)) < 0 || (err = resolve(s)) < 0 || (err = build(s)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    session_destroy(s);
    return err;
}

void session_destroy(struct session *s)
{
    if (!s)
        return;
    hv_destroy(s->hv);
    symtab_fini(&s->syms);
    if (s->cs)
        cs_close(&s->cs);
    free(s);
}

int session_restart(struct session *s)
{
    hv_destroy(s->hv);
    s->hv = NULL;
    for (unsigned i = 0; i < s->nbp; i++)
        s->bp[i].hits = 0;
    int err = build(s);
    if (err < 0) {
        hv_destroy(s->hv);
        s->hv = NULL;
    }
    return err;
}

/* ------------------------------------------------------- breakpoints */

unsigned session_bp_count(const struct session *s) { return s->nbp; }

const struct dbg_bp *session_bp_at(const struct session *s, unsigned i)
{
    return i < s->nbp ? &s->bp[i] : NULL;
}

const struct dbg_bp *session_bp_find(const struct session *s, int id)
{
    return bp_by_id((struct session *)s, id);
}

static unsigned count_type(const struct session *s, enum dbg_bp_type t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->nbp; i++)
        if (s->bp[i].type == t)
            n++;
    return n;
}

int session_bp_add(struct session *s, const struct dbg_bp *tmpl, int *id)
{
    if (s->nbp == SESSION_MAX_BP)
        return vms_seterr(VMS_ERR_RANGE, "at most %d breakpoints", SESSION_MAX_BP);
    if (tmpl->type == BPT_BREAK && count_type(s, BPT_BREAK) >= VCPU_MAX_BREAK)
        return vms_seterr(VMS_ERR_RANGE, "at most %d breakpoints", VCPU_MAX_BREAK);
    if (tmpl->type == BPT_WATCH && count_type(s, BPT_WATCH) >= VCPU_MAX_WATCH)
        return vms_seterr(VMS_ERR_RANGE, "at most %d watchpoints", VCPU_MAX_WATCH);
    if (tmpl->type == BPT_WATCH && (tmpl->len == 0 || tmpl->addr + tmpl->len < tmpl->addr))
        return vms_seterr(VMS_ERR_RANGE, "a watchpoint needs a non-empty range");
    if (tmpl->cond[0]) {
        /* evaluate it now: a typo is reported when the breakpoint is set */
        uint64_t v;
        int err = session_eval(s, tmpl->cond, &v);
        if (err < 0 && err != -VMS_ERR_FAULT && err != -VMS_ERR_INVAL)
            return err;        /* memory it reads may be mapped later */
    }
    struct dbg_bp *b = &s->bp[s->nbp++];
    *b = *tmpl;
    b->id = s->next_id++;
    b->hits = 0;
    if (id)
        *id = b->id;
    return 0;
}

int session_bp_delete(struct session *s, int id)
{
    if (id == 0) {
        s->nbp = 0;
        return 0;
    }
    for (unsigned i = 0; i < s->nbp; i++) {
        if (s->bp[i].id == id) {
            memmove(&s->bp[i], &s->bp[i + 1], (s->nbp - i - 1) * sizeof(s->bp[0]));
            s->nbp--;
            return 0;
        }
    }
    return vms_seterr(VMS_ERR_NOTFOUND, "no breakpoint number %d", id);
}

int session_bp_enable(struct session *s, int id, bool on)
{
    if (id == 0) {
        for (unsigned i = 0; i < s->nbp; i++)
            s->bp[i].enabled = on;
        return 0;
    }
    struct dbg_bp *b = bp_by_id(s, id);
    if (!b)
        return vms_seterr(VMS_ERR_NOTFOUND, "no breakpoint number %d", id);
    b->enabled = on;
    return 0;
}

int session_bp_condition(struct session *s, int id, const char *cond)
{
    struct dbg_bp *b = bp_by_id(s, id);
    uint64_t v;

    if (!b)
        return vms_seterr(VMS_ERR_NOTFOUND, "no breakpoint number %d", id);
    int err = cond && cond[0] ? session_eval(s, cond, &v) : 0;
    if (err < 0 && err != -VMS_ERR_FAULT && err != -VMS_ERR_INVAL)
        return err;            /* a typo or unknown name: now, not at the hit */
    snprintf(b->cond, sizeof(b->cond), "%s", cond ? cond : "");
    return 0;
}

int session_bp_ignore(struct session *s, int id, uint64_t count)
{
    struct dbg_bp *b = bp_by_id(s, id);

    if (!b)
        return vms_seterr(VMS_ERR_NOTFOUND, "no breakpoint number %d", id);
    b->ignore = count;
    return 0;
}

/* Physical address of linear @va under @c, or false. */
static bool linear_to_phys(struct session *s, const struct cpu_state *c, uint64_t va,
                           uint64_t *pa)
{
    struct pg_walk w;

    if (!pg_translate(c, &session_cur_vm(s)->mem, va, 0, &w))
        return false;
    *pa = w.pa;
    return true;
}

/* Does breakpoint @b cover linear @pc (state @c)? */
static bool bp_covers(struct session *s, const struct dbg_bp *b, const struct cpu_state *c,
                      uint64_t pc)
{
    uint64_t pa;

    if (b->type != BPT_BREAK)
        return false;
    if (!b->phys)
        return b->addr == pc;
    return linear_to_phys(s, c, pc, &pa) && pa == b->addr;
}

const struct dbg_bp *session_bp_at_pc(struct session *s, uint64_t pc)
{
    const struct cpu_state *c = session_state(s);
    const struct dbg_bp *found = NULL;

    for (unsigned i = 0; c && i < s->nbp; i++) {
        if (bp_covers(s, &s->bp[i], c, pc)) {
            if (s->bp[i].enabled)
                return &s->bp[i];
            found = found ? found : &s->bp[i];
        }
    }
    return found;
}

/* ----------------------------------------------- engine debug state */

/* FNV-1a over the values (never the struct's bytes: padding). */
static uint64_t mix(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xFF)) * 1099511628211ull;
    return h;
}

static uint64_t fingerprint(const struct vcpu_debug *d)
{
    uint64_t h = mix(1469598103934665603ull, d->nbreak);

    for (unsigned i = 0; i < d->nbreak; i++)
        h = mix(h, d->brk[i]);
    h = mix(h, d->nwatch);
    for (unsigned i = 0; i < d->nwatch; i++) {
        const struct vcpu_watch *w = &d->watch[i];
        h = mix(mix(mix(h, w->addr), w->len), (uint64_t)w->kind | ((uint64_t)w->phys << 8));
    }
    return h;
}

/* The debug state vCPU @v needs: enabled linear breakpoints, internal
 * ones, watchpoints.  (Physical breakpoints are checked by the session
 * after each step: breakpoints_need_steps().) */
static void debug_for(struct session *s, struct vcpu *v, struct vcpu_debug *d)
{
    (void)v;
    d->nbreak = d->nwatch = 0;
    for (unsigned i = 0; i < s->nibrk && d->nbreak < VCPU_MAX_BREAK; i++)
        d->brk[d->nbreak++] = s->ibrk[i];
    for (unsigned i = 0; i < s->nbp; i++) {
        const struct dbg_bp *b = &s->bp[i];
        if (!b->enabled)
            continue;
        if (b->type == BPT_WATCH && d->nwatch < VCPU_MAX_WATCH)
            d->watch[d->nwatch++] = (struct vcpu_watch){ b->addr, b->len, b->wkind, b->phys };
        else if (b->type == BPT_BREAK && !b->phys && d->nbreak < VCPU_MAX_BREAK)
            d->brk[d->nbreak++] = b->addr;
    }
}

/* The engine cannot stop at breakpoints itself (its words are in the
 * last error): give it none, and let the session step to them
 * (breakpoints_need_steps()), as for physical breakpoints. */
static int breaks_by_stepping(struct session *s, struct vcpu *v)
{
    s->step_breaks = true;
    return v->ops->set_debug(v, NULL);
}

static int apply_debug(struct session *s)
{
    struct vcpu_debug d;

    for (unsigned i = 0; i < s->hv->nvm; i++) {
        struct vm *vm = s->hv->vm[i];
        for (unsigned k = 0; k < vm->nvcpu; k++) {
            struct vcpu *v = vm->vcpu[k];
            debug_for(s, v, &d);
            uint64_t fp = fingerprint(&d);
            if (s->applied_valid[i][k] && s->applied[i][k] == fp)
                continue;
            if (!v->ops->set_debug && d.nbreak == 0 && d.nwatch == 0)
                continue;      /* nothing to ask of an engine without debug support */
            if (!v->ops->set_debug)
                return vms_seterr(VMS_ERR_UNSUPPORTED, "the %s engine has no breakpoints",
                                  v->ops->name);
            int err = v->ops->set_debug(v, &d);
            if (err == -VMS_ERR_UNSUPPORTED && d.nwatch == 0)
                err = breaks_by_stepping(s, v);
            if (err < 0)
                return err;
            s->applied[i][k] = fp;
            s->applied_valid[i][k] = true;
        }
    }
    return 0;
}

static int set_stepping(struct session *s, struct vcpu *v, bool on)
{
    bool *cur = &s->stepping[v->vm->index][v->index];

    if (*cur == on)
        return 0;
    int err = v->ops->set_step(v, on);
    if (err == 0)
        *cur = on;
    return err;
}

static int stepping_only(struct session *s, struct vcpu *only)
{
    for (unsigned i = 0; i < s->hv->nvm; i++) {
        struct vm *vm = s->hv->vm[i];
        for (unsigned k = 0; k < vm->nvcpu; k++) {
            int err = set_stepping(s, vm->vcpu[k], vm->vcpu[k] == only);
            if (err < 0)
                return err;
        }
    }
    return 0;
}

/* ---------------------------------------------------------- resume */

enum run_how { RUN_ALL, RUN_STEP, RUN_ONE };

struct resume {
    enum run_how how;
    uint64_t steps;             /* RUN_STEP: instructions to execute */
    uint64_t icount;            /* RUN_ONE: stop when the vCPU's insns reach it */
    uint64_t max_insns;         /* session_run_slice: 0 none */
    /* internal target: stop with @ireason at an ibrk address when the
     * stack pointer is >= sp_min (recursion: deeper frames do not count) */
    enum dbg_stop_reason ireason;
    bool check_sp;
    uint64_t sp_min;
};

/* A condition (and ignore count) says the breakpoint really stops. */
static bool bp_should_stop(struct session *s, struct dbg_bp *b)
{
    if (b->cond[0]) {
        uint64_t v = 0;
        s->cpu_valid = false;
        if (session_eval(s, b->cond, &v) < 0)
            return true;    /* an error in the condition stops, as in gdb */
        if (!v)
            return false;
    }
    if (b->ignore) {
        b->ignore--;
        b->hits++;
        return false;
    }
    b->hits++;
    return true;
}

/* Breakpoints that only single-stepping makes exact: mode switches and
 * CR3 loads are seen after a run, not during it; and a physical address's
 * linear aliases change with every CR3 load and paging switch (each step
 * checks the physical address of the next instruction instead). */
static bool breakpoints_need_steps(const struct session *s)
{
    for (unsigned i = 0; i < s->nbp; i++) {
        const struct dbg_bp *b = &s->bp[i];
        if (!b->enabled)
            continue;
        if (b->type == BPT_EVENT &&
            (b->ev.kinds == 0 || (b->ev.kinds & ((1u << EV_MODE) | (1u << EV_CR3)))))
            return true;
        if (b->type == BPT_BREAK && (b->phys || s->step_breaks))
            return true;
    }
    return s->step_breaks && s->nibrk > 0;
}

static uint64_t total_insns(const struct hv *hv)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < hv->nvm; i++)
        n += hv->vm[i]->insns;
    return n;
}

/* Fill @st for a stop of @reason on the current vCPU. */
static void stop_at(struct session *s, struct dbg_stop *st, enum dbg_stop_reason reason)
{
    s->cpu_valid = false;
    const struct cpu_state *c = session_state(s);
    st->reason = reason;
    st->vm = s->cur_vm;
    st->vcpu = s->cur_vcpu;
    if (c) {
        st->rip = c->rip;
        st->pc = dbg_code_linear(c, c->rip);
    }
}

static void where_text(struct session *s, char *buf, size_t len)
{
    char sym[64];
    session_symbolize(s, s->last.pc, sym, sizeof(sym));
    int n = snprintf(buf, len, "0x%llx", (unsigned long long)s->last.pc);
    if (sym[0] && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " <%s>", sym);
}

/* A stop line, truncated at its size when an event text is very long. */
static void line_printf(char *line, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line_printf(char *line, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, len, fmt, ap);
    va_end(ap);
}

/* Stops whose line is only a phrase, where and who. */
static const char *const plain_stop[DSTOP_REASON_COUNT] = {
    [DSTOP_FINISH] = "Run till exit: returned to %s%s",
    [DSTOP_LOCATION] = "Reached %s%s",
    [DSTOP_INTERRUPT] = "Interrupted at %s%s",
    [DSTOP_NONE] = "Running at %s%s",
};

static void watch_line(const struct dbg_stop *st, const struct dbg_bp *b, const char *at,
                       const char *who, char *line, size_t len)
{
    char val[64];

    if (st->write && b && b->value_ok)
        snprintf(val, sizeof(val), "0x%llx -> 0x%llx", (unsigned long long)st->old_value,
                 (unsigned long long)b->value);
    else
        snprintf(val, sizeof(val), "value 0x%llx", (unsigned long long)st->value);
    line_printf(line, len, "Watchpoint %d: %s of %u byte%s at %s0x%llx (%s), now at %s%s",
                st->bp, st->write ? "write" : "read", st->size, st->size == 1 ? "" : "s",
                b && b->phys ? "physical " : "", (unsigned long long)st->addr, val, at, who);
}

static void exited_line(struct session *s, const struct dbg_stop *st, char *line, size_t len)
{
    const struct vm *vm = session_cur_vm(s);
    if (vm->reason[0])
        snprintf(line, len, "%s", vm->reason);
    else
        snprintf(line, len, "%s: %s, status %d", vm->name, vm_state_name(st->vm_state),
                 st->exit_status);
}

/* The one line saying why we stopped (also becomes session_last_stop). */
static void stop_line(struct session *s, struct dbg_stop *st)
{
    char at[96], what[160], who[32] = "";
    const struct dbg_bp *b = st->bp && s->stop_bp.id == st->bp ? &s->stop_bp : NULL;
    char *line = st->line;
    size_t len = sizeof(st->line);

    s->last = *st;                       /* where_text() reads the new pc */
    where_text(s, at, sizeof(at));
    if (s->hv->nvm > 1 || session_cur_vm(s)->nvcpu > 1)
        snprintf(who, sizeof(who), " on vm%u.vcpu%u", st->vm, st->vcpu);
    if ((unsigned)st->reason < DSTOP_REASON_COUNT && plain_stop[st->reason]) {
        snprintf(line, len, plain_stop[st->reason], at, who);
    } else if (st->reason == DSTOP_STEP) {
        snprintf(line, len, "Stepped %llu instruction%s to %s%s", (unsigned long long)st->steps,
                 st->steps == 1 ? "" : "s", at, who);
    } else if (st->reason == DSTOP_BREAKPOINT) {
        snprintf(line, len, "%s %d, %s%s (hit %llu)",
                 b && b->temporary ? "Temporary breakpoint" : "Breakpoint", st->bp, at, who,
                 (unsigned long long)(b ? b->hits : 0));
    } else if (st->reason == DSTOP_WATCHPOINT) {
        watch_line(st, b, at, who, line, len);
    } else if (st->reason == DSTOP_EVENT) {
        dbg_event_format(&st->ev, what, sizeof(what));
        line_printf(line, len, "Event breakpoint %d: %s; stopped at %s%s", st->bp, what, at,
                    who);
    } else if (st->reason == DSTOP_COUNT) {
        snprintf(line, len, "Instruction count %llu reached at %s%s",
                 (unsigned long long)session_vcpu(s)->insns, at, who);
    } else if (st->reason == DSTOP_EXITED) {
        exited_line(s, st, line, len);
    } else if (st->reason == DSTOP_ERROR) {
        snprintf(line, len, "Error: %s", vms_lasterr(VMS_ERR_ENGINE));
    }
    s->last = *st;
}

/* A breakpoint stop at linear @pc of the current vCPU: internal target or
 * user breakpoint?  Returns true (and fills @st) when it stops. */
static bool check_pc(struct session *s, const struct resume *r, uint64_t pc, struct dbg_stop *st)
{
    s->cpu_valid = false;
    const struct cpu_state *c = session_state(s);
    if (!c)
        return false;
    for (unsigned i = 0; i < s->nibrk; i++) {
        if (s->ibrk[i] == pc && (!r->check_sp || c->gpr[GPR_RSP] >= r->sp_min)) {
            stop_at(s, st, r->ireason);
            return true;
        }
    }
    for (unsigned i = 0; i < s->nbp; i++) {
        struct dbg_bp *b = &s->bp[i];
        if (b->enabled && bp_covers(s, b, c, pc) && bp_should_stop(s, b)) {
            stop_at(s, st, DSTOP_BREAKPOINT);
            st->bp = b->id;
            s->stop_bp = *b;
            if (b->temporary)
                ignore_rc(session_bp_delete(s, b->id));
            return true;
        }
    }
    return false;
}

static bool watch_covers(const struct dbg_bp *b, const struct vcpu_exit *ex)
{
    return b->type == BPT_WATCH && b->enabled &&
           (b->wkind & (ex->write ? WATCH_WRITE : WATCH_READ)) &&
           ex->addr < b->addr + b->len && b->addr < ex->addr + (ex->size ? ex->size : 1);
}

/* The first (up to 8) watched bytes of watchpoint @b now. */
static bool watch_value(struct session *s, const struct dbg_bp *b, uint64_t *v)
{
    size_t n = b->len < 8 ? (size_t)b->len : 8;
    *v = 0;
    int64_t got = b->phys ? session_read_phys(s, b->addr, v, n)
                          : session_read_virt(s, b->addr, v, n, NULL);
    return got == (int64_t)n;
}

static void snapshot_watches(struct session *s)
{
    for (unsigned i = 0; i < s->nbp; i++)
        if (s->bp[i].type == BPT_WATCH)
            s->bp[i].value_ok = watch_value(s, &s->bp[i], &s->bp[i].value);
}

/* A write watchpoint (not rwatch/awatch) ignores writes that leave the
 * value as it was, as gdb's `watch` does. */
static bool watch_changed(struct session *s, struct dbg_bp *b, uint64_t *old)
{
    uint64_t now;
    bool ok = watch_value(s, b, &now);

    *old = b->value;
    bool changed = !ok || !b->value_ok || now != b->value;
    b->value = now;
    b->value_ok = ok;
    return b->wkind != WATCH_WRITE || changed;
}

static bool check_watch(struct session *s, const struct vcpu_exit *ex, struct dbg_stop *st)
{
    uint64_t old = 0;

    s->cpu_valid = false;
    for (unsigned i = 0; i < s->nbp; i++) {
        struct dbg_bp *b = &s->bp[i];
        if (watch_covers(b, ex) && watch_changed(s, b, &old) && bp_should_stop(s, b)) {
            stop_at(s, st, DSTOP_WATCHPOINT);
            st->bp = b->id;
            s->stop_bp = *b;
            st->addr = ex->addr;
            st->size = ex->size;
            st->write = ex->write;
            st->value = ex->value;
            st->old_value = old;
            if (b->temporary)
                ignore_rc(session_bp_delete(s, b->id));
            return true;
        }
    }
    return false;
}

static bool check_event(struct session *s, struct dbg_stop *st)
{
    struct dbg_bp *b = bp_by_id(s, s->ev_bp);

    s->ev_hit = false;
    if (!b || !bp_should_stop(s, b))
        return false;
    if (s->ev.vm < s->hv->nvm && s->ev.vcpu < s->hv->vm[s->ev.vm]->nvcpu)
        ignore_rc(session_select(s, s->ev.vm, s->ev.vcpu));
    stop_at(s, st, DSTOP_EVENT);
    st->bp = b->id;
    s->stop_bp = *b;
    st->ev = s->ev;
    if (b->temporary)
        ignore_rc(session_bp_delete(s, b->id));
    return true;
}

/* The VM of the current vCPU (or every VM) has ended. */
static bool check_exited(struct session *s, struct dbg_stop *st)
{
    struct vm *vm = session_cur_vm(s);

    if (vm->state == VM_RUNNING && hv_any_running(s->hv))
        return false;
    stop_at(s, st, DSTOP_EXITED);
    st->vm_state = vm->state;
    st->exit_status = vm->exit_status;
    return true;
}

/* Run once the way @r says; returns false when nothing could run. */
static void run_once(struct session *s, const struct resume *r, bool *stepped)
{
    struct vcpu *v = session_vcpu(s);
    struct vcpu_exit ex;

    *stepped = false;
    hv_dbg_clear(s->hv);
    if (r->how == RUN_ALL || v->halted || !v->runnable || v->vm->state != VM_RUNNING) {
        hv_round(s->hv);
        *stepped = s->hv->dbg_vcpu == v && s->hv->dbg_exit.kind == VEXIT_STEP;
        return;
    }
    uint64_t budget = 1;
    if (r->how == RUN_ONE)
        budget = r->icount > v->insns ? r->icount - v->insns : 1;
    if (hv_run_vcpu(s->hv, v, budget, &ex))
        *stepped = r->how == RUN_STEP && ex.executed > 0;
}

/* After a run: did something stop us?  Fills @st. */
static bool examine(struct session *s, struct resume *r, bool stepped, struct dbg_stop *st)
{
    struct hv *hv = s->hv;

    if (s->ev_hit && check_event(s, st))
        return true;
    if (hv->dbg_vcpu) {
        struct vcpu *v = hv->dbg_vcpu;
        ignore_rc(session_select(s, v->vm->index, v->index));
        const struct vcpu_exit *ex = &hv->dbg_exit;
        if (ex->kind == VEXIT_WATCH && check_watch(s, ex, st))
            return true;
        /* the linear pc from the state: vcpu.h promises only RIP */
        if (ex->kind == VEXIT_BREAK && r->how == RUN_ALL && check_pc(s, r, session_pc(s), st))
            return true;
    }
    if (check_exited(s, st))
        return true;
    if (stepped && r->how == RUN_STEP) {
        if (check_pc(s, r, session_pc(s), st))
            return true;
        if (r->steps && --r->steps == 0) {
            stop_at(s, st, DSTOP_STEP);
            return true;
        }
    }
    if (r->how == RUN_ONE && session_vcpu(s)->insns >= r->icount) {
        stop_at(s, st, DSTOP_COUNT);
        return true;
    }
    return false;
}

static bool interrupted(struct session *s, uint64_t iter, enum run_how how)
{
    if (s->interrupt)
        return true;
    uint64_t every = how == RUN_ALL ? POLL_EVERY_ROUNDS : POLL_EVERY_STEPS;
    return s->cfg.poll && iter % every == every - 1 && s->cfg.poll(s->cfg.poll_opaque);
}

/* The state at this stop becomes the base of the next changed-set. */
static void remember_stop_state(struct session *s)
{
    s->prev_cpu = s->stop_cpu;
    s->prev_vm = s->stop_vm;
    s->prev_vcpu = s->stop_vcpu;
    s->have_prev = s->have_stop;
    const struct cpu_state *c = session_state(s);
    if (c) {
        s->stop_cpu = *c;
        s->stop_vm = s->cur_vm;
        s->stop_vcpu = s->cur_vcpu;
        s->have_stop = true;
    }
}

/* Engines get the breakpoints, and stepping for the vCPU that steps. */
static int prepare(struct session *s, struct resume *r, struct vcpu *start)
{
    snapshot_watches(s);
    int err = apply_debug(s);   /* first: it may find that breakpoints need steps */
    if (err == 0 && r->how == RUN_ALL && breakpoints_need_steps(s))
        r->how = RUN_STEP;      /* r->steps == 0: no count */
    if (err == 0)
        err = stepping_only(s, r->how == RUN_STEP ? start : NULL);
    s->interrupt = 0;
    s->ev_hit = false;
    return err;
}

/* Run until something stops the guest; fill @st. */
static void run_until_stop(struct session *s, struct resume *r, struct dbg_stop *st)
{
    uint64_t start_total = total_insns(s->hv);

    s->running = true;
    for (uint64_t iter = 0;; iter++) {
        bool stepped;
        if (interrupted(s, iter, r->how)) {
            stop_at(s, st, DSTOP_INTERRUPT);
            break;
        }
        run_once(s, r, &stepped);
        if (examine(s, r, stepped, st))
            break;
        if (r->max_insns && total_insns(s->hv) - start_total >= r->max_insns) {
            stop_at(s, st, DSTOP_NONE);
            break;
        }
    }
    s->running = false;
    s->interrupt = 0;
}

static int resume(struct session *s, struct resume *r, struct dbg_stop *why)
{
    struct dbg_stop st;
    struct vcpu *start = session_vcpu(s);
    uint64_t start_insns = start->insns;

    memset(&st, 0, sizeof(st));
    if (check_exited(s, &st)) {
        stop_line(s, &st);
        if (why)
            *why = st;
        return vms_seterr(VMS_ERR_SHUTDOWN, "%s", session_cur_vm(s)->reason);
    }
    int err = prepare(s, r, start);
    if (err < 0)
        return err;
    run_until_stop(s, r, &st);
    /* instructions the stopping vCPU retired in this command, when it is
     * the one that started it (else 0: it was not stepped) */
    st.steps = session_vcpu(s) == start ? start->insns - start_insns : 0;
    stop_line(s, &st);
    if (st.reason != DSTOP_NONE)
        remember_stop_state(s);
    if (why)
        *why = st;
    return 0;
}

/* ---------------------------------------------- execution commands */

int session_stepi(struct session *s, uint64_t n, struct dbg_stop *why)
{
    struct resume r = { .how = RUN_STEP, .steps = n ? n : 1 };
    s->nibrk = 0;
    return resume(s, &r, why);
}

int session_continue(struct session *s, struct dbg_stop *why)
{
    struct resume r = { .how = RUN_ALL };
    s->nibrk = 0;
    return resume(s, &r, why);
}

int session_run_slice(struct session *s, uint64_t max_insns, struct dbg_stop *why)
{
    struct resume r = { .how = RUN_ALL, .max_insns = max_insns ? max_insns : 1 };
    s->nibrk = 0;
    return resume(s, &r, why);
}

int session_run_to_count(struct session *s, uint64_t icount, struct dbg_stop *why)
{
    struct vcpu *v = session_vcpu(s);

    if (icount <= v->insns)
        return vms_seterr(VMS_ERR_RANGE, "vm%u.vcpu%u has already retired %llu instructions",
                          s->cur_vm, s->cur_vcpu, (unsigned long long)v->insns);
    struct resume r = { .how = RUN_ONE, .icount = icount };
    s->nibrk = 0;
    return resume(s, &r, why);
}

void session_interrupt(struct session *s)
{
    s->interrupt = 1;
    if (s->hv)
        s->hv->dbg_stop = 1;
}

/* Run to internal breakpoint(s) with the stack at or above @sp_min. */
static int run_to(struct session *s, const uint64_t *pcs, unsigned n, bool check_sp,
                  uint64_t sp_min, enum dbg_stop_reason reason, struct dbg_stop *why)
{
    struct resume r = { .how = RUN_ALL, .ireason = reason, .check_sp = check_sp,
                        .sp_min = sp_min };

    s->nibrk = 0;
    for (unsigned i = 0; i < n && i < SESSION_MAX_IBRK; i++)
        s->ibrk[s->nibrk++] = pcs[i];
    int err = resume(s, &r, why);
    s->nibrk = 0;
    return err;
}

/* Does the current instruction need `next` to step over it? */
static bool steps_over(struct session *s, uint64_t *next_pc)
{
    struct dbg_insn in;

    if (session_disasm(s, session_pc(s), 1, 0, &in) < 1 || !in.ok)
        return false;
    *next_pc = in.pc + in.len;
    const char *t = in.text;
    return in.is_call || !strncmp(t, "int", 3) || !strncmp(t, "rep", 3) ||
           !strncmp(t, "loop", 4) || !strncmp(t, "syscall", 7) || !strncmp(t, "sysenter", 8);
}

int session_next(struct session *s, uint64_t n, struct dbg_stop *why)
{
    struct dbg_stop st;
    int err = 0;

    if (n == 0)
        n = 1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t next_pc;
        if (!steps_over(s, &next_pc)) {
            err = session_stepi(s, 1, &st);
        } else {
            const struct cpu_state *c = session_state(s);
            uint64_t sp = c ? c->gpr[GPR_RSP] : 0;
            err = run_to(s, &next_pc, 1, true, sp, DSTOP_STEP, &st);
            st.steps = 1;
        }
        if (err < 0 || st.reason != DSTOP_STEP)
            break;
    }
    if (err == 0 && st.reason == DSTOP_STEP) {
        st.steps = n;
        stop_line(s, &st);
    }
    if (why)
        *why = st;
    return err;
}

/* Is @op (an operand as Capstone prints it) the stack pointer? */
static bool is_sp(const char *op) { return !strcmp(op, "esp") || !strcmp(op, "rsp") || !strcmp(op, "sp"); }

/* What one prologue instruction does to the stack depth: adds to *delta;
 * false when it leaves straight-line code or changes SP in a way this
 * analysis does not follow. */
static bool prologue_step(const struct dbg_insn *in, unsigned w, int64_t *delta)
{
    char mn[16] = "", a[24] = "", b[40] = "";

    if (!in->ok || in->is_call || in->is_ret || in->is_jump)
        return false;
    sscanf(in->text, "%15s %23[^,], %39s", mn, a, b);
    if (!strcmp(mn, "push")) {
        *delta += w;
        return true;
    }
    if (!strcmp(mn, "pop")) {
        *delta -= w;
        return !is_sp(a);
    }
    if ((!strcmp(mn, "sub") || !strcmp(mn, "add")) && is_sp(a)) {
        char *end;
        long long v = strtoll(b, &end, 0);
        if (*end)
            return false;
        *delta += !strcmp(mn, "sub") ? v : -v;
        return true;
    }
    /* anything else that names SP as its destination is not followed */
    return !is_sp(a) || !strcmp(mn, "cmp") || !strcmp(mn, "test");
}

/* Bytes the current function has pushed since its first instruction, by
 * decoding the straight-line code from its symbol to pc (no frame pointer
 * needed: -fomit-frame-pointer kernels).  False when pc is not reached
 * straight from the symbol. */
bool session_prologue_depth(struct session *s, uint64_t pc, unsigned w, int64_t *delta)
{
    struct dbg_insn in[32];
    uint64_t off;
    const struct sym *sym = symtab_lookup(&s->syms, pc, &off);

    *delta = 0;
    if (!sym || off > 256)
        return false;
    int n = session_disasm(s, sym->addr, 32, 0, in);
    for (int i = 0; i < n; i++) {
        if (in[i].pc == pc)
            return true;
        if (in[i].pc > pc || !prologue_step(&in[i], w, delta))
            return false;
    }
    return false;
}

/* The return address of the current frame and the stack pointer after
 * the return: [SP + what the function pushed] while pc is in the
 * straight-line start of a function, else [FP + word] (frame pointers). */
static int frame_return(struct session *s, uint64_t *ret, uint64_t *sp_after)
{
    const struct cpu_state *c = session_state(s);
    unsigned w = session_word(s);
    uint64_t slot, val = 0;
    int64_t delta;

    if (!c)
        return -VMS_ERR_ENGINE;
    uint64_t mask = w == 8 ? ~0ull : w == 4 ? 0xFFFFFFFFull : 0xFFFFull;
    uint64_t sp = c->gpr[GPR_RSP] & mask, fp = c->gpr[GPR_RBP] & mask;
    if (session_prologue_depth(s, session_pc(s), w, &delta) && delta >= 0)
        slot = sp + (uint64_t)delta;
    else
        slot = fp + w;
    uint64_t seg_base = w == 8 ? 0 : c->seg[SEG_SS].base;
    if (session_read_virt(s, seg_base + slot, &val, w, NULL) != (int64_t)w)
        return vms_seterr(VMS_ERR_FAULT, "cannot read the return address at 0x%llx",
                          (unsigned long long)(seg_base + slot));
    if (!session_plausible_return(s, c, val))
        return vms_seterr(VMS_ERR_NOTFOUND, "no caller: 0x%llx at 0x%llx is not a return "
                          "address (outermost frame?)", (unsigned long long)val,
                          (unsigned long long)(seg_base + slot));
    *ret = dbg_code_linear(c, val);
    *sp_after = slot + w;
    return 0;
}

int session_finish(struct session *s, struct dbg_stop *why)
{
    uint64_t ret, sp_after;
    int err = frame_return(s, &ret, &sp_after);

    if (err < 0)
        return err;
    return run_to(s, &ret, 1, true, sp_after, DSTOP_FINISH, why);
}

int session_until(struct session *s, uint64_t pc, bool until_frame, struct dbg_stop *why)
{
    uint64_t pcs[2] = { pc, 0 }, sp_after = 0;
    unsigned n = 1;

    if (until_frame && frame_return(s, &pcs[1], &sp_after) == 0)
        n = 2;
    return run_to(s, pcs, n, false, 0, DSTOP_LOCATION, why);
}

/* ---------------------------------------------------------- registers */

int session_reg_get(struct session *s, enum dbg_reg r, uint64_t *v)
{
    const struct cpu_state *c = session_state(s);

    if (!c || (unsigned)r >= DREG_COUNT)
        return c ? -VMS_ERR_INVAL : -VMS_ERR_ENGINE;
    *v = dbg_reg_get(c, r);
    return 0;
}

int session_set_cpu(struct session *s, const struct cpu_state *cpu)
{
    struct vcpu *v = session_vcpu(s);
    int err = v->ops->set_state(v, cpu);

    s->cpu_valid = false;
    return err;
}

int session_reg_set(struct session *s, enum dbg_reg r, uint64_t val)
{
    const struct cpu_state *c = session_state(s);
    struct cpu_state n;

    if (!c || (unsigned)r >= DREG_COUNT)
        return c ? -VMS_ERR_INVAL : -VMS_ERR_ENGINE;
    n = *c;
    int seg = dbg_reg_seg(r);
    if (seg >= 0) {
        int err = session_load_seg(s, &n, seg, (uint16_t)val);
        if (err < 0)
            return err;
    } else {
        dbg_reg_put(&n, r, val);
    }
    return session_set_cpu(s, &n);
}

/* ------------------------------------------------------------- memory */

int64_t session_read_phys(struct session *s, uint64_t pa, void *buf, size_t len)
{
    const struct gmem *m = &session_cur_vm(s)->mem;

    if (pa >= m->size)
        return vms_seterr(VMS_ERR_FAULT, "physical address 0x%llx is outside RAM",
                          (unsigned long long)pa);
    size_t n = len;
    if (n > m->size - pa)
        n = (size_t)(m->size - pa);
    memcpy(buf, m->ram + pa, n);
    return (int64_t)n;
}

int64_t session_read_virt(struct session *s, uint64_t va, void *buf, size_t len,
                          struct pg_walk *w)
{
    const struct cpu_state *c = session_state(s);
    struct gmem *m = &session_cur_vm(s)->mem;
    struct pg_walk tmp;
    size_t done = 0;

    if (!c)
        return -VMS_ERR_ENGINE;
    if (!w)
        w = &tmp;
    while (done < len) {
        uint64_t a = va + done;
        size_t chunk = 4096 - (size_t)(a & 4095);
        if (chunk > len - done)
            chunk = len - done;
        if (!pg_translate(c, m, a, 0, w) || !gmem_ok(m, w->pa, chunk))
            break;
        memcpy((uint8_t *)buf + done, m->ram + w->pa, chunk);
        done += chunk;
    }
    if (done == 0 && len > 0)
        return vms_seterr(VMS_ERR_FAULT, "cannot access memory at 0x%llx%s%s",
                          (unsigned long long)va, w->ok ? "" : ": ",
                          w->ok ? " (not RAM)" : pg_fault_name(w->fault));
    return (int64_t)done;
}

int session_write_phys(struct session *s, uint64_t pa, const void *buf, size_t len)
{
    struct vm *vm = session_cur_vm(s);

    if (!gmem_ok(&vm->mem, pa, len))
        return vms_seterr(VMS_ERR_FAULT, "physical range 0x%llx+%zu is outside RAM",
                          (unsigned long long)pa, len);
    memcpy(vm->mem.ram + pa, buf, len);
    for (unsigned i = 0; i < vm->nvcpu; i++)
        vm->vcpu[i]->ops->mem_written(vm->vcpu[i], pa, len);
    return 0;
}

int session_write_virt(struct session *s, uint64_t va, const void *buf, size_t len)
{
    const struct cpu_state *c = session_state(s);
    struct gmem *m = &session_cur_vm(s)->mem;
    struct pg_walk w;

    if (!c)
        return -VMS_ERR_ENGINE;
    /* translate every page first: a fault writes nothing */
    for (size_t done = 0; done < len;) {
        uint64_t a = va + done;
        size_t chunk = 4096 - (size_t)(a & 4095);
        if (chunk > len - done)
            chunk = len - done;
        if (!pg_translate(c, m, a, 0, &w) || !gmem_ok(m, w.pa, chunk))
            return vms_seterr(VMS_ERR_FAULT, "cannot write memory at 0x%llx",
                              (unsigned long long)a);
        done += chunk;
    }
    for (size_t done = 0; done < len;) {
        uint64_t a = va + done;
        size_t chunk = 4096 - (size_t)(a & 4095);
        if (chunk > len - done)
            chunk = len - done;
        if (!pg_translate(c, m, a, 0, &w))
            return -VMS_ERR_FAULT;
        int err = session_write_phys(s, w.pa, (const uint8_t *)buf + done, chunk);
        if (err < 0)
            return err;
        done += chunk;
    }
    return 0;
}

/* ------------------------------------------------------- expressions */

static int env_reg(void *opaque, const char *name, uint64_t *v)
{
    struct session *s = opaque;
    struct dbg_regref ref;

    if (!strcmp(name, "_")) {
        *v = s->last_x;
        return 0;
    }
    const struct cpu_state *c = session_state(s);
    if (!c || dbg_reg_lookup(name, &ref) < 0)
        return -VMS_ERR_NOTFOUND;
    *v = dbg_regref_get(c, &ref);
    if (ref.reg == DREG_RIP && !strcmp(name, "pc"))
        *v = dbg_code_linear(c, c->rip);   /* $pc: linear, like break/x use */
    return 0;
}

static int env_sym(void *opaque, const char *name, uint64_t *v)
{
    struct session *s = opaque;
    return symtab_find(&s->syms, name, v) < 0 ? -VMS_ERR_NOTFOUND : 0;
}

static int env_mem(void *opaque, uint64_t addr, unsigned size, uint64_t *v)
{
    struct session *s = opaque;
    uint64_t val = 0;

    if (session_read_virt(s, addr, &val, size, NULL) != (int64_t)size)
        return -VMS_ERR_FAULT;
    *v = val;
    return 0;
}

int session_eval(struct session *s, const char *expr, uint64_t *out)
{
    struct expr_env env = { .reg = env_reg, .sym = env_sym, .mem = env_mem,
                            .word = session_word(s), .opaque = s };
    char err[160];

    int rc = expr_eval(&env, expr, out, err, sizeof(err));
    if (rc < 0)
        return vms_seterr((enum vms_error)-rc, "%s", err);
    return 0;
}

/* ------------------------------------ the guest's screen and keyboard */

int session_vga(struct session *s, unsigned vm, struct vga_screen *out)
{
    if (!s->hv || vm >= s->hv->nvm || !s->hv->vm[vm]->plat)
        return vms_seterr(VMS_ERR_NOTFOUND, "no VM %u", vm);
    return platform_vga_screen(s->hv->vm[vm]->plat, out) ? 1 : 0;
}

int session_type(struct session *s, unsigned vm, const uint8_t *bytes, size_t n,
                 unsigned where)
{
    if (!s->hv || vm >= s->hv->nvm || !s->hv->vm[vm]->plat)
        return vms_seterr(VMS_ERR_NOTFOUND, "no VM %u", vm);
    if (!(where & (SESSION_INPUT_SERIAL | SESSION_INPUT_KBD)))
        return vms_seterr(VMS_ERR_INVAL, "typed input goes nowhere");
    struct platform *p = s->hv->vm[vm]->plat;
    size_t room = platform_console_room(p);
    if (n > INT32_MAX)
        n = INT32_MAX;
    if ((where & SESSION_INPUT_SERIAL) && n > room)
        n = room;
    if (where & SESSION_INPUT_KBD)
        n = platform_kbd_input(p, bytes, n);
    if (where & SESSION_INPUT_SERIAL)
        vm_console_input(s->hv->vm[vm], bytes, n);
    return (int)n;
}
