/* test_kvm_irqchip.c - the pure parts of --kvm-irqchip: the GSI routing
 * KVM is given must say what the platform's MP table and MADT say, and the
 * 8259 state goes into KVM's struct kvm_pic_state field by field.  (The
 * engine itself runs in tests/kvm/kvm-tests.sh, nested.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "machine/acpi.h"
#include "machine/engine.h"
#include "machine/kvm_engine.h"
#include "machine/kvm_state.h"
#include "machine/memmap.h"
#include "machine/mptable.h"
#include "machine/pic.h"

#define MP_BASE   0x9FC10u
#define ACPI_BASE 0xE0000u

static struct kvm_irq_routing_entry routes[KVM_STATE_MAX_ROUTES];
static unsigned nroutes;

static int setup(void **state)
{
    (void)state;
    memset(routes, 0, sizeof(routes));
    nroutes = kvm_state_gsi_routing(routes, KVM_STATE_MAX_ROUTES);
    return 0;
}

/* The routing entry for ISA IRQ @gsi into @chip, or NULL. */
static const struct kvm_irq_routing_entry *route_of(unsigned gsi, uint32_t chip)
{
    const struct kvm_irq_routing_entry *found = NULL;

    for (unsigned i = 0; i < nroutes; i++) {
        if (routes[i].gsi != gsi || routes[i].u.irqchip.irqchip != chip)
            continue;
        assert_null(found);   /* at most one per chip */
        found = &routes[i];
    }
    return found;
}

static bool is_pic(uint32_t chip)
{
    return chip == KVM_IRQCHIP_PIC_MASTER || chip == KVM_IRQCHIP_PIC_SLAVE;
}

/* Every MP I/O interrupt entry (spec 4.3.4: type 3; source bus IRQ at
 * byte 5, destination I/O APIC pin at byte 7) has its routes, and nothing
 * else is routed. */
static void test_routing_is_the_mp_table(void **state)
{
    static uint8_t buf[1024];
    unsigned nintr = 0;

    (void)state;
    for (unsigned ncpus = 1; ncpus <= 4; ncpus += 3) {
        size_t n = mptable_build(buf, sizeof(buf), MP_BASE, ncpus);
        assert_true(n > 0);
        const uint8_t *conf = buf + MP_FLOAT_SIZE;
        unsigned count = conf[34] | (unsigned)conf[35] << 8;
        const uint8_t *e = conf + MP_CONF_HDR_SIZE;
        nintr = 0;
        for (unsigned i = 0; i < count; i++) {
            if (e[0] == MP_IOINTR) {
                const struct kvm_irq_routing_entry *io = route_of(e[5], KVM_IRQCHIP_IOAPIC);
                assert_non_null(io);
                assert_int_equal(io->type, KVM_IRQ_ROUTING_IRQCHIP);
                assert_int_equal(io->u.irqchip.pin, e[7]);
                const struct kvm_irq_routing_entry *pic =
                    route_of(e[5], e[5] < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE);
                assert_non_null(pic);
                assert_int_equal(pic->u.irqchip.pin, e[5] & 7);
                nintr++;
            }
            e += e[0] == MP_PROC ? MP_PROC_SIZE : MP_ENTRY_SIZE;
        }
    }
    assert_int_equal(nintr, MP_NUM_ISA_IRQS);
    assert_int_equal(nroutes, 2 * MP_NUM_ISA_IRQS);   /* one PIC + one I/O APIC route each */
}

/* The MADT's interrupt source overrides (ACPI 5.2.8.3.1) are the only
 * non-identity I/O APIC routes; without one an ISA IRQ is GSI = IRQ. */
static void test_routing_is_the_madt(void **state)
{
    static uint8_t buf[1024];
    int gsi_of[ISA_IRQS];

    (void)state;
    for (unsigned i = 0; i < ISA_IRQS; i++)
        gsi_of[i] = (int)i;
    assert_true(acpi_build(buf, sizeof(buf), ACPI_BASE, 2) > 0);
    const uint8_t *madt = buf + ACPI_MADT_OFF;
    uint32_t len = madt[4] | (uint32_t)madt[5] << 8;
    unsigned overrides = 0;
    for (const uint8_t *e = madt + ACPI_HDR_SIZE + 8; e < madt + len; e += e[1]) {
        assert_true(e[1] > 0);
        if (e[0] == MADT_ISO) {
            assert_int_equal(e[2], 0);   /* bus ISA */
            gsi_of[e[3]] = e[4] | e[5] << 8;
            overrides++;
        }
    }
    assert_int_equal(overrides, 1);
    assert_int_equal(gsi_of[IRQ_PIT], 2);
    for (unsigned irq = 0; irq < ISA_IRQS; irq++) {
        const struct kvm_irq_routing_entry *io = route_of(irq, KVM_IRQCHIP_IOAPIC);
        if (irq == IRQ_CASCADE) {
            assert_null(io);   /* no device; the 8259 cascade */
            continue;
        }
        assert_non_null(io);
        assert_int_equal(io->u.irqchip.pin, gsi_of[irq]);
    }
}

static void test_cascade_not_routed(void **state)
{
    (void)state;
    for (unsigned i = 0; i < nroutes; i++) {
        assert_int_not_equal(routes[i].gsi, IRQ_CASCADE);
        assert_true(routes[i].gsi < ISA_IRQS);
        if (is_pic(routes[i].u.irqchip.irqchip))
            assert_true(routes[i].u.irqchip.pin < 8);
    }
    assert_int_equal(isa_irq_ioapic_pin(0), 2);
    assert_int_equal(isa_irq_ioapic_pin(IRQ_CASCADE), -1);
    assert_int_equal(isa_irq_ioapic_pin(IRQ_ATA0), IRQ_ATA0);
    assert_int_equal(isa_irq_ioapic_pin(ISA_IRQS), -1);
}

static void test_routing_bounded(void **state)
{
    struct kvm_irq_routing_entry few[5];

    (void)state;
    memset(few, 0xAA, sizeof(few));
    assert_int_equal(kvm_state_gsi_routing(few, 4), 4);
    assert_int_equal(few[4].gsi, 0xAAAAAAAAu);   /* untouched */
}

/* The BIOS hand-off state (pic.h): what KVM's 8259s start from when the
 * guest starts without a POST. */
static void test_pic_bios_state(void **state)
{
    struct pic p;
    struct kvm_pic_state m, s;

    (void)state;
    assert_int_equal(pic_init(&p, NULL, (struct irq_line){ 0 }), 0);
    kvm_state_pic_from_chip(&p.chip[0], &m);
    kvm_state_pic_from_chip(&p.chip[1], &s);
    assert_int_equal(m.irq_base, 0x08);
    assert_int_equal(s.irq_base, 0x70);
    assert_int_equal(m.imr, 0xFB);   /* all masked but the cascade */
    assert_int_equal(s.imr, 0xFF);
    assert_int_equal(m.init_state, 0);
    assert_int_equal(m.init4, 1);
    assert_int_equal(m.irr | m.isr | s.irr | s.isr, 0);
    assert_int_equal(m.elcr_mask, p.chip[0].elcr_mask);
    assert_int_equal(s.elcr_mask, p.chip[1].elcr_mask);
}

static void pic_out(struct pic *p, struct bus *b, uint16_t port, uint8_t v)
{
    (void)p;
    assert_non_null(bus_write(b, BUS_PIO, port, 1, v));
}

/* Registers written through the ports, mid-initialisation and after. */
static void test_pic_programmed(void **state)
{
    struct pic p;
    struct bus b;
    struct kvm_pic_state k;

    (void)state;
    bus_init(&b);
    assert_int_equal(pic_init(&p, NULL, (struct irq_line){ 0 }), 0);
    assert_int_equal(pic_attach(&p, &b), 0);
    pic_out(&p, &b, 0x20, 0x11);   /* ICW1: edge, cascade, ICW4 */
    kvm_state_pic_from_chip(&p.chip[0], &k);
    assert_int_equal(k.init_state, 1);   /* KVM: ICW2 next */
    pic_out(&p, &b, 0x21, 0x20);   /* ICW2: vectors 0x20-0x27 */
    kvm_state_pic_from_chip(&p.chip[0], &k);
    assert_int_equal(k.init_state, 2);
    pic_out(&p, &b, 0x21, 0x04);   /* ICW3 */
    kvm_state_pic_from_chip(&p.chip[0], &k);
    assert_int_equal(k.init_state, 3);
    pic_out(&p, &b, 0x21, 0x03);   /* ICW4: 8086, auto-EOI */
    pic_out(&p, &b, 0x21, 0xF8);   /* OCW1 */
    pic_out(&p, &b, 0x20, 0x0B);   /* OCW3: read ISR */
    pic_set_irq(&p, 0, 1);
    kvm_state_pic_from_chip(&p.chip[0], &k);
    assert_int_equal(k.init_state, 0);
    assert_int_equal(k.irq_base, 0x20);
    assert_int_equal(k.imr, 0xF8);
    assert_int_equal(k.auto_eoi, 1);
    assert_int_equal(k.read_reg_select, 1);
    assert_int_equal(k.irr & 1, 1);
    assert_int_equal(k.last_irr & 1, 1);
    /* and back: the same chip */
    struct pic_chip c = p.chip[0];
    memset(&c, 0x5A, offsetof(struct pic_chip, icw3));
    kvm_state_pic_to_chip(&k, &c);
    struct kvm_pic_state k2;
    kvm_state_pic_from_chip(&c, &k2);
    assert_memory_equal(&k, &k2, sizeof(k));
    bus_fini(&b);
}

static void test_engine_choice(void **state)
{
    const struct vcpu_ops *ops = &uc_vcpu_ops;
    char why[160] = "";

    (void)state;
    assert_int_equal(engine_kernel_irqchip(&ops, why, sizeof(why)), -VMS_ERR_INVAL);
    assert_ptr_equal(ops, &uc_vcpu_ops);
    assert_non_null(strstr(why, "--kvm-irqchip needs the KVM engine"));
    assert_null(strchr(why, '\n'));
    ops = &kvm_vcpu_ops;
    assert_int_equal(engine_kernel_irqchip(&ops, why, sizeof(why)), 0);
    assert_ptr_equal(ops, &kvm_irqchip_vcpu_ops);
    assert_true(ops->kernel_irqchip);
    assert_false(kvm_vcpu_ops.kernel_irqchip);
    assert_false(uc_vcpu_ops.kernel_irqchip);
    assert_string_equal(ops->name, "kvm-irqchip");
    /* nothing else asks for it by name: --engine stays auto|unicorn|kvm */
    assert_null(engine_by_name("kvm-irqchip"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_routing_is_the_mp_table, setup),
        cmocka_unit_test_setup(test_routing_is_the_madt, setup),
        cmocka_unit_test_setup(test_cascade_not_routed, setup),
        cmocka_unit_test(test_routing_bounded),
        cmocka_unit_test(test_pic_bios_state),
        cmocka_unit_test(test_pic_programmed),
        cmocka_unit_test(test_engine_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
