/* paging.h - the guest page-table walker (SDM Vol. 3A ch. 4).
 *
 * One walker for every paging mode: 32-bit (4 KiB and, with CR4.PSE,
 * 4 MiB pages), PAE (4 KiB, 2 MiB) and 4-level (4 KiB, 2 MiB, 1 GiB).  It
 * records every level it visits (table address, index, entry) so the
 * debugger's page-walk view, the engine's #PF error code and exception
 * delivery all use the same code.  Inspection never changes the guest:
 * A/D bits are set only when the caller asks (PGW_SET_AD).
 */
#ifndef VMS_PAGING_H
#define VMS_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "gmem.h"
#include "x86.h"

enum pg_mode { PGM_NONE, PGM_32, PGM_PAE, PGM_4LEVEL };

/* The physical and linear address widths of vmscope's CPU model.  40
 * physical bits is what QEMU's TCG (and so Unicorn) checks reserved bits
 * against; cpuid.c reports both in CPUID.80000008H (docs/CPU.md). */
#define PG_MAXPHYADDR   40
#define PG_LINEAR_BITS  48

/* Access flags for a walk */
#define PGW_WRITE  (1u << 0)   /* a write */
#define PGW_USER   (1u << 1)   /* CPL 3 access (not an implicit supervisor one) */
#define PGW_FETCH  (1u << 2)   /* instruction fetch */
#define PGW_IMPLICIT (1u << 3) /* implicit supervisor access to a system table
                                  (GDT/LDT/IDT/TSS): SMAP applies whatever
                                  EFLAGS.AC says (SDM Vol. 3A 4.6) */
#define PGW_SET_AD (1u << 8)   /* set Accessed/Dirty as the CPU would */

/* Paging-structure entry bits (SDM Vol. 3A 4.3, 4.4.2, 4.5) */
#define PTE_P    (1ull << 0)   /* present */
#define PTE_RW   (1ull << 1)   /* writable */
#define PTE_US   (1ull << 2)   /* user accessible */
#define PTE_PWT  (1ull << 3)   /* write-through */
#define PTE_PCD  (1ull << 4)   /* cache disable */
#define PTE_A    (1ull << 5)   /* accessed */
#define PTE_D    (1ull << 6)   /* dirty (leaf only) */
#define PTE_PS   (1ull << 7)   /* maps a large page (PDE/PDPTE) */
#define PTE_G    (1ull << 8)   /* global (leaf) */
#define PTE_PAT_LARGE (1ull << 12) /* PAT bit in a large-page entry */
#define PTE_NX   (1ull << 63)  /* execute disable (EFER.NXE) */

enum pg_fault {
    PGF_NONE,
    PGF_NOT_PRESENT,      /* an entry on the path has P=0 */
    PGF_RESERVED,         /* a reserved bit is set in an entry */
    PGF_WRITE_RO,         /* write to a read-only page */
    PGF_USER_SUPER,       /* user access to a supervisor page */
    PGF_NX,               /* fetch from a no-execute page */
    PGF_SMEP,             /* supervisor fetch from a user page (CR4.SMEP) */
    PGF_SMAP,             /* supervisor data access to a user page (CR4.SMAP) */
    PGF_BAD_TABLE,        /* a table lies outside guest RAM */
    PGF_NONCANONICAL,     /* 4-level: address not canonical (#GP, not #PF) */
    PGF_NOT_RAM,          /* pg_read/write_linear only: the page maps no RAM
                             (MMIO or a hole); not an architectural fault */
};

struct pg_level {
    unsigned level;       /* 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT (32-bit: 2, 1) */
    const char *name;     /* "PML4E", "PDPTE", "PDE", "PTE" */
    uint64_t table;       /* guest-physical address of the table */
    unsigned index;       /* entry index in it */
    uint64_t entry_pa;    /* guest-physical address of the entry */
    uint64_t entry;       /* its value */
};

struct pg_walk {
    enum pg_mode mode;
    uint64_t va;
    unsigned nlevels;         /* levels visited (including the faulting one) */
    struct pg_level lv[5];
    bool ok;                  /* translation succeeded */
    enum pg_fault fault;
    uint32_t pfec;            /* #PF error code for this access if !ok */
    uint64_t pa;              /* result */
    uint64_t page_size;       /* 4 KiB, 4 MiB, 2 MiB or 1 GiB */
    bool writable, user, executable;   /* effective rights (all levels) */
};

enum pg_mode pg_mode_of(const struct cpu_state *s);
const char *pg_mode_name(enum pg_mode m);
const char *pg_fault_name(enum pg_fault f);

/* Translate linear address @va for an access described by @flags (PGW_*)
 * under the paging state of @s (CR0.PG/WP, CR3, CR4.PSE/PAE/SMEP/SMAP,
 * EFER.LMA/NXE, EFLAGS.AC for SMAP).  Without paging, pa = va (32 bits).
 * A table outside RAM fails with PGF_BAD_TABLE and pfec P|RSVD (as if the
 * bus returned all ones, which sets reserved bits).  Returns
 * true on success; on failure w->fault and w->pfec say why.  Tables are
 * read from @mem; with PGW_SET_AD the walk writes A/D bits back. */
bool pg_translate(const struct cpu_state *s, struct gmem *mem, uint64_t va,
                  unsigned flags, struct pg_walk *w);

/* Read/write @len bytes at linear address @va through paging (crossing
 * pages as needed) with access @flags.  On a fault returns false and
 * fills @w with the failing walk (w->va is the faulting address).  A write
 * translates every page before it stores anything, so a fault leaves
 * memory unchanged.  @w may be NULL. */
bool pg_read_linear(const struct cpu_state *s, struct gmem *mem, uint64_t va,
                    void *buf, uint64_t len, unsigned flags, struct pg_walk *w);
/* Check that every page of [va, va+len) translates for @flags and maps
 * RAM, without side effects (A/D bits untouched).  Fills @w on failure. */
bool pg_probe_linear(const struct cpu_state *s, struct gmem *mem, uint64_t va,
                     uint64_t len, unsigned flags, struct pg_walk *w);
bool pg_write_linear(const struct cpu_state *s, struct gmem *mem, uint64_t va,
                     const void *buf, uint64_t len, unsigned flags,
                     struct pg_walk *w);

#endif
