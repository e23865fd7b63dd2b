/* bench_tui.c - a full redraw of the TUI at 200x60 after a step.
 *
 * For each built-in layout: step the guest one instruction, then render
 * every pane (each fetches its view model from the session again, as
 * after any stop) into the 200x60 cell grid.  Prints the median and the
 * 90th percentile of step+redraw and of the step alone, so the redraw's
 * own cost is the difference.  Then typing at the prompt: one key and a
 * redraw.
 *
 * With --term OUT it runs on the real terminal (a pty: run_bench.sh uses
 * script(1) with LINES=60 COLUMNS=200) and measures step + redraw + the
 * curses flush (only changed cells are sent), writing the figures to OUT.
 *
 * usage: bench_tui [SCENARIO [--term OUT]] (default protected; from the repo root)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "debugger/session.h"
#include "tui/tui.h"

#define ROUNDS 300

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void console_out(void *opaque, unsigned vm, uint8_t byte)
{
    textbuf_write(opaque, (uint8_t)vm, (const char *)&byte, 1);
}

/* Median and p90 of @n samples (sorted in place). */
static void stats(double *v, int n, double *med, double *p90)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    *med = v[n / 2];
    *p90 = v[n * 9 / 10];
}

static int bench_layout(struct tui *t, struct session *s, const char *layout)
{
    static double with[ROUNDS], alone[ROUNDS];
    struct dbg_stop why;
    double m1, p1, m2, p2;

    if (tui_set_layout(t, layout) < 0)
        return -1;
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = now_us();
        if (session_stepi(s, 1, &why) < 0 || why.reason != DSTOP_STEP)
            return -1;
        tui_touch(t);
        tui_render(t);
        with[i] = now_us() - t0;
        t0 = now_us();
        if (session_stepi(s, 1, &why) < 0 || why.reason != DSTOP_STEP)
            return -1;
        alone[i] = now_us() - t0;
    }
    stats(with, ROUNDS, &m1, &p1);
    stats(alone, ROUNDS, &m2, &p2);
    printf("tui 200x60 %-10s step+redraw median %6.3f ms (p90 %6.3f); step alone %6.3f ms;"
           " redraw ~%6.3f ms\n", layout, m1 / 1000, p1 / 1000, m2 / 1000, (m1 - m2) / 1000);
    return 0;
}

/* Typing at the prompt: one key into readline and a redraw (the views
 * are not fetched again: nothing in the session changed). */
static void bench_typing(struct tui *t)
{
    static double v[ROUNDS];
    double med, p90;

    if (tui_set_layout(t, "cpu") < 0)
        return;
    tui_key(t, ':', NULL);
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = now_us();
        tui_key(t, i % 40 == 39 ? TK_CTRL('c') : 'x', NULL);
        tui_render(t);
        v[i] = now_us() - t0;
    }
    stats(v, ROUNDS, &med, &p90);
    printf("tui 200x60 typing a key at the prompt + redraw: median %6.3f ms (p90 %6.3f)\n",
           med / 1000, p90 / 1000);
}

/* step + redraw + flush on the terminal, per layout; figures into @out */
static void bench_terminal(struct session *s, struct textbuf *con, FILE *out)
{
    static const char *const layouts[] = { "lesson", "cpu", "memory", "devices", "hypervisor" };
    static double v[5][ROUNDS];
    struct term_opts o = { .mouse = false };
    struct term_caps caps;
    struct dbg_stop why;
    struct tui *t;
    int w, h;

    if (term_open(&o, &caps) < 0) {
        fprintf(out, "bench_tui --term: %s\n", vms_lasterr(-VMS_ERR_IO));
        return;
    }
    term_size(&w, &h);
    struct tui_config tc = { .session = s, .console = con, .w = w, .h = h,
                             .unicode = caps.unicode, .color = caps.color };
    if (tui_create(&t, &tc) < 0) {
        term_close();
        return;
    }
    for (int l = 0; l < 5; l++) {
        if (tui_set_layout(t, layouts[l]) < 0)
            continue;
        for (int i = 0; i < ROUNDS; i++) {
            double t0 = now_us();
            if (session_stepi(s, 1, &why) < 0)
                break;
            tui_touch(t);
            tui_render(t);
            if (term_flush(t->scr) < 0)
                break;
            v[l][i] = now_us() - t0;
        }
    }
    tui_destroy(t);
    term_close();
    for (int l = 0; l < 5; l++) {
        double med, p90;
        stats(v[l], ROUNDS, &med, &p90);
        fprintf(out, "tui %dx%d %-10s step+redraw+curses flush median %6.3f ms (p90 %6.3f)%s\n",
                w, h, layouts[l], med / 1000, p90 / 1000, caps.color ? "" : " (mono)");
    }
}

int main(int argc, char **argv)
{
    static const char *const layouts[] = { "lesson", "cpu", "memory", "devices", "hypervisor" };
    struct textbuf console;
    struct session *s;
    struct tui *t;
    const char *target = argc > 1 ? argv[1] : "protected";

    if (textbuf_init(&console, 2000) < 0)
        return 1;
    struct session_config sc = { .target = target, .argv0 = "./vmscope", .engine = "unicorn",
                                 .console = console_out, .console_opaque = &console };
    if (session_create(&s, &sc) < 0) {
        fprintf(stderr, "bench_tui: %s\n", vms_lasterr(-VMS_ERR_NOTFOUND));
        return 1;
    }
    /* get past the boot code so the views have paging, a stack, output */
    struct dbg_outbuf ob;
    dbg_outbuf_init(&ob);
    (void)session_exec(s, "break kmain", &ob.out);
    (void)session_exec(s, "continue", &ob.out);
    dbg_outbuf_fini(&ob);
    if (argc > 3 && !strcmp(argv[2], "--term")) {
        FILE *out = fopen(argv[3], "w");
        if (!out)
            return 1;
        bench_terminal(s, &console, out);
        fclose(out);
        session_destroy(s);
        textbuf_fini(&console);
        return 0;
    }
    struct tui_config tc = { .session = s, .console = &console, .w = 200, .h = 60,
                             .unicode = true };
    if (tui_create(&t, &tc) < 0)
        return 1;
    printf("bench_tui: %s, stopped at: %s\n", target, session_last_stop(s)->line);
    for (unsigned i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
        if (bench_layout(t, s, layouts[i]) < 0)
            fprintf(stderr, "bench_tui: %s failed\n", layouts[i]);
    bench_typing(t);
    if (getenv("BENCH_TUI_DUMP"))
        screen_dump(t->scr, stdout, false);
    tui_destroy(t);
    session_destroy(s);
    textbuf_fini(&console);
    return 0;
}
