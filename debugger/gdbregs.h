/* gdbregs.h - the register layout vmscope's gdb stub serves.
 *
 * One table lists every register gdb sees: its name, width, target
 * description feature and where it lives in struct cpu_state.  The target
 * description XML and the byte layout of the g/G/p/P packets are both
 * generated from that table, so they cannot disagree.
 *
 * The default layout is x86-64's, whatever mode the guest is in: 64-bit
 * GPRs and RIP, 32-bit EFLAGS and selectors, the x87 block (not modelled:
 * reset values), FS/GS base, and CR0/CR2/CR3/CR4/CR8/EFER.  A 'g' reply
 * therefore has the same size in real, protected and long mode, and gdb
 * never sees a "'g' packet reply is too long" (docs/GDB.md).  The i386
 * layout (GDBREGS_I386) is fixed too: 32-bit registers, for guests that
 * never enter long mode (their upper halves are not shown).
 */
#ifndef VMS_GDBREGS_H
#define VMS_GDBREGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/x86.h"

/* Flags for the conversions */
#define GDBREGS_LINEAR_PC (1u << 0)  /* outside 64-bit mode, "rip" is the
                                        linear PC CS.base + RIP (see GDB.md) */
#define GDBREGS_I386      (1u << 1)  /* gdb's i386 layout instead (for guests
                                        that stay in 16/32-bit modes) */
#define GDBREGS_I8086     (1u << 2)  /* the i386 layout, described as i8086:
                                        gdb disassembles 16-bit code */

/* gdb's register numbers in our description (the table's order). */
enum gdbreg_no {
    GDBREG_RAX, GDBREG_RBX, GDBREG_RCX, GDBREG_RDX, GDBREG_RSI, GDBREG_RDI,
    GDBREG_RBP, GDBREG_RSP, GDBREG_R8, GDBREG_R9, GDBREG_R10, GDBREG_R11,
    GDBREG_R12, GDBREG_R13, GDBREG_R14, GDBREG_R15,
    GDBREG_RIP, GDBREG_EFLAGS,
    GDBREG_CS, GDBREG_SS, GDBREG_DS, GDBREG_ES, GDBREG_FS, GDBREG_GS,
    GDBREG_ST0, GDBREG_FCTRL = GDBREG_ST0 + 8, GDBREG_FSTAT, GDBREG_FTAG,
    GDBREG_FISEG, GDBREG_FIOFF, GDBREG_FOSEG, GDBREG_FOOFF, GDBREG_FOP,
    GDBREG_FS_BASE, GDBREG_GS_BASE,
    GDBREG_CR0, GDBREG_CR2, GDBREG_CR3, GDBREG_CR4, GDBREG_CR8, GDBREG_EFER,
    GDBREG_COUNT
};

/* The i386 layout's register numbers. */
enum gdbreg32_no {
    GDBREG32_EAX, GDBREG32_ECX, GDBREG32_EDX, GDBREG32_EBX, GDBREG32_ESP,
    GDBREG32_EBP, GDBREG32_ESI, GDBREG32_EDI, GDBREG32_EIP, GDBREG32_EFLAGS,
    GDBREG32_CS, GDBREG32_SS, GDBREG32_DS, GDBREG32_ES, GDBREG32_FS, GDBREG32_GS,
    GDBREG32_ST0, GDBREG32_FCTRL = GDBREG32_ST0 + 8, GDBREG32_FSTAT, GDBREG32_FTAG,
    GDBREG32_FISEG, GDBREG32_FIOFF, GDBREG32_FOSEG, GDBREG32_FOOFF, GDBREG32_FOP,
    GDBREG32_CR0, GDBREG32_CR2, GDBREG32_CR3, GDBREG32_CR4, GDBREG32_EFER,
    GDBREG32_COUNT
};

#define GDBREGS_MAX_BYTES 16   /* the widest register (st0-st7 use 10) */

/* Every function takes the GDBREGS_* @flags: GDBREGS_I386 picks the
 * layout.  Name and width in bytes of register @regno (NULL / 0 when out
 * of range); the number of registers; the PC's register number. */
const char *gdbregs_name(unsigned regno, unsigned flags);
unsigned gdbregs_size(unsigned regno, unsigned flags);
unsigned gdbregs_count(unsigned flags);
unsigned gdbregs_pc(unsigned flags);
/* Bytes in a 'g' reply (the sum of all widths). */
size_t gdbregs_g_size(unsigned flags);

/* Write the target description into @buf (@cap bytes, NUL-terminated).
 * Returns its length, or -VMS_ERR_RANGE when it does not fit. */
int gdbregs_target_xml(char *buf, size_t cap, unsigned flags);

/* Register @regno of @s, little endian, into @out (gdbregs_size bytes).
 * Returns the size, or -VMS_ERR_INVAL for an unknown register. */
int gdbregs_read(const struct cpu_state *s, unsigned regno, uint8_t *out, unsigned flags);
/* Store @in (gdbregs_size bytes) into register @regno of @s.  Registers
 * vmscope does not model (x87) ignore writes.  Returns 0, -VMS_ERR_INVAL
 * (unknown register), or -VMS_ERR_UNSUPPORTED (a new selector in
 * protected mode: the descriptor would have to be loaded). */
int gdbregs_write(struct cpu_state *s, unsigned regno, const uint8_t *in, unsigned flags);

/* The whole 'g' block (gdbregs_g_size bytes). */
void gdbregs_read_all(const struct cpu_state *s, uint8_t *out, unsigned flags);
/* A 'G' block of @len bytes.  A shorter block updates the registers it
 * covers completely (gdb allows a truncated G); nothing is changed when
 * any register fails.  Returns 0 or a negative error. */
int gdbregs_write_all(struct cpu_state *s, const uint8_t *in, size_t len, unsigned flags);

#endif
