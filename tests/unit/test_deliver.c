/* test_deliver.c - exception and interrupt delivery (machine/deliver.c).
 *
 * Each test builds a GDT, IDT, TSS and (where needed) page tables in guest
 * RAM with the small builders below, delivers one event and checks every
 * pushed slot and the resulting registers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "machine/deliver.h"
#include "machine/paging.h"

#define RAM_SIZE   (4u << 20)
#define GDT_BASE   0x1000u
#define IDT_BASE   0x2000u
#define TSS_BASE   0x3000u
#define PML4_BASE  0x10000u
#define PDPT_BASE  0x11000u
#define PD_BASE    0x12000u
#define PT_BASE    0x13000u
#define STACK0     0x80000u   /* ring-0 stack top (TSS) */
#define STACK3     0x70000u   /* ring-3 stack top */
#define STACK_IST  0x90000u
#define USER_RIP   0x401000u
#define HANDLER    0x402000u

/* GDT selectors */
enum {
    SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x1B, SEL_DATA3 = 0x23,
    SEL_TSS32 = 0x28, SEL_CODE64 = 0x30, SEL_TSS64 = 0x38, /* 0x38 and 0x40 */
    SEL_CODE64_3 = 0x4B, SEL_BAD = 0x7F8,
};
#define GDT_LIMIT 0x4F

struct fx {
    struct gmem mem;
    struct cpu_state s;
    struct deliver_result res;
};

/* ---- memory helpers ---- */

static void wr(struct gmem *m, uint64_t pa, uint64_t v, unsigned size)
{
    uint8_t b[8];

    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    assert_int_equal(gmem_write(m, pa, b, size), 0);
}

static uint64_t rd(struct gmem *m, uint64_t pa, unsigned size)
{
    uint8_t b[8];
    uint64_t v = 0;

    assert_int_equal(gmem_read(m, pa, b, size), 0);
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* ---- builders ---- */

static struct x86_segment flat(uint16_t sel, bool code, unsigned dpl, bool l64)
{
    struct x86_segment g = {
        .selector = sel, .base = 0, .limit = 0xFFFFFFFFu,
        .type = code ? (SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED)
                     : (SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED),
        .s = 1, .dpl = (uint8_t)dpl, .present = 1, .g = 1,
        .l = l64, .db = !l64,
    };
    return g;
}

static struct x86_segment tss_seg(uint16_t sel, uint8_t type)
{
    struct x86_segment g = { .selector = sel, .base = TSS_BASE, .limit = 0x67,
                             .type = type, .present = 1 };
    return g;
}

static void gdt_put(struct gmem *m, uint16_t sel, const struct x86_segment *g)
{
    wr(m, GDT_BASE + (sel & ~7u), x86_desc_encode(g), 8);
}

static void build_gdt(struct gmem *m)
{
    struct x86_segment d[] = {
        flat(SEL_CODE0, true, 0, false), flat(SEL_DATA0, false, 0, false),
        flat(SEL_CODE3, true, 3, false), flat(SEL_DATA3, false, 3, false),
        tss_seg(SEL_TSS32, SYSTYPE_TSS_BUSY), flat(SEL_CODE64, true, 0, true),
        tss_seg(SEL_TSS64, SYSTYPE_TSS_BUSY), flat(SEL_CODE64_3, true, 3, true),
    };
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
        gdt_put(m, d[i].selector, &d[i]);
    wr(m, GDT_BASE + SEL_TSS64 + 8, 0, 8);   /* high half of the 64-bit TSS */
}

static uint64_t gate_lo(uint16_t sel, uint64_t off, uint8_t type, unsigned dpl, bool p)
{
    return (off & 0xFFFF) | (uint64_t)sel << 16 | (uint64_t)type << 40 |
           (uint64_t)dpl << 45 | (p ? 1ull << 47 : 0) | ((off >> 16) & 0xFFFF) << 48;
}

static void gate32(struct gmem *m, unsigned vec, uint16_t sel, uint32_t off, uint8_t type,
                   unsigned dpl, bool p)
{
    wr(m, IDT_BASE + vec * 8, gate_lo(sel, off, type, dpl, p), 8);
}

static void gate64(struct gmem *m, unsigned vec, uint16_t sel, uint64_t off, uint8_t type,
                   unsigned dpl, unsigned ist)
{
    wr(m, IDT_BASE + vec * 16, gate_lo(sel, off, type, dpl, true) | (uint64_t)ist << 32, 8);
    wr(m, IDT_BASE + vec * 16 + 8, off >> 32, 8);
}

/* 4-level identity map of the first 4 MiB: 4 KiB pages below 2 MiB. */
static void build_pt64(struct gmem *m)
{
    const uint64_t flags = PTE_P | PTE_RW | PTE_US;

    wr(m, PML4_BASE, PDPT_BASE | flags, 8);
    wr(m, PDPT_BASE, PD_BASE | flags, 8);
    wr(m, PD_BASE, PT_BASE | flags, 8);
    wr(m, PD_BASE + 8, 0x200000 | flags | PTE_PS, 8);
    for (uint64_t i = 0; i < 512; i++)
        wr(m, PT_BASE + i * 8, (i << 12) | flags, 8);
}

static void unmap64(struct gmem *m, uint64_t va)
{
    wr(m, PT_BASE + ((va >> 12) & 511) * 8, 0, 8);
}

static void seg_all(struct cpu_state *s, struct x86_segment cs, struct x86_segment ds)
{
    s->seg[SEG_CS] = cs;
    for (int i = SEG_ES; i <= SEG_GS; i++)
        if (i != SEG_CS)
            s->seg[i] = ds;
}

/* 32-bit protected mode without paging at @cpl (0 or 3). */
static void prot32(struct fx *f, unsigned cpl)
{
    struct cpu_state *s = &f->s;

    memset(s, 0, sizeof(*s));
    s->cr0 = CR0_PE | CR0_ET;
    s->rflags = RFLAGS_FIXED | RFLAGS_IF;
    s->gdt = (struct x86_dtable){ GDT_BASE, GDT_LIMIT };
    s->idt = (struct x86_dtable){ IDT_BASE, 0x7FF };
    seg_all(s, flat(cpl ? SEL_CODE3 : SEL_CODE0, true, cpl, false),
            flat(cpl ? SEL_DATA3 : SEL_DATA0, false, cpl, false));
    s->seg[SEG_TR] = tss_seg(SEL_TSS32, SYSTYPE_TSS_BUSY);
    s->seg[SEG_LDTR].unusable = 1;
    s->rip = USER_RIP;
    s->gpr[GPR_RSP] = cpl ? STACK3 : 0x60000;
    wr(&f->mem, TSS_BASE + 4, STACK0, 4);       /* ESP0 */
    wr(&f->mem, TSS_BASE + 8, SEL_DATA0, 2);    /* SS0 */
}

/* 64-bit mode with 4-level paging at @cpl. */
static void long64(struct fx *f, unsigned cpl)
{
    struct cpu_state *s = &f->s;

    prot32(f, cpl);
    build_pt64(&f->mem);
    s->cr0 |= CR0_PG;
    s->cr3 = PML4_BASE;
    s->cr4 = CR4_PAE;
    s->efer = EFER_LME | EFER_LMA | EFER_NXE;
    s->seg[SEG_CS] = flat(cpl ? SEL_CODE64_3 : SEL_CODE64, true, cpl, true);
    s->seg[SEG_TR] = tss_seg(SEL_TSS64, SYSTYPE_TSS_BUSY);
    s->idt.limit = 0xFFF;
}

static int setup(void **state)
{
    static struct fx f;

    memset(&f, 0, sizeof(f));
    if (gmem_init(&f.mem, RAM_SIZE) != 0)
        return -1;
    build_gdt(&f.mem);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    gmem_fini(&f->mem);
    return 0;
}

static void deliver(struct fx *f, struct deliver_req r)
{
    assert_int_equal(x86_deliver(&f->s, &f->mem, &r, &f->res), 0);
}

static struct deliver_req fault(uint8_t vec, bool has_error, uint32_t err)
{
    return (struct deliver_req){ .vector = vec, .kind = DLV_FAULT, .has_error = has_error,
                                 .error = err };
}

static struct deliver_req ext(uint8_t vec)
{
    return (struct deliver_req){ .vector = vec, .kind = DLV_EXTERNAL };
}

static struct deliver_req softint(uint8_t vec, uint64_t next)
{
    return (struct deliver_req){ .vector = vec, .kind = DLV_SOFTINT, .next_rip = next };
}

static void assert_delivered(const struct fx *f, uint8_t vec, bool has_error, uint32_t err)
{
    assert_false(f->res.shutdown);
    assert_int_equal(f->res.vector, vec);
    assert_int_equal(f->res.has_error, has_error);
    assert_int_equal(f->res.error, err);
}

/* ---- real mode ---- */

static void test_real_ivt(void **state)
{
    struct fx *f = *state;
    struct cpu_state *s = &f->s;

    x86_reset_state(s, 0x0700, 0x20);
    s->idt = (struct x86_dtable){ 0, 0x3FF };
    s->gpr[GPR_RSP] = 0x100;
    s->rflags = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_TF;
    wr(&f->mem, 0x10 * 4, 0x5678, 2);
    wr(&f->mem, 0x10 * 4 + 2, 0x1234, 2);
    deliver(f, softint(0x10, 0x22));
    assert_delivered(f, 0x10, false, 0);
    assert_int_equal(rd(&f->mem, 0xFE, 2), 0x302);   /* FLAGS */
    assert_int_equal(rd(&f->mem, 0xFC, 2), 0x0700);  /* CS */
    assert_int_equal(rd(&f->mem, 0xFA, 2), 0x22);    /* IP: after INT */
    assert_int_equal(s->gpr[GPR_RSP], 0xFA);
    assert_int_equal(s->seg[SEG_CS].selector, 0x1234);
    assert_int_equal(s->seg[SEG_CS].base, 0x12340);
    assert_int_equal(s->rip, 0x5678);
    assert_int_equal(s->rflags, RFLAGS_FIXED);
}

/* SP wraps inside the 64 KiB stack segment. */
static void test_real_sp_wrap(void **state)
{
    struct fx *f = *state;
    struct cpu_state *s = &f->s;

    x86_reset_state(s, 0x0700, 0x20);
    x86_seg_real(&s->seg[SEG_SS], 0x2000);
    s->gpr[GPR_RSP] = 0x0002;
    wr(&f->mem, 0x08 * 4, 0x0100, 2);
    wr(&f->mem, 0x08 * 4 + 2, 0xF000, 2);
    deliver(f, ext(0x08));
    assert_delivered(f, 0x08, false, 0);
    assert_int_equal(rd(&f->mem, 0x20000, 2), RFLAGS_FIXED);
    assert_int_equal(rd(&f->mem, 0x2FFFE, 2), 0x0700);
    assert_int_equal(rd(&f->mem, 0x2FFFC, 2), 0x20);   /* interrupted IP */
    assert_int_equal(s->gpr[GPR_RSP], 0xFFFC);
    assert_int_equal(s->rip, 0x0100);
    assert_int_equal(s->seg[SEG_CS].base, 0xF0000);
}

/* IVT of one entry: vector 0x20 -> #GP -> #GP -> #DF -> triple fault. */
static void test_real_triple_fault(void **state)
{
    struct fx *f = *state;
    struct cpu_state before;

    x86_reset_state(&f->s, 0x0700, 0x20);
    f->s.idt.limit = 3;
    f->s.gpr[GPR_RSP] = 0x100;
    before = f->s;
    deliver(f, ext(0x20));
    assert_true(f->res.shutdown);
    assert_false(f->res.unsupported);
    assert_non_null(strstr(f->res.why, "triple fault: #GP(0)"));
    assert_non_null(strstr(f->res.why, "while delivering #DF"));
    assert_memory_equal(&f->s, &before, sizeof(before));
    assert_int_equal(rd(&f->mem, 0xFE, 2), 0);   /* nothing pushed */
}

/* ---- 32-bit protected mode ---- */

static void check_same_ring(struct fx *f, uint8_t type, uint64_t flags_after)
{
    struct cpu_state *s = &f->s;

    prot32(f, 0);
    gate32(&f->mem, 0x20, SEL_CODE0, HANDLER, type, 0, true);
    deliver(f, ext(0x20));
    assert_delivered(f, 0x20, false, 0);
    assert_int_equal(s->gpr[GPR_RSP], 0x60000 - 12);
    assert_int_equal(rd(&f->mem, 0x5FFF4, 4), USER_RIP);
    assert_int_equal(rd(&f->mem, 0x5FFF8, 4), SEL_CODE0);
    assert_int_equal(rd(&f->mem, 0x5FFFC, 4), RFLAGS_FIXED | RFLAGS_IF);
    assert_int_equal(s->seg[SEG_CS].selector, SEL_CODE0);
    assert_int_equal(s->seg[SEG_SS].selector, SEL_DATA0);
    assert_int_equal(s->rip, HANDLER);
    assert_int_equal(s->rflags, flags_after);
}

static void test_prot_interrupt_gate_clears_if(void **state)
{
    check_same_ring(*state, SYSTYPE_INT, RFLAGS_FIXED);
}

static void test_prot_trap_gate_keeps_if(void **state)
{
    check_same_ring(*state, SYSTYPE_TRAP, RFLAGS_FIXED | RFLAGS_IF);
}

/* Ring 3 -> 0: SS:ESP from the TSS; SS, ESP, EFLAGS (RF set: a fault),
 * CS, EIP, error code. */
static void test_prot_ring3_to_0_error(void **state)
{
    struct fx *f = *state;
    struct cpu_state *s = &f->s;

    prot32(f, 3);
    gate32(&f->mem, EXC_GP, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    deliver(f, fault(EXC_GP, true, 0x1234));
    assert_delivered(f, EXC_GP, true, 0x1234);
    assert_int_equal(rd(&f->mem, STACK0 - 4, 4), SEL_DATA3);
    assert_int_equal(rd(&f->mem, STACK0 - 8, 4), STACK3);
    assert_int_equal(rd(&f->mem, STACK0 - 12, 4), RFLAGS_FIXED | RFLAGS_IF | RFLAGS_RF);
    assert_int_equal(rd(&f->mem, STACK0 - 16, 4), SEL_CODE3);
    assert_int_equal(rd(&f->mem, STACK0 - 20, 4), USER_RIP);
    assert_int_equal(rd(&f->mem, STACK0 - 24, 4), 0x1234);
    assert_int_equal(s->gpr[GPR_RSP], STACK0 - 24);
    assert_int_equal(s->seg[SEG_SS].selector, SEL_DATA0);
    assert_int_equal(s->seg[SEG_SS].dpl, 0);
    assert_int_equal(s->seg[SEG_SS].limit, 0xFFFFFFFFu);
    assert_int_equal(s->seg[SEG_CS].selector, SEL_CODE0);
    assert_int_equal(x86_cpl(s), 0);
    assert_int_equal(s->rip, HANDLER);
    assert_int_equal(s->rflags, RFLAGS_FIXED);
}

static void test_prot_ring3_to_0_no_error(void **state)
{
    struct fx *f = *state;

    prot32(f, 3);
    gate32(&f->mem, EXC_UD, SEL_CODE0, HANDLER, SYSTYPE_TRAP, 0, true);
    deliver(f, fault(EXC_UD, false, 0));
    assert_delivered(f, EXC_UD, false, 0);
    assert_int_equal(f->s.gpr[GPR_RSP], STACK0 - 20);
    assert_int_equal(rd(&f->mem, STACK0 - 20, 4), USER_RIP);
    assert_int_equal(rd(&f->mem, STACK0 - 24, 4), 0);   /* no error code */
    assert_int_equal(f->s.rflags, RFLAGS_FIXED | RFLAGS_IF);   /* trap gate */
}

/* A 16-bit trap gate pushes 16-bit FLAGS, CS, IP and an error code;
 * ring 3 -> 0 through a 16-bit TSS (SP0 at 2, SS0 at 4). */
static void test_prot_16bit_gate_tss16(void **state)
{
    struct fx *f = *state;
    struct cpu_state *s = &f->s;

    prot32(f, 3);
    s->seg[SEG_TR].type = SYSTYPE_TSS16_BUSY;
    s->seg[SEG_TR].limit = 0x2B;
    wr(&f->mem, TSS_BASE + 2, 0x9000, 2);
    wr(&f->mem, TSS_BASE + 4, SEL_DATA0, 2);
    gate32(&f->mem, EXC_GP, SEL_CODE0, 0x12345678, SYSTYPE_TRAP16, 0, true);
    deliver(f, fault(EXC_GP, true, 0x18));
    assert_delivered(f, EXC_GP, true, 0x18);
    assert_int_equal(rd(&f->mem, 0x9000 - 2, 2), SEL_DATA3);
    assert_int_equal(rd(&f->mem, 0x9000 - 4, 2), STACK3 & 0xFFFF);
    assert_int_equal(rd(&f->mem, 0x9000 - 6, 2), RFLAGS_FIXED | RFLAGS_IF);
    assert_int_equal(rd(&f->mem, 0x9000 - 8, 2), SEL_CODE3);
    assert_int_equal(rd(&f->mem, 0x9000 - 10, 2), USER_RIP & 0xFFFF);
    assert_int_equal(rd(&f->mem, 0x9000 - 12, 2), 0x18);
    assert_int_equal(s->gpr[GPR_RSP], 0x9000 - 12);
    assert_int_equal(s->rip, 0x5678);   /* 16-bit gate: 16-bit offset */
    assert_int_equal(s->rflags, RFLAGS_FIXED | RFLAGS_IF);
}

/* INT 0x80 through a DPL 0 gate from ring 3: #GP(0x80*8+2), saved EIP =
 * the INT instruction. */
static void test_prot_int_gate_dpl(void **state)
{
    struct fx *f = *state;

    prot32(f, 3);
    gate32(&f->mem, 0x80, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    gate32(&f->mem, EXC_GP, SEL_CODE0, HANDLER + 0x100, SYSTYPE_INT, 0, true);
    deliver(f, softint(0x80, USER_RIP + 2));
    assert_delivered(f, EXC_GP, true, 0x80 * 8 + 2);
    assert_int_equal(rd(&f->mem, STACK0 - 24, 4), 0x402);
    assert_int_equal(rd(&f->mem, STACK0 - 20, 4), USER_RIP);
    assert_int_equal(f->s.rip, HANDLER + 0x100);
    assert_non_null(strstr(f->res.why, "INT 0x80: gate DPL 0 < CPL 3"));
}

static void test_prot_int_gate_dpl3_ok(void **state)
{
    struct fx *f = *state;

    prot32(f, 3);
    gate32(&f->mem, 0x80, SEL_CODE0, HANDLER, SYSTYPE_TRAP, 3, true);
    deliver(f, softint(0x80, USER_RIP + 2));
    assert_delivered(f, 0x80, false, 0);
    assert_int_equal(rd(&f->mem, STACK0 - 20, 4), USER_RIP + 2);
    assert_int_equal(rd(&f->mem, STACK0 - 12, 4), RFLAGS_FIXED | RFLAGS_IF); /* no RF */
    assert_int_equal(f->s.gpr[GPR_RSP], STACK0 - 20);
}

static void test_prot_gate_not_present(void **state)
{
    struct fx *f = *state;

    prot32(f, 0);
    gate32(&f->mem, 0x21, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, false);
    gate32(&f->mem, EXC_NP, SEL_CODE0, HANDLER + 0x200, SYSTYPE_INT, 0, true);
    deliver(f, ext(0x21));
    assert_delivered(f, EXC_NP, true, 0x21 * 8 + 2 + 1);   /* IDT | EXT */
    assert_int_equal(rd(&f->mem, 0x60000 - 16, 4), 0x10B);
    assert_int_equal(rd(&f->mem, 0x60000 - 12, 4), USER_RIP);
    assert_int_equal(f->s.rip, HANDLER + 0x200);
}

static void test_prot_idt_limit(void **state)
{
    struct fx *f = *state;

    prot32(f, 0);
    f->s.idt.limit = 32 * 8 - 1;
    gate32(&f->mem, EXC_GP, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    deliver(f, ext(0x40));
    assert_delivered(f, EXC_GP, true, 0x40 * 8 + 2 + 1);
    assert_non_null(strstr(f->res.why, "beyond the IDT limit"));
}

/* A benign #UD whose gate is missing: #NP delivered serially. */
static void test_prot_benign_then_np(void **state)
{
    struct fx *f = *state;

    prot32(f, 0);
    gate32(&f->mem, EXC_UD, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, false);
    gate32(&f->mem, EXC_NP, SEL_CODE0, HANDLER + 0x200, SYSTYPE_INT, 0, true);
    deliver(f, fault(EXC_UD, false, 0));
    assert_delivered(f, EXC_NP, true, EXC_UD * 8 + 3);
    assert_null(strstr(f->res.why, "#DF"));
}

/* #GP whose gate names a selector beyond the GDT: #GP(sel|EXT) during a
 * contributory fault -> #DF(0). */
static void test_prot_contributory_double_fault(void **state)
{
    struct fx *f = *state;

    prot32(f, 0);
    gate32(&f->mem, EXC_GP, SEL_BAD, HANDLER, SYSTYPE_INT, 0, true);
    gate32(&f->mem, EXC_DF, SEL_CODE0, HANDLER + 0x800, SYSTYPE_INT, 0, true);
    deliver(f, fault(EXC_GP, true, 0));
    assert_delivered(f, EXC_DF, true, 0);
    assert_int_equal(rd(&f->mem, 0x60000 - 16, 4), 0);   /* #DF error code */
    assert_int_equal(f->s.rip, HANDLER + 0x800);
    assert_non_null(strstr(f->res.why, "#DF: #GP(0x7f9)"));
}

/* #GP while delivering #PF -> #DF (page fault then contributory). */
static void test_prot_pf_then_gp_double_fault(void **state)
{
    struct fx *f = *state;
    struct deliver_req r = fault(EXC_PF, true, PFEC_W);

    prot32(f, 0);
    r.cr2 = 0x123456;
    gate32(&f->mem, EXC_PF, SEL_BAD, HANDLER, SYSTYPE_INT, 0, true);
    gate32(&f->mem, EXC_DF, SEL_CODE0, HANDLER + 0x800, SYSTYPE_INT, 0, true);
    deliver(f, r);
    assert_delivered(f, EXC_DF, true, 0);
    assert_int_equal(f->s.cr2, 0x123456);   /* written before the push */
    assert_non_null(strstr(f->res.why, "#DF: #GP(0x7f9)"));
    assert_non_null(strstr(f->res.why, "while delivering #PF"));
}

static void test_prot_fault_during_df_shutdown(void **state)
{
    struct fx *f = *state;
    struct cpu_state before;

    prot32(f, 0);
    gate32(&f->mem, EXC_GP, SEL_BAD, HANDLER, SYSTYPE_INT, 0, true);
    gate32(&f->mem, EXC_DF, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, false);
    before = f->s;
    deliver(f, fault(EXC_GP, true, 0));
    assert_true(f->res.shutdown);
    assert_string_equal(f->res.why,
                        "triple fault: #NP(0x43) (vector 0x8: gate not present) "
                        "while delivering #DF");
    assert_memory_equal(&f->s, &before, sizeof(before));
}

/* Ring 3 -> 0 with a TSS too short for ESP0/SS0: #TS(TSS selector|EXT). */
static void test_prot_tss_limit(void **state)
{
    struct fx *f = *state;

    prot32(f, 3);
    f->s.seg[SEG_TR].limit = 7;
    gate32(&f->mem, 0x30, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    gate32(&f->mem, EXC_TS, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    gate32(&f->mem, EXC_DF, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    deliver(f, ext(0x30));
    /* #TS itself needs the same stack switch: #TS during #TS -> #DF, whose
     * delivery fails the same way -> shutdown. */
    assert_true(f->res.shutdown);
    assert_non_null(strstr(f->res.why, "triple fault: #TS(0x29)"));
}

/* Stack segment limit: the push would go below an expand-up SS limit. */
static void test_prot_stack_limit(void **state)
{
    struct fx *f = *state;

    prot32(f, 0);
    f->s.gpr[GPR_RSP] = 0x10010;      /* EFLAGS would go to 0x1000C..0x1000F */
    f->s.seg[SEG_SS].limit = 0x10009;
    gate32(&f->mem, 0x20, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    gate32(&f->mem, EXC_SS, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    gate32(&f->mem, EXC_DF, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    deliver(f, ext(0x20));
    /* #SS(EXT) during an interrupt is delivered serially, and fails again
     * (contributory) -> #DF -> fails -> shutdown. */
    assert_true(f->res.shutdown);
    assert_non_null(strstr(f->res.why, "#SS(0x1)"));
}

/* Virtual-8086 mode: GS, FS, DS, ES, SS, ESP, EFLAGS, CS, EIP on the ring-0
 * stack; data segments loaded with null. */
static void vm86_state(struct fx *f, unsigned iopl)
{
    struct cpu_state *s = &f->s;

    prot32(f, 0);
    s->rflags = RFLAGS_FIXED | RFLAGS_VM | RFLAGS_IF | ((uint64_t)iopl << RFLAGS_IOPL_SHIFT);
    x86_seg_real(&s->seg[SEG_CS], 0x1000);
    x86_seg_real(&s->seg[SEG_SS], 0x2000);
    x86_seg_real(&s->seg[SEG_DS], 0x3000);
    x86_seg_real(&s->seg[SEG_ES], 0x4000);
    x86_seg_real(&s->seg[SEG_FS], 0x5000);
    x86_seg_real(&s->seg[SEG_GS], 0x6000);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        s->seg[i].dpl = 3;
    s->rip = 0x10;
    s->gpr[GPR_RSP] = 0x100;
}

static void test_vm86_frame(void **state)
{
    struct fx *f = *state;
    struct cpu_state *s = &f->s;
    const uint64_t expect[] = { 0x6000, 0x5000, 0x3000, 0x4000, 0x2000, 0x100,
                                RFLAGS_FIXED | RFLAGS_VM | RFLAGS_IF | RFLAGS_IOPL,
                                0x1000, 0x10 };

    vm86_state(f, 3);
    gate32(&f->mem, 0x21, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, true);
    deliver(f, ext(0x21));
    assert_delivered(f, 0x21, false, 0);
    for (unsigned i = 0; i < 9; i++)
        assert_int_equal(rd(&f->mem, STACK0 - 4 * (i + 1), 4), expect[i]);
    assert_int_equal(s->gpr[GPR_RSP], STACK0 - 36);
    for (int i = SEG_ES; i <= SEG_GS; i++) {
        if (i == SEG_CS || i == SEG_SS)
            continue;
        assert_int_equal(s->seg[i].selector, 0);
        assert_true(s->seg[i].unusable);
    }
    assert_int_equal(s->seg[SEG_CS].selector, SEL_CODE0);
    assert_int_equal(s->seg[SEG_SS].selector, SEL_DATA0);
    assert_int_equal(x86_mode_of(s), MODE_PROT32);
    assert_int_equal(s->rflags, RFLAGS_FIXED | RFLAGS_IOPL);
}

/* INT n in virtual-8086 mode with IOPL < 3: #GP(0), vm86 frame + error. */
static void test_vm86_int_iopl(void **state)
{
    struct fx *f = *state;

    vm86_state(f, 0);
    gate32(&f->mem, 0x21, SEL_CODE0, HANDLER, SYSTYPE_INT, 3, true);
    gate32(&f->mem, EXC_GP, SEL_CODE0, HANDLER + 0x10, SYSTYPE_INT, 0, true);
    deliver(f, softint(0x21, 0x12));
    assert_delivered(f, EXC_GP, true, 0);
    assert_int_equal(f->s.gpr[GPR_RSP], STACK0 - 40);
    assert_int_equal(rd(&f->mem, STACK0 - 40, 4), 0);      /* error code */
    assert_int_equal(rd(&f->mem, STACK0 - 36, 4), 0x10);   /* the INT itself */
    assert_int_equal(f->s.rip, HANDLER + 0x10);
}

/* From virtual-8086 mode only a DPL 0 handler is allowed: #GP(sel|EXT). */
static void test_vm86_gate_to_ring3(void **state)
{
    struct fx *f = *state;

    vm86_state(f, 3);
    gate32(&f->mem, 0x21, SEL_CODE3, HANDLER, SYSTYPE_INT, 3, true);
    gate32(&f->mem, EXC_GP, SEL_CODE0, HANDLER + 0x10, SYSTYPE_INT, 0, true);
    deliver(f, ext(0x21));
    assert_delivered(f, EXC_GP, true, (SEL_CODE3 & ~3u) | 1);
    assert_int_equal(f->s.rip, HANDLER + 0x10);
}

/* ---- IA-32e mode ---- */

static void test_long_same_ring_aligned(void **state)
{
    struct fx *f = *state;
    struct cpu_state *s = &f->s;
    const uint64_t target = 0xFFFFFFFF80002000ull;

    long64(f, 0);
    s->gpr[GPR_RSP] = 0x7FFF8;
    gate64(&f->mem, 0x20, SEL_CODE64, target, SYSTYPE_INT, 0, 0);
    deliver(f, ext(0x20));
    assert_delivered(f, 0x20, false, 0);
    /* RSP aligned down to 0x7FFF0 first */
    assert_int_equal(rd(&f->mem, 0x7FFE8, 8), SEL_DATA0);
    assert_int_equal(rd(&f->mem, 0x7FFE0, 8), 0x7FFF8);
    assert_int_equal(rd(&f->mem, 0x7FFD8, 8), RFLAGS_FIXED | RFLAGS_IF);
    assert_int_equal(rd(&f->mem, 0x7FFD0, 8), SEL_CODE64);
    assert_int_equal(rd(&f->mem, 0x7FFC8, 8), USER_RIP);
    assert_int_equal(s->gpr[GPR_RSP], 0x7FFC8);
    assert_int_equal(s->rip, target);
    assert_int_equal(s->seg[SEG_SS].selector, SEL_DATA0);
    assert_int_equal(x86_mode_of(s), MODE_LONG64);
    assert_int_equal(s->rflags, RFLAGS_FIXED);
}

static void test_long_ring3_to_0_pf(void **state)
{
    struct fx *f = *state;
    struct cpu_state *s = &f->s;
    struct deliver_req r = fault(EXC_PF, true, PFEC_U | PFEC_W | PFEC_P);

    long64(f, 3);
    wr(&f->mem, TSS_BASE + 4, STACK0 + 8, 8);   /* RSP0, misaligned */
    gate64(&f->mem, EXC_PF, SEL_CODE64, HANDLER, SYSTYPE_INT, 0, 0);
    r.cr2 = 0xDEAD000;
    deliver(f, r);
    assert_delivered(f, EXC_PF, true, 7);
    assert_int_equal(rd(&f->mem, STACK0 - 8, 8), SEL_DATA3);
    assert_int_equal(rd(&f->mem, STACK0 - 16, 8), STACK3);
    assert_int_equal(rd(&f->mem, STACK0 - 24, 8), RFLAGS_FIXED | RFLAGS_IF | RFLAGS_RF);
    assert_int_equal(rd(&f->mem, STACK0 - 32, 8), SEL_CODE64_3);
    assert_int_equal(rd(&f->mem, STACK0 - 40, 8), USER_RIP);
    assert_int_equal(rd(&f->mem, STACK0 - 48, 8), 7);
    assert_int_equal(s->gpr[GPR_RSP], STACK0 - 48);
    assert_int_equal(s->cr2, 0xDEAD000);
    assert_int_equal(s->seg[SEG_SS].selector, 0);   /* null, RPL = CPL 0 */
    assert_int_equal(s->seg[SEG_CS].selector, SEL_CODE64);
    assert_int_equal(x86_cpl(s), 0);
}

static void test_long_ist(void **state)
{
    struct fx *f = *state;

    long64(f, 0);
    wr(&f->mem, TSS_BASE + 0x24 + 8, STACK_IST + 0xF, 8);   /* IST2 */
    gate64(&f->mem, EXC_NMI, SEL_CODE64, HANDLER, SYSTYPE_INT, 0, 2);
    deliver(f, ext(EXC_NMI));
    assert_delivered(f, EXC_NMI, false, 0);
    assert_int_equal(f->s.gpr[GPR_RSP], STACK_IST - 40);
    assert_int_equal(rd(&f->mem, STACK_IST - 16, 8), 0x60000);   /* old RSP */
    assert_int_equal(rd(&f->mem, STACK_IST - 8, 8), SEL_DATA0);
}

/* 64-bit gate must point at a 64-bit code segment. */
static void test_long_needs_l_segment(void **state)
{
    struct fx *f = *state;

    long64(f, 0);
    gate64(&f->mem, 0x20, SEL_CODE0, HANDLER, SYSTYPE_INT, 0, 0);
    gate64(&f->mem, EXC_GP, SEL_CODE64, HANDLER + 0x40, SYSTYPE_INT, 0, 0);
    deliver(f, ext(0x20));
    assert_delivered(f, EXC_GP, true, SEL_CODE0 | 1);
}

/* #GP whose stack page is missing: #PF (serially, Table 6-5), whose push
 * fails again: #PF during #PF -> #DF, delivered on IST1.  CR2 holds the
 * failing push address. */
static void test_long_pf_pf_double_fault(void **state)
{
    struct fx *f = *state;
    struct cpu_state *s = &f->s;

    long64(f, 0);
    s->gpr[GPR_RSP] = 0x50000;
    unmap64(&f->mem, 0x4F000);
    wr(&f->mem, TSS_BASE + 0x24, STACK_IST, 8);   /* IST1 */
    gate64(&f->mem, EXC_GP, SEL_CODE64, HANDLER, SYSTYPE_INT, 0, 0);
    gate64(&f->mem, EXC_PF, SEL_CODE64, HANDLER + 0x10, SYSTYPE_INT, 0, 0);
    gate64(&f->mem, EXC_DF, SEL_CODE64, HANDLER + 0x20, SYSTYPE_INT, 0, 1);
    deliver(f, fault(EXC_GP, true, 0));
    assert_delivered(f, EXC_DF, true, 0);
    assert_int_equal(s->cr2, 0x4FFF8);
    assert_int_equal(s->rip, HANDLER + 0x20);
    assert_int_equal(s->gpr[GPR_RSP], STACK_IST - 48);
    assert_int_equal(rd(&f->mem, STACK_IST - 48, 8), 0);
    assert_int_equal(rd(&f->mem, STACK_IST - 40, 8), USER_RIP);
    assert_int_equal(rd(&f->mem, 0x4FFF8, 8), 0);    /* nothing written there */
    assert_non_null(strstr(f->res.why, "#PF(0x2)"));
    assert_non_null(strstr(f->res.why, "#DF: #PF(0x2)"));
}

/* #PF during #DF: triple fault. */
static void test_long_pf_during_df(void **state)
{
    struct fx *f = *state;

    long64(f, 0);
    f->s.gpr[GPR_RSP] = 0x50000;
    unmap64(&f->mem, 0x4F000);
    gate64(&f->mem, EXC_PF, SEL_CODE64, HANDLER, SYSTYPE_INT, 0, 0);
    gate64(&f->mem, EXC_DF, SEL_CODE64, HANDLER, SYSTYPE_INT, 0, 0);
    deliver(f, fault(EXC_PF, true, 0));
    assert_true(f->res.shutdown);
    assert_non_null(strstr(f->res.why, "triple fault: #PF(0x2)"));
    assert_non_null(strstr(f->res.why, "while delivering #DF"));
}

/* The IDT itself is not mapped: #PF with the IDT entry's address in CR2. */
static void test_long_idt_unmapped(void **state)
{
    struct fx *f = *state;

    long64(f, 0);
    f->s.idt.base = 0x1FF000;
    f->s.idt.limit = 0xFFF;
    unmap64(&f->mem, 0x1FF000);
    deliver(f, ext(0x20));
    /* #PF needs the IDT too: #PF during #PF -> #DF -> #PF -> shutdown. */
    assert_true(f->res.shutdown);
    assert_non_null(strstr(f->res.why, "IDT read at 0x1ff080"));
}

static void test_task_gate_unsupported(void **state)
{
    struct fx *f = *state;

    prot32(f, 0);
    gate32(&f->mem, EXC_DF, SEL_TSS32, 0, SYSTYPE_TASK, 0, true);
    deliver(f, fault(EXC_DF, true, 0));
    assert_true(f->res.shutdown);
    assert_true(f->res.unsupported);
    assert_non_null(strstr(f->res.why, "task gate"));
}

static void test_bad_request(void **state)
{
    struct fx *f = *state;
    struct deliver_req r = { .vector = 1, .kind = (enum deliver_kind)9 };

    assert_int_equal(x86_deliver(&f->s, &f->mem, &r, &f->res), -VMS_ERR_INVAL);
    assert_int_equal(x86_deliver(&f->s, &f->mem, NULL, &f->res), -VMS_ERR_INVAL);
}

static void test_vector_has_error(void **state)
{
    (void)state;
    const uint8_t yes[] = { 8, 10, 11, 12, 13, 14, 17, 21 };
    unsigned n = 0;

    for (unsigned v = 0; v < 256; v++)
        n += x86_vector_has_error((uint8_t)v);
    assert_int_equal(n, sizeof(yes));
    for (size_t i = 0; i < sizeof(yes); i++)
        assert_true(x86_vector_has_error(yes[i]));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_real_ivt), T(test_real_sp_wrap), T(test_real_triple_fault),
        T(test_prot_interrupt_gate_clears_if), T(test_prot_trap_gate_keeps_if),
        T(test_prot_ring3_to_0_error), T(test_prot_ring3_to_0_no_error),
        T(test_prot_16bit_gate_tss16),
        T(test_prot_int_gate_dpl), T(test_prot_int_gate_dpl3_ok),
        T(test_prot_gate_not_present), T(test_prot_idt_limit), T(test_prot_benign_then_np),
        T(test_prot_contributory_double_fault), T(test_prot_pf_then_gp_double_fault),
        T(test_prot_fault_during_df_shutdown),
        T(test_prot_tss_limit), T(test_prot_stack_limit),
        T(test_vm86_frame), T(test_vm86_int_iopl), T(test_vm86_gate_to_ring3),
        T(test_long_same_ring_aligned), T(test_long_ring3_to_0_pf), T(test_long_ist),
        T(test_long_needs_l_segment), T(test_long_pf_pf_double_fault),
        T(test_long_pf_during_df), T(test_long_idt_unmapped),
        T(test_task_gate_unsupported), T(test_bad_request), T(test_vector_has_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
