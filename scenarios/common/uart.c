/* uart.c - the devices every scenario programs itself: UART, PIC, PIT, and
 * the debug-exit port.  Built once with -m32 and once with -m64. */
#include "hw.h"

void uart_init(void)
{
	outb(COM1 + UART_IER, 0x00);              /* no UART interrupts: we poll */
	outb(COM1 + UART_LCR, UART_LCR_DLAB);     /* DLAB=1: 0/1 are the divisor */
	outb(COM1 + UART_DLL, UART_DIV_115200);
	outb(COM1 + UART_DLM, 0x00);
	outb(COM1 + UART_LCR, UART_LCR_8N1);      /* DLAB=0, 8N1 */
	outb(COM1 + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX | UART_FCR_CLR_TX);
	outb(COM1 + UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
}

void uart_putc(char c)
{
	/* Wait until the transmit holding register is empty, then write. */
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void kputs(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

/* Remap the PICs: ICW1 starts initialisation, ICW2 is the vector base, ICW3
 * describes the cascade on IR2, ICW4 selects 8086 mode.  Then OCW1 (the data
 * port) sets the interrupt mask: a 1 bit masks that IRQ. */
void pic_init(uint8_t mask1, uint8_t mask2)
{
	outb(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
	outb(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
	outb(PIC1_DATA, PIC1_VECTOR);         /* ICW2 */
	outb(PIC2_DATA, PIC2_VECTOR);
	outb(PIC1_DATA, ICW3_MASTER_IR2);     /* ICW3 */
	outb(PIC2_DATA, ICW3_SLAVE_ID2);
	outb(PIC1_DATA, ICW4_8086);           /* ICW4 */
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, mask1);               /* OCW1 */
	outb(PIC2_DATA, mask2);
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
}

/* Counter 0, mode 2 (rate generator): OUT0 (IRQ0) pulses every `divisor`
 * input clocks. */
void pit_init(unsigned hz)
{
	unsigned divisor = (PIT_HZ + hz / 2) / hz;

	outb(PIT_CTRL, PIT_SEL_CH0 | PIT_RW_LOHI | PIT_MODE2 | PIT_BINARY);
	outb(PIT_CH0, (uint8_t)(divisor & 0xFF));
	outb(PIT_CH0, (uint8_t)(divisor >> 8));
}

void debug_exit(uint8_t v)
{
	for (;;) {
		outb(DEBUG_EXIT_PORT, v);
		__asm__ volatile("cli; hlt");   /* not reached on QEMU or vmscope */
	}
}
