/* test_ioapic.c - the 82093AA I/O APIC against its datasheet: IOREGSEL /
 * IOWIN, ID/version/arbitration, the 24 redirection entries (writable
 * bits, reset mask), edge and level delivery, masking, polarity, remote
 * IRR with EOI broadcast, destinations through the local APICs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/ioapic.h"
#include "machine/memmap.h"

#define NCPU 2

struct fixture {
    struct evstream ev;
    struct vclock clock;
    struct dev_ctx ctx;
    struct bus bus;
    struct apic_bus abus;
    struct lapic l[NCPU];
    struct ioapic io;
};

static void h_eoi(void *o, uint8_t v)
{
    struct fixture *f = o;
    ioapic_eoi(&f->io, v);
}

static const struct apic_bus_hooks hooks = { .eoi = h_eoi };

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    ev_init(&f->ev);
    vclock_init(&f->clock);
    bus_init(&f->bus);
    f->ctx = (struct dev_ctx){ .ev = &f->ev, .clock = &f->clock };
    apic_bus_init(&f->abus, &hooks, f);
    for (unsigned i = 0; i < NCPU; i++) {
        assert_int_equal(lapic_init(&f->l[i], &f->abus, i, &f->ctx), 0);
        lapic_write(&f->l[i], LAPIC_SVR, 4, APIC_SVR_ENABLE | 0xFF);
    }
    assert_int_equal(ioapic_init(&f->io, &f->ctx, &f->abus), 0);
    assert_int_equal(ioapic_attach(&f->io, &f->bus), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ioapic_destroy(&f->io);
    for (unsigned i = 0; i < NCPU; i++)
        lapic_destroy(&f->l[i]);
    bus_fini(&f->bus);
    test_free(f);
    return 0;
}

/* Through the bus, as a guest would. */
static uint32_t ird(struct fixture *f, uint8_t idx)
{
    uint64_t v;
    assert_non_null(bus_write(&f->bus, BUS_MMIO, MM_IOAPIC_BASE, 4, idx));
    assert_non_null(bus_read(&f->bus, BUS_MMIO, MM_IOAPIC_BASE + 0x10, 4, &v));
    return (uint32_t)v;
}

static void iwr(struct fixture *f, uint8_t idx, uint32_t v)
{
    assert_non_null(bus_write(&f->bus, BUS_MMIO, MM_IOAPIC_BASE, 4, idx));
    assert_non_null(bus_write(&f->bus, BUS_MMIO, MM_IOAPIC_BASE + 0x10, 4, v));
}

static void route(struct fixture *f, int pin, uint32_t lo, uint8_t dest)
{
    iwr(f, (uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
    iwr(f, (uint8_t)(0x10 + 2 * pin), lo);
}

static int take(struct lapic *l)
{
    return lapic_ack(l);
}

static void test_id_version_arb(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(ird(f, 0x00), 0);
    assert_int_equal(ird(f, 0x01), 0x00170011);
    assert_int_equal((ird(f, 0x01) >> 16) & 0xFF, 23);   /* 24 entries */
    assert_int_equal(ird(f, 0x02), 0);
    iwr(f, 0x00, 0xFFFFFFFF);
    assert_int_equal(ird(f, 0x00), 0x0F000000);          /* bits 27:24 */
    iwr(f, 0x01, 0);
    assert_int_equal(ird(f, 0x01), 0x00170011);          /* read-only */
    /* IOREGSEL reads back; unimplemented index reads 0 */
    uint64_t v;
    bus_write(&f->bus, BUS_MMIO, MM_IOAPIC_BASE, 4, 0x77);
    bus_read(&f->bus, BUS_MMIO, MM_IOAPIC_BASE, 4, &v);
    assert_int_equal(v, 0x77);
    assert_int_equal(ird(f, 0x77), 0);
    assert_int_equal(ird(f, 0x03), 0);
}

static void test_redirection_reset_and_masks(void **state)
{
    struct fixture *f = *state;

    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        assert_int_equal(ird(f, (uint8_t)(0x10 + 2 * pin)), 0x00010000);
        assert_int_equal(ird(f, (uint8_t)(0x11 + 2 * pin)), 0);
    }
    iwr(f, 0x10 + 2 * 5, 0xFFFFFFFF);
    /* delivery status (12) and remote IRR (14) are read-only */
    assert_int_equal(ird(f, 0x10 + 2 * 5), 0x0001AFFF);
    iwr(f, 0x11 + 2 * 5, 0xFFFFFFFF);
    assert_int_equal(ird(f, 0x11 + 2 * 5), 0xFF000000);
    /* index past entry 23 is not an entry */
    iwr(f, 0x10 + 2 * 24, 0);
    assert_int_equal(ird(f, 0x10 + 2 * 24), 0);
}

static void test_edge_delivery_and_mask(void **state)
{
    struct fixture *f = *state;

    route(f, 4, 0x00000024, 1);                 /* fixed, physical dest 1, edge */
    ioapic_set_irq(&f->io, 4, 1);
    assert_int_equal(take(&f->l[1]), 0x24);
    assert_int_equal(take(&f->l[0]), -1);
    lapic_write(&f->l[1], LAPIC_EOI, 4, 0);
    ioapic_set_irq(&f->io, 4, 1);               /* no new edge */
    assert_int_equal(take(&f->l[1]), -1);
    ioapic_set_irq(&f->io, 4, 0);
    ioapic_set_irq(&f->io, 4, 1);
    assert_int_equal(take(&f->l[1]), 0x24);
    lapic_write(&f->l[1], LAPIC_EOI, 4, 0);
    /* masked: the edge is lost, and unmasking does not bring it back */
    route(f, 4, IOAPIC_MASKED | 0x24, 1);
    ioapic_set_irq(&f->io, 4, 0);
    ioapic_set_irq(&f->io, 4, 1);
    route(f, 4, 0x24, 1);
    assert_int_equal(take(&f->l[1]), -1);
    assert_int_equal(f->io.delivered[4], 2);
}

static void test_level_remote_irr(void **state)
{
    struct fixture *f = *state;

    route(f, 10, IOAPIC_LEVEL | 0x3A, 0);
    ioapic_set_irq(&f->io, 10, 1);
    assert_true(ird(f, 0x10 + 2 * 10) & IOAPIC_REMOTE_IRR);
    assert_int_equal(take(&f->l[0]), 0x3A);
    /* still asserted, remote IRR set: nothing more */
    ioapic_set_irq(&f->io, 10, 1);
    assert_int_equal(f->io.delivered[10], 1);
    /* EOI with the line still high: remote IRR clears, sent again */
    lapic_write(&f->l[0], LAPIC_EOI, 4, 0);
    assert_int_equal(f->io.delivered[10], 2);
    assert_true(ird(f, 0x10 + 2 * 10) & IOAPIC_REMOTE_IRR);
    assert_int_equal(take(&f->l[0]), 0x3A);
    /* device lowers the line, then EOI: no resend, remote IRR clear */
    ioapic_set_irq(&f->io, 10, 0);
    lapic_write(&f->l[0], LAPIC_EOI, 4, 0);
    assert_int_equal(f->io.delivered[10], 2);
    assert_false(ird(f, 0x10 + 2 * 10) & IOAPIC_REMOTE_IRR);
    assert_int_equal(take(&f->l[0]), -1);
}

static void test_level_masked_then_unmasked(void **state)
{
    struct fixture *f = *state;

    route(f, 11, IOAPIC_MASKED | IOAPIC_LEVEL | 0x3B, 0);
    ioapic_set_irq(&f->io, 11, 1);
    assert_int_equal(take(&f->l[0]), -1);
    route(f, 11, IOAPIC_LEVEL | 0x3B, 0);      /* unmask while asserted */
    assert_int_equal(take(&f->l[0]), 0x3B);
}

static void test_polarity_low(void **state)
{
    struct fixture *f = *state;

    ioapic_set_irq(&f->io, 9, 1);              /* idle high */
    route(f, 9, IOAPIC_POLARITY_LOW | IOAPIC_LEVEL | 0x39, 0);
    assert_int_equal(take(&f->l[0]), -1);
    ioapic_set_irq(&f->io, 9, 0);              /* asserted (low) */
    assert_int_equal(take(&f->l[0]), 0x39);
}

static void test_logical_and_lowest(void **state)
{
    struct fixture *f = *state;

    lapic_write(&f->l[0], LAPIC_LDR, 4, 0x01u << 24);
    lapic_write(&f->l[1], LAPIC_LDR, 4, 0x02u << 24);
    route(f, 1, IOAPIC_DEST_LOGICAL | 0x21, 0x03);    /* fixed to both */
    ioapic_set_irq(&f->io, 1, 1);
    assert_int_equal(take(&f->l[0]), 0x21);
    assert_int_equal(take(&f->l[1]), 0x21);
    lapic_write(&f->l[0], LAPIC_TPR, 4, 0x20);
    route(f, 3, IOAPIC_DEST_LOGICAL | (1u << IOAPIC_DM_SHIFT) | 0x23, 0x03);  /* lowest */
    ioapic_set_irq(&f->io, 3, 1);
    assert_true(f->l[1].irr[0x23 / 32] & (1u << (0x23 % 32)));
    assert_false(f->l[0].irr[0x23 / 32] & (1u << (0x23 % 32)));
}

static void test_bad_pins_and_sizes(void **state)
{
    struct fixture *f = *state;

    ioapic_set_irq(&f->io, -1, 1);
    ioapic_set_irq(&f->io, 24, 1);
    ioapic_set_irq(&f->io, 1000, 1);
    /* a byte write to IOWIN is ignored, reads of other offsets are 0 */
    route(f, 2, 0x22, 0);
    bus_write(&f->bus, BUS_MMIO, MM_IOAPIC_BASE, 4, 0x10 + 4);
    bus_write(&f->bus, BUS_MMIO, MM_IOAPIC_BASE + 0x10, 1, 0xFF);
    assert_int_equal(ird(f, 0x10 + 4), 0x22);
    uint64_t v;
    bus_read(&f->bus, BUS_MMIO, MM_IOAPIC_BASE + 4, 4, &v);
    assert_int_equal(v, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
        T(test_id_version_arb),
        T(test_redirection_reset_and_masks),
        T(test_edge_delivery_and_mask),
        T(test_level_remote_irr),
        T(test_level_masked_then_unmasked),
        T(test_polarity_low),
        T(test_logical_and_lowest),
        T(test_bad_pins_and_sizes),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
