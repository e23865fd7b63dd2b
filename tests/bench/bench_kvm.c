/* bench_kvm.c - exits per second and single steps per second on each
 * engine, through vcpu_ops.run and the VM's own exit handler (the bus).
 *
 * The guest (real mode): OUT 0x80 in a loop of N, then HLT.  Every OUT is
 * one port-I/O exit; stepping the same loop measures single steps.  KVM
 * figures are labelled "nested" when KVM itself runs inside a virtual
 * machine (CPUID.1:ECX.hypervisor on this host), e.g. in the nested test
 * guest of tests/kvm/harness.sh.
 *
 * Timer interrupts per second, with and without --kvm-irqchip: a real-mode
 * guest programs the PIT for 1 kHz (divisor 1193, an OS's tick), unmasks
 * IRQ0 and waits for IRQS interrupts with STI; HLT, its handler sending
 * EOI to the 8259.  Both engines skip the idle time between ticks, so
 * the figure is what one tick costs.  It runs under the hypervisor's scheduler (hv_round), as vmscope
 * runs it: with vmscope's 8259 every interrupt is a HLT exit, an
 * injection and an EOI exit; with KVM's irqchip HLT and EOI stay in the
 * kernel and IRQ0 goes in with KVM_IRQ_LINE.
 *
 *   bench_kvm [unicorn|kvm|all]
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "machine/hv.h"
#include "machine/kvm_engine.h"
#include "machine/uc_engine.h"
#include "machine/vm.h"

#define LOAD    0x1000u
#define RAM     (1u << 20)
#define EXITS   200000u
#define STEPS   100000u
#define HV_BIT  (1u << 31)   /* CPUID.1:ECX: running under a hypervisor */
#define IRQS    2000u
#define PIT_DIV 1193u        /* 1193182 Hz / 1193: 1 kHz */
#define HANDLER 47u          /* offset of the IRQ0 handler in timer_guest */

/* mov ecx, N; 1: out 0x80, al; dec ecx; jnz 1b; hlt */
static void guest(uint8_t *p, uint32_t n)
{
    const uint8_t code[] = { 0x66, 0xB9, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16),
                             (uint8_t)(n >> 24), 0xE6, 0x80, 0x66, 0x49, 0x75, 0xFA, 0xF4 };
    memcpy(p, code, sizeof(code));
}

/* Real mode at LOAD (CS = 0): IVT[8] (IRQ0 with the BIOS vector base) ->
 * handler; PIT channel 0 mode 2, divisor PIT_DIV; IMR 0xFA (IRQ0 and the
 * cascade open); ECX = n; loop: sti; hlt; dec ecx; jnz loop; cli; hlt.
 * handler: push ax; mov al, 0x20; out 0x20, al (EOI); pop ax; iret. */
static void timer_guest(uint8_t *p, uint32_t n)
{
    const uint16_t h = LOAD + HANDLER;
    const uint8_t code[] = {
        0xFA, 0x31, 0xC0, 0x8E, 0xD8,                              /* cli; ds = 0 */
        0xC7, 0x06, 0x20, 0x00, (uint8_t)h, (uint8_t)(h >> 8),     /* IVT[8].ip */
        0xC7, 0x06, 0x22, 0x00, 0x00, 0x00,                        /* IVT[8].cs */
        0xB0, 0x34, 0xE6, 0x43,                                    /* PIT ch0 mode 2 */
        0xB0, (uint8_t)PIT_DIV, 0xE6, 0x40,                        /* divisor low */
        0xB0, (uint8_t)(PIT_DIV >> 8), 0xE6, 0x40,                 /* and high */
        0xB0, 0xFA, 0xE6, 0x21,                                    /* IMR */
        0x66, 0xB9, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24),
        0xFB, 0xF4, 0x66, 0x49, 0x75, 0xFA,                        /* loop */
        0xFA, 0xF4,                                                /* cli; hlt */
        0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF,                  /* handler */
    };
    memcpy(p, code, sizeof(code));
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct vm *make_vm(const struct vcpu_ops *ops, uint32_t n)
{
    struct vm_config cfg = { .mem_size = RAM, .ncpus = 1, .engine = ops };
    struct vm *vm;
    struct cpu_state s;

    if (vm_create(&vm, 0, &cfg, NULL) < 0)
        return NULL;
    guest(vm->mem.ram + LOAD, n);
    x86_reset_state(&s, 0, LOAD);
    if (vm_start(vm, &s) < 0) {
        vm_destroy(vm);
        return NULL;
    }
    return vm;
}

/* Port-I/O exits per second: run until HLT. */
static double exits_per_s(const struct vcpu_ops *ops)
{
    struct vm *vm = make_vm(ops, EXITS);
    struct vcpu_exit ex;

    if (!vm)
        return -1;
    struct vcpu *v = vm->vcpu[0];
    double t = now();
    do {
        if (v->ops->run(v, 10000000, &ex) < 0)
            break;
    } while (ex.kind != VEXIT_HLT && ex.kind != VEXIT_ERROR && ex.kind != VEXIT_SHUTDOWN);
    t = now() - t;
    uint64_t n = v->exits;
    vm_destroy(vm);
    return ex.kind == VEXIT_HLT ? (double)n / t : -1;
}

static double steps_per_s(const struct vcpu_ops *ops)
{
    struct vm *vm = make_vm(ops, STEPS);
    struct vcpu_exit ex;
    unsigned n = 0;

    if (!vm)
        return -1;
    struct vcpu *v = vm->vcpu[0];
    if (v->ops->set_step(v, true) < 0) {
        vm_destroy(vm);
        return -1;
    }
    double t = now();
    while (n < STEPS && v->ops->run(v, 1, &ex) == 0 && ex.kind == VEXIT_STEP)
        n++;
    t = now() - t;
    vm_destroy(vm);
    return n == STEPS ? n / t : -1;
}

/* Timer interrupts handled per second of host time, under the scheduler;
 * -1 when the guest did not end with its clean halt. */
static double irqs_per_s(const struct vcpu_ops *ops)
{
    struct hv_config hc = { .npcpu = 1 };
    struct vm_config cfg = { .mem_size = RAM, .ncpus = 1, .engine = ops };
    struct hv *hv;
    struct vm *vm;
    struct cpu_state s;

    if (hv_create(&hv, &hc) < 0)
        return -1;
    if (vm_create(&vm, 0, &cfg, &hv->ev) < 0 || hv_add_vm(hv, vm) < 0) {
        hv_destroy(hv);
        return -1;
    }
    timer_guest(vm->mem.ram + LOAD, IRQS);
    x86_reset_state(&s, 0, LOAD);
    double t = now();
    if (vm_start(vm, &s) == 0)
        while (hv_round(hv))
            ;
    t = now() - t;
    bool ok = vm->state == VM_HALTED;
    if (!ok)
        fprintf(stderr, "bench_kvm: %s: timer guest: %s\n", ops->name, vm->reason);
    hv_destroy(hv);
    return ok ? IRQS / t : -1;
}

static void bench_irqs(const struct vcpu_ops *ops, const char *label)
{
    double r = irqs_per_s(ops);

    if (r < 0)
        printf("%-11s %-16s timer interrupts: failed\n", ops->name, label);
    else
        printf("%-11s %-16s %12.0f timer interrupts/s (PIT IRQ0, HLT, EOI)\n", ops->name,
               label, r);
}

static bool under_hypervisor(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & HV_BIT);
}

static void bench(const struct vcpu_ops *ops, const char *label)
{
    double e = exits_per_s(ops), s = steps_per_s(ops);

    if (e < 0 || s < 0) {
        printf("%-8s %-16s failed: %s\n", ops->name, label, vms_lasterr(VMS_ERR_ENGINE));
        return;
    }
    printf("%-8s %-16s %12.0f exits/s %12.0f steps/s\n", ops->name, label, e, s);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    char why[160];

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(which, "all") || !strcmp(which, "unicorn")) {
        bench(&uc_vcpu_ops, under_hypervisor() ? "(in a VM)" : "");
        bench_irqs(&uc_vcpu_ops, under_hypervisor() ? "(in a VM)" : "");
    }
    if (!strcmp(which, "all") || !strcmp(which, "kvm")) {
        const char *label = access("/sys/module/kvm_pvm", F_OK) == 0 ? "kvm-pvm, nested"
                            : under_hypervisor() ? "nested" : "";
        if (kvm_engine_probe(why, sizeof(why)) < 0) {
            printf("kvm      not usable here: %s\n", why);
        } else {
            bench(&kvm_vcpu_ops, label);
            bench_irqs(&kvm_vcpu_ops, label);
            bench_irqs(&kvm_irqchip_vcpu_ops, label);
        }
    }
    return 0;
}
