/* platform.h - the PC devices of one VM, wired to its buses and IRQs.
 *
 * Devices are listed and initialised in order here (no hidden start-up
 * order): 8259 pair, 8254 PIT, COM1 16550A UART, the debug-exit port.
 * IRQ lines: PIT -> IRQ0, UART -> IRQ4; the PIC's INTR output kicks the
 * boot vCPU so a pending interrupt is taken at the next block boundary.
 */
#ifndef VMS_PLATFORM_H
#define VMS_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct vm;
struct vm_config;
struct platform;

int platform_create(struct vm *vm, const struct vm_config *cfg, struct platform **out)
    VMS_MUST_CHECK;
void platform_destroy(struct platform *p);

/* The PIC has an unmasked request for the CPU (INTR high). */
bool platform_irq_pending(struct platform *p);
/* The interrupt-acknowledge cycle: the vector to deliver, or -1. */
int platform_irq_ack(struct platform *p);
/* Bytes typed by the user for the serial console. */
void platform_console_input(struct platform *p, const uint8_t *buf, size_t n);

#endif
