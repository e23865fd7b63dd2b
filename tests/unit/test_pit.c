/* test_pit.c - 8254 modes 0/2/3, IRQ 0 timing on a driven virtual clock,
 * access modes, latch, read-back, BCD, gate 2 and port 0x61. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/memmap.h"
#include "machine/pit.h"

#define NS 1000000000ull

struct fixture {
    struct bus bus;
    struct evstream ev;
    struct vclock clock;
    struct dev_ctx ctx;
    struct pit pit;
    int level, rises, falls;
    uint64_t first_rise, last_rise;
};

static void irq_cb(void *opaque, int pin, int level)
{
    struct fixture *f = opaque;

    assert_int_equal(pin, IRQ_PIT);
    if (level && !f->level) {
        if (!f->rises++)
            f->first_rise = f->clock.now;
        f->last_rise = f->clock.now;
    } else if (!level && f->level) {
        f->falls++;
    }
    f->level = level;
}

/* The first ns at which the input clock has ticked @tick times. */
static uint64_t tick_ns(uint64_t tick)
{
    return (uint64_t)(((unsigned __int128)tick * NS + PIT_HZ - 1) / PIT_HZ);
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    bus_init(&f->bus);
    ev_init(&f->ev);
    vclock_init(&f->clock);
    f->ctx = (struct dev_ctx){ .ev = &f->ev, .clock = &f->clock };
    struct irq_line irq = { .set = irq_cb, .opaque = f, .pin = IRQ_PIT };
    assert_int_equal(pit_init(&f->pit, &f->ctx, irq), 0);
    assert_int_equal(pit_attach(&f->pit, &f->bus), 0);
    f->level = 1;             /* OUT 0 idles high (pit.h) */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    pit_destroy(&f->pit);
    assert_int_equal(vclock_next_deadline(&f->clock), VCLOCK_NEVER);
    bus_fini(&f->bus);
    test_free(f);
    return 0;
}

static void out8(struct fixture *f, uint16_t port, uint8_t v)
{
    assert_non_null(bus_write(&f->bus, BUS_PIO, port, 1, v));
}

static uint8_t in8(struct fixture *f, uint16_t port)
{
    uint64_t v = 0;

    assert_non_null(bus_read(&f->bus, BUS_PIO, port, 1, &v));
    return (uint8_t)v;
}

/* Advance timer by timer, as the run loop does, up to @t. */
static void run_to(struct fixture *f, uint64_t t)
{
    for (uint64_t d; (d = vclock_next_deadline(&f->clock)) <= t;)
        vclock_advance_to(&f->clock, d);
    vclock_advance_to(&f->clock, t);
}

static void program(struct fixture *f, unsigned ch, uint8_t cw, uint16_t count)
{
    out8(f, 0x43, cw);
    out8(f, (uint16_t)(0x40 + ch), (uint8_t)count);
    out8(f, (uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static uint16_t latch_read(struct fixture *f, unsigned ch)
{
    out8(f, 0x43, (uint8_t)(ch << 6));         /* counter latch command */
    uint16_t lo = in8(f, (uint16_t)(0x40 + ch));
    return (uint16_t)(lo | in8(f, (uint16_t)(0x40 + ch)) << 8);
}

static void test_mode2_rate_timing(void **state)
{
    struct fixture *f = *state;

    program(f, 0, 0x34, 1193);                 /* ch0 lsb/msb mode 2 */
    /* Loaded on tick 1; OUT low on tick 1+1192, high again on 1+1193. */
    run_to(f, tick_ns(1 + 1192) - 1);
    assert_int_equal(f->falls, 0);
    run_to(f, tick_ns(1 + 1192));
    assert_int_equal(f->falls, 1);
    assert_int_equal(f->rises, 0);
    run_to(f, tick_ns(1 + 1193));
    assert_int_equal(f->rises, 1);
    assert_int_equal(f->first_rise, tick_ns(1194));
    /* No drift: after one second, exactly floor((1193182 - 1) / 1193). */
    run_to(f, NS);
    assert_int_equal(f->rises, 1000);
    assert_int_equal(f->last_rise, tick_ns(1 + 1000ull * 1193));
    out8(f, 0x43, 0x30);                       /* stop: mode 0, no count */
    assert_int_equal(f->level, 0);
}

static void test_mode0_one_shot(void **state)
{
    struct fixture *f = *state;

    vclock_advance_to(&f->clock, 5000);
    out8(f, 0x43, 0x30);                       /* ch0 lsb/msb mode 0 */
    assert_int_equal(f->level, 0);             /* OUT low after the CW */
    out8(f, 0x40, 100);
    out8(f, 0x40, 0);
    uint64_t t0 = tick_ns((uint64_t)(5000ull * PIT_HZ / NS) + 1 + 100);
    assert_int_equal(vclock_next_deadline(&f->clock), t0);
    run_to(f, t0 - 1);
    assert_int_equal(f->rises, 0);
    run_to(f, t0);
    assert_int_equal(f->rises, 1);
    assert_int_equal(vclock_next_deadline(&f->clock), VCLOCK_NEVER);
    run_to(f, NS);
    assert_int_equal(f->rises, 1);             /* one shot only */
    assert_true(pit_peek_out(&f->pit, 0));
}

static void test_mode3_square_wave(void **state)
{
    struct fixture *f = *state;

    program(f, 0, 0x36, 1000);                 /* mode 3 */
    assert_true(pit_peek_out(&f->pit, 0));
    run_to(f, tick_ns(1 + 499));
    assert_true(pit_peek_out(&f->pit, 0));
    run_to(f, tick_ns(1 + 500));               /* second half: low */
    assert_false(pit_peek_out(&f->pit, 0));
    assert_int_equal(f->falls, 1);
    run_to(f, tick_ns(1 + 1000));
    assert_int_equal(f->rises, 1);
    /* The counter runs down by two: 250 clocks in, 1000 - 500. */
    run_to(f, tick_ns(1 + 1250));
    assert_int_equal(latch_read(f, 0), 500);
    run_to(f, 100000000);                      /* 100 ms */
    assert_int_equal(f->rises, (int)((100000000ull * PIT_HZ / NS - 1) / 1000));
    out8(f, 0x43, 0x30);
}

static void test_latch_and_access_modes(void **state)
{
    struct fixture *f = *state;

    program(f, 1, 0x74, 1000);                 /* ch1 mode 2 */
    run_to(f, tick_ns(1 + 300));
    out8(f, 0x43, 0x40);                       /* latch ch1 */
    run_to(f, tick_ns(1 + 400));
    out8(f, 0x43, 0x40);                       /* second latch ignored */
    assert_int_equal(in8(f, 0x41), 700 & 0xFF);
    assert_int_equal(in8(f, 0x41), 700 >> 8);
    assert_int_equal(latch_read(f, 1), 600);   /* live again */
    /* LSB-only and MSB-only access. */
    out8(f, 0x43, 0x50);                       /* ch1 LSB, mode 0 */
    out8(f, 0x41, 0x80);
    run_to(f, f->clock.now + tick_ns(3) + 1);
    uint8_t lsb = in8(f, 0x41);
    assert_true(lsb < 0x80 && lsb >= 0x7C);
    out8(f, 0x43, 0x64);                       /* ch1 MSB, mode 2 */
    out8(f, 0x41, 0x02);                       /* count 0x200 */
    assert_int_equal(in8(f, 0x41), 0x02);
    assert_int_equal(f->pit.ch[1].count, 0x200);
}

static void test_read_back_status(void **state)
{
    struct fixture *f = *state;

    program(f, 0, 0x34, 1000);
    out8(f, 0x43, 0xC2);                       /* count+status of ch0 */
    assert_int_equal(in8(f, 0x40), 0xF4);      /* OUT, NULL COUNT, rw3, m2 */
    assert_int_equal(in8(f, 0x40), 1000 & 0xFF);
    assert_int_equal(in8(f, 0x40), 1000 >> 8);
    run_to(f, tick_ns(1 + 10));
    out8(f, 0x43, 0xE2);                       /* status only */
    assert_int_equal(in8(f, 0x40), 0xB4);      /* loaded: NULL COUNT clear */
    out8(f, 0x43, 0xD2);                       /* count only */
    assert_int_equal(in8(f, 0x40), 990 & 0xFF);
    assert_int_equal(in8(f, 0x40), 990 >> 8);
    assert_int_equal(in8(f, 0x43), 0xFF);      /* control is write-only */
    out8(f, 0x43, 0x30);
}

static void test_bcd_and_count_zero(void **state)
{
    struct fixture *f = *state;

    program(f, 2, 0xB5, 0x1000);               /* ch2 mode 2 BCD 1000 */
    out8(f, 0x61, 0x01);                       /* gate 2 on */
    run_to(f, tick_ns((uint64_t)(f->clock.now * PIT_HZ / NS) + 2));
    uint16_t v = latch_read(f, 2);
    assert_true(v == 0x0999 || v == 0x1000);
    program(f, 0, 0x34, 0);                    /* 0 means 65536 */
    uint64_t start = f->clock.now * PIT_HZ / NS + 1;
    run_to(f, tick_ns(start + 65536));
    assert_int_equal(f->rises, 1);
    assert_int_equal(f->first_rise, tick_ns(start + 65536));
    out8(f, 0x43, 0x30);
}

static void test_gate2_and_port61(void **state)
{
    struct fixture *f = *state;

    out8(f, 0x61, 0x00);
    program(f, 2, 0xB0, 100);                  /* ch2 mode 0, gate low */
    assert_int_equal(in8(f, 0x61) & 0x21, 0x00);  /* OUT2 low, gate off */
    run_to(f, tick_ns(1000));
    assert_int_equal(latch_read(f, 2), 100);   /* frozen */
    out8(f, 0x61, 0x01);
    uint64_t on = f->clock.now * PIT_HZ / NS;
    run_to(f, tick_ns(on + 50));
    assert_int_equal(latch_read(f, 2), 50);
    assert_int_equal(in8(f, 0x61) & 0x20, 0x00);
    run_to(f, tick_ns(on + 100));
    assert_int_equal(in8(f, 0x61) & 0x21, 0x21);  /* OUT2 high */
    assert_int_equal(vclock_next_deadline(&f->clock), VCLOCK_NEVER);
    /* The refresh bit toggles with virtual time. */
    uint8_t a = in8(f, 0x61) & 0x10;
    run_to(f, f->clock.now + 15085);
    assert_int_not_equal(in8(f, 0x61) & 0x10, a);
}

static void test_hostile_and_coalesce(void **state)
{
    struct fixture *f = *state;

    program(f, 0, 0x34, 1);                    /* mode 2, count 1: illegal */
    assert_int_equal(vclock_next_deadline(&f->clock), VCLOCK_NEVER);
    program(f, 0, 0x36, 1);                    /* mode 3, count 1 */
    assert_int_equal(vclock_next_deadline(&f->clock), VCLOCK_NEVER);
    program(f, 0, 0x34, 2);                    /* fastest legal rate */
    vclock_advance_to(&f->clock, 10 * NS);     /* one big jump */
    assert_true(f->rises >= 1 && f->rises <= 3);
    out8(f, 0x43, 0x3E);                       /* mode 7 = 3 */
    assert_int_equal(f->pit.ch[0].mode, 3);
    struct irq_line none = { 0 };
    struct pit p;
    assert_int_equal(pit_init(&p, NULL, none), -VMS_ERR_INVAL);
    assert_int_equal(pit_peek_count(&f->pit, 7), 0);
    out8(f, 0x43, 0x30);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_mode2_rate_timing),
        T(test_mode0_one_shot),
        T(test_mode3_square_wave),
        T(test_latch_and_access_modes),
        T(test_read_back_status),
        T(test_bcd_and_count_zero),
        T(test_gate2_and_port61),
        T(test_hostile_and_coalesce),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
