/* platform.c - wiring the PC devices of one VM (see platform.h). */
#include "platform.h"

#include <stdlib.h>

#include "acpi.h"
#include "debugexit.h"
#include "ioapic.h"
#include "lapic.h"
#include "memmap.h"
#include "mptable.h"
#include "pic.h"
#include "pit.h"
#include "uart.h"
#include "vm.h"

struct platform {
    struct vm *vm;
    struct dev_ctx ctx;
    struct pic pic;
    struct pit pit;
    struct uart com1;
    struct debugexit dbg;
    /* APICs: one local APIC per vCPU on one APIC bus, and the I/O APIC */
    struct apic_bus abus;
    struct lapic lapic[VM_MAX_VCPUS];
    unsigned nlapic;
    struct ioapic ioapic;
    vm_console_fn console;
    void *console_opaque;
};

/* The PIC's INTR output reaches every CPU whose local APIC passes LINT0
 * through as ExtINT (virtual wire): ask those vCPUs to stop at the next
 * block boundary so the run loop can take the interrupt. */
static void intr_changed(void *opaque, int pin, int level)
{
    struct platform *p = opaque;

    (void)pin;
    for (unsigned i = 0; level && i < p->vm->nvcpu && i < p->nlapic; i++)
        if (lapic_accepts_pic(&p->lapic[i]))
            vcpu_kick(p->vm->vcpu[i]);
}

static void com1_tx(void *opaque, uint8_t byte)
{
    struct platform *p = opaque;

    if (p->console)
        p->console(p->console_opaque, p->vm->index, byte);
}

static void debug_exit(void *opaque, int status)
{
    struct platform *p = opaque;

    vm_stop(p->vm, VM_EXITED, status, "%s: debug exit, status %d", p->vm->name, status);
    for (unsigned i = 0; i < p->vm->nvcpu; i++)
        vcpu_kick(p->vm->vcpu[i]);
}

/* An ISA IRQ line fans out to the 8259 pair and to the I/O APIC (the
 * guest decides which it listens to).  ISA IRQ0 reaches I/O APIC pin 2,
 * the rest pin = IRQ, as on QEMU's PC and as the MP/ACPI tables say. */
static void isa_irq_set(void *opaque, int pin, int level)
{
    struct platform *p = opaque;

    pic_set_irq(&p->pic, pin, level);
    ioapic_set_irq(&p->ioapic, pin == IRQ_PIT ? IOAPIC_PIN_IRQ0 : pin, level);
}

static struct irq_line pic_input(struct platform *p, int pin)
{
    return (struct irq_line){ .set = isa_irq_set, .opaque = p, .pin = pin };
}

/* ---- APICs, SMP start-up, MP and ACPI tables (docs/APIC.md) ---- */

static void apic_kick(void *opaque, unsigned cpu)
{
    struct platform *p = opaque;

    if (cpu < p->vm->nvcpu)
        vcpu_kick(p->vm->vcpu[cpu]);
}

static void apic_init_cpu(void *opaque, unsigned cpu)
{
    struct platform *p = opaque;
    vm_cpu_init(p->vm, cpu);
}

static void apic_startup(void *opaque, unsigned cpu, uint8_t vector)
{
    struct platform *p = opaque;
    vm_cpu_startup(p->vm, cpu, vector);
}

static void apic_eoi(void *opaque, uint8_t vector)
{
    struct platform *p = opaque;
    ioapic_eoi(&p->ioapic, vector);
}

static const struct apic_bus_hooks apic_hooks = {
    .kick = apic_kick, .init = apic_init_cpu, .startup = apic_startup, .eoi = apic_eoi,
};

/* The LAPIC page on the bus: vm.c routes each access to the accessing
 * vCPU's local APIC (platform_lapic_access); anyone else reading the bus
 * there sees the boot processor's. */
static uint64_t lapic_bus_read(void *opaque, uint64_t off, unsigned size)
{
    struct platform *p = opaque;
    return lapic_read(&p->lapic[0], off, size);
}

static void lapic_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t value)
{
    struct platform *p = opaque;
    lapic_write(&p->lapic[0], off, size, value);
}

static const struct bus_dev_ops lapic_bus_ops = { .read = lapic_bus_read, .write = lapic_bus_write };

static int apic_platform_init(struct platform *p, struct bus *bus, unsigned ncpus)
{
    int err;

    apic_bus_init(&p->abus, &apic_hooks, p);
    for (unsigned i = 0; i < ncpus; i++) {
        if ((err = lapic_init(&p->lapic[i], &p->abus, i, &p->ctx)) < 0)
            return err;
        p->nlapic = i + 1;
    }
    if ((err = ioapic_init(&p->ioapic, &p->ctx, &p->abus)) < 0 ||
        (err = ioapic_attach(&p->ioapic, bus)) < 0)
        return err;
    if ((err = bus_map(bus, BUS_MMIO, MM_LAPIC_BASE, LAPIC_MMIO_SIZE, &lapic_bus_ops, p,
                       "lapic")) < 0)
        return err;
    if ((err = mptable_write(&p->vm->mem, ncpus)) < 0 ||
        (err = acpi_write(&p->vm->mem, ncpus)) < 0)
        return err;
    return 0;
}

static void apic_platform_destroy(struct platform *p)
{
    ioapic_destroy(&p->ioapic);
    for (unsigned i = 0; i < p->nlapic; i++)
        lapic_destroy(&p->lapic[i]);
}

struct bus_range *platform_lapic_access(struct platform *p, unsigned cpu, uint64_t off,
                                        unsigned size, bool write, uint64_t *value)
{
    struct bus_range *r = bus_find(&p->vm->bus, BUS_MMIO, MM_LAPIC_BASE);

    if (cpu >= p->nlapic || !r) {   /* not reached: every vCPU has its APIC */
        if (write)
            return bus_write(&p->vm->bus, BUS_MMIO, MM_LAPIC_BASE + off, size, *value);
        return bus_read(&p->vm->bus, BUS_MMIO, MM_LAPIC_BASE + off, size, value);
    }
    if (write) {
        lapic_write(&p->lapic[cpu], off, size, *value);
        r->writes++;
    } else {
        *value = lapic_read(&p->lapic[cpu], off, size);
        r->reads++;
    }
    return r;
}

bool platform_irq_pending(struct platform *p, unsigned cpu)
{
    if (cpu >= p->nlapic)
        return false;
    return lapic_pending(&p->lapic[cpu]) ||
           (lapic_accepts_pic(&p->lapic[cpu]) && pic_pending(&p->pic));
}

/* Local APIC first, then the 8259 through LINT0 (as QEMU's
 * cpu_get_pic_interrupt). */
int platform_irq_ack(struct platform *p, unsigned cpu, enum vcpu_irq_source *src)
{
    if (cpu >= p->nlapic)
        return -1;
    int v = lapic_ack(&p->lapic[cpu]);
    *src = IRQSRC_APIC;
    if (v >= 0 || !lapic_accepts_pic(&p->lapic[cpu]) || !pic_pending(&p->pic))
        return v;
    *src = IRQSRC_PIC;
    return pic_ack(&p->pic);
}

/* ---- end of the APIC block ---- */

/* Initialise and attach every device, in this order. */
static int platform_init(struct platform *p, struct bus *bus, const struct vm_config *cfg)
{
    struct irq_line intr = { .set = intr_changed, .opaque = p, .pin = 0 };
    int err;

    if ((err = pic_init(&p->pic, &p->ctx, intr)) < 0 ||
        (err = pic_attach(&p->pic, bus)) < 0)
        return err;
    if ((err = pit_init(&p->pit, &p->ctx, pic_input(p, IRQ_PIT))) < 0 ||
        (err = pit_attach(&p->pit, bus)) < 0)
        return err;
    if ((err = uart_init(&p->com1, "uart0", &p->ctx, pic_input(p, IRQ_COM1), com1_tx, p)) < 0 ||
        (err = uart_attach(&p->com1, bus, PORT_COM1)) < 0)
        return err;
    if ((err = debugexit_init(&p->dbg, &p->ctx, debug_exit, p)) < 0 ||
        (err = debugexit_attach(&p->dbg, bus)) < 0)
        return err;
    if ((err = apic_platform_init(p, bus, cfg->ncpus)) < 0)
        return err;
    return 0;
}

int platform_create(struct vm *vm, const struct vm_config *cfg, struct platform **out)
{
    struct platform *p = calloc(1, sizeof(*p));

    if (!p)
        return -VMS_ERR_NOMEM;
    p->vm = vm;
    p->ctx = (struct dev_ctx){ .ev = vm->ev, .clock = &vm->clock, .vm = (uint16_t)vm->index };
    p->console = cfg->console;
    p->console_opaque = cfg->console_opaque;
    int err = platform_init(p, &vm->bus, cfg);
    if (err < 0) {
        platform_destroy(p);
        return err;
    }
    *out = p;
    return 0;
}

void platform_destroy(struct platform *p)
{
    if (!p)
        return;
    apic_platform_destroy(p);
    debugexit_destroy(&p->dbg);
    uart_destroy(&p->com1);
    pit_destroy(&p->pit);
    pic_destroy(&p->pic);
    free(p);
}

void platform_console_input(struct platform *p, const uint8_t *buf, size_t n)
{
    uart_rx_push(&p->com1, buf, n);
}
