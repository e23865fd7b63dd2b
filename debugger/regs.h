/* regs.h - register names, sub-registers and bit tables for the debugger.
 *
 * The public part (enum dbg_reg, dbg_reg_lookup, the bit tables) is
 * declared in session.h; this header adds what the session's modules
 * share: writing one register into a struct cpu_state.
 */
#ifndef VMS_DBG_REGS_H
#define VMS_DBG_REGS_H

#include "debugger/session.h"

/* Store @v into register @r of @cpu (segment selectors only set the
 * selector: the caller reloads the hidden part). */
void dbg_reg_put(struct cpu_state *cpu, enum dbg_reg r, uint64_t v);

/* The value of sub-register @ref of @cpu. */
uint64_t dbg_regref_get(const struct cpu_state *cpu, const struct dbg_regref *ref);
/* Merge @v into sub-register @ref (keeping the other bits, as a CPU write
 * of ax keeps rax's upper bits). */
void dbg_regref_put(struct cpu_state *cpu, const struct dbg_regref *ref, uint64_t v);

/* The @i-th name dbg_reg_lookup() accepts besides dbg_reg_names ("eax",
 * "ax", "al", "eip", "pc", ...), or NULL past the last (completion). */
const char *dbg_reg_subname(unsigned i);

/* Segment register number for DREG_CS..DREG_TR, or -1. */
int dbg_reg_seg(enum dbg_reg r);

#endif
