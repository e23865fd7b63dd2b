/* dtable.h - decoding descriptor-table entries for the debugger's views
 * (GDT, LDT, IDT, real-mode IVT) into struct dbg_desc (session.h).
 * Pure functions of the raw bytes, so they are tested without a VM.
 * Formats: Intel SDM Vol. 3A 3.4.5 (segment descriptors), 3.5 (system
 * descriptors), 6.11 (IDT gates, 32-bit), 6.14.1 (64-bit IDT gates),
 * 7.2.3 (TSS descriptor in 64-bit mode).
 */
#ifndef VMS_DBG_DTABLE_H
#define VMS_DBG_DTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "debugger/session.h"

/* Does the GDT/LDT entry with low 8 bytes @lo take 16 bytes in IA-32e
 * mode (an LDT, TSS or call-gate descriptor)? */
bool dtable_is_wide(uint64_t lo, bool long_mode);

/* Decode a GDT/LDT entry (@hi: the next 8 bytes, used for wide system
 * descriptors in long mode) into @d (index/addr left as they are). */
void dtable_decode_seg(struct dbg_desc *d, uint64_t lo, uint64_t hi, bool long_mode);

/* Decode an IDT gate: 8 bytes (legacy) or 16 (long mode: @hi). */
void dtable_decode_gate(struct dbg_desc *d, uint64_t lo, uint64_t hi, bool long_mode);

/* Decode a real-mode IVT entry (offset:segment, 4 bytes). */
void dtable_decode_ivt(struct dbg_desc *d, uint32_t raw);

/* "code32 RX", "data RW", "tss32 busy", ... for a decoded segment. */
void dtable_seg_kind(const struct x86_segment *seg, bool long_mode, char *buf, size_t len);

#endif
