/* fmt.c - printf-style formatting and the few string functions, linked
 * twice: into the kernel and (compiled again) into user space, because a
 * user process may not call kernel code (its pages are supervisor-only).
 *
 * Conversions: %c %s %d %u %x %p, a field width, the 0 flag, the - flag
 * (left-justify; strings only), and %%.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void vfmt(void (*put)(int c, void *arg), void *arg, const char *fmt, va_list ap);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int strcmp(const char *a, const char *b);
size_t strlen(const char *s);

static void put_num(void (*put)(int, void *), void *arg, uint32_t v,
		    unsigned base, int width, char pad, int neg)
{
	char buf[16];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width--)
		put(pad, arg);
	while (n)
		put(buf[--n], arg);
}

static void put_str(void (*put)(int, void *), void *arg, const char *s,
		    int width, int left)
{
	int len = (int)strlen(s);

	while (!left && len < width--)
		put(' ', arg);
	while (*s)
		put(*s++, arg);
	while (left && len < width--)
		put(' ', arg);
}

void vfmt(void (*put)(int c, void *arg), void *arg, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, left = 0;
		char pad = ' ';

		if (*fmt != '%') {
			put(*fmt, arg);
			continue;
		}
		if (*++fmt == '-') {
			left = 1;
			fmt++;
		}
		if (*fmt == '0')
			pad = *fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		switch (*fmt) {
		case 'c': put(va_arg(ap, int), arg); break;
		case 's': put_str(put, arg, va_arg(ap, const char *), width, left); break;
		case 'd': {
			int v = va_arg(ap, int);
			put_num(put, arg, v < 0 ? -(uint32_t)v : (uint32_t)v, 10,
				width, pad, v < 0);
			break;
		}
		case 'u': put_num(put, arg, va_arg(ap, uint32_t), 10, width, pad, 0); break;
		case 'x': put_num(put, arg, va_arg(ap, uint32_t), 16, width, pad, 0); break;
		case 'p':
			put('0', arg);
			put('x', arg);
			put_num(put, arg, (uint32_t)(uintptr_t)va_arg(ap, void *), 16, 8, '0', 0);
			break;
		case '%': put('%', arg); break;
		case '\0': return;
		default: put('?', arg); break;
		}
	}
}

/* gcc may emit calls to memset and memcpy even with -ffreestanding. */
void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
