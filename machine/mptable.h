/* mptable.h - the Intel MultiProcessor Specification 1.4 tables a PC BIOS
 * leaves in memory, written by the platform when a VM is created.
 *
 * MP floating pointer structure (spec 4.1, 16 bytes, "_MP_") in the first
 * KiB of the EBDA, after the EBDA's size word (MM_MPTABLE_BASE, 0x9FC10;
 * the EBDA's first word says 1 KiB, the BDA word at 0x40E holds the EBDA
 * segment 0x9FC0 and the word at 0x413 the base memory size, 639 KiB, so a
 * kernel that scans "the first KiB of the EBDA" or "the last KiB of base
 * memory" finds it), with a copy at MM_MP_FLOAT_BIOS (0xF8000) for kernels
 * that scan only the BIOS area; the MP configuration table (spec 4.2,
 * "PCMP", revision 1.4) follows the first one, with, in the order of spec
 * 4.3:
 *   - one processor entry per vCPU that exists, exactly (APIC ID = vCPU
 *     index, version 0x14, enabled; the BSP flag on vCPU 0; CPU signature
 *     and feature flags from CPUID leaf 1);
 *   - one bus entry: bus 0, "ISA   ";
 *   - one I/O APIC entry: ID 0, version 0x11, enabled, at 0xFEC00000;
 *   - I/O interrupt assignment entries for ISA IRQs 0-15 except IRQ 2
 *     (the 8259 cascade, no device): INT type, conforming polarity and
 *     trigger, to I/O APIC pin = IRQ, except IRQ 0 -> pin 2 (as QEMU's PC
 *     wires it and SeaBIOS describes it);
 *   - local interrupt assignment entries: ExtINT -> LINT0 and NMI -> LINT1
 *     of every local APIC (destination 0xFF).
 * No IMCR (feature byte 2 bit 7 clear: virtual wire mode), no extended
 * table, no OEM table.  Both checksums make their bytes sum to 0.
 */
#ifndef VMS_MPTABLE_H
#define VMS_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gmem.h"

#define MP_FLOAT_SIZE     16u
#define MP_CONF_HDR_SIZE  44u
#define MP_PROC_SIZE      20u
#define MP_ENTRY_SIZE     8u     /* bus, I/O APIC, interrupt entries */
#define MP_NUM_ISA_IRQS   15u    /* IRQs 0-15 without 2 */
/* Bytes the floating pointer and configuration table take for @n CPUs. */
#define MP_TABLES_SIZE(n) (MP_FLOAT_SIZE + MP_CONF_HDR_SIZE + (n) * MP_PROC_SIZE + \
                           (2u + MP_NUM_ISA_IRQS + 2u) * MP_ENTRY_SIZE)

/* Entry types (spec Table 4-3). */
enum mp_entry { MP_PROC = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINTR = 3, MP_LINTR = 4 };

/* Build the floating pointer at @buf[0] and the configuration table right
 * after it, for the tables living at guest-physical @base.  Returns the
 * bytes written, or 0 when @cap is too small or @ncpus is 0 or > 255. */
size_t mptable_build(uint8_t *buf, size_t cap, uint32_t base, unsigned ncpus);

/* Write the tables at MM_MPTABLE_BASE and the BDA's EBDA pointer into
 * guest RAM.  RAM that does not reach the EBDA's end gets nothing (0). */
int mptable_write(struct gmem *m, unsigned ncpus) VMS_MUST_CHECK;

/* The byte that makes @len bytes at @p sum to 0 (mod 256). */
uint8_t mptable_checksum(const uint8_t *p, size_t len);

#endif
