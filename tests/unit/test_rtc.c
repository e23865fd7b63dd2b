/* test_rtc.c - MC146818A: time registers in BCD and binary, 12/24 hours,
 * setting the clock with SET, UIP, periodic/update/alarm interrupts and
 * register C, the NMI bit of the index port, the PC NVRAM bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/memmap.h"
#include "machine/rtc.h"

#define NS 1000000000ull

struct fixture {
    struct bus bus;
    struct vclock clock;
    struct rtc r;
    int irq_level, irq_rises;
};

static void irq_cb(void *opaque, int pin, int level)
{
    struct fixture *f = opaque;

    assert_int_equal(pin, IRQ_RTC);
    if (level && !f->irq_level)
        f->irq_rises++;
    f->irq_level = level;
}

/* 2024-02-29T13:45:56 UTC, a Thursday */
static int64_t when(void)
{
    int64_t t;

    assert_int_equal(rtc_parse_time("2024-02-29T13:45:56", &t), 0);
    return t;
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    bus_init(&f->bus);
    vclock_init(&f->clock);
    struct dev_ctx ctx = { .clock = &f->clock };
    struct irq_line irq = { .set = irq_cb, .opaque = f, .pin = IRQ_RTC };
    assert_int_equal(rtc_init(&f->r, &ctx, irq, when()), 0);
    assert_int_equal(rtc_attach(&f->r, &f->bus), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    rtc_destroy(&f->r);
    bus_fini(&f->bus);
    test_free(f);
    return 0;
}

static uint8_t rd(struct fixture *f, uint8_t reg)
{
    uint64_t v = 0;

    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_RTC, 1, reg));
    assert_non_null(bus_read(&f->bus, BUS_PIO, PORT_RTC + 1, 1, &v));
    return (uint8_t)v;
}

static void wr(struct fixture *f, uint8_t reg, uint8_t v)
{
    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_RTC, 1, reg));
    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_RTC + 1, 1, v));
}

static void test_bcd_24h_default(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, RTC_REG_B), RTC_B_24H);
    assert_int_equal(rd(f, RTC_REG_A), 0x26);
    assert_int_equal(rd(f, RTC_REG_D), RTC_D_VRT);
    assert_int_equal(rd(f, RTC_SEC), 0x56);
    assert_int_equal(rd(f, RTC_MIN), 0x45);
    assert_int_equal(rd(f, RTC_HOUR), 0x13);
    assert_int_equal(rd(f, RTC_WDAY), 5);       /* Thursday; Sunday = 1 */
    assert_int_equal(rd(f, RTC_MDAY), 0x29);
    assert_int_equal(rd(f, RTC_MONTH), 0x02);
    assert_int_equal(rd(f, RTC_YEAR), 0x24);
    assert_int_equal(rd(f, RTC_CENTURY), 0x20);
}

static void test_binary_and_12h(void **state)
{
    struct fixture *f = *state;

    wr(f, RTC_REG_B, RTC_B_DM);                 /* binary, 12-hour */
    assert_int_equal(rd(f, RTC_SEC), 56);
    assert_int_equal(rd(f, RTC_HOUR), 0x80 | 1); /* 1 PM */
    assert_int_equal(rd(f, RTC_YEAR), 24);
    wr(f, RTC_REG_B, 0);                        /* BCD, 12-hour */
    assert_int_equal(rd(f, RTC_HOUR), 0x81);
    wr(f, RTC_REG_B, RTC_B_SET);                /* midnight is 12 AM */
    wr(f, RTC_HOUR, 0x12);
    wr(f, RTC_REG_B, RTC_B_24H);
    assert_int_equal(rd(f, RTC_HOUR), 0x00);
    wr(f, RTC_REG_B, RTC_B_SET);                /* 12-hour noon = 12 PM */
    wr(f, RTC_HOUR, 0x92);
    wr(f, RTC_REG_B, RTC_B_24H | RTC_B_DM);
    assert_int_equal(rd(f, RTC_HOUR), 12);
}

static void test_time_advances_with_virtual_time(void **state)
{
    struct fixture *f = *state;

    vclock_advance_to(&f->clock, 5 * NS);
    assert_int_equal(rd(f, RTC_SEC), 0x01);     /* 56 + 5 = 61 -> :01 */
    assert_int_equal(rd(f, RTC_MIN), 0x46);
    assert_int_equal(rtc_time(&f->r), when() + 5);
}

static void test_set_stops_clock_and_sets_time(void **state)
{
    struct fixture *f = *state;

    wr(f, RTC_REG_B, RTC_B_SET | RTC_B_24H);
    wr(f, RTC_YEAR, 0x99);
    wr(f, RTC_CENTURY, 0x19);
    wr(f, RTC_MONTH, 0x12);
    wr(f, RTC_MDAY, 0x31);
    wr(f, RTC_HOUR, 0x23);
    wr(f, RTC_MIN, 0x59);
    wr(f, RTC_SEC, 0x58);
    vclock_advance_to(&f->clock, 10 * NS);      /* frozen while SET */
    assert_int_equal(rd(f, RTC_SEC), 0x58);
    assert_int_equal(rd(f, RTC_REG_A) & RTC_A_UIP, 0);
    wr(f, RTC_REG_B, RTC_B_24H);
    vclock_advance_to(&f->clock, 12 * NS);
    assert_int_equal(rd(f, RTC_SEC), 0x00);     /* 1999-12-31 23:59:58 + 2 s */
    assert_int_equal(rd(f, RTC_YEAR), 0x00);
    assert_int_equal(rd(f, RTC_CENTURY), 0x20);
    assert_int_equal(rd(f, RTC_MONTH), 0x01);
    assert_int_equal(rd(f, RTC_WDAY), 7);       /* 2000-01-01 was a Saturday */
}

static void test_uip_window(void **state)
{
    struct fixture *f = *state;

    vclock_advance_to(&f->clock, NS - RTC_UIP_NS - 1);
    assert_int_equal(rd(f, RTC_REG_A) & RTC_A_UIP, 0);
    vclock_advance_to(&f->clock, NS - RTC_UIP_NS);
    assert_int_equal(rd(f, RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    wr(f, RTC_REG_A, 0xA6);                     /* UIP cannot be written */
    vclock_advance_to(&f->clock, NS);
    assert_int_equal(rd(f, RTC_REG_A), 0x26);
}

static void test_periodic_interrupt_needs_c_read(void **state)
{
    struct fixture *f = *state;

    wr(f, RTC_REG_A, 0x2F);                     /* RS 15: 2 Hz */
    wr(f, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    vclock_advance_to(&f->clock, NS / 2);
    assert_int_equal(f->irq_rises, 1);
    assert_int_equal(f->irq_level, 1);
    vclock_advance_to(&f->clock, NS + NS / 2);  /* no new edge without a C read */
    assert_int_equal(f->irq_rises, 1);
    uint8_t c = rd(f, RTC_REG_C);
    assert_int_equal(c & (RTC_C_IRQF | RTC_C_PF), RTC_C_IRQF | RTC_C_PF);
    assert_int_equal(f->irq_level, 0);
    assert_int_equal(rd(f, RTC_REG_C), 0);      /* cleared by reading */
    vclock_advance_to(&f->clock, 2 * NS);
    assert_int_equal(f->irq_rises, 2);
    wr(f, RTC_REG_B, RTC_B_24H);                /* PIE off: PF without IRQF */
    rd(f, RTC_REG_C);
    vclock_advance_to(&f->clock, 3 * NS);
    assert_int_equal(rd(f, RTC_REG_C) & (RTC_C_IRQF | RTC_C_PF), RTC_C_PF);
    assert_int_equal(f->irq_rises, 2);
}

static void test_update_and_alarm(void **state)
{
    struct fixture *f = *state;

    wr(f, RTC_SEC_ALARM, 0x58);                 /* at :58, any minute/hour */
    wr(f, RTC_MIN_ALARM, 0xC0);
    wr(f, RTC_HOUR_ALARM, 0xFF);
    wr(f, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    vclock_advance_to(&f->clock, NS);           /* :57, no alarm */
    assert_int_equal(f->irq_rises, 0);
    vclock_advance_to(&f->clock, 2 * NS);       /* :58 */
    assert_int_equal(f->irq_rises, 1);
    assert_int_equal(rd(f, RTC_REG_C) & (RTC_C_AF | RTC_C_UF | RTC_C_IRQF),
                     RTC_C_AF | RTC_C_UF | RTC_C_IRQF);
    wr(f, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    vclock_advance_to(&f->clock, 3 * NS);
    assert_int_equal(f->irq_rises, 2);
    assert_int_equal(rd(f, RTC_REG_C) & (RTC_C_UF | RTC_C_IRQF), RTC_C_UF | RTC_C_IRQF);
}

static void test_nvram_and_nmi_bit(void **state)
{
    struct fixture *f = *state;

    rtc_set_memory(&f->r, 64ull << 20, 2);
    assert_int_equal(rd(f, 0x15) | (rd(f, 0x16) << 8), 640);
    assert_int_equal(rd(f, 0x17) | (rd(f, 0x18) << 8), 63 * 1024);
    assert_int_equal(rd(f, 0x30) | (rd(f, 0x31) << 8), 63 * 1024);
    assert_int_equal(rd(f, 0x34) | (rd(f, 0x35) << 8), (48 << 20) >> 16);
    assert_int_equal(rd(f, 0x5B) | rd(f, 0x5C) | rd(f, 0x5D), 0);
    assert_int_equal(rd(f, 0x5F), 1);
    assert_int_equal(rd(f, RTC_EQUIPMENT), 0x06);
    assert_int_equal(rd(f, RTC_FLOPPY), 0);
    rtc_set_memory(&f->r, 6ull << 30, 1);       /* 6 GiB: 2 GiB above 4 GiB */
    assert_int_equal(rd(f, 0x17) | (rd(f, 0x18) << 8), 0xFFFF);
    assert_int_equal(rd(f, 0x5B) | (rd(f, 0x5C) << 8) | (rd(f, 0x5D) << 16), (2ull << 30) >> 16);
    rtc_set_disk(&f->r, 0, 20, 16, 63);
    assert_int_equal(rd(f, RTC_DISK), 0xF0);
    assert_int_equal(rd(f, RTC_DISK0_EXT), 0x2F);
    assert_int_equal(rd(f, RTC_DISK0_GEOM + 8), 63);
    /* shutdown byte, with the NMI-disable bit set in the index */
    wr(f, RTC_NMI_MASK | RTC_SHUTDOWN, 0x0A);
    assert_int_equal(rd(f, RTC_SHUTDOWN), 0x0A);
    assert_int_equal(f->r.index, RTC_SHUTDOWN);
    assert_int_equal(rd(f, RTC_NMI_MASK | RTC_SEC), 0x56);
    assert_int_equal(rd(f, 0x7F), 0);
}

static void test_parse_time(void **state)
{
    int64_t t;

    (void)state;
    assert_int_equal(rtc_parse_time("2000-01-01T00:00:00", &t), 0);
    assert_int_equal(t, 946684800);
    assert_int_equal(rtc_parse_time("2000-13-01T00:00:00", &t), -VMS_ERR_INVAL);
    assert_int_equal(rtc_parse_time("yesterday", &t), -VMS_ERR_INVAL);
    assert_int_equal(rtc_parse_time("2000-01-01T00:00:00Z", &t), -VMS_ERR_INVAL);
}

static void test_hostile(void **state)
{
    struct fixture *f = *state;
    uint32_t x = 99;

    for (unsigned i = 0; i < 100000; i++) {
        uint64_t v;
        x = x * 1103515245u + 12345u;
        if (x & 0x100)
            bus_write(&f->bus, BUS_PIO, PORT_RTC + ((x >> 9) & 1), 1, x >> 16);
        else
            bus_read(&f->bus, BUS_PIO, PORT_RTC + ((x >> 9) & 1), 1, &v);
        if ((i & 1023) == 0)
            vclock_advance_to(&f->clock, f->clock.now + (x >> 12));
    }
    assert_true(f->irq_rises >= 0);   /* survived; IRQ level consistent */
    assert_int_equal(f->irq_level, (f->r.c & RTC_C_IRQF) ? 1 : 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bcd_24h_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_and_12h, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_advances_with_virtual_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_stops_clock_and_sets_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uip_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_periodic_interrupt_needs_c_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_and_alarm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nvram_and_nmi_bit, setup, teardown),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
