/* bench_engine.c - guest MIPS through uc_vcpu_ops.run versus raw Unicorn
 * (no hooks) on the same code: a register-only loop and a load+store loop.
 * Prints the Unicorn version and the ratio.  Standalone: no devices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include "machine/paging.h"
#include "machine/uc_engine.h"
#include "machine/vm.h"

#define LOAD     0x8000u
#define DATA     0x100000u
#define PT_BASE  0x10000u
#define RAM      (16u << 20)
#define ITER     50000000u
#define BUDGET   10000000u   /* one scheduler slice */

__asm__(".section .rodata\n.code64\n"
        ".globl b_reg, b_reg_end, b_mem, b_mem_end\n"
        "b_reg:\n  mov $50000000, %ecx\n"
        "1: add %rcx, %rax\n  xor %rax, %rdx\n  add $3, %rsi\n  dec %ecx\n  jnz 1b\n  hlt\nb_reg_end:\n"
        "b_mem:\n  mov $50000000, %ecx\n  mov $0x100000, %edi\n"
        "1: mov (%rdi), %rax\n  add %rcx, %rax\n  mov %rax, 8(%rdi)\n  dec %ecx\n  jnz 1b\n  hlt\nb_mem_end:\n"
        ".text\n");
extern const uint8_t b_reg[], b_reg_end[], b_mem[], b_mem_end[];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double raw_mips(const uint8_t *a, const uint8_t *b)
{
    uc_engine *uc;
    uint8_t *ram = aligned_alloc(4096, RAM);
    uint64_t insns = 1 + 5ull * ITER + 1 + (a == b_mem);

    memset(ram, 0, RAM);
    memcpy(ram + LOAD, a, (size_t)(b - a));
    uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
    uc_ctl_set_tcg_buffer_size(uc, 32u << 20);
    uc_mem_map_ptr(uc, 0, RAM, UC_PROT_ALL, ram);
    double t = now();
    uc_emu_start(uc, LOAD, 0, 0, 0);
    t = now() - t;
    uc_close(uc);
    free(ram);
    return (double)insns / t / 1e6;
}

static void io(struct vcpu *v, struct vcpu_exit *ex) { (void)v; (void)ex; }

static double engine_mips(const uint8_t *a, const uint8_t *b)
{
    struct vm vm;
    struct vcpu v;
    struct cpu_state s;
    struct vcpu_exit ex;
    uint64_t total = 0;

    memset(&vm, 0, sizeof(vm));
    memset(&v, 0, sizeof(v));
    if (gmem_init(&vm.mem, RAM) < 0)
        return 0;
    bus_init(&vm.bus);
    vm.nvcpu = 1;
    v.vm = &vm;
    v.io = io;
    if (uc_vcpu_ops.create(&v) < 0) {
        fprintf(stderr, "create: %s\n", vms_lasterr(-1));
        return 0;
    }
    memcpy(vm.mem.ram + LOAD, a, (size_t)(b - a));
    /* long mode, identity 2 MiB pages (executable data, as raw Unicorn) */
    uint64_t *pt = (uint64_t *)(vm.mem.ram + PT_BASE);
    pt[0] = (PT_BASE + 0x1000) | PTE_P | PTE_RW;
    pt[512] = (PT_BASE + 0x2000) | PTE_P | PTE_RW;
    for (int i = 0; i < 512; i++)
        pt[1024 + i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
    uint64_t gdt[2] = { 0, 0x00AF9A000000FFFFull };
    memcpy(vm.mem.ram + 0x1000, gdt, sizeof(gdt));
    x86_reset_state(&s, 0, 0);
    s.cr0 = CR0_PE | CR0_PG | CR0_ET;
    s.cr3 = PT_BASE;
    s.cr4 = CR4_PAE;
    s.efer = EFER_LME | EFER_LMA;
    x86_desc_decode(gdt[1], 0, false, &s.seg[SEG_CS]);
    s.seg[SEG_CS].selector = 8;
    s.gdt.base = 0x1000;
    s.gdt.limit = 15;
    s.rip = LOAD;
    uc_vcpu_ops.set_state(&v, &s);
    uc_vcpu_ops.mem_written(&v, LOAD, 4096);
    double t = now();
    do {
        uc_vcpu_ops.run(&v, BUDGET, &ex);
        total += ex.executed;
    } while (ex.kind == VEXIT_BUDGET);
    t = now() - t;
    uc_vcpu_ops.destroy(&v);
    gmem_fini(&vm.mem);
    return (double)total / t / 1e6;
}

int main(void)
{
    printf("unicorn %s\n", uc_engine_version());
    double rr = raw_mips(b_reg, b_reg_end), er = engine_mips(b_reg, b_reg_end);
    printf("register loop:   raw %8.1f MIPS  engine %8.1f MIPS  ratio %.2f\n", rr, er, er / rr);
    double rm = raw_mips(b_mem, b_mem_end), em = engine_mips(b_mem, b_mem_end);
    printf("load+store loop: raw %8.1f MIPS  engine %8.1f MIPS  ratio %.2f\n", rm, em, em / rm);
    return 0;
}
