/* platform.h - the PC devices of one VM, wired to its buses and IRQs.
 *
 * Devices are listed and initialised in order here (no hidden start-up
 * order): 8259 pair, 8254 PIT, COM1 16550A UART, the debug-exit port,
 * then one local APIC per vCPU, the I/O APIC and the MP and ACPI tables.
 * IRQ lines: PIT -> IRQ0, UART -> IRQ4; every ISA line reaches both the
 * 8259 pair and the I/O APIC (IRQ0 on pin 2).  The PIC's INTR output
 * kicks the vCPUs whose LINT0 is in ExtINT mode so a pending interrupt is
 * taken at the next block boundary.
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
/* An MMIO access by vCPU @cpu at offset @off of the local APIC page goes
 * to that vCPU's own local APIC.  Returns the bus range (for events). */
struct bus_range *platform_lapic_access(struct platform *p, unsigned cpu, uint64_t off,
                                        unsigned size, bool write, uint64_t *value);
/* Bytes typed by the user for the serial console. */
void platform_console_input(struct platform *p, const uint8_t *buf, size_t n);

#endif
