/* test_dbg_stepbreak.c - the debugger session over an engine that refuses
 * breakpoints (as the KVM engine does nested, docs/KVM-DEBUG.md): the
 * session reaches them by single steps, at the same instruction and count
 * as the engine's own breakpoints; watchpoints stay refused; `catch` says
 * which events the engine cannot report.  The engine underneath is the
 * real Unicorn engine with set_debug wrapped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "debugger/session.h"
#include "machine/event.h"
#include "machine/hv.h"
#include "machine/uc_engine.h"
#include "tests/unit/session_fixture.h"

static struct vcpu_ops refusing;
static unsigned refused, cleared;

/* Breakpoints or watchpoints: refused as kvm_engine.c does nested; none:
 * passed on (the session clears what the engine had). */
static int refusing_set_debug(struct vcpu *v, const struct vcpu_debug *d)
{
    if (d && d->nbreak + d->nwatch > 0) {
        refused++;
        return vms_seterr(VMS_ERR_UNSUPPORTED, "test: no breakpoints here");
    }
    cleared++;
    return uc_vcpu_ops.set_debug(v, d);
}

static struct session *open_hello(bool refuse)
{
    struct session *s = open_image(HELLO);

    if (refuse) {
        refusing = uc_vcpu_ops;
        refusing.name = "refusing";
        refusing.set_debug = refusing_set_debug;
        refusing.unreported_events = 1u << EV_EXCEPTION;
        session_vcpu(s)->ops = &refusing;
        refused = cleared = 0;
    }
    return s;
}

/* Both hits of hex8 with its condition-free breakpoint: stepped to on the
 * refusing engine, at the same instruction counts as Unicorn's own. */
static void test_break_by_steps(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *ref = open_hello(false), *s = open_hello(true);
    int rid = add_break(ref, HEX8), id = add_break(s, HEX8);

    for (int hit = 1; hit <= 2; hit++) {
        assert_int_equal(session_continue(ref, &st), 0);
        assert_int_equal(st.reason, DSTOP_BREAKPOINT);
        assert_int_equal(session_continue(s, &st), 0);
        assert_int_equal(st.reason, DSTOP_BREAKPOINT);
        assert_int_equal(st.bp, id);
        assert_int_equal(pc(s), HEX8);
        assert_int_equal(session_vcpu(s)->insns, session_vcpu(ref)->insns);
        assert_int_equal(session_bp_find(s, id)->hits, hit);
    }
    assert_true(refused >= 1);
    assert_true(cleared >= 1);
    /* deleted: the rest runs at full speed to the same exit */
    assert_int_equal(session_bp_delete(ref, rid), 0);
    assert_int_equal(session_bp_delete(s, id), 0);
    assert_int_equal(session_continue(ref, &st), 0);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_EXITED);
    assert_int_equal(st.exit_status, 33);
    session_destroy(ref);
    session_destroy(s);
}

/* `next` over a call and `finish` use internal breakpoints: stepped to. */
static void test_next_finish_by_steps(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *s = open_hello(true);
    int id = add_break(s, CALL_HEX8);

    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(pc(s), CALL_HEX8);
    assert_int_equal(session_bp_delete(s, id), 0);
    assert_int_equal(session_next(s, 1, &st), 0);
    assert_int_equal(st.reason, DSTOP_STEP);
    assert_int_equal(pc(s), CALL_HEX8 + 3);
    add_break(s, HEX8);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(pc(s), HEX8);
    assert_int_equal(session_finish(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_FINISH);
    session_destroy(s);
}

/* Watchpoints cannot be stepped to here: the engine's refusal stands. */
static void test_watch_refused(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *s = open_hello(true);
    struct dbg_bp b = { .type = BPT_WATCH, .enabled = true, .addr = 0x7e00, .len = 2,
                        .wkind = WATCH_WRITE };
    int id;

    assert_int_equal(session_bp_add(s, &b, &id), 0);
    int err = session_continue(s, &st);
    assert_int_equal(err, -VMS_ERR_UNSUPPORTED);
    assert_non_null(strstr(vms_lasterr(err), "no breakpoints here"));
    session_destroy(s);
}

struct capture { char buf[2048]; size_t n; };

static void cap_write(void *opaque, const char *text, size_t len)
{
    struct capture *c = opaque;
    size_t room = sizeof(c->buf) - 1 - c->n;

    if (len > room)
        len = room;
    memcpy(c->buf + c->n, text, len);
    c->n += len;
    c->buf[c->n] = '\0';
}

static void test_catch_note(void **state)
{
    (void)state;
    struct session *s = open_hello(true);
    struct capture c = { .n = 0 };
    struct dbg_out out = { cap_write, &c };

    assert_int_equal(session_exec(s, "catch exception de", &out), 0);
    assert_non_null(strstr(c.buf, "Note: the refusing engine does not report exception events"));
    assert_non_null(strstr(c.buf, "this catch will not stop"));
    c.n = 0;
    c.buf[0] = '\0';
    assert_int_equal(session_exec(s, "catch pio 0xf4", &out), 0);
    assert_null(strstr(c.buf, "Note:"));
    session_destroy(s);
    /* the Unicorn engine reports every kind: no note */
    s = open_hello(false);
    c.n = 0;
    c.buf[0] = '\0';
    assert_int_equal(session_exec(s, "catch exception de", &out), 0);
    assert_null(strstr(c.buf, "Note:"));
    session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_break_by_steps),
        cmocka_unit_test(test_next_finish_by_steps),
        cmocka_unit_test(test_watch_refused),
        cmocka_unit_test(test_catch_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
