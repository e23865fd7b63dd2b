/* dtable.c - descriptor decoding for the GDT/LDT/IDT/IVT views. */
#include "debugger/dtable.h"

#include <stdio.h>
#include <string.h>

/* Gate layout (SDM Vol. 3A Figure 6-2, 6-8):
 *   low: offset 15:0 | selector << 16 | (IST 2:0 << 32, 64-bit) |
 *        type << 40 | DPL << 45 | P << 47 | offset 31:16 << 48
 *   hi (64-bit): offset 63:32 */
#define GATE_SEL_SHIFT   16
#define GATE_IST_MASK    0x7ull
#define GATE_IST_SHIFT   32
#define GATE_PARAM_MASK  0x1Full  /* call gates: parameter count */
#define DESC_TYPE_SHIFT  40
#define DESC_S           (1ull << 44)
#define DESC_DPL_SHIFT   45
#define DESC_P           (1ull << 47)

static const char *const system_names[16] = {
    [0x0] = "reserved", [SYSTYPE_TSS16_AVAIL] = "tss16", [SYSTYPE_LDT] = "ldt",
    [SYSTYPE_TSS16_BUSY] = "tss16 busy", [SYSTYPE_CALL16] = "call gate16",
    [SYSTYPE_TASK] = "task gate", [SYSTYPE_INT16] = "int gate16",
    [SYSTYPE_TRAP16] = "trap gate16", [0x8] = "reserved",
    [SYSTYPE_TSS_AVAIL] = "tss32", [0xA] = "reserved", [SYSTYPE_TSS_BUSY] = "tss32 busy",
    [SYSTYPE_CALL] = "call gate32", [0xD] = "reserved", [SYSTYPE_INT] = "int gate32",
    [SYSTYPE_TRAP] = "trap gate32",
};

/* 64-bit mode renames the 32-bit system types (SDM Vol. 3A Table 3-2). */
static const char *system_name(unsigned type, bool long_mode)
{
    if (long_mode) {
        switch (type) {
        case SYSTYPE_TSS_AVAIL: return "tss64";
        case SYSTYPE_TSS_BUSY: return "tss64 busy";
        case SYSTYPE_CALL: return "call gate64";
        case SYSTYPE_INT: return "int gate64";
        case SYSTYPE_TRAP: return "trap gate64";
        case SYSTYPE_LDT: return "ldt";
        default: return "reserved";
        }
    }
    return system_names[type & 0xF];
}

bool dtable_is_wide(uint64_t lo, bool long_mode)
{
    unsigned type = (lo >> DESC_TYPE_SHIFT) & 0xF;

    if (!long_mode || (lo & DESC_S))
        return false;
    return type == SYSTYPE_LDT || type == SYSTYPE_TSS_AVAIL || type == SYSTYPE_TSS_BUSY ||
           type == SYSTYPE_CALL;
}

void dtable_seg_kind(const struct x86_segment *seg, bool long_mode, char *buf, size_t len)
{
    if (!seg->s) {
        snprintf(buf, len, "%s", system_name(seg->type, long_mode));
        return;
    }
    if (seg->type & SEGTYPE_CODE) {
        unsigned bits = seg->l ? 64 : seg->db ? 32 : 16;
        snprintf(buf, len, "code%u %s%s%s", bits,
                 (seg->type & SEGTYPE_CODE_READ) ? "RX" : "X",
                 (seg->type & SEGTYPE_CODE_CONF) ? " conforming" : "",
                 (seg->type & SEGTYPE_ACCESSED) ? " A" : "");
        return;
    }
    snprintf(buf, len, "data %s%s%s%s", (seg->type & SEGTYPE_DATA_WRITE) ? "RW" : "R",
             (seg->type & SEGTYPE_DATA_DOWN) ? " expand-down" : "",
             seg->db ? " big" : "", (seg->type & SEGTYPE_ACCESSED) ? " A" : "");
}

static void gate_fields(struct dbg_desc *d, uint64_t lo, uint64_t hi, bool long_mode)
{
    d->gate_sel = (uint16_t)(lo >> GATE_SEL_SHIFT);
    d->gate_off = (lo & 0xFFFF) | (((lo >> 48) & 0xFFFF) << 16);
    if (long_mode)
        d->gate_off |= (hi & 0xFFFFFFFFull) << 32;
    d->ist = long_mode ? (unsigned)((lo >> GATE_IST_SHIFT) & GATE_IST_MASK) : 0;
}

static bool type_is_gate(unsigned type)
{
    return type == SYSTYPE_CALL16 || type == SYSTYPE_TASK || type == SYSTYPE_INT16 ||
           type == SYSTYPE_TRAP16 || type == SYSTYPE_CALL || type == SYSTYPE_INT ||
           type == SYSTYPE_TRAP;
}

static void common(struct dbg_desc *d, uint64_t lo, uint64_t hi)
{
    d->raw[0] = lo;
    d->raw[1] = hi;
    d->type = (lo >> DESC_TYPE_SHIFT) & 0xF;
    d->system = !(lo & DESC_S);
    d->dpl = (lo >> DESC_DPL_SHIFT) & 3;
    d->present = !!(lo & DESC_P);
    d->ok = true;
    d->sym[0] = '\0';
}

void dtable_decode_seg(struct dbg_desc *d, uint64_t lo, uint64_t hi, bool long_mode)
{
    bool wide = dtable_is_wide(lo, long_mode);

    common(d, lo, wide ? hi : 0);
    memset(&d->seg, 0, sizeof(d->seg));
    d->gate = d->system && type_is_gate(d->type);
    if (lo == 0) {
        snprintf(d->kind, sizeof(d->kind), "null");
        snprintf(d->text, sizeof(d->text), "null descriptor");
        return;
    }
    if (d->gate) {
        gate_fields(d, lo, hi, wide);
        snprintf(d->kind, sizeof(d->kind), "%s", system_name(d->type, long_mode));
        snprintf(d->text, sizeof(d->text), "%s -> %04x:0x%llx dpl%u%s", d->kind,
                 d->gate_sel, (unsigned long long)d->gate_off, d->dpl,
                 d->present ? "" : " not-present");
        return;
    }
    x86_desc_decode(lo, hi, wide, &d->seg);
    dtable_seg_kind(&d->seg, long_mode, d->kind, sizeof(d->kind));
    snprintf(d->text, sizeof(d->text), "%-18s base=0x%llx limit=0x%x dpl%u%s%s", d->kind,
             (unsigned long long)d->seg.base, d->seg.limit, d->dpl,
             d->seg.g ? " G" : "", d->present ? "" : " not-present");
}

void dtable_decode_gate(struct dbg_desc *d, uint64_t lo, uint64_t hi, bool long_mode)
{
    common(d, lo, long_mode ? hi : 0);
    memset(&d->seg, 0, sizeof(d->seg));
    d->gate = true;
    gate_fields(d, lo, hi, long_mode);
    if (d->system && type_is_gate(d->type) && d->type != SYSTYPE_CALL16 && d->type != SYSTYPE_CALL)
        snprintf(d->kind, sizeof(d->kind), "%s", system_name(d->type, long_mode));
    else
        snprintf(d->kind, sizeof(d->kind), "invalid gate type 0x%x", d->type);
    if (lo == 0 && hi == 0) {
        snprintf(d->kind, sizeof(d->kind), "empty");
        snprintf(d->text, sizeof(d->text), "empty");
        return;
    }
    if (d->type == SYSTYPE_TASK) {
        snprintf(d->text, sizeof(d->text), "%s -> tss %04x dpl%u%s", d->kind, d->gate_sel,
                 d->dpl, d->present ? "" : " not-present");
        return;
    }
    int n = snprintf(d->text, sizeof(d->text), "%-12s -> %04x:0x%llx dpl%u%s", d->kind,
                     d->gate_sel, (unsigned long long)d->gate_off, d->dpl,
                     d->present ? "" : " not-present");
    if (d->ist && n > 0 && (size_t)n < sizeof(d->text))
        snprintf(d->text + n, sizeof(d->text) - (size_t)n, " ist%u", d->ist);
}

void dtable_decode_ivt(struct dbg_desc *d, uint32_t raw)
{
    memset(&d->seg, 0, sizeof(d->seg));
    d->raw[0] = raw;
    d->raw[1] = 0;
    d->ok = true;
    d->present = true;
    d->system = false;
    d->gate = true;
    d->type = d->dpl = d->ist = 0;
    d->gate_off = raw & 0xFFFF;
    d->gate_sel = (uint16_t)(raw >> 16);
    d->sym[0] = '\0';
    snprintf(d->kind, sizeof(d->kind), "ivt");
    snprintf(d->text, sizeof(d->text), "%04x:%04llx (linear 0x%llx)", d->gate_sel,
             (unsigned long long)d->gate_off,
             (unsigned long long)(((uint64_t)d->gate_sel << 4) + d->gate_off));
}
