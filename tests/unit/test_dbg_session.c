/* test_dbg_session.c - the debugger session over the real Unicorn engine
 * and the hello / protected scenarios: stepping counts, breakpoints
 * (resuming at one executes it), step/continue alternation against a
 * straight run, watchpoints, event breakpoints, finish, the changed-set,
 * disassembly markers, memory, restart, interruption, session_exec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "debugger/session.h"
#include "machine/hv.h"
#include "tests/unit/session_fixture.h"

#define PROTECTED "build/scenarios/protected/protected.elf"

static void test_stepi(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *s = open_image(HELLO);

    assert_int_equal(session_last_stop(s)->reason, DSTOP_START);
    assert_int_equal(pc(s), 0x7c00);
    assert_int_equal(session_stepi(s, 1, &st), 0);
    assert_int_equal(st.reason, DSTOP_STEP);
    assert_int_equal(st.steps, 1);
    assert_int_equal(pc(s), 0x7c01);
    assert_int_equal(session_stepi(s, 3, &st), 0);    /* mov bx,cs; call; pop di */
    assert_int_equal(st.steps, 3);
    assert_int_equal(pc(s), 0x7c07);
    assert_int_equal(session_vcpu(s)->insns, 4);
    assert_non_null(strstr(st.line, "Stepped 3 instructions"));
    session_destroy(s);
}

static void test_breakpoint_resume(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *s = open_image(HELLO);
    int id = add_break(s, HEX8);

    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_BREAKPOINT);
    assert_int_equal(st.bp, id);
    assert_int_equal(pc(s), HEX8);
    uint64_t first = session_vcpu(s)->insns;
    /* resuming at the breakpoint executes it: the next stop is a new call */
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_BREAKPOINT);
    assert_true(session_vcpu(s)->insns > first + 5);
    assert_int_equal(session_bp_find(s, id)->hits, 2);
    /* a disabled breakpoint does not stop; a false condition does not either */
    assert_int_equal(session_bp_enable(s, id, false), 0);
    assert_int_equal(session_bp_condition(s, id, "$al == 0x1234"), 0);
    assert_int_equal(session_bp_enable(s, id, true), 0);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_EXITED);
    assert_int_equal(st.exit_status, 33);
    assert_int_equal(session_bp_find(s, id)->hits, 2);
    /* the device view remembers each register's last write from the start */
    struct dbg_devreg regs[16];
    int nr = session_device_regs(s, "uart0", regs, 16);
    bool lcr = false;
    for (int i = 0; i < nr; i++)
        lcr |= !strcmp(regs[i].reg, "LCR") && !strncmp(regs[i].value, "0x03", 4);
    assert_true(lcr);
    assert_int_equal(session_device_regs(s, "nosuch", regs, 16), 0);
    /* running an exited VM is refused, with the stop saying why */
    assert_int_equal(session_stepi(s, 1, &st), -VMS_ERR_SHUTDOWN);
    session_destroy(s);
}

/* Stepping, continuing to breakpoints and running to counts, mixed, end
 * in exactly the state a straight run to the same count reaches
 * (DESIGN.md: counted and uncounted runs must not disturb each other). */
static void test_alternation_matches_straight_run(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *a = open_image(HELLO), *b = open_image(HELLO);

    add_break(a, HEX8);
    for (int round = 0; round < 2; round++) {   /* hello calls hex8 twice */
        assert_int_equal(session_stepi(a, 7, &st), 0);
        assert_int_equal(session_continue(a, &st), 0);
        assert_int_equal(st.reason, DSTOP_BREAKPOINT);
        assert_int_equal(session_stepi(a, 1, &st), 0);
    }
    assert_int_equal(session_bp_delete(a, 0), 0);
    assert_int_equal(session_stepi(a, 13, &st), 0);
    uint64_t n = session_vcpu(a)->insns;
    assert_int_equal(session_run_to_count(b, n, &st), 0);
    assert_int_equal(st.reason, DSTOP_COUNT);
    assert_int_equal(session_vcpu(b)->insns, n);
    const struct cpu_state *ca = session_cpu(a), *cb = session_cpu(b);
    assert_int_equal(ca->rip, cb->rip);
    for (int r = 0; r < GPR_COUNT; r++)
        assert_int_equal(ca->gpr[r], cb->gpr[r]);
    assert_int_equal(ca->rflags, cb->rflags);
    session_destroy(a);
    session_destroy(b);
}

static void test_watchpoint(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *s = open_image(HELLO);
    /* the call at 0x7c03 pushes its return address at SP-2 = 0x6f02 */
    struct dbg_bp w = { .type = BPT_WATCH, .enabled = true, .addr = 0x6f02, .len = 2,
                        .wkind = WATCH_WRITE };
    int id;
    assert_int_equal(session_bp_add(s, &w, &id), 0);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_WATCHPOINT);
    assert_int_equal(st.bp, id);
    assert_true(st.write);
    assert_int_equal(st.addr, 0x6f02);
    assert_int_equal(st.value, 0x7c06);
    assert_int_equal(pc(s), 0x7c06);              /* after the access */
    assert_int_equal(session_vcpu(s)->insns, 3);
    /* a physical watchpoint on the same bytes, read: `pop di` */
    assert_int_equal(session_bp_delete(s, id), 0);
    w.phys = true;
    w.wkind = WATCH_READ;
    assert_int_equal(session_bp_add(s, &w, &id), 0);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_WATCHPOINT);
    assert_false(st.write);
    assert_int_equal(st.value, 0x7c06);
    assert_int_equal(pc(s), 0x7c07);
    session_destroy(s);
}

/* `watch` stops only when a write changes the value (gdb); the line
 * shows old -> new.  The guest is patched through the session. */
static void test_watch_value_change(void **state)
{
    static const uint8_t code[] = {
        0xC7, 0x06, 0x00, 0x06, 0x05, 0x00,   /* mov word [0x600], 5 */
        0xC7, 0x06, 0x00, 0x06, 0x05, 0x00,   /* mov word [0x600], 5 (no change) */
        0xC7, 0x06, 0x00, 0x06, 0x06, 0x00,   /* mov word [0x600], 6 */
        0xF4,                                 /* hlt */
    };
    struct dbg_stop st;
    (void)state;
    struct session *s = open_image(HELLO);
    struct dbg_bp w = { .type = BPT_WATCH, .enabled = true, .addr = 0x600, .len = 2,
                        .wkind = WATCH_WRITE };
    int id;

    assert_int_equal(session_write_phys(s, 0x7c00, code, sizeof(code)), 0);
    assert_int_equal(session_bp_add(s, &w, &id), 0);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_WATCHPOINT);
    assert_int_equal(pc(s), 0x7c06);
    assert_int_equal(st.old_value, 0);
    assert_non_null(strstr(st.line, "0x0 -> 0x5"));
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_WATCHPOINT);
    assert_int_equal(pc(s), 0x7c12);                     /* the same-value write passed */
    assert_non_null(strstr(st.line, "0x5 -> 0x6"));
    assert_int_equal(session_bp_find(s, id)->hits, 2);
    /* an access watchpoint stops at every access, changed or not */
    assert_int_equal(session_restart(s), 0);
    assert_int_equal(session_write_phys(s, 0x7c00, code, sizeof(code)), 0);
    assert_int_equal(session_bp_delete(s, id), 0);
    w.wkind = WATCH_ACCESS;
    assert_int_equal(session_bp_add(s, &w, &id), 0);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(session_continue(s, &st), 0);
        assert_int_equal(st.reason, DSTOP_WATCHPOINT);
        assert_int_equal(pc(s), 0x7c06 + 6 * i);
    }
    session_destroy(s);
}

static void test_event_breakpoint(void **state)
{
    struct dbg_stop st;
    struct dbg_bp b = { .type = BPT_EVENT, .enabled = true };
    char err[128];
    int id;
    (void)state;
    struct session *s = open_image(HELLO);

    assert_int_equal(dbg_evfilter_parse(&b.ev, "exception de", err, sizeof(err)), 0);
    assert_int_equal(session_bp_add(s, &b, &id), 0);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_EVENT);
    assert_int_equal(st.ev.kind, EV_EXCEPTION);
    assert_int_equal(st.ev.vector, 0);
    assert_int_equal(pc(s), 0x7d83);              /* de_handler: delivered */
    assert_non_null(strstr(st.line, "Event breakpoint"));
    /* a mode catch is exact: the guest runs one instruction at a time */
    struct session *p = open_image(PROTECTED);
    assert_int_equal(dbg_evfilter_parse(&b.ev, "mode paging", err, sizeof(err)), 0);
    assert_int_equal(session_bp_add(p, &b, &id), 0);
    assert_int_equal(session_continue(p, &st), 0);
    assert_int_equal(st.reason, DSTOP_EVENT);
    assert_true(session_cpu(p)->cr0 & CR0_PG);
    struct dbg_insn in[2];
    assert_int_equal(session_disasm(p, st.ev.rip, 1, 0, in), 1);
    /* the stop is right after the instruction that set CR0.PG */
    assert_int_equal(pc(p), st.ev.rip);
    session_destroy(p);
    session_destroy(s);
}

static void test_finish_and_next(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *s = open_image(HELLO);

    int id = add_break(s, CALL_HEX8);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(pc(s), CALL_HEX8);
    assert_int_equal(session_bp_delete(s, id), 0);
    uint64_t before = session_vcpu(s)->insns;
    assert_int_equal(session_next(s, 1, &st), 0);          /* over the call */
    assert_int_equal(st.reason, DSTOP_STEP);
    assert_int_equal(pc(s), CALL_HEX8 + 3);
    assert_true(session_vcpu(s)->insns > before + 3);
    add_break(s, HEX8);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(pc(s), HEX8);
    uint16_t sp = (uint16_t)session_cpu(s)->gpr[GPR_RSP];
    assert_int_equal(session_finish(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_FINISH);
    assert_int_equal((uint16_t)session_cpu(s)->gpr[GPR_RSP], sp + 2);
    session_destroy(s);
}

static void test_views(void **state)
{
    struct dbg_stop st;
    struct dbg_regs_view v;
    struct dbg_insn in[4];
    uint8_t sig[2];
    (void)state;
    struct session *s = open_image(HELLO);

    int id = add_break(s, 0x7c01);
    assert_int_equal(session_disasm(s, 0x7c00, 4, 0, in), 4);
    assert_string_equal(in[0].text, "cli");
    assert_true(in[0].is_pc);
    assert_string_equal(in[0].sym, "_start");
    assert_int_equal(in[1].bp, id);
    assert_true(in[2].is_call && in[2].has_target);
    assert_int_equal(in[2].target, 0x7c06);
    /* stepping onto a breakpoint stops there, as in gdb */
    assert_int_equal(session_stepi(s, 4, &st), 0);
    assert_int_equal(st.reason, DSTOP_BREAKPOINT);
    assert_int_equal(pc(s), 0x7c01);
    assert_int_equal(session_stepi(s, 3, &st), 0);         /* ... pop di */
    assert_int_equal(st.reason, DSTOP_STEP);
    assert_int_equal(session_regs(s, &v), 0);
    assert_true(v.changed[DREG_RDI]);
    assert_true(v.changed[DREG_RIP]);
    assert_false(v.changed[DREG_RAX]);
    assert_int_equal(v.mode, MODE_REAL);
    assert_int_equal(v.bits, 16);
    assert_int_equal(session_read_virt(s, 0x7dfe, sig, 2, NULL), 2);
    assert_int_equal(sig[0], 0x55);
    assert_int_equal(sig[1], 0xaa);
    assert_int_equal(session_read_phys(s, 0x7dfe, sig, 2), 2);
    assert_int_equal(session_read_phys(s, 1ull << 40, sig, 2), -VMS_ERR_FAULT);
    struct dbg_pagewalk pw;
    assert_int_equal(session_pagewalk(s, 0x7c00, 0, &pw), 0);
    assert_true(pw.w.ok);
    assert_int_equal(pw.w.pa, 0x7c00);
    struct dbg_frame fr[4];
    assert_true(session_backtrace(s, fr, 4) >= 1);
    assert_int_equal(fr[0].pc, 0x7c07);
    /* writing memory is seen by the guest and by views */
    uint8_t nop = 0x90;
    assert_int_equal(session_write_virt(s, 0x7c07, &nop, 1), 0);
    assert_int_equal(session_disasm(s, 0x7c07, 1, 0, in), 1);
    assert_string_equal(in[0].text, "nop");
    assert_int_equal(session_stepi(s, 1, &st), 0);
    assert_int_equal(pc(s), 0x7c08);                        /* the nop ran */
    /* restart: the image again, breakpoints kept */
    assert_int_equal(session_restart(s), 0);
    assert_int_equal(pc(s), 0x7c00);
    assert_int_equal(session_bp_count(s), 1);
    assert_int_equal(session_disasm(s, 0x7c07, 1, 0, in), 1);
    assert_string_equal(in[0].text, "sub di, 6");
    session_destroy(s);
}

static bool stop_now(void *opaque)
{
    int *calls = opaque;
    return ++*calls >= 2;
}

static void test_exec_and_interrupt(void **state)
{
    struct dbg_outbuf b;
    struct dbg_stop st;
    int calls = 0;
    (void)state;
    struct session *s = open_image(HELLO);

    dbg_outbuf_init(&b);
    assert_int_equal(session_exec(s, "print/x 1 + 1", &b.out), 0);
    assert_string_equal(b.text, "0x2\n");
    dbg_outbuf_reset(&b);
    assert_int_equal(session_exec(s, "stepi 2", &b.out), 0);
    assert_non_null(strstr(b.text, "Stepped 2 instructions to 0x7c03 <_start+3>\n=> 0x7c03"));
    dbg_outbuf_reset(&b);
    assert_int_equal(session_exec(s, "nonsense", &b.out), -VMS_ERR_SYNTAX);
    assert_non_null(strstr(b.text, "undefined command"));
    assert_int_equal(session_exec(s, "quit", &b.out), SESSION_QUIT);
    dbg_outbuf_fini(&b);
    session_destroy(s);

    /* the poll hook stops a long continue (the gdb stub's Ctrl-C) */
    struct session_config cfg = { .target = PROTECTED, .engine = "unicorn", .console = quiet,
                                  .poll = stop_now, .poll_opaque = &calls };
    if (access(PROTECTED, R_OK) != 0)
        skip();
    assert_int_equal(session_create(&s, &cfg), 0);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_INTERRUPT);
    assert_int_equal(calls, 2);
    assert_int_equal(session_continue(s, &st), 0);   /* poll says stop again at once */
    assert_int_equal(st.reason, DSTOP_INTERRUPT);
    session_destroy(s);
}

/* A physical breakpoint fires through the kernel's higher-half mapping
 * (protected: PA 0x101b50 is kputs at VA 0xc0001b50). */
static void test_physical_breakpoint(void **state)
{
    struct dbg_stop st;
    (void)state;
    struct session *s = open_image(PROTECTED);
    struct dbg_bp b = { .type = BPT_BREAK, .enabled = true, .phys = true, .addr = 0x101b50 };
    int id;

    assert_int_equal(session_bp_add(s, &b, &id), 0);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_BREAKPOINT);
    assert_int_equal(st.bp, id);
    assert_int_equal(pc(s), 0xc0001b50);
    assert_true(session_cpu(s)->cr0 & CR0_PG);
    assert_non_null(session_bp_at_pc(s, 0xc0001b50));     /* the disassembly marker */
    session_destroy(s);
}

/* session_run_slice: a UI's bounded continue. */
static void test_run_slice(void **state)
{
    struct dbg_stop st;
    unsigned slices = 0;
    (void)state;
    struct session *s = open_image(PROTECTED), *t = open_image(PROTECTED);

    /* protected waits for five timer ticks: one round each at least */
    do {
        assert_int_equal(session_run_slice(s, 500, &st), 0);
        slices++;
    } while (st.reason == DSTOP_NONE && slices < 1000);
    assert_int_equal(st.reason, DSTOP_EXITED);
    assert_true(slices >= 5);
    /* the guest ran exactly as under one continue */
    assert_int_equal(session_continue(t, &st), 0);
    assert_int_equal(session_vcpu(s)->insns, session_vcpu(t)->insns);
    assert_int_equal(session_hv(s)->now, session_hv(t)->now);
    session_destroy(s);
    session_destroy(t);
}

/* finish without frame pointers: the pushes and the `sub esp` of the
 * prologue decoded from the symbol (protected's kprintf: push ebp, edi,
 * esi, ebx; sub esp, 0x4c). */
static void test_finish_without_frame_pointer(void **state)
{
    struct dbg_stop st;
    struct dbg_insn call;
    (void)state;
    struct session *s = open_image(PROTECTED);
    uint64_t kprintf;

    assert_int_equal(symtab_find(session_symbols(s), "kprintf", &kprintf), 0);
    int id = add_break(s, kprintf);
    assert_int_equal(session_continue(s, &st), 0);
    assert_int_equal(session_bp_delete(s, id), 0);
    uint32_t sp0 = (uint32_t)session_cpu(s)->gpr[GPR_RSP];
    assert_int_equal(session_stepi(s, 6, &st), 0);          /* past the prologue */
    assert_int_equal(session_finish(s, &st), 0);
    assert_int_equal(st.reason, DSTOP_FINISH);
    assert_int_equal((uint32_t)session_cpu(s)->gpr[GPR_RSP], sp0 + 4);
    assert_int_equal(session_disasm(s, pc(s) - 5, 1, 0, &call), 1);   /* call rel32 */
    assert_true(call.is_call);
    assert_int_equal(call.target, kprintf);
    session_destroy(s);
}

/* Does completing @line offer @want? */
static bool offers(struct session *s, const char *line, const char *want)
{
    for (unsigned i = 0;; i++) {
        const char *m = session_complete(s, line, i);
        if (!m)
            return false;
        if (!strcmp(m, want))
            return true;
    }
}

static void test_complete(void **state)
{
    (void)state;
    struct session *s = open_image(HELLO);

    assert_true(offers(s, "in", "info"));
    assert_false(offers(s, "in", "nexti"));
    assert_true(offers(s, "info re", "registers"));
    assert_true(offers(s, "info t", "tab"));
    assert_true(offers(s, "b he", "hex8"));
    assert_true(offers(s, "break *he", "hex16"));
    assert_true(offers(s, "x/4x $ea", "$eax"));
    assert_true(offers(s, "print $c", "$cr3"));
    assert_true(offers(s, "catch ex", "exception"));
    assert_true(offers(s, "info device u", "uart0"));
    assert_true(offers(s, "help fin", "finish"));
    assert_null(session_complete(s, "frobnicate x", 0));
    unsigned n = 0;                                  /* "info" once, not per sub-command */
    for (unsigned i = 0; session_complete(s, "inf", i); i++)
        n += !strcmp(session_complete(s, "inf", i), "info");
    assert_int_equal(n, 1);
    session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stepi),
        cmocka_unit_test(test_breakpoint_resume),
        cmocka_unit_test(test_alternation_matches_straight_run),
        cmocka_unit_test(test_watchpoint),
        cmocka_unit_test(test_watch_value_change),
        cmocka_unit_test(test_event_breakpoint),
        cmocka_unit_test(test_finish_and_next),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_exec_and_interrupt),
        cmocka_unit_test(test_physical_breakpoint),
        cmocka_unit_test(test_run_slice),
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_finish_without_frame_pointer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
