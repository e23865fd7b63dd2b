/* ulib.c - user-space printf (into write()) and the process entry. */
#include <stdarg.h>
#include "ulib.h"

void vfmt(void (*put)(int c, void *arg), void *arg, const char *fmt, va_list ap);

struct obuf {
	char b[128];
	uint32_t n;
};

static void oput(int c, void *arg)
{
	struct obuf *o = arg;

	o->b[o->n++] = (char)c;
	if (o->n == sizeof o->b) {
		write(o->b, o->n);
		o->n = 0;
	}
}

void printf(const char *fmt, ...)
{
	struct obuf o;
	va_list ap;

	o.n = 0;
	va_start(ap, fmt);
	vfmt(oput, &o, fmt, ap);
	va_end(ap);
	if (o.n)
		write(o.b, o.n);
}

/* Spin until the timer has interrupted this process in ring 3 @n times:
 * proof of preemption, whatever the speed of the machine.  A cooperative
 * kernel has no timer (uticks() is -1): give the CPU away once instead. */
void wait_preempted(int n)
{
	int t;

	while ((t = uticks()) >= 0 && t < n)
		for (volatile int i = 0; i < 10000; i++)
			;
	if (t < 0)
		yield();
}

/* Every process starts here (proc_create puts @main on the stack). */
int u_start(int (*main)(void));
int u_start(int (*main)(void))
{
	exit(main());
}
