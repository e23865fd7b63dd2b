/* test_debugexit.c - QEMU isa-debug-exit semantics at port 0xF4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/debugexit.h"
#include "machine/memmap.h"

struct exit_log {
    int calls;
    int status;
};

static void on_exit_cb(void *opaque, int status)
{
    struct exit_log *l = opaque;

    l->calls++;
    l->status = status;
}

struct fixture {
    struct bus bus;
    struct evstream ev;
    struct vclock clock;
    struct dev_ctx ctx;
    struct debugexit d;
    struct exit_log log;
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    bus_init(&f->bus);
    ev_init(&f->ev);
    vclock_init(&f->clock);
    f->ctx = (struct dev_ctx){ .ev = &f->ev, .clock = &f->clock, .vm = 0 };
    assert_int_equal(debugexit_init(&f->d, &f->ctx, on_exit_cb, &f->log), 0);
    assert_int_equal(debugexit_attach(&f->d, &f->bus), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    debugexit_destroy(&f->d);
    bus_fini(&f->bus);
    test_free(f);
    return 0;
}

static void test_status_formula(void **state)
{
    (void)state;
    assert_int_equal(debugexit_status(0), 1);
    assert_int_equal(debugexit_status(1), 3);
    assert_int_equal(debugexit_status(0x10), 0x21);
    assert_int_equal(debugexit_status(0x7F), 0xFF);
    /* (0x80 << 1) | 1 = 0x101: the process exit status keeps 8 bits. */
    assert_int_equal(debugexit_status(0x80), 1);
    assert_int_equal(debugexit_status(0x12345678), 0xF1);
}

static void test_byte_write_exits(void **state)
{
    struct fixture *f = *state;

    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_DEBUG_EXIT, 1, 0x10));
    assert_int_equal(f->log.calls, 1);
    assert_int_equal(f->log.status, 0x21);
    assert_true(f->d.exited);
    assert_int_equal(f->d.status, 0x21);
}

static void test_any_width_and_offset(void **state)
{
    struct fixture *f = *state;

    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_DEBUG_EXIT, 4, 0x00000102));
    assert_int_equal(f->log.status, 0x05);
    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_DEBUG_EXIT + 2, 2, 0x0003));
    assert_int_equal(f->log.status, 0x07);
    assert_int_equal(f->log.calls, 2);
    /* Past the 4-port range: not the device. */
    assert_null(bus_write(&f->bus, BUS_PIO, PORT_DEBUG_EXIT + 4, 1, 0));
    assert_null(bus_write(&f->bus, BUS_PIO, PORT_DEBUG_EXIT + 2, 4, 0));
    assert_int_equal(f->log.calls, 2);
}

static void test_read_is_open_bus(void **state)
{
    struct fixture *f = *state;
    uint64_t v = 0;

    bus_read(&f->bus, BUS_PIO, PORT_DEBUG_EXIT, 1, &v);
    assert_int_equal(v, 0xFF);
    assert_int_equal(f->log.calls, 0);
}

static void test_event_text(void **state)
{
    struct fixture *f = *state;

    vclock_advance_to(&f->clock, 1234);
    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_DEBUG_EXIT, 1, 0));
    const struct event *e = ev_get(&f->ev, f->ev.seq - 1);
    assert_non_null(e);
    assert_int_equal(e->kind, EV_DEVICE);
    assert_int_equal(e->vtime, 1234);
    assert_non_null(strstr(e->text, "debugexit"));
    assert_non_null(strstr(e->text, "exit status 1"));
}

static void test_null_ctx_and_callback(void **state)
{
    struct debugexit d;
    struct bus b;

    (void)state;
    bus_init(&b);
    assert_int_equal(debugexit_init(&d, NULL, NULL, NULL), 0);
    assert_int_equal(debugexit_attach(&d, &b), 0);
    assert_non_null(bus_write(&b, BUS_PIO, PORT_DEBUG_EXIT, 1, 2));
    assert_int_equal(d.status, 5);
    assert_int_equal(debugexit_init(NULL, NULL, NULL, NULL), -VMS_ERR_INVAL);
    debugexit_destroy(&d);
    bus_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_formula),
        cmocka_unit_test_setup_teardown(test_byte_write_exits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_any_width_and_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_is_open_bus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_text, setup, teardown),
        cmocka_unit_test(test_null_ctx_and_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
