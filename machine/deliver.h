/* deliver.h - exception and interrupt delivery, as the CPU does it
 * (Intel SDM Vol. 3A ch. 6, "Interrupt and Exception Handling").
 *
 * Engines that do not deliver events themselves (Unicorn) call this with
 * the complete CPU state; it reads the IVT/IDT, GDT/LDT and TSS from guest
 * memory, pushes the frame, switches stacks and privilege, and returns the
 * new state.  It covers the real-mode IVT; 16/32-bit interrupt, trap and
 * (as a fault) task gates with the ring 3 -> 0 stack switch through the
 * TSS and virtual-8086 exits; 64-bit IDT with IST and the aligned stack;
 * error codes; faults during delivery turning into #DF per Table 6-5, and
 * a fault while delivering #DF into a triple fault (shutdown).
 */
#ifndef VMS_DELIVER_H
#define VMS_DELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "gmem.h"
#include "x86.h"

enum deliver_kind {
    DLV_FAULT,      /* exception; saved RIP = the faulting instruction */
    DLV_TRAP,       /* exception reported after the instruction (#DB trap, #OF from INTO, #BP from INT3): saved RIP = next_rip */
    DLV_SOFTINT,    /* INT n: gate DPL checked against CPL; saved RIP = next_rip */
    DLV_EXTERNAL,   /* hardware interrupt (PIC/APIC), NMI */
};

struct deliver_req {
    uint8_t vector;
    enum deliver_kind kind;
    bool has_error;       /* push an error code (caller knows the vector's rule) */
    uint32_t error;
    uint64_t cr2;         /* #PF: faulting linear address, written to CR2 */
    uint64_t next_rip;    /* DLV_TRAP / DLV_SOFTINT: address of the next instruction */
};

struct deliver_result {
    bool shutdown;        /* triple fault: the VM must shut down */
    bool unsupported;     /* with shutdown: the guest asked for something
                             vmscope does not implement (a task gate, an
                             IDT/stack outside RAM); @why says what */
    uint8_t vector;       /* what was finally delivered (e.g. 8 after escalation) */
    bool has_error;
    uint32_t error;
    char why[256];        /* for shutdown and escalations: one line */
};

/* True for vectors that push an error code when raised as exceptions
 * (8, 10-14, 17, 21; SDM Table 6-1). */
bool x86_vector_has_error(uint8_t vector);

/* Deliver @r on @s using guest memory @mem.  On return @s is the state at
 * the first instruction of the handler (or unchanged with res->shutdown).
 * CR2 is written when a #PF (DLV_FAULT, vector 14) is delivered, even when
 * its delivery then escalates to #DF.  An error code is pushed only for
 * DLV_FAULT/DLV_TRAP with has_error outside real mode.  Stack and table
 * accesses go through pg_*_linear with PGW_SET_AD (A/D bits set);
 * descriptor accessed bits are set in the loaded caches, not in memory.
 * Returns 0; -VMS_ERR_INVAL for a malformed request. */
int x86_deliver(struct cpu_state *s, struct gmem *mem, const struct deliver_req *r,
                struct deliver_result *res);

#endif
