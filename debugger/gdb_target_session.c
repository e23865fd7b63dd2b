/* gdb_target_session.c - gdb_target_ops over a debugger session (see
 * gdb_target_session.h).  Everything goes through the session API, so
 * the session's view of breakpoints, the current vCPU and its cached
 * state stay right. */
#include "gdb_target_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/gdbstub.h"
#include "machine/hv.h"

#define GST_MAX_BP 64
#define GST_SLICE_INSNS 2000000ull     /* continue in slices: Ctrl-C is seen between */
#define GST_SIGSEGV 11
#define GST_SIGKILL 9
#define GST_KILLED_STATUS 130

struct gst_bp {
    enum gdb_bp_type type;
    uint64_t addr, len;
    int id;                       /* the session's breakpoint number */
};

struct gdb_session_target {
    struct session *s;
    struct gst_bp bp[GST_MAX_BP];
    unsigned nbp;
    int step_cpu;                 /* resume(): >= 0 step that CPU */
    bool fault_reported;
};

/* CPU number -> (vm, vcpu), VM by VM. */
static int locate(struct gdb_session_target *t, unsigned n, unsigned *vm, unsigned *vcpu)
{
    struct hv *hv = session_hv(t->s);

    for (unsigned i = 0; i < hv->nvm; i++) {
        if (n < hv->vm[i]->nvcpu) {
            *vm = i;
            *vcpu = n;
            return 0;
        }
        n -= hv->vm[i]->nvcpu;
    }
    return -VMS_ERR_INVAL;
}

static unsigned number_of(struct gdb_session_target *t, unsigned vm, unsigned vcpu)
{
    struct hv *hv = session_hv(t->s);
    unsigned n = 0;

    for (unsigned i = 0; i < vm && i < hv->nvm; i++)
        n += hv->vm[i]->nvcpu;
    return n + vcpu;
}

/* Make CPU @n the session's current vCPU. */
static int select_cpu(struct gdb_session_target *t, unsigned n)
{
    unsigned vm, vcpu, cvm, cvcpu;

    if (locate(t, n, &vm, &vcpu) < 0)
        return -VMS_ERR_INVAL;
    session_current(t->s, &cvm, &cvcpu);
    if (cvm == vm && cvcpu == vcpu)
        return 0;
    return session_select(t->s, vm, vcpu);
}

static unsigned gst_ncpus(void *tp)
{
    struct gdb_session_target *t = tp;
    struct hv *hv = session_hv(t->s);
    unsigned n = 0;

    for (unsigned i = 0; i < hv->nvm; i++)
        n += hv->vm[i]->nvcpu;
    return n;
}

static int gst_get_state(void *tp, unsigned n, struct cpu_state *s)
{
    struct gdb_session_target *t = tp;

    if (select_cpu(t, n) < 0)
        return -VMS_ERR_INVAL;
    const struct cpu_state *c = session_cpu(t->s);
    if (!c)
        return -VMS_ERR_ENGINE;
    *s = *c;
    return 0;
}

static int gst_set_state(void *tp, unsigned n, const struct cpu_state *s)
{
    struct gdb_session_target *t = tp;

    if (select_cpu(t, n) < 0)
        return -VMS_ERR_INVAL;
    return session_set_cpu(t->s, s);
}

static int gst_read_mem(void *tp, unsigned n, uint64_t addr, void *buf, size_t len)
{
    struct gdb_session_target *t = tp;

    if (select_cpu(t, n) < 0)
        return -VMS_ERR_INVAL;
    int64_t got = session_read_virt(t->s, addr, buf, len, NULL);
    return got < 0 ? 0 : (int)got;
}

static int gst_write_mem(void *tp, unsigned n, uint64_t addr, const void *buf, size_t len)
{
    struct gdb_session_target *t = tp;

    if (select_cpu(t, n) < 0)
        return -VMS_ERR_INVAL;
    return session_write_virt(t->s, addr, buf, len);
}

/* ---- breakpoints: session breakpoints named after the Z packet ---- */

static int find_bp(const struct gdb_session_target *t, enum gdb_bp_type type, uint64_t addr,
                   uint64_t len)
{
    for (unsigned i = 0; i < t->nbp; i++)
        if (t->bp[i].type == type && t->bp[i].addr == addr &&
            (type <= GDB_BP_HW || t->bp[i].len == len))
            return (int)i;
    return -1;
}

static void bp_template(struct dbg_bp *b, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
    static const unsigned wkind[] = {
        [GDB_WP_WRITE] = WATCH_WRITE, [GDB_WP_READ] = WATCH_READ,
        [GDB_WP_ACCESS] = WATCH_ACCESS,
    };

    memset(b, 0, sizeof(*b));
    b->enabled = true;
    b->addr = addr;
    if (type <= GDB_BP_HW) {
        b->type = BPT_BREAK;
    } else {
        b->type = BPT_WATCH;
        b->len = len;
        b->wkind = wkind[type];
    }
    snprintf(b->spec, sizeof(b->spec), "gdb Z%d *%#llx", (int)type, (unsigned long long)addr);
}

static int gst_set_break(void *tp, enum gdb_bp_type type, uint64_t addr, uint64_t len,
                         bool insert)
{
    struct gdb_session_target *t = tp;
    int i = find_bp(t, type, addr, len);
    struct dbg_bp tmpl;

    if (!insert) {
        if (i < 0)
            return 0;
        int err = session_bp_delete(t->s, t->bp[i].id);   /* maybe gone already */
        (void)err;
        t->bp[i] = t->bp[--t->nbp];
        return 0;
    }
    if (i >= 0)
        return 0;
    if (t->nbp == GST_MAX_BP)
        return -VMS_ERR_RANGE;
    bp_template(&tmpl, type, addr, len);
    int id;
    int err = session_bp_add(t->s, &tmpl, &id);
    if (err < 0)
        return err;
    t->bp[t->nbp++] = (struct gst_bp){ .type = type, .addr = addr, .len = len, .id = id };
    return 0;
}

/* ---- execution ---- */

static int gst_resume(void *tp, int step_cpu)
{
    struct gdb_session_target *t = tp;

    if (step_cpu >= 0 && select_cpu(t, (unsigned)step_cpu) < 0)
        return -VMS_ERR_INVAL;
    t->step_cpu = step_cpu;
    return 0;
}

static enum gdb_bp_type bp_type_of(const struct gdb_session_target *t, int id,
                                   enum gdb_bp_type dflt)
{
    for (unsigned i = 0; i < t->nbp; i++)
        if (t->bp[i].id == id)
            return t->bp[i].type;
    return dflt;
}

static void map_exited(struct gdb_session_target *t, const struct dbg_stop *d,
                       struct gdb_stop *g)
{
    if (d->vm_state == VM_EXITED || d->vm_state == VM_HALTED) {
        g->kind = GDB_STOP_EXITED;
        g->status = d->vm_state == VM_EXITED ? d->exit_status : 0;
        return;
    }
    g->kind = t->fault_reported ? GDB_STOP_KILLED : GDB_STOP_FAULT;
    g->status = d->vm_state == VM_LIMIT ? GST_SIGKILL : GST_SIGSEGV;
    t->fault_reported = true;
}

/* A session stop as gdb sees it.  Event breakpoints, finish, until and
 * count stops (from monitor commands) are plain SIGTRAP stops. */
static void map_stop(struct gdb_session_target *t, const struct dbg_stop *d, struct gdb_stop *g)
{
    memset(g, 0, sizeof(*g));
    g->cpu = number_of(t, d->vm, d->vcpu);
    snprintf(g->why, sizeof(g->why), "%s", d->line);
    switch (d->reason) {
    case DSTOP_BREAKPOINT:
        g->kind = GDB_STOP_BREAK;
        g->type = bp_type_of(t, d->bp, GDB_BP_SW) == GDB_BP_HW ? GDB_BP_HW : GDB_BP_SW;
        return;
    case DSTOP_WATCHPOINT:
        g->kind = GDB_STOP_WATCH;
        g->addr = d->addr;
        g->type = bp_type_of(t, d->bp, d->write ? GDB_WP_WRITE : GDB_WP_READ);
        return;
    case DSTOP_INTERRUPT:
        g->kind = GDB_STOP_INTERRUPT;
        return;
    case DSTOP_EXITED:
        map_exited(t, d, g);
        return;
    case DSTOP_ERROR:
        g->kind = t->fault_reported ? GDB_STOP_KILLED : GDB_STOP_FAULT;
        g->status = GST_SIGSEGV;
        t->fault_reported = true;
        return;
    default:
        g->kind = GDB_STOP_STEP;
        return;
    }
}

static int gst_poll(void *tp, struct gdb_stop *g)
{
    struct gdb_session_target *t = tp;
    struct dbg_stop d;
    int err;

    memset(&d, 0, sizeof(d));
    if (t->step_cpu >= 0)
        err = session_stepi(t->s, 1, &d);
    else
        err = session_run_slice(t->s, GST_SLICE_INSNS, &d);
    if (err < 0 && d.reason != DSTOP_EXITED)
        return err;
    if (d.reason == DSTOP_NONE)
        return 0;
    map_stop(t, &d, g);
    return 1;
}

static void gst_interrupt(void *tp)
{
    struct gdb_session_target *t = tp;
    session_interrupt(t->s);
}

/* ---- monitor: the debugger's command language ---- */

struct mon_out {
    gdb_out_fn out;
    void *opaque;
};

static void mon_write(void *opaque, const char *text, size_t len)
{
    struct mon_out *m = opaque;
    char chunk[1024];

    while (len) {
        size_t n = len < sizeof(chunk) - 1 ? len : sizeof(chunk) - 1;
        memcpy(chunk, text, n);
        chunk[n] = '\0';
        m->out(m->opaque, chunk);
        text += n;
        len -= n;
    }
}

static int gst_monitor(void *tp, const char *cmd, gdb_out_fn out, void *opaque)
{
    struct gdb_session_target *t = tp;
    struct mon_out m = { .out = out, .opaque = opaque };
    struct dbg_out o = { .write = mon_write, .opaque = &m };

    int r = session_exec(t->s, cmd, &o);
    if (r == SESSION_QUIT)
        out(opaque, "use gdb's `detach` or `kill` to end the session\n");
    return 0;                       /* errors were printed by the session */
}

static void gst_detach(void *tp, bool kill)
{
    struct gdb_session_target *t = tp;

    for (unsigned i = 0; i < t->nbp; i++) {
        int err = session_bp_delete(t->s, t->bp[i].id);
        (void)err;
    }
    t->nbp = 0;
    if (kill)
        hv_stop_all(session_hv(t->s), VM_LIMIT, GST_KILLED_STATUS, "killed by gdb");
}

const struct gdb_target_ops gdb_session_target_ops = {
    .ncpus = gst_ncpus,
    .get_state = gst_get_state,
    .set_state = gst_set_state,
    .read_mem = gst_read_mem,
    .write_mem = gst_write_mem,
    .set_break = gst_set_break,
    .resume = gst_resume,
    .poll = gst_poll,
    .interrupt = gst_interrupt,
    .monitor = gst_monitor,
    .detach = gst_detach,
};

int gdb_session_target_create(struct gdb_session_target **out, struct session *s)
{
    struct gdb_session_target *t = calloc(1, sizeof(*t));

    if (!t)
        return -VMS_ERR_NOMEM;
    t->s = s;
    t->step_cpu = -1;
    *out = t;
    return 0;
}

void gdb_session_target_destroy(struct gdb_session_target *t)
{
    free(t);
}

/* ---- `vmscope debug --gdb` ---- */

static void print_stdout(void *opaque, const char *text)
{
    (void)opaque;
    fputs(text, stdout);
}

int gdb_session_serve(struct session *s, const char *spec, unsigned arch)
{
    struct gdb_session_target *t;
    struct gdbstub_config cfg = { .linear_pc = true, .arch = arch };
    enum gdbstub_end end;
    struct dbg_stop why;

    int err = gdb_session_target_create(&t, s);
    if (err < 0)
        return err;
    err = gdbstub_listen_serve(spec, &gdb_session_target_ops, t, &cfg, &end);
    gdb_session_target_destroy(t);
    if (err < 0)
        return err;
    if (end != GDBSTUB_DETACHED && end != GDBSTUB_DISCONNECTED)
        return 0;
    /* gdb let go: the guest runs on to its end. */
    do
        err = session_continue(s, &why);
    while (err == 0 && why.reason != DSTOP_EXITED && why.reason != DSTOP_ERROR);
    print_stdout(NULL, why.line);
    print_stdout(NULL, "\n");
    return err == -VMS_ERR_SHUTDOWN ? 0 : err;
}
