/* test_dbg_evfilter.c - event filters (debugger/evfilter.c): every form
 * of the catch/info-events language, matching against hand-made events,
 * and the description round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "debugger/session.h"

static struct dbg_evfilter parse(const char *text)
{
    struct dbg_evfilter f;
    char err[160];
    if (dbg_evfilter_parse(&f, text, err, sizeof(err)) != 0)
        fail_msg("'%s': %s", text, err);
    return f;
}

static struct event ev(enum ev_kind k)
{
    struct event e;
    memset(&e, 0, sizeof(e));
    e.kind = (uint8_t)k;
    return e;
}

static void test_kinds(void **state)
{
    (void)state;
    struct dbg_evfilter f = parse("exception 14");
    struct event e = ev(EV_EXCEPTION);
    e.vector = 14;
    assert_true(dbg_evfilter_match(&f, &e));
    e.vector = 13;
    assert_false(dbg_evfilter_match(&f, &e));
    f = parse("exception pf");
    e.vector = 14;
    assert_true(dbg_evfilter_match(&f, &e));
    f = parse("exception #GP");
    assert_int_equal(f.vector, 13);
    f = parse("exception");
    assert_true(dbg_evfilter_match(&f, &e));
    struct event inj = ev(EV_INJECT);
    assert_false(dbg_evfilter_match(&f, &inj));
    /* interrupt = injected IRQs and INT n */
    f = parse("interrupt 0x80");
    struct event si = ev(EV_SOFTINT);
    si.vector = 0x80;
    assert_true(dbg_evfilter_match(&f, &si));
    inj.vector = 0x80;
    assert_true(dbg_evfilter_match(&f, &inj));
    struct event ex = ev(EV_EXCEPTION);
    ex.vector = 0x80;
    assert_false(dbg_evfilter_match(&f, &ex));
}

static void test_io(void **state)
{
    (void)state;
    struct dbg_evfilter f = parse("pio 0x3f8-0x3ff write");
    struct event e = ev(EV_PIO);
    e.addr = 0x3f8;
    e.write = 1;
    assert_true(dbg_evfilter_match(&f, &e));
    e.addr = 0x400;
    assert_false(dbg_evfilter_match(&f, &e));
    e.addr = 0x3fd;
    e.write = 0;
    assert_false(dbg_evfilter_match(&f, &e));
    f = parse("port 0xf4");
    e.addr = 0xf4;
    assert_true(dbg_evfilter_match(&f, &e));
    f = parse("mmio 0xfee00000-0xfee00fff read");
    struct event m = ev(EV_MMIO);
    m.addr = 0xfee00020;
    assert_true(dbg_evfilter_match(&f, &m));
    assert_false(dbg_evfilter_match(&f, &e));
    /* device NAME: its port/MMIO exits and its decoded traffic */
    f = parse("device uart0");
    struct event d = ev(EV_DEVICE);
    snprintf(d.text, sizeof(d.text), "uart0 THR <- 'H'");
    assert_true(dbg_evfilter_match(&f, &d));
    snprintf(d.text, sizeof(d.text), "pic1 IMR <- 0xff");
    assert_false(dbg_evfilter_match(&f, &d));
    snprintf(e.text, sizeof(e.text), "uart0");
    assert_true(dbg_evfilter_match(&f, &e));
}

static void test_mode_exit_sched(void **state)
{
    (void)state;
    struct dbg_evfilter f = parse("mode long paging");
    struct event e = ev(EV_MODE);
    e.value = MODE_LONG64;
    snprintf(e.text, sizeof(e.text), "long64 paging");
    assert_true(dbg_evfilter_match(&f, &e));
    f = parse("mode nopaging");
    assert_false(dbg_evfilter_match(&f, &e));
    f = parse("mode real");
    assert_false(dbg_evfilter_match(&f, &e));
    f = parse("cr3 0x101000");
    struct event c = ev(EV_CR3);
    c.addr = 0x101000;
    assert_true(dbg_evfilter_match(&f, &c));
    c.addr = 0x102000;
    assert_false(dbg_evfilter_match(&f, &c));
    f = parse("exit hlt");
    assert_true(dbg_evfilter_match(&f, &(struct event){ .kind = EV_HLT }));
    assert_false(dbg_evfilter_match(&f, &(struct event){ .kind = EV_PIO }));
    f = parse("exit");
    assert_true(dbg_evfilter_match(&f, &(struct event){ .kind = EV_PIO }));
    assert_false(dbg_evfilter_match(&f, &(struct event){ .kind = EV_SCHED }));
    f = parse("triple");
    assert_true(dbg_evfilter_match(&f, &(struct event){ .kind = EV_SHUTDOWN }));
    f = parse("sched vm1.vcpu2");
    struct event s = ev(EV_SCHED);
    s.vm = 1;
    s.vcpu = 2;
    assert_true(dbg_evfilter_match(&f, &s));
    s.vcpu = 0;
    assert_false(dbg_evfilter_match(&f, &s));
    f = parse("exception vm1");
    struct event x = ev(EV_EXCEPTION);
    x.vm = 0;
    assert_false(dbg_evfilter_match(&f, &x));
    f = parse("any");
    assert_true(dbg_evfilter_match(&f, &x));
}

static void test_errors_and_format(void **state)
{
    struct dbg_evfilter f;
    char err[160], buf[96];
    (void)state;
    assert_int_equal(dbg_evfilter_parse(&f, "bogus", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_non_null(strstr(err, "bogus"));
    assert_int_equal(dbg_evfilter_parse(&f, "", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(dbg_evfilter_parse(&f, "exception 300", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(dbg_evfilter_parse(&f, "pio 5-1", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(dbg_evfilter_parse(&f, "mode sideways", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(dbg_evfilter_parse(&f, "exit nothing", err, sizeof(err)), -VMS_ERR_SYNTAX);
    f = parse("pio 0x3f8-0x3ff write vm0.vcpu1");
    dbg_evfilter_format(&f, buf, sizeof(buf));
    assert_string_equal(buf, "pio 0x3f8-0x3ff write vm0.vcpu1");
    struct dbg_evfilter g = parse(buf);           /* the description parses back */
    assert_memory_equal(&f, &g, sizeof(f));
    f = parse("exception 14");
    dbg_evfilter_format(&f, buf, sizeof(buf));
    assert_string_equal(buf, "exception 14");
    f = parse("mode long paging");
    dbg_evfilter_format(&f, buf, sizeof(buf));
    assert_string_equal(buf, "mode long64 paging");
    f = parse("exit end");                        /* one kind of exit: parses back */
    dbg_evfilter_format(&f, buf, sizeof(buf));
    assert_string_equal(buf, "exit end");
    g = parse(buf);
    assert_memory_equal(&f, &g, sizeof(f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_io),
        cmocka_unit_test(test_mode_exit_sched),
        cmocka_unit_test(test_errors_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
