/* gdb_target_vm.c - gdb_target_ops over one VM of a hypervisor (see
 * gdb_target_vm.h).  Continue runs hv_round(), which ends a round at a
 * debug exit (VEXIT_BREAK/WATCH/STEP, hv->dbg_*); breakpoints and
 * watchpoints are the engine's (vcpu_ops.set_debug), on linear addresses.
 */
#include "gdb_target_vm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine/paging.h"

#define GVT_MAX_BP 64
#define GVT_POLL_NS 20000000ull       /* run at most ~20 ms per poll() */
#define GVT_SIGSEGV 11                 /* gdb's number for SIGSEGV */
#define GVT_SIGKILL 9
#define GVT_KILLED_STATUS 130          /* process status when gdb kills the guest */

struct gvt_bp {
    enum gdb_bp_type type;
    uint64_t addr, len;
};

struct gdb_vm_target {
    struct hv *hv;
    struct vm *vm;
    struct gvt_bp bp[GVT_MAX_BP];
    unsigned nbp;
    struct vcpu *stepping;     /* the vCPU being single-stepped, or NULL */
    int idle_step;             /* >= 0: stepping this vCPU, which cannot run
                                  (an AP waiting for INIT/SIPI): report at once */
    volatile sig_atomic_t intr;
    bool fault_reported;       /* a FAULT stop was sent for the VM's end */
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct vcpu *cpu(struct gdb_vm_target *t, unsigned n)
{
    return n < t->vm->nvcpu ? t->vm->vcpu[n] : NULL;
}

static unsigned gvt_ncpus(void *tp)
{
    struct gdb_vm_target *t = tp;
    return t->vm->nvcpu;
}

static int gvt_get_state(void *tp, unsigned n, struct cpu_state *s)
{
    struct vcpu *v = cpu(tp, n);
    return v ? v->ops->get_state(v, s) : -VMS_ERR_INVAL;
}

static int gvt_set_state(void *tp, unsigned n, const struct cpu_state *s)
{
    struct vcpu *v = cpu(tp, n);
    return v ? v->ops->set_state(v, s) : -VMS_ERR_INVAL;
}

/* ---- memory: the CPU's view, with the debugger's rights ---- */

/* A copy of @n's state for debugger accesses: a debugger reads user pages
 * from kernel code (no SMAP) and writes read-only pages (no CR0.WP). */
static int debug_view(struct gdb_vm_target *t, unsigned n, struct cpu_state *s)
{
    int err = gvt_get_state(t, n, s);
    if (err < 0)
        return err;
    s->cr4 &= ~(CR4_SMAP | CR4_SMEP);
    s->cr0 &= ~CR0_WP;
    s->rflags |= RFLAGS_AC;
    return 0;
}

#define PAGE 4096ull

static int gvt_read_mem(void *tp, unsigned n, uint64_t addr, void *buf, size_t len)
{
    struct gdb_vm_target *t = tp;
    struct cpu_state s;
    size_t done = 0;

    if (debug_view(t, n, &s) < 0)
        return -VMS_ERR_INVAL;
    /* Page by page: a read stops at the first unmapped or non-RAM page
     * (never an MMIO access: reading a device register could change it). */
    while (done < len) {
        uint64_t va = addr + done;
        size_t chunk = (size_t)(PAGE - (va & (PAGE - 1)));
        if (chunk > len - done)
            chunk = len - done;
        if (!pg_read_linear(&s, &t->vm->mem, va, (uint8_t *)buf + done, chunk, 0, NULL))
            break;
        done += chunk;
    }
    return (int)done;
}

/* Tell every engine which guest-physical bytes the host wrote. */
static void note_written(struct gdb_vm_target *t, const struct cpu_state *s, uint64_t addr,
                         size_t len)
{
    for (size_t done = 0; done < len;) {
        uint64_t va = addr + done;
        size_t chunk = (size_t)(PAGE - (va & (PAGE - 1)));
        struct pg_walk w;
        if (chunk > len - done)
            chunk = len - done;
        if (pg_translate(s, &t->vm->mem, va, 0, &w))
            for (unsigned i = 0; i < t->vm->nvcpu; i++)
                t->vm->vcpu[i]->ops->mem_written(t->vm->vcpu[i], w.pa, chunk);
        done += chunk;
    }
}

static int gvt_write_mem(void *tp, unsigned n, uint64_t addr, const void *buf, size_t len)
{
    struct gdb_vm_target *t = tp;
    struct cpu_state s;

    if (debug_view(t, n, &s) < 0)
        return -VMS_ERR_INVAL;
    /* pg_write_linear translates every page first: all or nothing. */
    if (!pg_write_linear(&s, &t->vm->mem, addr, buf, len, 0, NULL))
        return -VMS_ERR_FAULT;
    note_written(t, &s, addr, len);
    return 0;
}

/* ---- breakpoints ---- */

static unsigned watch_kind(enum gdb_bp_type type)
{
    static const unsigned kinds[] = {
        [GDB_WP_WRITE] = WATCH_WRITE, [GDB_WP_READ] = WATCH_READ,
        [GDB_WP_ACCESS] = WATCH_ACCESS,
    };
    return kinds[type];
}

/* Give every vCPU of the VM the current list. */
static int push_debug(struct gdb_vm_target *t)
{
    struct vcpu_debug d;

    memset(&d, 0, sizeof(d));
    for (unsigned i = 0; i < t->nbp; i++) {
        const struct gvt_bp *b = &t->bp[i];
        if (b->type <= GDB_BP_HW) {
            if (d.nbreak == VCPU_MAX_BREAK)
                return -VMS_ERR_RANGE;
            d.brk[d.nbreak++] = b->addr;
        } else {
            if (d.nwatch == VCPU_MAX_WATCH)
                return -VMS_ERR_RANGE;
            d.watch[d.nwatch++] = (struct vcpu_watch){ .addr = b->addr, .len = b->len,
                                                       .kind = watch_kind(b->type) };
        }
    }
    for (unsigned i = 0; i < t->vm->nvcpu; i++) {
        struct vcpu *v = t->vm->vcpu[i];
        int err = v->ops->set_debug(v, &d);
        if (err < 0)
            return err;
    }
    return 0;
}

static int find_bp(const struct gdb_vm_target *t, enum gdb_bp_type type, uint64_t addr,
                   uint64_t len)
{
    for (unsigned i = 0; i < t->nbp; i++)
        if (t->bp[i].type == type && t->bp[i].addr == addr &&
            (type <= GDB_BP_HW || t->bp[i].len == len))
            return (int)i;
    return -1;
}

static int gvt_set_break(void *tp, enum gdb_bp_type type, uint64_t addr, uint64_t len,
                         bool insert)
{
    struct gdb_vm_target *t = tp;

    if (!t->vm->vcpu[0]->ops->set_debug)
        return -VMS_ERR_UNSUPPORTED;
    int i = find_bp(t, type, addr, len);
    if (!insert) {
        if (i < 0)
            return 0;                  /* removing what is not there is fine */
        t->bp[i] = t->bp[--t->nbp];
        return push_debug(t);
    }
    if (i >= 0)
        return 0;
    if (t->nbp == GVT_MAX_BP)
        return -VMS_ERR_RANGE;
    t->bp[t->nbp++] = (struct gvt_bp){ .type = type, .addr = addr, .len = len };
    int err = push_debug(t);
    if (err < 0) {
        t->nbp--;
        push_debug(t);
    }
    return err;
}

/* ---- execution ---- */

static int gvt_resume(void *tp, int step_cpu)
{
    struct gdb_vm_target *t = tp;

    hv_dbg_clear(t->hv);
    t->hv->stop = 0;
    t->intr = 0;
    t->stepping = NULL;
    t->idle_step = -1;
    if (step_cpu >= 0) {
        struct vcpu *v = cpu(t, (unsigned)step_cpu);
        if (!v)
            return -VMS_ERR_INVAL;
        t->idle_step = v->runnable ? -1 : step_cpu;
        if (t->idle_step >= 0)
            return 0;
        int err = v->ops->set_step(v, true);
        if (err < 0)
            return err;
        t->stepping = v;
    }
    return 0;
}

static void end_step(struct gdb_vm_target *t)
{
    if (t->stepping)
        t->stepping->ops->set_step(t->stepping, false);
    t->stepping = NULL;
}

/* The VM has stopped for good: the first report of a failure lets gdb
 * look at the state (a signal); the next resume reports it dead. */
static void report_end(struct gdb_vm_target *t, struct gdb_stop *s)
{
    struct vm *vm = t->vm;

    snprintf(s->why, sizeof(s->why), "%s", vm->reason);
    if (vm->state == VM_EXITED || vm->state == VM_HALTED) {
        s->kind = GDB_STOP_EXITED;
        s->status = vm->state == VM_EXITED ? vm->exit_status : 0;
        return;
    }
    s->kind = t->fault_reported ? GDB_STOP_KILLED : GDB_STOP_FAULT;
    s->status = vm->state == VM_LIMIT ? GVT_SIGKILL : GVT_SIGSEGV;
    t->fault_reported = true;
}

static unsigned cpu_index(struct gdb_vm_target *t, const struct vcpu *v)
{
    for (unsigned i = 0; i < t->vm->nvcpu; i++)
        if (t->vm->vcpu[i] == v)
            return i;
    return 0;
}

/* What the round's debug exit means for gdb. */
static void report_exit(struct gdb_vm_target *t, struct vcpu *v, const struct vcpu_exit *ex,
                        struct gdb_stop *s)
{
    s->cpu = cpu_index(t, v);
    switch (ex->kind) {
    case VEXIT_BREAK:
        s->kind = GDB_STOP_BREAK;
        s->type = find_bp(t, GDB_BP_HW, ex->rip, 1) >= 0 && find_bp(t, GDB_BP_SW, ex->rip, 1) < 0
                      ? GDB_BP_HW : GDB_BP_SW;
        snprintf(s->why, sizeof(s->why), "breakpoint (RIP %#llx)", (unsigned long long)ex->rip);
        return;
    case VEXIT_WATCH:
        s->kind = GDB_STOP_WATCH;
        s->addr = ex->addr;
        s->type = ex->write ? GDB_WP_WRITE : GDB_WP_READ;
        for (unsigned i = 0; i < t->nbp; i++)
            if (t->bp[i].type >= GDB_WP_WRITE && ex->addr >= t->bp[i].addr &&
                ex->addr < t->bp[i].addr + t->bp[i].len)
                s->type = t->bp[i].type;
        snprintf(s->why, sizeof(s->why), "watchpoint: %u-byte %s at %#llx", ex->size,
                 ex->write ? "write" : "read", (unsigned long long)ex->addr);
        return;
    default:
        s->kind = GDB_STOP_STEP;
        snprintf(s->why, sizeof(s->why), "single step");
        return;
    }
}

static int gvt_poll(void *tp, struct gdb_stop *s)
{
    struct gdb_vm_target *t = tp;
    struct hv *hv = t->hv;
    double start = now_ns();

    memset(s, 0, sizeof(*s));
    if (t->idle_step >= 0) {
        s->kind = GDB_STOP_STEP;
        s->cpu = (unsigned)t->idle_step;
        t->idle_step = -1;
        snprintf(s->why, sizeof(s->why), "that vCPU is not started (waiting for INIT/SIPI)");
        return 1;
    }
    do {
        if (t->vm->state != VM_RUNNING) {
            report_end(t, s);
            break;
        }
        if (t->intr || hv->stop) {
            s->kind = GDB_STOP_INTERRUPT;
            s->cpu = t->stepping ? cpu_index(t, t->stepping) : 0;
            snprintf(s->why, sizeof(s->why), "interrupted");
            break;
        }
        hv_round(hv);
        if (hv->dbg_stop && hv->dbg_vcpu && hv->dbg_vcpu->vm == t->vm) {
            report_exit(t, hv->dbg_vcpu, &hv->dbg_exit, s);
            break;
        }
        hv_dbg_clear(hv);              /* another VM's exit: run on */
    } while (now_ns() - start < GVT_POLL_NS);
    if (s->kind == GDB_STOP_NONE)
        return 0;
    end_step(t);
    return 1;
}

static void gvt_interrupt(void *tp)
{
    struct gdb_vm_target *t = tp;
    t->intr = 1;
}

static void gvt_detach(void *tp, bool kill)
{
    struct gdb_vm_target *t = tp;

    end_step(t);
    t->nbp = 0;
    if (t->vm->vcpu[0]->ops->set_debug)
        push_debug(t);
    hv_dbg_clear(t->hv);
    if (kill)
        vm_stop(t->vm, VM_LIMIT, GVT_KILLED_STATUS, "%s: killed by gdb", t->vm->name);
}

const struct gdb_target_ops gdb_vm_target_ops = {
    .ncpus = gvt_ncpus,
    .get_state = gvt_get_state,
    .set_state = gvt_set_state,
    .read_mem = gvt_read_mem,
    .write_mem = gvt_write_mem,
    .set_break = gvt_set_break,
    .resume = gvt_resume,
    .poll = gvt_poll,
    .interrupt = gvt_interrupt,
    .monitor = NULL,
    .detach = gvt_detach,
};

int gdb_vm_target_create(struct gdb_vm_target **out, struct hv *hv, struct vm *vm)
{
    struct gdb_vm_target *t = calloc(1, sizeof(*t));

    if (!t)
        return -VMS_ERR_NOMEM;
    t->hv = hv;
    t->vm = vm;
    t->idle_step = -1;
    *out = t;
    return 0;
}

void gdb_vm_target_destroy(struct gdb_vm_target *t)
{
    free(t);
}
