/* console.c - the kernel console: every character goes to COM1 (the
 * transcript the tests compare) and to the VGA text screen.
 *
 * VGA text mode (IBM VGA Technical Reference): 80x25 cells at 0xB8000,
 * each a character byte and an attribute byte (high nibble background,
 * low nibble foreground).  The hardware cursor is CRTC registers 0x0E
 * (high byte) and 0x0F (low byte) of the cell index, reached through the
 * index port 0x3D4 and the data port 0x3D5.
 */
#include "kernel.h"

#define VGA_COLS     80
#define VGA_ROWS     25
#define VGA_ATTR     0x1F          /* white on blue */
#define CRTC_INDEX   0x3D4
#define CRTC_DATA    0x3D5
#define CRTC_CURSOR_HI 0x0E
#define CRTC_CURSOR_LO 0x0F

static volatile uint16_t *const vga = (volatile uint16_t *)VGA_TEXT;
static int vga_pos;                /* cell index of the cursor */

static void vga_cursor(void)
{
	outb(CRTC_INDEX, CRTC_CURSOR_HI);
	outb(CRTC_DATA, (uint8_t)(vga_pos >> 8));
	outb(CRTC_INDEX, CRTC_CURSOR_LO);
	outb(CRTC_DATA, (uint8_t)vga_pos);
}

static void vga_scroll(void)
{
	for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
		vga[i] = vga[i + VGA_COLS];
	for (int i = 0; i < VGA_COLS; i++)
		vga[(VGA_ROWS - 1) * VGA_COLS + i] = VGA_ATTR << 8 | ' ';
	vga_pos -= VGA_COLS;
}

static void vga_putc(int c)
{
	if (c == '\n')
		vga_pos += VGA_COLS - vga_pos % VGA_COLS;
	else
		vga[vga_pos++] = (uint16_t)(VGA_ATTR << 8 | (uint8_t)c);
	if (vga_pos >= VGA_ROWS * VGA_COLS)
		vga_scroll();
}

void cons_init(void)
{
	uart_init();
	for (int i = 0; i < VGA_ROWS * VGA_COLS; i++)
		vga[i] = VGA_ATTR << 8 | ' ';
	vga_pos = 0;
	vga_cursor();
}

void cons_putc(int c)
{
	uart_putc((char)c);
	vga_putc(c);
	if (c == '\n')
		vga_cursor();
}

static void kput(int c, void *arg)
{
	(void)arg;
	cons_putc(c);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfmt(kput, NULL, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	__asm__ volatile("cli");
	kprintf("PANIC: ");
	va_start(ap, fmt);
	vfmt(kput, NULL, fmt, ap);
	va_end(ap);
	kprintf("\n");
	debug_exit(EXIT_FAIL);
}
