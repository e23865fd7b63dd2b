/* test_mptable.c - the MP 1.4 and ACPI tables, read back the way kernels
 * read them: find "_MP_" through the BDA's EBDA pointer (then the BIOS
 * area), check both checksums, walk the entries by type and length; find
 * "RSD PTR " on a 16-byte boundary in 0xE0000-0xFFFFF, follow RSDT to the
 * MADT, check checksums and entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "machine/acpi.h"
#include "machine/gmem.h"
#include "machine/memmap.h"
#include "machine/mptable.h"

static uint32_t u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t u32(const uint8_t *p) { return u16(p) | u16(p + 2) << 16; }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* xv6-style search: a 16-byte "_MP_" structure with a zero sum. */
static const uint8_t *mp_search(const uint8_t *ram, uint32_t a, uint32_t len)
{
    for (uint32_t p = a; p + 16 <= a + len; p += 16)
        if (!memcmp(ram + p, "_MP_", 4) && sum(ram + p, 16) == 0)
            return ram + p;
    return NULL;
}

struct mp_counts {
    unsigned proc, bsp, bus, ioapic, iointr, lintr, bad;
    uint8_t apic_ids[256];
    uint8_t irq_pin[16];
    bool irq_seen[16];
};

static void walk_mp(const uint8_t *conf, struct mp_counts *c)
{
    const uint8_t *p = conf + MP_CONF_HDR_SIZE, *end = conf + u16(conf + 4);

    memset(c, 0, sizeof(*c));
    for (unsigned n = 0; n < u16(conf + 34) && p < end; n++) {
        switch (p[0]) {
        case MP_PROC:
            assert_true(p[3] & 1);                       /* enabled */
            c->apic_ids[c->proc++] = p[1];
            c->bsp += (p[3] & 2) != 0;
            assert_int_equal(p[2], 0x14);
            p += 20;
            break;
        case MP_BUS:
            assert_memory_equal(p + 2, "ISA   ", 6);
            c->bus++;
            p += 8;
            break;
        case MP_IOAPIC:
            assert_int_equal(p[1], 0);
            assert_int_equal(p[2], 0x11);
            assert_int_equal(u32(p + 4), 0xFEC00000);
            c->ioapic++;
            p += 8;
            break;
        case MP_IOINTR:
            assert_int_equal(p[1], 0);                   /* INT */
            assert_true(p[5] < 16);
            c->irq_seen[p[5]] = true;
            c->irq_pin[p[5]] = p[7];
            c->iointr++;
            p += 8;
            break;
        case MP_LINTR:
            assert_int_equal(p[6], 0xFF);
            assert_int_equal(p[7], p[1] == 3 ? 0 : 1);   /* ExtINT LINT0, NMI LINT1 */
            c->lintr++;
            p += 8;
            break;
        default:
            c->bad++;
            return;
        }
    }
    assert_ptr_equal(p, end);
}

static void check_mp(unsigned ncpus)
{
    struct gmem m;
    assert_int_equal(gmem_init(&m, 2u << 20), 0);
    assert_int_equal(mptable_write(&m, ncpus), 0);

    /* BDA: EBDA segment and base memory, as BIOSes leave them */
    uint32_t ebda = u16(m.ram + 0x40E) << 4;
    assert_int_equal(ebda, 0x9FC00);
    assert_int_equal(u16(m.ram + 0x413), 639);
    /* the EBDA's first word is its size in KiB (firmware writes it too):
     * the floating pointer must not sit there */
    assert_int_equal(u16(m.ram + ebda), 1);
    m.ram[ebda] = 1;
    m.ram[ebda + 1] = 0;
    const uint8_t *mp = mp_search(m.ram, ebda, 1024);
    assert_non_null(mp);
    assert_true(mp >= m.ram + ebda + 2);
    /* a kernel scanning only the BIOS area finds the same table */
    const uint8_t *mp2 = mp_search(m.ram, 0xF0000, 0x10000);
    assert_non_null(mp2);
    assert_memory_equal(mp2, mp, 16);
    assert_int_equal(mp[8], 1);
    assert_int_equal(mp[9], 4);
    assert_int_equal(mp[11], 0);                          /* config table present */
    assert_int_equal(mp[12] & 0x80, 0);                   /* no IMCR */
    uint32_t pa = u32(mp + 4);
    assert_true(pa + MP_CONF_HDR_SIZE <= m.size);
    const uint8_t *conf = m.ram + pa;
    assert_memory_equal(conf, "PCMP", 4);
    assert_int_equal(conf[6], 4);
    assert_int_equal(sum(conf, u16(conf + 4)), 0);
    assert_int_equal(u32(conf + 36), 0xFEE00000);
    assert_int_equal(u16(conf + 34), ncpus + 1 + 1 + 15 + 2);
    assert_true(pa + u16(conf + 4) <= MM_EBDA_BASE + MM_EBDA_SIZE);

    struct mp_counts c;
    walk_mp(conf, &c);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.proc, ncpus);
    assert_int_equal(c.bsp, 1);
    for (unsigned i = 0; i < ncpus; i++)
        assert_int_equal(c.apic_ids[i], i);
    assert_int_equal(c.bus, 1);
    assert_int_equal(c.ioapic, 1);
    assert_int_equal(c.iointr, 15);
    assert_int_equal(c.lintr, 2);
    assert_false(c.irq_seen[2]);
    assert_int_equal(c.irq_pin[0], 2);
    for (unsigned irq = 1; irq < 16; irq++)
        if (irq != 2)
            assert_int_equal(c.irq_pin[irq], irq);
    gmem_fini(&m);
}

static void test_mp_1cpu(void **state) { (void)state; check_mp(1); }
static void test_mp_2cpus(void **state) { (void)state; check_mp(2); }
static void test_mp_16cpus(void **state) { (void)state; check_mp(16); }

static void test_mp_bad_args(void **state)
{
    uint8_t buf[64];
    (void)state;
    assert_int_equal(mptable_build(buf, sizeof(buf), 0x9FC00, 2), 0);   /* too small */
    uint8_t big[8192];
    assert_int_equal(mptable_build(big, sizeof(big), 0x9FC00, 0), 0);
    assert_int_equal(mptable_build(big, sizeof(big), 0x9FC00, 256), 0);
    assert_int_equal(mptable_build(big, sizeof(big), 0x9FC00, 3), MP_TABLES_SIZE(3));
    /* RAM below the EBDA: nothing written, no error */
    struct gmem m;
    assert_int_equal(gmem_init(&m, 64u << 10), 0);
    assert_int_equal(mptable_write(&m, 2), 0);
    assert_int_equal(acpi_write(&m, 2), 0);
    gmem_fini(&m);
}

/* ---- ACPI ---- */

static const uint8_t *rsdp_search(const uint8_t *ram)
{
    for (uint32_t p = 0xE0000; p < 0x100000; p += 16)
        if (!memcmp(ram + p, "RSD PTR ", 8) && sum(ram + p, 20) == 0)
            return ram + p;
    return NULL;
}

static void check_acpi(unsigned ncpus)
{
    struct gmem m;
    assert_int_equal(gmem_init(&m, 2u << 20), 0);
    assert_int_equal(acpi_write(&m, ncpus), 0);
    const uint8_t *rsdp = rsdp_search(m.ram);
    assert_non_null(rsdp);
    assert_int_equal(rsdp[15], 0);
    const uint8_t *rsdt = m.ram + u32(rsdp + 16);
    assert_memory_equal(rsdt, "RSDT", 4);
    assert_int_equal(u32(rsdt + 4), 40);
    assert_int_equal(sum(rsdt, u32(rsdt + 4)), 0);
    const uint8_t *madt = m.ram + u32(rsdt + 36);
    assert_memory_equal(madt, "APIC", 4);
    uint32_t len = u32(madt + 4);
    assert_int_equal(len, ACPI_MADT_SIZE(ncpus));
    assert_int_equal(sum(madt, len), 0);
    assert_int_equal(u32(madt + 36), 0xFEE00000);
    assert_int_equal(u32(madt + 40), 1);                  /* PCAT_COMPAT */
    unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;
    for (const uint8_t *e = madt + 44; e < madt + len; e += e[1]) {
        assert_true(e[1] >= 2);
        switch (e[0]) {
        case MADT_LAPIC:
            assert_int_equal(e[3], lapics);
            assert_int_equal(u32(e + 4) & 1, 1);
            lapics++;
            break;
        case MADT_IOAPIC:
            assert_int_equal(u32(e + 4), 0xFEC00000);
            assert_int_equal(u32(e + 8), 0);
            ioapics++;
            break;
        case MADT_ISO:
            assert_int_equal(e[3], 0);
            assert_int_equal(u32(e + 4), 2);
            isos++;
            break;
        case MADT_LAPIC_NMI:
            assert_int_equal(e[5], 1);
            nmis++;
            break;
        default:
            fail();
        }
    }
    assert_int_equal(lapics, ncpus);
    assert_int_equal(ioapics, 1);
    assert_int_equal(isos, 1);
    assert_int_equal(nmis, 1);
    gmem_fini(&m);
}

static void test_acpi_1cpu(void **state) { (void)state; check_acpi(1); }
static void test_acpi_4cpus(void **state) { (void)state; check_acpi(4); }
static void test_acpi_16cpus(void **state) { (void)state; check_acpi(16); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mp_1cpu),
        cmocka_unit_test(test_mp_2cpus),
        cmocka_unit_test(test_mp_16cpus),
        cmocka_unit_test(test_mp_bad_args),
        cmocka_unit_test(test_acpi_1cpu),
        cmocka_unit_test(test_acpi_4cpus),
        cmocka_unit_test(test_acpi_16cpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
