/* test_i8042.c - the keyboard controller: status bits, command byte,
 * controller and keyboard commands, output port / A20 / reset, scan code
 * set 1 from typed text, IRQ 1, port 0x92. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/i8042.h"
#include "machine/memmap.h"

struct fixture {
    struct bus bus;
    struct i8042 k;
    int irq1, irq1_rises, irq12;
    unsigned resets;
    char why[128];
};

static void irq_cb(void *opaque, int pin, int level)
{
    struct fixture *f = opaque;

    if (pin == IRQ_KBD) {
        if (level && !f->irq1)
            f->irq1_rises++;
        f->irq1 = level;
    } else {
        assert_int_equal(pin, IRQ_MOUSE);
        f->irq12 = level;
    }
}

static void reset_cb(void *opaque, const char *why)
{
    struct fixture *f = opaque;

    f->resets++;
    strncpy(f->why, why, sizeof(f->why) - 1);
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    bus_init(&f->bus);
    struct irq_line kbd = { .set = irq_cb, .opaque = f, .pin = IRQ_KBD };
    struct irq_line aux = { .set = irq_cb, .opaque = f, .pin = IRQ_MOUSE };
    assert_int_equal(i8042_init(&f->k, NULL, kbd, aux), 0);
    f->k.reset = reset_cb;
    f->k.reset_opaque = f;
    assert_int_equal(i8042_attach(&f->k, &f->bus), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    i8042_destroy(&f->k);
    bus_fini(&f->bus);
    test_free(f);
    return 0;
}

static uint8_t in(struct fixture *f, uint16_t port)
{
    uint64_t v = 0;

    assert_non_null(bus_read(&f->bus, BUS_PIO, port, 1, &v));
    return (uint8_t)v;
}

static void out(struct fixture *f, uint16_t port, uint8_t v)
{
    assert_non_null(bus_write(&f->bus, BUS_PIO, port, 1, v));
}

static uint8_t status(struct fixture *f) { return in(f, PORT_I8042_CMD); }

/* Read the output buffer, requiring OBF first. */
static uint8_t data(struct fixture *f)
{
    assert_true(status(f) & I8042_STR_OBF);
    return in(f, PORT_I8042_DATA);
}

static void test_power_on_status_and_command_byte(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(status(f), I8042_STR_SYS | I8042_STR_A2 | I8042_STR_INH);   /* 0x1C */
    out(f, PORT_I8042_CMD, 0x20);
    assert_int_equal(status(f), I8042_STR_SYS | I8042_STR_INH | I8042_STR_A2 | I8042_STR_OBF);
    assert_int_equal(f->irq1, 1);                   /* KBDINT set: IRQ 1 */
    assert_int_equal(data(f), I8042_CB_RESET);
    assert_int_equal(status(f) & I8042_STR_OBF, 0);
    assert_int_equal(f->irq1, 0);
    /* write the command byte: SYS in the status register follows bit 2 */
    out(f, PORT_I8042_CMD, 0x60);
    out(f, PORT_I8042_DATA, 0x40);
    assert_int_equal(status(f) & (I8042_STR_SYS | I8042_STR_A2), 0);
    out(f, PORT_I8042_CMD, 0x20);
    assert_int_equal(f->irq1, 0);                   /* KBDINT clear: no IRQ */
    assert_int_equal(data(f), 0x40);
    out(f, PORT_I8042_CMD, 0x7F);                   /* RAM byte 31 */
    out(f, PORT_I8042_DATA, 0x99);
    out(f, PORT_I8042_CMD, 0x3F);
    assert_int_equal(data(f), 0x99);
}

static void test_self_tests(void **state)
{
    struct fixture *f = *state;

    out(f, PORT_I8042_CMD, 0xAA);
    assert_int_equal(data(f), 0x55);
    out(f, PORT_I8042_CMD, 0xAB);
    assert_int_equal(data(f), 0x00);
    out(f, PORT_I8042_CMD, 0xA9);
    assert_int_equal(data(f), 0x00);
}

static void test_keyboard_reset_and_commands(void **state)
{
    struct fixture *f = *state;

    out(f, PORT_I8042_DATA, 0xFF);
    assert_int_equal(data(f), 0xFA);
    assert_int_equal(data(f), 0xAA);
    assert_int_equal(status(f) & I8042_STR_OBF, 0);
    out(f, PORT_I8042_DATA, 0xED);                  /* LEDs */
    assert_int_equal(data(f), 0xFA);
    out(f, PORT_I8042_DATA, 0x07);
    assert_int_equal(data(f), 0xFA);
    assert_int_equal(f->k.leds, 7);
    out(f, PORT_I8042_DATA, 0xF2);                  /* identify, translated */
    assert_int_equal(data(f), 0xFA);
    assert_int_equal(data(f), 0xAB);
    assert_int_equal(data(f), 0x41);
    out(f, PORT_I8042_DATA, 0xF0);                  /* get scan code set */
    assert_int_equal(data(f), 0xFA);
    out(f, PORT_I8042_DATA, 0x00);
    assert_int_equal(data(f), 0xFA);
    assert_int_equal(data(f), 0x41);                /* set 2 through XLAT */
    out(f, PORT_I8042_DATA, 0xF0);
    data(f);
    out(f, PORT_I8042_DATA, 0x09);                  /* no such set */
    assert_int_equal(data(f), 0xFE);
    out(f, PORT_I8042_DATA, 0xEE);
    assert_int_equal(data(f), 0xEE);
    out(f, PORT_I8042_DATA, 0x42);                  /* unknown */
    assert_int_equal(data(f), 0xFE);
}

static void test_typing_gives_set1(void **state)
{
    struct fixture *f = *state;
    static const uint8_t want[] = {
        0x1E, 0x9E,                   /* a */
        0x2A, 0x1E, 0x9E, 0xAA,       /* A with shift */
        0x1C, 0x9C,                   /* \n: Enter */
        0x2A, 0x02, 0x82, 0xAA,       /* ! */
        0x1D, 0x2E, 0xAE, 0x9D,       /* ctrl-C */
        0xE0, 0x48, 0xE0, 0xC8,       /* ESC [ A: up arrow */
        0x39, 0xB9,                   /* space */
    };

    assert_int_equal(i8042_type(&f->k, (const uint8_t *)"aA\n!\x03\x1b[A ", 9), 9);
    for (unsigned i = 0; i < sizeof(want); i++) {
        assert_int_equal(f->irq1, 1);
        assert_int_equal(data(f), want[i]);
    }
    assert_int_equal(status(f) & I8042_STR_OBF, 0);
    assert_int_equal(f->irq1_rises, (int)sizeof(want));   /* one edge per byte */
    assert_int_equal(i8042_set1_to_ascii(0x1E, false), 'a');
    assert_int_equal(i8042_set1_to_ascii(0x02, true), '!');
    assert_int_equal(i8042_set1_to_ascii(0x1C, false), '\r');
    assert_int_equal(i8042_set1_to_ascii(0x2A, false), 0);
    assert_int_equal(i8042_set1_to_ascii(0xFF, false), 0);
}

static void test_disable_holds_keys(void **state)
{
    struct fixture *f = *state;

    out(f, PORT_I8042_CMD, 0xAD);                   /* disable keyboard */
    i8042_type(&f->k, (const uint8_t *)"x", 1);
    assert_int_equal(status(f) & I8042_STR_OBF, 0);
    out(f, PORT_I8042_CMD, 0xAE);                   /* keys held, not lost */
    assert_int_equal(data(f), 0x2D);
    assert_int_equal(data(f), 0xAD);
    out(f, PORT_I8042_DATA, 0xF5);                  /* keyboard stops scanning */
    assert_int_equal(data(f), 0xFA);
    i8042_type(&f->k, (const uint8_t *)"x", 1);
    assert_int_equal(status(f) & I8042_STR_OBF, 0);
    out(f, PORT_I8042_DATA, 0xF4);
    assert_int_equal(data(f), 0xFA);
    i8042_type(&f->k, (const uint8_t *)"x", 1);
    assert_int_equal(data(f), 0x2D);
}

static void test_reply_goes_ahead_of_keys(void **state)
{
    struct fixture *f = *state;

    i8042_type(&f->k, (const uint8_t *)"ab", 2);
    assert_int_equal(data(f), 0x1E);
    out(f, PORT_I8042_DATA, 0xEE);                  /* 0x9E already sits in the buffer */
    assert_int_equal(data(f), 0x9E);
    assert_int_equal(data(f), 0xEE);
    assert_int_equal(data(f), 0x30);
}

static void test_output_port_a20_and_reset(void **state)
{
    struct fixture *f = *state;

    out(f, PORT_I8042_CMD, 0xD0);
    assert_int_equal(data(f) & (I8042_OUT_A20 | I8042_OUT_RESET), I8042_OUT_A20 | I8042_OUT_RESET);
    out(f, PORT_I8042_CMD, 0xDD);
    assert_false(i8042_a20(&f->k) && !(f->k.sysctrl_a & SYSCTRL_A_A20));
    out(f, PORT_I8042_CMD, 0xD1);
    out(f, PORT_I8042_DATA, 0x01);                  /* A20 off, no reset */
    out(f, PORT_I8042_CMD, 0xD0);
    assert_int_equal(data(f) & 0x03, 0x01);
    out(f, 0x92, 0x00);
    assert_false(i8042_a20(&f->k));
    out(f, 0x92, SYSCTRL_A_A20);
    assert_true(i8042_a20(&f->k));
    assert_int_equal(in(f, 0x92), SYSCTRL_A_A20);
    assert_int_equal(f->resets, 0);
    out(f, PORT_I8042_CMD, 0xFF);                   /* pulse nothing */
    assert_int_equal(f->resets, 0);
    out(f, PORT_I8042_CMD, 0xFE);                   /* pulse the reset line */
    assert_int_equal(f->resets, 1);
    assert_non_null(strstr(f->why, "0xfe"));
    out(f, PORT_I8042_CMD, 0xD1);
    out(f, PORT_I8042_DATA, 0x00);
    assert_int_equal(f->resets, 2);
    out(f, 0x92, SYSCTRL_A_A20 | SYSCTRL_A_RESET);
    assert_int_equal(f->resets, 3);
}

static void test_aux_absent(void **state)
{
    struct fixture *f = *state;

    out(f, PORT_I8042_CMD, 0x60);
    out(f, PORT_I8042_DATA, I8042_CB_RESET | I8042_CB_AUXINT);
    out(f, PORT_I8042_CMD, 0xD4);
    out(f, PORT_I8042_DATA, 0xF2);
    assert_int_equal(status(f) & (I8042_STR_OBF | I8042_STR_AUXB), I8042_STR_OBF | I8042_STR_AUXB);
    assert_int_equal(f->irq12, 1);
    assert_int_equal(f->irq1, 0);
    assert_int_equal(data(f), 0xFE);
    assert_int_equal(f->irq12, 0);
}

static void test_queue_full_and_hostile(void **state)
{
    struct fixture *f = *state;
    uint8_t big[2000];
    uint32_t x = 7;

    memset(big, 'q', sizeof(big));
    size_t took = i8042_type(&f->k, big, sizeof(big));
    assert_int_equal(took, I8042_QUEUE / 2);        /* 2 bytes a key, one in the buffer */
    assert_int_equal(i8042_room(&f->k), 1);
    for (unsigned i = 0; i < 100000; i++) {
        x = x * 1103515245u + 12345u;
        uint16_t port = (x & 0x300) == 0 ? 0x92 : (x & 0x100) ? PORT_I8042_CMD : PORT_I8042_DATA;
        uint8_t v = (uint8_t)(x >> 16);
        if (x & 0x10000)
            out(f, port, v == 0xFE ? 0xFF : v);
        else
            in(f, port);
    }
    assert_true(i8042_room(&f->k) <= I8042_QUEUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_power_on_status_and_command_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_tests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyboard_reset_and_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typing_gives_set1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disable_holds_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_goes_ahead_of_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_port_a20_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aux_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full_and_hostile, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
