/* main.c - vmscope's entry point: command dispatch and the headless runner.
 *
 *   vmscope run [options] IMAGE|SCENARIO     run headless (docs/RUN.md)
 *   vmscope --help | --version
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "debugger/scenario.h"
#include "machine/engine.h"
#include "machine/hv.h"
#include "machine/loader.h"
#include "machine/memmap.h"

#define VMSCOPE_VERSION "0.1.0"

struct run_opts {
    const char *engine;
    uint64_t mem;
    unsigned vms, pcpus, cpus;
    const char *trace;
    uint64_t max_insns;
    double timeout;
    uint64_t load_addr;
    bool flat;
    char **images;          /* one VM per image (times --vms) */
    unsigned nimages;
    uint64_t quantum;
};

static struct hv *g_hv;     /* for the signal handler only */

static void on_signal(int sig)
{
    (void)sig;
    if (g_hv)
        g_hv->stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: vmscope run [options] IMAGE|SCENARIO...\n"
        "       vmscope --help | --version\n"
        "\n"
        "Run a guest headless: its serial output goes to stdout and the exit\n"
        "status is the guest's debug-exit status (port 0xF4: (v << 1) | 1).\n"
        "Several images run as several VMs under one scheduler.\n"
        "\n"
        "options:\n"
        "  --engine auto|unicorn|kvm  CPU engine (default auto: KVM when usable)\n"
        "  --mem SIZE                 guest RAM, e.g. 64M (default: 256M, or the scenario's)\n"
        "  --vms N                    run N copies of the image (default 1)\n"
        "  --pcpus N                  simulated physical CPUs (default 1)\n"
        "  --cpus N                   vCPUs per VM (default 1, or the scenario's)\n"
        "  --quantum NS               scheduler time slice in virtual ns (default 1000000)\n"
        "  --trace FILE               write the event stream as JSON Lines (docs/TRACE.md)\n"
        "  --max-insns N              stop each VM after N instructions\n"
        "  --timeout SEC              stop after SEC seconds of host time\n"
        "  --load-addr ADDR           load IMAGE as a flat binary at ADDR (real mode)\n"
        "\n"
        "exit status: the debug-exit status (odd), or 0 clean halt with interrupts\n"
        "off, 2 bad image or usage, 4 triple fault, 6 timeout, 8 instruction limit,\n"
        "10 engine failure, 12 halted with nothing left to wake it, 130 interrupted.\n");
}

static int parse_u64(const char *opt, const char *text, uint64_t *out)
{
    char *end;

    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text || *end || text[0] == '-') {
        fprintf(stderr, "vmscope: %s: '%s' is not a number\n", opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_count(const char *opt, const char *text, unsigned max, unsigned *out)
{
    uint64_t v;

    if (parse_u64(opt, text, &v) < 0)
        return -1;
    if (v < 1 || v > max) {
        fprintf(stderr, "vmscope: %s: %s is out of range (1-%u)\n", opt, text, max);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

enum { OPT_ENGINE = 256, OPT_MEM, OPT_VMS, OPT_PCPUS, OPT_CPUS, OPT_TRACE,
       OPT_MAXINSNS, OPT_TIMEOUT, OPT_LOADADDR, OPT_QUANTUM };

static const struct option run_longopts[] = {
    { "engine", required_argument, NULL, OPT_ENGINE },
    { "mem", required_argument, NULL, OPT_MEM },
    { "vms", required_argument, NULL, OPT_VMS },
    { "pcpus", required_argument, NULL, OPT_PCPUS },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "trace", required_argument, NULL, OPT_TRACE },
    { "max-insns", required_argument, NULL, OPT_MAXINSNS },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "load-addr", required_argument, NULL, OPT_LOADADDR },
    { "quantum", required_argument, NULL, OPT_QUANTUM },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int parse_one(struct run_opts *o, int c, const char *arg)
{
    switch (c) {
    case OPT_ENGINE: o->engine = arg; return 0;
    case OPT_MEM:
        if (gmem_parse_size(arg, &o->mem) < 0) {
            fprintf(stderr, "vmscope: --mem: '%s' is not a size (e.g. 64M)\n", arg);
            return -1;
        }
        return 0;
    case OPT_VMS: return parse_count("--vms", arg, HV_MAX_VMS, &o->vms);
    case OPT_PCPUS: return parse_count("--pcpus", arg, HV_MAX_PCPUS, &o->pcpus);
    case OPT_CPUS: return parse_count("--cpus", arg, VM_MAX_VCPUS, &o->cpus);
    case OPT_TRACE: o->trace = arg; return 0;
    case OPT_MAXINSNS: return parse_u64("--max-insns", arg, &o->max_insns);
    case OPT_QUANTUM: return parse_u64("--quantum", arg, &o->quantum);
    case OPT_LOADADDR: o->flat = true; return parse_u64("--load-addr", arg, &o->load_addr);
    case OPT_TIMEOUT: {
        char *end;
        o->timeout = strtod(arg, &end);
        if (end == arg || *end || !(o->timeout > 0)) {
            fprintf(stderr, "vmscope: --timeout: '%s' is not a positive number\n", arg);
            return -1;
        }
        return 0;
    }
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
    int c;

    *o = (struct run_opts){ .engine = "auto", .vms = 1, .pcpus = 1, .cpus = 0 };
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", run_longopts, NULL)) != -1) {
        int r = parse_one(o, c, optarg);
        if (r)
            return r;
    }
    if (optind == argc) {
        fprintf(stderr, "vmscope run: expected an IMAGE or SCENARIO (try --help)\n");
        return -1;
    }
    o->images = argv + optind;
    o->nimages = (unsigned)(argc - optind);
    if (o->nimages * o->vms > HV_MAX_VMS) {
        fprintf(stderr, "vmscope run: at most %d VMs in all\n", HV_MAX_VMS);
        return -1;
    }
    return 0;
}

/* ---- serial console ---- */

struct console {
    unsigned nvms;
    bool at_line_start[HV_MAX_VMS];
};

static void console_out(void *opaque, unsigned vm, uint8_t byte)
{
    struct console *c = opaque;

    if (c->nvms > 1 && vm < HV_MAX_VMS) {
        if (c->at_line_start[vm])
            printf("[vm%u] ", vm);
        c->at_line_start[vm] = byte == '\n';
    }
    putchar(byte);
}

static void poll_stdin(struct hv *hv)
{
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
    uint8_t buf[64];

    if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
        return;
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n > 0)
        vm_console_input(hv->vm[0], buf, (size_t)n);
}

static double host_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the run command ---- */

static int build_vms(struct hv *hv, const struct run_opts *o, const struct scenario *scs,
                     const struct vcpu_ops *engine, struct console *con)
{
    struct vm_config cfg = { .mem_size = o->mem, .ncpus = o->cpus, .engine = engine,
                             .insn_limit = o->max_insns, .console = console_out,
                             .console_opaque = con };
    struct load_opts lo = { .load_addr = o->load_addr, .flat = o->flat };

    for (unsigned i = 0; i < o->vms * o->nimages; i++) {
        const struct scenario *sc = &scs[i % o->nimages];
        struct vm *vm;
        struct load_result lr;
        int err = vm_create(&vm, i, &cfg, &hv->ev);
        if (err < 0) {
            fprintf(stderr, "vmscope: cannot create vm%u: %s\n", i, vms_lasterr(err));
            return VMS_STATUS_ENGINE;
        }
        err = hv_add_vm(hv, vm);
        if (err < 0) {
            vm_destroy(vm);
            fprintf(stderr, "vmscope: %s\n", vms_lasterr(err));
            return VMS_STATUS_BADIMAGE;
        }
        err = loader_load(&vm->mem, sc->image, &lo, &lr);
        if (err < 0) {
            fprintf(stderr, "vmscope: %s\n", vms_lasterr(err));
            return VMS_STATUS_BADIMAGE;
        }
        err = vm_start(vm, &lr.cpu);
        load_result_fini(&lr);
        if (err < 0) {
            fprintf(stderr, "vmscope: %s: cannot start: %s\n", vm->name, vms_lasterr(err));
            return VMS_STATUS_ENGINE;
        }
    }
    return 0;
}

static void run_loop(struct hv *hv, const struct run_opts *o)
{
    double start = host_seconds();

    while (hv_round(hv)) {
        if (hv->stop) {
            hv_stop_all(hv, VM_LIMIT, 130, "interrupted");
            break;
        }
        if ((hv->rounds & 15) == 0)
            poll_stdin(hv);
        if (o->timeout > 0 && host_seconds() - start > o->timeout) {
            hv_stop_all(hv, VM_LIMIT, VMS_STATUS_TIMEOUT, "timeout");
            break;
        }
    }
}

/* The process status: every VM's if they agree, else the first VM's
 * that is not a clean halt. */
static int final_status(const struct hv *hv)
{
    int status = hv->vm[0]->exit_status;

    for (unsigned i = 0; i < hv->nvm; i++) {
        const struct vm *vm = hv->vm[i];
        if (vm->state != VM_EXITED && vm->state != VM_HALTED)
            fprintf(stderr, "vmscope: %s\n", vm->reason);
        if (status == 0 && vm->exit_status != 0)
            status = vm->exit_status;
    }
    return status;
}

static int run_hv(const struct run_opts *o, const struct scenario *sc,
                  const struct vcpu_ops *engine)
{
    struct hv *hv;
    struct console con = { .nvms = o->vms * o->nimages };
    struct hv_config hc = { .npcpu = o->pcpus, .quantum = o->quantum };
    FILE *trace = NULL;
    struct ev_json_sink js;

    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        con.at_line_start[i] = true;
    if (hv_create(&hv, &hc) < 0) {
        fprintf(stderr, "vmscope: %s\n", vms_lasterr(VMS_ERR_INVAL));
        return VMS_STATUS_BADIMAGE;
    }
    if (o->trace) {
        trace = fopen(o->trace, "w");
        if (!trace) {
            fprintf(stderr, "vmscope: %s: %s\n", o->trace, strerror(errno));
            hv_destroy(hv);
            return VMS_STATUS_BADIMAGE;
        }
        ev_json_sink_init(&js, trace);
        ev_add_sink(&hv->ev, &js.sink);
    }
    int status = build_vms(hv, o, sc, engine, &con);
    if (status == 0) {
        g_hv = hv;
        run_loop(hv, o);
        g_hv = NULL;
        status = final_status(hv);
    }
    fflush(stdout);
    if (trace && (fclose(trace) != 0 || js.err)) {
        fprintf(stderr, "vmscope: %s: write error\n", o->trace);
        if (status == 0)
            status = VMS_STATUS_BADIMAGE;
    }
    hv_destroy(hv);
    return status;
}

static int cmd_run(int argc, char **argv, const char *argv0)
{
    struct run_opts o;
    static struct scenario sc[HV_MAX_VMS];
    const struct vcpu_ops *engine;
    char why[160];

    int r = parse_run_opts(argc, argv, &o);
    if (r)
        return r > 0 ? 0 : VMS_STATUS_BADIMAGE;
    if (engine_choose(o.engine, &engine, why, sizeof(why)) < 0) {
        fprintf(stderr, "vmscope: %s\n", why);
        return VMS_STATUS_BADIMAGE;
    }
    if (why[0])
        fprintf(stderr, "vmscope: %s\n", why);
    for (unsigned i = 0; i < o.nimages; i++) {
        if (scenario_resolve(o.images[i], argv0, &sc[i]) < 0) {
            fprintf(stderr, "vmscope: %s\n", vms_lasterr(VMS_ERR_NOTFOUND));
            return VMS_STATUS_BADIMAGE;
        }
    }
    if (o.mem == 0 && (!sc[0].mem[0] || gmem_parse_size(sc[0].mem, &o.mem) < 0))
        o.mem = MM_DEFAULT_RAM;
    if (o.cpus == 0)   /* the scenario's cpus= when --cpus is not given */
        o.cpus = sc[0].cpus && sc[0].cpus <= VM_MAX_VCPUS ? sc[0].cpus : 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    return run_hv(&o, sc, engine);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VMS_STATUS_BADIMAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("vmscope %s (unicorn %s)\n", VMSCOPE_VERSION, engine_unicorn_version());
        return 0;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1, argv[0]);
    fprintf(stderr, "vmscope: unknown command '%s' (try --help)\n", argv[1]);
    return VMS_STATUS_BADIMAGE;
}
