/* main.c - vmscope's entry point: command dispatch and the headless runner.
 *
 *   vmscope run [options] IMAGE|SCENARIO     run headless (docs/RUN.md)
 *   vmscope debug [options] IMAGE|SCENARIO   line-mode debugger (docs/DEBUGGER.md)
 *   vmscope help --markdown                  the debugger's command reference
 *   vmscope [options] IMAGE|SCENARIO         the terminal UI (docs/TUI.md)
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

#include "debugger/cli.h"
#include "debugger/gdb_target_vm.h"
#include "debugger/gdbstub.h"
#include "debugger/rsp.h"
#include "debugger/scenario.h"
#include "tui/app.h"
#include "machine/ata.h"
#include "machine/engine.h"
#include "machine/hv.h"
#include "machine/loader.h"
#include "machine/memmap.h"
#include "machine/platform.h"
#include "machine/rtc.h"
#include "machine/tracew.h"
#include "machine/vga.h"

#define VMSCOPE_VERSION "0.1.0"

struct run_opts {
    const char *engine;
    bool kvm_irqchip;       /* --kvm-irqchip: KVM's in-kernel PIC/APICs */
    uint64_t mem;
    unsigned vms, pcpus, cpus;
    const char *trace;
    uint64_t max_insns;
    double timeout;
    uint64_t load_addr;
    bool flat;
    const char *cmdline;    /* --cmdline, or NULL */
    const char *modules[LOADER_MAX_MODULES];   /* --module "FILE [ARGS]" */
    unsigned nmodules;
    char **images;          /* one VM per image (times --vms) */
    unsigned nimages;
    uint64_t quantum;
    const char *gdb;        /* --gdb PORT|ADDR:PORT, or NULL */
    unsigned gdb_arch;      /* --gdb-arch (gdbstub_parse_arch) */
    const char *disk[ATA_DRIVES];   /* --disk: primary master, slave */
    unsigned ndisks;
    bool snapshot;                  /* --snapshot: disk writes stay in memory */
    const char *rtc;                /* --rtc or $VMSCOPE_RTC */
    const char *vga_dump;           /* --vga-dump FILE */
    unsigned input;                 /* --input: INPUT_SERIAL | INPUT_KBD bits */
};

#define INPUT_SERIAL 1u
#define INPUT_KBD    2u

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
        "       vmscope debug [--batch FILE] [-ex CMD]... IMAGE|SCENARIO\n"
        "       vmscope help --markdown\n"
        "       vmscope [options] IMAGE|SCENARIO   the terminal UI (see --help-tui)\n"
        "       vmscope run [options] --disk FILE [--disk FILE]\n"
        "       vmscope --help | --version\n"
        "\n"
        "Run a guest headless: its serial output goes to stdout and the exit\n"
        "status is the guest's debug-exit status (port 0xF4: (v << 1) | 1).\n"
        "Several images run as several VMs under one scheduler.\n"
        "\n"
        "options:\n"
        "  --engine auto|unicorn|kvm  CPU engine (default auto: KVM when usable)\n"
        "  --kvm-irqchip              KVM only: KVM's in-kernel PIC, I/O APIC and local\n"
        "                             APICs (faster; injections are not traced; docs/KVM.md)\n"
        "  --mem SIZE                 guest RAM, e.g. 64M (default: 256M, or the scenario's)\n"
        "  --vms N                    run N copies of the image (default 1)\n"
        "  --pcpus N                  simulated physical CPUs (default 1)\n"
        "  --cpus N                   vCPUs per VM (default 1, or the scenario's)\n"
        "  --quantum NS               scheduler time slice in virtual ns (default 1000000)\n"
        "  --trace FILE               write the event stream as JSON Lines (docs/TRACE.md)\n"
        "  --max-insns N              stop each VM after N instructions\n"
        "  --timeout SEC              stop after SEC seconds of host time\n"
        "  --load-addr ADDR           load IMAGE as a flat binary at ADDR (real mode)\n"
        "  --cmdline ARGS             kernel arguments: a multiboot or ELF64 image's command\n"
        "                             line is its file name, a space and ARGS (as GRUB's\n"
        "                             and QEMU's -append); default: the scenario's cmdline=\n"
        "  --module \"FILE [ARGS]\"     a multiboot module (repeatable; GRUB's module line)\n"
        "  --gdb [ADDR:]PORT          wait for gdb there before the first instruction\n"
        "                             (loopback unless ADDR is given; docs/GDB.md)\n"
        "  --gdb-arch x86-64|i386|i8086  register layout gdb sees (default x86-64;\n"
        "                             i386/i8086 for guests that stay in 32/16-bit modes)\n"
        "  --disk FILE                raw disk image: primary master, then slave; with no\n"
        "                             IMAGE the firmware boots from the first (docs/PC.md)\n"
        "  --snapshot                 keep disk writes in memory (the files stay unchanged)\n"
        "  --rtc YYYY-MM-DDTHH:MM:SS  fixed RTC start time, UTC (also $VMSCOPE_RTC)\n"
        "  --vga-dump FILE            write VM 0's VGA text screen to FILE at the end\n"
        "  --input serial|kbd|both    where typed input goes (default serial: COM1)\n"
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
       OPT_MAXINSNS, OPT_TIMEOUT, OPT_LOADADDR, OPT_QUANTUM, OPT_GDB, OPT_GDBARCH,
       OPT_DISK, OPT_SNAPSHOT, OPT_RTC, OPT_VGADUMP, OPT_INPUT, OPT_KVMIRQCHIP, OPT_CMDLINE, OPT_MODULE };

static const struct option run_longopts[] = {
    { "engine", required_argument, NULL, OPT_ENGINE },
    { "kvm-irqchip", no_argument, NULL, OPT_KVMIRQCHIP },
    { "mem", required_argument, NULL, OPT_MEM },
    { "vms", required_argument, NULL, OPT_VMS },
    { "pcpus", required_argument, NULL, OPT_PCPUS },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "trace", required_argument, NULL, OPT_TRACE },
    { "max-insns", required_argument, NULL, OPT_MAXINSNS },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "load-addr", required_argument, NULL, OPT_LOADADDR },
    { "cmdline", required_argument, NULL, OPT_CMDLINE },
    { "module", required_argument, NULL, OPT_MODULE },
    { "quantum", required_argument, NULL, OPT_QUANTUM },
    { "gdb", required_argument, NULL, OPT_GDB },
    { "gdb-arch", required_argument, NULL, OPT_GDBARCH },
    { "disk", required_argument, NULL, OPT_DISK },
    { "snapshot", no_argument, NULL, OPT_SNAPSHOT },
    { "rtc", required_argument, NULL, OPT_RTC },
    { "vga-dump", required_argument, NULL, OPT_VGADUMP },
    { "input", required_argument, NULL, OPT_INPUT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int parse_input(struct run_opts *o, const char *arg)
{
    static const struct { const char *name; unsigned bits; } modes[] = {
        { "serial", INPUT_SERIAL }, { "kbd", INPUT_KBD }, { "both", INPUT_SERIAL | INPUT_KBD },
    };

    for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (!strcmp(arg, modes[i].name)) {
            o->input = modes[i].bits;
            return 0;
        }
    }
    fprintf(stderr, "vmscope: --input: '%s' is not serial, kbd or both\n", arg);
    return -1;
}

static int parse_pc(struct run_opts *o, int c, const char *arg)
{
    switch (c) {
    case OPT_DISK:
        if (o->ndisks == ATA_DRIVES) {
            fprintf(stderr, "vmscope: --disk: at most %u disks (primary master, slave)\n",
                    ATA_DRIVES);
            return -1;
        }
        o->disk[o->ndisks++] = arg;
        return 0;
    case OPT_SNAPSHOT: o->snapshot = true; return 0;
    case OPT_RTC: o->rtc = arg; return 0;
    case OPT_VGADUMP: o->vga_dump = arg; return 0;
    case OPT_INPUT: return parse_input(o, arg);
    }
    return -1;
}

static int parse_one(struct run_opts *o, int c, const char *arg)
{
    if (c >= OPT_DISK && c <= OPT_INPUT)
        return parse_pc(o, c, arg);
    switch (c) {
    case OPT_ENGINE: o->engine = arg; return 0;
    case OPT_KVMIRQCHIP: o->kvm_irqchip = true; return 0;
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
    case OPT_GDB: o->gdb = arg; return 0;
    case OPT_GDBARCH:
        if (gdbstub_parse_arch(arg, &o->gdb_arch) < 0) {
            fprintf(stderr, "vmscope: --gdb-arch: '%s' is not x86-64, i386 or i8086\n", arg);
            return -1;
        }
        return 0;
    case OPT_MAXINSNS: return parse_u64("--max-insns", arg, &o->max_insns);
    case OPT_QUANTUM: return parse_u64("--quantum", arg, &o->quantum);
    case OPT_LOADADDR: o->flat = true; return parse_u64("--load-addr", arg, &o->load_addr);
    case OPT_CMDLINE: o->cmdline = arg; return 0;
    case OPT_MODULE:
        if (o->nmodules == LOADER_MAX_MODULES) {
            fprintf(stderr, "vmscope: --module: at most %u modules\n", LOADER_MAX_MODULES);
            return -1;
        }
        o->modules[o->nmodules++] = arg;
        return 0;
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

    *o = (struct run_opts){ .engine = "auto", .vms = 1, .pcpus = 1, .cpus = 0,
                            .input = INPUT_SERIAL };
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", run_longopts, NULL)) != -1) {
        int r = parse_one(o, c, optarg);
        if (r)
            return r;
    }
    if (optind == argc && o->ndisks == 0) {
        fprintf(stderr, "vmscope run: expected an IMAGE, a SCENARIO or --disk (try --help)\n");
        return -1;
    }
    o->images = argv + optind;
    o->nimages = optind == argc ? 1 : (unsigned)(argc - optind);   /* 1: boot from disk */
    if (!o->rtc)
        o->rtc = getenv("VMSCOPE_RTC");
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

static void console_notice(void *opaque, unsigned vm, const char *line)
{
    (void)opaque;
    fflush(stdout);
    fprintf(stderr, "vmscope: vm%u: %s\n", vm, line);
}

/* Typed input goes to VM 0: to COM1, to the i8042 keyboard as scan
 * codes, or to both (--input; docs/PC.md). */
static void poll_stdin(struct hv *hv, unsigned input)
{
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
    uint8_t buf[64];

    if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
        return;
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n <= 0)
        return;
    if (input & INPUT_SERIAL)
        vm_console_input(hv->vm[0], buf, (size_t)n);
    if (input & INPUT_KBD)
        platform_kbd_input(hv->vm[0]->plat, buf, (size_t)n);
}

static double host_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the run command ---- */

/* Statuses for errors from vm_create: a bad disk file is the user's. */
static int create_status(int err)
{
    return err == -VMS_ERR_IO || err == -VMS_ERR_BADIMAGE || err == -VMS_ERR_BUSY ||
           err == -VMS_ERR_NOTFOUND ? VMS_STATUS_BADIMAGE : VMS_STATUS_ENGINE;
}

/* A boot sector given as the image is also disk 0 (snapshot: the file is
 * never written), with the scenario's disk= images after it, as QEMU's
 * -drive would see them; then the POST a BIOS does. */
static void boot_sector_disks(struct vm *vm, const struct run_opts *o, const struct scenario *sc)
{
    if (o->ndisks == 0) {
        if (platform_attach_disk(vm->plat, 0, sc->image, ATA_SNAPSHOT) < 0)
            fprintf(stderr, "vmscope: %s: not attached as disk 0: %s\n", vm->name,
                    vms_lasterr(VMS_ERR_BADIMAGE));
        for (unsigned i = 0; i < sc->ndisks && i + 1 < ATA_DRIVES; i++)
            if (platform_attach_disk(vm->plat, i + 1, sc->disk[i], ATA_SNAPSHOT) < 0)
                fprintf(stderr, "vmscope: %s: %s\n", vm->name, vms_lasterr(VMS_ERR_IO));
    }
    platform_bios_post(vm->plat);
}

/* Load the image into @vm, or boot from disk 0 when there is none. */
static int load_vm(struct vm *vm, const struct run_opts *o, const struct scenario *sc,
                   struct cpu_state *cpu)
{
    struct load_opts lo = { .load_addr = o->load_addr, .flat = o->flat,
                            .args = o->cmdline ? o->cmdline
                                  : sc->has_cmdline ? sc->cmdline : NULL };
    struct load_result lr;
    int err;

    if (!sc->image[0]) {
        err = platform_boot_disk(vm->plat, cpu);
        if (err < 0)
            fprintf(stderr, "vmscope: %s\n", vms_lasterr(err));
        return err < 0 ? VMS_STATUS_BADIMAGE : 0;
    }
    err = loader_load_modules(&vm->mem, sc->image, &lo, o->modules, o->nmodules, &lr);
    if (err < 0) {
        fprintf(stderr, "vmscope: %s\n", vms_lasterr(err));
        return VMS_STATUS_BADIMAGE;
    }
    if (lr.kind == IMAGE_BOOTSECTOR)
        boot_sector_disks(vm, o, sc);
    *cpu = lr.cpu;
    load_result_fini(&lr);
    return 0;
}

static int build_vms(struct hv *hv, const struct run_opts *o, const struct scenario *scs,
                     const struct vcpu_ops *engine, struct console *con)
{
    struct vm_config cfg = { .mem_size = o->mem, .ncpus = o->cpus, .engine = engine,
                             .insn_limit = o->max_insns, .console = console_out,
                             .console_opaque = con, .notice = console_notice };

    for (unsigned i = 0; i < o->ndisks; i++) {
        cfg.disk[i] = o->disk[i];
        cfg.disk_flags[i] = o->snapshot ? ATA_SNAPSHOT : 0;
    }
    if (o->rtc) {
        if (rtc_parse_time(o->rtc, &cfg.rtc_epoch) < 0) {
            fprintf(stderr, "vmscope: --rtc: %s\n", vms_lasterr(VMS_ERR_INVAL));
            return VMS_STATUS_BADIMAGE;
        }
        cfg.rtc_fixed = true;
    }
    for (unsigned i = 0; i < o->vms * o->nimages; i++) {
        const struct scenario *sc = &scs[i % o->nimages];
        struct vm *vm;
        struct cpu_state cpu;
        int err = vm_create(&vm, i, &cfg, &hv->ev);
        if (err < 0) {
            fprintf(stderr, "vmscope: cannot create vm%u: %s\n", i, vms_lasterr(err));
            return create_status(err);
        }
        err = hv_add_vm(hv, vm);
        if (err < 0) {
            vm_destroy(vm);
            fprintf(stderr, "vmscope: %s\n", vms_lasterr(err));
            return VMS_STATUS_BADIMAGE;
        }
        int status = load_vm(vm, o, sc, &cpu);
        if (status)
            return status;
        err = vm_start(vm, &cpu);
        if (err < 0) {
            fprintf(stderr, "vmscope: %s: cannot start: %s\n", vm->name, vms_lasterr(err));
            return VMS_STATUS_ENGINE;
        }
    }
    return 0;
}

/* --vga-dump: VM 0's text screen, and every written disk image synced. */
static int finish_vms(struct hv *hv, const struct run_opts *o, int status)
{
    for (unsigned i = 0; i < hv->nvm; i++) {
        if (platform_flush(hv->vm[i]->plat) < 0) {
            fprintf(stderr, "vmscope: %s\n", vms_lasterr(VMS_ERR_IO));
            status = status ? status : VMS_STATUS_BADIMAGE;
        }
    }
    if (!o->vga_dump || hv->nvm == 0)
        return status;
    FILE *f = fopen(o->vga_dump, "w");
    if (!f || vga_dump(platform_vga(hv->vm[0]->plat), f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "vmscope: %s: cannot write the VGA screen: %s\n", o->vga_dump,
                strerror(errno));
        return status ? status : VMS_STATUS_BADIMAGE;
    }
    return status;
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
            poll_stdin(hv, o->input);
        if (o->timeout > 0 && host_seconds() - start > o->timeout) {
            hv_stop_all(hv, VM_LIMIT, VMS_STATUS_TIMEOUT, "timeout");
            break;
        }
    }
}

/* ---- --gdb: serve gdb on vm0 before (and instead of) the headless run ---- */

/* Serve one gdb session on vm0.  When gdb detaches (or goes away) the
 * guest runs on headless; when it kills the guest, the VM stops.  Returns
 * 0, or a process status when --gdb could not be set up. */
static int serve_gdb(struct hv *hv, const char *spec, unsigned arch)
{
    struct gdb_vm_target *t;
    struct gdbstub_config cfg = { .linear_pc = true, .arch = arch, .quit = &hv->stop };
    enum gdbstub_end end;

    if (gdb_vm_target_create(&t, hv, hv->vm[0]) < 0)
        return VMS_STATUS_ENGINE;
    int err = gdbstub_listen_serve(spec, &gdb_vm_target_ops, t, &cfg, &end);
    gdb_vm_target_destroy(t);
    if (err < 0 && !hv->stop) {
        fprintf(stderr, "vmscope: %s\n", vms_lasterr(err));
        return VMS_STATUS_BADIMAGE;
    }
    return 0;
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
    struct tracew *trace = NULL;

    for (unsigned i = 0; i < HV_MAX_VMS; i++)
        con.at_line_start[i] = true;
    if (hv_create(&hv, &hc) < 0) {
        fprintf(stderr, "vmscope: %s\n", vms_lasterr(VMS_ERR_INVAL));
        return VMS_STATUS_BADIMAGE;
    }
    if (o->trace) {
        if (tracew_open(&trace, o->trace) < 0) {
            fprintf(stderr, "vmscope: %s\n", vms_lasterr(VMS_ERR_IO));
            hv_destroy(hv);
            return VMS_STATUS_BADIMAGE;
        }
        ev_add_sink(&hv->ev, tracew_sink(trace));
    }
    int status = build_vms(hv, o, sc, engine, &con);
    if (status == 0) {
        g_hv = hv;
        if (o->gdb)
            status = serve_gdb(hv, o->gdb, o->gdb_arch);
        if (status == 0)
            run_loop(hv, o);
        g_hv = NULL;
        if (status == 0)
            status = finish_vms(hv, o, final_status(hv));
    }
    fflush(stdout);
    if (trace)
        ev_remove_sink(&hv->ev, tracew_sink(trace));
    if (tracew_close(trace, NULL) < 0) {
        fprintf(stderr, "vmscope: %s: %s\n", o->trace, vms_lasterr(VMS_ERR_IO));
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
    if (engine_choose(o.engine, &engine, why, sizeof(why)) < 0 ||
        (o.kvm_irqchip && engine_kernel_irqchip(&engine, why, sizeof(why)) < 0)) {
        fprintf(stderr, "vmscope: %s\n", why);
        return VMS_STATUS_BADIMAGE;
    }
    if (why[0])
        fprintf(stderr, "vmscope: %s\n", why);
    for (unsigned i = 0; i < o.nimages && o.images[0]; i++) {
        if (scenario_resolve(o.images[i], argv0, &sc[i]) < 0) {
            fprintf(stderr, "vmscope: %s\n", vms_lasterr(VMS_ERR_NOTFOUND));
            return VMS_STATUS_BADIMAGE;
        }
    }
    if (!o.images[0])
        memset(&sc[0], 0, sizeof(sc[0]));   /* no image: boot from --disk */
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
    if (!strcmp(argv[1], "debug"))
        return dbg_cli_main(argc - 1, argv + 1, argv[0]);
    if (!strcmp(argv[1], "help"))
        return dbg_cli_help(argc - 1, argv + 1);
    if (!strcmp(argv[1], "--has-tui"))
        return tui_available() ? 0 : 1;
    if (!strcmp(argv[1], "--help-keys"))
        return tui_help_keys();
    if (!strcmp(argv[1], "--help-tui")) {
        char *help[] = { argv[0], "--help", NULL };
        return tui_main(2, help);
    }
    /* Anything else is `vmscope [options] IMAGE|SCENARIO`: the TUI. */
    return tui_main(argc, argv);
}
