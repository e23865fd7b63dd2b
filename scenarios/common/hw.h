/* hw.h - the PC hardware the scenario guests drive themselves.
 *
 * Shared by the 32-bit (protected) and 64-bit (longmode) guests.  vmscope
 * starts a guest with NO BIOS: nothing is initialised for it, so every guest
 * programs the UART, the 8259 PICs and the 8254 PIT itself, exactly as below,
 * and its output is then the same under QEMU (where SeaBIOS ran first) and
 * under vmscope.  The port numbers are those of machine/memmap.h.
 */
#ifndef SCN_HW_H
#define SCN_HW_H

#include <stdint.h>

/* ---- port I/O (Intel SDM Vol. 2: IN, OUT) ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* ---- 16550A UART, COM1 (PC16550D data sheet) ---- */
#define COM1            0x3F8
#define UART_THR        0   /* transmit holding register (write, DLAB=0) */
#define UART_DLL        0   /* divisor latch low  (DLAB=1) */
#define UART_IER        1   /* interrupt enable (DLAB=0) */
#define UART_DLM        1   /* divisor latch high (DLAB=1) */
#define UART_FCR        2   /* FIFO control (write) */
#define UART_LCR        3   /* line control */
#define UART_MCR        4   /* modem control */
#define UART_LSR        5   /* line status */
#define UART_LCR_8N1    0x03 /* 8 data bits, no parity, 1 stop bit */
#define UART_LCR_DLAB   0x80 /* divisor latch access bit */
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLR_RX 0x02
#define UART_FCR_CLR_TX 0x04
#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_LSR_THRE   0x20 /* transmit holding register empty */
#define UART_DIV_115200 1    /* 1.8432 MHz / 16 / 115200 */

/* ---- 8259A PIC pair (8259A data sheet: ICW1-ICW4, OCW1-OCW2) ---- */
#define PIC1_CMD        0x20
#define PIC1_DATA       0x21
#define PIC2_CMD        0xA0
#define PIC2_DATA       0xA1
#define ICW1_ICW4       0x01 /* ICW4 will follow */
#define ICW1_INIT       0x10 /* start initialisation (edge triggered, cascade) */
#define ICW3_MASTER_IR2 0x04 /* master: a slave hangs on IR2 (bit mask) */
#define ICW3_SLAVE_ID2  0x02 /* slave: my cascade identity is 2 */
#define ICW4_8086       0x01 /* 8086/88 mode (not MCS-80/85) */
#define OCW2_EOI        0x20 /* non-specific end of interrupt */
#define PIC1_VECTOR     0x20 /* IRQ0-7  -> vectors 0x20-0x27 */
#define PIC2_VECTOR     0x28 /* IRQ8-15 -> vectors 0x28-0x2F */
#define IRQ0_TIMER      0    /* PIT counter 0 is wired to IRQ0 */

/* ---- 8254 PIT (8254 data sheet) ---- */
#define PIT_CH0         0x40
#define PIT_CTRL        0x43
#define PIT_HZ          1193182u
#define PIT_SEL_CH0     0x00 /* bits 7-6: counter 0 */
#define PIT_RW_LOHI     0x30 /* bits 5-4: low byte then high byte */
#define PIT_MODE2       0x04 /* bits 3-1: mode 2, rate generator */
#define PIT_BINARY      0x00 /* bit 0: binary (not BCD) count */

/* ---- QEMU isa-debug-exit: a write of v ends the machine, status (v<<1)|1 */
#define DEBUG_EXIT_PORT 0xF4
#define EXIT_OK         0x10 /* -> process exit status 33 */
#define EXIT_FAIL       0x7F /* -> process exit status 255 */

/* uart.c / kprintf.c */
void uart_init(void);
void uart_putc(char c);
void kputs(const char *s);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pic_init(uint8_t mask1, uint8_t mask2);
void pic_eoi(int irq);
void pit_init(unsigned hz);
__attribute__((noreturn)) void debug_exit(uint8_t v);

#endif
