/* test_tui_lesson.c - the lesson format (docs/LESSONS.md), answers,
 * progress, and the scenario lessons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/lesson.h"
#include "tui/pane_text.h"

static const char good[] =
    "# a comment\n"
    "title: Demo\n"
    "\n"
    "== First\n"
    "Line one\n"
    "line two.\n"
    "\n"
    "  preformatted\n"
    "ask: Which vector?\n"
    "answer: 14 | #PF\n"
    "reveal:\n"
    "It is 14.\n"
    "== Second\r\n"
    "when: break *0x7c00 + 4\n"
    "\\when: this is text\n"
    "== Third\n"
    "when: event exception 14\n"
    "ask: Anything?\n"
    "== Last\n"
    "when: exit\n";

static void test_parse(void **state)
{
    (void)state;
    struct lesson l;

    assert_int_equal(lesson_parse(&l, good, sizeof(good) - 1, "good"), 0);
    assert_string_equal(l.title, "Demo");
    assert_int_equal(l.nsteps, 4);
    assert_string_equal(l.step[0].title, "First");
    assert_int_equal(l.step[0].when, LW_START);
    assert_string_equal(l.step[0].text, "Line one\nline two.\n\n  preformatted");
    assert_string_equal(l.step[0].question, "Which vector?");
    assert_string_equal(l.step[0].reveal, "It is 14.");
    assert_int_equal(l.step[1].when, LW_BREAK);
    assert_string_equal(l.step[1].cond, "*0x7c00 + 4");
    assert_string_equal(l.step[1].text, "when: this is text");
    assert_null(l.step[1].question);
    assert_int_equal(l.step[2].when, LW_EVENT);
    assert_string_equal(l.step[2].cond, "exception 14");
    assert_int_equal(l.step[3].when, LW_EXIT);
    assert_int_equal(l.step[3].line, 19);
    lesson_fini(&l);
    lesson_fini(&l);            /* twice is harmless */
}

static void expect_error(const char *text, const char *detail)
{
    struct lesson l;

    assert_int_equal(lesson_parse(&l, text, strlen(text), "x.txt"), -VMS_ERR_SYNTAX);
    assert_int_equal(l.nsteps, 0);
    if (!strstr(vms_lasterr(-VMS_ERR_SYNTAX), detail))
        fail_msg("'%s' not in '%s'", detail, vms_lasterr(-VMS_ERR_SYNTAX));
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", "no steps");
    expect_error("text first\n== A\n", "x.txt:1: text before the first step");
    expect_error("== A\nwhen: sometime\n", "x.txt:2: unknown condition");
    expect_error("== A\nwhen: break\n", "needs an argument");
    expect_error("== A\nwhen: exit now\n", "takes no argument");
    expect_error("== A\n== B\nwhen: start\n", "first step only");
    expect_error("== A\nanswer: 4\n", "'answer:' without 'ask:'");
    expect_error("== A\nreveal:\n", "'reveal:' without 'ask:'");
    expect_error("== A\nask: a?\nask: b?\n", "one question per step");
    expect_error("== A\nask:\n", "needs the question");
    expect_error("== A\ntitle: late\n", "before the first step");
    /* a NUL byte inside the given length: */
    struct lesson l;
    assert_int_equal(lesson_parse(&l, "== A\nx\0y\n", 9, "n"), -VMS_ERR_SYNTAX);
    char longline[700];
    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    expect_error(longline, "line too long");
    assert_int_equal(lesson_load(&l, "/nonexistent/lesson.txt"), -VMS_ERR_NOTFOUND);
}

static void test_answers(void **state)
{
    (void)state;
    struct lesson_step st = { .answers = "0x3f8 | tss.esp0|  Four " };

    assert_true(lesson_answer_ok(&st, "0x3F8"));
    assert_true(lesson_answer_ok(&st, "1016"));
    assert_true(lesson_answer_ok(&st, " 3f8h "));
    assert_true(lesson_answer_ok(&st, "TSS.ESP0"));
    assert_true(lesson_answer_ok(&st, "four"));
    assert_false(lesson_answer_ok(&st, "0x3f9"));
    assert_false(lesson_answer_ok(&st, ""));
    assert_false(lesson_answer_ok(&st, "tss"));
    st.answers[0] = '\0';
    assert_true(lesson_answer_ok(&st, "whatever"));
}

static void test_progress(void **state)
{
    (void)state;
    struct lesson l;
    struct lesson_progress p;

    assert_int_equal(lesson_parse(&l, good, sizeof(good) - 1, "good"), 0);
    lesson_begin(&p, &l);
    assert_int_equal(p.cur, 0);
    assert_int_equal(p.phase, LP_ASKING);
    assert_ptr_equal(lesson_pending(&p), &l.step[1]);
    assert_false(lesson_answer(&p, "13"));
    assert_int_equal(p.phase, LP_REVEALED);
    assert_false(lesson_answer(&p, "14"));          /* answered already */
    assert_int_equal(p.answered, 1);
    assert_int_equal(p.right, 0);
    assert_true(lesson_advance(&p));
    assert_int_equal(p.phase, LP_READING);
    assert_true(lesson_advance(&p));
    assert_int_equal(p.phase, LP_ASKING);
    assert_true(lesson_answer(&p, "yes"));          /* no answers listed: any */
    assert_true(lesson_advance(&p));
    assert_null(lesson_pending(&p));
    assert_false(lesson_advance(&p));
    assert_int_equal(p.phase, LP_DONE);
    assert_true(lesson_back(&p));
    assert_int_equal(p.cur, 3);
    assert_true(lesson_back(&p));
    assert_int_equal(p.cur, 2);
    lesson_fini(&l);
}

static void test_reflow(void **state)
{
    (void)state;
    char out[128];

    pane_text_reflow("one\ntwo\n\nthree\n  code\n  more\nfour", out, sizeof(out));
    assert_string_equal(out, "one two\n\nthree\n  code\n  more\nfour");
}

/* The lessons shipped with the scenarios parse, and their conditions are
 * of the kinds the TUI can arm. */
static void test_scenario_lessons(void **state)
{
    (void)state;
    static const char *const names[] = { "hello", "protected", "longmode", "kernel" };

    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[128];
        struct lesson l;
        snprintf(path, sizeof(path), "scenarios/%s/lesson.txt", names[i]);
        int rc = lesson_load(&l, path);
        if (rc < 0)
            fail_msg("%s: %s", path, vms_lasterr(rc));
        assert_true(l.nsteps >= 5);
        unsigned questions = 0;
        for (unsigned k = 0; k < l.nsteps; k++) {
            questions += l.step[k].question != NULL;
            assert_true(l.step[k].text[0] != '\0');
            assert_true(k == 0 || l.step[k].when != LW_MANUAL);
        }
        assert_true(questions >= 3);
        assert_int_equal(l.step[l.nsteps - 1].when, LW_EXIT);
        lesson_fini(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_reflow),
        cmocka_unit_test(test_scenario_lessons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
