/* sysinsn.h - SYSCALL/SYSRET and SYSENTER/SYSEXIT on the common CPU state
 * (Intel SDM Vol. 2B, instruction reference), for engines that do not
 * implement them correctly.  Each returns 0 and updates @s as the
 * instruction would, or returns the vector of the exception it raises
 * (EXC_UD, EXC_GP) with @s unchanged so the caller delivers it.
 * @insn_len is the length of the instruction at s->rip.
 */
#ifndef VMS_SYSINSN_H
#define VMS_SYSINSN_H

#include <stdint.h>

#include "x86.h"

int x86_syscall(struct cpu_state *s, unsigned insn_len);
/* @rex_w: SYSRETQ (return to 64-bit code) vs SYSRETL (compatibility). */
int x86_sysret(struct cpu_state *s, int rex_w);
int x86_sysenter(struct cpu_state *s);
/* @rex_w: SYSEXITQ (to 64-bit code) vs SYSEXIT (to 32-bit). */
int x86_sysexit(struct cpu_state *s, int rex_w);

#endif
