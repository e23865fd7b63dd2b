/* bench_debugger.c - what one debugger step costs as a user sees it: a
 * single step plus a refresh of every view model the TUI draws after it
 * (registers with the changed-set, 30 lines of disassembly around RIP,
 * the page walk of RIP), measured one by one; prints the median and the
 * 90th percentile per scenario.  The target is a median of <= 1 ms.
 *
 *   bench_debugger [SCENARIO_IMAGE...]   (default: the three scenarios) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "debugger/session.h"

#define STEPS 2000

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void quiet(void *opaque, unsigned vm, uint8_t byte) { (void)opaque; (void)vm; (void)byte; }

/* One step and a refresh of the views; false when the guest has ended. */
static bool step_and_refresh(struct session *s)
{
    static struct dbg_regs_view regs;
    static struct dbg_insn lines[30];
    static struct dbg_pagewalk pw;
    struct dbg_stop st;

    if (session_stepi(s, 1, &st) < 0 || st.reason == DSTOP_EXITED)
        return false;
    if (session_regs(s, &regs) < 0 || session_disasm_pc(s, 10, 30, lines) < 0)
        return false;
    uint64_t pc = st.pc;
    return session_pagewalk(s, pc, PGW_FETCH, &pw) == 0;
}

/* Run to @warm instructions (past the boot code, into the kernel), then
 * time STEPS steps. */
static int bench(const char *image, const char *label, uint64_t warm)
{
    struct session_config cfg = { .target = image, .engine = "unicorn", .console = quiet };
    struct session *s;
    struct dbg_stop st;
    static double t[STEPS];
    unsigned n = 0;

    if (session_create(&s, &cfg) < 0) {
        fprintf(stderr, "bench_debugger: %s: %s\n", image, vms_lasterr(VMS_ERR_NOTFOUND));
        return 1;
    }
    if (warm && session_run_to_count(s, warm, &st) < 0) {
        session_destroy(s);
        return 1;
    }
    struct dbg_regs_view v;
    if (session_regs(s, &v) < 0) {
        session_destroy(s);
        return 1;
    }
    while (n < STEPS) {
        double t0 = now_us();
        if (!step_and_refresh(s))
            break;
        t[n++] = now_us() - t0;
    }
    if (n == 0) {
        session_destroy(s);
        return 1;
    }
    qsort(t, n, sizeof(t[0]), cmp_double);
    printf("debugger step+refresh %-10s (%s, %u-bit code): median %6.1f us, p90 %6.1f us "
           "over %u steps (target <= 1000 us)\n", label, pg_mode_name(v.paging), v.bits,
           t[n / 2], t[n * 9 / 10], n);
    session_destroy(s);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct { const char *image, *label; uint64_t warm; } def[] = {
        { "build/scenarios/hello/hello.img", "hello", 0 },
        { "build/scenarios/protected/protected.elf", "protected", 20000 },
        { "build/scenarios/longmode/longmode.elf", "longmode", 20000 },
    };
    int rc = 0;

    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            rc |= bench(argv[i], argv[i], 0);
        return rc;
    }
    for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
        if (access(def[i].image, R_OK) == 0)
            rc |= bench(def[i].image, def[i].label, def[i].warm);
    return rc;
}
