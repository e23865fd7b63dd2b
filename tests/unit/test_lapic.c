/* test_lapic.c - the local APIC against Intel SDM Vol. 3A chapter 10:
 * reset values, register masks, TPR/PPR and ISR priority, EOI, the timer
 * (every divide value, one-shot, periodic, masking, current count), the
 * ICR (fixed IPIs, physical/logical destinations, shorthands, lowest
 * priority, illegal vectors) and INIT/STARTUP semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/lapic.h"

#define NCPU 3

struct fixture {
    struct evstream ev;
    struct vclock clock;
    struct dev_ctx ctx;
    struct apic_bus bus;
    struct lapic l[NCPU];
    unsigned kicks[NCPU], inits[NCPU], startups[NCPU];
    int sipi_vector[NCPU];
    int eoi_vector;
    unsigned eois;
};

static void h_kick(void *o, unsigned cpu) { ((struct fixture *)o)->kicks[cpu]++; }
static void h_init(void *o, unsigned cpu) { ((struct fixture *)o)->inits[cpu]++; }
static void h_startup(void *o, unsigned cpu, uint8_t v)
{
    struct fixture *f = o;
    f->startups[cpu]++;
    f->sipi_vector[cpu] = v;
}
static void h_eoi(void *o, uint8_t v)
{
    struct fixture *f = o;
    f->eois++;
    f->eoi_vector = v;
}

static const struct apic_bus_hooks hooks = {
    .kick = h_kick, .init = h_init, .startup = h_startup, .eoi = h_eoi,
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    ev_init(&f->ev);
    vclock_init(&f->clock);
    f->ctx = (struct dev_ctx){ .ev = &f->ev, .clock = &f->clock };
    apic_bus_init(&f->bus, &hooks, f);
    for (unsigned i = 0; i < NCPU; i++)
        assert_int_equal(lapic_init(&f->l[i], &f->bus, i, &f->ctx), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (unsigned i = 0; i < NCPU; i++)
        lapic_destroy(&f->l[i]);
    test_free(f);
    return 0;
}

static uint32_t rd(struct lapic *l, unsigned reg) { return (uint32_t)lapic_read(l, reg, 4); }
static void wr(struct lapic *l, unsigned reg, uint32_t v) { lapic_write(l, reg, 4, v); }

static void enable(struct lapic *l) { wr(l, LAPIC_SVR, APIC_SVR_ENABLE | 0xFF); }

static void advance(struct fixture *f, uint64_t ns)
{
    vclock_advance_to(&f->clock, f->clock.now + ns);
}

/* ---- reset state (10.4.7.1) ---- */

static void test_reset_values(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(&f->l[0], LAPIC_ID), 0);
    assert_int_equal(rd(&f->l[2], LAPIC_ID), 2u << 24);
    assert_int_equal(rd(&f->l[1], LAPIC_VER), 0x00050014);
    assert_int_equal((rd(&f->l[1], LAPIC_VER) >> 16) & 0xFF, 5);   /* 6 LVT entries */
    assert_int_equal(rd(&f->l[0], LAPIC_SVR), 0xFF);
    assert_int_equal(rd(&f->l[0], LAPIC_DFR), 0xFFFFFFFF);
    assert_int_equal(rd(&f->l[0], LAPIC_LDR), 0);
    assert_int_equal(rd(&f->l[0], LAPIC_TPR), 0);
    for (unsigned i = 0; i < LVT_N; i++) {
        uint32_t want = (i == LVT_LINT0) ? 0x700 : APIC_LVT_MASKED;
        assert_int_equal(rd(&f->l[0], LAPIC_LVT_BASE + 0x10 * i), want);
        assert_int_equal(rd(&f->l[1], LAPIC_LVT_BASE + 0x10 * i), APIC_LVT_MASKED);
    }
    assert_true(lapic_accepts_pic(&f->l[0]));   /* BSP: virtual wire */
    assert_false(lapic_accepts_pic(&f->l[1]));
    assert_false(f->l[0].wait_sipi);
    assert_true(f->l[1].wait_sipi);
}

static void test_register_masks(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[1];

    enable(l);
    wr(l, LAPIC_ID, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_ID), 0xFF000000);
    wr(l, LAPIC_ID, 1u << 24);
    wr(l, LAPIC_TPR, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_TPR), 0xFF);
    wr(l, LAPIC_TPR, 0);
    wr(l, LAPIC_LDR, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_LDR), 0xFF000000);
    wr(l, LAPIC_DFR, 0);
    assert_int_equal(rd(l, LAPIC_DFR), 0x0FFFFFFF);   /* cluster model */
    wr(l, LAPIC_SVR, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_SVR), 0x3FF);
    wr(l, LAPIC_VER, 0);                               /* read-only */
    assert_int_equal(rd(l, LAPIC_VER), 0x00050014);
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_TIMER, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_LVT_BASE + 0x10 * LVT_TIMER), 0x000300FF);
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_LINT1, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_LVT_BASE + 0x10 * LVT_LINT1), 0x0001A7FF);  /* no remote IRR, status */
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_ERROR, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_LVT_BASE + 0x10 * LVT_ERROR), 0x000100FF);
    wr(l, LAPIC_TIMER_DCR, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_TIMER_DCR), 0xB);
    wr(l, LAPIC_ICR_HI, 0xFFFFFFFF);
    assert_int_equal(rd(l, LAPIC_ICR_HI), 0xFF000000);
    /* narrow reads return the bytes of the register */
    assert_int_equal(lapic_read(l, LAPIC_VER, 1), 0x14);
    assert_int_equal(lapic_read(l, LAPIC_VER + 2, 1), 0x05);
    assert_int_equal(lapic_read(l, LAPIC_VER + 4, 4), 0);
    /* narrow or unaligned writes are ignored */
    lapic_write(l, LAPIC_TPR, 1, 0x50);
    lapic_write(l, LAPIC_TPR + 4, 4, 0x50);
    assert_int_equal(rd(l, LAPIC_TPR), 0);
    /* out of the page: nothing */
    assert_int_equal(lapic_read(l, 0x1000, 4), 0);
    lapic_write(l, 0x5000, 4, 1);
}

static void test_illegal_register_sets_esr(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];

    enable(l);
    wr(l, LAPIC_ESR, 0);
    assert_int_equal(rd(l, LAPIC_ESR), 0);
    (void)rd(l, 0x3F0);                 /* reserved */
    assert_int_equal(rd(l, LAPIC_ESR), 0);   /* latched by the next write */
    wr(l, LAPIC_ESR, 0);
    assert_int_equal(rd(l, LAPIC_ESR), APIC_ESR_ILLEGAL_REG);
    wr(l, LAPIC_ESR, 0);
    assert_int_equal(rd(l, LAPIC_ESR), 0);
}

/* ---- priorities, ISR, EOI (10.8) ---- */

static void test_priority_and_eoi(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];

    assert_false(lapic_pending(l));
    lapic_accept(l, 0x31, false);
    assert_false(lapic_pending(l));           /* software-disabled */
    enable(l);
    assert_true(lapic_pending(l));
    lapic_accept(l, 0x52, false);
    lapic_accept(l, 0x41, true);
    assert_int_equal(rd(l, LAPIC_IRR + 0x10 * (0x52 / 32)) & (1u << (0x52 % 32)), 1u << (0x52 % 32));
    assert_int_equal(rd(l, LAPIC_TMR + 0x10 * (0x41 / 32)), 1u << (0x41 % 32));
    assert_int_equal(lapic_ack(l), 0x52);     /* highest first */
    assert_int_equal(lapic_ppr(l), 0x50);
    assert_false(lapic_pending(l));           /* 0x41, 0x31 are below class 5 */
    assert_int_equal(lapic_ack(l), -1);
    assert_int_equal(rd(l, LAPIC_ISR + 0x10 * (0x52 / 32)), 1u << (0x52 % 32));
    wr(l, LAPIC_EOI, 0);
    assert_int_equal(f->eois, 0);             /* edge: no broadcast */
    assert_int_equal(lapic_ppr(l), 0);
    assert_int_equal(lapic_ack(l), 0x41);
    /* TPR blocks classes <= its own */
    wr(l, LAPIC_TPR, 0x40);
    assert_int_equal(lapic_ppr(l), 0x40);
    wr(l, LAPIC_EOI, 0);                      /* level 0x41: broadcast */
    assert_int_equal(f->eois, 1);
    assert_int_equal(f->eoi_vector, 0x41);
    assert_int_equal(lapic_ppr(l), 0x40);
    assert_false(lapic_pending(l));           /* 0x31 < TPR */
    wr(l, LAPIC_TPR, 0x2F);
    assert_int_equal(lapic_ppr(l), 0x2F);
    assert_int_equal(lapic_ack(l), 0x31);
    assert_int_equal(lapic_ppr(l), 0x30);     /* ISR class beats TPR */
    wr(l, LAPIC_EOI, 0);
    wr(l, LAPIC_EOI, 0);                      /* nothing in service: harmless */
    assert_int_equal(lapic_ppr(l), 0x2F);
}

static void test_illegal_vectors(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];

    enable(l);
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_ERROR, 0xFE);
    lapic_accept(l, 5, false);
    assert_int_equal(rd(l, LAPIC_IRR), 0);     /* not accepted */
    wr(l, LAPIC_ESR, 0);
    assert_int_equal(rd(l, LAPIC_ESR), APIC_ESR_RECV_ILLEGAL);
    assert_int_equal(lapic_ack(l), 0xFE);      /* the error interrupt */
    wr(l, LAPIC_EOI, 0);
    wr(l, LAPIC_ICR_HI, 1u << 24);
    wr(l, LAPIC_ICR_LO, 0x00000007);           /* fixed vector 7 */
    wr(l, LAPIC_ESR, 0);
    assert_int_equal(rd(l, LAPIC_ESR), APIC_ESR_SEND_ILLEGAL);
    assert_int_equal(rd(&f->l[1], LAPIC_IRR), 0);
    /* an error vector < 16 does not recurse */
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_ERROR, 0x03);
    lapic_accept(l, 1, false);
}

/* ---- software disable (10.4.7.2) ---- */

static void test_software_disable_masks_lvt(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];

    enable(l);
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_LINT1, 0x400);
    wr(l, LAPIC_SVR, 0xFF);   /* disable */
    for (unsigned i = 0; i < LVT_N; i++)
        assert_true(rd(l, LAPIC_LVT_BASE + 0x10 * i) & APIC_LVT_MASKED);
    assert_false(lapic_accepts_pic(l));
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_LINT0, 0x700);  /* cannot unmask */
    assert_int_equal(rd(l, LAPIC_LVT_BASE + 0x10 * LVT_LINT0), 0x10700);
    enable(l);
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_LINT0, 0x700);
    assert_true(lapic_accepts_pic(l));
    wr(l, LAPIC_LVT_BASE + 0x10 * LVT_LINT0, 0x000);   /* fixed mode: not the PIC */
    assert_false(lapic_accepts_pic(l));
}

/* ---- timer (10.5.4) ---- */

static void test_divide_values(void **state)
{
    (void)state;
    /* Figure 10-10: bits 3,1,0 */
    static const struct { uint32_t dcr; unsigned div; } t[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
        { 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
    };
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(lapic_divisor(t[i].dcr), t[i].div);
        assert_int_equal(lapic_divisor(t[i].dcr | 0x4), t[i].div);   /* bit 2 ignored */
    }
}

static void test_timer_count_every_divisor(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];
    static const uint32_t dcrs[] = { 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB };

    enable(l);
    for (unsigned i = 0; i < 8; i++) {
        unsigned div = lapic_divisor(dcrs[i]);
        wr(l, LAPIC_TIMER_DCR, dcrs[i]);
        wr(l, LAPIC_TIMER_ICR, 1000);
        assert_int_equal(rd(l, LAPIC_TIMER_CCR), 1000);
        advance(f, 100ull * div);   /* 1 GHz bus: one count per div ns */
        assert_int_equal(rd(l, LAPIC_TIMER_CCR), 900);
        advance(f, div - 1);
        assert_int_equal(rd(l, LAPIC_TIMER_CCR), 900);
        advance(f, 1);
        assert_int_equal(rd(l, LAPIC_TIMER_CCR), 899);
        advance(f, 10000ull * div);
        assert_int_equal(rd(l, LAPIC_TIMER_CCR), 0);   /* one-shot stops at 0 */
    }
}

static void test_timer_oneshot_interrupt(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];

    enable(l);
    wr(l, LAPIC_TIMER_DCR, 0xB);                       /* divide by 1 */
    wr(l, LAPIC_LVT_BASE, 0x40);                       /* one-shot, vector 0x40 */
    wr(l, LAPIC_TIMER_ICR, 10000);
    advance(f, 9999);
    assert_false(lapic_pending(l));
    advance(f, 1);
    assert_true(lapic_pending(l));
    assert_int_equal(lapic_ack(l), 0x40);
    wr(l, LAPIC_EOI, 0);
    advance(f, 100000);
    assert_false(lapic_pending(l));                    /* once only */
    assert_int_equal(l->timer_fired, 1);
    /* writing 0 stops a running timer */
    wr(l, LAPIC_TIMER_ICR, 500);
    wr(l, LAPIC_TIMER_ICR, 0);
    advance(f, 1000);
    assert_false(lapic_pending(l));
    assert_int_equal(rd(l, LAPIC_TIMER_CCR), 0);
}

static void test_timer_periodic(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];

    enable(l);
    wr(l, LAPIC_TIMER_DCR, 0x3);                       /* divide by 16 */
    wr(l, LAPIC_LVT_BASE, APIC_TIMER_PERIODIC | 0x30);
    wr(l, LAPIC_TIMER_ICR, 625);                        /* 10 us period */
    for (int i = 0; i < 5; i++) {
        advance(f, 9999);
        assert_false(lapic_pending(l));
        advance(f, 1);
        assert_int_equal(lapic_ack(l), 0x30);
        wr(l, LAPIC_EOI, 0);
        assert_int_equal(rd(l, LAPIC_TIMER_CCR), 625);   /* reloaded */
    }
    advance(f, 16 * 25);
    assert_int_equal(rd(l, LAPIC_TIMER_CCR), 600);
    assert_int_equal(l->timer_fired, 5);
    /* masked: counts on, no interrupt; unmasked: interrupts resume */
    wr(l, LAPIC_LVT_BASE, APIC_LVT_MASKED | APIC_TIMER_PERIODIC | 0x30);
    advance(f, 100000);
    assert_false(lapic_pending(l));
    assert_int_equal(l->timer_fired, 5);
    wr(l, LAPIC_LVT_BASE, APIC_TIMER_PERIODIC | 0x30);
    advance(f, 10000);
    assert_true(lapic_pending(l));
    assert_int_equal(l->timer_fired, 6);
}

static void test_timer_divide_change_keeps_count(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];

    wr(l, LAPIC_TIMER_DCR, 0xB);
    wr(l, LAPIC_TIMER_ICR, 1000);
    advance(f, 400);
    assert_int_equal(rd(l, LAPIC_TIMER_CCR), 600);
    wr(l, LAPIC_TIMER_DCR, 0x0);          /* divide by 2 */
    assert_int_equal(rd(l, LAPIC_TIMER_CCR), 600);
    advance(f, 200);
    assert_int_equal(rd(l, LAPIC_TIMER_CCR), 500);
}

static void test_timer_tiny_period_is_bounded(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[0];

    enable(l);
    wr(l, LAPIC_TIMER_DCR, 0xB);
    wr(l, LAPIC_LVT_BASE, APIC_TIMER_PERIODIC | 0x30);
    wr(l, LAPIC_TIMER_ICR, 1);
    for (int i = 0; i < 1000; i++)        /* 1 ms: not a million interrupts */
        advance(f, 1000);
    assert_int_equal(l->timer_fired, 1000);
    assert_true(vclock_next_deadline(&f->clock) > f->clock.now);
    /* missed periods coalesce (IRR holds one request per vector) */
    advance(f, 1000000);
    assert_int_equal(l->timer_fired, 1001);
    assert_int_equal(rd(l, LAPIC_TIMER_CCR), 1);
}

/* ---- ICR (10.6) ---- */

static void send(struct lapic *l, uint8_t dest, uint32_t lo)
{
    wr(l, LAPIC_ICR_HI, (uint32_t)dest << 24);
    wr(l, LAPIC_ICR_LO, lo);
}

static bool has_irr(struct lapic *l, unsigned v)
{
    return rd(l, LAPIC_IRR + 0x10 * (v / 32)) & (1u << (v % 32));
}

static void clear_irr(struct fixture *f)
{
    for (unsigned i = 0; i < NCPU; i++)
        memset(f->l[i].irr, 0, sizeof(f->l[i].irr));
}

static void test_fixed_ipi_physical(void **state)
{
    struct fixture *f = *state;

    send(&f->l[0], 2, 0x00004041);          /* fixed, physical, vector 0x41 */
    assert_false(has_irr(&f->l[0], 0x41));
    assert_false(has_irr(&f->l[1], 0x41));
    assert_true(has_irr(&f->l[2], 0x41));
    assert_true(f->kicks[2] > 0);
    assert_int_equal(rd(&f->l[0], LAPIC_ICR_LO) & APIC_DELIV_STATUS, 0);   /* idle */
    assert_int_equal(rd(&f->l[0], LAPIC_ICR_LO), 0x00004041);
    clear_irr(f);
    send(&f->l[0], 0xFF, 0x42);             /* physical broadcast */
    for (unsigned i = 0; i < NCPU; i++)
        assert_true(has_irr(&f->l[i], 0x42));
    clear_irr(f);
    send(&f->l[0], 7, 0x43);                /* nobody */
    for (unsigned i = 0; i < NCPU; i++)
        assert_false(has_irr(&f->l[i], 0x43));
    /* a changed APIC ID is what physical mode matches */
    wr(&f->l[1], LAPIC_ID, 7u << 24);
    send(&f->l[0], 7, 0x43);
    assert_true(has_irr(&f->l[1], 0x43));
}

static void test_fixed_ipi_shorthands(void **state)
{
    struct fixture *f = *state;

    send(&f->l[1], 0, (APIC_SH_SELF << APIC_SH_SHIFT) | 0x50);
    assert_true(has_irr(&f->l[1], 0x50));
    assert_false(has_irr(&f->l[0], 0x50));
    clear_irr(f);
    send(&f->l[1], 0, (APIC_SH_ALL << APIC_SH_SHIFT) | 0x51);
    for (unsigned i = 0; i < NCPU; i++)
        assert_true(has_irr(&f->l[i], 0x51));
    clear_irr(f);
    send(&f->l[1], 0, (APIC_SH_OTHERS << APIC_SH_SHIFT) | 0x52);
    assert_true(has_irr(&f->l[0], 0x52));
    assert_false(has_irr(&f->l[1], 0x52));
    assert_true(has_irr(&f->l[2], 0x52));
}

static void test_fixed_ipi_logical(void **state)
{
    struct fixture *f = *state;

    /* flat model: LDR bitmaps 0x01, 0x02, 0x04 */
    for (unsigned i = 0; i < NCPU; i++)
        wr(&f->l[i], LAPIC_LDR, (1u << i) << 24);
    send(&f->l[0], 0x06, APIC_DEST_LOGICAL | 0x60);
    assert_false(has_irr(&f->l[0], 0x60));
    assert_true(has_irr(&f->l[1], 0x60));
    assert_true(has_irr(&f->l[2], 0x60));
    clear_irr(f);
    /* cluster model: cluster 1 members 1, 2; cluster 2 member 1 */
    for (unsigned i = 0; i < NCPU; i++)
        wr(&f->l[i], LAPIC_DFR, 0x0FFFFFFF);
    wr(&f->l[0], LAPIC_LDR, 0x11u << 24);
    wr(&f->l[1], LAPIC_LDR, 0x12u << 24);
    wr(&f->l[2], LAPIC_LDR, 0x21u << 24);
    send(&f->l[0], 0x13, APIC_DEST_LOGICAL | 0x61);
    assert_true(has_irr(&f->l[0], 0x61));
    assert_true(has_irr(&f->l[1], 0x61));
    assert_false(has_irr(&f->l[2], 0x61));
    clear_irr(f);
    send(&f->l[0], 0xFF, APIC_DEST_LOGICAL | 0x62);   /* broadcast */
    for (unsigned i = 0; i < NCPU; i++)
        assert_true(has_irr(&f->l[i], 0x62));
}

static void test_lowest_priority(void **state)
{
    struct fixture *f = *state;

    for (unsigned i = 0; i < NCPU; i++)
        wr(&f->l[i], LAPIC_LDR, 0x01u << 24);   /* all in one group */
    wr(&f->l[0], LAPIC_TPR, 0x30);
    wr(&f->l[1], LAPIC_TPR, 0x10);
    wr(&f->l[2], LAPIC_TPR, 0x20);
    send(&f->l[0], 0x01, APIC_DEST_LOGICAL | (APIC_DM_LOWEST << APIC_DM_SHIFT) | 0x70);
    assert_false(has_irr(&f->l[0], 0x70));
    assert_true(has_irr(&f->l[1], 0x70));
    assert_false(has_irr(&f->l[2], 0x70));
}

/* NMI mode (10.6.1): the vector is ignored, the APIC may be software-
 * disabled, a second NMI before the first is taken is the same one, and a
 * CPU waiting for STARTUP holds it (8.4.1). */
static void test_nmi_ipi(void **state)
{
    struct fixture *f = *state;

    wr(&f->l[0], LAPIC_SVR, 0xFF);                          /* software-disabled */
    send(&f->l[0], 0, (APIC_SH_SELF << APIC_SH_SHIFT) | 0x400 | 0x33);
    assert_true(lapic_nmi_pending(&f->l[0]));
    assert_false(has_irr(&f->l[0], 0x33));
    assert_false(lapic_pending(&f->l[0]));
    assert_true(f->kicks[0] > 0);
    send(&f->l[0], 0, (APIC_SH_SELF << APIC_SH_SHIFT) | 0x400);
    lapic_nmi_ack(&f->l[0]);
    assert_false(lapic_nmi_pending(&f->l[0]));              /* one NMI, not two */
    /* to AP 1, still waiting for STARTUP: held */
    send(&f->l[0], 1, 0x400);
    assert_true(f->l[1].nmi_pending);
    assert_false(lapic_nmi_pending(&f->l[1]));
    f->l[1].wait_sipi = false;
    assert_true(lapic_nmi_pending(&f->l[1]));
    lapic_reset(&f->l[1]);                                  /* INIT drops it */
    assert_false(lapic_nmi_pending(&f->l[1]));
}

/* ---- INIT / STARTUP (SDM Vol. 3A 8.4.4, 10.6.1) ---- */

static void test_init_sipi_sequence(void **state)
{
    struct fixture *f = *state;
    struct lapic *bsp = &f->l[0];

    enable(&f->l[1]);
    wr(&f->l[1], LAPIC_TPR, 0x20);
    send(bsp, 1, 0x0000C500);               /* INIT, level assert */
    assert_int_equal(f->inits[1], 1);
    assert_int_equal(rd(&f->l[1], LAPIC_SVR), 0xFF);   /* reset ... */
    assert_int_equal(rd(&f->l[1], LAPIC_TPR), 0);
    assert_int_equal(rd(&f->l[1], LAPIC_ID), 1u << 24); /* ... but not the ID */
    send(bsp, 1, 0x00000608);               /* STARTUP vector 0x08, no delay */
    assert_int_equal(f->startups[1], 1);
    assert_int_equal(f->sipi_vector[1], 0x08);
    send(bsp, 1, 0x00000608);               /* second SIPI: AP runs, ignored */
    assert_int_equal(f->startups[1], 1);
    assert_int_equal(f->startups[2], 0);    /* never addressed */
}

static void test_init_deassert_resets_nothing(void **state)
{
    struct fixture *f = *state;

    for (unsigned i = 0; i < NCPU; i++) {
        enable(&f->l[i]);
        wr(&f->l[i], LAPIC_TPR, 0x10);
    }
    f->l[1].wait_sipi = false;              /* running AP */
    send(&f->l[0], 0, 0x00088500);          /* xv6's broadcast INIT de-assert */
    for (unsigned i = 0; i < NCPU; i++) {
        assert_int_equal(f->inits[i], 0);
        assert_int_equal(rd(&f->l[i], LAPIC_SVR), APIC_SVR_ENABLE | 0xFF);
        assert_int_equal(rd(&f->l[i], LAPIC_TPR), 0x10);
    }
    assert_false(f->l[1].wait_sipi);
    /* a STARTUP to a running AP is ignored */
    send(&f->l[0], 1, 0x00000610);
    assert_int_equal(f->startups[1], 0);
    /* ... but the never-started AP 2 starts */
    send(&f->l[0], 2, 0x00000610);
    assert_int_equal(f->startups[2], 1);
    assert_int_equal(f->sipi_vector[2], 0x10);
}

static void test_init_all_but_self(void **state)
{
    struct fixture *f = *state;

    send(&f->l[0], 0, (APIC_SH_OTHERS << APIC_SH_SHIFT) | 0x4500);
    assert_int_equal(f->inits[0], 0);
    assert_int_equal(f->inits[1], 1);
    assert_int_equal(f->inits[2], 1);
    send(&f->l[0], 0, (APIC_SH_OTHERS << APIC_SH_SHIFT) | 0x4620);
    assert_int_equal(f->startups[0], 0);
    assert_int_equal(f->startups[1], 1);
    assert_int_equal(f->startups[2], 1);
    assert_int_equal(f->sipi_vector[2], 0x20);
}

static void test_init_cancels_timer(void **state)
{
    struct fixture *f = *state;
    struct lapic *l = &f->l[1];

    enable(l);
    wr(l, LAPIC_LVT_BASE, APIC_TIMER_PERIODIC | 0x30);
    wr(l, LAPIC_TIMER_ICR, 100000);
    send(&f->l[0], 1, 0x4500);
    assert_int_equal(vclock_next_deadline(&f->clock), VCLOCK_NEVER);
    assert_int_equal(rd(l, LAPIC_TIMER_ICR), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
        T(test_reset_values),
        T(test_register_masks),
        T(test_illegal_register_sets_esr),
        T(test_priority_and_eoi),
        T(test_illegal_vectors),
        T(test_software_disable_masks_lvt),
        T(test_divide_values),
        T(test_timer_count_every_divisor),
        T(test_timer_oneshot_interrupt),
        T(test_timer_periodic),
        T(test_timer_divide_change_keeps_count),
        T(test_timer_tiny_period_is_bounded),
        T(test_fixed_ipi_physical), T(test_nmi_ipi),
        T(test_fixed_ipi_shorthands),
        T(test_fixed_ipi_logical),
        T(test_lowest_priority),
        T(test_init_sipi_sequence),
        T(test_init_deassert_resets_nothing),
        T(test_init_all_but_self),
        T(test_init_cancels_timer),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
