/* acpi.h - the ACPI tables kernels read to find the APICs, written by the
 * platform when a VM is created (ACPI 1.0b layouts, which every later
 * version still accepts):
 *
 *   RSDP  at MM_ACPI_BASE (0xE0000, 16-byte aligned, inside the BIOS area
 *         0xE0000-0xFFFFF that OSes scan): "RSD PTR ", revision 0, OEM
 *         "VMSCOP", the RSDT's address; checksum over its 20 bytes.
 *   RSDT  "RSDT" revision 1: one entry, the MADT.
 *   MADT  "APIC" revision 1: local APIC address 0xFEE00000, flags
 *         PCAT_COMPAT (an 8259 pair is present); one Processor Local APIC
 *         entry per vCPU (UID = APIC ID = index, enabled); one I/O APIC
 *         (ID 0 at 0xFEC00000, GSI base 0); an Interrupt Source Override
 *         ISA IRQ 0 -> GSI 2 (conforming); a Local APIC NMI on LINT1 of
 *         every processor (UID 0xFF).
 * No FADT/DSDT: there is no ACPI hardware (no SCI, no PM timer).
 */
#ifndef VMS_ACPI_H
#define VMS_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gmem.h"

#define ACPI_RSDP_SIZE    20u
#define ACPI_HDR_SIZE     36u
#define ACPI_RSDT_OFF     0x20u   /* from MM_ACPI_BASE */
#define ACPI_MADT_OFF     0x50u
/* MADT length for @n CPUs: header, address, flags, entries. */
#define ACPI_MADT_SIZE(n) (ACPI_HDR_SIZE + 8u + (n) * 8u + 12u + 10u + 6u)

/* MADT entry types (ACPI 1.0b 5.2.8). */
enum acpi_madt_entry {
    MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_NMI_SRC = 3, MADT_LAPIC_NMI = 4,
};

/* Build RSDP, RSDT and MADT into @buf as they lie from guest-physical
 * @base on (offsets above).  Returns the bytes used, or 0 when @cap is too
 * small or @ncpus is 0 or > 255. */
size_t acpi_build(uint8_t *buf, size_t cap, uint32_t base, unsigned ncpus);

/* Write them at MM_ACPI_BASE.  RAM that does not reach there gets none (0). */
int acpi_write(struct gmem *m, unsigned ncpus) VMS_MUST_CHECK;

/* The byte that makes @len bytes at @p sum to 0 (mod 256). */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif
