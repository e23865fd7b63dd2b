/* lapic.c - local APIC (xAPIC) per vCPU and the APIC bus (see lapic.h).
 * Section numbers refer to Intel SDM Vol. 3A chapter 10. */
#include "lapic.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Writable bits of each LVT entry (Figure 10-8): vector, delivery mode,
 * polarity, trigger, mask; timer: vector, mask, periodic mode. */
static const uint32_t lvt_writable[LVT_N] = {
    [LVT_TIMER]   = 0x000300FFu,
    [LVT_THERMAL] = 0x000107FFu,
    [LVT_PERF]    = 0x000107FFu,
    [LVT_LINT0]   = 0x0001A7FFu,
    [LVT_LINT1]   = 0x0001A7FFu,
    [LVT_ERROR]   = 0x000100FFu,
};

static const char *const lvt_names[LVT_N] = {
    "LVT_TIMER", "LVT_THERMAL", "LVT_PERF", "LVT_LINT0", "LVT_LINT1", "LVT_ERROR",
};

static const char *const dm_names[8] = {
    "fixed", "lowest", "SMI", "dm3", "NMI", "INIT", "STARTUP", "ExtINT",
};

static const char *const sh_names[4] = { "", " self", " all", " all-but-self" };

#define ICR_LO_WRITABLE  0x000CCFFFu  /* vector, mode, dest mode, level, trigger, shorthand */
#define APIC_ID_MASK     0xFF000000u  /* xAPIC ID / LDR / ICR destination: bits 31:24 */
#define DFR_MODEL_MASK   0xF0000000u  /* 1111b flat, 0000b cluster (10.6.2.2) */
#define DFR_RESERVED     0x0FFFFFFFu  /* read as ones */
#define SVR_WRITABLE     0x000003FFu
#define DCR_WRITABLE     0x0000000Bu  /* bits 0, 1, 3 */
#define LINT0_VIRTUAL_WIRE 0x00000700u /* ExtINT, unmasked (MP spec 3.6.2.2) */
/* A periodic timer never interrupts more often than this (virtual ns):
 * a period of one count would otherwise cut the vCPU's budget to one
 * instruction.  The current-count register still counts every tick. */
#define TIMER_MIN_PERIOD_NS 1000u

static void lapic_event(const struct lapic *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void lapic_event(const struct lapic *l, const char *fmt, ...)
{
    va_list ap;

    if (!l->ctx.ev)
        return;
    va_start(ap, fmt);
    dev_eventv(&l->ctx, l->name, fmt, ap);
    va_end(ap);
}

/* ---- 256-bit vector sets (IRR, ISR, TMR: 8 registers of 32 bits) ---- */

static void vset(uint32_t *a, unsigned v)   { a[v >> 5] |= 1u << (v & 31); }
static void vclear(uint32_t *a, unsigned v) { a[v >> 5] &= ~(1u << (v & 31)); }
static bool vtest(const uint32_t *a, unsigned v) { return a[v >> 5] & (1u << (v & 31)); }

static int vhighest(const uint32_t *a)
{
    for (int i = 7; i >= 0; i--)
        if (a[i])
            return i * 32 + 31 - __builtin_clz(a[i]);
    return -1;
}

/* ---- bus ---- */

void apic_bus_init(struct apic_bus *b, const struct apic_bus_hooks *hooks, void *opaque)
{
    memset(b, 0, sizeof(*b));
    b->hooks = hooks;
    b->opaque = opaque;
}

static void bus_kick(struct lapic *l)
{
    if (l->bus && l->bus->hooks && l->bus->hooks->kick)
        l->bus->hooks->kick(l->bus->opaque, l->index);
}

/* ---- priorities (10.8.3.1) ---- */

uint32_t lapic_ppr(const struct lapic *l)
{
    int isrv = vhighest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;

    return (l->tpr & 0xF0) >= isr_class ? l->tpr & 0xFF : isr_class;
}

bool lapic_nmi_pending(const struct lapic *l)
{
    return l->nmi_pending && !l->wait_sipi;
}

void lapic_nmi_ack(struct lapic *l)
{
    l->nmi_pending = false;
}

bool lapic_pending(const struct lapic *l)
{
    int irrv = vhighest(l->irr);

    if (irrv < 0 || !(l->svr & APIC_SVR_ENABLE))
        return false;
    return ((uint32_t)irrv & 0xF0) > (lapic_ppr(l) & 0xF0);
}

int lapic_ack(struct lapic *l)
{
    if (!lapic_pending(l))
        return -1;
    int v = vhighest(l->irr);
    vclear(l->irr, (unsigned)v);
    vset(l->isr, (unsigned)v);
    return v;
}

bool lapic_accepts_pic(const struct lapic *l)
{
    uint32_t lint0 = l->lvt[LVT_LINT0];

    return !(lint0 & APIC_LVT_MASKED) &&
           ((lint0 & APIC_DM_MASK) >> APIC_DM_SHIFT) == APIC_DM_EXTINT;
}

/* ---- errors (10.5.3) ---- */

static void lapic_error(struct lapic *l, uint32_t bits)
{
    uint32_t lvt = l->lvt[LVT_ERROR];

    l->esr_pending |= bits;
    /* An error vector below 16 would itself be an illegal vector: do not
     * recurse, the bits are recorded. */
    if (!(lvt & APIC_LVT_MASKED) && (lvt & APIC_VECTOR) >= 16)
        lapic_accept(l, (uint8_t)(lvt & APIC_VECTOR), false);
}

/* ---- accepting interrupts (10.8.4) ---- */

void lapic_accept(struct lapic *l, uint8_t vector, bool level)
{
    if (vector < 16) {
        lapic_error(l, APIC_ESR_RECV_ILLEGAL);
        return;
    }
    vset(l->irr, vector);
    if (level)
        vset(l->tmr, vector);
    else
        vclear(l->tmr, vector);
    bus_kick(l);
}

/* ---- timer (10.5.4) ---- */

unsigned lapic_divisor(uint32_t dcr)
{
    /* Bits 3,1,0: 000 -> 2, 001 -> 4, ... 110 -> 128, 111 -> 1. */
    unsigned code = (dcr & 3) | ((dcr & 8) >> 1);
    return 1u << ((code + 1) & 7);
}

static uint64_t timer_tick_ns(const struct lapic *l)
{
    return lapic_divisor(l->timer_dcr) * (1000000000ull / LAPIC_BUS_HZ);
}

static uint64_t timer_elapsed_ticks(const struct lapic *l)
{
    int64_t elapsed = (int64_t)dev_now(&l->ctx) - l->timer_start;
    return elapsed > 0 ? (uint64_t)elapsed / timer_tick_ns(l) : 0;
}

uint32_t lapic_timer_count(const struct lapic *l)
{
    uint64_t ticks = timer_elapsed_ticks(l);

    if (l->timer_initial == 0)
        return 0;
    if (l->lvt[LVT_TIMER] & APIC_TIMER_PERIODIC)
        return (uint32_t)(l->timer_initial - ticks % l->timer_initial);
    return ticks >= l->timer_initial ? 0 : (uint32_t)(l->timer_initial - ticks);
}

/* Arm the vtimer for the next interrupt the timer will raise, if any.
 * The CPU is kicked so that the run loop sizes its next run to the new
 * deadline (a run in progress was sized to the old one). */
static void timer_arm(struct lapic *l)
{
    struct vclock *c = l->ctx.clock;
    uint64_t period = (uint64_t)l->timer_initial * timer_tick_ns(l);
    int64_t now = (int64_t)vclock_now(c);

    vtimer_cancel(c, &l->timer);
    if (!l->timer_initial || (l->lvt[LVT_TIMER] & APIC_LVT_MASKED))
        return;   /* the count runs on; nothing to deliver */
    if (!(l->lvt[LVT_TIMER] & APIC_TIMER_PERIODIC)) {
        int64_t end = l->timer_start + (int64_t)period;
        if (end > now) {
            vtimer_arm(c, &l->timer, (uint64_t)end);
            bus_kick(l);
        }
        return;
    }
    uint64_t step = period;
    while (step < TIMER_MIN_PERIOD_NS)
        step += period;
    uint64_t k = (uint64_t)(now - l->timer_start) / step + 1;
    vtimer_arm(c, &l->timer, (uint64_t)(l->timer_start + (int64_t)(k * step)));
    bus_kick(l);
}

static void timer_fire(void *opaque, uint64_t when)
{
    struct lapic *l = opaque;
    uint32_t lvt = l->lvt[LVT_TIMER];

    (void)when;
    if (!(lvt & APIC_LVT_MASKED)) {
        l->timer_fired++;
        lapic_accept(l, (uint8_t)(lvt & APIC_VECTOR), false);
    }
    if (lvt & APIC_TIMER_PERIODIC)
        timer_arm(l);
}

static void timer_load(struct lapic *l, uint32_t initial)
{
    l->timer_initial = initial;
    l->timer_start = (int64_t)dev_now(&l->ctx);
    timer_arm(l);
}

/* A new divisor keeps the current count and counts on at the new rate. */
static void timer_set_dcr(struct lapic *l, uint32_t dcr)
{
    uint32_t cur = lapic_timer_count(l);
    int64_t now = (int64_t)dev_now(&l->ctx);

    l->timer_dcr = dcr & DCR_WRITABLE;
    if (l->timer_initial) {
        uint64_t done = cur ? l->timer_initial - cur : l->timer_initial;
        l->timer_start = now - (int64_t)(done * timer_tick_ns(l));
    }
    timer_arm(l);
}

/* ---- reset ---- */

void lapic_reset(struct lapic *l)
{
    l->tpr = 0;
    l->ldr = 0;
    l->dfr = 0xFFFFFFFFu;
    l->svr = 0xFF;
    l->esr = l->esr_pending = 0;
    memset(l->irr, 0, sizeof(l->irr));
    memset(l->isr, 0, sizeof(l->isr));
    memset(l->tmr, 0, sizeof(l->tmr));
    for (int i = 0; i < LVT_N; i++)
        l->lvt[i] = APIC_LVT_MASKED;
    if (l->bsp)
        l->lvt[LVT_LINT0] = LINT0_VIRTUAL_WIRE;
    l->icr_lo = l->icr_hi = 0;
    l->nmi_pending = false;
    l->timer_dcr = 0;
    l->timer_initial = 0;
    l->timer_start = (int64_t)dev_now(&l->ctx);
    if (l->ctx.clock)
        vtimer_cancel(l->ctx.clock, &l->timer);
}

int lapic_init(struct lapic *l, struct apic_bus *bus, unsigned index,
               const struct dev_ctx *ctx)
{
    if (!bus || index >= APIC_BUS_MAX || !ctx || !ctx->clock || bus->cpu[index])
        return -VMS_ERR_INVAL;
    memset(l, 0, sizeof(*l));
    l->bus = bus;
    l->ctx = *ctx;
    l->index = index;
    snprintf(l->name, sizeof(l->name), "lapic%u", index);
    l->bsp = index == 0;
    l->wait_sipi = !l->bsp;       /* APs wait for INIT/STARTUP at power-on */
    l->id = (uint32_t)index << 24;
    vtimer_init(&l->timer, timer_fire, l);
    lapic_reset(l);
    bus->cpu[index] = l;
    if (bus->n <= index)
        bus->n = index + 1;
    return 0;
}

void lapic_destroy(struct lapic *l)
{
    if (!l)
        return;
    if (l->ctx.clock)
        vtimer_cancel(l->ctx.clock, &l->timer);
    if (l->bus && l->index < APIC_BUS_MAX && l->bus->cpu[l->index] == l)
        l->bus->cpu[l->index] = NULL;
}

/* ---- message delivery (10.6) ---- */

/* Does @l's logical destination register match message destination
 * address @mda (10.6.2.2)? */
static bool logical_match(const struct lapic *l, uint8_t mda)
{
    uint8_t ld = (uint8_t)(l->ldr >> 24);

    if (mda == 0xFF)
        return true;
    if ((l->dfr & DFR_MODEL_MASK) == DFR_MODEL_MASK)   /* flat */
        return (ld & mda) != 0;
    /* cluster: high nibble is the cluster, low nibble a member bitmap */
    return (ld >> 4) == (mda >> 4) && (ld & mda & 0x0F) != 0;
}

static bool msg_targets(const struct lapic *l, const struct apic_msg *m)
{
    switch (m->shorthand) {
    case APIC_SH_SELF:   return (int)l->index == m->source;
    case APIC_SH_ALL:    return true;
    case APIC_SH_OTHERS: return (int)l->index != m->source;
    default: break;
    }
    if (m->logical)
        return logical_match(l, m->dest);
    return m->dest == 0xFF || m->dest == (uint8_t)(l->id >> 24);
}

static void deliver_init(struct lapic *l, const struct apic_msg *m)
{
    /* INIT level de-assert (level trigger, level bit 0) only resynchronises
     * arbitration IDs (10.6.1): nothing is reset. */
    if (m->level && !m->assert) {
        lapic_event(l, "INIT level de-assert (no effect)");
        return;
    }
    lapic_reset(l);
    l->wait_sipi = !l->bsp;
    lapic_event(l, "INIT: %s", l->bsp ? "reset" : "waiting for STARTUP");
    if (l->bus && l->bus->hooks && l->bus->hooks->init)
        l->bus->hooks->init(l->bus->opaque, l->index);
}

static void deliver_startup(struct lapic *l, const struct apic_msg *m)
{
    if (!l->wait_sipi) {   /* a running CPU ignores STARTUP (8.4.4.1) */
        lapic_event(l, "STARTUP %#04x ignored: not waiting", m->vector);
        return;
    }
    l->wait_sipi = false;
    lapic_event(l, "STARTUP %#04x: start at %04x:0000", m->vector, m->vector << 8);
    if (l->bus && l->bus->hooks && l->bus->hooks->startup)
        l->bus->hooks->startup(l->bus->opaque, l->index, m->vector);
}

static void deliver_one(struct lapic *l, const struct apic_msg *m)
{
    switch (m->mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        lapic_accept(l, m->vector, m->level);
        break;
    case APIC_DM_INIT:
        deliver_init(l, m);
        break;
    case APIC_DM_STARTUP:
        deliver_startup(l, m);
        break;
    case APIC_DM_NMI:
        /* Accepted even while the APIC is software-disabled (10.4.7.2);
         * a second one before the CPU takes the first is the same NMI. */
        lapic_event(l, "NMI%s", l->nmi_pending ? " (one already pending)" : "");
        l->nmi_pending = true;
        bus_kick(l);
        break;
    default:
        lapic_event(l, "%s message not delivered (not modelled)", dm_names[m->mode & 7]);
        break;
    }
}

/* Lowest-priority arbitration (10.6.2.4): the target with the lowest TPR
 * class; ties go to the lowest index (deterministic). */
static struct lapic *lowest_priority(struct apic_bus *b, const struct apic_msg *m)
{
    struct lapic *best = NULL;

    for (unsigned i = 0; i < b->n; i++) {
        struct lapic *l = b->cpu[i];
        if (l && msg_targets(l, m) && (!best || (l->tpr & 0xF0) < (best->tpr & 0xF0)))
            best = l;
    }
    return best;
}

void apic_bus_deliver(struct apic_bus *b, const struct apic_msg *m)
{
    if (m->mode == APIC_DM_LOWEST) {
        struct lapic *l = lowest_priority(b, m);
        if (l)
            deliver_one(l, m);
        return;
    }
    for (unsigned i = 0; i < b->n; i++)
        if (b->cpu[i] && msg_targets(b->cpu[i], m))
            deliver_one(b->cpu[i], m);
}

/* The guest wrote ICR low: send the IPI (10.6.1). */
static void send_ipi(struct lapic *l)
{
    uint32_t lo = l->icr_lo;
    struct apic_msg m = {
        .vector = (uint8_t)(lo & APIC_VECTOR),
        .mode = (uint8_t)((lo & APIC_DM_MASK) >> APIC_DM_SHIFT),
        .dest = (uint8_t)(l->icr_hi >> 24),
        .shorthand = (uint8_t)((lo & APIC_SH_MASK) >> APIC_SH_SHIFT),
        .logical = (lo & APIC_DEST_LOGICAL) != 0,
        .level = (lo & APIC_TRIGGER_LEVEL) != 0,
        .assert = (lo & APIC_ICR_ASSERT) != 0,
        .source = (int)l->index,
    };

    lapic_event(l, "ICR <- %08x:%08x %s vector %#04x dest %s%#04x%s", l->icr_hi, lo,
                dm_names[m.mode], m.vector, m.logical ? "logical " : "", m.dest,
                sh_names[m.shorthand]);
    if ((m.mode == APIC_DM_FIXED || m.mode == APIC_DM_LOWEST) && m.vector < 16) {
        lapic_error(l, APIC_ESR_SEND_ILLEGAL);
        return;
    }
    if (l->bus)
        apic_bus_deliver(l->bus, &m);
}

/* ---- register access ---- */

static void eoi(struct lapic *l)
{
    int v = vhighest(l->isr);

    if (v < 0)
        return;
    vclear(l->isr, (unsigned)v);
    if (vtest(l->tmr, (unsigned)v)) {
        lapic_event(l, "EOI vector %#04x (level: broadcast)", v);
        if (l->bus && l->bus->hooks && l->bus->hooks->eoi)
            l->bus->hooks->eoi(l->bus->opaque, (uint8_t)v);
    }
    bus_kick(l);   /* a lower-priority request may be deliverable now */
}

static uint32_t read_reg(struct lapic *l, unsigned reg)
{
    if (reg >= LAPIC_ISR && reg < LAPIC_ISR + 0x80)
        return l->isr[(reg - LAPIC_ISR) >> 4];
    if (reg >= LAPIC_TMR && reg < LAPIC_TMR + 0x80)
        return l->tmr[(reg - LAPIC_TMR) >> 4];
    if (reg >= LAPIC_IRR && reg < LAPIC_IRR + 0x80)
        return l->irr[(reg - LAPIC_IRR) >> 4];
    if (reg >= LAPIC_LVT_BASE && reg < LAPIC_LVT_BASE + LVT_N * 0x10)
        return l->lvt[(reg - LAPIC_LVT_BASE) >> 4];
    switch (reg) {
    case LAPIC_ID:        return l->id;
    case LAPIC_VER:       return LAPIC_VERSION;
    case LAPIC_TPR:       return l->tpr;
    case LAPIC_APR:       return 0;
    case LAPIC_PPR:       return lapic_ppr(l);
    case LAPIC_EOI:       return 0;
    case LAPIC_RRD:       return 0;
    case LAPIC_LDR:       return l->ldr;
    case LAPIC_DFR:       return l->dfr;
    case LAPIC_SVR:       return l->svr;
    case LAPIC_ESR:       return l->esr;
    case LAPIC_ICR_LO:    return l->icr_lo;   /* delivery status: idle */
    case LAPIC_ICR_HI:    return l->icr_hi;
    case LAPIC_TIMER_ICR: return l->timer_initial;
    case LAPIC_TIMER_CCR: return lapic_timer_count(l);
    case LAPIC_TIMER_DCR: return l->timer_dcr;
    default:
        lapic_error(l, APIC_ESR_ILLEGAL_REG);
        return 0;
    }
}

uint64_t lapic_read(struct lapic *l, uint64_t offset, unsigned size)
{
    unsigned reg = (unsigned)(offset & 0xFF0), byte = (unsigned)(offset & 0xF);

    if (offset >= LAPIC_MMIO_SIZE || byte >= 4)
        return 0;
    uint64_t v = read_reg(l, reg) >> (8 * byte);
    return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static void write_svr(struct lapic *l, uint32_t v)
{
    l->svr = v & SVR_WRITABLE;
    lapic_event(l, "SVR <- %#x (%s, spurious vector %#04x)", l->svr,
                (l->svr & APIC_SVR_ENABLE) ? "enabled" : "disabled", l->svr & 0xFF);
    if (!(l->svr & APIC_SVR_ENABLE)) {   /* 10.4.7.2: every LVT entry masked */
        for (int i = 0; i < LVT_N; i++)
            l->lvt[i] |= APIC_LVT_MASKED;
        timer_arm(l);
    }
    bus_kick(l);
}

static void write_lvt(struct lapic *l, enum lapic_lvt i, uint32_t v)
{
    v &= lvt_writable[i];
    if (!(l->svr & APIC_SVR_ENABLE))
        v |= APIC_LVT_MASKED;
    l->lvt[i] = v;
    lapic_event(l, "%s <- %#x (%s, vector %#04x%s)", lvt_names[i], l->lvt[i],
                i == LVT_TIMER ? ((v & APIC_TIMER_PERIODIC) ? "periodic" : "one-shot")
                               : dm_names[(v & APIC_DM_MASK) >> APIC_DM_SHIFT],
                v & APIC_VECTOR, (v & APIC_LVT_MASKED) ? ", masked" : "");
    if (i == LVT_TIMER)
        timer_arm(l);
    if (i == LVT_LINT0)
        bus_kick(l);   /* the 8259 may have been waiting for this CPU */
}

static void write_reg(struct lapic *l, unsigned reg, uint32_t v)
{
    if (reg >= LAPIC_LVT_BASE && reg < LAPIC_LVT_BASE + LVT_N * 0x10) {
        write_lvt(l, (enum lapic_lvt)((reg - LAPIC_LVT_BASE) >> 4), v);
        return;
    }
    switch (reg) {
    case LAPIC_ID:  l->id = v & APIC_ID_MASK; break;
    case LAPIC_TPR: l->tpr = v & 0xFF; bus_kick(l); break;
    case LAPIC_EOI: eoi(l); break;
    case LAPIC_LDR: l->ldr = v & APIC_ID_MASK; break;
    case LAPIC_DFR: l->dfr = (v & DFR_MODEL_MASK) | DFR_RESERVED; break;
    case LAPIC_SVR: write_svr(l, v); break;
    case LAPIC_ESR: l->esr = l->esr_pending; l->esr_pending = 0; break;
    case LAPIC_ICR_LO: l->icr_lo = v & ICR_LO_WRITABLE; send_ipi(l); break;
    case LAPIC_ICR_HI: l->icr_hi = v & APIC_ID_MASK; break;
    case LAPIC_TIMER_ICR:
        lapic_event(l, "timer initial count <- %u (divide by %u)", v,
                    lapic_divisor(l->timer_dcr));
        timer_load(l, v);
        break;
    case LAPIC_TIMER_DCR: timer_set_dcr(l, v); break;
    case LAPIC_VER: case LAPIC_APR: case LAPIC_PPR: case LAPIC_RRD:
    case LAPIC_TIMER_CCR:
        break;   /* read-only */
    default:
        if (reg >= LAPIC_ISR && reg < LAPIC_IRR + 0x80)
            break;   /* ISR, TMR, IRR: read-only */
        lapic_error(l, APIC_ESR_ILLEGAL_REG);
        break;
    }
}

void lapic_write(struct lapic *l, uint64_t offset, unsigned size, uint64_t value)
{
    /* Only whole, aligned 32-bit (or wider) stores are defined (10.4.1). */
    if (offset >= LAPIC_MMIO_SIZE || (offset & 0xF) || size < 4)
        return;
    write_reg(l, (unsigned)offset, (uint32_t)value);
}
