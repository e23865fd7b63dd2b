/* mptable.c - MP specification 1.4 tables (see mptable.h). */
#include "mptable.h"

#include <string.h>

#include "cpuid.h"
#include "ioapic.h"
#include "lapic.h"
#include "memmap.h"

#define MP_SPEC_REV        4        /* 1.4 */
#define MP_CPU_ENABLED     0x01     /* processor entry: CPU flags */
#define MP_CPU_BSP         0x02
#define MP_IOAPIC_ENABLED  0x01
#define MP_INT             0        /* interrupt types (Table 4-7) */
#define MP_NMI             1
#define MP_EXTINT          3
#define MP_ISA_BUS         0
#define MP_IOAPIC_ID       0        /* the I/O APIC's reset ID (ioapic.h) */
#define MP_ALL_LAPICS      0xFF
#define BASE_MEM_KB        (MM_EBDA_BASE / 1024)

/* Little-endian writer over a bounded buffer. */
struct wbuf {
    uint8_t *p;
    size_t len, cap;
};

static void put8(struct wbuf *w, uint8_t v)
{
    if (w->len < w->cap)
        w->p[w->len] = v;
    w->len++;
}

static void put16(struct wbuf *w, uint16_t v) { put8(w, (uint8_t)v); put8(w, (uint8_t)(v >> 8)); }
static void put32(struct wbuf *w, uint32_t v) { put16(w, (uint16_t)v); put16(w, (uint16_t)(v >> 16)); }

static void putstr(struct wbuf *w, const char *s, size_t n)   /* space padded */
{
    size_t l = strlen(s);
    for (size_t i = 0; i < n; i++)
        put8(w, i < l ? (uint8_t)s[i] : ' ');
}

uint8_t mptable_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

static void put_proc(struct wbuf *w, unsigned cpu, unsigned ncpus)
{
    struct cpuid_regs r;

    cpuid_model(1, 0, cpu, ncpus, &r);
    put8(w, MP_PROC);
    put8(w, (uint8_t)cpu);                          /* local APIC ID */
    put8(w, (uint8_t)LAPIC_VERSION);                /* 0x14 */
    put8(w, MP_CPU_ENABLED | (cpu == 0 ? MP_CPU_BSP : 0));
    put32(w, r.eax);                                /* CPU signature */
    put32(w, r.edx);                                /* feature flags */
    put32(w, 0);
    put32(w, 0);
}

static void put_intr(struct wbuf *w, uint8_t kind, uint8_t itype, uint8_t irq,
                     uint8_t dest, uint8_t pin)
{
    put8(w, kind);
    put8(w, itype);
    put16(w, 0);              /* polarity, trigger: conform to the bus */
    put8(w, MP_ISA_BUS);
    put8(w, irq);
    put8(w, dest);
    put8(w, pin);
}

static void put_entries(struct wbuf *w, unsigned ncpus)
{
    for (unsigned i = 0; i < ncpus; i++)
        put_proc(w, i, ncpus);
    put8(w, MP_BUS);
    put8(w, MP_ISA_BUS);
    putstr(w, "ISA", 6);
    put8(w, MP_IOAPIC);
    put8(w, MP_IOAPIC_ID);
    put8(w, (uint8_t)IOAPIC_VERSION);               /* 0x11 */
    put8(w, MP_IOAPIC_ENABLED);
    put32(w, MM_IOAPIC_BASE);
    for (uint8_t irq = 0; irq < ISA_IRQS; irq++)
        if (isa_irq_ioapic_pin(irq) >= 0)
            put_intr(w, MP_IOINTR, MP_INT, irq, MP_IOAPIC_ID,
                     (uint8_t)isa_irq_ioapic_pin(irq));
    put_intr(w, MP_LINTR, MP_EXTINT, 0, MP_ALL_LAPICS, 0);
    put_intr(w, MP_LINTR, MP_NMI, 0, MP_ALL_LAPICS, 1);
}

size_t mptable_build(uint8_t *buf, size_t cap, uint32_t base, unsigned ncpus)
{
    size_t total = MP_TABLES_SIZE(ncpus);
    struct wbuf w = { .p = buf, .cap = cap };

    if (ncpus == 0 || ncpus > 255 || cap < total)
        return 0;
    memset(buf, 0, total);
    /* floating pointer (spec 4.1) */
    putstr(&w, "_MP_", 4);
    put32(&w, base + MP_FLOAT_SIZE);                 /* configuration table */
    put8(&w, 1);                                     /* length in 16-byte units */
    put8(&w, MP_SPEC_REV);
    put8(&w, 0);                                     /* checksum, below */
    put8(&w, 0);                                     /* feature 1: table present */
    put8(&w, 0);                                     /* feature 2: no IMCR */
    put8(&w, 0); put8(&w, 0); put8(&w, 0);
    buf[10] = mptable_checksum(buf, MP_FLOAT_SIZE);
    /* configuration table header (spec 4.2) */
    uint8_t *conf = buf + MP_FLOAT_SIZE;
    putstr(&w, "PCMP", 4);
    put16(&w, (uint16_t)(total - MP_FLOAT_SIZE));    /* base table length */
    put8(&w, MP_SPEC_REV);
    put8(&w, 0);                                     /* checksum, below */
    putstr(&w, "VMSCOPE", 8);                        /* OEM ID */
    putstr(&w, "VIRTUAL PC", 12);                    /* product ID */
    put32(&w, 0);                                    /* no OEM table */
    put16(&w, 0);
    put16(&w, (uint16_t)(ncpus + 2 + MP_NUM_ISA_IRQS + 2));  /* entry count */
    put32(&w, MM_LAPIC_BASE);
    put16(&w, 0);                                    /* no extended table */
    put8(&w, 0);
    put8(&w, 0);
    put_entries(&w, ncpus);
    conf[7] = mptable_checksum(conf, total - MP_FLOAT_SIZE);
    return w.len == total ? total : 0;
}

static int put_word(struct gmem *m, uint64_t pa, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    return gmem_write(m, pa, b, 2);
}

int mptable_write(struct gmem *m, unsigned ncpus)
{
    uint8_t buf[MP_TABLES_SIZE(APIC_BUS_MAX)];
    int err;

    if (!gmem_ok(m, MM_EBDA_BASE, MM_EBDA_SIZE))
        return 0;
    size_t n = mptable_build(buf, sizeof(buf), MM_MPTABLE_BASE, ncpus);
    if (n == 0 || MM_MPTABLE_BASE + n > MM_EBDA_BASE + MM_EBDA_SIZE)
        return vms_seterr(VMS_ERR_INVAL, "MP table for %u CPUs does not fit", ncpus);
    if ((err = gmem_write(m, MM_MPTABLE_BASE, buf, n)) < 0 ||
        (err = put_word(m, MM_EBDA_BASE, MM_EBDA_SIZE_KB)) < 0 ||
        (err = put_word(m, MM_BDA_EBDA_SEG, MM_EBDA_BASE >> 4)) < 0 ||
        (err = put_word(m, MM_BDA_BASEMEM_KB, BASE_MEM_KB)) < 0)
        return err;
    /* The same floating pointer in the BIOS area, for kernels that scan
     * only 0xF0000-0xFFFFF (spec 4: any of the three areas). */
    if (gmem_ok(m, MM_MP_FLOAT_BIOS, MP_FLOAT_SIZE))
        return gmem_write(m, MM_MP_FLOAT_BIOS, buf, MP_FLOAT_SIZE);
    return 0;
}
