/* vm.c - a VM's life cycle and the run loop's exit switch. */
#include "vm.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lapic.h"
#include "memmap.h"
#include "platform.h"

static const char *const state_names[] = {
    [VM_RUNNING] = "running", [VM_EXITED] = "exited", [VM_HALTED] = "halted",
    [VM_STUCK] = "stuck", [VM_SHUTDOWN] = "shutdown", [VM_FAILED] = "failed",
    [VM_LIMIT] = "limit",
};

const char *vm_state_name(enum vm_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

void vm_note(struct vcpu *v, struct event *e)
{
    e->vm = (uint16_t)v->vm->index;
    e->vcpu = (uint16_t)v->index;
    e->vtime = vclock_now(&v->vm->clock);
    ev_emit(v->vm->ev, e);
}

void vm_stop(struct vm *vm, enum vm_state state, int status, const char *fmt, ...)
{
    va_list ap;

    if (vm->state != VM_RUNNING)
        return;
    vm->state = state;
    vm->exit_status = status;
    va_start(ap, fmt);
    vsnprintf(vm->reason, sizeof(vm->reason), fmt, ap);
    va_end(ap);
    struct event e = { .kind = state == VM_SHUTDOWN || state == VM_FAILED ? EV_SHUTDOWN : EV_EXIT,
                       .vm = (uint16_t)vm->index, .vcpu = 0xFFFF,
                       .vtime = vclock_now(&vm->clock), .value = (uint64_t)status };
    snprintf(e.text, sizeof(e.text), "%.*s", EV_TEXT_MAX - 1, vm->reason);
    ev_emit(vm->ev, &e);
}

static void vcpu_destroy(struct vcpu *v)
{
    if (!v)
        return;
    if (v->ops && v->engine)
        v->ops->destroy(v);
    free(v);
}

static void vcpu_io(struct vcpu *v, struct vcpu_exit *ex)
{
    vm_handle_exit(v, ex);
}

static int vcpu_create(struct vm *vm, unsigned index, const struct vcpu_ops *ops)
{
    struct vcpu *v = calloc(1, sizeof(*v));

    if (!v)
        return -VMS_ERR_NOMEM;
    v->vm = vm;
    v->index = index;
    v->io = vcpu_io;
    v->note = vm_note;
    /* Application processors wait for INIT/SIPI: here, or inside an engine
     * with its own interrupt controllers (KVM's irqchip runs them then). */
    v->runnable = index == 0 || ops->kernel_irqchip;
    int err = ops->create(v);
    if (err < 0) {
        free(v);
        return err;
    }
    v->ops = ops;
    vm->vcpu[vm->nvcpu++] = v;
    return 0;
}

int vm_create(struct vm **out, unsigned index, const struct vm_config *cfg,
              struct evstream *ev)
{
    int err = -VMS_ERR_NOMEM;
    struct vm *vm = calloc(1, sizeof(*vm));

    if (!vm)
        return -VMS_ERR_NOMEM;
    if (cfg->ncpus == 0 || cfg->ncpus > VM_MAX_VCPUS) {
        free(vm);
        return vms_seterr(VMS_ERR_INVAL, "%u vCPUs: 1 to %u are supported",
                          cfg->ncpus, VM_MAX_VCPUS);
    }
    vm->index = index;
    snprintf(vm->name, sizeof(vm->name), "vm%u", index);
    vm->ev = ev;
    vm->insn_limit = cfg->insn_limit;
    vm->last_ran = -1;
    for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
        vm->last_mode[i] = -1;
        vm->start_at[i] = -1;
    }
    vclock_init(&vm->clock);
    bus_init(&vm->bus);
    err = gmem_init(&vm->mem, cfg->mem_size);
    if (err < 0)
        goto err_free;
    err = platform_create(vm, cfg, &vm->plat);
    if (err < 0)
        goto err_mem;
    /* Devices first: engines map the MMIO ranges they find on the bus. */
    for (unsigned i = 0; i < cfg->ncpus; i++) {
        err = vcpu_create(vm, i, cfg->engine);
        if (err < 0)
            goto err_vcpus;
    }
    *out = vm;
    return 0;
err_vcpus:
    for (unsigned i = 0; i < vm->nvcpu; i++)
        vcpu_destroy(vm->vcpu[i]);
    platform_destroy(vm->plat);
err_mem:
    gmem_fini(&vm->mem);
err_free:
    bus_fini(&vm->bus);
    free(vm);
    return err;
}

void vm_destroy(struct vm *vm)
{
    if (!vm)
        return;
    for (unsigned i = 0; i < vm->nvcpu; i++)
        vcpu_destroy(vm->vcpu[i]);
    platform_destroy(vm->plat);
    bus_fini(&vm->bus);
    gmem_fini(&vm->mem);
    free(vm);
}

int vm_start(struct vm *vm, const struct cpu_state *boot)
{
    struct vcpu *bsp = vm->vcpu[0];
    struct event e = { .kind = EV_VM_START, .rip = boot->rip };

    bsp->ops->mem_written(bsp, 0, vm->mem.size);
    int err = bsp->ops->set_state(bsp, boot);
    if (err < 0)
        return err;
    bsp->runnable = true;
    snprintf(e.text, sizeof(e.text), "%s engine=%s mem=%lluK vcpus=%u", vm->name,
             bsp->ops->name, (unsigned long long)(vm->mem.size >> 10), vm->nvcpu);
    vm_note(bsp, &e);
    if (bsp->ops->kernel_irqchip) {
        /* Say it in the stream: no inject events will follow. */
        struct event n = { .kind = EV_DEVICE, .rip = boot->rip };
        snprintf(n.text, sizeof(n.text), "irqchip in-kernel: injections not seen");
        vm_note(bsp, &n);
    }
    vm_check_control(bsp);
    return 0;
}

/* ---- moving between engines ---- */

static int switch_fail(struct vm *vm, int err, const char *what)
{
    vm_stop(vm, VM_FAILED, VMS_STATUS_ENGINE, "%s: engine switch: %s: %s", vm->name, what,
            vms_lasterr(err));
    return err;
}

/* Give @v a fresh @ops engine holding @s. */
static int move_vcpu(struct vcpu *v, const struct vcpu_ops *ops, const struct cpu_state *s)
{
    int err = ops->create(v);

    if (err < 0)
        return err;
    v->ops = ops;
    v->ops->mem_written(v, 0, v->vm->mem.size);
    return ops->set_state(v, s);
}

int vm_switch_engine(struct vm *vm, const struct vcpu_ops *ops)
{
    struct cpu_state st[VM_MAX_VCPUS];
    const struct vcpu_ops *old = vm->vcpu[0]->ops;
    int err;

    /* The in-kernel irqchip's state (8259s, I/O APIC, local APICs with
     * their timers and pending vectors) is not carried: refuse, whole. */
    if (old->kernel_irqchip || ops->kernel_irqchip)
        return vms_seterr(VMS_ERR_UNSUPPORTED, "%s: cannot move a VM %s the in-kernel "
                          "irqchip (--kvm-irqchip): its interrupt state is not carried",
                          vm->name, old->kernel_irqchip ? "out of" : "into");

    for (unsigned i = 0; i < vm->nvcpu; i++)
        if ((err = vm->vcpu[i]->ops->get_state(vm->vcpu[i], &st[i])) < 0)
            return switch_fail(vm, err, "cannot read the CPU state");
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        vm->vcpu[i]->ops->destroy(vm->vcpu[i]);
        vm->vcpu[i]->ops = NULL;
    }
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        if ((err = move_vcpu(vm->vcpu[i], ops, &st[i])) < 0) {
            /* Back to the old engine where possible, then stop. */
            for (unsigned j = 0; j < vm->nvcpu; j++) {
                if (vm->vcpu[j]->ops)
                    vm->vcpu[j]->ops->destroy(vm->vcpu[j]);
                vm->vcpu[j]->ops = NULL;
                if (move_vcpu(vm->vcpu[j], old, &st[j]) < 0 && vm->vcpu[j]->ops) {
                    vm->vcpu[j]->ops->destroy(vm->vcpu[j]);
                    vm->vcpu[j]->ops = NULL;
                }
            }
            return switch_fail(vm, err, ops->name);
        }
    }
    struct event e = { .kind = EV_VM_START, .rip = st[0].rip };
    snprintf(e.text, sizeof(e.text), "%s engine=%s (moved from %s)", vm->name, ops->name,
             old->name);
    vm_note(vm->vcpu[0], &e);
    return 0;
}

/* ---- the exit switch ---- */

static void handle_io(struct vcpu *v, struct vcpu_exit *ex, enum bus_space space)
{
    struct vm *vm = v->vm;
    struct bus_range *r;

    /* Devices see the time of this access, not of the slice's start (a
     * guest polling the PIT counter sees it move). */
    vclock_advance_to(&vm->clock, v->run_start + ex->executed * VCLOCK_NS_PER_INSN);
    /* The local APIC page is per CPU: the accessing vCPU's own APIC. */
    if (space == BUS_MMIO && ex->addr - MM_LAPIC_BASE < LAPIC_MMIO_SIZE)
        r = platform_lapic_access(vm->plat, v->index, ex->addr - MM_LAPIC_BASE, ex->size,
                                  ex->write, &ex->value);
    else if (ex->write)
        r = bus_write(&vm->bus, space, ex->addr, ex->size, ex->value);
    else
        r = bus_read(&vm->bus, space, ex->addr, ex->size, &ex->value);
    if (!ev_wants(vm->ev, space == BUS_PIO ? EV_PIO : EV_MMIO))
        return;
    struct event e = { .kind = space == BUS_PIO ? EV_PIO : EV_MMIO,
                       .rip = ex->rip, .addr = ex->addr, .size = ex->size,
                       .write = ex->write, .value = ex->value };
    const char *name = r ? r->name : "unassigned";
    memcpy(e.text, name, strnlen(name, sizeof(e.text) - 1));   /* e is zeroed */
    vm_note(v, &e);
}

/* True when @v halted with interrupts off: only NMI, SMI, INIT or RESET
 * could wake it, and nothing here sends those to a halted BSP. */
static bool halted_for_good(struct vcpu *v)
{
    struct cpu_state s;

    if (!v->runnable || !v->ops)
        return true;
    if (!v->halted || v->ops->get_state(v, &s) < 0)
        return false;
    return !(s.rflags & RFLAGS_IF);
}

void vm_stop_idle(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        if (!halted_for_good(vm->vcpu[i])) {
            vm_stop(vm, VM_STUCK, VMS_STATUS_STUCK,
                    "%s: halted with interrupts on, and no interrupt can arrive",
                    vm->name);
            return;
        }
    }
    vm_stop(vm, VM_HALTED, VMS_STATUS_HALT, "%s: halted with interrupts off", vm->name);
}

static void handle_hlt(struct vcpu *v, struct vcpu_exit *ex)
{
    struct vm *vm = v->vm;
    struct event e = { .kind = EV_HLT, .rip = ex->rip };

    vm_note(v, &e);
    v->halted = true;
    for (unsigned i = 0; i < vm->nvcpu; i++)
        if (!halted_for_good(vm->vcpu[i]))
            return;
    vm_stop(vm, VM_HALTED, VMS_STATUS_HALT, "%s: halted with interrupts off", vm->name);
}

bool vm_handle_exit(struct vcpu *v, struct vcpu_exit *ex)
{
    struct vm *vm = v->vm;

    v->exits++;
    switch (ex->kind) {
    case VEXIT_PIO:
        handle_io(v, ex, BUS_PIO);
        return vm->state == VM_RUNNING;
    case VEXIT_MMIO:
        handle_io(v, ex, BUS_MMIO);
        return vm->state == VM_RUNNING;
    case VEXIT_HLT:
        handle_hlt(v, ex);
        return false;
    case VEXIT_SHUTDOWN:
        vm_stop(vm, VM_SHUTDOWN, VMS_STATUS_TRIPLE_FAULT, "%s: %s at RIP=%#llx, shut down",
                vm->name, ex->text[0] ? ex->text : "triple fault",
                (unsigned long long)ex->rip);
        return false;
    case VEXIT_ERROR:
        vm_stop(vm, VM_FAILED, VMS_STATUS_ENGINE, "%s: engine error at RIP=%#llx: %s",
                vm->name, (unsigned long long)ex->rip, ex->text);
        return false;
    case VEXIT_BUDGET:
    case VEXIT_KICK:
    case VEXIT_STEP:
    case VEXIT_BREAK:
    case VEXIT_WATCH:
    case VEXIT_NONE:
        return false;
    }
    return false;
}

/* ---- interrupts and SMP start-up ---- */

bool vm_irq_pending(struct vcpu *v)
{
    return platform_irq_pending(v->vm->plat, v->index);
}

bool vm_nmi_ready(struct vcpu *v)
{
    return v->ops->inject_nmi && platform_nmi_pending(v->vm->plat, v->index) &&
           v->ops->can_inject_nmi(v);
}

#define START_RESET ((0xF000ll << 16) | 0xFFF0)   /* F000:FFF0 */
#define APIC_BASE_BSP (1u << 8)                   /* IA32_APIC_BASE.BSP */

void vm_cpu_init(struct vm *vm, unsigned cpu)
{
    if (cpu >= vm->nvcpu)
        return;
    struct vcpu *v = vm->vcpu[cpu];
    if (cpu == 0) {
        vm->start_at[cpu] = START_RESET;
    } else {
        vm->start_at[cpu] = -1;
        v->runnable = false;    /* wait-for-SIPI */
    }
    v->halted = false;
    vcpu_kick(v);
}

void vm_cpu_startup(struct vm *vm, unsigned cpu, uint8_t vector)
{
    if (cpu >= vm->nvcpu)
        return;
    struct vcpu *v = vm->vcpu[cpu];
    vm->start_at[cpu] = (int64_t)vector << 24;    /* CS = VV00, IP = 0 */
    v->runnable = true;
    v->halted = false;
    vcpu_kick(v);
}

/* Apply a pending INIT/STARTUP: the real-mode reset state at CS:IP, with
 * the engine's translations dropped (the BSP wrote the start-up code). */
static int apply_start(struct vcpu *v)
{
    struct vm *vm = v->vm;
    int64_t at = vm->start_at[v->index];
    struct cpu_state s;

    if (at < 0)
        return 0;
    vm->start_at[v->index] = -1;
    x86_reset_state(&s, (uint16_t)(at >> 16), (uint16_t)at);
    if (v->index != 0)
        s.apic_base &= ~(uint64_t)APIC_BASE_BSP;
    v->ops->mem_written(v, 0, vm->mem.size);
    int err = v->ops->set_state(v, &s);
    if (err < 0)
        return err;
    struct event e = { .kind = EV_MODE, .rip = s.rip, .value = MODE_REAL };
    snprintf(e.text, sizeof(e.text), "real (started at %04llx:%04llx)",
             (unsigned long long)(at >> 16), (unsigned long long)(at & 0xFFFF));
    vm_note(v, &e);
    vm->last_mode[v->index] = MODE_REAL;
    return 0;
}

static const char *const irqsrc_names[] = {
    [IRQSRC_PIC] = "pic irq", [IRQSRC_APIC] = "lapic", [IRQSRC_NMI] = "nmi",
};

/* Each vCPU has its own engine, and an engine notices only its own stores
 * to code it translated.  vCPUs of a VM run one at a time, so when another
 * vCPU of this VM ran since @v last did, @v drops its translations before
 * it runs (code the other one wrote runs as written: what SMP kernels do
 * when one CPU loads a program another runs). */
static void sync_code(struct vcpu *v)
{
    struct vm *vm = v->vm;

    if (vm->last_ran != (int)v->index) {
        if (vm->last_ran >= 0)
            v->ops->mem_written(v, 0, vm->mem.size);
        vm->last_ran = (int)v->index;
    }
}

/* An NMI before any maskable interrupt (SDM 6.9, priority 4 against 5). */
static int inject_nmi(struct vcpu *v)
{
    struct cpu_state s;
    int err = v->ops->get_state(v, &s);
    if (err < 0)
        return err;
    platform_nmi_ack(v->vm->plat, v->index);
    struct event e = { .kind = EV_INJECT, .vector = EXC_NMI, .rip = s.rip,
                       .value = (uint64_t)IRQSRC_NMI };
    snprintf(e.text, sizeof(e.text), "%s -> vector %d", irqsrc_names[IRQSRC_NMI], EXC_NMI);
    err = v->ops->inject_nmi(v);
    if (err < 0)
        return err;
    vm_note(v, &e);
    v->halted = false;
    return 1;
}

int vm_try_inject(struct vcpu *v)
{
    int err = apply_start(v);
    if (err < 0)
        return err;
    sync_code(v);
    if (v->runnable && vm_nmi_ready(v))
        return inject_nmi(v);
    if (!v->runnable || !vm_irq_pending(v) || !v->ops->can_inject(v))
        return 0;
    if (v->ops->kernel_irqchip) {
        /* The engine's own controllers deliver: a halted vCPU that may
         * have something to take runs, and takes it inside the engine. */
        v->halted = false;
        return 0;
    }
    enum vcpu_irq_source src = IRQSRC_PIC;
    int vector = platform_irq_ack(v->vm->plat, v->index, &src);
    if (vector < 0)
        return 0;
    struct cpu_state s;
    err = v->ops->get_state(v, &s);
    if (err < 0)
        return err;
    struct event e = { .kind = EV_INJECT, .vector = (uint8_t)vector, .rip = s.rip,
                       .value = (uint64_t)src };
    snprintf(e.text, sizeof(e.text), "%s -> vector %d", irqsrc_names[src], vector);
    err = v->ops->inject(v, (uint8_t)vector);
    if (err < 0)
        return err;
    vm_note(v, &e);
    v->halted = false;
    return 1;
}

void vm_check_control(struct vcpu *v)
{
    struct cpu_state s;
    struct vm *vm = v->vm;
    unsigned i = v->index;

    if (!v->runnable || v->ops->get_state(v, &s) < 0)
        return;
    int mode = (int)x86_mode_of(&s) | ((s.cr0 & CR0_PG) ? 0x100 : 0);
    if (mode != vm->last_mode[i]) {
        struct event e = { .kind = EV_MODE, .rip = s.rip, .value = (uint64_t)(mode & 0xFF) };
        snprintf(e.text, sizeof(e.text), "%s%s", x86_mode_name((enum x86_mode)(mode & 0xFF)),
                 (mode & 0x100) ? " paging" : "");
        vm_note(v, &e);
        vm->last_mode[i] = mode;
    }
    if ((s.cr0 & CR0_PG) && s.cr3 != vm->last_cr3[i]) {
        struct event e = { .kind = EV_CR3, .rip = s.rip, .addr = s.cr3 };
        vm_note(v, &e);
        vm->last_cr3[i] = s.cr3;
    }
}

void vm_console_input(struct vm *vm, const uint8_t *buf, size_t n)
{
    platform_console_input(vm->plat, buf, n);
}
