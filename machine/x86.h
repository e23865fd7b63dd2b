/* x86.h - architectural x86 state and the names of its bits.
 *
 * struct cpu_state is the common CPU state every engine converts to and
 * from (Unicorn through registers plus its context blob, KVM through
 * KVM_GET/SET_REGS, SREGS and MSRS).  Segment attributes follow the
 * descriptor's fields (the same split KVM's struct kvm_segment uses).
 * References: Intel SDM Vol. 3A ch. 2 (registers), 3 (segments), 4 (paging).
 */
#ifndef VMS_X86_H
#define VMS_X86_H

#include <stdbool.h>
#include <stdint.h>

/* General-purpose register numbers (hardware encoding order). */
enum x86_gpr {
    GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
    GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
    GPR_COUNT
};

/* Segment register numbers (hardware encoding order), then LDTR and TR. */
enum x86_seg {
    SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR,
    SEG_COUNT
};

/* A segment register with its hidden part (the descriptor cache). */
struct x86_segment {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;   /* byte granular: already scaled when G=1 */
    uint8_t type;     /* descriptor type field, 4 bits */
    uint8_t s;        /* 1: code/data, 0: system */
    uint8_t dpl;
    uint8_t present;
    uint8_t avl;
    uint8_t l;        /* 64-bit code segment */
    uint8_t db;       /* default operation size / big */
    uint8_t g;        /* granularity */
    uint8_t unusable; /* null selector loaded (VMX/KVM notion) */
};

struct x86_dtable {
    uint64_t base;
    uint16_t limit;
};

struct cpu_state {
    uint64_t gpr[GPR_COUNT];
    uint64_t rip;
    uint64_t rflags;
    struct x86_segment seg[SEG_COUNT];
    struct x86_dtable gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer;
    uint64_t dr[8];           /* DR0-DR3, (4,5 unused), DR6, DR7 */
    /* MSRs the guests use */
    uint64_t star, lstar, cstar, fmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t apic_base;
    uint64_t tsc;
};

/* ---- RFLAGS (SDM Vol. 1 3.4.3) ---- */
#define RFLAGS_CF   (1ull << 0)
#define RFLAGS_FIXED (1ull << 1)   /* always reads 1 */
#define RFLAGS_PF   (1ull << 2)
#define RFLAGS_AF   (1ull << 4)
#define RFLAGS_ZF   (1ull << 6)
#define RFLAGS_SF   (1ull << 7)
#define RFLAGS_TF   (1ull << 8)    /* single-step trap */
#define RFLAGS_IF   (1ull << 9)    /* maskable interrupts enabled */
#define RFLAGS_DF   (1ull << 10)
#define RFLAGS_OF   (1ull << 11)
#define RFLAGS_IOPL_SHIFT 12
#define RFLAGS_IOPL (3ull << 12)
#define RFLAGS_NT   (1ull << 14)   /* nested task */
#define RFLAGS_RF   (1ull << 16)   /* resume flag */
#define RFLAGS_VM   (1ull << 17)   /* virtual-8086 mode */
#define RFLAGS_AC   (1ull << 18)
#define RFLAGS_VIF  (1ull << 19)
#define RFLAGS_VIP  (1ull << 20)
#define RFLAGS_ID   (1ull << 21)

/* ---- control registers (SDM Vol. 3A 2.5) ---- */
#define CR0_PE (1ull << 0)   /* protected mode */
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)  /* supervisor writes honour R/W */
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)  /* paging */

#define CR4_VME        (1ull << 0)
#define CR4_PVI        (1ull << 1)
#define CR4_TSD        (1ull << 2)
#define CR4_DE         (1ull << 3)
#define CR4_PSE        (1ull << 4)   /* 4 MiB pages in 32-bit paging */
#define CR4_PAE        (1ull << 5)
#define CR4_MCE        (1ull << 6)
#define CR4_PGE        (1ull << 7)
#define CR4_PCE        (1ull << 8)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP       (1ull << 11)
#define CR4_LA57       (1ull << 12)
#define CR4_FSGSBASE   (1ull << 16)
#define CR4_PCIDE      (1ull << 17)
#define CR4_OSXSAVE    (1ull << 18)
#define CR4_SMEP       (1ull << 20)
#define CR4_SMAP       (1ull << 21)

/* ---- EFER (MSR 0xC0000080) ---- */
#define EFER_SCE (1ull << 0)   /* SYSCALL/SYSRET enable */
#define EFER_LME (1ull << 8)   /* long mode enable */
#define EFER_LMA (1ull << 10)  /* long mode active */
#define EFER_NXE (1ull << 11)  /* no-execute enable */

/* ---- MSR numbers ---- */
#define MSR_IA32_TSC          0x00000010u
#define MSR_IA32_APIC_BASE    0x0000001Bu
#define MSR_IA32_SYSENTER_CS  0x00000174u
#define MSR_IA32_SYSENTER_ESP 0x00000175u
#define MSR_IA32_SYSENTER_EIP 0x00000176u
#define MSR_EFER              0xC0000080u
#define MSR_STAR              0xC0000081u
#define MSR_LSTAR             0xC0000082u
#define MSR_CSTAR             0xC0000083u
#define MSR_FMASK             0xC0000084u
#define MSR_FS_BASE           0xC0000100u
#define MSR_GS_BASE           0xC0000101u
#define MSR_KERNEL_GS_BASE    0xC0000102u

/* ---- segment descriptor types (SDM Vol. 3A 3.4.5, 3.5) ---- */
#define SEGTYPE_ACCESSED   0x1  /* code/data: accessed */
#define SEGTYPE_DATA_WRITE 0x2  /* data: writable */
#define SEGTYPE_CODE_READ  0x2  /* code: readable */
#define SEGTYPE_DATA_DOWN  0x4  /* data: expand-down */
#define SEGTYPE_CODE_CONF  0x4  /* code: conforming */
#define SEGTYPE_CODE       0x8  /* code (vs data) */
/* system types (S=0) */
#define SYSTYPE_TSS16_AVAIL 0x1
#define SYSTYPE_LDT         0x2
#define SYSTYPE_TSS16_BUSY  0x3
#define SYSTYPE_CALL16      0x4
#define SYSTYPE_TASK        0x5
#define SYSTYPE_INT16       0x6
#define SYSTYPE_TRAP16      0x7
#define SYSTYPE_TSS_AVAIL   0x9  /* 32-bit TSS, or 64-bit TSS in long mode */
#define SYSTYPE_TSS_BUSY    0xB
#define SYSTYPE_CALL        0xC
#define SYSTYPE_INT         0xE  /* 32/64-bit interrupt gate */
#define SYSTYPE_TRAP        0xF  /* 32/64-bit trap gate */

/* ---- exception vectors (SDM Vol. 3A 6.3.1) ---- */
enum x86_vector {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18,
    EXC_XM = 19, EXC_VE = 20, EXC_CP = 21,
};

/* #PF error code bits (SDM Vol. 3A 4.7) */
#define PFEC_P    (1u << 0)   /* 0: not present, 1: protection violation */
#define PFEC_W    (1u << 1)   /* write access */
#define PFEC_U    (1u << 2)   /* user-mode access */
#define PFEC_RSVD (1u << 3)   /* reserved bit set in a paging entry */
#define PFEC_I    (1u << 4)   /* instruction fetch */
#define PFEC_PK   (1u << 5)

/* Selector fields (SDM Vol. 3A 3.4.2) */
#define SEL_RPL(s)   ((s) & 3u)
#define SEL_TI       0x4u        /* table indicator: LDT */
#define SEL_INDEX(s) ((s) >> 3)

/* The CPU's operating mode, as students see it named. */
enum x86_mode {
    MODE_REAL,      /* CR0.PE = 0 */
    MODE_VM86,      /* protected, EFLAGS.VM = 1 */
    MODE_PROT16,    /* protected, CS.D = 0 */
    MODE_PROT32,    /* protected, CS.D = 1 */
    MODE_COMPAT,    /* long mode active, CS.L = 0 */
    MODE_LONG64,    /* long mode active, CS.L = 1 */
};

enum x86_mode x86_mode_of(const struct cpu_state *s);
const char *x86_mode_name(enum x86_mode m);
/* Current privilege level (CS.DPL in protected mode; 0 in real mode, 3 in vm86). */
unsigned x86_cpl(const struct cpu_state *s);
/* Width in bits of code in this mode: 16, 32 or 64. */
unsigned x86_code_bits(const struct cpu_state *s);

/* Decode an 8-byte segment descriptor (raw, little endian) into @seg
 * (selector left unchanged).  For system descriptors in long mode that take
 * 16 bytes, pass the high 8 bytes in @hi (else 0) and set @long16. */
void x86_desc_decode(uint64_t raw, uint64_t hi, bool long16, struct x86_segment *seg);
/* Encode @seg's hidden part into the low 8 bytes of a descriptor. */
uint64_t x86_desc_encode(const struct x86_segment *seg);
/* The state a CPU has after RESET/INIT in real mode (SDM Vol. 3A 9.1.1),
 * with CS:IP = @cs:@ip instead of F000:FFF0. */
void x86_reset_state(struct cpu_state *s, uint16_t cs, uint16_t ip);
/* A flat segment as a real-mode load of @sel would leave it. */
void x86_seg_real(struct x86_segment *seg, uint16_t sel);

#endif
