/* uc_blob.h - where Unicorn keeps the CPU state its API does not expose.
 *
 * Unicorn's uc_context is a copy of QEMU's CPUX86State.  Writing a segment
 * register through uc_reg_write sets only the selector, so the hidden
 * descriptor caches, the CPL and the 16/32/64-bit state (QEMU's "hflags"),
 * the error code of the last exception and QEMU's "previous exception"
 * (old_exception, which turns the next fault into #DF unless reset) live
 * only in that blob.  uc_blob_layout() finds their offsets once, at start-up,
 * with probe guests on scratch engines (docs/ENGINE.md), verifies them, and
 * refuses (NULL) when anything does not match: a different libunicorn can
 * never silently corrupt guest state.  Offsets are relative to the start of
 * the uc_context allocation (uc_context_size() bytes).
 */
#ifndef VMS_UC_BLOB_H
#define VMS_UC_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "x86.h"

/* QEMU hflags bits (QEMU target/i386/cpu.h, HF_*_SHIFT); the calibration
 * checks that the word found behaves this way. */
#define QHF_CPL_MASK     (3u << 0)    /* current privilege level */
#define QHF_INHIBIT_IRQ  (1u << 3)    /* STI / MOV SS interrupt shadow */
#define QHF_CS32         (1u << 4)    /* 32-bit code segment */
#define QHF_SS32         (1u << 5)    /* 32-bit stack segment */
#define QHF_ADDSEG       (1u << 6)    /* DS/ES/SS bases may be non-zero */
#define QHF_PE           (1u << 7)    /* copy of CR0.PE */
#define QHF_LMA          (1u << 14)   /* long mode active */
#define QHF_CS64         (1u << 15)   /* 64-bit code segment */
/* QEMU hflags2 (the word after hflags): bit 2 blocks NMIs from an NMI's
 * delivery until the next IRET, which clears it (QEMU's helper_iret_*;
 * checked by the calibration). */
#define QHF2_NMI_MASK    (1u << 2)
/* The bits set_state recomputes (the rest follow CR0/CR4/EFER writes). */
#define QHF_OWNED (QHF_CPL_MASK | QHF_INHIBIT_IRQ | QHF_CS32 | QHF_SS32 | \
                   QHF_ADDSEG | QHF_PE | QHF_LMA | QHF_CS64)

/* QEMU's SegmentCache: selector, base, limit (bytes), flags (the
 * descriptor's high dword: type 11:8, S 12, DPL 14:13, P 15, AVL 20, L 21,
 * D/B 22, G 23; SDM Vol. 3A Figure 3-8). */
struct uc_seg_fields {
    size_t sel, base, limit, flags;   /* offsets inside one cache */
};

struct uc_blob_layout {
    size_t size;                 /* uc_context_size() */
    size_t seg0;                 /* cache of ES; ES..GS, LDTR, TR follow */
    size_t stride;               /* sizeof(SegmentCache) */
    struct uc_seg_fields f;
    size_t hflags;               /* uint32_t */
    size_t hflags2;              /* uint32_t, right after hflags */
    size_t error_code;           /* int32_t: error code of the last exception */
    size_t exception_is_int;     /* int32_t: 1 when raised by INT n/INT3/INTO */
    size_t old_exception;        /* int32_t: -1 = none in flight */
};

/* The calibrated layout, computed on the first call (thread-safe), or NULL
 * with vms_seterr() detail when calibration or verification failed. */
const struct uc_blob_layout *uc_blob_layout(void);

/* Segment cache @seg (enum x86_seg, ES..TR) of a saved context. */
void uc_blob_get_seg(const struct uc_blob_layout *L, const void *blob,
                     enum x86_seg seg, struct x86_segment *out);
void uc_blob_put_seg(const struct uc_blob_layout *L, void *blob,
                     enum x86_seg seg, const struct x86_segment *in);
uint32_t uc_blob_u32(const struct uc_blob_layout *L, const void *blob, size_t off);
void uc_blob_set_u32(const struct uc_blob_layout *L, void *blob, size_t off, uint32_t v);

/* hflags for @s exactly as QEMU's cpu_x86_load_seg_cache() leaves them
 * (only the QHF_OWNED bits; the interrupt shadow is cleared). */
uint32_t uc_blob_hflags(const struct cpu_state *s);

#endif
