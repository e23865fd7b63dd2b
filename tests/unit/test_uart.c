/* test_uart.c - NS16550A registers, DLAB, FIFO, interrupt priorities,
 * loopback, overrun, character timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/memmap.h"
#include "machine/uart.h"

#define BASE PORT_COM1
#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct fixture {
    struct bus bus;
    struct evstream ev;
    struct vclock clock;
    struct dev_ctx ctx;
    struct uart u;
    uint8_t sent[64];
    unsigned nsent;
    int irq_level, irq_changes;
};

static void tx_cb(void *opaque, uint8_t byte)
{
    struct fixture *f = opaque;

    if (f->nsent < sizeof(f->sent))
        f->sent[f->nsent++] = byte;
}

static void irq_cb(void *opaque, int pin, int level)
{
    struct fixture *f = opaque;

    assert_int_equal(pin, IRQ_COM1);
    f->irq_level = level;
    f->irq_changes++;
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    bus_init(&f->bus);
    ev_init(&f->ev);
    vclock_init(&f->clock);
    f->ctx = (struct dev_ctx){ .ev = &f->ev, .clock = &f->clock };
    struct irq_line irq = { .set = irq_cb, .opaque = f, .pin = IRQ_COM1 };
    assert_int_equal(uart_init(&f->u, "uart0", &f->ctx, irq, tx_cb, f), 0);
    assert_int_equal(uart_attach(&f->u, &f->bus, BASE), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    uart_destroy(&f->u);
    bus_fini(&f->bus);
    test_free(f);
    return 0;
}

static uint8_t rd(struct fixture *f, unsigned reg)
{
    uint64_t v = 0;

    assert_non_null(bus_read(&f->bus, BUS_PIO, BASE + reg, 1, &v));
    return (uint8_t)v;
}

static void wr(struct fixture *f, unsigned reg, uint8_t v)
{
    assert_non_null(bus_write(&f->bus, BUS_PIO, BASE + reg, 1, v));
}

static const char *last_text(struct fixture *f)
{
    const struct event *e = ev_get(&f->ev, f->ev.seq - 1);

    return e ? e->text : "";
}

static void test_reset_values(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, IER), 0x00);
    assert_int_equal(rd(f, IIR), 0x01);
    assert_int_equal(rd(f, LCR), 0x00);
    assert_int_equal(rd(f, MCR), 0x08);       /* OUT2, as QEMU */
    assert_int_equal(rd(f, LSR), 0x60);
    assert_int_equal(rd(f, MSR), 0xB0);       /* DCD DSR CTS */
    assert_int_equal(rd(f, SCR), 0x00);
    wr(f, LCR, 0x80);
    assert_int_equal(rd(f, RBR), 12);          /* DLL: 9600 baud */
    assert_int_equal(rd(f, IER), 0);           /* DLM */
    assert_int_equal(f->irq_changes, 0);
}

static void test_thr_transmits_and_event(void **state)
{
    struct fixture *f = *state;

    wr(f, RBR, 'H');
    wr(f, RBR, '\n');
    assert_int_equal(f->nsent, 2);
    assert_int_equal(f->sent[0], 'H');
    assert_int_equal(f->sent[1], '\n');
    assert_string_equal(last_text(f), "uart0 THR <- 0x0a");
    assert_int_equal(rd(f, LSR), 0x60);        /* THRE | TEMT stay set */
    const struct event *e = ev_get(&f->ev, f->ev.seq - 2);
    assert_string_equal(e->text, "uart0 THR <- 'H'");
}

static void test_dlab_and_scratch(void **state)
{
    struct fixture *f = *state;

    wr(f, LCR, 0x83);                          /* DLAB, 8N1 */
    wr(f, 0, 0x01);
    wr(f, 1, 0x02);
    assert_int_equal(f->u.divisor, 0x0201);
    assert_int_equal(f->nsent, 0);             /* DLL write is not THR */
    assert_int_equal(f->u.ier, 0);             /* DLM write is not IER */
    wr(f, LCR, 0x03);
    assert_int_equal(rd(f, LCR), 0x03);
    wr(f, IER, 0xFF);
    assert_int_equal(rd(f, IER), 0x0F);        /* bits 4-7 read 0 */
    wr(f, SCR, 0x5A);
    assert_int_equal(rd(f, SCR), 0x5A);
    wr(f, MCR, 0xFF);
    assert_int_equal(rd(f, MCR), 0x1F);
}

static void test_thre_interrupt(void **state)
{
    struct fixture *f = *state;

    wr(f, IER, 0x02);                          /* ETBEI with THR empty */
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, IIR), 0x02);
    assert_int_equal(f->irq_level, 0);         /* IIR read cleared it */
    assert_int_equal(rd(f, IIR), 0x01);
    wr(f, RBR, 'x');                           /* sent at once: THRE again */
    assert_int_equal(f->irq_level, 1);
    wr(f, IER, 0x00);
    assert_int_equal(f->irq_level, 0);
    wr(f, IER, 0x02);                          /* re-enabling re-raises */
    assert_int_equal(f->irq_level, 1);
}

static void test_rx_data_and_lsr(void **state)
{
    struct fixture *f = *state;
    const uint8_t in[] = { 'a', 'b' };

    wr(f, IER, 0x01);
    assert_int_equal(f->irq_level, 0);
    uart_rx_push(&f->u, in, 1);
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, IIR), 0x04);
    assert_int_equal(rd(f, LSR), 0x61);
    assert_int_equal(rd(f, RBR), 'a');
    assert_int_equal(f->irq_level, 0);
    assert_int_equal(rd(f, LSR), 0x60);
    /* 16450 mode holds one byte: a second one overruns. */
    uart_rx_push(&f->u, in, 2);
    assert_int_equal(rd(f, LSR), 0x63);        /* DR | OE */
    assert_int_equal(rd(f, LSR), 0x61);        /* OE cleared by the read */
    assert_int_equal(rd(f, RBR), 'b');         /* newest byte kept */
}

static void test_priorities(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[2] = { '1', '2' };

    wr(f, IER, 0x0F);
    assert_int_equal(rd(f, IIR), 0x02);        /* THRE (cleared now) */
    wr(f, MCR, 0x18);                          /* loop: lines change: MS */
    assert_int_equal(rd(f, IIR), 0x00);        /* modem status */
    wr(f, MCR, 0x08);                          /* out of loopback */
    wr(f, IER, 0x0D);
    wr(f, IER, 0x0F);                          /* THRE pending again */
    assert_int_equal(rd(f, IIR) & 0x0F, 0x02); /* THRE beats MS */
    wr(f, IER, 0x0D);
    wr(f, IER, 0x0F);
    uart_rx_push(&f->u, buf, 1);
    assert_int_equal(rd(f, IIR), 0x04);        /* RDA beats THRE */
    uart_rx_push(&f->u, buf + 1, 1);           /* overrun: line status */
    assert_int_equal(rd(f, IIR), 0x06);        /* RLS beats RDA */
    assert_int_equal(rd(f, LSR) & 0x02, 0x02);
    assert_int_equal(rd(f, IIR), 0x04);
    rd(f, RBR);
    assert_int_equal(rd(f, IIR), 0x02);        /* THRE still pending */
    assert_int_equal(rd(f, IIR), 0x00);        /* then MS */
    rd(f, MSR);
    assert_int_equal(rd(f, IIR), 0x01);
    assert_int_equal(f->irq_level, 0);
}

static void test_fifo_trigger_and_timeout(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[20];

    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)('A' + i);
    wr(f, LCR, 0x03);                          /* 8N1: 10 bits a character */
    wr(f, FCR, 0x87);                          /* enable, reset, trigger 8 */
    wr(f, IER, 0x01);
    assert_int_equal(rd(f, IIR), 0xC1);        /* FIFO bits, no interrupt */
    uart_rx_push(&f->u, buf, 7);
    assert_int_equal(f->irq_level, 0);         /* below trigger */
    assert_int_equal(uart_rx_room(&f->u), 9);
    uart_rx_push(&f->u, buf + 7, 1);
    assert_int_equal(rd(f, IIR), 0xC4);        /* trigger level reached */
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(rd(f, RBR), 'A' + i);
    assert_int_equal(f->irq_level, 0);         /* 4 left, below trigger */
    /* 4 character times at 9600 8N1 = 4 * 10 * 12 / 115200 s. */
    uint64_t t4 = 4ull * 10 * 12 * 1000000000ull / 115200;
    vclock_advance_to(&f->clock, f->clock.now + t4 - 1);
    assert_int_equal(f->irq_level, 0);
    vclock_advance_to(&f->clock, f->clock.now + 1);
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, IIR), 0xCC);        /* character timeout */
    assert_int_equal(rd(f, RBR), 'E');         /* reading clears it */
    assert_int_equal(rd(f, IIR), 0xC1);
    wr(f, FCR, 0x03);                          /* RX reset */
    assert_int_equal(rd(f, LSR), 0x60);
}

static void test_fifo_overrun(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[18];

    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)i;
    wr(f, FCR, 0x01);
    uart_rx_push(&f->u, buf, sizeof(buf));
    assert_int_equal(uart_rx_room(&f->u), 0);
    assert_int_equal(rd(f, LSR) & 0x03, 0x03);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(rd(f, RBR), i);       /* the FIFO kept the first 16 */
    assert_int_equal(rd(f, LSR), 0x60);
    wr(f, FCR, 0x00);                          /* leaving FIFO mode */
    assert_int_equal(rd(f, IIR), 0x01);
}

static void test_loopback(void **state)
{
    struct fixture *f = *state;
    const uint8_t host = 'h';

    wr(f, MCR, 0x10);                          /* LOOP, all outputs off */
    rd(f, MSR);                                /* clear the deltas */
    assert_int_equal(rd(f, MSR), 0x00);
    wr(f, MCR, 0x1F);                          /* DTR RTS OUT1 OUT2 */
    assert_int_equal(rd(f, MSR), 0xFB);        /* lines + DCTS DDSR DDCD */
    wr(f, MCR, 0x1B);                          /* OUT1 (RI) falls: TERI */
    assert_int_equal(rd(f, MSR), 0xB4);
    wr(f, RBR, 'L');
    assert_int_equal(f->nsent, 0);             /* not on the wire */
    assert_int_equal(rd(f, LSR), 0x61);
    uart_rx_push(&f->u, &host, 1);             /* input disconnected */
    assert_int_equal(uart_rx_room(&f->u), 0);
    assert_int_equal(rd(f, RBR), 'L');
    assert_int_equal(rd(f, LSR), 0x60);
}

static void test_wide_access_and_bounds(void **state)
{
    struct fixture *f = *state;
    uint64_t v;

    /* A 16-bit write at offset 3 writes LCR then MCR. */
    assert_non_null(bus_write(&f->bus, BUS_PIO, BASE + 3, 2, 0x0B03));
    assert_int_equal(f->u.lcr, 0x03);
    assert_int_equal(f->u.mcr, 0x0B);
    assert_non_null(bus_read(&f->bus, BUS_PIO, BASE + 4, 4, &v));
    assert_int_equal(v & 0xFF, 0x0B);
    /* Straddling the end is refused by the bus, not the device. */
    assert_null(bus_read(&f->bus, BUS_PIO, BASE + 6, 4, &v));
    uart_rx_push(&f->u, NULL, 5);
    uart_rx_push(NULL, (const uint8_t *)"x", 1);
    assert_int_equal(uart_init(NULL, "x", NULL, (struct irq_line){ 0 }, NULL, NULL),
                     -VMS_ERR_INVAL);
}

static void test_no_ctx_timeout_immediate(void **state)
{
    struct uart u;
    const uint8_t b = 'z';

    (void)state;
    assert_int_equal(uart_init(&u, "uart1", NULL, (struct irq_line){ 0 }, NULL, NULL), 0);
    u.fcr = 0xC1;                              /* FIFO on, trigger 14 */
    u.ier = 0x01;
    uart_rx_push(&u, &b, 1);
    assert_int_equal(uart_peek_iir(&u), 0xCC);
    uart_destroy(&u);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reset_values),
        T(test_thr_transmits_and_event),
        T(test_dlab_and_scratch),
        T(test_thre_interrupt),
        T(test_rx_data_and_lsr),
        T(test_priorities),
        T(test_fifo_trigger_and_timeout),
        T(test_fifo_overrun),
        T(test_loopback),
        T(test_wide_access_and_bounds),
        cmocka_unit_test(test_no_ctx_timeout_immediate),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
