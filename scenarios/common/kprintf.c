/* kprintf.c - a minimal printf for the scenario guests.
 *
 * Conversions: %c %s %d %u %x %p, the length modifier l (long: 32 bits
 * with -m32, 64 with -m64; no 64-bit division is needed on -m32), a field
 * width and the 0 flag (so "%08x" works), and %%.  Deterministic by design:
 * nothing here depends on time. */
#include <stdarg.h>
#include "hw.h"

static void put_num(unsigned long v, unsigned base, int width, char pad,
		    int neg)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width--)
		uart_putc(pad);
	while (n)
		uart_putc(buf[--n]);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';

		if (*fmt != '%') {
			uart_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'c':
			uart_putc((char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;

			while (s[len])
				len++;
			while (len < width--)
				uart_putc(' ');
			kputs(s);
			break;
		}
		case 'd': {
			long v = lng ? va_arg(ap, long) : va_arg(ap, int);
			put_num(v < 0 ? -(unsigned long)v : (unsigned long)v,
				10, width, pad, v < 0);
			break;
		}
		case 'u':
		case 'x': {
			unsigned long v = lng ? va_arg(ap, unsigned long)
					      : va_arg(ap, unsigned int);
			put_num(v, *fmt == 'x' ? 16 : 10, width, pad, 0);
			break;
		}
		case 'p':
			kputs("0x");
			put_num((unsigned long)va_arg(ap, void *), 16,
				(int)sizeof(void *) * 2, '0', 0);
			break;
		case '%':
			uart_putc('%');
			break;
		default:
			uart_putc('?');
			break;
		}
	}
	va_end(ap);
}
