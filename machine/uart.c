/* uart.c - NS16550A UART.
 *
 * Register and bit names follow the National Semiconductor PC16550D /
 * NS16550A datasheet ("UART with FIFOs"), section 8 "Registers".
 */
#include "uart.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Register offsets (datasheet table II). */
#define UART_RBR 0  /* receiver buffer (read, DLAB=0) */
#define UART_THR 0  /* transmitter holding (write, DLAB=0) */
#define UART_DLL 0  /* divisor latch LSB (DLAB=1) */
#define UART_IER 1  /* interrupt enable (DLAB=0) */
#define UART_DLM 1  /* divisor latch MSB (DLAB=1) */
#define UART_IIR 2  /* interrupt identification (read) */
#define UART_FCR 2  /* FIFO control (write) */
#define UART_LCR 3  /* line control */
#define UART_MCR 4  /* modem control */
#define UART_LSR 5  /* line status */
#define UART_MSR 6  /* modem status */
#define UART_SCR 7  /* scratch */
#define UART_NREGS 8

/* IER (8.5): bits 4-7 are always 0. */
#define IER_ERBFI 0x01  /* received data available */
#define IER_ETBEI 0x02  /* transmitter holding register empty */
#define IER_ELSI  0x04  /* receiver line status */
#define IER_EDSSI 0x08  /* modem status */
#define IER_MASK  0x0F

/* IIR (8.6, table IV): bit 0 = 0 means pending; bits 3:1 identify. */
#define IIR_NO_INT    0x01
#define IIR_ID_MODEM  0x00  /* priority 4: modem status */
#define IIR_ID_THRE   0x02  /* priority 3: THR empty */
#define IIR_ID_RDA    0x04  /* priority 2: received data available */
#define IIR_ID_RLS    0x06  /* priority 1 (highest): receiver line status */
#define IIR_ID_CTI    0x0C  /* priority 2: character timeout (FIFO mode) */
#define IIR_ID_MASK   0x0E
#define IIR_FIFO_ON   0xC0  /* bits 6-7 set when FCR0 = 1 */

/* FCR (8.7). */
#define FCR_ENABLE   0x01  /* FIFO enable; other bits ignored without it */
#define FCR_RX_RESET 0x02
#define FCR_TX_RESET 0x04
#define FCR_DMA_MODE 0x08
#define FCR_TRIGGER  0xC0  /* RX trigger level: 1, 4, 8, 14 bytes */
#define FCR_TRIGGER_SHIFT 6

/* LCR (8.2). */
#define LCR_WLS   0x03  /* word length: 5 + value bits */
#define LCR_STB   0x04  /* 2 stop bits (1.5 for 5-bit words) */
#define LCR_PEN   0x08  /* parity enable */
#define LCR_EPS   0x10  /* even parity */
#define LCR_STICK 0x20  /* stick parity */
#define LCR_BREAK 0x40  /* set break */
#define LCR_DLAB  0x80  /* divisor latch access */

/* MCR (8.8): bits 5-7 are always 0. */
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08  /* gates INTR on a PC; ignored here, as QEMU does */
#define MCR_LOOP 0x10  /* local loopback */
#define MCR_MASK 0x1F

/* LSR (8.4). */
#define LSR_DR   0x01  /* data ready */
#define LSR_OE   0x02  /* overrun error */
#define LSR_PE   0x04  /* parity error */
#define LSR_FE   0x08  /* framing error */
#define LSR_BI   0x10  /* break interrupt */
#define LSR_THRE 0x20  /* THR empty */
#define LSR_TEMT 0x40  /* transmitter empty */
#define LSR_RXFE 0x80  /* error in RCVR FIFO: never set, no PE/FE/BI here */
#define LSR_INT_ANY (LSR_OE | LSR_PE | LSR_FE | LSR_BI)
#define LSR_IDLE (LSR_THRE | LSR_TEMT)

/* MSR (8.9). */
#define MSR_DCTS 0x01  /* delta CTS */
#define MSR_DDSR 0x02  /* delta DSR */
#define MSR_TERI 0x04  /* trailing edge of RI */
#define MSR_DDCD 0x08  /* delta DCD */
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_DELTAS 0x0F
#define MSR_LINES_IDLE (MSR_CTS | MSR_DSR | MSR_DCD)  /* QEMU's reset value */

#define UART_CLOCK_HZ   115200u  /* 1.8432 MHz crystal / 16 */
#define UART_RESET_DIV  12u      /* 9600 baud, as QEMU resets it */
#define UART_TIMEOUT_CHARS 4u    /* 8.6: timeout after 4 character times */
#define NS_PER_SEC 1000000000ull

static const uint8_t rx_trigger[4] = { 1, 4, 8, 14 };  /* FCR bits 7:6 */

static void uart_ev(const struct uart *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void uart_ev(const struct uart *u, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dev_eventv(&u->ctx, u->name, fmt, ap);
    va_end(ap);
}

/* ---- state helpers ---- */

static bool fifo_on(const struct uart *u) { return u->fcr & FCR_ENABLE; }

static unsigned rx_capacity(const struct uart *u)
{
    return fifo_on(u) ? UART_FIFO_SIZE : 1;  /* 16450 mode: RBR alone */
}

static unsigned trigger_level(const struct uart *u)
{
    return rx_trigger[(u->fcr & FCR_TRIGGER) >> FCR_TRIGGER_SHIFT];
}

/* Nanoseconds to send @chars characters with the current LCR and divisor
 * (one division, so no rounding accumulates). */
static uint64_t chars_time_ns(const struct uart *u, uint64_t chars)
{
    uint64_t bits = 1 + 5 + (u->lcr & LCR_WLS);          /* start + data */
    uint64_t div = u->divisor ? u->divisor : 0x10000u;   /* 0: slowest */

    bits += (u->lcr & LCR_PEN) ? 1 : 0;
    bits += (u->lcr & LCR_STB) ? 2 : 1;
    return chars * bits * div * NS_PER_SEC / UART_CLOCK_HZ;
}

/* The highest-priority pending interrupt (datasheet table IV), or
 * IIR_NO_INT. */
static uint8_t pending_id(const struct uart *u)
{
    if ((u->ier & IER_ELSI) && (u->lsr & LSR_INT_ANY))
        return IIR_ID_RLS;
    if ((u->ier & IER_ERBFI) && u->rx_count) {
        if (!fifo_on(u) || u->rx_count >= trigger_level(u))
            return IIR_ID_RDA;
        if (u->timeout_ipending)
            return IIR_ID_CTI;
    }
    if ((u->ier & IER_ETBEI) && u->thr_ipending)
        return IIR_ID_THRE;
    if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
        return IIR_ID_MODEM;
    return IIR_NO_INT;
}

uint8_t uart_peek_iir(const struct uart *u)
{
    return pending_id(u) | (fifo_on(u) ? IIR_FIFO_ON : 0);
}

static void update_irq(struct uart *u)
{
    bool level = pending_id(u) != IIR_NO_INT;  /* MCR.OUT2 ignored (QEMU) */

    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

/* ---- receiver ---- */

static void timeout_fire(void *opaque, uint64_t now)
{
    struct uart *u = opaque;

    (void)now;
    u->timeout_ipending = u->rx_count > 0;
    update_irq(u);
}

/* Restart the 4-character timeout after the FIFO saw activity. */
static void timeout_restart(struct uart *u)
{
    u->timeout_ipending = false;
    if (u->ctx.clock)
        vtimer_cancel(u->ctx.clock, &u->timeout);
    if (!fifo_on(u) || u->rx_count == 0)
        return;
    if (!u->ctx.clock) {
        u->timeout_ipending = true;   /* no time: the timeout is immediate */
        return;
    }
    uint64_t t = chars_time_ns(u, UART_TIMEOUT_CHARS);
    vtimer_arm(u->ctx.clock, &u->timeout, dev_now(&u->ctx) + t);
}

static void rx_reset(struct uart *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
    u->lsr &= (uint8_t)~LSR_DR;
    timeout_restart(u);
}

/* One byte arrives on the line (or through loopback). */
static void rx_byte(struct uart *u, uint8_t byte)
{
    unsigned cap = rx_capacity(u);

    if (u->rx_count == cap && !fifo_on(u)) {
        u->rx[u->rx_head] = byte;     /* 16450: RBR overwritten (8.4 OE) */
        u->lsr |= LSR_OE;
    } else if (u->rx_count == cap) {
        u->lsr |= LSR_OE;             /* FIFO full: the new byte is lost */
    } else {
        u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
        u->rx_count++;
    }
    u->lsr |= LSR_DR;
    timeout_restart(u);
}

static uint8_t rx_pop(struct uart *u)
{
    uint8_t byte = 0;                 /* empty FIFO reads 0, as QEMU */

    if (u->rx_count) {
        byte = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
        u->rx_count--;
    }
    if (!u->rx_count)
        u->lsr &= (uint8_t)~LSR_DR;
    timeout_restart(u);
    return byte;
}

/* In loopback the serial input is disconnected (8.8): host bytes are
 * dropped, and uart_rx_room() says 0 so the host holds them back. */
void uart_rx_push(struct uart *u, const uint8_t *buf, size_t n)
{
    if (!u || !buf || (u->mcr & MCR_LOOP))
        return;
    for (size_t i = 0; i < n; i++)
        rx_byte(u, buf[i]);
    update_irq(u);
}

size_t uart_rx_room(const struct uart *u)
{
    if (!u || (u->mcr & MCR_LOOP))
        return 0;
    return rx_capacity(u) - u->rx_count;
}

/* ---- modem lines ---- */

/* MSR input bits: in loopback they follow MCR (8.8 LOOP); otherwise the
 * line looks like QEMU's: CTS, DSR and DCD asserted. */
static uint8_t msr_lines(uint8_t mcr)
{
    if (!(mcr & MCR_LOOP))
        return MSR_LINES_IDLE;
    return (uint8_t)(((mcr & MCR_RTS) ? MSR_CTS : 0) |
                     ((mcr & MCR_DTR) ? MSR_DSR : 0) |
                     ((mcr & MCR_OUT1) ? MSR_RI : 0) |
                     ((mcr & MCR_OUT2) ? MSR_DCD : 0));
}

/* Set the MSR lines to @lines, accumulating the delta bits (8.9). */
static void msr_set_lines(struct uart *u, uint8_t lines)
{
    uint8_t old = u->msr, chg = old ^ lines;

    if (chg & MSR_CTS)
        u->msr |= MSR_DCTS;
    if (chg & MSR_DSR)
        u->msr |= MSR_DDSR;
    if (chg & MSR_DCD)
        u->msr |= MSR_DDCD;
    if ((old & MSR_RI) && !(lines & MSR_RI))
        u->msr |= MSR_TERI;            /* trailing edge only */
    u->msr = (uint8_t)((u->msr & MSR_DELTAS) | lines);
}

/* ---- guest writes ---- */

static void write_thr(struct uart *u, uint8_t v)
{
    if (v >= 0x20 && v < 0x7f)
        uart_ev(u, "THR <- '%c'", v);
    else
        uart_ev(u, "THR <- 0x%02x", v);
    u->thr_ipending = false;
    if (u->mcr & MCR_LOOP)
        rx_byte(u, v);                 /* 8.8: TSR feeds RSR internally */
    else if (u->tx)
        u->tx(u->tx_opaque, v);
    u->lsr |= LSR_IDLE;                /* sent at once: THR empty again */
    u->thr_ipending = true;
}

static void write_ier(struct uart *u, uint8_t v)
{
    uint8_t old = u->ier;

    u->ier = v & IER_MASK;
    uart_ev(u, "IER <- 0x%02x%s%s%s%s", u->ier, (v & IER_ERBFI) ? " RDA" : "",
            (v & IER_ETBEI) ? " THRE" : "", (v & IER_ELSI) ? " RLS" : "",
            (v & IER_EDSSI) ? " MS" : "");
    /* Enabling ETBEI with THR empty raises THRE again (QEMU and Bochs do
     * this on the 0->1 edge; drivers toggle IER to get a fresh THRE). */
    if ((u->ier & ~old) & IER_ETBEI)
        u->thr_ipending = (u->lsr & LSR_THRE) != 0;
    else if (!(u->ier & IER_ETBEI))
        u->thr_ipending = false;
}

static void write_fcr(struct uart *u, uint8_t v)
{
    uart_ev(u, "FCR <- 0x%02x%s trigger %u%s%s", v,
            (v & FCR_ENABLE) ? " FIFO" : " no-FIFO",
            rx_trigger[(v & FCR_TRIGGER) >> FCR_TRIGGER_SHIFT],
            (v & FCR_RX_RESET) ? " rx-reset" : "",
            (v & FCR_TX_RESET) ? " tx-reset" : "");
    bool toggled = (v ^ u->fcr) & FCR_ENABLE;
    if (!(v & FCR_ENABLE)) {           /* 8.7: other bits need FCR0 = 1 */
        u->fcr = 0;
    } else {
        u->fcr = v & (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER);
    }
    if (toggled || (v & FCR_ENABLE && v & FCR_RX_RESET))
        rx_reset(u);                   /* changing FCR0 clears both FIFOs */
    if (v & FCR_TX_RESET)
        u->lsr |= LSR_IDLE;            /* nothing is ever left to send */
    timeout_restart(u);
}

static void write_lcr(struct uart *u, uint8_t v)
{
    static const char parity[8] = { 'N', 'O', 'N', 'E', 'N', 'M', 'N', 'S' };

    u->lcr = v;
    uart_ev(u, "LCR <- 0x%02x %u%c%s%s%s", v, 5u + (v & LCR_WLS),
            parity[(v & (LCR_PEN | LCR_EPS | LCR_STICK)) >> 3],
            (v & LCR_STB) ? "2" : "1", (v & LCR_BREAK) ? " break" : "",
            (v & LCR_DLAB) ? " DLAB" : "");
}

static void write_mcr(struct uart *u, uint8_t v)
{
    u->mcr = v & MCR_MASK;
    uart_ev(u, "MCR <- 0x%02x%s%s%s%s%s", v, (v & MCR_DTR) ? " DTR" : "",
            (v & MCR_RTS) ? " RTS" : "", (v & MCR_OUT1) ? " OUT1" : "",
            (v & MCR_OUT2) ? " OUT2" : "", (v & MCR_LOOP) ? " LOOP" : "");
    msr_set_lines(u, msr_lines(u->mcr));
}

static void write_divisor(struct uart *u, unsigned reg, uint8_t v)
{
    if (reg == UART_DLL)
        u->divisor = (uint16_t)((u->divisor & 0xFF00u) | v);
    else
        u->divisor = (uint16_t)((u->divisor & 0x00FFu) | (unsigned)v << 8);
    uart_ev(u, "%s <- 0x%02x (divisor %u, %u baud)",
            reg == UART_DLL ? "DLL" : "DLM", v, u->divisor,
            u->divisor ? UART_CLOCK_HZ / u->divisor : 0);
}

static void uart_write_reg(struct uart *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & LCR_DLAB;

    switch (reg) {
    case UART_THR: dlab ? write_divisor(u, reg, v) : write_thr(u, v); break;
    case UART_IER: dlab ? write_divisor(u, reg, v) : write_ier(u, v); break;
    case UART_FCR: write_fcr(u, v); break;
    case UART_LCR: write_lcr(u, v); break;
    case UART_MCR: write_mcr(u, v); break;
    case UART_LSR: uart_ev(u, "LSR <- 0x%02x (read-only, ignored)", v); break;
    case UART_MSR: uart_ev(u, "MSR <- 0x%02x (read-only, ignored)", v); break;
    case UART_SCR: u->scr = v; uart_ev(u, "SCR <- 0x%02x", v); break;
    }
    update_irq(u);
}

/* ---- guest reads ---- */

static uint8_t read_rbr(struct uart *u)
{
    uint8_t v = rx_pop(u);

    if (v >= 0x20 && v < 0x7f)
        uart_ev(u, "RBR -> '%c'", v);
    else
        uart_ev(u, "RBR -> 0x%02x", v);
    return v;
}

static uint8_t read_iir(struct uart *u)
{
    uint8_t v = uart_peek_iir(u);

    if ((v & IIR_ID_MASK) == IIR_ID_THRE && !(v & IIR_NO_INT))
        u->thr_ipending = false;       /* 8.6: reading IIR clears THRE */
    uart_ev(u, "IIR -> 0x%02x", v);
    return v;
}

static uint8_t read_lsr(struct uart *u)
{
    uint8_t v = u->lsr;

    u->lsr &= (uint8_t)~LSR_INT_ANY;   /* 8.4: OE, PE, FE, BI clear on read */
    if (v != LSR_IDLE)                 /* idle polls would flood the stream */
        uart_ev(u, "LSR -> 0x%02x", v);
    return v;
}

static uint8_t read_msr(struct uart *u)
{
    uint8_t v = u->msr;

    u->msr &= (uint8_t)~MSR_DELTAS;    /* 8.9: deltas cleared by read */
    if (v & MSR_DELTAS)
        uart_ev(u, "MSR -> 0x%02x", v);
    return v;
}

static uint8_t uart_read_reg(struct uart *u, unsigned reg)
{
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t v = 0;

    switch (reg) {
    case UART_RBR: v = dlab ? (uint8_t)u->divisor : read_rbr(u); break;
    case UART_IER: v = dlab ? (uint8_t)(u->divisor >> 8) : u->ier; break;
    case UART_IIR: v = read_iir(u); break;
    case UART_LCR: v = u->lcr; break;
    case UART_MCR: v = u->mcr; break;
    case UART_LSR: v = read_lsr(u); break;
    case UART_MSR: v = read_msr(u); break;
    case UART_SCR: v = u->scr; break;
    }
    update_irq(u);
    return v;
}

/* ---- bus glue: wider accesses touch consecutive registers ---- */

static uint64_t uart_bus_read(void *opaque, uint64_t offset, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size && offset + i < UART_NREGS; i++)
        v |= (uint64_t)uart_read_reg(opaque, (unsigned)(offset + i)) << (8 * i);
    return v;
}

static void uart_bus_write(void *opaque, uint64_t offset, unsigned size,
                           uint64_t value)
{
    for (unsigned i = 0; i < size && offset + i < UART_NREGS; i++)
        uart_write_reg(opaque, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
}

static const struct bus_dev_ops uart_ops = {
    .read = uart_bus_read,    /* RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR */
    .write = uart_bus_write,  /* THR, IER, FCR, LCR, MCR, SCR (+DLL/DLM) */
};

/* ---- life cycle ---- */

int uart_init(struct uart *u, const char *name, const struct dev_ctx *ctx,
              struct irq_line irq, void (*tx)(void *opaque, uint8_t byte),
              void *tx_opaque)
{
    if (!u || !name)
        return -VMS_ERR_INVAL;
    memset(u, 0, sizeof(*u));
    snprintf(u->name, sizeof(u->name), "%s", name);
    if (ctx)
        u->ctx = *ctx;
    u->irq = irq;
    u->tx = tx;
    u->tx_opaque = tx_opaque;
    u->lsr = LSR_IDLE;
    u->mcr = MCR_OUT2;                 /* QEMU's reset value */
    u->msr = MSR_LINES_IDLE;
    u->divisor = UART_RESET_DIV;
    vtimer_init(&u->timeout, timeout_fire, u);
    return 0;
}

int uart_attach(struct uart *u, struct bus *b, uint16_t base)
{
    if (!u || !b)
        return -VMS_ERR_INVAL;
    return bus_map(b, BUS_PIO, base, UART_NREGS, &uart_ops, u, u->name);
}

void uart_destroy(struct uart *u)
{
    if (u && u->ctx.clock)
        vtimer_cancel(u->ctx.clock, &u->timeout);
}
