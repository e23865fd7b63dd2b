/* kvm_engine.c - the KVM engine behind struct vcpu_ops.
 *
 * One KVM VM per vmscope VM (shared by its vCPUs, reference-counted), its
 * RAM the VM's gmem mapping, every device in user space.  run() loops on
 * KVM_RUN and turns each exit into a struct vcpu_exit:
 *  - KVM_EXIT_IO / KVM_EXIT_MMIO: synchronous, through vcpu->io (one call
 *    per element of a string instruction, as on Unicorn);
 *  - HLT, shutdown (triple fault), debug, interrupt window: end run();
 *  - the budget: a POSIX timer sends KVM_KICK_SIGNAL to this thread; its
 *    handler sets kvm_run.immediate_exit so a signal that lands just
 *    before KVM_RUN is not lost (api.rst 5 "immediate_exit").
 * With --kvm-irqchip (kvm_irqchip_vcpu_ops) the 8259 pair, I/O APIC and
 * local APICs are KVM's own (KVM_CREATE_IRQCHIP): device IRQ lines go in
 * with KVM_IRQ_LINE, KVM delivers interrupts, runs HLT and starts the
 * application processors itself (docs/KVM.md "--kvm-irqchip").
 * Reference: Documentation/virt/kvm/api.rst; DESIGN.md "KVM".
 */
#include "kvm_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_state.h"
#include "memmap.h"
#include "paging.h"
#include "platform.h"
#include "vm.h"

#define KVM_DEVICE        "/dev/kvm"
#define KVM_API_EXPECTED  12
/* Three pages KVM/VMX uses for real-mode emulation (api.rst 4.39), and
 * the identity-map page before them: just below the BIOS reset vector,
 * above any RAM or device vmscope maps below 4 GiB. */
#define KVM_TSS_ADDR      0xFFFBD000u
#define PAGE_4K           4096ull
#define PHYS_4G           (1ull << 32)
/* A slice shorter than this is not worth a VM entry (~2-40 us per exit). */
#define KVM_MIN_SLICE_NS  20000ull
/* --kvm-irqchip: the slice of a vCPU that was halted at the end of its
 * last run.  KVM runs HLT itself, so vmscope learns of a halt only when a
 * slice ends; a short slice after a wake-up lets an idle guest give its
 * time back soon (and virtual time jump over the idle period). */
#define KVM_IDLE_SLICE_NS 50000ull
/* DR6/DR7 fields (SDM Vol. 3B 17.2.3, 17.2.4) */
#define DR6_B(i)          (1ull << (i))   /* breakpoint condition i met */
#define DR6_BS            (1ull << 14)    /* single step */
#define DR7_L(i)          (1ull << (2 * (i)))
#define DR7_FIXED_1       (1ull << 10)    /* reads as 1 */
#define DR7_LE_GE         (3ull << 8)     /* exact data breakpoints (17.2.4) */
#define DR7_RW_SHIFT(i)   (16 + 4 * (i))
#define DR7_LEN_SHIFT(i)  (18 + 4 * (i))
#define DR7_RW_EXEC       0ull
#define DR7_RW_WRITE      1ull
#define DR7_RW_ACCESS     3ull            /* read or write */
#define KVM_NDR           4               /* DR0-DR3 */

/* The capabilities run() relies on. */
static const struct { long cap; const char *name; } needed_caps[] = {
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
    { KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS" },
    { KVM_CAP_DEBUGREGS, "KVM_CAP_DEBUGREGS" },
};
#define NCAPS (sizeof(needed_caps) / sizeof(needed_caps[0]))

/* What one debug register watches; kind 0: an instruction breakpoint,
 * else enum vcpu_watch_kind. */
struct kv_dr {
    uint64_t addr, len;
    unsigned kind;
};

/* One KVM VM, shared by the vCPUs of one vmscope VM. */
struct kvm_vmctx {
    int refs;
    int kvm_fd, vm_fd;
    int run_size;             /* KVM_GET_VCPU_MMAP_SIZE */
    bool sync_regs;           /* KVM_CAP_SYNC_REGS: RIP comes with each exit */
    unsigned nslots;
    /* --kvm-irqchip */
    struct vm *vm;            /* whose platform routes its IRQ lines here */
    bool irqchip;             /* KVM_CREATE_IRQCHIP done */
    bool pic_loaded;          /* the 8259 pair's start state is in KVM */
    uint64_t irq_lines;       /* KVM_IRQ_LINE calls, and those that failed */
    uint64_t irq_line_errors;
    /* vCPUs (bit = index) reported halted that may have something to
     * wake them since: a line went up, or another vCPU ran (an IPI). */
    uint32_t wake;
};

struct kv {
    struct vcpu *v;
    struct kvm_vmctx *ctx;
    int fd;                   /* vCPU fd */
    struct kvm_run *run;
    timer_t timer;
    bool timer_ok;
    pid_t timer_tid;          /* the thread the slice timer signals */
    bool io_pending;          /* an I/O exit completes at the next KVM_RUN */
    bool stepping;
    struct kvm_guest_debug gd;/* what KVM_SET_GUEST_DEBUG was last given */
    unsigned ndr;             /* DR0-3 in use */
    struct kv_dr dr[KVM_NDR];
    bool resume_break;        /* stopped at a breakpoint: step over it */
    bool was_halted;          /* --kvm-irqchip: the last run ended halted */
    bool halt_seen;           /* ... the last slice ended halted, not reported */
    uint64_t break_rip, break_lin;
    struct kvm_engine_stats st;
};

static struct kv *eng(const struct vcpu *v) { return v->engine; }

/* ------------------------------------------------------------ signals */

static int kick_signal(void) { return SIGRTMIN + 3; }

/* The kvm_run of the vCPU this thread is running, for the handler. */
static __thread struct kvm_run *volatile tls_run;

static void on_kick_signal(int sig)
{
    struct kvm_run *r = tls_run;

    (void)sig;
    if (r)
        r->immediate_exit = 1;
}

static pthread_once_t signal_once = PTHREAD_ONCE_INIT;
static int signal_err;

static void install_signal(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_kick_signal;
    sa.sa_flags = SA_RESTART;   /* other syscalls restart; KVM_RUN returns EINTR */
    sigemptyset(&sa.sa_mask);
    signal_err = sigaction(kick_signal(), &sa, NULL) < 0 ? errno : 0;
}

static __thread pid_t tls_tid;

static pid_t this_thread(void)
{
    if (!tls_tid)
        tls_tid = (pid_t)syscall(SYS_gettid);
    return tls_tid;
}

/* The slice timer signals one thread: the one running the vCPU.  Made at
 * create() and again when run() is called from another thread. */
static int make_timer(struct kv *k)
{
    struct sigevent se;
    sigset_t set;

    pthread_once(&signal_once, install_signal);
    if (signal_err)
        return vms_seterr(VMS_ERR_ENGINE, "kvm: cannot install the slice signal: %s",
                          strerror(signal_err));
    memset(&se, 0, sizeof(se));
    se.sigev_notify = SIGEV_THREAD_ID;
    se.sigev_signo = kick_signal();
    se._sigev_un._tid = this_thread();
    if (k->timer_ok)
        timer_delete(k->timer);
    k->timer_ok = false;
    if (timer_create(CLOCK_MONOTONIC, &se, &k->timer) < 0)
        return vms_seterr(VMS_ERR_ENGINE, "kvm: cannot create the slice timer: %s",
                          strerror(errno));
    k->timer_ok = true;
    k->timer_tid = this_thread();
    /* A blocked signal would never end a slice. */
    sigemptyset(&set);
    sigaddset(&set, kick_signal());
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return 0;
}

/* Fire once after @ns (0: disarm). */
static void arm_timer(struct kv *k, uint64_t ns)
{
    struct itimerspec its;

    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
    its.it_value.tv_nsec = (long)(ns % 1000000000ull);
    timer_settime(k->timer, 0, &its, NULL);
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------- the VM */

static int errno_err(const char *what)
{
    return vms_seterr(VMS_ERR_ENGINE, "kvm: %s: %s", what, strerror(errno));
}

static int add_slot(struct kvm_vmctx *c, struct gmem *mem, uint64_t a, uint64_t b)
{
    if (b <= a)
        return 0;
    struct kvm_userspace_memory_region r = {
        .slot = c->nslots, .guest_phys_addr = a, .memory_size = b - a,
        .userspace_addr = (uint64_t)(uintptr_t)(mem->ram + a),
    };
    if (ioctl(c->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return errno_err("KVM_SET_USER_MEMORY_REGION");
    c->nslots++;
    return 0;
}

/* RAM as memory slots, minus the pages of device (MMIO) ranges inside it:
 * what no slot covers exits as KVM_EXIT_MMIO, as on Unicorn where the
 * same pages are MMIO mappings. */
static int map_memory(struct kvm_vmctx *c, struct vm *vm)
{
    const struct bus *bus = &vm->bus;
    uint64_t cur = 0;
    int err;

    for (unsigned i = 0; i < bus->n[BUS_MMIO]; i++) {
        const struct bus_range *r = &bus->r[BUS_MMIO][i];
        uint64_t b = r->base & ~(PAGE_4K - 1);
        uint64_t end = (r->base + r->len + PAGE_4K - 1) & ~(PAGE_4K - 1);
        if (b >= vm->mem.size)
            break;
        if (b > cur && (err = add_slot(c, &vm->mem, cur, b)) < 0)
            return err;
        if (end > cur)
            cur = end;
    }
    return cur < vm->mem.size ? add_slot(c, &vm->mem, cur, vm->mem.size) : 0;
}

static int check_caps(int kvm_fd, char *why, size_t len)
{
    for (unsigned i = 0; i < NCAPS; i++) {
        if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, needed_caps[i].cap) <= 0) {
            snprintf(why, len, KVM_DEVICE " lacks %s", needed_caps[i].name);
            return -VMS_ERR_NOKVM;
        }
    }
    return 0;
}

static int open_kvm(char *why, size_t len)
{
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        if (errno == EACCES)
            snprintf(why, len, KVM_DEVICE " exists but cannot be opened: permission "
                     "denied (add the user to the 'kvm' group)");
        else
            snprintf(why, len, KVM_DEVICE " is not usable: %s", strerror(errno));
        return -VMS_ERR_NOKVM;
    }
    int api = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_EXPECTED) {
        snprintf(why, len, KVM_DEVICE " reports API version %d, not %d", api,
                 KVM_API_EXPECTED);
        close(fd);
        return -VMS_ERR_NOKVM;
    }
    if (check_caps(fd, why, len) < 0) {
        close(fd);
        return -VMS_ERR_NOKVM;
    }
    return fd;
}

/* /dev/kvm from KVM-PVM alone (no kvm_intel, no kvm_amd): a software,
 * paravirtual hypervisor for PVM-aware Linux guests.  Measured here: it
 * raises #GP where 32-bit paging is turned on and runs a ring-3 SYSCALL
 * without leaving CPL 3, so it cannot stand in for the CPU (docs/KVM.md). */
static bool kvm_is_pvm(void)
{
    return access("/sys/module/kvm_pvm", F_OK) == 0 &&
           access("/sys/module/kvm_intel", F_OK) != 0 &&
           access("/sys/module/kvm_amd", F_OK) != 0;
}

static bool pvm_allowed(void)
{
    const char *a = getenv("VMSCOPE_KVM_ALLOW_PVM");
    return a && a[0] == '1';
}

int kvm_engine_probe(char *why, size_t len)
{
    if (kvm_is_pvm() && !pvm_allowed()) {
        snprintf(why, len, KVM_DEVICE " is KVM-PVM, which does not run unmodified x86 "
                 "guests correctly (VMSCOPE_KVM_ALLOW_PVM=1 forces it)");
        return -VMS_ERR_UNSUPPORTED;
    }
    int fd = open_kvm(why, len);

    if (fd < 0)
        return fd;
    int vm = ioctl(fd, KVM_CREATE_VM, 0);
    if (vm < 0) {
        snprintf(why, len, "KVM_CREATE_VM failed: %s", strerror(errno));
        close(fd);
        return -VMS_ERR_NOKVM;
    }
    close(vm);
    close(fd);
    why[0] = '\0';
    return 0;
}

bool kvm_engine_debug_trusted(void)
{
    const char *n = getenv("VMSCOPE_KVM_NESTED");
    return !(n && n[0] == '1');
}

static void ctx_put(struct kvm_vmctx *c)
{
    if (!c || --c->refs > 0)
        return;
    if (c->irqchip && c->vm && c->vm->plat)
        platform_route_irqs(c->vm->plat, NULL);   /* lines back to the models */
    if (c->vm_fd >= 0)
        close(c->vm_fd);
    if (c->kvm_fd >= 0)
        close(c->kvm_fd);
    free(c);
}

/* ---------------------------------------------- --kvm-irqchip */

/* A device's ISA IRQ line (platform_irqchip.set_irq): the GSI routing
 * (kvm_state_gsi_routing) fans it out to the in-kernel 8259 pair and I/O
 * APIC.  Called from device code, which cannot fail: errors are counted
 * (kvm_engine_stats). */
static void irq_line(void *opaque, unsigned irq, int level)
{
    struct kvm_vmctx *c = opaque;
    struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)(level != 0) };

    c->irq_lines++;
    if (level)
        c->wake = ~0u;
    if (ioctl(c->vm_fd, KVM_IRQ_LINE, &l) < 0)
        c->irq_line_errors++;
}

/* platform_irqchip.pending: may halted vCPU @cpu have an interrupt now? */
static bool irq_maybe_pending(void *opaque, unsigned cpu)
{
    const struct kvm_vmctx *c = opaque;

    return cpu < 32 && (c->wake >> cpu) & 1u;
}

/* KVM_CREATE_IRQCHIP (before any vCPU: api.rst 4.24) and the routing of
 * the platform's ISA IRQs, then the platform's lines come here.  The PIT
 * stays in user space (no KVM_CREATE_PIT2): its IRQ0 is one more line, and
 * its counter keeps vmscope's virtual time, its programming visible as
 * port I/O events. */
static int setup_irqchip(struct kvm_vmctx *c, struct vm *vm)
{
    struct {
        struct kvm_irq_routing hdr;
        struct kvm_irq_routing_entry e[KVM_STATE_MAX_ROUTES];
    } rt;

    if (ioctl(c->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
        ioctl(c->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0)
        return vms_seterr(VMS_ERR_ENGINE, "kvm: --kvm-irqchip: " KVM_DEVICE " lacks "
                          "KVM_CAP_IRQCHIP or KVM_CAP_IRQ_ROUTING");
    if (ioctl(c->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return errno_err("--kvm-irqchip: KVM_CREATE_IRQCHIP refused");
    c->irqchip = true;
    memset(&rt, 0, sizeof(rt));
    rt.hdr.nr = kvm_state_gsi_routing(rt.e, KVM_STATE_MAX_ROUTES);
    if (ioctl(c->vm_fd, KVM_SET_GSI_ROUTING, &rt.hdr) < 0)
        return errno_err("--kvm-irqchip: KVM_SET_GSI_ROUTING refused");
    struct platform_irqchip chip = { .set_irq = irq_line, .pending = irq_maybe_pending,
                                     .opaque = c };
    c->vm = vm;
    platform_route_irqs(vm->plat, &chip);
    return 0;
}

/* The 8259 pair starts as the user-space model stands when the guest first
 * runs: the BIOS hand-off state (vectors 0x08/0x70, pic.h) with the POST's
 * masks (firmware_post writes them on the host side, before the guest
 * runs; the firmware's guest code then talks to KVM's PIC directly). */
static int load_pic(struct kvm_vmctx *c)
{
    const struct pic *pic = platform_pic(c->vm->plat);
    static const uint32_t ids[2] = { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE };

    for (unsigned i = 0; i < 2; i++) {
        struct kvm_irqchip chip;
        memset(&chip, 0, sizeof(chip));
        chip.chip_id = ids[i];
        kvm_state_pic_from_chip(&pic->chip[i], &chip.chip.pic);
        if (ioctl(c->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
            return errno_err("--kvm-irqchip: KVM_SET_IRQCHIP refused the 8259 state");
    }
    c->pic_loaded = true;
    return 0;
}

static int ctx_setup(struct kvm_vmctx *c, struct vm *vm, bool irqchip)
{
    char why[160];

    c->kvm_fd = open_kvm(why, sizeof(why));
    if (c->kvm_fd < 0)
        return vms_seterr(VMS_ERR_NOKVM, "%s", why);
    c->vm_fd = ioctl(c->kvm_fd, KVM_CREATE_VM, 0);
    if (c->vm_fd < 0)
        return errno_err("KVM_CREATE_VM");
    if (ioctl(c->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
        return errno_err("KVM_SET_TSS_ADDR");
    if (irqchip) {
        int err = setup_irqchip(c, vm);
        if (err < 0)
            return err;
    }
    c->run_size = ioctl(c->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (c->run_size < (int)sizeof(struct kvm_run))
        return errno_err("KVM_GET_VCPU_MMAP_SIZE");
    c->sync_regs = (ioctl(c->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) &
                    KVM_SYNC_X86_REGS) != 0;
    return map_memory(c, vm);
}

static bool is_kvm(const struct vcpu *v)
{
    return v && (v->ops == &kvm_vcpu_ops || v->ops == &kvm_irqchip_vcpu_ops) && v->engine;
}

/* The KVM VM of @vm: vCPU 0's, or a new one for vCPU 0. */
static int ctx_get(struct vcpu *v, bool irqchip, struct kvm_vmctx **out)
{
    struct vcpu *bsp = v->vm->vcpu[0];

    if (v->index > 0 && is_kvm(bsp)) {
        *out = eng(bsp)->ctx;
        (*out)->refs++;
        return 0;
    }
    struct kvm_vmctx *c = calloc(1, sizeof(*c));
    if (!c)
        return -VMS_ERR_NOMEM;
    *c = (struct kvm_vmctx){ .refs = 1, .kvm_fd = -1, .vm_fd = -1 };
    int err = ctx_setup(c, v->vm, irqchip);
    if (err < 0) {
        ctx_put(c);
        return err;
    }
    *out = c;
    return 0;
}

/* -------------------------------------------------------------- state */

static int kv_get_state(struct vcpu *v, struct cpu_state *s)
{
    struct kv *k = eng(v);
    struct kvm_regs r;
    struct kvm_sregs sr;
    struct kvm_state_msrs m;
    struct kvm_debugregs d;

    kvm_state_msr_list(&m);
    if (ioctl(k->fd, KVM_GET_REGS, &r) < 0)
        return errno_err("KVM_GET_REGS");
    if (ioctl(k->fd, KVM_GET_SREGS, &sr) < 0)
        return errno_err("KVM_GET_SREGS");
    if (ioctl(k->fd, KVM_GET_MSRS, &m.hdr) != KVM_STATE_NMSR)
        return vms_seterr(VMS_ERR_ENGINE, "kvm: KVM_GET_MSRS did not return every MSR");
    if (ioctl(k->fd, KVM_GET_DEBUGREGS, &d) < 0)
        return errno_err("KVM_GET_DEBUGREGS");
    kvm_state_to_cpu(&r, &sr, &m, &d, s);
    return 0;
}

/* KVM checks a state only partly when it is set (the rest at VM entry,
 * which then fails as KVM_EXIT_FAIL_ENTRY): say which part it refused. */
static int kv_set_state(struct vcpu *v, const struct cpu_state *s)
{
    struct kv *k = eng(v);
    struct kvm_regs r;
    struct kvm_sregs sr;
    struct kvm_state_msrs m;
    struct kvm_debugregs d;

    struct kvm_sregs cur;

    if (ioctl(k->fd, KVM_GET_SREGS, &sr) < 0)
        return errno_err("KVM_GET_SREGS");
    cur = sr;
    kvm_state_from_cpu(s, &r, &sr, &m, &d);
    /* Only when something in them changed (a debugger writing a GPR does
     * not rewrite the segments): KVM reports TR as busy whatever the CPU
     * cached (svm_get_segment), and QEMU's emulated SVM, nested, aborts
     * ("invalid tss type") at the next ring change through a TR written
     * back busy (docs/KVM.md). */
    if (memcmp(&cur, &sr, sizeof(sr)) && ioctl(k->fd, KVM_SET_SREGS, &sr) < 0)
        return errno_err("KVM_SET_SREGS refused the state");
    if (ioctl(k->fd, KVM_SET_REGS, &r) < 0)
        return errno_err("KVM_SET_REGS refused the state");
    int n = ioctl(k->fd, KVM_SET_MSRS, &m.hdr);
    if (n != (int)m.hdr.nmsrs)
        return vms_seterr(VMS_ERR_ENGINE, "kvm: KVM_SET_MSRS refused MSR %#x",
                          n >= 0 && n < (int)m.hdr.nmsrs ? m.e[n].index : 0);
    if (ioctl(k->fd, KVM_SET_DEBUGREGS, &d) < 0)
        return errno_err("KVM_SET_DEBUGREGS refused the state");
    /* resume_break stays: a debugger may read and write registers at a
     * breakpoint; run() steps over it only if RIP is still there. */
    return 0;
}

/* -------------------------------------------------------- interrupts */

static bool kv_can_inject(struct vcpu *v)
{
    struct kv *k = eng(v);
    struct kvm_regs r;
    struct kvm_vcpu_events ev;

    if (k->ctx->irqchip)
        return true;    /* KVM decides when it runs the vCPU (vm_try_inject) */
    if (ioctl(k->fd, KVM_GET_REGS, &r) < 0 || !(r.rflags & RFLAGS_IF))
        return false;
    if (ioctl(k->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
        return false;
    /* Not in an STI / MOV SS shadow, and no event already on its way in. */
    return !ev.interrupt.shadow && !ev.interrupt.injected &&
           !ev.exception.injected && !ev.nmi.injected;
}

static int kv_inject(struct vcpu *v, uint8_t vector)
{
    struct kvm_interrupt irq = { .irq = vector };

    if (eng(v)->ctx->irqchip)   /* KVM_INTERRUPT is for a user-space PIC only */
        return vms_seterr(VMS_ERR_UNSUPPORTED, "kvm: the in-kernel irqchip delivers "
                          "interrupts itself");

    if (ioctl(eng(v)->fd, KVM_INTERRUPT, &irq) < 0)
        return errno_err("KVM_INTERRUPT");
    return 0;
}

/* KVM queues the NMI and delivers it when the guest can take one (after
 * the running handler's IRET, outside an interrupt shadow): so always. */
static bool kv_can_inject_nmi(struct vcpu *v)
{
    return !eng(v)->ctx->irqchip;
}

static int kv_inject_nmi(struct vcpu *v)
{
    if (ioctl(eng(v)->fd, KVM_NMI) < 0)
        return errno_err("KVM_NMI");
    return 0;
}

/* -------------------------------------------------------------- debug */

static int push_debug(struct kv *k)
{
    struct kvm_guest_debug *gd = &k->gd;

    memset(gd, 0, sizeof(*gd));
    if (k->stepping)
        gd->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
    if (k->ndr) {
        gd->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
        gd->arch.debugreg[7] = DR7_FIXED_1 | DR7_LE_GE;
        for (unsigned i = 0; i < k->ndr; i++) {
            static const uint64_t len_bits[9] = { [1] = 0, [2] = 1, [4] = 3, [8] = 2 };
            uint64_t rw = k->dr[i].kind == 0 ? DR7_RW_EXEC :
                          k->dr[i].kind == WATCH_WRITE ? DR7_RW_WRITE : DR7_RW_ACCESS;
            uint64_t len = k->dr[i].kind == 0 ? 0 : len_bits[k->dr[i].len];
            gd->arch.debugreg[i] = k->dr[i].addr;
            gd->arch.debugreg[7] |= DR7_L(i) | rw << DR7_RW_SHIFT(i) | len << DR7_LEN_SHIFT(i);
        }
    }
    if (ioctl(k->fd, KVM_SET_GUEST_DEBUG, gd) < 0)
        return errno_err("KVM_SET_GUEST_DEBUG");
    return 0;
}

static int kv_set_step(struct vcpu *v, bool on)
{
    struct kv *k = eng(v);

    k->stepping = on;
    return push_debug(k);
}

/* A watchpoint fits a debug register when its length is 1, 2, 4 or 8 and
 * it is aligned to it (SDM Vol. 3B 17.2.5). */
static bool fits_dr(const struct vcpu_watch *w)
{
    return (w->len == 1 || w->len == 2 || w->len == 4 || w->len == 8) &&
           (w->addr & (w->len - 1)) == 0;
}

static int kv_set_debug(struct vcpu *v, const struct vcpu_debug *d)
{
    struct kv *k = eng(v);
    unsigned n = 0;

    /* Nested under QEMU's emulated SVM, DR0-3 never fire (DESIGN.md, "KVM:
     * facts measured"): refuse rather than never stop.  The debugger then
     * single-steps to its breakpoints (debugger/session.c). */
    if (d && d->nbreak + d->nwatch > 0 && !kvm_engine_debug_trusted())
        return vms_seterr(VMS_ERR_UNSUPPORTED, "kvm: breakpoints and watchpoints through "
                          "the debug registers do not fire nested (VMSCOPE_KVM_NESTED=1)");
    if (d && d->nbreak + d->nwatch > KVM_NDR)
        return vms_seterr(VMS_ERR_RANGE, "kvm: %u breakpoints and watchpoints; the "
                          "debug registers hold 4", d->nbreak + d->nwatch);
    for (unsigned i = 0; d && i < d->nwatch; i++) {
        const struct vcpu_watch *w = &d->watch[i];
        if (w->phys)
            return vms_seterr(VMS_ERR_UNSUPPORTED, "kvm: watchpoints on physical "
                              "addresses need the Unicorn engine");
        if (!fits_dr(w))
            return vms_seterr(VMS_ERR_RANGE, "kvm: a watchpoint must be 1, 2, 4 or 8 "
                              "bytes, aligned (0x%llx len %llu)",
                              (unsigned long long)w->addr, (unsigned long long)w->len);
    }
    for (unsigned i = 0; d && i < d->nbreak; i++, n++)
        k->dr[n].addr = d->brk[i], k->dr[n].len = 1, k->dr[n].kind = 0;
    for (unsigned i = 0; d && i < d->nwatch; i++, n++)
        k->dr[n].addr = d->watch[i].addr, k->dr[n].len = d->watch[i].len,
        k->dr[n].kind = d->watch[i].kind;
    k->ndr = n;
    return push_debug(k);
}

/* ---------------------------------------------------------------- run */

static uint64_t exit_rip(struct kv *k)
{
    struct kvm_regs r;

    if (k->ctx->sync_regs)
        return k->run->s.regs.regs.rip;
    return ioctl(k->fd, KVM_GET_REGS, &r) == 0 ? r.rip : 0;
}

/* One port access of @size at @port; @data is kvm_run's buffer. */
static void pio_one(struct kv *k, uint16_t port, unsigned size, bool write,
                    uint8_t *data, uint64_t rip)
{
    struct vcpu_exit x = { .kind = VEXIT_PIO, .addr = port, .size = (uint8_t)size,
                           .write = write, .rip = rip };

    if (write)
        memcpy(&x.value, data, size);
    k->v->io(k->v, &x);
    if (!write)
        memcpy(data, &x.value, size);
}

static int on_io(struct kv *k, struct vcpu_exit *ex)
{
    struct kvm_run *run = k->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool write = run->io.direction == KVM_EXIT_IO_OUT;
    uint64_t rip = exit_rip(k);
    unsigned size = run->io.size;

    (void)ex;
    if (size != 1 && size != 2 && size != 4)
        return vms_seterr(VMS_ERR_ENGINE, "kvm: port I/O of %u bytes", size);
    /* A string instruction (REP INS/OUTS) brings several elements. */
    for (uint32_t i = 0; i < run->io.count; i++)
        pio_one(k, run->io.port, size, write, data + (size_t)i * size, rip);
    k->st.io_exits++;
    k->io_pending = true;
    return 0;
}

static int on_mmio(struct kv *k, struct vcpu_exit *ex)
{
    struct kvm_run *run = k->run;
    uint64_t pa = run->mmio.phys_addr;
    unsigned len = run->mmio.len;

    if (pa >= PHYS_4G && pa >= k->v->vm->mem.size) {
        /* Same rule and words as the Unicorn engine: above 4 GiB only RAM. */
        ex->kind = VEXIT_SHUTDOWN;
        ex->rip = exit_rip(k);
        snprintf(ex->text, sizeof(ex->text),
                 "guest accessed unmapped address 0x%llx (outside RAM and the 4 GiB hole)",
                 (unsigned long long)pa);
        return 1;
    }
    if (len == 0 || len > 8)
        return vms_seterr(VMS_ERR_ENGINE, "kvm: MMIO access of %u bytes", len);
    struct vcpu_exit x = { .kind = VEXIT_MMIO, .addr = pa, .size = (uint8_t)len,
                           .write = run->mmio.is_write != 0, .rip = exit_rip(k) };
    if (x.write)
        memcpy(&x.value, run->mmio.data, len);
    k->v->io(k->v, &x);
    if (!x.write)
        memcpy(run->mmio.data, &x.value, len);
    k->st.io_exits++;
    k->io_pending = true;
    return 0;
}

static int on_hlt(struct kv *k, struct vcpu_exit *ex)
{
    ex->kind = VEXIT_HLT;
    ex->rip = exit_rip(k);   /* after the HLT, as on Unicorn */
    return 1;
}

static int on_shutdown(struct kv *k, struct vcpu_exit *ex)
{
    ex->kind = VEXIT_SHUTDOWN;
    ex->rip = exit_rip(k);
    /* KVM re-initialises the vCPU after a shutdown (SVM: the VMCB is
     * undefined then), so the RIP is not the faulting instruction's. */
    snprintf(ex->text, sizeof(ex->text), "triple fault (KVM_EXIT_SHUTDOWN; KVM reset the vCPU)");
    return 1;
}

static int on_window(struct kv *k, struct vcpu_exit *ex)
{
    (void)k;
    ex->kind = VEXIT_KICK;   /* the scheduler injects now */
    return 1;
}

static int on_fail_entry(struct kv *k, struct vcpu_exit *ex)
{
    ex->kind = VEXIT_ERROR;
    snprintf(ex->text, sizeof(ex->text),
             "kvm: VM entry failed (hardware reason %#llx): the CPU state is invalid",
             (unsigned long long)k->run->fail_entry.hardware_entry_failure_reason);
    return -VMS_ERR_ENGINE;
}

static int on_internal(struct kv *k, struct vcpu_exit *ex)
{
    static const char *const why[] = {
        [KVM_INTERNAL_ERROR_EMULATION] = "an instruction KVM cannot emulate",
        [KVM_INTERNAL_ERROR_SIMUL_EX] = "an exception while delivering one",
        [KVM_INTERNAL_ERROR_DELIVERY_EV] = "an exit while delivering an event",
    };
    uint32_t sub = k->run->internal.suberror;
    const char *text = sub < sizeof(why) / sizeof(why[0]) && why[sub] ? why[sub] : "unknown";

    ex->kind = VEXIT_ERROR;
    ex->rip = exit_rip(k);
    snprintf(ex->text, sizeof(ex->text), "kvm: internal error %u (%s)", sub, text);
    return -VMS_ERR_ENGINE;
}

/* Which debug register fired (DR6.B0-3), or -1. */
static int dr_hit(uint64_t dr6, unsigned ndr)
{
    for (unsigned i = 0; i < ndr; i++)
        if (dr6 & DR6_B(i))
            return (int)i;
    return -1;
}

static void watch_value(struct kv *k, uint64_t addr, unsigned len, uint64_t *value)
{
    struct cpu_state s;

    *value = 0;
    if (kv_get_state(k->v, &s) == 0)
        pg_read_linear(&s, &k->v->vm->mem, addr, value, len, 0, NULL);
}

static int on_debug(struct kv *k, struct vcpu_exit *ex)
{
    const struct kvm_debug_exit_arch *d = &k->run->debug.arch;
    int i = dr_hit(d->dr6, k->ndr);

    ex->rip = exit_rip(k);
    if (i >= 0 && k->dr[i].kind == 0) {
        ex->kind = VEXIT_BREAK;   /* a fault: the instruction has not run */
        k->resume_break = true;
        k->break_rip = ex->rip;
        k->break_lin = k->dr[i].addr;
        return 1;
    }
    if (i >= 0) {
        ex->kind = VEXIT_WATCH;   /* a trap: the access has completed */
        ex->addr = k->dr[i].addr;
        ex->size = (uint8_t)k->dr[i].len;
        ex->write = k->dr[i].kind == WATCH_WRITE;
        watch_value(k, ex->addr, ex->size, &ex->value);
        return 1;
    }
    if (k->stepping) {
        ex->kind = VEXIT_STEP;
        return 1;
    }
    ex->kind = VEXIT_ERROR;
    snprintf(ex->text, sizeof(ex->text), "kvm: unexpected debug exit (vector %u, DR6 %#llx)",
             d->exception, (unsigned long long)d->dr6);
    return -VMS_ERR_ENGINE;
}

typedef int (*exit_fn)(struct kv *k, struct vcpu_exit *ex);

static const exit_fn exit_table[] = {
    [KVM_EXIT_IO] = on_io,
    [KVM_EXIT_MMIO] = on_mmio,
    [KVM_EXIT_HLT] = on_hlt,
    [KVM_EXIT_SHUTDOWN] = on_shutdown,
    [KVM_EXIT_IRQ_WINDOW_OPEN] = on_window,
    [KVM_EXIT_FAIL_ENTRY] = on_fail_entry,
    [KVM_EXIT_INTERNAL_ERROR] = on_internal,
    [KVM_EXIT_DEBUG] = on_debug,
};

/* One KVM_RUN: 0 keep going, 1 exit filled, < 0 error. */
static int enter(struct kv *k, struct vcpu_exit *ex)
{
    struct kvm_run *run = k->run;

    run->request_interrupt_window = !k->ctx->irqchip && vm_irq_pending(k->v);
    if (k->ctx->sync_regs)
        run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    k->st.runs++;
    int rc = ioctl(k->fd, KVM_RUN, 0);
    k->io_pending = false;
    if (rc < 0 && (errno == EINTR || errno == EAGAIN)) {
        run->immediate_exit = 0;
        k->st.slices++;
        ex->kind = VEXIT_BUDGET;
        return 1;
    }
    if (rc < 0) {
        ex->kind = VEXIT_ERROR;
        snprintf(ex->text, sizeof(ex->text), "kvm: KVM_RUN failed: %s", strerror(errno));
        return -VMS_ERR_ENGINE;
    }
    k->st.exits++;
    uint32_t why = run->exit_reason;
    if (why < sizeof(exit_table) / sizeof(exit_table[0]) && exit_table[why])
        return exit_table[why](k, ex);
    ex->kind = VEXIT_ERROR;
    snprintf(ex->text, sizeof(ex->text), "kvm: unhandled exit reason %u", why);
    return -VMS_ERR_ENGINE;
}

static int run_loop(struct kv *k, struct vcpu_exit *ex)
{
    int rc = 0;

    while (rc == 0) {
        if (k->v->kick) {
            k->v->kick = 0;
            ex->kind = VEXIT_KICK;
            return 1;
        }
        if (k->v->vm->state != VM_RUNNING) {
            ex->kind = VEXIT_NONE;   /* a device stopped the VM (debug exit) */
            return 1;
        }
        rc = enter(k, ex);
        /* Stepping: the instruction that exited to us is this step (it
         * completes in complete_io()).  Had the guest dropped the trap flag
         * on the way (IRET, SYSCALL and interrupt delivery do), the step
         * ends here instead of running on to the end (docs/KVM-DEBUG.md). */
        if (rc == 0 && k->stepping && k->io_pending) {
            ex->kind = VEXIT_STEP;
            return 1;
        }
    }
    return rc;
}

/* An I/O exit is complete only after the next KVM_RUN (api.rst: "KVM_RUN
 * ... immediate_exit"): do that entry now, without running the guest, so
 * get_state and an engine switch see the finished instruction. */
static void complete_io(struct kv *k)
{
    if (!k->io_pending)
        return;
    k->run->immediate_exit = 1;
    ioctl(k->fd, KVM_RUN, 0);
    k->run->immediate_exit = 0;
    k->io_pending = false;
}

/* Resuming at a breakpoint: its instruction must run once.  RFLAGS.RF
 * is meant for that (SDM Vol. 3B 17.3.1.1), but RF written with
 * KVM_SET_REGS is not honoured everywhere (KVM-PVM stopped at the same
 * breakpoint again, measured), so step the instruction with that
 * breakpoint off, as gdb does.  0: go on; 1: @ex holds the exit that
 * ends this run (a step when stepping, or whatever stopped the step);
 * < 0: error. */
static int step_over_break(struct kv *k, struct vcpu_exit *ex)
{
    struct kv_dr saved[KVM_NDR];
    unsigned ndr = k->ndr;
    bool was_stepping = k->stepping;
    struct kvm_regs r;

    if (!k->resume_break || ioctl(k->fd, KVM_GET_REGS, &r) < 0 || r.rip != k->break_rip) {
        k->resume_break = false;
        return 0;
    }
    memcpy(saved, k->dr, sizeof(saved));
    k->ndr = 0;
    for (unsigned i = 0; i < ndr; i++)
        if (saved[i].kind != 0 || saved[i].addr != k->break_lin)
            k->dr[k->ndr++] = saved[i];
    k->stepping = true;
    int rc = push_debug(k);
    if (rc == 0)
        rc = run_loop(k, ex);
    k->stepping = was_stepping;
    memcpy(k->dr, saved, sizeof(saved));
    k->ndr = ndr;
    int err = push_debug(k);
    if (rc < 0 || err < 0)
        return rc < 0 ? rc : err;
    /* A slice signal or a kick before the step: still at the breakpoint. */
    k->resume_break = ex->kind == VEXIT_BUDGET || ex->kind == VEXIT_KICK;
    if (ex->kind == VEXIT_STEP && !was_stepping) {
        memset(ex, 0, sizeof(*ex));
        return 0;
    }
    return 1;
}

/* With the in-kernel irqchip KVM runs HLT itself: the vCPU sleeps inside
 * KVM_RUN until an interrupt arrives or the slice timer ends the run (no
 * spinning).  A vCPU found halted at a slice's end is reported as
 * VEXIT_HLT, so the scheduler stops giving it slices and lets virtual time
 * jump over idle periods as on the other engines, unless its in-kernel
 * local APIC timer may still wake it (vmscope cannot see that timer:
 * the vCPU then stays in KVM's hands, sleeping slice after slice).  It is
 * woken (irq_maybe_pending) when a device line goes up or another vCPU
 * runs.  Halted with interrupts off, only NMI, INIT or SMI could wake it
 * (SDM Vol. 3A, HLT): a guest that halts for good ends as elsewhere. */
static void check_halted(struct kv *k, struct vcpu_exit *ex)
{
    struct kvm_mp_state mp;
    struct kvm_regs r;
    struct kvm_lapic_state l;

    bool seen = k->halt_seen;

    k->halt_seen = false;
    if (!k->ctx->irqchip || ex->kind != VEXIT_BUDGET)
        return;
    if (ioctl(k->fd, KVM_GET_MP_STATE, &mp) < 0 || mp.mp_state != KVM_MP_STATE_HALTED)
        return;
    if (ioctl(k->fd, KVM_GET_REGS, &r) < 0)
        return;
    if ((r.rflags & RFLAGS_IF) &&
        (ioctl(k->fd, KVM_GET_LAPIC, &l) < 0 || kvm_state_lapic_timer_armed(&l) ||
         kvm_state_lapic_irr_pending(&l)))
        return;
    /* Only the second time in a row: an interrupt KVM has not yet raised
     * (a timer that expired just now is raised when the vCPU next enters
     * KVM_RUN) shows in no register, and a parked vCPU would lose its
     * wake-up.  One more short slice lets KVM take it.  Nested under load,
     * the smp scenario's one-shot ticks still timed out now and then with
     * this rule alone and with the programmed-timer rule alone; with both
     * it has passed every run since. */
    if (!seen) {
        k->halt_seen = true;
        return;
    }
    k->ctx->wake &= ~(1u << k->v->index);
    ex->kind = VEXIT_HLT;
    ex->rip = r.rip;
}

/* Before the first entry of the VM: the start state of KVM's 8259 pair. */
static int prepare_run(struct kv *k, struct vcpu_exit *ex)
{
    if (k->timer_tid != this_thread() && make_timer(k) < 0) {
        ex->kind = VEXIT_ERROR;
        snprintf(ex->text, sizeof(ex->text), "%s", vms_lasterr(VMS_ERR_ENGINE));
        return -VMS_ERR_ENGINE;
    }
    if (k->ctx->irqchip && !k->ctx->pic_loaded && load_pic(k->ctx) < 0) {
        ex->kind = VEXIT_ERROR;
        snprintf(ex->text, sizeof(ex->text), "%s", vms_lasterr(VMS_ERR_ENGINE));
        return -VMS_ERR_ENGINE;
    }
    return 0;
}

static int kv_run(struct vcpu *v, uint64_t budget, struct vcpu_exit *ex)
{
    struct kv *k = eng(v);
    uint64_t ns = budget * VCLOCK_NS_PER_INSN;

    memset(ex, 0, sizeof(*ex));
    if (k->was_halted && ns > KVM_IDLE_SLICE_NS)
        ns = KVM_IDLE_SLICE_NS;
    int err = prepare_run(k, ex);
    if (err < 0)
        return err;
    /* This vCPU may send IPIs: the halted others get a look. */
    k->ctx->wake |= ~(1u << v->index);
    tls_run = k->run;
    uint64_t t0 = now_ns();
    int rc = step_over_break(k, ex);
    /* Re-arm single-stepping before each step: KVM sets the trap flag only
     * while RIP is where KVM_SET_GUEST_DEBUG enabled it (singlestep_rip),
     * and an instruction KVM's emulator completes (MMIO; CR accesses where
     * SVM has no decode assists, as nested) writes RFLAGS back without it,
     * so the next step would run free to the next exit.  QEMU's gdbstub
     * re-arms the same way (docs/KVM.md, "Debugging through KVM"). */
    if (rc == 0 && k->stepping)
        rc = push_debug(k);
    if (rc == 0) {
        if (!k->stepping)
            arm_timer(k, ns < KVM_MIN_SLICE_NS ? KVM_MIN_SLICE_NS : ns);
        rc = run_loop(k, ex);
        if (!k->stepping)
            arm_timer(k, 0);
    }
    uint64_t spent = now_ns() - t0;
    complete_io(k);
    if (rc >= 0)
        check_halted(k, ex);
    k->was_halted = ex->kind == VEXIT_HLT;
    tls_run = NULL;
    k->run->immediate_exit = 0;
    /* Virtual time on KVM: host ns spent in run() (docs/KVM.md). */
    ex->executed = k->stepping ? (ex->kind == VEXIT_STEP) : spent / VCLOCK_NS_PER_INSN;
    if (!k->stepping && ex->executed == 0)
        ex->executed = 1;
    if (!ex->rip)
        ex->rip = exit_rip(k);
    if (rc < 0 && ex->kind != VEXIT_ERROR) {
        ex->kind = VEXIT_ERROR;
        snprintf(ex->text, sizeof(ex->text), "%s", vms_lasterr(rc));
    }
    return rc < 0 ? rc : 0;
}

static void kv_mem_written(struct vcpu *v, uint64_t gpa, uint64_t len)
{
    /* The guest runs on the host CPU from the same pages: nothing cached. */
    (void)v; (void)gpa; (void)len;
}

/* ----------------------------------------------------- create/destroy */

static int set_cpuid(struct kv *k)
{
    struct {
        struct kvm_cpuid2 hdr;
        struct kvm_cpuid_entry2 e[KVM_STATE_MAX_CPUID];
    } c;
    unsigned ncpus = k->v->vm->nvcpu > k->v->index ? k->v->vm->nvcpu : k->v->index + 1;

    memset(&c, 0, sizeof(c));
    c.hdr.nent = kvm_state_cpuid(k->v->index, ncpus, c.e, KVM_STATE_MAX_CPUID);
    if (ioctl(k->fd, KVM_SET_CPUID2, &c.hdr) < 0)
        return errno_err("KVM_SET_CPUID2");
    return 0;
}

static int open_vcpu(struct kv *k)
{
    k->fd = ioctl(k->ctx->vm_fd, KVM_CREATE_VCPU, (unsigned long)k->v->index);
    if (k->fd < 0)
        return errno_err("KVM_CREATE_VCPU");
    void *p = mmap(NULL, (size_t)k->ctx->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   k->fd, 0);
    if (p == MAP_FAILED)
        return errno_err("mmap of kvm_run");
    k->run = p;
    return 0;
}

static void kv_destroy(struct vcpu *v)
{
    struct kv *k = v ? v->engine : NULL;

    if (!k)
        return;
    if (k->timer_ok)
        timer_delete(k->timer);
    if (k->run)
        munmap(k->run, (size_t)k->ctx->run_size);
    if (k->fd >= 0)
        close(k->fd);
    ctx_put(k->ctx);
    free(k);
    v->engine = NULL;
}

#define APIC_BASE_BSP (1ull << 8)   /* IA32_APIC_BASE.BSP (SDM Vol. 3A 10.4.4) */

static int create_engine(struct vcpu *v, bool irqchip)
{
    struct kv *k = calloc(1, sizeof(*k));
    struct cpu_state s;
    int err;

    if (!k)
        return -VMS_ERR_NOMEM;
    k->fd = -1;
    k->v = v;
    v->engine = k;
    if ((err = ctx_get(v, irqchip, &k->ctx)) < 0)
        goto fail_noctx;
    if ((err = open_vcpu(k)) < 0 || (err = set_cpuid(k)) < 0 || (err = make_timer(k)) < 0)
        goto fail;
    /* Reset: real mode at F000:FFF0 (SDM Vol. 3A 9.1.1), as on Unicorn.
     * Only vCPU 0 is the BSP: with the in-kernel irqchip KVM would start
     * any vCPU with the BSP flag at the reset vector instead of keeping it
     * waiting for INIT/SIPI. */
    x86_reset_state(&s, 0xF000, 0xFFF0);
    if (v->index != 0)
        s.apic_base &= ~APIC_BASE_BSP;
    if ((err = kv_set_state(v, &s)) < 0)
        goto fail;
    return 0;
fail_noctx:
    free(k);
    v->engine = NULL;
    return err;
fail:
    kv_destroy(v);
    return err;
}

static int kv_create(struct vcpu *v)
{
    return create_engine(v, false);
}

static int kv_create_irqchip(struct vcpu *v)
{
    return create_engine(v, true);
}

void kvm_engine_stats(const struct vcpu *v, struct kvm_engine_stats *out)
{
    const struct kv *k = eng(v);

    *out = k->st;
    out->irq_lines = k->ctx->irq_lines;
    out->irq_line_errors = k->ctx->irq_line_errors;
}

/* What both KVM engine tables share.  Exceptions, INT n and
 * SYSCALL/SYSENTER are delivered by the CPU inside KVM_RUN: no exit, no
 * event (docs/KVM.md). */
#define KV_COMMON_OPS                                                          \
    .destroy = kv_destroy,                                                     \
    .run = kv_run,                                                             \
    .get_state = kv_get_state,                                                 \
    .set_state = kv_set_state,                                                 \
    .can_inject = kv_can_inject,                                               \
    .inject = kv_inject,                                                       \
    .can_inject_nmi = kv_can_inject_nmi,                                       \
    .inject_nmi = kv_inject_nmi,                                               \
    .set_step = kv_set_step,                                                   \
    .set_debug = kv_set_debug,                                                 \
    .mem_written = kv_mem_written,                                             \
    .unreported_events = (1u << EV_EXCEPTION) | (1u << EV_SOFTINT) | (1u << EV_SYSCALL)

const struct vcpu_ops kvm_vcpu_ops = {
    .name = "kvm",
    .create = kv_create,
    KV_COMMON_OPS,
};

/* --kvm-irqchip: the same engine with KVM's in-kernel interrupt controllers. */
const struct vcpu_ops kvm_irqchip_vcpu_ops = {
    .name = "kvm-irqchip",
    .kernel_irqchip = true,
    .create = kv_create_irqchip,
    KV_COMMON_OPS,
};
