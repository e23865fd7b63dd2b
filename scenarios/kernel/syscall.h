/* syscall.h - system call numbers, shared by the kernel and user space.
 *
 * A user process makes a call with `int $0x40` (an interrupt gate with
 * DPL 3), the number in EAX and up to three arguments in EBX, ECX, EDX.
 * The result comes back in EAX; -1 means an error (bad pointer, no such
 * file).
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#define SYS_exit      0   /* exit(status): never returns */
#define SYS_write     1   /* write(buf, len): append to my output */
#define SYS_getpid    2   /* getpid() */
#define SYS_yield     3   /* yield(): give the CPU to another process */
#define SYS_readfile  4   /* readfile(name, buf, max): bytes read or -1 */
#define SYS_uticks    5   /* uticks(): timer interrupts I took in ring 3; -1: no timer */

#endif
