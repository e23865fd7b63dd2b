/* x86.c - modes, privilege and descriptor encoding (SDM Vol. 3A ch. 3). */
#include "x86.h"

#include <string.h>

enum x86_mode x86_mode_of(const struct cpu_state *s)
{
    if (!(s->cr0 & CR0_PE))
        return MODE_REAL;
    if (s->efer & EFER_LMA)
        return s->seg[SEG_CS].l ? MODE_LONG64 : MODE_COMPAT;
    if (s->rflags & RFLAGS_VM)
        return MODE_VM86;
    return s->seg[SEG_CS].db ? MODE_PROT32 : MODE_PROT16;
}

const char *x86_mode_name(enum x86_mode m)
{
    static const char *const names[] = {
        [MODE_REAL] = "real", [MODE_VM86] = "vm86",
        [MODE_PROT16] = "protected16", [MODE_PROT32] = "protected32",
        [MODE_COMPAT] = "compat", [MODE_LONG64] = "long64",
    };
    return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

unsigned x86_cpl(const struct cpu_state *s)
{
    switch (x86_mode_of(s)) {
    case MODE_REAL: return 0;
    case MODE_VM86: return 3;
    default:        return s->seg[SEG_CS].dpl;
    }
}

unsigned x86_code_bits(const struct cpu_state *s)
{
    switch (x86_mode_of(s)) {
    case MODE_LONG64: return 64;
    case MODE_PROT32:
    case MODE_COMPAT: return 32;
    default:          return 16;
    }
}

/* Descriptor layout (SDM Vol. 3A Figure 3-8):
 *   low dword:  limit 15:0 | base 15:0 << 16
 *   high dword: base 23:16 | type 11:8 | S 12 | DPL 14:13 | P 15 |
 *               limit 19:16 | AVL 20 | L 21 | D/B 22 | G 23 | base 31:24 */
#define DESC_TYPE_SHIFT  40
#define DESC_S           (1ull << 44)
#define DESC_DPL_SHIFT   45
#define DESC_P           (1ull << 47)
#define DESC_AVL         (1ull << 52)
#define DESC_L           (1ull << 53)
#define DESC_DB          (1ull << 54)
#define DESC_G           (1ull << 55)

void x86_desc_decode(uint64_t raw, uint64_t hi, bool long16, struct x86_segment *seg)
{
    uint32_t limit = (uint32_t)(raw & 0xFFFF) | (uint32_t)((raw >> 32) & 0xF0000);

    seg->base = ((raw >> 16) & 0xFFFFFF) | (((raw >> 56) & 0xFF) << 24);
    if (long16)
        seg->base |= (hi & 0xFFFFFFFFull) << 32;
    seg->type = (raw >> DESC_TYPE_SHIFT) & 0xF;
    seg->s = !!(raw & DESC_S);
    seg->dpl = (raw >> DESC_DPL_SHIFT) & 3;
    seg->present = !!(raw & DESC_P);
    seg->avl = !!(raw & DESC_AVL);
    seg->l = !!(raw & DESC_L);
    seg->db = !!(raw & DESC_DB);
    seg->g = !!(raw & DESC_G);
    seg->limit = seg->g ? (limit << 12) | 0xFFF : limit;
    seg->unusable = !seg->present;
}

uint64_t x86_desc_encode(const struct x86_segment *seg)
{
    uint32_t limit = seg->g ? seg->limit >> 12 : seg->limit;
    uint64_t d = (limit & 0xFFFFull) | ((seg->base & 0xFFFFFFull) << 16);

    d |= (uint64_t)(limit >> 16 & 0xF) << 48;
    d |= ((seg->base >> 24) & 0xFFull) << 56;
    d |= (uint64_t)(seg->type & 0xF) << DESC_TYPE_SHIFT;
    d |= seg->s ? DESC_S : 0;
    d |= (uint64_t)(seg->dpl & 3) << DESC_DPL_SHIFT;
    d |= seg->present ? DESC_P : 0;
    d |= seg->avl ? DESC_AVL : 0;
    d |= seg->l ? DESC_L : 0;
    d |= seg->db ? DESC_DB : 0;
    d |= seg->g ? DESC_G : 0;
    return d;
}

void x86_seg_real(struct x86_segment *seg, uint16_t sel)
{
    memset(seg, 0, sizeof(*seg));
    seg->selector = sel;
    seg->base = (uint64_t)sel << 4;
    seg->limit = 0xFFFF;
    seg->type = SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED;
    seg->s = 1;
    seg->present = 1;
}

void x86_reset_state(struct cpu_state *s, uint16_t cs, uint16_t ip)
{
    memset(s, 0, sizeof(*s));
    for (int i = SEG_ES; i <= SEG_GS; i++)
        x86_seg_real(&s->seg[i], 0);
    x86_seg_real(&s->seg[SEG_CS], cs);
    s->seg[SEG_CS].type = SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED;
    /* LDTR and TR: present system segments with base 0, limit 0xFFFF
     * (SDM Vol. 3A Table 9-1). */
    s->seg[SEG_LDTR].limit = 0xFFFF;
    s->seg[SEG_LDTR].type = SYSTYPE_LDT;
    s->seg[SEG_LDTR].present = 1;
    s->seg[SEG_TR].limit = 0xFFFF;
    s->seg[SEG_TR].type = SYSTYPE_TSS_BUSY;   /* as QEMU and KVM present it */
    s->seg[SEG_TR].present = 1;
    s->gdt.limit = 0xFFFF;
    s->idt.limit = 0xFFFF;
    s->rip = ip;
    s->rflags = RFLAGS_FIXED;
    s->cr0 = CR0_ET | CR0_CD | CR0_NW;
    s->dr[6] = 0xFFFF0FF0;
    s->dr[7] = 0x400;
    s->apic_base = 0xFEE00000u | (1u << 11) | (1u << 8); /* enabled, BSP */
}
