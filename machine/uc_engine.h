/* uc_engine.h - Unicorn engine extras beyond struct vcpu_ops.
 *
 * The engine itself is uc_vcpu_ops (vcpu.h).  These are for tests, the
 * benchmark and the "about" view: what the engine measured about itself.
 * docs/ENGINE.md explains the mechanisms.
 */
#ifndef VMS_UC_ENGINE_H
#define VMS_UC_ENGINE_H

#include <stdint.h>

#include "vcpu.h"

struct uc_engine_stats {
    uint64_t runs;             /* uc_emu_start calls */
    uint64_t exceptions;       /* exceptions/interrupts delivered by the engine */
    uint64_t tb_flushes;       /* translation-cache flushes */
    uint64_t tails;            /* budget tails run under a bounded code hook
                                  (one block retranslated, no flush) */
    uint64_t tlb_fills;        /* TLB entries filled by the engine's walker */
    uint64_t tlb_retries;      /* accesses it could not translate, re-run
                                  with Unicorn's walker (faults) */
    uint64_t code_pages;       /* guest-physical pages found holding code */
    uint64_t code_writes;      /* stores to such a page through a
                                  non-executable mapping (each flushes) */
};

/* Counters of @v (a vCPU created with uc_vcpu_ops). */
void uc_engine_stats(const struct vcpu *v, struct uc_engine_stats *out);

/* "2.1.4": the libunicorn version the engine runs with. */
const char *uc_engine_version(void);

#endif
