/* cli.c - `vmscope debug`: batch transcripts and the readline REPL. */
#include "debugger/cli.h"

#include <getopt.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugger/cmd.h"
#include "debugger/gdb_target_session.h"
#include "debugger/gdbstub.h"
#include "debugger/session.h"
#include "machine/gmem.h"
#include "machine/vm.h"

#define MAX_EX 64
#define HISTORY_MAX 1000

struct cli_opts {
    struct session_config cfg;
    const char *batch;
    const char *ex[MAX_EX];
    unsigned nex;
    const char *gdb;        /* --gdb [ADDR:]PORT: serve gdb (docs/GDB.md) */
    unsigned gdb_arch;      /* --gdb-arch (gdbstub_parse_arch) */
};

static struct session *g_session;   /* for the SIGINT handler and completion */

static void on_sigint(int sig)
{
    (void)sig;
    if (g_session)
        session_interrupt(g_session);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: vmscope debug [options] IMAGE|SCENARIO\n"
        "\n"
        "Debug a guest: gdb-style commands over the whole machine (docs/DEBUGGER.md,\n"
        "docs/COMMANDS.md; `help` inside).\n"
        "\n"
        "options:\n"
        "  --batch FILE          run the commands in FILE and exit (deterministic transcript)\n"
        "  -ex CMD               run CMD first (repeatable)\n"
        "  --engine auto|unicorn|kvm\n"
        "  --kvm-irqchip         KVM only: KVM's in-kernel PIC, I/O APIC and local APICs\n"
        "                        (interrupt injections are not seen; docs/KVM.md)\n"
        "  --mem SIZE            guest RAM (default: the scenario's, else 64M)\n"
        "  --vms N --cpus N --pcpus N   VMs (copies of the image), vCPUs per VM, pCPUs\n"
        "  --symbols FILE        extra symbols (an `nm -n` listing)\n"
        "  --load-addr ADDR      load IMAGE as a flat binary at ADDR\n"
        "  --cmdline ARGS        kernel arguments (multiboot, ELF64: after the file name)\n"
        "  --module \"FILE [ARGS]\"  a multiboot module (repeatable)\n"
        "  --gdb [ADDR:]PORT     serve gdb's remote protocol there instead of the prompt\n"
        "                        (loopback unless ADDR is given; docs/GDB.md)\n"
        "  --gdb-arch x86-64|i386|i8086  the register layout gdb sees (default x86-64)\n"
        "\n"
        "exit status: 0, 1 when a --batch/-ex command failed, 2 bad usage or image.\n");
}

enum { O_BATCH = 256, O_ENGINE, O_MEM, O_VMS, O_CPUS, O_PCPUS, O_SYMBOLS, O_LOADADDR, O_GDB, O_GDBARCH, O_KVMIRQCHIP, O_CMDLINE, O_MODULE };

static const struct option longopts[] = {
    { "batch", required_argument, NULL, O_BATCH },
    { "ex", required_argument, NULL, 'e' },
    { "engine", required_argument, NULL, O_ENGINE },
    { "kvm-irqchip", no_argument, NULL, O_KVMIRQCHIP },
    { "mem", required_argument, NULL, O_MEM },
    { "vms", required_argument, NULL, O_VMS },
    { "cpus", required_argument, NULL, O_CPUS },
    { "pcpus", required_argument, NULL, O_PCPUS },
    { "symbols", required_argument, NULL, O_SYMBOLS },
    { "load-addr", required_argument, NULL, O_LOADADDR },
    { "cmdline", required_argument, NULL, O_CMDLINE },
    { "module", required_argument, NULL, O_MODULE },
    { "gdb", required_argument, NULL, O_GDB },
    { "gdb-arch", required_argument, NULL, O_GDBARCH },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int count_opt(const char *name, const char *arg, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 0);
    if (*end || v < 1 || v > max) {
        fprintf(stderr, "vmscope debug: %s: '%s' is not a number from 1 to %u\n", name, arg, max);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int parse_opt(struct cli_opts *o, int c, const char *arg)
{
    char *end;
    switch (c) {
    case O_BATCH: o->batch = arg; return 0;
    case 'e':
        if (o->nex == MAX_EX) {
            fprintf(stderr, "vmscope debug: at most %d -ex commands\n", MAX_EX);
            return -1;
        }
        o->ex[o->nex++] = arg;
        return 0;
    case O_ENGINE: o->cfg.engine = arg; return 0;
    case O_KVMIRQCHIP: o->cfg.kvm_irqchip = true; return 0;
    case O_MEM:
        if (gmem_parse_size(arg, &o->cfg.mem) < 0) {
            fprintf(stderr, "vmscope debug: --mem: '%s' is not a size (e.g. 64M)\n", arg);
            return -1;
        }
        return 0;
    case O_VMS: return count_opt("--vms", arg, 64, &o->cfg.nvms);
    case O_CPUS: return count_opt("--cpus", arg, VM_MAX_VCPUS, &o->cfg.ncpus);
    case O_PCPUS: return count_opt("--pcpus", arg, 64, &o->cfg.npcpus);
    case O_SYMBOLS: o->cfg.symfile = arg; return 0;
    case O_GDB: o->gdb = arg; return 0;
    case O_GDBARCH:
        if (gdbstub_parse_arch(arg, &o->gdb_arch) < 0) {
            fprintf(stderr, "vmscope debug: --gdb-arch: '%s' is not x86-64, i386 or i8086\n", arg);
            return -1;
        }
        return 0;
    case O_CMDLINE: o->cfg.cmdline = arg; return 0;
    case O_MODULE:
        if (o->cfg.nmodules == LOADER_MAX_MODULES) {
            fprintf(stderr, "vmscope debug: --module: at most %u modules\n", LOADER_MAX_MODULES);
            return -1;
        }
        o->cfg.modules[o->cfg.nmodules++] = arg;
        return 0;
    case O_LOADADDR:
        o->cfg.load_addr = strtoull(arg, &end, 0);
        o->cfg.flat = true;
        if (*end || end == arg) {
            fprintf(stderr, "vmscope debug: --load-addr: '%s' is not a number\n", arg);
            return -1;
        }
        return 0;
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

/* getopt_long_only so that gdb's single-dash "-ex" works. */
static int parse_args(int argc, char **argv, struct cli_opts *o)
{
    int c;

    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = getopt_long_only(argc, argv, "h", longopts, NULL)) != -1) {
        int r = parse_opt(o, c, optarg);
        if (r)
            return r;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "vmscope debug: expected one IMAGE or SCENARIO (try --help)\n");
        return -1;
    }
    o->cfg.target = argv[optind];
    return 0;
}

/* ---- batch ---- */

/* The -ex commands: a batch stops at the first failure; before the REPL
 * every command runs (as gdb does).  Returns the first failure or 0;
 * *quit says whether `quit` ran. */
static int run_ex(struct session *s, const struct cli_opts *o, struct dbg_out *out,
                  bool stop_on_error, bool *quit)
{
    int first = 0;

    *quit = false;
    for (unsigned i = 0; i < o->nex; i++) {
        int rc = session_exec(s, o->ex[i], out);
        if (rc == SESSION_QUIT) {
            *quit = true;
            break;
        }
        if (rc < 0 && first == 0)
            first = rc;
        if (rc < 0 && stop_on_error)
            break;
    }
    return first;
}

static int run_batch(struct session *s, const struct cli_opts *o, struct dbg_out *out)
{
    bool quit;
    int rc = run_ex(s, o, out, true, &quit);
    if (rc == 0 && !quit && o->batch)
        rc = session_source(s, o->batch, true, out);
    return rc < 0 ? 1 : 0;
}

/* ---- REPL ---- */

static char *complete_gen(const char *text, int state)
{
    static unsigned i;
    char line[1024];

    if (state == 0)
        i = 0;
    snprintf(line, sizeof(line), "%.*s", rl_point, rl_line_buffer);
    (void)text;
    const char *m = session_complete(g_session, line, i++);
    return m ? strdup(m) : NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)start; (void)end;
    char **m = rl_completion_matches(text, complete_gen);
    if (m)
        rl_attempted_completion_over = 1;
    return m;
}

static void history_path(char *buf, size_t len)
{
    const char *env = getenv("VMSCOPE_HISTORY");
    const char *home = getenv("HOME");
    if (env)
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "%s/.vmscope_history", home ? home : ".");
}

static int repl(struct session *s, struct dbg_out *out)
{
    char hist[1024];

    history_path(hist, sizeof(hist));
    read_history(hist);
    rl_readline_name = "vmscope";
    rl_attempted_completion_function = complete;
    rl_completer_word_break_characters = (char *)" \t";
    for (;;) {
        char *line = readline("(vmscope) ");
        if (!line) {
            printf("quit\n");
            break;
        }
        if (line[0] && line[0] != ' ')
            add_history(line);
        int rc = session_exec(s, line, out);
        free(line);
        fflush(stdout);
        if (rc == SESSION_QUIT)
            break;
    }
    stifle_history(HISTORY_MAX);
    write_history(hist);
    return 0;
}

int dbg_cli_main(int argc, char **argv, const char *argv0)
{
    struct cli_opts o;
    struct session *s;
    struct dbg_out out;

    int r = parse_args(argc, argv, &o);
    if (r)
        return r > 0 ? 0 : 2;
    o.cfg.argv0 = argv0;
    if (session_create(&s, &o.cfg) < 0) {
        fprintf(stderr, "vmscope debug: %s\n", vms_lasterr(VMS_ERR_NOTFOUND));
        return 2;
    }
    if (o.gdb) {                /* gdb drives the session (gdb_target_session.h) */
        int err = gdb_session_serve(s, o.gdb, o.gdb_arch);
        if (err < 0)
            fprintf(stderr, "vmscope debug: %s\n", vms_lasterr(err));
        session_destroy(s);
        return err < 0 ? 2 : 0;
    }
    g_session = s;
    signal(SIGINT, on_sigint);
    dbg_out_file(&out, stdout);
    dbg_printf(&out, "%s\n", session_describe(s));
    session_print_stop(s, &out);
    int status;
    if (o.batch) {
        session_set_batch(s, true);
        status = run_batch(s, &o, &out);
    } else {
        bool quit;
        int rc = run_ex(s, &o, &out, false, &quit);
        status = rc < 0 ? 1 : 0;
        if (!quit)
            status = repl(s, &out);
    }
    fflush(stdout);
    g_session = NULL;
    session_destroy(s);
    return status;
}

int dbg_cli_help(int argc, char **argv)
{
    struct dbg_out out;

    dbg_out_file(&out, stdout);
    if (argc > 1 && !strcmp(argv[1], "--markdown")) {
        cmd_write_markdown(&out);
        return 0;
    }
    fprintf(stdout, "usage: vmscope help [--markdown]\n");
    return argc > 1 ? 2 : 0;
}
