/* test_core.c - bus routing, virtual timers, the event stream, guest RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/event.h"
#include "machine/gmem.h"
#include "machine/vclock.h"

struct fake_dev {
    uint64_t last_off, last_val;
    unsigned last_size, reads, writes;
};

static uint64_t fake_read(void *o, uint64_t off, unsigned size)
{
    struct fake_dev *d = o;
    d->last_off = off;
    d->last_size = size;
    d->reads++;
    return 0x1122334455667788ull;
}

static void fake_write(void *o, uint64_t off, unsigned size, uint64_t v)
{
    struct fake_dev *d = o;
    d->last_off = off;
    d->last_size = size;
    d->last_val = v;
    d->writes++;
}

static const struct bus_dev_ops fake_ops = { .read = fake_read, .write = fake_write };

static void test_bus_routes_and_refuses_overlap(void **state)
{
    (void)state;
    struct bus b;
    struct fake_dev a = { 0 }, c = { 0 };
    uint64_t v;

    bus_init(&b);
    assert_int_equal(bus_map(&b, BUS_PIO, 0x3F8, 8, &fake_ops, &a, "a"), 0);
    assert_int_equal(bus_map(&b, BUS_PIO, 0x20, 2, &fake_ops, &c, "c"), 0);
    /* overlaps at either end and containment are refused */
    assert_int_equal(bus_map(&b, BUS_PIO, 0x3F0, 9, &fake_ops, &c, "x"), -VMS_ERR_OVERLAP);
    assert_int_equal(bus_map(&b, BUS_PIO, 0x3FF, 4, &fake_ops, &c, "x"), -VMS_ERR_OVERLAP);
    assert_int_equal(bus_map(&b, BUS_PIO, 0x3FA, 1, &fake_ops, &c, "x"), -VMS_ERR_OVERLAP);
    assert_int_equal(bus_map(&b, BUS_PIO, 0x400, 0, &fake_ops, &c, "x"), -VMS_ERR_INVAL);
    assert_int_equal(bus_map(&b, BUS_MMIO, UINT64_MAX - 1, 4, &fake_ops, &c, "x"), -VMS_ERR_INVAL);
    /* adjacent ranges are fine; the other space is separate */
    assert_int_equal(bus_map(&b, BUS_PIO, 0x400, 1, &fake_ops, &c, "d"), 0);
    assert_int_equal(bus_map(&b, BUS_MMIO, 0x3F8, 8, &fake_ops, &c, "m"), 0);

    assert_non_null(bus_write(&b, BUS_PIO, 0x3FB, 1, 0x1FF));
    assert_int_equal(a.last_off, 3);
    assert_int_equal(a.last_val, 0xFF);       /* truncated to the size */
    assert_non_null(bus_read(&b, BUS_PIO, 0x3FC, 2, &v));
    assert_int_equal(v, 0x7788);
    assert_int_equal(a.last_off, 4);
    /* open bus: all ones, nobody called */
    assert_null(bus_read(&b, BUS_PIO, 0x80, 4, &v));
    assert_int_equal(v, 0xFFFFFFFF);
    /* straddling the end of a range, or odd sizes: refused */
    assert_null(bus_read(&b, BUS_PIO, 0x3FE, 4, &v));
    assert_null(bus_write(&b, BUS_PIO, 0x3F8, 3, 0));
    assert_int_equal(a.writes, 1);
    assert_int_equal(a.reads, 1);
    assert_ptr_equal(bus_find(&b, BUS_PIO, 0x21)->opaque, &c);
    assert_null(bus_find(&b, BUS_PIO, 0x22));
    bus_fini(&b);
}

struct fired {
    int order[8];
    uint64_t when[8];
    int n;
};

struct tctx {
    struct fired *f;
    int id;
    struct vclock *c;
    struct vtimer *t;
    int rearm;
};

static void on_fire(void *opaque, uint64_t now)
{
    struct tctx *t = opaque;
    t->f->order[t->f->n] = t->id;
    t->f->when[t->f->n++] = now;
    if (t->rearm-- > 0)
        vtimer_arm(t->c, t->t, now + 100);
}

static void test_vclock_order_and_rearm(void **state)
{
    (void)state;
    struct vclock c;
    struct vtimer t1, t2, t3;
    struct fired f = { .n = 0 };
    struct tctx a = { &f, 1, &c, &t1, 0 }, b = { &f, 2, &c, &t2, 2 }, d = { &f, 3, &c, &t3, 0 };

    vclock_init(&c);
    vtimer_init(&t1, on_fire, &a);
    vtimer_init(&t2, on_fire, &b);
    vtimer_init(&t3, on_fire, &d);
    vtimer_arm(&c, &t1, 500);
    vtimer_arm(&c, &t2, 200);
    vtimer_arm(&c, &t3, 500);     /* same deadline as t1: fires after it */
    assert_int_equal(vclock_next_deadline(&c), 200);
    vclock_advance_to(&c, 199);
    assert_int_equal(f.n, 0);
    vclock_advance_to(&c, 1000);
    /* t2 at 200, re-armed to 300, 400; then t1 and t3 at 500 */
    assert_int_equal(f.n, 5);
    int order[] = { 2, 2, 2, 1, 3 };
    uint64_t when[] = { 200, 300, 400, 500, 500 };
    for (int i = 0; i < 5; i++) {
        assert_int_equal(f.order[i], order[i]);
        assert_int_equal(f.when[i], when[i]);
    }
    assert_int_equal(vclock_next_deadline(&c), VCLOCK_NEVER);
    vclock_advance_to(&c, 10);    /* never backwards */
    assert_int_equal(vclock_now(&c), 1000);
    vtimer_arm(&c, &t1, 2000);
    vtimer_cancel(&c, &t1);
    assert_int_equal(vclock_next_deadline(&c), VCLOCK_NEVER);
}

static void count_sink(void *opaque, const struct event *e)
{
    (void)e;
    (*(int *)opaque)++;
}

static void test_event_stream_and_json(void **state)
{
    (void)state;
    static struct evstream s;
    int n = 0;
    struct ev_sink k = { .emit = count_sink, .opaque = &n };
    char buf[512];

    ev_init(&s);
    ev_add_sink(&s, &k);
    for (int i = 0; i < (int)EV_RING + 5; i++) {
        struct event e = { .kind = EV_PIO, .addr = 0x3F8, .size = 1, .write = 1,
                           .value = (uint64_t)i, .vcpu = 0 };
        ev_emit(&s, &e);
    }
    assert_int_equal(n, EV_RING + 5);
    assert_null(ev_get(&s, 4));                /* overwritten */
    assert_int_equal(ev_get(&s, 5)->value, 5);
    assert_null(ev_get(&s, EV_RING + 5));      /* not yet */
    ev_device(&s, 2, 77, "uart0", "THR <- '%c'", '"');
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    assert_int_equal(ev_write_json(f, ev_get(&s, EV_RING + 5)), 0);
    fclose(f);
    assert_string_equal(buf, "{\"seq\":4101,\"t\":77,\"kind\":\"device\",\"vm\":2,"
                             "\"text\":\"uart0 THR <- '\\\"'\"}\n");
    s.kind_mask &= ~(1u << EV_PIO);
    struct event e = { .kind = EV_PIO };
    ev_emit(&s, &e);
    assert_int_equal(s.seq, EV_RING + 6);      /* filtered: not recorded */
}

static void test_gmem_bounds_and_sizes(void **state)
{
    (void)state;
    struct gmem m;
    uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint64_t v;

    assert_int_equal(gmem_init(&m, 10000), 0);
    assert_int_equal(m.size, 12288);           /* rounded to pages */
    assert_int_equal(gmem_write(&m, m.size - 8, b, 8), 0);
    assert_int_equal(gmem_write(&m, m.size - 7, b, 8), -VMS_ERR_RANGE);
    assert_int_equal(gmem_read(&m, UINT64_MAX - 2, b, 8), -VMS_ERR_RANGE);
    assert_null(gmem_ptr(&m, 4, UINT64_MAX));
    assert_non_null(gmem_ptr(&m, m.size, 0));
    gmem_fini(&m);
    assert_int_equal(gmem_parse_size("64M", &v), 0);
    assert_int_equal(v, 64u << 20);
    assert_int_equal(gmem_parse_size("1GiB", &v), 0);
    assert_int_equal(v, 1u << 30);
    assert_int_equal(gmem_parse_size("4096", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(gmem_parse_size("lots", &v), -VMS_ERR_INVAL);
    assert_int_equal(gmem_parse_size("0", &v), -VMS_ERR_INVAL);
    assert_int_equal(gmem_parse_size("99999999999G", &v), -VMS_ERR_INVAL);
    assert_int_equal(gmem_parse_size("12Q", &v), -VMS_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bus_routes_and_refuses_overlap),
        cmocka_unit_test(test_vclock_order_and_rearm),
        cmocka_unit_test(test_event_stream_and_json),
        cmocka_unit_test(test_gmem_bounds_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
