/* app.c - options, the session, the terminal loop. */
#include "tui/app.h"

#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugger/scenario.h"
#include "debugger/session.h"
#include "tui/keys.h"
#include "tui/tui.h"

#define CONSOLE_LINES 4000
#define FRAME_MS 33          /* redraw at most ~30 times a second while running */

struct app_opts {
    struct session_config sc;
    const char *lesson;
    bool no_lesson;
    const char *layout;
    const char *transcript;
    struct term_opts term;
    unsigned input;          /* --input: SESSION_INPUT_* bits, 0: auto */
};

static struct session *g_session;   /* for the signal hook only */

int tui_help_keys(void)
{
    char buf[8192];

    if (keys_markdown(buf, sizeof(buf)) < 0)
        return 1;
    fputs(buf, stdout);
    return 0;
}

int tui_available(void)
{
    return 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: vmscope [options] IMAGE|SCENARIO\n"
        "\n"
        "Open the terminal UI on a guest, stopped before its first instruction.\n"
        "A scenario's lesson (lesson.txt next to its image) opens with it.\n"
        "\n"
        "options:\n"
        "  --engine auto|unicorn|kvm  CPU engine (default auto)\n"
        "  --kvm-irqchip              KVM only: KVM's in-kernel PIC/APICs (docs/KVM.md)\n"
        "  --mem SIZE                 guest RAM in bytes (default: the scenario's)\n"
        "  --vms N  --cpus N  --pcpus N   VMs, vCPUs per VM, simulated pCPUs\n"
        "  --cmdline ARGS             kernel arguments (multiboot, ELF64: after the file name)\n"
        "  --module \"FILE [ARGS]\"     a multiboot module (repeatable)\n"
        "  --lesson FILE              a lesson text (docs/LESSONS.md)\n"
        "  --no-lesson                do not open the scenario's lesson\n"
        "  --layout NAME|SPEC         first layout (lesson, cpu, memory, devices,\n"
        "                             hypervisor, or a split spec; docs/TUI.md)\n"
        "  --transcript FILE          write commands, output and lesson answers\n"
        "  --ascii                    ASCII frames instead of Unicode box drawing\n"
        "  --no-mouse                 leave the mouse to the terminal\n"
        "  --input auto|serial|kbd|both  where keys typed to the guest go (F6);\n"
        "                             auto: the keyboard while the console shows\n"
        "                             the VGA screen, else COM1\n"
        "\n"
        "In the UI: F1 or ? lists every key; : opens the command prompt.\n");
}

enum { O_ENGINE = 256, O_MEM, O_VMS, O_CPUS, O_PCPUS, O_LESSON, O_NOLESSON, O_LAYOUT,
       O_TRANSCRIPT, O_ASCII, O_NOMOUSE, O_INPUT, O_KVMIRQCHIP, O_CMDLINE, O_MODULE };

static const struct option longopts[] = {
    { "engine", required_argument, NULL, O_ENGINE },
    { "kvm-irqchip", no_argument, NULL, O_KVMIRQCHIP },
    { "mem", required_argument, NULL, O_MEM },
    { "cmdline", required_argument, NULL, O_CMDLINE },
    { "module", required_argument, NULL, O_MODULE },
    { "vms", required_argument, NULL, O_VMS },
    { "cpus", required_argument, NULL, O_CPUS },
    { "pcpus", required_argument, NULL, O_PCPUS },
    { "lesson", required_argument, NULL, O_LESSON },
    { "no-lesson", no_argument, NULL, O_NOLESSON },
    { "layout", required_argument, NULL, O_LAYOUT },
    { "transcript", required_argument, NULL, O_TRANSCRIPT },
    { "ascii", no_argument, NULL, O_ASCII },
    { "no-mouse", no_argument, NULL, O_NOMOUSE },
    { "input", required_argument, NULL, O_INPUT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int count_arg(const char *opt, const char *arg, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 0);

    if (end == arg || *end || v < 1 || v > 64) {
        fprintf(stderr, "vmscope: %s: '%s' is not a count (1-64)\n", opt, arg);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int parse_input(struct app_opts *o, const char *arg)
{
    static const char *const names[] = { "auto", "serial", "kbd", "both" };

    for (unsigned i = 0; i < 4; i++)
        if (!strcmp(arg, names[i])) {
            o->input = i;      /* the index is the SESSION_INPUT_* bits */
            return 0;
        }
    fprintf(stderr, "vmscope: --input: '%s' is not auto, serial, kbd or both\n", arg);
    return -1;
}

static int parse_opt(struct app_opts *o, int c, const char *arg)
{
    char *end;

    switch (c) {
    case O_ENGINE: o->sc.engine = arg; return 0;
    case O_KVMIRQCHIP: o->sc.kvm_irqchip = true; return 0;
    case O_MEM:
        o->sc.mem = strtoull(arg, &end, 0);
        if (*end == 'M' || *end == 'm') o->sc.mem <<= 20, end++;
        else if (*end == 'K' || *end == 'k') o->sc.mem <<= 10, end++;
        if (end == arg || *end) {
            fprintf(stderr, "vmscope: --mem: '%s' is not a size (e.g. 64M)\n", arg);
            return -1;
        }
        return 0;
    case O_CMDLINE: o->sc.cmdline = arg; return 0;
    case O_MODULE:
        if (o->sc.nmodules == LOADER_MAX_MODULES) {
            fprintf(stderr, "vmscope: --module: at most %u modules\n", LOADER_MAX_MODULES);
            return -1;
        }
        o->sc.modules[o->sc.nmodules++] = arg;
        return 0;
    case O_VMS: return count_arg("--vms", arg, &o->sc.nvms);
    case O_CPUS: return count_arg("--cpus", arg, &o->sc.ncpus);
    case O_PCPUS: return count_arg("--pcpus", arg, &o->sc.npcpus);
    case O_LESSON: o->lesson = arg; return 0;
    case O_NOLESSON: o->no_lesson = true; return 0;
    case O_LAYOUT: o->layout = arg; return 0;
    case O_TRANSCRIPT: o->transcript = arg; return 0;
    case O_ASCII: o->term.ascii = true; return 0;
    case O_NOMOUSE: o->term.mouse = false; return 0;
    case O_INPUT: return parse_input(o, arg);
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

static int parse_args(int argc, char **argv, struct app_opts *o)
{
    int c;

    memset(o, 0, sizeof(*o));
    o->term.mouse = true;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int r = parse_opt(o, c, optarg);
        if (r)
            return r;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "vmscope: expected one IMAGE or SCENARIO (try --help)\n");
        return -1;
    }
    o->sc.target = argv[optind];
    o->sc.argv0 = argv[0];
    return 0;
}

/* The scenario's lesson.txt, when the target is a scenario that has one. */
static const char *find_lesson(const struct app_opts *o, char *buf, size_t len)
{
    struct scenario sc;

    if (o->lesson)
        return o->lesson;
    if (o->no_lesson || scenario_resolve(o->sc.target, o->sc.argv0, &sc) < 0 || !sc.dir[0])
        return NULL;
    snprintf(buf, len, "%s/lesson.txt", sc.dir);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* The prompt's history: the same file as `vmscope debug` uses. */
static void history_path(char *buf, size_t len)
{
    const char *env = getenv("VMSCOPE_HISTORY"), *home = getenv("HOME");

    if (env)
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "%s/.vmscope_history", home ? home : ".");
}

/* ---- hooks the session calls ---- */

static void console_out(void *opaque, unsigned vm, uint8_t byte)
{
    textbuf_write(opaque, (uint8_t)vm, (const char *)&byte, 1);
}

/* A long command typed at the prompt (next over a loop, finish) stops
 * when a key is waiting. */
static bool key_waiting(void *opaque)
{
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

    (void)opaque;
    return term_quit_requested || (poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
}

static void interrupt_session(void)
{
    if (g_session)
        session_interrupt(g_session);
}

/* ---- the loop ---- */

static void handle_key(struct tui *t, int key, const struct tui_mouse *m)
{
    if (key == TK_RESIZE) {
        int w, h;
        term_size(&w, &h);
        tui_resize(t, w, h);
        term_invalidate();
        return;
    }
    tui_key(t, key, m);
}

static int loop(struct tui *t)
{
    bool dirty = true;

    while (!t->quit && !term_quit_requested) {
        if (dirty && (t->run != RUN_CONTINUE || tui_now(t) - t->last_draw_ms >= FRAME_MS)) {
            tui_render(t);
            if (term_flush(t->scr) < 0)
                return vms_seterr(VMS_ERR_IO, "cannot write to the terminal");
            dirty = false;
        }
        uint64_t gen = t->gen;
        enum tui_run run = t->run;
        int wait = tui_tick(t);
        /* a slice, a step or a stop changed something to show */
        dirty |= t->gen != gen || t->run != run;
        struct tui_mouse m;
        int key = term_getkey(t->run == RUN_CONTINUE ? 0 : wait < 0 ? 200 : wait, &m);
        if (key >= 0) {
            handle_key(t, key, key == TK_MOUSE ? &m : NULL);
            dirty = true;
        }
    }
    return 0;
}

static int run_ui(struct app_opts *o, struct textbuf *console, FILE *transcript)
{
    struct session *s;
    struct term_caps caps;
    struct tui *t;
    char lesson_path[4200], history[1024];
    int w, h, rc;

    o->sc.console = console_out;
    o->sc.console_opaque = console;
    o->sc.poll = key_waiting;
    if ((rc = session_create(&s, &o->sc)) < 0) {
        fprintf(stderr, "vmscope: %s\n", vms_lasterr(rc));
        return VMS_STATUS_BADIMAGE;
    }
    g_session = s;
    term_on_quit_signal = interrupt_session;
    const char *lesson = find_lesson(o, lesson_path, sizeof(lesson_path));
    if ((rc = term_open(&o->term, &caps)) < 0) {
        fprintf(stderr, "vmscope: %s\n", vms_lasterr(rc));
        session_destroy(s);
        return VMS_STATUS_BADIMAGE;
    }
    term_size(&w, &h);
    history_path(history, sizeof(history));
    struct tui_config cfg = { .session = s, .console = console, .lesson = lesson,
                              .layout = o->layout, .w = w, .h = h, .unicode = caps.unicode,
                              .color = caps.color, .transcript = transcript,
                              .history = history, .input = o->input };
    rc = tui_create(&t, &cfg);
    if (rc == 0) {
        rc = loop(t);
        tui_destroy(t);
    }
    term_close();
    g_session = NULL;
    session_destroy(s);
    if (rc < 0) {
        fprintf(stderr, "vmscope: %s\n", vms_lasterr(rc));
        return VMS_STATUS_BADIMAGE;
    }
    return term_quit_requested ? 128 + (int)term_quit_requested : 0;
}

int tui_main(int argc, char **argv)
{
    struct app_opts o;
    struct textbuf console;
    FILE *transcript = NULL;

    int r = parse_args(argc, argv, &o);
    if (r)
        return r > 0 ? 0 : VMS_STATUS_BADIMAGE;
    if (o.transcript && !(transcript = fopen(o.transcript, "w"))) {
        perror(o.transcript);
        return VMS_STATUS_BADIMAGE;
    }
    if (textbuf_init(&console, CONSOLE_LINES) < 0) {
        fprintf(stderr, "vmscope: out of memory\n");
        return VMS_STATUS_BADIMAGE;
    }
    r = run_ui(&o, &console, transcript);
    textbuf_fini(&console);
    if (transcript)
        fclose(transcript);
    return r;
}
