/* pagemap.h - the mapping summary of a guest address space (`info tab`,
 * `info mem`) and paging-entry flag names, computed from the page tables
 * in guest RAM without changing them (SDM Vol. 3A 4.3-4.5).
 */
#ifndef VMS_DBG_PAGEMAP_H
#define VMS_DBG_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

#include "debugger/session.h"
#include "machine/gmem.h"
#include "machine/x86.h"

/* Entries visited at most, so that a hostile guest pointing every
 * entry at the same table cannot make the summary run for hours. */
#define PAGEMAP_MAX_VISITS (1u << 20)

/* Every present mapping under @c's paging as ranges sorted by linear
 * address; at most @max filled, *total (may be NULL) counts all ranges
 * found.  Without paging: one identity range over RAM.  Returns the
 * number filled. */
int pagemap_ranges(const struct cpu_state *c, const struct gmem *m,
                   struct dbg_map_range *out, unsigned max, unsigned *total);

/* "P RW US A D PS G NX" style names of the set flag bits of a paging
 * entry; @leaf says whether bit 7 is PS (PDE/PDPTE) or PAT (PTE). */
void pagemap_flags(uint64_t entry, bool leaf_pte, char *buf, size_t len);

#endif
