/* pic.c - two cascaded Intel 8259A PICs plus the PIIX ELCR.
 *
 * Section numbers refer to the Intel 8259A datasheet (231468):
 * "Programming the 8259A" (ICW1-ICW4, OCW1-OCW3), "Interrupt Sequence",
 * "The Special Fully Nested Mode", "Poll Command", "Edge and Level
 * Triggered Modes".  The ELCR is from the Intel 82371 PIIX datasheet.
 */
#include "pic.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "memmap.h"

#define PIC_MASTER 0
#define PIC_SLAVE  1
#define PIC_CMD    0          /* A0 = 0: ICW1, OCW2, OCW3; IRR/ISR/poll */
#define PIC_DATA   1          /* A0 = 1: ICW2-4, OCW1 (IMR) */
#define PIC_NPORTS 2
#define ELCR_NPORTS 2

/* ICW1 (A0 = 0, D4 = 1). */
#define ICW1_SEL   0x10       /* D4: this is ICW1 */
#define ICW1_IC4   0x01       /* ICW4 will follow */
#define ICW1_SNGL  0x02       /* single 8259, no ICW3 */
#define ICW1_LTIM  0x08       /* level-triggered inputs */
/* ICW4. */
#define ICW4_UPM   0x01       /* 8086/8088 mode (0: MCS-80/85) */
#define ICW4_AEOI  0x02       /* automatic end of interrupt */
#define ICW4_BUF   0x0C       /* buffered mode, master/slave (ignored) */
#define ICW4_SFNM  0x10       /* special fully nested mode */
#define ICW2_VECTOR_MASK 0xF8 /* T7-T3; the IR number fills bits 2-0 */
/* OCW2 (A0 = 0, D4 = D3 = 0): R SL EOI in bits 7-5, level in 2-0. */
#define OCW2_CMD_SHIFT 5
#define OCW2_LEVEL 0x07
enum ocw2_cmd {
    OCW2_CLR_ROTATE_AEOI = 0, OCW2_EOI = 1, OCW2_NOP = 2, OCW2_SEOI = 3,
    OCW2_SET_ROTATE_AEOI = 4, OCW2_ROTATE_EOI = 5, OCW2_SET_PRIO = 6,
    OCW2_ROTATE_SEOI = 7,
};
/* OCW3 (A0 = 0, D4 = 0, D3 = 1). */
#define OCW3_SEL   0x08
#define OCW3_RIS   0x01       /* with RR: 1 = read ISR, 0 = read IRR */
#define OCW3_RR    0x02       /* read register command */
#define OCW3_P     0x04       /* poll command */
#define OCW3_SMM   0x20       /* special mask mode (with ESMM) */
#define OCW3_ESMM  0x40       /* enable the SMM bit */
#define POLL_INT   0x80       /* poll word: I = 1 when a request was found */

#define PIC_NO_IRQ     (-1)
#define PIC_PRIO_NONE  8      /* chip_priority(): nothing set */
#define PIC_SPURIOUS_IR 7     /* "Interrupt Sequence": default IR7 */
#define ELCR_MASK_MASTER 0xF8 /* PIIX: IRQ0-2 are always edge */
#define ELCR_MASK_SLAVE  0xDE /* PIIX: IRQ8 and IRQ13 are always edge */

/* SeaBIOS hand-off state (see pic.h). */
#define BIOS_VECTOR_MASTER 0x08
#define BIOS_VECTOR_SLAVE  0x70
#define BIOS_IMR_MASTER    0xFB   /* everything but the cascade masked */
#define BIOS_IMR_SLAVE     0xFF
#define CASCADE_SLAVE_ID   IRQ_CASCADE

static const char *const chip_name[2] = { "pic1", "pic2" };

static void pic_ev(const struct pic *p, const char *dev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pic_ev(const struct pic *p, const char *dev, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dev_eventv(&p->ctx, dev, fmt, ap);
    va_end(ap);
}

/* ---- priority resolution ---- */

/* Priority (0 = highest) of the best bit in @mask under the current
 * rotation, or PIC_PRIO_NONE. */
static int chip_priority(const struct pic_chip *c, uint8_t mask)
{
    if (!mask)
        return PIC_PRIO_NONE;
    int prio = 0;
    while (!(mask & (1u << ((prio + c->priority_add) & 7))))
        prio++;
    return prio;
}

/* The IR the chip would signal now, or PIC_NO_IRQ.  Requests are served
 * only above the highest level in service, except: special mask mode
 * ignores masked in-service levels; SFNM on the master lets the slave
 * interrupt again while IR2 is in service ("Special Fully Nested Mode"). */
static int chip_get_irq(const struct pic_chip *c)
{
    int prio = chip_priority(c, c->irr & (uint8_t)~c->imr);

    if (prio == PIC_PRIO_NONE)
        return PIC_NO_IRQ;
    uint8_t in_service = c->isr;
    if (c->special_mask)
        in_service &= (uint8_t)~c->imr;
    if (c->sfnm && c->master)
        in_service &= (uint8_t)~(1u << IRQ_CASCADE);
    if (prio >= chip_priority(c, in_service))
        return PIC_NO_IRQ;
    return (prio + c->priority_add) & 7;
}

static bool chip_is_level(const struct pic_chip *c, int ir)
{
    return c->ltim || (c->elcr & (1u << ir));
}

/* An input line changed ("Edge and Level Triggered Modes"). */
static void chip_input(struct pic_chip *c, int ir, int level)
{
    uint8_t bit = (uint8_t)(1u << ir);

    if (chip_is_level(c, ir))
        c->irr = level ? (c->irr | bit) : (c->irr & (uint8_t)~bit);
    else if (level && !(c->level & bit))
        c->irr |= bit;                 /* rising edge latches until INTA */
    c->level = level ? (c->level | bit) : (c->level & (uint8_t)~bit);
}

/* Recompute the cascade (slave INT -> master IR2) and INTR. */
static void pic_update(struct pic *p)
{
    int slave_out = chip_get_irq(&p->chip[PIC_SLAVE]) != PIC_NO_IRQ;

    chip_input(&p->chip[PIC_MASTER], IRQ_CASCADE, slave_out);
    bool intr = chip_get_irq(&p->chip[PIC_MASTER]) != PIC_NO_IRQ;
    if (intr != p->intr_level) {
        p->intr_level = intr;
        irq_set(&p->intr, intr);
    }
}

/* ---- the INTA cycle ---- */

/* INTA on one chip for @ir: set ISR (unless AEOI), clear an edge request. */
static void chip_intack(struct pic_chip *c, int ir)
{
    if (c->auto_eoi) {
        if (c->rotate_aeoi)
            c->priority_add = (uint8_t)((ir + 1) & 7);
    } else {
        c->isr |= (uint8_t)(1u << ir);
    }
    if (!chip_is_level(c, ir))
        c->irr &= (uint8_t)~(1u << ir);  /* a level request stays while high */
}

/* Slave part of a cascaded INTA: its vector, IR15 if nothing is left. */
static int slave_ack(struct pic *p, int *irq_out, bool *spurious)
{
    struct pic_chip *s = &p->chip[PIC_SLAVE];
    int ir = chip_get_irq(s);

    *spurious = ir == PIC_NO_IRQ;
    if (*spurious)
        ir = PIC_SPURIOUS_IR;          /* spurious on the slave */
    else
        chip_intack(s, ir);
    *irq_out = 8 + ir;
    return s->vector_base + ir;
}

int pic_ack(struct pic *p)
{
    struct pic_chip *m = &p->chip[PIC_MASTER];
    int ir = chip_get_irq(m), irq, vec;
    bool spurious = ir == PIC_NO_IRQ;

    if (spurious) {
        irq = PIC_SPURIOUS_IR;         /* request vanished: no ISR bit set */
        vec = m->vector_base + PIC_SPURIOUS_IR;
    } else if (ir == IRQ_CASCADE) {
        vec = slave_ack(p, &irq, &spurious);
        chip_intack(m, ir);            /* master IR2 in service even so */
    } else {
        irq = ir;
        vec = m->vector_base + ir;
        chip_intack(m, ir);
    }
    pic_ev(p, "pic", "INTA IRQ%d -> vector 0x%02x%s", irq, vec,
           spurious ? " (spurious)" : "");
    pic_update(p);
    return vec;
}

bool pic_pending(const struct pic *p)
{
    return p && chip_get_irq(&p->chip[PIC_MASTER]) != PIC_NO_IRQ;
}

void pic_set_irq(void *opaque, int pin, int level)
{
    struct pic *p = opaque;

    if (!p || pin < 0 || pin >= PIC_PINS || pin == IRQ_CASCADE)
        return;
    struct pic_chip *c = &p->chip[pin >> 3];
    uint8_t before = c->irr;
    chip_input(c, pin & 7, level != 0);
    if ((c->irr & ~before) & (1u << (pin & 7)))
        pic_ev(p, chip_name[pin >> 3], "IRQ%d request%s", pin,
               (c->imr & (1u << (pin & 7))) ? " (masked)" : "");
    pic_update(p);
}

/* ---- command port: ICW1, OCW2, OCW3 ---- */

static void write_icw1(struct pic *p, struct pic_chip *c, uint8_t v)
{
    /* "Initialization Command Words": edge sense reset, IMR cleared, IR7
     * lowest priority, special mask cleared, IRR selected for reading,
     * ICW4 functions zero unless IC4.  (ISR cleared too, as QEMU does.) */
    c->level = 0;
    c->irr &= c->elcr;
    c->imr = c->isr = 0;
    c->priority_add = 0;
    c->special_mask = c->read_isr = c->poll = false;
    c->auto_eoi = c->rotate_aeoi = c->sfnm = false;
    c->icw4_needed = v & ICW1_IC4;
    c->single = v & ICW1_SNGL;
    c->ltim = v & ICW1_LTIM;
    c->init_step = 2;
    pic_ev(p, chip_name[!c->master], "ICW1 <- 0x%02x%s%s%s", v,
           c->ltim ? " level" : " edge", c->single ? " single" : " cascade",
           c->icw4_needed ? " ICW4" : "");
}

/* Non-specific EOI: clear the highest-priority ISR bit. */
static int eoi_highest(struct pic_chip *c)
{
    int prio = chip_priority(c, c->isr);

    if (prio == PIC_PRIO_NONE)
        return PIC_NO_IRQ;
    int ir = (prio + c->priority_add) & 7;
    c->isr &= (uint8_t)~(1u << ir);
    return ir;
}

static void write_ocw2(struct pic *p, struct pic_chip *c, uint8_t v)
{
    static const char *const what[8] = {
        "clear rotate-AEOI", "EOI", "no-op", "specific EOI",
        "set rotate-AEOI", "rotate EOI", "set priority", "rotate specific EOI",
    };
    int cmd = v >> OCW2_CMD_SHIFT, level = v & OCW2_LEVEL, ir = level;

    switch (cmd) {
    case OCW2_CLR_ROTATE_AEOI: c->rotate_aeoi = false; break;
    case OCW2_SET_ROTATE_AEOI: c->rotate_aeoi = true; break;
    case OCW2_EOI: ir = eoi_highest(c); break;
    case OCW2_ROTATE_EOI:
        ir = eoi_highest(c);
        if (ir != PIC_NO_IRQ)
            c->priority_add = (uint8_t)((ir + 1) & 7);  /* served IR lowest */
        break;
    case OCW2_SEOI: c->isr &= (uint8_t)~(1u << level); break;
    case OCW2_ROTATE_SEOI: c->isr &= (uint8_t)~(1u << level); /* fall through */
    case OCW2_SET_PRIO: c->priority_add = (uint8_t)((level + 1) & 7); break;
    default: break;
    }
    pic_ev(p, chip_name[!c->master], "OCW2 <- 0x%02x %s (IR%d)", v, what[cmd], ir);
}

static void write_ocw3(struct pic *p, struct pic_chip *c, uint8_t v)
{
    if (v & OCW3_P)
        c->poll = true;
    if (v & OCW3_RR)
        c->read_isr = v & OCW3_RIS;
    if (v & OCW3_ESMM)
        c->special_mask = v & OCW3_SMM;
    pic_ev(p, chip_name[!c->master], "OCW3 <- 0x%02x%s%s%s", v,
           (v & OCW3_P) ? " poll" : "",
           (v & OCW3_RR) ? ((v & OCW3_RIS) ? " read-ISR" : " read-IRR") : "",
           (v & OCW3_ESMM) ? ((v & OCW3_SMM) ? " SMM-on" : " SMM-off") : "");
}

/* ---- data port: ICW2-ICW4, OCW1 ---- */

static void write_data(struct pic *p, struct pic_chip *c, uint8_t v)
{
    const char *dev = chip_name[!c->master];

    switch (c->init_step) {
    case 2:
        c->vector_base = v & ICW2_VECTOR_MASK;
        c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
        pic_ev(p, dev, "ICW2 <- 0x%02x (vectors 0x%02x-0x%02x)", v,
               c->vector_base, c->vector_base + 7);
        break;
    case 3:
        c->icw3 = v;                   /* cascade is wired on IR2 anyway */
        c->init_step = c->icw4_needed ? 4 : 0;
        pic_ev(p, dev, "ICW3 <- 0x%02x", v);
        break;
    case 4:
        c->auto_eoi = v & ICW4_AEOI;
        c->sfnm = v & ICW4_SFNM;
        c->init_step = 0;
        pic_ev(p, dev, "ICW4 <- 0x%02x%s%s%s", v,
               (v & ICW4_UPM) ? " 8086" : " MCS-80(as 8086)",
               c->auto_eoi ? " AEOI" : "", c->sfnm ? " SFNM" : "");
        break;
    default:
        c->imr = v;
        pic_ev(p, dev, "IMR <- 0x%02x", v);
        break;
    }
}

static void chip_write(struct pic *p, struct pic_chip *c, unsigned port, uint8_t v)
{
    if (port == PIC_DATA)
        write_data(p, c, v);
    else if (v & ICW1_SEL)
        write_icw1(p, c, v);
    else if (v & OCW3_SEL)
        write_ocw3(p, c, v);
    else
        write_ocw2(p, c, v);
    pic_update(p);
}

/* Poll command: the next read acts as INTA on this chip alone. */
static uint8_t chip_poll(struct pic_chip *c)
{
    int ir = chip_get_irq(c);

    c->poll = false;
    if (ir == PIC_NO_IRQ)
        return 0;
    chip_intack(c, ir);
    return (uint8_t)(POLL_INT | ir);
}

static uint8_t chip_read(struct pic *p, struct pic_chip *c, unsigned port)
{
    const char *dev = chip_name[!c->master];
    uint8_t v;

    if (c->poll) {                     /* either port, as QEMU */
        v = chip_poll(c);
        pic_ev(p, dev, "poll -> 0x%02x", v);
        pic_update(p);
    } else if (port == PIC_DATA) {
        v = c->imr;
        pic_ev(p, dev, "IMR -> 0x%02x", v);
    } else {
        v = c->read_isr ? c->isr : c->irr;
        pic_ev(p, dev, "%s -> 0x%02x", c->read_isr ? "ISR" : "IRR", v);
    }
    return v;
}

/* ---- bus glue ---- */

static struct pic *chip_owner(struct pic_chip *c)
{
    if (c->master)
        return (struct pic *)((char *)c - offsetof(struct pic, chip[0]));
    return (struct pic *)((char *)c - offsetof(struct pic, chip[1]));
}

static uint64_t pic_bus_read(void *opaque, uint64_t offset, unsigned size)
{
    struct pic_chip *c = opaque;
    uint64_t v = 0;

    for (unsigned i = 0; i < size && offset + i < PIC_NPORTS; i++)
        v |= (uint64_t)chip_read(chip_owner(c), c, (unsigned)(offset + i)) << (8 * i);
    return v;
}

static void pic_bus_write(void *opaque, uint64_t offset, unsigned size,
                          uint64_t value)
{
    struct pic_chip *c = opaque;

    for (unsigned i = 0; i < size && offset + i < PIC_NPORTS; i++)
        chip_write(chip_owner(c), c, (unsigned)(offset + i),
                   (uint8_t)(value >> (8 * i)));
}

static const struct bus_dev_ops pic_ops = {
    .read = pic_bus_read,    /* IRR/ISR/poll word, IMR */
    .write = pic_bus_write,  /* ICW1/OCW2/OCW3, ICW2-4/OCW1 */
};

static uint64_t elcr_read(void *opaque, uint64_t offset, unsigned size)
{
    struct pic *p = opaque;
    uint64_t v = 0;

    for (unsigned i = 0; i < size && offset + i < ELCR_NPORTS; i++)
        v |= (uint64_t)p->chip[offset + i].elcr << (8 * i);
    return v;
}

static void elcr_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct pic *p = opaque;

    for (unsigned i = 0; i < size && offset + i < ELCR_NPORTS; i++) {
        struct pic_chip *c = &p->chip[offset + i];
        c->elcr = (uint8_t)(value >> (8 * i)) & c->elcr_mask;
        c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->level & c->elcr));
        pic_ev(p, "elcr", "ELCR%u <- 0x%02x (1 = level)",
               (unsigned)(offset + i), c->elcr);
    }
    pic_update(p);
}

static const struct bus_dev_ops elcr_ops = {
    .read = elcr_read,    /* 0x4D0: IRQ0-7, 0x4D1: IRQ8-15; 1 = level */
    .write = elcr_write,
};

/* ---- life cycle ---- */

static void chip_bios_state(struct pic_chip *c, bool master)
{
    memset(c, 0, sizeof(*c));
    c->master = master;
    c->vector_base = master ? BIOS_VECTOR_MASTER : BIOS_VECTOR_SLAVE;
    c->imr = master ? BIOS_IMR_MASTER : BIOS_IMR_SLAVE;
    c->icw3 = master ? (1u << IRQ_CASCADE) : CASCADE_SLAVE_ID;
    c->icw4_needed = true;
    c->elcr_mask = master ? ELCR_MASK_MASTER : ELCR_MASK_SLAVE;
}

int pic_init(struct pic *p, const struct dev_ctx *ctx, struct irq_line intr_out)
{
    if (!p)
        return -VMS_ERR_INVAL;
    memset(p, 0, sizeof(*p));
    if (ctx)
        p->ctx = *ctx;
    p->intr = intr_out;
    chip_bios_state(&p->chip[PIC_MASTER], true);
    chip_bios_state(&p->chip[PIC_SLAVE], false);
    return 0;
}

int pic_attach(struct pic *p, struct bus *b)
{
    int err;

    if (!p || !b)
        return -VMS_ERR_INVAL;
    err = bus_map(b, BUS_PIO, PORT_PIC1, PIC_NPORTS, &pic_ops,
                  &p->chip[PIC_MASTER], chip_name[PIC_MASTER]);
    if (!err)
        err = bus_map(b, BUS_PIO, PORT_PIC2, PIC_NPORTS, &pic_ops,
                      &p->chip[PIC_SLAVE], chip_name[PIC_SLAVE]);
    if (!err)
        err = bus_map(b, BUS_PIO, PORT_ELCR, ELCR_NPORTS, &elcr_ops, p, "elcr");
    return err;
}

void pic_destroy(struct pic *p)
{
    (void)p;
}
