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

/* ---- the VGA console and typing to the guest ---- */

/* A boot sector (as --32, ld -Ttext=0x7c00 --oformat=binary) that writes
 * coloured text to 0xB8000 and moves the CRTC cursor, then echoes what
 * reaches it: i8042 make codes as hex ("23 17 "), COM1 bytes as they are;
 * 'q' from either ends it through the debug-exit port (status 33).
 *
 * 	.code16
 * 	cli
 * 	xorw	%ax, %ax
 * 	movw	%ax, %ds
 * 	movw	$0xB800, %ax
 * 	movw	%ax, %es
 * 	movw	$msg1, %si		( row 0: yellow on blue )
 * 	xorw	%di, %di
 * 	movb	$0x1E, %ah
 * 	call	puts
 * 	movw	$msg2, %si		( row 1: red on light grey )
 * 	movw	$160, %di
 * 	movb	$0x74, %ah
 * 	call	puts
 * 	movw	$msg3, %si		( row 2: blinking white on red )
 * 	movw	$320, %di
 * 	movb	$0xCF, %ah
 * 	call	puts
 * 	movw	$0x3D4, %dx		( CRTC cursor at row 3 col 5 = 245 )
 * 	movw	$0x000E, %ax
 * 	outw	%ax, %dx
 * 	movw	$0xF50F, %ax
 * 	outw	%ax, %dx
 * echo:	inb	$0x64, %al		( i8042 output buffer full? )
 * 	testb	$1, %al
 * 	jz	serial
 * 	inb	$0x60, %al
 * 	testb	$0x80, %al		( break code: skip )
 * 	jnz	echo
 * 	cmpb	$0x10, %al		( 'q' )
 * 	je	done
 * 	call	hex
 * 	jmp	echo
 * serial:	movw	$0x3FD, %dx		( COM1 LSR data ready? )
 * 	inb	%dx, %al
 * 	testb	$1, %al
 * 	jz	echo
 * 	movw	$0x3F8, %dx
 * 	inb	%dx, %al
 * 	cmpb	$'q', %al
 * 	je	done
 * 	call	putc
 * 	jmp	echo
 * done:	movb	$0x10, %al
 * 	outb	%al, $0xF4
 * 	hlt
 * puts:	lodsb
 * 	testb	%al, %al
 * 	jz	1f
 * 	stosw
 * 	jmp	puts
 * 1:	ret
 * hex:	pushw	%ax
 * 	shrb	$4, %al
 * 	call	nib
 * 	popw	%ax
 * 	call	nib
 * 	movb	$' ', %al
 * putc:	movw	$0x3F8, %dx
 * 	outb	%al, %dx
 * 	ret
 * nib:	andb	$0xF, %al
 * 	addb	$'0', %al
 * 	cmpb	$'9', %al
 * 	jbe	putc
 * 	addb	$7, %al
 * 	jmp	putc
 * msg1:	.asciz	"vmscope VGA"
 * msg2:	.asciz	"red on grey"
 * msg3:	.asciz	"BLINK"
 * 	.org	510
 * 	.byte	0x55, 0xAA
 */
static const uint8_t vga_echo_boot[512] = {
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0xb8, 0x00, 0xb8, 0x8e, 0xc0, 0xbe, 0x8b,
    0x7c, 0x31, 0xff, 0xb4, 0x1e, 0xe8, 0x50, 0x00, 0xbe, 0x97, 0x7c, 0xbf,
    0xa0, 0x00, 0xb4, 0x74, 0xe8, 0x45, 0x00, 0xbe, 0xa3, 0x7c, 0xbf, 0x40,
    0x01, 0xb4, 0xcf, 0xe8, 0x3a, 0x00, 0xba, 0xd4, 0x03, 0xb8, 0x0e, 0x00,
    0xef, 0xb8, 0x0f, 0xf5, 0xef, 0xe4, 0x64, 0xa8, 0x01, 0x74, 0x0f, 0xe4,
    0x60, 0xa8, 0x80, 0x75, 0xf4, 0x3c, 0x10, 0x74, 0x1a, 0xe8, 0x25, 0x00,
    0xeb, 0xeb, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xe3, 0xba, 0xf8,
    0x03, 0xec, 0x3c, 0x71, 0x74, 0x05, 0xe8, 0x1d, 0x00, 0xeb, 0xd6, 0xb0,
    0x10, 0xe6, 0xf4, 0xf4, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xab, 0xeb, 0xf8,
    0xc3, 0x50, 0xc0, 0xe8, 0x04, 0xe8, 0x0b, 0x00, 0x58, 0xe8, 0x07, 0x00,
    0xb0, 0x20, 0xba, 0xf8, 0x03, 0xee, 0xc3, 0x24, 0x0f, 0x04, 0x30, 0x3c,
    0x39, 0x76, 0xf3, 0x04, 0x07, 0xeb, 0xef, 0x76, 0x6d, 0x73, 0x63, 0x6f,
    0x70, 0x65, 0x20, 0x56, 0x47, 0x41, 0x00, 0x72, 0x65, 0x64, 0x20, 0x6f,
    0x6e, 0x20, 0x67, 0x72, 0x65, 0x79, 0x00, 0x42, 0x4c, 0x49, 0x4e, 0x4b,
    [510] = 0x55, [511] = 0xAA,
};
#define VGA_ECHO_IMG "build/tests/vga_echo.img"

static struct fixture *open_vga_echo(const char *layout)
{
    FILE *fp = fopen(VGA_ECHO_IMG, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(vga_echo_boot, 1, sizeof(vga_echo_boot), fp),
                     sizeof(vga_echo_boot));
    assert_int_equal(fclose(fp), 0);
    return open_tui(VGA_ECHO_IMG, NULL, layout);
}

/* The whole serial output so far, lines joined with '\n'. */
static void console_text(struct fixture *f, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < textbuf_lines(&f->console) && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? "\n" : "",
                         textbuf_get(&f->console, i)->text);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* Before the guest writes to 0xB8000 the console shows COM1; once it has,
 * the VGA screen in the guest's colours with its cursor.  Keys typed in
 * typing mode (F6) go to the i8042 as scan codes (auto: the VGA screen is
 * shown); o toggles back to the serial log. */
static void test_vga_console(void **state)
{
    (void)state;
    char text[256];
    struct fixture *f = open_vga_echo("-(console:5,log:1)");
    struct vga_screen scr;

    assert_int_equal(session_vga(f->s, 0, &scr), 0);           /* blank at first */
    assert_false(tui_console_vga(f->t));
    assert_int_equal(tui_input_where(f->t), SESSION_INPUT_SERIAL);
    keys(f, ":stepi 400<Enter><Esc>");                          /* draws, polls */
    assert_int_equal(session_vga(f->s, 0, &scr), 1);
    assert_int_equal(scr.cell[0][0].ch, 'v');
    assert_int_equal(scr.cell[0][0].attr, 0x1E);
    assert_int_equal(scr.cell[2][0].attr, 0xCF);
    assert_int_equal(scr.cursor_row, 3);
    assert_int_equal(scr.cursor_col, 5);
    assert_true(tui_console_vga(f->t));
    assert_int_equal(tui_input_where(f->t), SESSION_INPUT_KBD);
    keys(f, "<F6>hi");                                          /* typing mode */
    assert_true(f->t->typing);
    assert_false(f->t->quit);
    keys(f, "q<F5>");                                           /* q: the guest ends */
    console_text(f, text, sizeof(text));
    assert_string_equal(text, "23 17 ");                        /* set 1 make codes */
    golden(f, "console_vga");
    keys(f, "<Esc>");
    assert_false(f->t->typing);
    keys(f, "o");
    assert_false(tui_console_vga(f->t));
    golden(f, "console_serial");
    keys(f, "o");
    assert_true(tui_console_vga(f->t));
    close_tui(f);
}

/* A pane lower and narrower than 80x25 follows the VGA cursor; Up and
 * PgUp scroll, End follows again. */
static void test_vga_console_small(void **state)
{
    (void)state;
    struct fixture *f = open_vga_echo("devices");
    keys(f, ":stepi 400<Enter><Esc>:focus console<Enter>");
    assert_true(tui_console_vga(f->t));
    golden(f, "console_vga_small");
    keys(f, "<PgDn><PgDn>");
    struct pane *p = tui_pane(f->t, "console");
    assert_non_null(p);
    tui_render(f->t);
    char *dump = screen_dump_string(f->t->scr, false);
    assert_null(strstr(dump, "vmscope VGA"));                   /* scrolled past row 0 */
    free(dump);
    keys(f, "<End>");
    tui_render(f->t);
    dump = screen_dump_string(f->t->scr, false);
    assert_non_null(strstr(dump, "vmscope VGA"));
    free(dump);
    close_tui(f);
}

/* Typing to a running guest does not stop it; Esc ends typing (and does
 * not stop it either); then any key stops the run as usual. */
static void test_type_while_running(void **state)
{
    (void)state;
    struct fixture *f = open_vga_echo("-(console:5,log:1)");

    tui_key(f->t, 'c', NULL);
    assert_int_equal(f->t->run, RUN_CONTINUE);
    assert_int_equal(tui_tick(f->t), 0);
    tui_key(f->t, TK_F(6), NULL);
    assert_true(f->t->typing);
    tui_key(f->t, 'h', NULL);
    assert_int_equal(f->t->run, RUN_CONTINUE);
    tui_tick(f->t);
    tui_tick(f->t);
    tui_key(f->t, TK_ESC, NULL);
    assert_false(f->t->typing);
    assert_int_equal(f->t->run, RUN_CONTINUE);
    tui_key(f->t, 'x', NULL);
    assert_int_equal(f->t->run, RUN_STOPPED);
    assert_int_equal(textbuf_lines(&f->console), 1);
    assert_string_equal(textbuf_get(&f->console, 0)->text, "23 ");
    close_tui(f);
}

/* Input to COM1 (`input serial`, and the `type` command); the guest echoes
 * it and ends at 'q'. */
static void test_type_serial(void **state)
{
    (void)state;
    char text[256];
    struct fixture *f = open_vga_echo("-(console:5,log:1)");

    keys(f, ":stepi 400<Enter>input serial<Enter><Esc>");
    assert_int_equal(tui_input_where(f->t), SESSION_INPUT_SERIAL);
    keys(f, "<F6>ok<Esc>");
    keys(f, ":type \\n!q<Enter><Esc><F5>");
    console_text(f, text, sizeof(text));
    assert_string_equal(text, "ok\n!");
    keys(f, ":input both<Enter>input bogus<Enter><Esc>");
    assert_int_equal(tui_input_where(f->t), SESSION_INPUT_SERIAL | SESSION_INPUT_KBD);
    assert_true(f->t->status_error);
    assert_int_equal(session_type(f->s, 7, (const uint8_t *)"x", 1, SESSION_INPUT_KBD),
                     -VMS_ERR_NOTFOUND);
    assert_int_equal(session_type(f->s, 0, (const uint8_t *)"x", 1, 0), -VMS_ERR_INVAL);
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
        cmocka_unit_test(test_vga_console),
        cmocka_unit_test(test_vga_console_small),
        cmocka_unit_test(test_type_serial),
        cmocka_unit_test(test_type_while_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
