/* acpi.c - RSDP, RSDT and MADT (see acpi.h). */
#include "acpi.h"

#include <string.h>

#include "lapic.h"
#include "memmap.h"

#define MADT_PCAT_COMPAT   1u      /* MADT flags: dual 8259 present */
#define MADT_CPU_ENABLED   1u
#define ACPI_OEM_ID        "VMSCOP"
#define ACPI_OEM_TABLE     "VMSCOPE "
#define ACPI_IOAPIC_ID     0
#define ACPI_ALL_CPUS      0xFF

static void le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* The common 36-byte header (ACPI 1.0b 5.2.5); checksum left 0. */
static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    le(t + 4, len, 4);
    t[8] = rev;
    memcpy(t + 10, ACPI_OEM_ID, 6);
    memcpy(t + 16, ACPI_OEM_TABLE, 8);
    le(t + 24, 1, 4);                 /* OEM revision */
    memcpy(t + 28, "VMSC", 4);        /* creator ID */
    le(t + 32, 1, 4);                 /* creator revision */
}

static void build_madt(uint8_t *t, unsigned ncpus)
{
    uint32_t len = ACPI_MADT_SIZE(ncpus);
    uint8_t *e = t + ACPI_HDR_SIZE + 8;

    sdt_header(t, "APIC", len, 1);
    le(t + 36, MM_LAPIC_BASE, 4);
    le(t + 40, MADT_PCAT_COMPAT, 4);
    for (unsigned i = 0; i < ncpus; i++, e += 8) {
        e[0] = MADT_LAPIC; e[1] = 8;
        e[2] = (uint8_t)i;            /* ACPI processor UID */
        e[3] = (uint8_t)i;            /* APIC ID */
        le(e + 4, MADT_CPU_ENABLED, 4);
    }
    e[0] = MADT_IOAPIC; e[1] = 12; e[2] = ACPI_IOAPIC_ID; e[3] = 0;
    le(e + 4, MM_IOAPIC_BASE, 4);
    le(e + 8, 0, 4);                  /* global system interrupt base */
    e += 12;
    e[0] = MADT_ISO; e[1] = 10; e[2] = 0; /* bus ISA */ e[3] = IRQ_PIT;
    le(e + 4, (uint32_t)isa_irq_ioapic_pin(IRQ_PIT), 4);   /* GSI */
    le(e + 8, 0, 2);                  /* flags: conforms to the bus */
    e += 10;
    e[0] = MADT_LAPIC_NMI; e[1] = 6; e[2] = ACPI_ALL_CPUS;
    le(e + 3, 0, 2);
    e[5] = 1;                         /* LINT1 */
    t[9] = acpi_checksum(t, len);
}

size_t acpi_build(uint8_t *buf, size_t cap, uint32_t base, unsigned ncpus)
{
    size_t total = ACPI_MADT_OFF + ACPI_MADT_SIZE(ncpus);

    if (ncpus == 0 || ncpus > 255 || cap < total)
        return 0;
    memset(buf, 0, total);
    uint8_t *rsdp = buf, *rsdt = buf + ACPI_RSDT_OFF;
    memcpy(rsdp, "RSD PTR ", 8);
    memcpy(rsdp + 9, ACPI_OEM_ID, 6);
    rsdp[15] = 0;                     /* revision 0: ACPI 1.0 */
    le(rsdp + 16, base + ACPI_RSDT_OFF, 4);
    rsdp[8] = acpi_checksum(rsdp, ACPI_RSDP_SIZE);
    sdt_header(rsdt, "RSDT", ACPI_HDR_SIZE + 4, 1);
    le(rsdt + ACPI_HDR_SIZE, base + ACPI_MADT_OFF, 4);
    rsdt[9] = acpi_checksum(rsdt, ACPI_HDR_SIZE + 4);
    build_madt(buf + ACPI_MADT_OFF, ncpus);
    return total;
}

int acpi_write(struct gmem *m, unsigned ncpus)
{
    uint8_t buf[ACPI_MADT_OFF + ACPI_MADT_SIZE(APIC_BUS_MAX)];

    if (!gmem_ok(m, MM_ACPI_BASE, MM_ACPI_SIZE))
        return 0;
    size_t n = acpi_build(buf, sizeof(buf), MM_ACPI_BASE, ncpus);
    if (n == 0 || n > MM_ACPI_SIZE)
        return vms_seterr(VMS_ERR_INVAL, "ACPI tables for %u CPUs do not fit", ncpus);
    return gmem_write(m, MM_ACPI_BASE, buf, n);
}
