/* ioapic.h - the Intel 82093AA I/O APIC at 0xFEC00000.
 *
 * Built to the 82093AA datasheet (order no. 290566), section 3 "Register
 * Description": IOREGSEL at offset 0x00 selects a register, IOWIN at
 * 0x10 reads or writes it (32-bit accesses).  Registers: IOAPICID (0x00,
 * ID in bits 27:24), IOAPICVER (0x01: version 0x11, maximum redirection
 * entry 23 in bits 23:16), IOAPICARB (0x02, arbitration ID in 27:24) and
 * 24 redirection entries of 64 bits at 0x10 + 2n (low) / 0x11 + 2n (high).
 *
 * Redirection entry (datasheet 3.2.4): vector 7:0, delivery mode 10:8
 * (fixed, lowest priority, SMI, NMI, INIT, ExtINT), destination mode 11,
 * delivery status 12 (read only; always 0: delivery is immediate),
 * polarity 13 (1 = active low), remote IRR 14 (read only), trigger mode
 * 15 (1 = level), mask 16, destination 63:56.  Reset: every entry masked.
 *
 * Behaviour (datasheet): an edge is delivered when the pin becomes
 * asserted on an unmasked entry; an edge on a masked pin is lost.  A level
 * pin that is asserted is delivered and sets remote IRR; nothing more is
 * sent until the local APIC's EOI for that vector (ioapic_eoi) clears
 * remote IRR, after which a still-asserted pin is delivered again.
 * Unmasking an asserted level pin delivers it.  "Asserted" honours the
 * polarity bit.  The ID resets to 0 (as QEMU's, and as SeaBIOS's MP table
 * gives it); the arbitration ID follows the ID.
 */
#ifndef VMS_IOAPIC_H
#define VMS_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "lapic.h"

#define IOAPIC_MMIO_SIZE 0x20u     /* IOREGSEL, IOWIN (decoded: 0x00, 0x10) */
#define IOAPIC_PINS      24
#define IOAPIC_VERSION   0x00170011u  /* max redirection entry 23, version 0x11 */

/* Register indexes (IOREGSEL values). */
#define IOAPIC_REG_ID    0x00
#define IOAPIC_REG_VER   0x01
#define IOAPIC_REG_ARB   0x02
#define IOAPIC_REG_REDIR 0x10   /* + 2 * pin (+1 for the high half) */

/* Redirection entry bits. */
#define IOAPIC_VECTOR       0x000000FFull
#define IOAPIC_DM_SHIFT     8
#define IOAPIC_DEST_LOGICAL (1ull << 11)
#define IOAPIC_DELIV_STATUS (1ull << 12)
#define IOAPIC_POLARITY_LOW (1ull << 13)
#define IOAPIC_REMOTE_IRR   (1ull << 14)
#define IOAPIC_LEVEL        (1ull << 15)
#define IOAPIC_MASKED       (1ull << 16)
#define IOAPIC_DEST_SHIFT   56

struct ioapic {
    struct dev_ctx ctx;            /* copy; ev may be NULL */
    struct apic_bus *bus;          /* where messages go (not owned) */
    uint8_t regsel;                /* IOREGSEL */
    uint32_t id;                   /* IOAPICID register */
    uint64_t redir[IOAPIC_PINS];
    uint32_t pin_level;            /* input line levels, bit per pin */
    uint64_t delivered[IOAPIC_PINS];  /* messages sent per pin (views) */
};

/* Power on (all entries masked).  @ctx is copied and may be NULL. */
int ioapic_init(struct ioapic *io, const struct dev_ctx *ctx, struct apic_bus *bus)
    VMS_MUST_CHECK;
/* Map MM_IOAPIC_BASE..+IOAPIC_MMIO_SIZE as "ioapic". */
int ioapic_attach(struct ioapic *io, struct bus *b) VMS_MUST_CHECK;
void ioapic_destroy(struct ioapic *io);

/* Drive input @pin (0-23) to @level; an irq_line callback (opaque is the
 * struct ioapic).  Other pins are ignored. */
void ioapic_set_irq(void *ioapic, int pin, int level);
/* A local APIC EOIed level-triggered @vector (EOI broadcast). */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* MMIO access at @offset into the I/O APIC's window (also the bus ops). */
uint64_t ioapic_read(void *ioapic, uint64_t offset, unsigned size);
void ioapic_write(void *ioapic, uint64_t offset, unsigned size, uint64_t value);

#endif
