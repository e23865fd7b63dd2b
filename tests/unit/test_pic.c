/* test_pic.c - the 8259A pair: init sequence, masking, priority, EOI,
 * cascade, spurious interrupts, edge and level triggering, AEOI,
 * rotation, poll, special mask mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/memmap.h"
#include "machine/pic.h"

struct fixture {
    struct bus bus;
    struct evstream ev;
    struct dev_ctx ctx;
    struct pic pic;
    int intr, intr_changes;
};

static void intr_cb(void *opaque, int pin, int level)
{
    struct fixture *f = opaque;

    (void)pin;
    f->intr = level;
    f->intr_changes++;
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

/* The classic remap: master 0x20-0x27, slave 0x28-0x2F, ICW4 8086 (+@icw4). */
static void remap(struct fixture *f, uint8_t icw4)
{
    out8(f, 0x20, 0x11);
    out8(f, 0xA0, 0x11);
    out8(f, 0x21, 0x20);
    out8(f, 0xA1, 0x28);
    out8(f, 0x21, 0x04);
    out8(f, 0xA1, 0x02);
    out8(f, 0x21, icw4);
    out8(f, 0xA1, icw4);
}

static uint8_t read_isr(struct fixture *f, uint16_t cmd)
{
    out8(f, cmd, 0x0B);                        /* OCW3: read ISR */
    return in8(f, cmd);
}

static uint8_t read_irr(struct fixture *f, uint16_t cmd)
{
    out8(f, cmd, 0x0A);                        /* OCW3: read IRR */
    return in8(f, cmd);
}

static void raise(struct fixture *f, int pin) { pic_set_irq(&f->pic, pin, 1); }
static void lower(struct fixture *f, int pin) { pic_set_irq(&f->pic, pin, 0); }
static void pulse(struct fixture *f, int pin) { raise(f, pin); lower(f, pin); }

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    bus_init(&f->bus);
    ev_init(&f->ev);
    f->ctx = (struct dev_ctx){ .ev = &f->ev };
    struct irq_line intr = { .set = intr_cb, .opaque = f };
    assert_int_equal(pic_init(&f->pic, &f->ctx, intr), 0);
    assert_int_equal(pic_attach(&f->pic, &f->bus), 0);
    *state = f;
    return 0;
}

static int setup_remapped(void **state)
{
    setup(state);
    struct fixture *f = *state;
    remap(f, 0x01);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    pic_destroy(&f->pic);
    bus_fini(&f->bus);
    test_free(f);
    return 0;
}

static void test_bios_handoff_state(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(in8(f, 0x21), 0xFB);
    assert_int_equal(in8(f, 0xA1), 0xFF);
    pulse(f, 0);
    assert_false(pic_pending(&f->pic));        /* masked */
    assert_int_equal(f->intr, 0);
    assert_int_equal(read_irr(f, 0x20), 0x01); /* but requested */
    out8(f, 0x21, 0xFA);                       /* unmask IRQ0 */
    assert_true(pic_pending(&f->pic));
    assert_int_equal(f->intr, 1);
    assert_int_equal(pic_ack(&f->pic), 0x08);  /* BIOS vector base */
    assert_int_equal(f->intr, 0);
}

static void test_init_sequence(void **state)
{
    struct fixture *f = *state;

    remap(f, 0x01);
    assert_int_equal(in8(f, 0x21), 0x00);      /* ICW1 cleared IMR */
    assert_int_equal(in8(f, 0xA1), 0x00);
    const struct event *e = ev_get(&f->ev, 2); /* master ICW2 */
    assert_non_null(e);
    assert_string_equal(e->text, "pic1 ICW2 <- 0x20 (vectors 0x20-0x27)");
    pulse(f, 1);
    assert_int_equal(pic_ack(&f->pic), 0x21);
    /* Without IC4 and in single mode, ICW2 is the last word. */
    out8(f, 0x20, 0x12);
    out8(f, 0x21, 0x40);
    out8(f, 0x21, 0x01);                       /* this is OCW1 now */
    assert_int_equal(in8(f, 0x21), 0x01);
    pulse(f, 0);
    assert_false(pic_pending(&f->pic));
    pulse(f, 3);
    assert_int_equal(pic_ack(&f->pic), 0x43);
}

static void test_priority_and_nesting(void **state)
{
    struct fixture *f = *state;

    pulse(f, 3);
    pulse(f, 1);
    assert_int_equal(pic_ack(&f->pic), 0x21);  /* IR1 before IR3 */
    assert_false(pic_pending(&f->pic));        /* IR3 waits for EOI */
    pulse(f, 0);
    assert_true(pic_pending(&f->pic));         /* IR0 nests above IR1 */
    assert_int_equal(pic_ack(&f->pic), 0x20);
    assert_int_equal(read_isr(f, 0x20), 0x03);
    out8(f, 0x20, 0x20);                       /* EOI: clears IR0 */
    assert_int_equal(read_isr(f, 0x20), 0x02);
    assert_false(pic_pending(&f->pic));
    out8(f, 0x20, 0x20);
    assert_true(pic_pending(&f->pic));
    assert_int_equal(pic_ack(&f->pic), 0x23);
}

static void test_specific_eoi_and_mask(void **state)
{
    struct fixture *f = *state;

    pulse(f, 5);
    pulse(f, 6);
    assert_int_equal(pic_ack(&f->pic), 0x25);
    out8(f, 0x20, 0x65);                       /* specific EOI IR5 */
    assert_int_equal(read_isr(f, 0x20), 0x00);
    out8(f, 0x21, 0x40);                       /* mask IR6 */
    assert_false(pic_pending(&f->pic));
    assert_int_equal(read_irr(f, 0x20), 0x40);
    out8(f, 0x21, 0x00);
    assert_int_equal(pic_ack(&f->pic), 0x26);
    out8(f, 0x20, 0x63);                       /* specific EOI of IR3: no-op */
    assert_int_equal(read_isr(f, 0x20), 0x40);
}

static void test_cascade(void **state)
{
    struct fixture *f = *state;

    pulse(f, 12);
    assert_true(pic_pending(&f->pic));
    assert_int_equal(read_irr(f, 0x20), 0x04);
    assert_int_equal(pic_ack(&f->pic), 0x2C);
    assert_int_equal(read_isr(f, 0x20), 0x04);
    assert_int_equal(read_isr(f, 0xA0), 0x10);
    pulse(f, 9);                               /* higher on the slave */
    assert_false(pic_pending(&f->pic));        /* master IR2 in service */
    out8(f, 0xA0, 0x20);
    out8(f, 0x20, 0x20);
    assert_true(pic_pending(&f->pic));
    assert_int_equal(pic_ack(&f->pic), 0x29);
    /* Slave masked: no request reaches the master. */
    out8(f, 0xA0, 0x20);
    out8(f, 0x20, 0x20);
    out8(f, 0xA1, 0xFF);
    pulse(f, 8);
    assert_false(pic_pending(&f->pic));
}

static void test_spurious(void **state)
{
    struct fixture *f = *state;

    out8(f, 0x4D0, 0x20);                      /* IRQ5 level-triggered */
    out8(f, 0x4D1, 0x04);                      /* IRQ10 level-triggered */
    assert_int_equal(in8(f, 0x4D0), 0x20);
    raise(f, 5);
    assert_true(pic_pending(&f->pic));
    lower(f, 5);                               /* gone before INTA */
    assert_int_equal(pic_ack(&f->pic), 0x27);  /* spurious IR7 */
    assert_int_equal(read_isr(f, 0x20), 0x00); /* and no ISR bit */
    raise(f, 10);
    lower(f, 10);
    assert_int_equal(pic_ack(&f->pic), 0x2F);  /* spurious IR15 */
    const struct event *e = ev_get(&f->ev, f->ev.seq - 1);
    assert_string_equal(e->text, "pic INTA IRQ15 -> vector 0x2f (spurious)");
    assert_int_equal(read_isr(f, 0xA0), 0x00);
    assert_int_equal(read_isr(f, 0x20), 0x04); /* master needs its EOI */
    /* ELCR bits for IRQ0-2 cannot be set (PIIX). */
    out8(f, 0x4D0, 0xFF);
    assert_int_equal(in8(f, 0x4D0), 0xF8);
}

static void test_edge_vs_level(void **state)
{
    struct fixture *f = *state;

    raise(f, 4);                               /* edge, stays high */
    assert_int_equal(pic_ack(&f->pic), 0x24);
    out8(f, 0x20, 0x20);
    assert_false(pic_pending(&f->pic));        /* no new edge */
    raise(f, 4);
    assert_false(pic_pending(&f->pic));        /* still no edge */
    lower(f, 4);
    raise(f, 4);
    assert_true(pic_pending(&f->pic));
    pic_ack(&f->pic);
    out8(f, 0x20, 0x20);
    lower(f, 4);
    out8(f, 0x4D0, 0x10);                      /* IRQ4 level-triggered */
    raise(f, 4);
    assert_int_equal(pic_ack(&f->pic), 0x24);
    out8(f, 0x20, 0x20);
    assert_true(pic_pending(&f->pic));         /* still high: again */
    lower(f, 4);
    assert_false(pic_pending(&f->pic));
}

static void test_auto_eoi_and_rotation(void **state)
{
    struct fixture *f = *state;

    remap(f, 0x03);                            /* 8086 + AEOI */
    pulse(f, 0);
    assert_int_equal(pic_ack(&f->pic), 0x20);
    assert_int_equal(read_isr(f, 0x20), 0x00);
    remap(f, 0x01);
    pulse(f, 0);
    assert_int_equal(pic_ack(&f->pic), 0x20);
    out8(f, 0x20, 0xA0);                       /* rotate on non-specific EOI */
    pulse(f, 0);
    pulse(f, 5);
    assert_int_equal(pic_ack(&f->pic), 0x25);  /* IR0 is lowest now */
    out8(f, 0x20, 0xC4);                       /* set priority: IR4 lowest */
    out8(f, 0x20, 0x20);
    assert_int_equal(pic_ack(&f->pic), 0x20);
}

static void test_poll_command(void **state)
{
    struct fixture *f = *state;

    out8(f, 0x20, 0x0C);                       /* OCW3: poll */
    assert_int_equal(in8(f, 0x20), 0x00);      /* nothing requested */
    pulse(f, 6);
    out8(f, 0x20, 0x0C);
    assert_int_equal(in8(f, 0x20), 0x86);
    assert_int_equal(read_isr(f, 0x20), 0x40); /* poll acknowledged it */
    assert_false(pic_pending(&f->pic));
}

static void test_special_mask_mode(void **state)
{
    struct fixture *f = *state;

    pulse(f, 3);
    assert_int_equal(pic_ack(&f->pic), 0x23);
    pulse(f, 5);
    assert_false(pic_pending(&f->pic));        /* IR3 in service blocks IR5 */
    out8(f, 0x21, 0x08);                       /* mask IR3 */
    out8(f, 0x20, 0x68);                       /* OCW3: set SMM */
    assert_true(pic_pending(&f->pic));
    assert_int_equal(pic_ack(&f->pic), 0x25);
    out8(f, 0x20, 0x48);                       /* reset SMM */
    out8(f, 0x20, 0x65);
    assert_int_equal(read_isr(f, 0x20), 0x08);
}

static void test_hostile_pins_and_wide_access(void **state)
{
    struct fixture *f = *state;
    uint64_t v;

    pic_set_irq(&f->pic, -1, 1);
    pic_set_irq(&f->pic, 16, 1);
    pic_set_irq(&f->pic, 2, 1);                /* the cascade is internal */
    pic_set_irq(NULL, 3, 1);
    assert_int_equal(read_irr(f, 0x20), 0x00);
    /* A 16-bit write to 0x20 writes 0x20 then 0x21. */
    assert_non_null(bus_write(&f->bus, BUS_PIO, 0x20, 2, 0xF00A));
    assert_int_equal(in8(f, 0x21), 0xF0);
    assert_non_null(bus_read(&f->bus, BUS_PIO, 0x20, 2, &v));
    assert_int_equal(v, 0xF000);
    assert_int_equal(pic_init(NULL, NULL, (struct irq_line){ 0 }), -VMS_ERR_INVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_remapped, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bios_handoff_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_sequence, setup, teardown),
        T(test_priority_and_nesting),
        T(test_specific_eoi_and_mask),
        T(test_cascade),
        T(test_spurious),
        T(test_edge_vs_level),
        T(test_auto_eoi_and_rotation),
        T(test_poll_command),
        T(test_special_mask_mode),
        T(test_hostile_pins_and_wide_access),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
