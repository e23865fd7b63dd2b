/* pane_cpu.h - panes of the current vCPU: registers, disassembly, stack,
 * memory and the page walk. */
#ifndef VMS_TUI_PANE_CPU_H
#define VMS_TUI_PANE_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "tui/pane.h"

extern const struct pane_ops pane_regs_ops, pane_disasm_ops, pane_stack_ops,
                             pane_memory_ops, pane_pagewalk_ops;

/* The linear address of the disassembly pane's selected line (the
 * current instruction unless the student moved the selection).  False
 * when there is none.  @p may be NULL (no disassembly pane). */
bool pane_disasm_selected(struct pane *p, struct tui *t, uint64_t *pc);

#endif
