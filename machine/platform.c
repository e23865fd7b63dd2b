/* platform.c - wiring the PC devices of one VM (see platform.h). */
#include "platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "acpi.h"
#include "ata.h"
#include "debugexit.h"
#include "firmware.h"
#include "i8042.h"
#include "ioapic.h"
#include "lapic.h"
#include "memmap.h"
#include "mptable.h"
#include "pic.h"
#include "pit.h"
#include "rtc.h"
#include "uart.h"
#include "vga.h"
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
    /* PC devices (docs/PC.md) */
    struct rtc rtc;
    struct i8042 kbd;
    struct vga vga;
    struct ata ata;
    struct firmware fw;
    bool fw_ok;                  /* the firmware is in guest RAM */
    void (*notice)(void *opaque, unsigned vm, const char *line);
    unsigned notices;            /* given so far (a hostile guest cannot flood) */
    struct platform_irqchip chip;/* IRQ lines go there when set_irq != NULL */
};

#define PLATFORM_MAX_NOTICES 20u

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

static void notice(void *opaque, const char *line)
{
    struct platform *p = opaque;

    if (!p->notice || p->notices >= PLATFORM_MAX_NOTICES)
        return;
    if (++p->notices == PLATFORM_MAX_NOTICES)
        p->notice(p->console_opaque, p->vm->index, "further messages suppressed");
    else
        p->notice(p->console_opaque, p->vm->index, line);
}

static void stop_all(struct platform *p, enum vm_state state, int status, const char *why)
{
    vm_stop(p->vm, state, status, "%s: %s", p->vm->name, why);
    for (unsigned i = 0; i < p->vm->nvcpu; i++)
        vcpu_kick(p->vm->vcpu[i]);
}

/* The i8042 (0xFE, output port) or port 0x92 pulsed the reset line. */
static void guest_reset(void *opaque, const char *why)
{
    stop_all(opaque, VM_SHUTDOWN, VMS_STATUS_TRIPLE_FAULT, why);
}

/* The firmware gave up booting (int 18h, int 19h without a disk). */
static void firmware_stop(void *opaque, const char *why)
{
    stop_all(opaque, VM_STUCK, VMS_STATUS_STUCK, why);
}

/* An ISA IRQ line fans out to the 8259 pair and to the I/O APIC (the
 * guest decides which it listens to).  ISA IRQ0 reaches I/O APIC pin 2,
 * the rest pin = IRQ, as on QEMU's PC and as the MP/ACPI tables say
 * (isa_irq_ioapic_pin).  With an external controller (KVM's in-kernel
 * irqchip) the line goes there instead, and it does the same fan-out. */
static void isa_irq_set(void *opaque, int pin, int level)
{
    struct platform *p = opaque;

    if (p->chip.set_irq) {
        p->chip.set_irq(p->chip.opaque, (unsigned)pin, level);
        return;
    }
    pic_set_irq(&p->pic, pin, level);
    if (isa_irq_ioapic_pin((unsigned)pin) >= 0)
        ioapic_set_irq(&p->ioapic, isa_irq_ioapic_pin((unsigned)pin), level);
}

static const struct bus_dev_ops lapic_bus_ops;   /* the local APIC page, below */

void platform_route_irqs(struct platform *p, const struct platform_irqchip *c)
{
    p->chip = c ? *c : (struct platform_irqchip){ 0 };
}

const struct pic *platform_pic(const struct platform *p)
{
    return &p->pic;
}

bool platform_irqchip_device(const struct platform *p, const struct bus_range *r)
{
    const void *o = r->opaque;

    if (!p->chip.set_irq)
        return false;
    return o == &p->pic.chip[0] || o == &p->pic.chip[1] || o == &p->pic ||
           o == &p->ioapic || r->ops == &lapic_bus_ops;
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
    return bus_map(bus, BUS_MMIO, MM_LAPIC_BASE, LAPIC_MMIO_SIZE, &lapic_bus_ops, p, "lapic");
}

/* The MP and ACPI tables describe the APICs.  They are written last: the
 * firmware's ROM image covers the whole F segment, where the MP floating
 * pointer keeps a copy (MM_MP_FLOAT_BIOS). */
static int platform_write_tables(struct platform *p, unsigned ncpus)
{
    int err;

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
    if (p->chip.set_irq)
        return p->chip.pending && p->chip.pending(p->chip.opaque, cpu);
    if (cpu >= p->nlapic)
        return false;
    return lapic_pending(&p->lapic[cpu]) ||
           (lapic_accepts_pic(&p->lapic[cpu]) && pic_pending(&p->pic));
}

/* Local APIC first, then the 8259 through LINT0 (as QEMU's
 * cpu_get_pic_interrupt). */
int platform_irq_ack(struct platform *p, unsigned cpu, enum vcpu_irq_source *src)
{
    if (cpu >= p->nlapic || p->chip.set_irq)
        return -1;
    int v = lapic_ack(&p->lapic[cpu]);
    *src = IRQSRC_APIC;
    if (v >= 0 || !lapic_accepts_pic(&p->lapic[cpu]) || !pic_pending(&p->pic))
        return v;
    *src = IRQSRC_PIC;
    return pic_ack(&p->pic);
}

bool platform_nmi_pending(struct platform *p, unsigned cpu)
{
    return !p->chip.set_irq && cpu < p->nlapic && lapic_nmi_pending(&p->lapic[cpu]);
}

void platform_nmi_ack(struct platform *p, unsigned cpu)
{
    if (cpu < p->nlapic)
        lapic_nmi_ack(&p->lapic[cpu]);
}

/* ---- end of the APIC block ---- */

/* Initialise and attach every device, in this order. */
static int platform_init(struct platform *p, struct bus *bus, const struct vm_config *cfg)
{
    struct irq_line intr = { .set = intr_changed, .opaque = p, .pin = 0 };
    int err;

    /* The APICs first: device IRQ lines reach the I/O APIC from the
     * moment the devices are initialised. */
    if ((err = apic_platform_init(p, bus, cfg->ncpus)) < 0)
        return err;

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
    return 0;
}

/* The PC devices of docs/PC.md, in this order; the firmware last, as it
 * describes the others in the BIOS data area. */
static int platform_init_pc(struct platform *p, struct bus *bus, const struct vm_config *cfg)
{
    int64_t epoch = cfg->rtc_fixed ? cfg->rtc_epoch : (int64_t)time(NULL);
    int err;

    if ((err = rtc_init(&p->rtc, &p->ctx, pic_input(p, IRQ_RTC), epoch)) < 0 ||
        (err = rtc_attach(&p->rtc, bus)) < 0)
        return err;
    rtc_set_memory(&p->rtc, p->vm->mem.size, cfg->ncpus);
    if ((err = i8042_init(&p->kbd, &p->ctx, pic_input(p, IRQ_KBD), pic_input(p, IRQ_MOUSE))) < 0 ||
        (err = i8042_attach(&p->kbd, bus)) < 0)
        return err;
    p->kbd.reset = guest_reset;
    p->kbd.reset_opaque = p;
    if ((err = vga_init(&p->vga, &p->ctx, &p->vm->mem)) < 0 ||
        (err = vga_attach(&p->vga, bus)) < 0)
        return err;
    if ((err = ata_init(&p->ata, "ata0", &p->ctx, pic_input(p, IRQ_ATA0))) < 0 ||
        (err = ata_attach(&p->ata, bus)) < 0)
        return err;
    p->ata.notice = notice;
    p->ata.notice_opaque = p;
    for (unsigned i = 0; i < ATA_DRIVES; i++)
        if (cfg->disk[i] && (err = platform_attach_disk(p, i, cfg->disk[i], cfg->disk_flags[i])) < 0)
            return err;
    if ((err = firmware_init(&p->fw, &p->ctx, &p->vm->mem, &p->ata, &p->vga, &p->kbd, &p->rtc)) < 0 ||
        (err = firmware_attach(&p->fw, bus)) < 0)
        return err;
    p->fw.stop = firmware_stop;
    p->fw.stop_opaque = p;
    p->fw.ncpus = cfg->ncpus;
    p->fw_ok = firmware_install(&p->fw) == 0;   /* needs 1 MiB of RAM */
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
    p->notice = cfg->notice;
    int err = platform_init(p, &vm->bus, cfg);
    if (err == 0)
        err = platform_init_pc(p, &vm->bus, cfg);
    if (err == 0)
        err = platform_write_tables(p, cfg->ncpus);
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
    ata_destroy(&p->ata);          /* fsync: a clean shutdown loses no write */
    vga_destroy(&p->vga);
    i8042_destroy(&p->kbd);
    rtc_destroy(&p->rtc);
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

size_t platform_console_room(struct platform *p)
{
    return uart_rx_room(&p->com1);
}

/* ---- the PC devices ---- */

size_t platform_kbd_input(struct platform *p, const uint8_t *buf, size_t n)
{
    size_t took = i8042_type(&p->kbd, buf, n);

    if (took && p->vm->nvcpu > 0)
        vcpu_kick(p->vm->vcpu[0]);
    return took;
}

struct vga *platform_vga(struct platform *p)
{
    return &p->vga;
}

bool platform_vga_screen(struct platform *p, struct vga_screen *out)
{
    bool shown = false;

    vga_screen(&p->vga, out);
    for (unsigned r = 0; r < VGA_ROWS && !shown; r++)
        for (unsigned c = 0; c < VGA_COLS && !shown; c++) {
            const struct vga_cell *cell = &out->cell[r][c];
            /* attribute bits 4-6: background colour */
            shown = (cell->ch != 0 && cell->ch != ' ') || (cell->attr & 0x70u) != 0;
        }
    return shown;
}

int platform_attach_disk(struct platform *p, unsigned unit, const char *path, unsigned flags)
{
    int err = ata_open_disk(&p->ata, unit, path, flags);

    if (err < 0)
        return err;
    const struct ata_drive *d = &p->ata.drive[unit];
    rtc_set_disk(&p->rtc, unit, d->cyls, d->heads, d->spt);
    if (p->fw_ok)
        firmware_disks_changed(&p->fw);
    return 0;
}

void platform_bios_post(struct platform *p)
{
    if (p->fw_ok)
        firmware_post(&p->fw, &p->vm->bus, false);
}

int platform_boot_disk(struct platform *p, struct cpu_state *cpu)
{
    if (!p->fw_ok)
        return vms_seterr(VMS_ERR_RANGE, "%s: booting from disk needs at least 1 MiB of "
                          "guest RAM", p->vm->name);
    int err = firmware_boot_disk(&p->fw, cpu);
    if (err == 0)
        firmware_post(&p->fw, &p->vm->bus, true);
    return err;
}

int platform_flush(struct platform *p)
{
    return ata_flush(&p->ata);
}
