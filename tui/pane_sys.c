/* pane_sys.c - events, devices, VMs and the pCPU timeline. */
#include "tui/pane_sys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

#define K(kind) (1u << EV_##kind)

const struct ev_preset pane_ev_presets[] = {
    { "all", 0 },
    { "exits", K(PIO) | K(MMIO) | K(HLT) | K(SHUTDOWN) | K(EXIT) },
    { "interrupts", K(EXCEPTION) | K(INJECT) | K(SOFTINT) | K(SYSCALL) },
    { "devices", K(DEVICE) },
    { "scheduler", K(SCHED) | K(VM_START) | K(EXIT) },
    { "cpu modes", K(MODE) | K(CR3) | K(SHUTDOWN) },
};
const unsigned pane_ev_preset_count = sizeof(pane_ev_presets) / sizeof(pane_ev_presets[0]);

/* ================================================================== events */

#define EV_SHOWN 256

struct events_pane {
    struct event ev[EV_SHOWN];
    int n;
};

static void *events_create(void)
{
    return calloc(1, sizeof(struct events_pane));
}

static void events_filter(struct tui *t, struct dbg_evfilter *f)
{
    *f = t->evfilter;
    if (!t->evfilter_text[0] && t->evpreset > 0)
        f->kinds = pane_ev_presets[t->evpreset].kinds;
}

static void events_update(struct pane *p, struct tui *t)
{
    struct events_pane *e = p->state;
    struct dbg_evfilter f;

    events_filter(t, &f);
    int n = session_events(t->s, &f, e->ev, EV_SHOWN);
    e->n = n < 0 ? 0 : n;
}

static enum scr_style event_style(const struct event *e)
{
    switch (e->kind) {
    case EV_EXCEPTION: case EV_SHUTDOWN: return STY_ERROR;
    case EV_INJECT: case EV_SOFTINT: case EV_SYSCALL: return STY_CHANGED;
    case EV_MODE: case EV_CR3: return STY_SYMBOL;
    case EV_SCHED: return STY_DIM;
    default: return STY_NORMAL;
    }
}

static void events_draw(struct pane *p, struct tui *t, struct canvas c)
{
    struct events_pane *e = p->state;
    int first = e->n - c.r.h - p->scroll;
    char buf[200];

    (void)t;
    if (first < 0)
        first = 0;
    for (int y = 0; y < c.r.h && first + y < e->n; y++) {
        const struct event *ev = &e->ev[first + y];
        dbg_event_format(ev, buf, sizeof(buf));
        cv_text(c, 0, y, -1, event_style(ev), buf);
    }
    if (e->n == 0)
        cv_text(c, 0, 0, -1, STY_DIM, "(no events match)");
}

static bool events_key(struct pane *p, struct tui *t, enum tui_action a)
{
    struct events_pane *e = p->state;
    int max = e->n - p->rows;

    switch (a) {
    case ACT_FILTER:
        t->evfilter_text[0] = '\0';
        dbg_evfilter_any(&t->evfilter);
        t->evpreset = (t->evpreset + 1) % (int)pane_ev_preset_count;
        p->scroll = 0;
        events_update(p, t);
        return true;
    case ACT_UP: p->scroll++; break;
    case ACT_DOWN: p->scroll--; break;
    case ACT_PAGE_UP: p->scroll += p->rows - 1; break;
    case ACT_PAGE_DOWN: p->scroll -= p->rows - 1; break;
    case ACT_TOP: p->scroll = max; break;
    case ACT_BOTTOM: p->scroll = 0; break;
    default: return false;
    }
    if (p->scroll > max)
        p->scroll = max;
    if (p->scroll < 0)
        p->scroll = 0;
    return true;
}

static void events_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    (void)p;
    snprintf(buf, len, "%s (e: filter)", t->evfilter_text[0] ? t->evfilter_text
             : pane_ev_presets[t->evpreset].name);
}

const struct pane_ops pane_events_ops = {
    .name = "events", .title = "Events", .create = events_create, .destroy = free,
    .update = events_update, .draw = events_draw, .key = events_key,
    .subtitle = events_subtitle,
};

/* ================================================================= devices */

#define DEV_MAX 32

struct devices_pane {
    struct dbg_device d[DEV_MAX];
    int n;
    char detail[2048];          /* `info device NAME` output */
    char name[32];
};

static void *devices_create(void)
{
    return calloc(1, sizeof(struct devices_pane));
}

/* Until the student selects one, show the device with the most traffic. */
static int busiest(const struct devices_pane *d)
{
    int best = 0;

    for (int i = 1; i < d->n; i++)
        if (d->d[i].reads + d->d[i].writes > d->d[best].reads + d->d[best].writes)
            best = i;
    return best;
}

static void devices_update(struct pane *p, struct tui *t)
{
    struct devices_pane *d = p->state;
    struct dbg_outbuf ob;
    char cmd[64];
    int n = session_devices(t->s, d->d, DEV_MAX);

    d->n = n < 0 ? 0 : n;
    if (p->sel >= d->n)
        p->sel = d->n - 1;
    d->name[0] = d->detail[0] = '\0';
    if (t->device[0])
        snprintf(d->name, sizeof(d->name), "%s", t->device);
    else if (d->n)
        snprintf(d->name, sizeof(d->name), "%s", d->d[p->sel >= 0 ? p->sel : busiest(d)].name);
    if (!d->name[0])
        return;
    dbg_outbuf_init(&ob);
    snprintf(cmd, sizeof(cmd), "info device %s", d->name);
    if (session_exec(t->s, cmd, &ob.out) >= 0 && ob.text)
        snprintf(d->detail, sizeof(d->detail), "%s", ob.text);
    dbg_outbuf_fini(&ob);
}

static void devices_draw(struct pane *p, struct tui *t, struct canvas c)
{
    struct devices_pane *d = p->state;
    char buf[128];
    int y = 0;

    (void)t;
    cv_text(c, 0, y++, -1, STY_LABEL, "device     space range          reads  writes events");
    for (int i = 0; i < d->n && y < c.r.h; i++, y++) {
        const struct dbg_device *v = &d->d[i];
        char range[40];
        snprintf(range, sizeof(range), "%" PRIx64 "-%" PRIx64, v->base, v->base + v->len - 1);
        snprintf(buf, sizeof(buf), "%-10.10s %-5s %-13s %6" PRIu64 " %7" PRIu64 " %6u", v->name,
                 v->space == BUS_PIO ? "pio" : "mmio", range, v->reads, v->writes, v->nevents);
        cv_text(c, 0, y, -1, !strcmp(v->name, d->name) ? STY_SELECT : STY_NORMAL, buf);
    }
    if (!d->detail[0] || y + 1 >= c.r.h)
        return;
    y++;
    struct canvas rest = canvas_sub(c, (struct rect){ 0, y, c.r.w, c.r.h - y });
    pane_wrap(rest, 0, 0, STY_NORMAL, d->detail);
}

static bool devices_key(struct pane *p, struct tui *t, enum tui_action a)
{
    struct devices_pane *d = p->state;

    if (a != ACT_UP && a != ACT_DOWN)
        return false;
    t->device[0] = '\0';
    p->sel = (p->sel < 0 ? busiest(d) : p->sel) + (a == ACT_DOWN ? 1 : -1);
    if (p->sel >= d->n)
        p->sel = d->n - 1;
    if (p->sel < 0)
        p->sel = 0;
    devices_update(p, t);
    return true;
}

static void devices_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    (void)t;
    snprintf(buf, len, "%s (Up/Down: select)", ((struct devices_pane *)p->state)->name);
}

const struct pane_ops pane_devices_ops = {
    .name = "devices", .title = "Devices", .create = devices_create, .destroy = free,
    .update = devices_update, .draw = devices_draw, .key = devices_key,
    .subtitle = devices_subtitle,
};

/* ===================================================== VMs and the timeline */

#define VMS_MAX 16
#define VCPUS_MAX 64
#define SCHED_EVENTS 512

struct vms_pane {
    struct dbg_sched_info sched;
    struct dbg_vm_info vm[VMS_MAX];
    struct dbg_vcpu_info vcpu[VCPUS_MAX];
    int nvm, nvcpu;
    struct event sched_ev[SCHED_EVENTS];
    int nsched;
};

static void *vms_create(void)
{
    return calloc(1, sizeof(struct vms_pane));
}

static void vms_update(struct pane *p, struct tui *t)
{
    struct vms_pane *v = p->state;
    struct dbg_evfilter f;

    if (session_sched(t->s, &v->sched) < 0)
        memset(&v->sched, 0, sizeof(v->sched));
    v->nvm = session_vms(t->s, v->vm, VMS_MAX);
    v->nvcpu = session_vcpus(t->s, v->vcpu, VCPUS_MAX);
    dbg_evfilter_any(&f);
    f.kinds = 1u << EV_SCHED;
    v->nsched = session_events(t->s, &f, v->sched_ev, SCHED_EVENTS);
    if (v->nvm < 0) v->nvm = 0;
    if (v->nvcpu < 0) v->nvcpu = 0;
    if (v->nsched < 0) v->nsched = 0;
}

static int draw_vm_table(struct canvas c, int y, const struct vms_pane *v)
{
    char buf[200];

    for (int i = 0; i < v->nvm && y < c.r.h; i++) {
        const struct dbg_vm_info *vm = &v->vm[i];
        snprintf(buf, sizeof(buf), "%-5s %-9s %4" PRIu64 " MiB %12" PRIu64 " insns  t=%" PRIu64
                 " us  %s", vm->name, vm_state_name(vm->state), vm->mem >> 20, vm->insns,
                 vm->vtime / 1000, vm->state == VM_RUNNING ? "" : vm->reason);
        cv_text(c, 0, y++, -1, vm->state == VM_RUNNING ? STY_OK : STY_ERROR, buf);
        for (int k = 0; k < v->nvcpu && y < c.r.h; k++) {
            const struct dbg_vcpu_info *cpu = &v->vcpu[k];
            if (cpu->vm != vm->index)
                continue;
            snprintf(buf, sizeof(buf), "  %s vcpu%u %-7s %-8s pc %08" PRIx64 " %10" PRIu64
                     " insns %8" PRIu64 " exits", cpu->current ? ">" : " ", cpu->index,
                     x86_mode_name(cpu->mode), cpu->halted ? "halted" : cpu->scheduled
                     ? "on pcpu" : cpu->runnable ? "ready" : "waiting", cpu->pc, cpu->insns,
                     cpu->exits);
            cv_text(c, 0, y++, -1, cpu->current ? STY_CURRENT : STY_NORMAL, buf);
        }
    }
    return y;
}

/* The vCPU of a slice as one character: 0-9 a-z by VM, so a row of them
 * reads as "who ran here". */
static uint32_t slice_char(const struct event *e)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    return (uint32_t)digits[e->vm % 36];
}

static const enum scr_style vm_styles[] = { STY_OK, STY_CHANGED, STY_SYMBOL, STY_LABEL,
                                            STY_BREAK, STY_TITLE };

/* One row per simulated pCPU: the last slices it ran, newest right. */
static int draw_timeline(struct canvas c, int y, const struct vms_pane *v)
{
    int width = c.r.w - 8;
    unsigned npcpu = v->sched.npcpu ? v->sched.npcpu : 1;

    if (y + 1 >= c.r.h || width < 8)
        return y;
    cv_text(c, 0, y++, -1, STY_LABEL, "timeline: which VM's vCPU ran on each pCPU, newest right");
    for (unsigned pc = 0; pc < npcpu && y < c.r.h; pc++, y++) {
        int x = 8 + width - 1;
        cv_printf(c, 0, y, STY_LABEL, "pcpu%-2u", pc);
        for (int i = v->nsched - 1; i >= 0 && x >= 8; i--) {
            const struct event *e = &v->sched_ev[i];
            if (e->pcpu != pc)
                continue;
            cv_put(c, x--, y, slice_char(e), vm_styles[e->vm % 6]);
        }
    }
    return y;
}

static void vms_draw(struct pane *p, struct tui *t, struct canvas c)
{
    struct vms_pane *v = p->state;
    char buf[160];
    int y = 0;

    (void)t;
    snprintf(buf, sizeof(buf), "scheduler %s: %u pCPU(s), %u VM(s), %u vCPU(s), quantum %"
             PRIu64 " us, %" PRIu64 " rounds, host t=%" PRIu64 " us", v->sched.policy,
             v->sched.npcpu, v->sched.nvm, v->sched.nvcpu, v->sched.quantum / 1000,
             v->sched.rounds, v->sched.now / 1000);
    cv_text(c, 0, y++, -1, STY_TITLE, buf);
    y = draw_vm_table(c, y, v);
    draw_timeline(c, y + 1, v);
}

const struct pane_ops pane_vms_ops = {
    .name = "vms", .title = "VMs and vCPUs", .create = vms_create, .destroy = free,
    .update = vms_update, .draw = vms_draw,
};
