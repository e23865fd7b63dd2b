/* uart.h - NS16550A UART (COM1 at 0x3F8, IRQ 4 on a PC).
 *
 * Registers (offset from base; NS16550A datasheet, table II):
 *   0 RBR (read) / THR (write) / DLL (LCR.DLAB=1)
 *   1 IER / DLM (LCR.DLAB=1)
 *   2 IIR (read) / FCR (write)
 *   3 LCR   4 MCR   5 LSR   6 MSR   7 SCR
 *
 * Transmission is instantaneous: a THR write hands the byte to tx() at once
 * and LSR.THRE|TEMT stay set.  Received bytes come from uart_rx_push() (the
 * host console) into a 16-byte FIFO (1 byte in 16450 mode); a byte that
 * finds no room sets LSR.OE and is lost.  uart_rx_room() lets the host hold
 * input back instead, as QEMU's chardev flow control does.
 *
 * The IRQ line is driven high while any enabled interrupt is pending,
 * whatever MCR.OUT2 says.  (On a real PC, OUT2 gates the IRQ onto the ISA
 * bus; QEMU ignores it and teaching kernels rely on that, so we follow
 * QEMU.)  Reset values follow QEMU too: MCR = OUT2, divisor 12 (9600 baud),
 * MSR shows CTS|DSR|DCD asserted.
 *
 * The character-timeout interrupt (FIFO mode, fewer bytes than the trigger
 * level waiting for 4 character times) uses the virtual clock; without a
 * clock it is pending as soon as data sits below the trigger level.
 */
#ifndef VMS_UART_H
#define VMS_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "irq.h"
#include "vclock.h"

#define UART_FIFO_SIZE 16u   /* NS16550A: 16-byte receive and transmit FIFOs */
#define UART_NAME_MAX  16u

struct uart {
    char name[UART_NAME_MAX];            /* "uart0": events and bus range */
    struct dev_ctx ctx;                  /* copy; ev and clock may be NULL */
    struct irq_line irq;
    void (*tx)(void *opaque, uint8_t byte);  /* may be NULL: bytes dropped */
    void *tx_opaque;

    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
    uint16_t divisor;                    /* DLM:DLL */
    uint8_t rx[UART_FIFO_SIZE];          /* receive FIFO, ring */
    unsigned rx_head, rx_count;
    bool thr_ipending;                   /* THRE interrupt not yet reported */
    bool timeout_ipending;               /* character timeout elapsed */
    bool irq_level;                      /* level last driven on @irq */
    struct vtimer timeout;               /* character timeout */
};

/* Reset @u to its power-on state.  @name is copied (truncated); @ctx is
 * copied and may be NULL.  Nothing is driven on @irq until an access.
 * -VMS_ERR_INVAL for a NULL @u or @name. */
int uart_init(struct uart *u, const char *name, const struct dev_ctx *ctx,
              struct irq_line irq, void (*tx)(void *opaque, uint8_t byte),
              void *tx_opaque) VMS_MUST_CHECK;
/* Map 8 ports at @base (BUS_PIO) under the UART's name. */
int uart_attach(struct uart *u, struct bus *b, uint16_t base) VMS_MUST_CHECK;
/* Cancel the timeout timer.  @u may be NULL.  Does not unmap. */
void uart_destroy(struct uart *u);

/* Host input: receive @n bytes as if they arrived on the serial line. */
void uart_rx_push(struct uart *u, const uint8_t *buf, size_t n);
/* Bytes the receiver can take now without an overrun. */
size_t uart_rx_room(const struct uart *u);

/* The register file as the guest would read it, without side effects
 * (for the device view). */
uint8_t uart_peek_iir(const struct uart *u);

#endif
