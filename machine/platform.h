/* platform.h - the PC devices of one VM, wired to its buses and IRQs.
 *
 * Devices are listed and initialised in order here (no hidden start-up
 * order): one local APIC per vCPU, the I/O APIC and the MP and ACPI
 * tables first (device lines reach the I/O APIC from the start), then the
 * 8259 pair, 8254 PIT, COM1 16550A UART, the debug-exit port, then the PC
 * devices: CMOS RTC, i8042 keyboard controller, VGA text mode, the primary
 * ATA channel, the firmware (ROM, IVT, BDA in guest RAM).
 * IRQ lines: PIT -> IRQ0, i8042 -> IRQ1/IRQ12, UART -> IRQ4, RTC -> IRQ8,
 * ATA -> IRQ14; every ISA line reaches both the 8259 pair and the I/O
 * APIC (IRQ0 on pin 2).  The PIC's INTR output kicks the vCPUs whose
 * LINT0 is in ExtINT mode so a pending interrupt is taken at the next
 * block boundary.
 */
#ifndef VMS_PLATFORM_H
#define VMS_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "err.h"
#include "vcpu.h"

struct vm;
struct vm_config;
struct platform;

int platform_create(struct vm *vm, const struct vm_config *cfg, struct platform **out)
    VMS_MUST_CHECK;
void platform_destroy(struct platform *p);

/* vCPU @cpu has an interrupt to take: from its local APIC, or from the
 * 8259 pair through LINT0 in ExtINT mode (virtual wire). */
bool platform_irq_pending(struct platform *p, unsigned cpu);
/* The interrupt-acknowledge cycle for vCPU @cpu: the vector to deliver,
 * or -1; *src says which controller gave it. */
int platform_irq_ack(struct platform *p, unsigned cpu, enum vcpu_irq_source *src);
/* An NMI waits for CPU @cpu (its local APIC got an NMI message); the CPU
 * takes it. */
bool platform_nmi_pending(struct platform *p, unsigned cpu);
void platform_nmi_ack(struct platform *p, unsigned cpu);
/* An MMIO access by vCPU @cpu at offset @off of the local APIC page goes
 * to that vCPU's own local APIC.  Returns the bus range (for events). */
struct bus_range *platform_lapic_access(struct platform *p, unsigned cpu, uint64_t off,
                                        unsigned size, bool write, uint64_t *value);
/* ---- an interrupt controller outside vmscope (KVM's in-kernel irqchip) ---- */

/* Where the ISA IRQ lines go instead of the user-space 8259 pair and I/O
 * APIC: @set_irq(@opaque, irq, level) with the ISA IRQ number (0-15; the
 * controller maps it the way isa_irq_ioapic_pin() says). */
struct platform_irqchip {
    void (*set_irq)(void *opaque, unsigned irq, int level);
    /* May vCPU @cpu, halted, have something to wake it?  (The answer to
     * platform_irq_pending() while the lines are routed away.) */
    bool (*pending)(void *opaque, unsigned cpu);
    void *opaque;
};
/* Send every device IRQ line to @c from now on (NULL: back to the models).
 * The user-space PIC and APICs then get nothing, platform_irq_pending()
 * asks @c->pending, and platform_irq_ack() has nothing to give (the
 * engine delivers). */
void platform_route_irqs(struct platform *p, const struct platform_irqchip *c);
/* The user-space 8259 pair as the BIOS hand-off and the POST left it: what
 * an external controller must start from when the guest starts. */
struct pic;
const struct pic *platform_pic(const struct platform *p);
/* True when bus range @r belongs to an interrupt controller that the
 * external controller replaces (8259 pair, ELCR, I/O APIC, local APIC
 * page) while the lines are routed away: its model's state is not live. */
bool platform_irqchip_device(const struct platform *p, const struct bus_range *r);

/* Bytes typed by the user for the serial console. */
void platform_console_input(struct platform *p, const uint8_t *buf, size_t n);
/* How many bytes COM1's receiver takes now without losing one (1 with the
 * FIFO off, as a 16450; uart_rx_room()). */
size_t platform_console_room(struct platform *p);

/* ---- the PC devices of docs/PC.md: ATA disks, i8042, VGA, RTC, firmware ---- */
struct vga;
struct cpu_state;

/* Keystrokes for the i8042 keyboard (ASCII, as typed); returns the bytes
 * taken (the rest found the keyboard queue full). */
size_t platform_kbd_input(struct platform *p, const uint8_t *buf, size_t n);
/* The VGA text screen (for the console pane and --vga-dump). */
struct vga *platform_vga(struct platform *p);
struct vga_screen;
/* The VGA text screen as shown now into @out; true when it shows
 * something: a cell with a character other than blank/NUL or a coloured
 * background (the firmware leaves the screen blank, 0x0720 cells). */
bool platform_vga_screen(struct platform *p, struct vga_screen *out);
/* Attach image @path as ATA device @unit after creation (flags from ata.h). */
int platform_attach_disk(struct platform *p, unsigned unit, const char *path, unsigned flags)
    VMS_MUST_CHECK;
/* Boot from disk 0 as a BIOS does: its boot sector at 0x7C00, the boot
 * vCPU state in @cpu, and the POST device set-up with the PIT running. */
int platform_boot_disk(struct platform *p, struct cpu_state *cpu) VMS_MUST_CHECK;
/* The POST device set-up for a boot sector given as the image: the 8259
 * masks only (the PIT stays idle, see firmware_post). */
void platform_bios_post(struct platform *p);
/* fsync written disk images; -VMS_ERR_IO with a detail when one fails. */
int platform_flush(struct platform *p) VMS_MUST_CHECK;

#endif
