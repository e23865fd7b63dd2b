/* test_uc_engine.c - the Unicorn engine (machine/uc_engine.c) against small
 * guests assembled by gas below.  No devices: the io callback records every
 * access and answers reads from a table; the note callback records events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machine/cpuid.h"
#include "machine/paging.h"
#include "machine/uc_blob.h"
#include "machine/uc_engine.h"
#include "machine/vm.h"
#include "machine/x86.h"

/* ------------------------------------------------------------ guests */

#define LOAD 0x8000u   /* every guest is copied here */
#define ABS(l, s) ((l) - (s) + 0x8000)

__asm__(
    ".section .rodata\n"
    /* real mode: OUT and IN of each width */
    ".globl g_rio, g_rio_end\n"
    ".code16\n"
    "g_rio:\n"
    "  mov $0x12, %al\n  out %al, $0x80\n"
    "  mov $0x3456, %ax\n  out %ax, $0x82\n"
    "  mov $0x789abcde, %eax\n  out %eax, $0x84\n"
    "  in $0x90, %al\n  out %al, $0x80\n"
    "  in $0x92, %ax\n  out %ax, $0x82\n"
    "  in $0x94, %eax\n  out %eax, $0x84\n"
    "  hlt\n"
    "g_rio_end:\n"

    /* real -> protected -> long mode (2 MiB and 1 GiB pages), reporting */
    ".globl g_mode, g_mode_end\n"
    "g_mode:\n"
    "  cli\n"
    "  lgdtl (gdtr_m - g_mode + 0x8000)\n"
    "  mov %cr0, %eax\n  or $1, %eax\n  mov %eax, %cr0\n"
    "  ljmpl $0x18, $(p32_m - g_mode + 0x8000)\n"
    ".code32\n"
    "p32_m:\n"
    "  mov $0x10, %ax\n  mov %ax, %ds\n  mov %ax, %ss\n  mov %ax, %es\n"
    "  mov $0x32, %al\n  out %al, $0x80\n"
    "  mov %cr4, %eax\n  or $0x20, %eax\n  mov %eax, %cr4\n"
    "  mov $0x10000, %eax\n  mov %eax, %cr3\n"
    "  mov $0xC0000080, %ecx\n  rdmsr\n  or $0x100, %eax\n  wrmsr\n"
    "  mov %cr0, %eax\n  or $0x80000000, %eax\n  mov %eax, %cr0\n"
    "  ljmp $0x08, $(p64_m - g_mode + 0x8000)\n"
    ".code64\n"
    "p64_m:\n"
    "  mov $0x64, %al\n  out %al, $0x80\n"
    "  mov $0x40000500, %eax\n  mov (%rax), %eax\n  out %eax, $0x84\n"  /* 1 GiB page -> PA 0x500 */
    "  mov $0x300000, %eax\n  mov (%rax), %eax\n  out %eax, $0x84\n"    /* 2 MiB page */
    "  hlt\n"
    ".p2align 3\n"
    "gdt_m: .quad 0, 0x00AF9A000000FFFF, 0x00CF92000000FFFF, 0x00CF9A000000FFFF\n"
    "gdtr_m: .word 31\n .long gdt_m - g_mode + 0x8000\n"
    "g_mode_end:\n"

    /* 32-bit: read linear 0x400000 (mapped by the test), report, halt */
    ".globl g_pg32, g_pg32_end\n"
    ".code32\n"
    "g_pg32:\n"
    "  mov 0x400000, %eax\n  out %eax, $0x84\n  hlt\n"
    "g_pg32_end:\n"

    /* budget: 1 + 2*1000 + 1 instructions */
    ".globl g_loop, g_loop_end\n"
    ".code64\n"
    "g_loop:\n"
    "  mov $1000, %ecx\n"
    "1: dec %ecx\n  jnz 1b\n"
    "  hlt\n"
    "g_loop_end:\n"

    /* real mode #DE through the IVT; handler at 0x9000 reports 0xDE */
    ".globl g_rde, g_rde_end\n"
    ".code16\n"
    "g_rde:\n"
    "  xor %cx, %cx\n  div %cx\n  hlt\n"
    "g_rde_end:\n"
    ".globl g_rdeh, g_rdeh_end\n"
    "g_rdeh:\n"
    "  mov $0xDE, %al\n  out %al, $0x80\n  hlt\n"
    "g_rdeh_end:\n"

    /* 32/64-bit faults; handlers report vector (0x80) and error (0x84) */
    ".globl g_gp32, g_gp32_end\n"
    ".code32\n"
    "g_gp32:\n"
    "  mov $0x1234, %ax\n  mov %ax, %ds\n  hlt\n"
    "g_gp32_end:\n"
    ".globl g_h32err, g_h32err_end\n"       /* handler with error code */
    "g_h32err:\n"
    "  mov $0x0D, %al\n  out %al, $0x80\n  pop %eax\n  out %eax, $0x84\n"
    "  mov %cr2, %eax\n  out %eax, $0x88\n  hlt\n"
    "g_h32err_end:\n"
    ".globl g_pf64, g_pf64_end\n"
    ".code64\n"
    "g_pf64:\n"
    "  movl $5, 0x7000000\n  hlt\n"          /* not mapped -> #PF W */
    "g_pf64_end:\n"
    ".globl g_h64err, g_h64err_end\n"
    "g_h64err:\n"
    "  pop %rax\n  out %eax, $0x84\n  mov %cr2, %rax\n  out %eax, $0x88\n"
    "  mov (%rsp), %rax\n  out %eax, $0x8C\n  hlt\n"   /* saved RIP */
    "g_h64err_end:\n"
    ".globl g_int64, g_int64_end\n"
    "g_int64:\n"
    "  int $0x40\n  int3\n  mov $0x77, %al\n  out %al, $0x80\n  hlt\n"
    "g_int64_end:\n"
    ".globl g_hiret, g_hiret_end\n"          /* report saved RIP, iretq */
    "g_hiret:\n"
    "  mov (%rsp), %rax\n  out %eax, $0x8C\n  iretq\n"
    "g_hiret_end:\n"

    /* ring 3 -> 0 through the TSS (32-bit), int $0x80 */
    ".globl g_u32, g_u32_end\n"
    ".code32\n"
    "g_u32:\n"
    "  int $0x80\n  jmp .\n"
    "g_u32_end:\n"
    ".globl g_k32, g_k32_end\n"
    "g_k32:\n"
    "  mov %cs, %eax\n  out %eax, $0x84\n  mov %esp, %eax\n  out %eax, $0x88\n  hlt\n"
    "g_k32_end:\n"

    /* SYSCALL/SYSRET: user (CPL 3, IOPL 3) -> kernel -> user */
    ".globl g_usys, g_usys_end\n"
    ".code64\n"
    "g_usys:\n"
    "  mov $0x31, %al\n  out %al, $0x80\n  syscall\n"
    "  mov %cs, %eax\n  out %eax, $0x84\n  jmp .\n"
    "g_usys_end:\n"
    ".globl g_ksys, g_ksys_end\n"
    "g_ksys:\n"
    "  mov %cs, %eax\n  out %eax, $0x84\n  sysretq\n"
    "g_ksys_end:\n"

    /* SYSENTER/SYSEXIT (32-bit) */
    ".globl g_usen, g_usen_end\n"
    ".code32\n"
    "g_usen:\n"
    "  mov $0x41, %al\n  out %al, $0x80\n"
    "  mov $(0x8000 + 0x20), %edx\n  mov $0x6000, %ecx\n  sysenter\n"
    ".org g_usen + 0x20\n"
    "  mov %cs, %eax\n  out %eax, $0x84\n  jmp .\n"
    "g_usen_end:\n"
    ".globl g_ksen, g_ksen_end\n"
    "g_ksen:\n"
    "  mov %cs, %eax\n  out %eax, $0x84\n  sysexit\n"
    "g_ksen_end:\n"

    /* code coherence (64-bit): f at 0x9000 = mov $imm, %eax; ret */
    ".globl g_coh, g_coh_end\n"
    ".code64\n"
    "g_coh:\n"
    "  mov $0x7000, %esp\n"
    "  call *%rbx\n  out %eax, $0x84\n"
    "  movl $2, 0x9001\n"                      /* own mapping */
    "  call *%rbx\n  out %eax, $0x84\n"
    "  movl $3, 0x40009001\n"                  /* executable alias */
    "  call *%rbx\n  out %eax, $0x84\n"
    "  movabs $0x80009001, %rdx\n  movl $4, (%rdx)\n"   /* NX alias */
    "  call *%rbx\n  out %eax, $0x84\n"
    /* a kernel's direct map: the NX alias is used (and cached in the
     * TLB) before the code runs, then used again to rewrite it */
    "  movabs $0x8000B001, %rdx\n  movl $5, (%rdx)\n"
    "  mov $0xB000, %ebx\n  call *%rbx\n  out %eax, $0x84\n"
    "  movl $6, (%rdx)\n"
    "  call *%rbx\n  out %eax, $0x84\n"
    "  movl $7, (%rdx)\n"
    "  call *%rbx\n  out %eax, $0x84\n"
    "  hlt\n"
    "g_coh_end:\n"
    ".globl g_f, g_f_end\n"
    "g_f:\n"
    "  mov $1, %eax\n  ret\n"
    "g_f_end:\n"

    /* CPUID leaf 0, RDTSC twice, hole read, >4 GiB read */
    ".globl g_misc, g_misc_end\n"
    "g_misc:\n"
    "  xor %eax, %eax\n  xor %ecx, %ecx\n  cpuid\n  mov %ebx, %eax\n  out %eax, $0x84\n"
    "  rdtsc\n  out %eax, $0x84\n  rdtsc\n  out %eax, $0x84\n"
    "  mov $0xF0000000, %eax\n  mov (%rax), %eax\n  out %eax, $0x84\n"
    "  movabs $0x100000000, %rax\n  mov (%rax), %eax\n  hlt\n"
    "g_misc_end:\n"

    /* ring 3: load DS (the CPU reads the supervisor-only GDT page: an
     * implicit supervisor access), then read that page itself (#PF) */
    ".globl g_impl, g_impl_end\n"
    ".code64\n"
    "g_impl:\n"
    "  mov $0x33, %eax\n  mov %eax, %ds\n  mov %ds, %eax\n  out %eax, $0x84\n"
    "  mov 0x1000, %eax\n  hlt\n"
    "g_impl_end:\n"

    /* triple fault: empty IDT, then #UD */
    ".globl g_tf, g_tf_end\n"
    "g_tf:\n"
    "  ud2\n"
    "g_tf_end:\n"
    ".text\n");

#define GUEST(name) extern const uint8_t name[], name##_end[]
GUEST(g_rio); GUEST(g_mode); GUEST(g_pg32); GUEST(g_loop); GUEST(g_rde);
GUEST(g_rdeh); GUEST(g_gp32); GUEST(g_h32err); GUEST(g_pf64); GUEST(g_h64err);
GUEST(g_int64); GUEST(g_hiret); GUEST(g_u32); GUEST(g_k32); GUEST(g_usys);
GUEST(g_ksys); GUEST(g_usen); GUEST(g_ksen); GUEST(g_coh); GUEST(g_f);
GUEST(g_misc); GUEST(g_tf); GUEST(g_impl);

/* ------------------------------------------------------------ fixture */

#define RAM_SIZE   (16u << 20)
#define MAX_IO     64
#define MAX_EV     32
#define GDT_BASE   0x1000u
#define IDT_BASE   0x2000u
#define TSS_BASE   0x3000u
#define PT_BASE    0x10000u   /* paging structures, 0x10000-0x1FFFF */

/* GDT selectors (SYSCALL/SYSRET and SYSENTER/SYSEXIT friendly layout) */
#define K_CS64 0x08
#define K_DS   0x10
#define K_CS32 0x18
#define K_DS2  0x20
#define U_CS32 0x28
#define U_DS   0x30
#define U_CS64 0x38
#define TSS_SEL 0x40

struct io_rec { uint64_t addr, value; uint8_t size; bool write; enum vcpu_exit_kind kind; };

struct fx {
    struct vm vm;
    struct vcpu v;
    struct io_rec io[MAX_IO];
    unsigned nio;
    struct event ev[MAX_EV];
    unsigned nev;
};

static void fx_io(struct vcpu *v, struct vcpu_exit *ex)
{
    struct fx *f = (struct fx *)((char *)v - offsetof(struct fx, v));

    if (!ex->write)
        ex->value = ex->kind == VEXIT_MMIO ? ~0ull >> (64 - 8 * ex->size)
                  : ex->addr == 0x90 ? 0xA5 : ex->addr == 0x92 ? 0xBEEF : 0xCAFEF00D;
    if (f->nio < MAX_IO)
        f->io[f->nio++] = (struct io_rec){ ex->addr, ex->value, ex->size, ex->write, ex->kind };
}

static void fx_note(struct vcpu *v, struct event *e)
{
    struct fx *f = (struct fx *)((char *)v - offsetof(struct fx, v));
    if (f->nev < MAX_EV)
        f->ev[f->nev++] = *e;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    assert_int_equal(gmem_init(&f->vm.mem, RAM_SIZE), 0);
    bus_init(&f->vm.bus);
    f->vm.nvcpu = 1;
    f->v.vm = &f->vm;
    f->v.io = fx_io;
    f->v.note = fx_note;
    int err = uc_vcpu_ops.create(&f->v);
    if (err < 0)
        fail_msg("create: %s", vms_lasterr(err));
    f->v.ops = &uc_vcpu_ops;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    uc_vcpu_ops.destroy(&f->v);
    bus_fini(&f->vm.bus);
    gmem_fini(&f->vm.mem);
    free(f);
    return 0;
}

static void put(struct fx *f, uint64_t pa, const void *p, size_t n)
{
    assert_int_equal(gmem_write(&f->vm.mem, pa, p, n), 0);
}

static void put64(struct fx *f, uint64_t pa, uint64_t v) { put(f, pa, &v, 8); }
static void put32(struct fx *f, uint64_t pa, uint32_t v) { put(f, pa, &v, 4); }

static void load(struct fx *f, uint64_t pa, const uint8_t *a, const uint8_t *b)
{
    put(f, pa, a, (size_t)(b - a));
    uc_vcpu_ops.mem_written(&f->v, pa, (uint64_t)(b - a));
}
#define LOADG(f, pa, g) load(f, pa, g, g##_end)

static struct vcpu_exit run(struct fx *f, uint64_t budget)
{
    struct vcpu_exit ex;
    int rc = uc_vcpu_ops.run(&f->v, budget, &ex);
    if (getenv("UCT_VERBOSE"))
        print_message("run(%llu): kind %d executed %llu rip 0x%llx %s\n",
                      (unsigned long long)budget, ex.kind, (unsigned long long)ex.executed,
                      (unsigned long long)ex.rip, ex.text);
    if (rc < 0 && ex.kind != VEXIT_ERROR)
        fail_msg("run failed without VEXIT_ERROR");
    return ex;
}

static void expect_io(struct fx *f, unsigned i, uint64_t addr, uint64_t value,
                      unsigned size, bool write)
{
    if (i >= f->nio)
        fail_msg("io #%u missing (only %u)", i, f->nio);
    assert_int_equal(f->io[i].addr, addr);
    assert_int_equal(f->io[i].value, value);
    assert_int_equal(f->io[i].size, size);
    assert_int_equal(f->io[i].write, write);
}

/* ---------------------------------------------------- state builders */

static const uint64_t gdt_raw[] = {
    0,
    0x00AF9A000000FFFFull,   /* 0x08 kernel code64 */
    0x00CF92000000FFFFull,   /* 0x10 kernel data */
    0x00CF9A000000FFFFull,   /* 0x18 kernel code32 */
    0x00CF92000000FFFFull,   /* 0x20 kernel data */
    0x00CFFA000000FFFFull,   /* 0x28 user code32 */
    0x00CFF2000000FFFFull,   /* 0x30 user data */
    0x00AFFA000000FFFFull,   /* 0x38 user code64 */
    0x0000890030000067ull,   /* 0x40 TSS at 0x3000, limit 0x67 */
    0,
};

static void seg_load(struct cpu_state *s, enum x86_seg i, uint16_t sel)
{
    x86_desc_decode(gdt_raw[sel >> 3], 0, i == SEG_TR, &s->seg[i]);
    s->seg[i].selector = sel;
    if (i == SEG_TR)
        s->seg[i].type = SYSTYPE_TSS_BUSY;
}

static void prot_state(struct fx *f, struct cpu_state *s, bool lm, unsigned cpl)
{
    uint16_t cs = lm ? (cpl ? U_CS64 | 3 : K_CS64) : (cpl ? U_CS32 | 3 : K_CS32);
    uint16_t ds = cpl ? U_DS | 3 : K_DS;

    put(f, GDT_BASE, gdt_raw, sizeof(gdt_raw));
    x86_reset_state(s, 0, 0);
    s->cr0 = CR0_PE | CR0_ET;
    seg_load(s, SEG_CS, cs);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        if (i != SEG_CS)
            seg_load(s, (enum x86_seg)i, ds);
    seg_load(s, SEG_TR, TSS_SEL);
    s->seg[SEG_LDTR].present = 0;
    s->seg[SEG_LDTR].unusable = 1;
    s->gdt = (struct x86_dtable){ GDT_BASE, sizeof(gdt_raw) - 1 };
    s->idt = (struct x86_dtable){ IDT_BASE, lm ? 0xFFF : 0x7FF };
    s->rip = LOAD;
    s->gpr[GPR_RSP] = 0x7000;
    s->rflags = RFLAGS_FIXED | (cpl ? RFLAGS_IOPL : 0);
}

/* 4-level identity map: 2 MiB pages for the first GiB, PDPT[1] = 1 GiB page
 * at PA 0 (executable), PDPT[2] = same, no-execute. */
static void long_tables(struct fx *f)
{
    const uint64_t rw = PTE_P | PTE_RW | PTE_US;
    put64(f, PT_BASE, (PT_BASE + 0x1000) | rw);
    put64(f, PT_BASE + 0x1000, (PT_BASE + 0x2000) | rw);
    put64(f, PT_BASE + 0x1008, 0 | rw | PTE_PS);
    put64(f, PT_BASE + 0x1010, 0 | rw | PTE_PS | PTE_NX);
    put64(f, PT_BASE + 0x1018, 0xC0000000ull | rw | PTE_PS);   /* the 4 GiB hole */
    put64(f, PT_BASE + 0x1020, 0x100000000ull | rw | PTE_PS);  /* PA 4 GiB: nothing */
    for (uint64_t i = 0; i < 512; i++)
        put64(f, PT_BASE + 0x2000 + 8 * i, (i << 21) | rw | PTE_PS);
}

static void long_state(struct fx *f, struct cpu_state *s, unsigned cpl)
{
    prot_state(f, s, true, cpl);
    long_tables(f);
    s->cr0 |= CR0_PG | CR0_WP;
    s->cr3 = PT_BASE;
    s->cr4 = CR4_PAE | CR4_PSE;
    s->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
    s->idt.limit = 0xFFF;
}

static void set(struct fx *f, const struct cpu_state *s)
{
    assert_int_equal(uc_vcpu_ops.set_state(&f->v, s), 0);
}

static void get(struct fx *f, struct cpu_state *s)
{
    assert_int_equal(uc_vcpu_ops.get_state(&f->v, s), 0);
}

/* IDT gates (SDM Vol. 3A Figures 6-2, 6-8). */
static void gate32(struct fx *f, unsigned vec, uint32_t off, unsigned dpl)
{
    uint64_t g = (off & 0xFFFF) | ((uint64_t)K_CS32 << 16) | ((uint64_t)(0x8E | dpl << 5) << 40) |
                 ((uint64_t)(off >> 16) << 48);
    put64(f, IDT_BASE + 8 * vec, g);
}

static void gate64(struct fx *f, unsigned vec, uint64_t off, unsigned dpl)
{
    uint64_t g = (off & 0xFFFF) | ((uint64_t)K_CS64 << 16) | ((uint64_t)(0x8E | dpl << 5) << 40) |
                 (((off >> 16) & 0xFFFF) << 48);
    put64(f, IDT_BASE + 16 * vec, g);
    put64(f, IDT_BASE + 16 * vec + 8, off >> 32);
}

/* ------------------------------------------------------------ tests */

static void test_calibration(void **state)
{
    const struct uc_blob_layout *L = uc_blob_layout();
    (void)state;
    assert_non_null(L);
    assert_true(L->stride >= 20);
    assert_true(L->hflags < L->seg0);
}

static void test_real_io(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    LOADG(f, 0x7C00, g_rio);
    x86_reset_state(&s, 0, 0x7C00);
    set(f, &s);
    struct vcpu_exit ex = run(f, 1000);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x80, 0x12, 1, true);
    expect_io(f, 1, 0x82, 0x3456, 2, true);
    expect_io(f, 2, 0x84, 0x789abcde, 4, true);
    expect_io(f, 3, 0x90, 0xA5, 1, false);
    expect_io(f, 4, 0x80, 0xA5, 1, true);
    expect_io(f, 6, 0x82, 0xBEEF, 2, true);
    expect_io(f, 8, 0x84, 0xCAFEF00D, 4, true);
    assert_int_equal(ex.executed, 13);
    assert_int_equal(ex.rip, 0x7C00 + (g_rio_end - g_rio));
}

static void test_mode_switch(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    LOADG(f, LOAD, g_mode);
    long_tables(f);
    put32(f, 0x500, 0x1C1C1C1C);
    put32(f, 0x300000, 0x2A2A2A2A);
    x86_reset_state(&s, 0, LOAD);
    set(f, &s);
    struct vcpu_exit ex = run(f, 10000);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x80, 0x32, 1, true);
    expect_io(f, 1, 0x80, 0x64, 1, true);
    expect_io(f, 2, 0x84, 0x1C1C1C1C, 4, true);
    expect_io(f, 3, 0x84, 0x2A2A2A2A, 4, true);
    get(f, &s);
    assert_int_equal(x86_mode_of(&s), MODE_LONG64);
    assert_true(s.efer & EFER_LMA);
}

/* 32-bit paging with 4 KiB and 4 MiB pages, and PAE: VA 0x400000 -> PA 0x300000 */
static void run_pg32(struct fx *f, int kind)
{
    struct cpu_state s;
    const uint32_t rw = PTE_P | PTE_RW;

    memset(f->vm.mem.ram + PT_BASE, 0, 0x4000);
    prot_state(f, &s, false, 0);
    LOADG(f, LOAD, g_pg32);
    put32(f, 0x300000, 0x51 + (uint32_t)kind);
    if (kind == 0) {                 /* 4 KiB */
        put32(f, PT_BASE, (PT_BASE + 0x1000) | rw);           /* PDE 0: identity */
        for (uint32_t i = 0; i < 1024; i++)
            put32(f, PT_BASE + 0x1000 + 4 * i, (i << 12) | rw);
        put32(f, PT_BASE + 4, (PT_BASE + 0x2000) | rw);       /* PDE 1: 0x400000 */
        put32(f, PT_BASE + 0x2000, 0x300000 | rw);
    } else if (kind == 1) {          /* 4 MiB, PA 0 -> the test reads 0x300000+0x100000? */
        put32(f, PT_BASE, 0 | rw | PTE_PS);
        put32(f, PT_BASE + 4, 0 | rw | PTE_PS);               /* 0x400000 -> PA 0 */
        put32(f, 0x0, 0x51 + (uint32_t)kind);
        s.cr4 = CR4_PSE;
    } else {                         /* PAE, 2 MiB pages */
        put64(f, PT_BASE, (PT_BASE + 0x1000) | PTE_P);
        put64(f, PT_BASE + 0x1000, 0 | rw | PTE_PS);
        put64(f, PT_BASE + 0x1010, 0x200000 | rw | PTE_PS);   /* 0x400000 -> 0x200000 */
        put32(f, 0x200000, 0x51 + (uint32_t)kind);
        s.cr4 = CR4_PAE;
    }
    s.cr3 = PT_BASE;
    s.cr0 |= CR0_PG;
    set(f, &s);
    f->nio = 0;
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x84, 0x51 + (uint32_t)kind, 4, true);
}

static void test_paging32(void **state)
{
    for (int k = 0; k < 3; k++)
        run_pg32(*state, k);
}

static void seg_eq(const struct x86_segment *a, const struct x86_segment *b)
{
    assert_int_equal(a->selector, b->selector);
    assert_int_equal(a->base, b->base);
    assert_int_equal(a->limit, b->limit);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->dpl, b->dpl);
    assert_int_equal(a->present, b->present);
    assert_int_equal(a->l, b->l);
    assert_int_equal(a->db, b->db);
    assert_int_equal(a->g, b->g);
}

static void round_trip(struct fx *f, struct cpu_state *s)
{
    struct cpu_state t;

    for (int i = 0; i < GPR_COUNT; i++)
        s->gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
    s->star = 0x0028000800000000ull;
    s->lstar = 0xFFFF800000001000ull;
    s->sysenter_cs = K_CS32;
    set(f, s);
    get(f, &t);
    for (int i = 0; i < GPR_COUNT; i++)
        assert_int_equal(t.gpr[i], s->gpr[i]);
    assert_int_equal(t.rip, s->rip);
    assert_int_equal(t.cr0 & ~CR0_ET, s->cr0 & ~CR0_ET);
    assert_int_equal(t.cr3, s->cr3);
    assert_int_equal(t.cr4, s->cr4);
    assert_int_equal(t.efer, s->efer);
    assert_int_equal(t.star, s->star);
    assert_int_equal(t.lstar, s->lstar);
    assert_int_equal(t.gdt.base, s->gdt.base);
    assert_int_equal(t.idt.limit, s->idt.limit);
    for (int i = SEG_ES; i < SEG_COUNT; i++)
        if (i != SEG_LDTR)
            seg_eq(&t.seg[i], &s->seg[i]);
    assert_int_equal(x86_cpl(&t), x86_cpl(s));
    assert_int_equal(x86_mode_of(&t), x86_mode_of(s));
}

static void test_state_round_trip(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    x86_reset_state(&s, 0x1234, 0x5678);
    round_trip(f, &s);
    prot_state(f, &s, false, 0);
    round_trip(f, &s);
    prot_state(f, &s, false, 3);
    round_trip(f, &s);
    long_state(f, &s, 0);
    round_trip(f, &s);
    long_state(f, &s, 3);
    round_trip(f, &s);
}

/* CPL 3 from set_state is real: a privileged instruction faults (#GP). */
static void test_cpl3_enforced(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;
    static const uint8_t hlt[] = { 0xF4 };

    long_state(f, &s, 3);
    put(f, LOAD, hlt, 1);
    uc_vcpu_ops.mem_written(&f->v, LOAD, 1);
    LOADG(f, 0xA000, g_h64err);
    gate64(f, EXC_GP, 0xA000, 0);
    put64(f, TSS_BASE + 4, 0x6000);   /* RSP0 */
    set(f, &s);
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x84, 0, 4, true);          /* #GP(0) */
    expect_io(f, 2, 0x8C, LOAD, 4, true);       /* saved RIP = the HLT */
    get(f, &s);
    assert_int_equal(x86_cpl(&s), 0);
}

static void test_budget_exact(void **state)
{
    struct fx *f = *state;
    struct cpu_state s, s0;
    uint64_t total = 0, steps = 0;
    struct vcpu_exit ex;

    long_state(f, &s0, 0);
    LOADG(f, LOAD, g_loop);
    set(f, &s0);
    for (uint64_t b = 7; ; b += 13) {
        ex = run(f, b);
        total += ex.executed;
        if (ex.kind == VEXIT_HLT)
            break;
        assert_int_equal(ex.kind, VEXIT_BUDGET);
        assert_int_equal(ex.executed, b);
    }
    assert_int_equal(total, 2002);
    set(f, &s0);
    assert_int_equal(uc_vcpu_ops.set_step(&f->v, true), 0);
    do {
        ex = run(f, 10);
        steps += ex.executed;
    } while (ex.kind == VEXIT_STEP);
    assert_int_equal(ex.kind, VEXIT_HLT);
    assert_int_equal(steps, 2002);
    assert_int_equal(uc_vcpu_ops.set_step(&f->v, false), 0);
    get(f, &s);
    assert_int_equal(s.gpr[GPR_RCX], 0);
}

/* step, continue, step, continue */
static void test_step_continue(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;
    uint64_t total = 0;

    long_state(f, &s, 0);
    LOADG(f, LOAD, g_loop);
    set(f, &s);
    for (int round = 0; round < 4; round++) {
        assert_int_equal(uc_vcpu_ops.set_step(&f->v, true), 0);
        for (int i = 0; i < 3; i++) {
            uint64_t before;
            get(f, &s);
            before = s.rip;
            struct vcpu_exit ex = run(f, 100);
            assert_int_equal(ex.kind, VEXIT_STEP);
            assert_int_equal(ex.executed, 1);
            get(f, &s);
            assert_true(s.rip != before);
            total++;
        }
        assert_int_equal(uc_vcpu_ops.set_step(&f->v, false), 0);
        struct vcpu_exit ex = run(f, 100);
        assert_int_equal(ex.kind, VEXIT_BUDGET);
        assert_int_equal(ex.executed, 100);
        total += 100;
    }
    struct vcpu_exit ex = run(f, 1000000);
    assert_int_equal(ex.kind, VEXIT_HLT);
    assert_int_equal(total + ex.executed, 2002);
}

static void test_real_de(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    LOADG(f, 0x7C00, g_rde);
    LOADG(f, 0x9000, g_rdeh);
    put32(f, 0, 0x09000000);   /* IVT[0] = 0900:0000 */
    x86_reset_state(&s, 0, 0x7C00);
    s.gpr[GPR_RSP] = 0x7000;
    set(f, &s);
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x80, 0xDE, 1, true);
    assert_int_equal(f->ev[0].kind, EV_EXCEPTION);
    assert_int_equal(f->ev[0].vector, EXC_DE);
    assert_int_equal(ex.executed, 1 + 1 + 3); /* xor, the delivery (div faults), handler */
}

static void test_prot_gp(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    prot_state(f, &s, false, 0);
    LOADG(f, LOAD, g_gp32);
    LOADG(f, 0xA000, g_h32err);
    gate32(f, EXC_GP, 0xA000, 0);
    set(f, &s);
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x80, 0x0D, 1, true);
    expect_io(f, 1, 0x84, 0x1234, 4, true);
    assert_int_equal(f->ev[0].vector, EXC_GP);
    assert_int_equal(f->ev[0].error, 0x1234);
    /* a second, unrelated #GP is a #GP again (old_exception was reset) */
    f->nio = 0;
    set(f, &s);
    ex = run(f, 100);
    expect_io(f, 0, 0x80, 0x0D, 1, true);
}

static void test_long_pf(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    long_state(f, &s, 0);
    put64(f, PT_BASE + 0x2000 + 8 * (0x7000000 >> 21), 0);   /* unmap 112 MiB */
    LOADG(f, LOAD, g_pf64);
    LOADG(f, 0xA000, g_h64err);
    gate64(f, EXC_PF, 0xA000, 0);
    set(f, &s);
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x84, PFEC_W, 4, true);
    expect_io(f, 1, 0x88, 0x7000000, 4, true);
    expect_io(f, 2, 0x8C, LOAD, 4, true);
    assert_int_equal(f->ev[0].kind, EV_EXCEPTION);
    assert_int_equal(f->ev[0].vector, EXC_PF);
    assert_int_equal(f->ev[0].addr, 0x7000000);
    assert_int_equal(f->ev[0].error, PFEC_W);
}

/* The engine's own TLB fill cannot tell an implicit supervisor access
 * from ring 3 (a descriptor-table read) from an explicit one: the first
 * must succeed, the second must fault (SDM Vol. 3A 4.6). */
static void test_implicit_supervisor(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;
    const uint64_t rw = PTE_P | PTE_RW | PTE_US;

    long_state(f, &s, 3);
    for (uint64_t i = 0; i < 512; i++)      /* first 2 MiB as 4 KiB pages */
        put64(f, PT_BASE + 0x3000 + 8 * i, (i << 12) | (i == 1 ? rw & ~PTE_US : rw));
    put64(f, PT_BASE + 0x2000, (PT_BASE + 0x3000) | rw);
    LOADG(f, LOAD, g_impl);
    LOADG(f, 0xA000, g_h64err);
    gate64(f, EXC_PF, 0xA000, 0);
    put64(f, TSS_BASE + 4, 0x6000);          /* RSP0 */
    set(f, &s);
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x84, 0x33, 4, true);             /* DS loaded */
    expect_io(f, 1, 0x84, PFEC_P | PFEC_U, 4, true);  /* then #PF(U|P) */
    expect_io(f, 2, 0x88, 0x1000, 4, true);           /* CR2 */
}

/* Long mode: int $0x40 and int3, each to a handler that reports the
 * saved RIP and returns. */
static void int64_guest(struct fx *f, struct cpu_state *s)
{
    long_state(f, s, 0);
    LOADG(f, LOAD, g_int64);
    LOADG(f, 0xA000, g_hiret);
    gate64(f, 0x40, 0xA000, 0);
    gate64(f, EXC_BP, 0xA000, 0);
    set(f, s);
}

static void test_long_int(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    int64_guest(f, &s);
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x8C, LOAD + 2, 4, true);    /* after int $0x40 */
    expect_io(f, 1, 0x8C, LOAD + 3, 4, true);    /* after int3 */
    expect_io(f, 2, 0x80, 0x77, 1, true);
    assert_int_equal(f->ev[0].kind, EV_SOFTINT);
    assert_int_equal(f->ev[0].vector, 0x40);
    assert_int_equal(f->ev[1].vector, EXC_BP);
}

/* Budgets that end inside blocks which raise interrupts (the tail runs
 * under a code hook bounded to its block, the handler's blocks do not):
 * for every budget from 1 to 7 the guest spends the same virtual time and
 * does the same I/O.  A budget stop has its count, plus 1 when a delivery
 * (which takes an instruction's time) came last. */
static void test_budget_through_interrupts(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;
    struct io_rec want[MAX_IO];
    struct vcpu_exit ex;

    int64_guest(f, &s);
    ex = run(f, 1000);
    assert_int_equal(ex.kind, VEXIT_HLT);
    uint64_t all = ex.executed;
    unsigned nwant = f->nio;
    memcpy(want, f->io, sizeof(want));
    assert_int_equal(nwant, 3);
    for (uint64_t b = 1; b <= 7; b++) {
        uint64_t total = 0;
        f->nio = 0;
        set(f, &s);
        do {
            ex = run(f, b);
            total += ex.executed;
            if (ex.kind == VEXIT_BUDGET)
                assert_in_range(ex.executed, b, b + 1);
        } while (ex.kind == VEXIT_BUDGET && total < 10 * all);
        assert_int_equal(ex.kind, VEXIT_HLT);
        assert_int_equal(total, all);
        assert_int_equal(f->nio, nwant);
        for (unsigned i = 0; i < nwant; i++) {
            assert_int_equal(f->io[i].addr, want[i].addr);
            assert_int_equal(f->io[i].value, want[i].value);
        }
    }
}

static void test_ring3_tss(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    prot_state(f, &s, false, 3);
    LOADG(f, LOAD, g_u32);
    LOADG(f, 0xA000, g_k32);
    gate32(f, 0x80, 0xA000, 3);
    put32(f, TSS_BASE + 4, 0x6000);   /* ESP0 */
    put32(f, TSS_BASE + 8, K_DS);     /* SS0 */
    set(f, &s);
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x84, K_CS32, 4, true);
    expect_io(f, 1, 0x88, 0x6000 - 20, 4, true);   /* SS, ESP, EFLAGS, CS, EIP */
}

/* TR as LTR leaves it is busy (SDM Vol. 3A 7.2.4); QEMU's CPU keeps the
 * type it loaded, the engine reports busy, as KVM does. */
static void test_tr_reads_busy(void **state)
{
    struct fx *f = *state;
    struct cpu_state s, got;

    prot_state(f, &s, false, 0);
    s.seg[SEG_TR].type = SYSTYPE_TSS_AVAIL;
    set(f, &s);
    get(f, &got);
    assert_int_equal(got.seg[SEG_TR].type, SYSTYPE_TSS_BUSY);
    s.seg[SEG_TR].type = SYSTYPE_TSS16_AVAIL;
    set(f, &s);
    get(f, &got);
    assert_int_equal(got.seg[SEG_TR].type, SYSTYPE_TSS16_BUSY);
}

static void test_syscall_sysret(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    long_state(f, &s, 3);
    LOADG(f, LOAD, g_usys);
    LOADG(f, 0xA000, g_ksys);
    s.star = ((uint64_t)U_CS32 << 48) | ((uint64_t)K_CS64 << 32);
    s.lstar = 0xA000;
    s.fmask = RFLAGS_IF;
    set(f, &s);
    struct vcpu_exit ex = run(f, 50);
    assert_int_equal(ex.kind, VEXIT_BUDGET);
    expect_io(f, 0, 0x80, 0x31, 1, true);
    expect_io(f, 1, 0x84, K_CS64, 4, true);
    expect_io(f, 2, 0x84, U_CS64 | 3, 4, true);
    get(f, &s);
    assert_int_equal(x86_cpl(&s), 3);
}

static void test_sysenter_sysexit(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    prot_state(f, &s, false, 3);
    LOADG(f, LOAD, g_usen);
    LOADG(f, 0xA000, g_ksen);
    s.sysenter_cs = K_CS32;
    s.sysenter_eip = 0xA000;
    s.sysenter_esp = 0x6000;
    set(f, &s);
    struct vcpu_exit ex = run(f, 50);
    assert_int_equal(ex.kind, VEXIT_BUDGET);
    expect_io(f, 0, 0x80, 0x41, 1, true);
    expect_io(f, 1, 0x84, K_CS32, 4, true);
    expect_io(f, 2, 0x84, U_CS32 | 3, 4, true);
}

static void test_triple_fault(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    long_state(f, &s, 0);
    s.idt.limit = 0;
    LOADG(f, LOAD, g_tf);
    set(f, &s);
    struct vcpu_exit ex = run(f, 100);
    assert_int_equal(ex.kind, VEXIT_SHUTDOWN);
    assert_true(strstr(ex.text, "triple") != NULL);
}

static void test_coherence(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    long_state(f, &s, 0);
    LOADG(f, LOAD, g_coh);
    LOADG(f, 0x9000, g_f);
    LOADG(f, 0xB000, g_f);
    s.gpr[GPR_RBX] = 0x9000;
    set(f, &s);
    struct vcpu_exit ex = run(f, 1000);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x84, 1, 4, true);
    expect_io(f, 1, 0x84, 2, 4, true);   /* own mapping */
    expect_io(f, 2, 0x84, 3, 4, true);   /* executable alias */
    expect_io(f, 3, 0x84, 4, 4, true);   /* non-executable alias */
    expect_io(f, 4, 0x84, 5, 4, true);   /* direct map, cached TLB entry */
    expect_io(f, 5, 0x84, 6, 4, true);
    expect_io(f, 6, 0x84, 7, 4, true);
    /* the host rewrites it: mem_written */
    put32(f, 0x9001, 9);
    uc_vcpu_ops.mem_written(&f->v, 0x9001, 4);
    f->nio = 0;
    set(f, &s);
    ex = run(f, 5);   /* mov, call, mov, ret, out */
    expect_io(f, 0, 0x84, 9, 4, true);
}

static void test_misc(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;
    struct cpuid_regs r;

    long_state(f, &s, 0);
    LOADG(f, LOAD, g_misc);
    set(f, &s);
    struct vcpu_exit ex = run(f, 1000);
    cpuid_model(0, 0, 0, 1, &r);
    if (getenv("UCT_VERBOSE"))
        for (unsigned i = 0; i < f->nio; i++)
            print_message("io %u: 0x%llx = 0x%llx\n", i, (unsigned long long)f->io[i].addr,
                          (unsigned long long)f->io[i].value);
    expect_io(f, 0, 0x84, r.ebx, 4, true);
    assert_true(f->io[1].value < 100 && f->io[2].value > f->io[1].value);
    assert_int_equal(f->io[3].kind, VEXIT_MMIO);          /* hole: open bus */
    assert_int_equal(f->io[3].addr, 0xF0000000);
    expect_io(f, 4, 0x84, 0xFFFFFFFF, 4, true);
    assert_int_equal(ex.kind, VEXIT_SHUTDOWN);             /* >= 4 GiB */
    assert_true(strstr(ex.text, "unmapped") != NULL);
}

static void test_rdtsc_deterministic(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;
    uint64_t first;

    long_state(f, &s, 0);
    s.tsc = 0;
    LOADG(f, LOAD, g_misc);
    set(f, &s);
    run(f, 1000);
    first = f->io[1].value;
    f->nio = 0;
    set(f, &s);
    run(f, 1000);
    assert_int_equal(f->io[1].value, first);
}

static void test_inject(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    long_state(f, &s, 0);
    LOADG(f, LOAD, g_loop);
    LOADG(f, 0xA000, g_hiret);
    gate64(f, 0x30, 0xA000, 0);
    s.rflags |= RFLAGS_IF;
    set(f, &s);
    run(f, 11);
    assert_true(uc_vcpu_ops.can_inject(&f->v));
    get(f, &s);
    uint64_t at = s.rip;
    assert_int_equal(uc_vcpu_ops.inject(&f->v, 0x30), 0);
    struct vcpu_exit ex = run(f, 1000000);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x8C, at, 4, true);
    assert_int_equal(ex.executed, 2002 - 11 + 3);
}

/* NMI (SDM 6.7.1): taken with IF=0 through vector 2, then blocked until
 * the handler's IRET (QEMU's flag, which its IRETQ clears). */
static void test_nmi(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    long_state(f, &s, 0);
    LOADG(f, LOAD, g_loop);
    LOADG(f, 0xA000, g_hiret);
    gate64(f, EXC_NMI, 0xA000, 0);
    s.rflags &= ~(uint64_t)RFLAGS_IF;
    set(f, &s);
    run(f, 11);
    assert_false(uc_vcpu_ops.can_inject(&f->v));
    assert_true(uc_vcpu_ops.can_inject_nmi(&f->v));
    get(f, &s);
    uint64_t at = s.rip;
    assert_int_equal(uc_vcpu_ops.inject_nmi(&f->v), 0);
    assert_false(uc_vcpu_ops.can_inject_nmi(&f->v));     /* in the handler */
    get(f, &s);
    assert_int_equal(s.rip, 0xA000);
    run(f, 2);                                           /* mov, out */
    assert_false(uc_vcpu_ops.can_inject_nmi(&f->v));
    run(f, 1);                                           /* iretq */
    get(f, &s);
    assert_int_equal(s.rip, at);
    assert_true(uc_vcpu_ops.can_inject_nmi(&f->v));
    struct vcpu_exit ex = run(f, 1000000);
    assert_int_equal(ex.kind, VEXIT_HLT);
    expect_io(f, 0, 0x8C, at, 4, true);
}

static void test_kick(void **state)
{
    struct fx *f = *state;
    struct cpu_state s;

    long_state(f, &s, 0);
    LOADG(f, LOAD, g_loop);
    set(f, &s);
    vcpu_kick(&f->v);
    struct vcpu_exit ex = run(f, 1000);
    assert_int_equal(ex.kind, VEXIT_KICK);
    assert_int_equal(ex.executed, 0);
    ex = run(f, 10000);
    assert_int_equal(ex.kind, VEXIT_HLT);
    assert_int_equal(ex.executed, 2002);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calibration),
        T(test_real_io), T(test_mode_switch), T(test_paging32),
        T(test_state_round_trip), T(test_cpl3_enforced), T(test_budget_exact),
        T(test_step_continue), T(test_real_de), T(test_prot_gp), T(test_long_pf),
        T(test_long_int),
        T(test_budget_through_interrupts), T(test_implicit_supervisor), T(test_ring3_tss),
        T(test_tr_reads_busy), T(test_syscall_sysret),
        T(test_sysenter_sysexit), T(test_triple_fault), T(test_coherence),
        T(test_misc), T(test_rdtsc_deterministic), T(test_inject), T(test_nmi), T(test_kick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
