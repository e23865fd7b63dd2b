/* ulib.h - the user-space library: system calls and printf.
 * User code runs in ring 3 and can reach the kernel only through
 * `int $0x40` (syscall.h). */
#ifndef ULIB_H
#define ULIB_H

#include <stddef.h>
#include <stdint.h>
#include "syscall.h"

static inline int syscall3(int num, uint32_t a, uint32_t b, uint32_t c)
{
	int ret;

	__asm__ volatile("int $0x40" : "=a"(ret)
			 : "a"(num), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static inline __attribute__((noreturn)) void exit(int status)
{
	syscall3(SYS_exit, (uint32_t)status, 0, 0);
	for (;;)
		;
}
static inline int write(const void *buf, uint32_t len) { return syscall3(SYS_write, (uint32_t)(uintptr_t)buf, len, 0); }
static inline int getpid(void) { return syscall3(SYS_getpid, 0, 0, 0); }
static inline int yield(void) { return syscall3(SYS_yield, 0, 0, 0); }
static inline int uticks(void) { return syscall3(SYS_uticks, 0, 0, 0); }
static inline int readfile(const char *name, void *buf, uint32_t max)
{
	return syscall3(SYS_readfile, (uint32_t)(uintptr_t)name, (uint32_t)(uintptr_t)buf, max);
}

void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wait_preempted(int n);
size_t strlen(const char *s);

#define MIN_UTICKS 3

#endif
