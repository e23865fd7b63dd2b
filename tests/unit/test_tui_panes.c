/* test_tui_panes.c - golden screens: the real TUI over a real session,
 * rendered into a fixed-size virtual screen with a fixed clock, driven by
 * scripted keys, compared with tests/tui/NAME.txt (characters, then the
 * style of every cell; docs/TUI.md).  Every pane appears in at least one
 * layout here; resize, zoom, help and the lesson's question are covered.
 *
 * VMSCOPE_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing
 * (review the diff before committing them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "debugger/session.h"
#include "tui/tui.h"

#define W 100
#define H 30

struct fixture {
    struct session *s;
    struct textbuf console;
    struct tui *t;
};

/* The clock: fixed, unless a test moves it (g_now). */
static uint64_t g_now = 1000000;

static uint64_t fixed_clock(void *opaque)
{
    (void)opaque;
    return g_now;
}

static void console_out(void *opaque, unsigned vm, uint8_t byte)
{
    textbuf_write(opaque, (uint8_t)vm, (const char *)&byte, 1);
}

static struct fixture *open_tui_vms(const char *target, const char *lesson,
                                    const char *layout, unsigned nvms, unsigned npcpus)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(textbuf_init(&f->console, 500), 0);
    struct session_config sc = { .target = target, .argv0 = "./vmscope", .engine = "unicorn",
                                 .console = console_out, .console_opaque = &f->console,
                                 .nvms = nvms, .npcpus = npcpus };
    int rc = session_create(&f->s, &sc);
    if (rc < 0)
        fail_msg("session_create(%s): %s", target, vms_lasterr(rc));
    struct tui_config tc = { .session = f->s, .console = &f->console, .lesson = lesson,
                             .layout = layout, .w = W, .h = H, .unicode = false,
                             .clock_ms = fixed_clock, .slice_insns = 5000 };
    rc = tui_create(&f->t, &tc);
    if (rc < 0)
        fail_msg("tui_create: %s", vms_lasterr(rc));
    return f;
}

static struct fixture *open_tui(const char *target, const char *lesson, const char *layout)
{
    return open_tui_vms(target, lesson, layout, 1, 1);
}

static void close_tui(struct fixture *f)
{
    tui_destroy(f->t);
    session_destroy(f->s);
    textbuf_fini(&f->console);
    free(f);
}

static void keys(struct fixture *f, const char *script)
{
    assert_int_equal(tui_keys(f->t, script), 0);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Render and compare with tests/tui/@name.txt; on a difference, print the
 * first differing line of both. */
static void golden(struct fixture *f, const char *name)
{
    char path[256];
    tui_render(f->t);
    char *got = screen_dump_string(f->t->scr, true);
    assert_non_null(got);
    snprintf(path, sizeof(path), "tests/tui/%s.txt", name);
    const char *upd = getenv("VMSCOPE_UPDATE_GOLDEN");
    if (upd && *upd == '1') {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        fputs(got, fp);
        fclose(fp);
        free(got);
        return;
    }
    char *want = slurp(path);
    if (!want)
        fail_msg("%s missing (VMSCOPE_UPDATE_GOLDEN=1 writes it):\n%s", path, got);
    if (strcmp(want, got) != 0) {
        const char *a = want, *b = got;
        int line = 1;
        while (*a && *a == *b) {
            line += *a == '\n';
            a++, b++;
        }
        while (a > want && a[-1] != '\n') a--, b--;
        fprintf(stderr, "%s differs at line %d:\nwant: %.*s\ngot:  %.*s\n", path, line,
                (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
        fprintf(stderr, "--- whole screen:\n%s", got);
        free(want);
        free(got);
        fail();
    }
    free(want);
    free(got);
}

static uint64_t vcpu_insns(struct fixture *f)
{
    struct dbg_vcpu_info v[4];
    assert_true(session_vcpus(f->s, v, 4) >= 1);
    return v[0].insns;
}

#define HELLO_LESSON "build/scenarios/hello/lesson.txt"

/* The lesson layout at start: step 1 asks its question at once. */
static void test_lesson_start(void **state)
{
    (void)state;
    struct fixture *f = open_tui("hello", HELLO_LESSON, NULL);
    golden(f, "lesson_start");
    /* the prompt asks for the answer; a wrong one is noted, then revealed */
    keys(f, "0x7c01<Enter>");
    golden(f, "lesson_answered");
    assert_int_equal(f->t->lp.answered, 1);
    assert_int_equal(f->t->lp.right, 0);
    close_tui(f);
}

/* F5 runs to the next lesson step (the first UART write), and so on. */
static void test_lesson_advances(void **state)
{
    (void)state;
    struct fixture *f = open_tui("hello", HELLO_LESSON, NULL);
    keys(f, "0x7c00<Enter>");
    assert_int_equal(f->t->lp.right, 1);
    keys(f, "<F5>");
    assert_int_equal(f->t->lp.cur, 1);
    golden(f, "lesson_step2");
    keys(f, "0x3f9<Enter><F5>");
    assert_int_equal(f->t->lp.cur, 2);           /* puts_inline */
    keys(f, "<F5>");
    assert_int_equal(f->t->lp.cur, 3);           /* int 0x30 */
    close_tui(f);
}

/* cpu layout after three steps: changed registers are highlighted. */
static void test_layout_cpu(void **state)
{
    (void)state;
    struct fixture *f = open_tui("hello", NULL, "cpu");
    keys(f, "sss");
    golden(f, "cpu_steps");
    keys(f, "<Tab><Tab><Down><Down>");           /* focus the code, select a line */
    keys(f, "b");                                /* breakpoint there */
    golden(f, "cpu_breakpoint");
    close_tui(f);
}

static void test_layout_memory(void **state)
{
    (void)state;
    struct fixture *f = open_tui("protected", NULL, "memory");
    keys(f, ":break kmain<Enter><F5><Esc>");
    keys(f, ":mem 0xc0001280<Enter><Esc>");
    golden(f, "memory_kmain");
    keys(f, ":walk 0x10<Enter><Esc>");
    golden(f, "memory_walk_fault");
    close_tui(f);
}

static void test_layout_devices(void **state)
{
    (void)state;
    struct fixture *f = open_tui("hello", NULL, "devices");
    keys(f, ":break fault_div<Enter><F5><Esc>");
    golden(f, "devices");
    keys(f, "<Tab><Tab>e");                      /* events: next filter preset */
    golden(f, "devices_events_filtered");
    close_tui(f);
}

static void test_layout_hypervisor(void **state)
{
    (void)state;
    struct fixture *f = open_tui("protected", NULL, "hypervisor");
    keys(f, "c");
    golden(f, "hypervisor_end");
    close_tui(f);
}

/* Three VMs on two simulated pCPUs: the timeline shows who ran where, the
 * console tags each VM's lines, v moves the views to the next vCPU. */
static void test_hypervisor_three_vms(void **state)
{
    (void)state;
    struct fixture *f = open_tui_vms("protected", NULL, "hypervisor", 3, 2);
    keys(f, ":break kmain<Enter><F5><F5><Esc>");
    golden(f, "hypervisor_3vms");
    unsigned vm, vcpu;
    session_current(f->s, &vm, &vcpu);
    keys(f, "v");
    unsigned vm2;
    session_current(f->s, &vm2, &vcpu);
    assert_int_equal(vm2, (vm + 1) % 3);
    keys(f, ":delete<Enter><Esc>c");              /* all three to the end */
    golden(f, "hypervisor_3vms_end");
    close_tui(f);
}

/* Every shipped lesson, walked through on its real guest: each question
 * answered with its first accepted answer, F5 to each next step; every
 * condition must be armed and reached, in order, up to the end. */
static void walk_lesson(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "build/scenarios/%s/lesson.txt", name);
    struct fixture *f = open_tui(name, path, NULL);
    struct tui *t = f->t;

    for (int i = 0; i < 40 && (lesson_pending(&t->lp) || t->lp.phase == LP_ASKING); i++) {
        const struct lesson_step *st = lesson_current(&t->lp);
        if (t->lesson_err[0])
            fail_msg("%s step %u: %s", name, t->lp.cur + 1, t->lesson_err);
        if (t->lp.phase == LP_ASKING) {
            char answer[LESSON_COND_MAX], script[LESSON_COND_MAX + 16];
            snprintf(answer, sizeof(answer), "%.*s", (int)strcspn(st->answers, "|"),
                     st->answers[0] ? st->answers : "yes");
            while (answer[0] && answer[strlen(answer) - 1] == ' ')
                answer[strlen(answer) - 1] = '\0';
            snprintf(script, sizeof(script), "%s<Enter>", answer);
            keys(f, script);
            continue;
        }
        unsigned before = t->lp.cur;
        keys(f, "<F5>");
        if (t->lp.cur == before && t->lp.phase != LP_DONE)
            fail_msg("%s: F5 did not reach step %u (%s): %s", name, before + 2,
                     lesson_pending(&t->lp) ? lesson_pending(&t->lp)->cond : "-", t->status);
    }
    assert_int_equal(t->lp.cur, t->lesson.nsteps - 1);     /* the last step */
    assert_int_equal(t->lp.right, t->lp.answered);
    keys(f, ":lesson next<Enter>");
    assert_int_equal(t->lp.phase, LP_DONE);
    assert_true(t->lp.answered >= 3);
    close_tui(f);
}

static void test_lessons_walkthrough(void **state)
{
    (void)state;
    walk_lesson("hello");
    walk_lesson("protected");
    walk_lesson("longmode");
}

/* Random keys, mouse events and resizes (a fixed seed): nothing may
 * crash or leave the screen unrendered; under ASan this also proves no
 * memory error on these paths. */
static void test_monkey(void **state)
{
    (void)state;
    static const int special[] = {
        TK_UP, TK_DOWN, TK_LEFT, TK_RIGHT, TK_PGUP, TK_PGDN, TK_HOME, TK_END,
        TK_BACKSPACE, TK_DELETE, TK_ENTER, TK_ESC, TK_TAB, TK_BTAB, TK_F(1), TK_F(2),
        TK_F(5), TK_F(7), TK_F(8), TK_F(9), TK_F(10), TK_F(11), TK_F(12), TK_CTRL('c'),
        TK_CTRL('l'), 0xE9, 0x4E2D, 0x1B,
    };
    struct fixture *f = open_tui("protected", NULL, NULL);
    uint32_t seed = 12345;

    for (int i = 0; i < 3000; i++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t r = seed >> 8;
        if (r % 50 == 0) {
            tui_resize(f->t, 40 + (int)(r % 160), 10 + (int)(r / 7 % 60));
        } else if (r % 23 == 0) {
            struct tui_mouse m = { .x = (int)(r % 100), .y = (int)(r / 3 % 30),
                                   .what = (int)(r / 11 % 3) };
            tui_key(f->t, TK_MOUSE, &m);
        } else if (r % 3 == 0) {
            tui_key(f->t, special[r / 3 % (sizeof(special) / sizeof(special[0]))], NULL);
        } else {
            tui_key(f->t, 0x20 + (int)(r % 95), NULL);
        }
        f->t->quit = false;
        for (int k = 0; k < 3 && f->t->run != RUN_STOPPED; k++)
            tui_tick(f->t);
        if (i % 7 == 0)
            tui_render(f->t);
    }
    tui_resize(f->t, W, H);
    tui_render(f->t);
    assert_true(screen_at(f->t->scr, 1, 0)->ch == 'v');   /* " vmscope | ..." */
    /* it did things: commands ran (the log grew), the guest moved */
    assert_true(textbuf_lines(&f->t->log) > 100);
    assert_true(vcpu_insns(f) > 1000);
    close_tui(f);
}

static void test_help_zoom_resize(void **state)
{
    (void)state;
    struct fixture *f = open_tui("hello", NULL, "cpu");
    keys(f, "?");
    golden(f, "help");
    keys(f, "<PgDn><PgDn><PgDn>");               /* pages through it */
    assert_true(f->t->help);
    golden(f, "help_end");
    keys(f, "x");                                /* any other key closes it */
    assert_false(f->t->help);
    keys(f, "<Tab>z");
    golden(f, "zoom_disasm");
    tui_resize(f->t, 60, 20);
    golden(f, "too_small");
    tui_resize(f->t, 80, 24);
    keys(f, "z");
    golden(f, "resized_80x24");
    close_tui(f);
}

/* Commands typed at the prompt, their output in the log; quit asks. */
static void test_prompt_and_quit(void **state)
{
    (void)state;
    struct fixture *f = open_tui("hello", NULL, "cpu");
    keys(f, ":info registers<Enter>");
    keys(f, "layout -(log,regs)<Enter><Esc>");
    golden(f, "prompt_log");
    keys(f, ":break fault_div<Enter><F5>");      /* some console output */
    assert_true(textbuf_lines(&f->console) > 3);
    unsigned lines = textbuf_lines(&f->console);
    keys(f, ":run<Enter><Esc>");                 /* start over, to the breakpoint */
    assert_int_equal(session_last_stop(f->s)->reason, DSTOP_BREAKPOINT);
    assert_int_equal(textbuf_lines(&f->console), lines);   /* not twice */
    keys(f, "q");
    assert_true(f->t->confirm_quit);
    keys(f, "n");
    assert_false(f->t->quit);
    keys(f, "qy");
    assert_true(f->t->quit);
    close_tui(f);
}

/* Animation: one step per period of the (test's) clock; any key stops. */
static void test_animate(void **state)
{
    (void)state;
    struct fixture *f = open_tui("hello", NULL, "cpu");
    uint64_t start = vcpu_insns(f);
    keys(f, "a");                                /* 4 steps/s: every 250 ms */
    assert_int_equal(f->t->run, RUN_ANIMATE);
    assert_int_equal(tui_tick(f->t), 250);       /* first step at once */
    assert_int_equal(vcpu_insns(f), start + 1);
    assert_int_equal(tui_tick(f->t), 250);       /* not due yet: no step */
    assert_int_equal(vcpu_insns(f), start + 1);
    g_now += 100;
    assert_int_equal(tui_tick(f->t), 150);
    g_now += 150;
    tui_tick(f->t);
    assert_int_equal(vcpu_insns(f), start + 2);
    keys(f, "+");                                /* a key stops it (and is used up) */
    assert_int_equal(f->t->run, RUN_STOPPED);
    assert_int_equal(f->t->rate, 4);
    keys(f, "+a");                               /* 8 steps/s now */
    assert_int_equal(tui_tick(f->t), 125);
    keys(f, "<Esc>");
    assert_int_equal(f->t->run, RUN_STOPPED);
    g_now = 1000000;
    close_tui(f);
}

/* A continuous run goes on slice by slice until a key; typing at the
 * prompt does not stop it, Esc does. */
static void test_continue_and_keys(void **state)
{
    (void)state;
    struct fixture *f = open_tui("protected", NULL, "cpu");
    tui_key(f->t, 'c', NULL);
    assert_int_equal(f->t->run, RUN_CONTINUE);
    assert_int_equal(tui_tick(f->t), 0);          /* one slice of 5000 */
    uint64_t after_one = vcpu_insns(f);
    assert_true(after_one >= 5000);
    tui_key(f->t, 'x', NULL);                      /* any key */
    assert_int_equal(f->t->run, RUN_STOPPED);
    assert_string_equal(f->t->status, "stopped by a key");
    tui_key(f->t, ':', NULL);                      /* the prompt ... */
    tui_key(f->t, TK_F(5), NULL);                  /* ... F5 works there */
    assert_int_equal(f->t->run, RUN_CONTINUE);
    tui_key(f->t, 'x', NULL);                      /* typed, not a stop */
    assert_int_equal(f->t->run, RUN_CONTINUE);
    tui_tick(f->t);
    assert_true(vcpu_insns(f) > after_one);
    tui_key(f->t, TK_ESC, NULL);
    assert_int_equal(f->t->run, RUN_STOPPED);
    close_tui(f);
}

/* Mouse: a click focuses the pane under it, the wheel scrolls. */
static void test_mouse(void **state)
{
    (void)state;
    struct fixture *f = open_tui("hello", NULL, "cpu");
    tui_render(f->t);                            /* what the user clicks on */
    struct tui_mouse m = { .x = 70, .y = 5, .what = MOUSE_CLICK };
    tui_key(f->t, TK_MOUSE, &m);
    assert_string_equal(tui_focused(f->t)->ops->name, "disasm");
    m = (struct tui_mouse){ .x = 5, .y = 22, .what = MOUSE_CLICK };
    tui_key(f->t, TK_MOUSE, &m);
    assert_string_equal(tui_focused(f->t)->ops->name, "stack");
    m.what = MOUSE_WHEEL_DOWN;
    tui_key(f->t, TK_MOUSE, &m);
    assert_int_equal(tui_focused(f->t)->scroll, 3);
    m = (struct tui_mouse){ .x = 3, .y = H - 1, .what = MOUSE_CLICK };
    tui_key(f->t, TK_MOUSE, &m);
    assert_true(f->t->at_prompt);
    close_tui(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson_start),
        cmocka_unit_test(test_lesson_advances),
        cmocka_unit_test(test_layout_cpu),
        cmocka_unit_test(test_layout_memory),
        cmocka_unit_test(test_layout_devices),
        cmocka_unit_test(test_layout_hypervisor),
        cmocka_unit_test(test_hypervisor_three_vms),
        cmocka_unit_test(test_lessons_walkthrough),
        cmocka_unit_test(test_monkey),
        cmocka_unit_test(test_help_zoom_resize),
        cmocka_unit_test(test_prompt_and_quit),
        cmocka_unit_test(test_animate),
        cmocka_unit_test(test_continue_and_keys),
        cmocka_unit_test(test_mouse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
