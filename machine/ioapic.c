/* ioapic.c - 82093AA I/O APIC (see ioapic.h). */
#include "ioapic.h"

#include <stdarg.h>
#include <string.h>

#include "memmap.h"

#define IOREGSEL 0x00
#define IOWIN    0x10
#define IOAPIC_ID_MASK   0x0F000000u   /* IOAPICID bits 27:24 */
/* Writable bits of an entry: vector, delivery mode, destination mode,
 * polarity, trigger, mask (low half); destination (high half). */
#define REDIR_LO_WRITABLE 0x0001AFFFull
#define REDIR_HI_WRITABLE 0xFF00000000000000ull

static const char *const dm_names[8] = {
    "fixed", "lowest", "SMI", "dm3", "NMI", "INIT", "dm6", "ExtINT",
};

static void io_event(const struct ioapic *io, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void io_event(const struct ioapic *io, const char *fmt, ...)
{
    va_list ap;

    if (!io->ctx.ev)
        return;
    va_start(ap, fmt);
    dev_eventv(&io->ctx, "ioapic", fmt, ap);
    va_end(ap);
}

int ioapic_init(struct ioapic *io, const struct dev_ctx *ctx, struct apic_bus *bus)
{
    memset(io, 0, sizeof(*io));
    if (ctx)
        io->ctx = *ctx;
    io->bus = bus;
    for (int i = 0; i < IOAPIC_PINS; i++)
        io->redir[i] = IOAPIC_MASKED;
    return 0;
}

static const struct bus_dev_ops ioapic_ops = { .read = ioapic_read, .write = ioapic_write };

int ioapic_attach(struct ioapic *io, struct bus *b)
{
    return bus_map(b, BUS_MMIO, MM_IOAPIC_BASE, IOAPIC_MMIO_SIZE, &ioapic_ops, io, "ioapic");
}

void ioapic_destroy(struct ioapic *io)
{
    (void)io;
}

/* Is @pin asserted, honouring the entry's polarity? */
static bool asserted(const struct ioapic *io, int pin)
{
    bool high = (io->pin_level >> pin) & 1;
    return (io->redir[pin] & IOAPIC_POLARITY_LOW) ? !high : high;
}

/* Send entry @pin's message to the local APICs. */
static void send(struct ioapic *io, int pin)
{
    uint64_t e = io->redir[pin];
    struct apic_msg m = {
        .vector = (uint8_t)(e & IOAPIC_VECTOR),
        .mode = (uint8_t)((e >> IOAPIC_DM_SHIFT) & 7),
        .dest = (uint8_t)(e >> IOAPIC_DEST_SHIFT),
        .shorthand = APIC_SH_NONE,
        .logical = (e & IOAPIC_DEST_LOGICAL) != 0,
        .level = (e & IOAPIC_LEVEL) != 0,
        .assert = true,
        .source = -1,
    };

    if (m.level)
        io->redir[pin] |= IOAPIC_REMOTE_IRR;
    io->delivered[pin]++;
    io_event(io, "pin %d -> %s vector %#04x dest %s%#04x%s", pin, dm_names[m.mode],
             m.vector, m.logical ? "logical " : "", m.dest, m.level ? " level" : "");
    if (io->bus)
        apic_bus_deliver(io->bus, &m);
}

/* A level pin that is asserted, unmasked and not in service is sent. */
static void service_level(struct ioapic *io, int pin)
{
    uint64_t e = io->redir[pin];

    if ((e & IOAPIC_LEVEL) && !(e & (IOAPIC_MASKED | IOAPIC_REMOTE_IRR)) && asserted(io, pin))
        send(io, pin);
}

void ioapic_set_irq(void *opaque, int pin, int level)
{
    struct ioapic *io = opaque;

    if (pin < 0 || pin >= IOAPIC_PINS)
        return;
    bool was = asserted(io, pin);
    if (level)
        io->pin_level |= 1u << pin;
    else
        io->pin_level &= ~(1u << pin);
    uint64_t e = io->redir[pin];
    if (e & IOAPIC_LEVEL)
        service_level(io, pin);
    else if (!was && asserted(io, pin) && !(e & IOAPIC_MASKED))
        send(io, pin);   /* edge: a masked pin's edge is lost */
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = io->redir[pin];
        if ((e & IOAPIC_REMOTE_IRR) && (e & IOAPIC_VECTOR) == vector) {
            io->redir[pin] &= ~IOAPIC_REMOTE_IRR;
            service_level(io, pin);
        }
    }
}

/* ---- registers ---- */

static uint32_t read_reg(const struct ioapic *io, unsigned idx)
{
    switch (idx) {
    case IOAPIC_REG_ID:  return io->id;
    case IOAPIC_REG_VER: return IOAPIC_VERSION;
    case IOAPIC_REG_ARB: return io->id;   /* arbitration ID = ID after reset */
    default: break;
    }
    if (idx >= IOAPIC_REG_REDIR && idx < IOAPIC_REG_REDIR + 2 * IOAPIC_PINS) {
        uint64_t e = io->redir[(idx - IOAPIC_REG_REDIR) / 2];
        return (idx & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0;   /* unimplemented register index */
}

static void write_redir(struct ioapic *io, unsigned idx, uint32_t v)
{
    int pin = (int)(idx - IOAPIC_REG_REDIR) / 2;
    uint64_t e = io->redir[pin];

    if (idx & 1)
        e = (e & ~REDIR_HI_WRITABLE) | (((uint64_t)v << 32) & REDIR_HI_WRITABLE);
    else
        e = (e & ~REDIR_LO_WRITABLE) | (v & REDIR_LO_WRITABLE);
    if (!(e & IOAPIC_LEVEL))
        e &= ~IOAPIC_REMOTE_IRR;   /* remote IRR is undefined for edge entries */
    io->redir[pin] = e;
    io_event(io, "redir[%d] <- %016llx (%s vector %#04x dest %#04x%s%s)", pin,
             (unsigned long long)e, dm_names[(e >> IOAPIC_DM_SHIFT) & 7],
             (unsigned)(e & IOAPIC_VECTOR), (unsigned)(e >> IOAPIC_DEST_SHIFT),
             (e & IOAPIC_LEVEL) ? " level" : " edge", (e & IOAPIC_MASKED) ? " masked" : "");
    service_level(io, pin);   /* unmasking an asserted level pin sends it */
}

static void write_reg(struct ioapic *io, unsigned idx, uint32_t v)
{
    if (idx == IOAPIC_REG_ID) {
        io->id = v & IOAPIC_ID_MASK;
        io_event(io, "ID <- %u", io->id >> 24);
    } else if (idx >= IOAPIC_REG_REDIR && idx < IOAPIC_REG_REDIR + 2 * IOAPIC_PINS) {
        write_redir(io, idx, v);
    }   /* VER, ARB and unimplemented indexes are read-only */
}

uint64_t ioapic_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ioapic *io = opaque;
    uint32_t v;

    if (offset == IOREGSEL)
        v = io->regsel;
    else if (offset == IOWIN)
        v = read_reg(io, io->regsel);
    else
        return 0;   /* only the two registers are decoded */
    return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void ioapic_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct ioapic *io = opaque;

    if (offset == IOREGSEL)
        io->regsel = (uint8_t)value;   /* a byte write is enough for IOREGSEL */
    else if (offset == IOWIN && size >= 4)
        write_reg(io, io->regsel, (uint32_t)value);   /* IOWIN: 32-bit only */
}
