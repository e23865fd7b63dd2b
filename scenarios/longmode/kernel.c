/* kernel.c - the `longmode` guest: 64-bit long mode, step by step.
 *
 * boot.S got us into 64-bit mode with 4-level paging and called kmain():
 *   1. a 64-bit GDT (kernel and user code/data, a 64-bit TSS),
 *   2. a 64-bit TSS: RSP0 for traps from ring 3, IST1 for #PF, IST2 for #DF,
 *   3. a 64-bit IDT (16-byte gates),
 *   4. user pages at 0x400000 (code, read-only) and 0x5FF000 (stack, NX),
 *   5. SYSCALL/SYSRET: EFER.SCE, STAR, LSTAR, FMASK,
 *   6. IRETQ to ring 3, where the program makes system calls and takes
 *      faults (each reported and skipped), then exits back to the kernel,
 *   7. a double fault (#NP while delivering #DE), taken on IST2.
 * Everything printed depends on the program only, not on timing.
 *
 * References: Intel SDM Vol. 3A, 3.4.5 and 5.2.1 (descriptors in IA-32e
 * mode), 4.5 (4-level paging), 6.14 (64-bit interrupts), 7.7 (64-bit TSS),
 * Vol. 2 SYSCALL/SYSRET, Vol. 4 (MSRs).
 */
#include <stdint.h>
#include "hw.h"

/* ---- memory layout ---- */
#define KOFF          0xFFFFFFFF80000000ul  /* kernel VA = PA + KOFF */
#define V2P(a)        ((uint64_t)(uintptr_t)(a) - KOFF)
#define PAGE_SIZE     4096ul
#define USER_CODE_VA  0x400000ul            /* kernel.ld: .user */
#define USER_STACK_VA 0x5FF000ul            /* one page, NX */

extern char _user_start[], _user_end[], _user_phys[], _kend[], user_main[],
	kstack_top[], syscall_entry[], iretq_to_user[];
extern uint32_t mb_magic_boot;

/* ---- 4-level paging (SDM 4.5): 512 8-byte entries per table ----
 * VA bits 47-39 PML4, 38-30 PDPT, 29-21 PD, 20-12 PT, 11-0 offset; bits
 * 63-48 must copy bit 47 ("canonical"), else the access is a #GP. */
#define PG_P          (1ul << 0)   /* present */
#define PG_RW         (1ul << 1)   /* writable */
#define PG_US         (1ul << 2)   /* user */
#define PG_A          (1ul << 5)   /* accessed: set by the CPU */
#define PG_PS         (1ul << 7)   /* PD entry maps a 2 MiB page */
#define PG_NX         (1ul << 63)  /* no execute (needs EFER.NXE) */
#define PG_ADDR       0x000FFFFFFFFFF000ul
#define PML4_IDX(va)  (((uint64_t)(va) >> 39) & 511)
#define PDPT_IDX(va)  (((uint64_t)(va) >> 30) & 511)
#define PD_IDX(va)    (((uint64_t)(va) >> 21) & 511)
#define PT_IDX(va)    (((uint64_t)(va) >> 12) & 511)

/* boot.S, in .boot.bss: identity-mapped, so usable at these addresses. */
extern uint64_t pml4[512], pdpt_low[512], pd_low[512], pt_low[512],
	pt_user[512], pdpt_high[512], pd_high[512];

/* ---- control registers and MSRs ---- */
#define CR0_PE        (1ul << 0)
#define CR0_WP        (1ul << 16)
#define CR0_PG        (1ul << 31)
#define CR4_PAE       (1ul << 5)
#define MSR_EFER      0xC0000080u
#define EFER_SCE      (1ul << 0)   /* SYSCALL/SYSRET enable */
#define EFER_LME      (1ul << 8)   /* long mode enable */
#define EFER_LMA      (1ul << 10)  /* long mode active (read-only) */
#define EFER_NXE      (1ul << 11)  /* no-execute enable */
#define MSR_STAR      0xC0000081u  /* [47:32] SYSCALL CS, [63:48] SYSRET base */
#define MSR_LSTAR     0xC0000082u  /* SYSCALL target RIP (64-bit callers) */
#define MSR_FMASK     0xC0000084u  /* RFLAGS bits SYSCALL clears */
#define RFLAGS_RSVD1  (1ul << 1)
#define RFLAGS_TF     (1ul << 8)
#define RFLAGS_IF     (1ul << 9)
#define RFLAGS_DF     (1ul << 10)
#define RFLAGS_AC     (1ul << 18)

static inline uint64_t read_cr(int n)
{
	uint64_t v = 0;

	switch (n) {
	case 0: __asm__ volatile("mov %%cr0, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%cr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%cr3, %0" : "=r"(v)); break;
	case 4: __asm__ volatile("mov %%cr4, %0" : "=r"(v)); break;
	}
	return v;
}
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* ---- the GDT (SDM 3.4.5, 5.2.1) ----
 * In 64-bit mode base and limit of code/data segments are ignored; what
 * counts is P, DPL, type and L (64-bit code).  The order is dictated by
 * SYSRET: it loads SS = STAR[63:48] + 8 and CS = STAR[63:48] + 16. */
#define KCODE_SEL     0x08
#define KDATA_SEL     0x10
#define UCODE32_SEL   (0x18 | 3)   /* SYSRET to 32-bit code (unused) */
#define UDATA_SEL     (0x20 | 3)
#define UCODE_SEL     (0x28 | 3)
#define TSS_SEL       0x30         /* 16 bytes: entries 6 and 7 */

#define D_P           (1ul << 47)  /* present */
#define D_DPL3        (3ul << 45)
#define D_S           (1ul << 44)  /* code/data */
#define D_CODE        (0xAul << 40) /* type: execute/read */
#define D_DATA        (0x2ul << 40) /* type: read/write */
#define D_L           (1ul << 53)  /* 64-bit code */
#define D_DB          (1ul << 54)  /* 32-bit default size */
#define D_G           (1ul << 55)  /* 4 KiB granularity */
#define D_LIMIT4G     (0xFul << 48 | 0xFFFFul)
#define D_TSS64       (0x9ul << 40) /* system type: available 64-bit TSS */

static uint64_t gdt[8] = {
	0,
	D_P | D_S | D_CODE | D_L,                                   /* 0x08 */
	D_P | D_S | D_DATA,                                         /* 0x10 */
	D_P | D_DPL3 | D_S | D_CODE | D_DB | D_G | D_LIMIT4G,       /* 0x18 */
	D_P | D_DPL3 | D_S | D_DATA | D_DB | D_G | D_LIMIT4G,       /* 0x20 */
	D_P | D_DPL3 | D_S | D_CODE | D_L,                          /* 0x28 */
	0, 0,                                       /* 0x30: TSS, at run time */
};

/* The 64-bit TSS (SDM 7.7): no task switching any more, just stacks. */
struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];     /* RSP0-2: stacks for a change to ring 0-2 */
	uint64_t rsvd1;
	uint64_t ist[7];     /* IST1-7: stacks an IDT gate may name */
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __attribute__((packed));

static struct tss64 tss;
static uint8_t rsp0_stack[8192] __attribute__((aligned(16)));
static uint8_t ist_pf_stack[8192] __attribute__((aligned(16)));
static uint8_t ist_df_stack[8192] __attribute__((aligned(16)));
#define STACK_TOP(s)  ((uint64_t)(uintptr_t)((s) + sizeof(s)))
#define IST_PF        1
#define IST_DF        2

/* ---- the IDT (SDM 6.14.1): 16-byte gates ---- */
struct gate64 {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t  ist;        /* bits 2-0: IST index, 0 = none */
	uint8_t  type_attr;  /* P | DPL(2) | 0 | type(4) */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t rsvd;
} __attribute__((packed));
#define GATE_P        0x80
#define GATE_INT64    0x0E        /* 64-bit interrupt gate: clears IF */

static struct gate64 idt[32];

struct dtr64 {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char vec0[], vec1[], vec2[], vec3[], vec4[], vec5[], vec6[], vec7[],
	vec8[], vec9[], vec10[], vec11[], vec12[], vec13[], vec14[], vec15[],
	vec16[], vec17[], vec18[], vec19[], vec20[], vec21[], vec22[], vec23[],
	vec24[], vec25[], vec26[], vec27[], vec28[], vec29[], vec30[], vec31[];
static char *const vectors[32] = {
	vec0, vec1, vec2, vec3, vec4, vec5, vec6, vec7, vec8, vec9, vec10, vec11,
	vec12, vec13, vec14, vec15, vec16, vec17, vec18, vec19, vec20, vec21,
	vec22, vec23, vec24, vec25, vec26, vec27, vec28, vec29, vec30, vec31,
};
extern char df_recover[];
extern uint64_t df_saved_rsp;
void df_demo(void);
void enter_user(uint64_t rip, uint64_t rsp, uint64_t cs, uint64_t ss, uint64_t rflags);
__attribute__((noreturn)) void exit_to_kernel(void);

/* entry64.S trap_common leaves this on the stack (lowest address first). */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, err;
	uint64_t rip, cs, rflags, rsp, ss;   /* always pushed in 64-bit mode */
};

/* entry64.S syscall_entry. */
struct syscall_frame {
	uint64_t rax, rdi, rsi, r11, rcx, rsp;
};

/* Fix-up table: {fault RIP, resume RIP, name} (user.S FAULT). */
struct fixup {
	uint64_t fault, resume;
	const char *name;
};
extern const struct fixup __fixup_start[], __fixup_end[];

static const struct fixup *find_fixup(uint64_t rip)
{
	for (const struct fixup *f = __fixup_start; f < __fixup_end; f++)
		if (f->fault == rip)
			return f;
	return 0;
}

/* ---- set-up ---- */

static void gdt_tss_init(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof tss - 1;
	struct dtr64 gdtr = { sizeof gdt - 1, (uint64_t)(uintptr_t)gdt };

	tss.rsp[0] = STACK_TOP(rsp0_stack);
	tss.ist[IST_PF - 1] = STACK_TOP(ist_pf_stack);
	tss.ist[IST_DF - 1] = STACK_TOP(ist_df_stack);
	tss.iomap_base = sizeof tss;          /* no I/O bitmap */
	/* A 16-byte system descriptor: the usual 8 bytes with base 31-0,
	 * then base 63-32 in the next 8 (SDM 7.2.3, figure 7-4). */
	gdt[TSS_SEL >> 3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
			    D_TSS64 | D_P | ((limit >> 16 & 0xF) << 48) |
			    ((base >> 24 & 0xFF) << 56);
	gdt[(TSS_SEL >> 3) + 1] = base >> 32;

	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	/* Reload CS with a far return (there is no far jump to an immediate
	 * in 64-bit mode), then the data segment registers. */
	__asm__ volatile("pushq %0\n lea 1f(%%rip), %%rax\n pushq %%rax\n lretq\n1:\n"
			 "mov %1, %%ds\n mov %1, %%es\n mov %1, %%ss\n"
			 "mov %1, %%fs\n mov %1, %%gs\n"
			 : : "i"(KCODE_SEL), "r"(KDATA_SEL) : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}

static void idt_init(void)
{
	struct dtr64 idtr = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };

	for (int v = 0; v < 32; v++) {
		uint64_t off = (uint64_t)(uintptr_t)vectors[v];

		idt[v].off_lo = (uint16_t)off;
		idt[v].sel = KCODE_SEL;
		idt[v].ist = v == 14 ? IST_PF : v == 8 ? IST_DF : 0;
		idt[v].type_attr = GATE_P | GATE_INT64;   /* DPL 0 */
		idt[v].off_mid = (uint16_t)(off >> 16);
		idt[v].off_hi = (uint32_t)(off >> 32);
		idt[v].rsvd = 0;
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* Map the user program: VA 0x400000 -> its pages in the kernel image (user,
 * read-only, executable) and VA 0x5FF000 -> a zeroed page (user, writable,
 * NX).  The PD entry for 0x400000-0x5FFFFF points to pt_user. */
static uint8_t user_stack_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static void user_map_init(void)
{
	uint64_t n = (uint64_t)(_user_end - _user_start) / PAGE_SIZE;

	for (uint64_t i = 0; i < n; i++)
		pt_user[PT_IDX(USER_CODE_VA) + i] =
			((uint64_t)(uintptr_t)_user_phys + i * PAGE_SIZE) | PG_P | PG_US;
	pt_user[PT_IDX(USER_STACK_VA)] = V2P(user_stack_page) | PG_P | PG_RW | PG_US | PG_NX;
	pd_low[PD_IDX(USER_CODE_VA)] = (uint64_t)(uintptr_t)pt_user | PG_P | PG_RW | PG_US;
	write_cr3(read_cr(3));                /* flush the TLB */
}

static void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)(UCODE32_SEL & ~3) << 48 | (uint64_t)KCODE_SEL << 32);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC);
}

/* ---- traps ---- */

static const char *const exc_name[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25",
	"reserved 26", "reserved 27", "reserved 28", "reserved 29",
	"reserved 30", "reserved 31",
};
#define ERR_EXT       0x1          /* selector error code (SDM 6.13) */
#define ERR_IDT       0x2
#define ERR_TI        0x4
#define PF_P          0x01         /* #PF error code (SDM 4.7) */
#define PF_W          0x02
#define PF_U          0x04
#define PF_RSVD       0x08
#define PF_I          0x10         /* instruction fetch */

static const char *stack_name(const void *p)
{
	uintptr_t a = (uintptr_t)p;

#define IN(s) (a >= (uintptr_t)(s) && a < (uintptr_t)((s) + sizeof(s)))
	return IN(ist_pf_stack) ? "IST1 (#PF stack)" : IN(ist_df_stack) ? "IST2 (#DF stack)"
	       : IN(rsp0_stack) ? "TSS.RSP0" : "the interrupted stack";
#undef IN
}

void trap(struct trapframe *tf)
{
	const struct fixup *f = find_fixup(tf->rip);
	uint64_t e = tf->err;

	kprintf("  trap: vector %lu, %s", tf->vector, exc_name[tf->vector & 31]);
	kprintf(", handler on %s\n", stack_name(tf));
	if (tf->vector == 8) {
		/* An abort: the saved CS:RIP is undefined (SDM 6.15, vector 8),
		 * so it is not printed; recover to a known place instead. */
		kprintf("        error code 0x%lx (always 0); saved CS:RIP undefined for #DF\n"
			"        recover: RIP = df_recover, RSP = the one df_demo saved\n", e);
		tf->rip = (uint64_t)(uintptr_t)df_recover;
		tf->rsp = df_saved_rsp;
		tf->cs = KCODE_SEL;
		tf->ss = KDATA_SEL;
		return;
	}
	switch (tf->vector) {
	case 14:
		kprintf("        error code 0x%lx = P=%lu (%s) W/R=%lu (%s) U/S=%lu (%s) I/D=%lu (%s)\n"
			"        CR2 = 0x%016lx\n",
			e, e & PF_P, e & PF_P ? "protection" : "not present",
			(e & PF_W) >> 1, e & PF_W ? "write" : "read",
			(e & PF_U) >> 2, e & PF_U ? "user" : "supervisor",
			(e & PF_I) >> 4, e & PF_I ? "fetch" : "data", read_cr(2));
		break;
	case 8: case 10: case 11: case 12: case 13: case 17:
		kprintf("        error code 0x%lx", e);
		if (e == 0)
			kprintf(" (no selector involved)\n");
		else if (e & ERR_IDT)
			kprintf(" = IDT vector 0x%lx, EXT=%lu\n", e >> 3, e & ERR_EXT);
		else
			kprintf(" = selector index %lu, TI=%lu (%s), EXT=%lu\n", e >> 3,
				(e & ERR_TI) >> 2, e & ERR_TI ? "LDT" : "GDT", e & ERR_EXT);
		break;
	default:
		kprintf("        no error code\n");
		break;
	}
	kprintf("        at CS:RIP = %04lx:%016lx <%s>, CPL %lu, SS:RSP = %04lx:%016lx\n",
		tf->cs, tf->rip, f ? f->name : "?", tf->cs & 3, tf->ss, tf->rsp);
	if (f) {
		kprintf("        fix-up: resume at %016lx\n", f->resume);
		tf->rip = f->resume;
		return;
	}
	kprintf("PANIC: no fix-up for this trap, giving up\n");
	debug_exit(EXIT_FAIL);
}

/* ---- system calls ---- */
#define SYS_WRITE     1
#define SYS_GETPID    2
#define SYS_EXIT      3
#define USER_PID      1

void syscall_c(struct syscall_frame *sf)
{
	uint16_t cs, ss;

	__asm__ volatile("mov %%cs, %0\n mov %%ss, %1" : "=r"(cs), "=r"(ss));
	kprintf("  SYSCALL: now CS = %04x SS = %04x; RCX = user RIP %016lx, R11 = user RFLAGS %lx\n",
		cs, ss, sf->rcx, sf->r11);
	switch (sf->rax) {
	case SYS_WRITE:
		kprintf("        write(buf=0x%lx, len=%lu)", sf->rdi, sf->rsi);
		if (sf->rdi < USER_CODE_VA || sf->rdi + sf->rsi < sf->rdi ||
		    sf->rdi + sf->rsi > USER_STACK_VA + PAGE_SIZE) {
			kprintf(" = -1 (not user memory)\n");
			sf->rax = (uint64_t)-1;
			break;
		}
		kprintf(": \"");
		for (uint64_t i = 0; i < sf->rsi; i++)
			uart_putc(((const char *)(uintptr_t)sf->rdi)[i]);
		kprintf("\" = %lu\n", sf->rsi);
		sf->rax = sf->rsi;
		break;
	case SYS_GETPID:
		kprintf("        getpid() = %u\n", USER_PID);
		sf->rax = USER_PID;
		break;
	case SYS_EXIT:
		kprintf("        exit(%lu): back to the kernel for good\n", sf->rdi);
		exit_to_kernel();
	default:
		kprintf("        unknown system call %lu = -1\n", sf->rax);
		sf->rax = (uint64_t)-1;
		break;
	}
	kprintf("        SYSRET to CS = %04x, SS = %04x\n", UCODE_SEL, UDATA_SEL);
}

/* ---- the tour ---- */

uint64_t kernel_secret = 0x5EC12E7;     /* kernel data: supervisor only */

static void show_walk(const char *what, uint64_t va)
{
	uint64_t e4 = pml4[PML4_IDX(va)];
	uint64_t *pdpt = (uint64_t *)(uintptr_t)((e4 & PG_ADDR) + (va >= KOFF ? KOFF : 0));
	uint64_t e3 = pdpt[PDPT_IDX(va)];
	uint64_t *pd = (uint64_t *)(uintptr_t)((e3 & PG_ADDR) + (va >= KOFF ? KOFF : 0));
	uint64_t e2 = pd[PD_IDX(va)];

	kprintf("  %s %016lx: PML4[%lu] -> PDPT[%lu] -> PD[%lu] = %016lx",
		what, va, PML4_IDX(va), PDPT_IDX(va), PD_IDX(va), e2);
	if (e2 & PG_PS) {
		kprintf(" (2 MiB page)\n");
	} else {
		uint64_t *pt = (uint64_t *)(uintptr_t)((e2 & PG_ADDR) + (va >= KOFF ? KOFF : 0));
		kprintf("\n        -> PT[%lu] = %016lx (4 KiB page)\n", PT_IDX(va), pt[PT_IDX(va)]);
	}
}

void kmain(void)
{
	uart_init();
	kprintf("== longmode: 4-level paging, 64-bit GDT/TSS/IDT, IST, ring 3, SYSCALL ==\n");
	kprintf("multiboot entry: EAX = 0x%08x; boot.S: CPUID LM+NX ok, PAE, EFER.LME, PG, far jump\n",
		mb_magic_boot);
	kprintf("now in 64-bit mode: CR0 = %lx (PG WP PE), CR4 = %lx (PAE), EFER = %lx (LMA LME NXE)\n",
		read_cr(0) & (CR0_PG | CR0_WP | CR0_PE), read_cr(4) & CR4_PAE,
		rdmsr(MSR_EFER) & (EFER_LMA | EFER_LME | EFER_NXE));
	kprintf("kmain at %p (higher half: PA %lx + 0xffffffff80000000)\n",
		(void *)kmain, V2P(kmain));

	gdt_tss_init();
	kprintf("GDT at %p: 08 kernel code (L=1), 10 kernel data, 1b user code32, 23 user data, 2b user code64, 30 TSS\n",
		(void *)gdt);
	kprintf("TSS: RSP0 = %016lx, IST1 = %016lx (#PF), IST2 = %016lx (#DF)\n",
		tss.rsp[0], tss.ist[0], tss.ist[1]);
	idt_init();
	kprintf("IDT at %p: 32 interrupt gates, #PF on IST1, #DF on IST2\n", (void *)idt);
	pic_init(0xFF, 0xFF);
	kprintf("PIC: remapped to 0x20/0x28, all masked (no device interrupts here)\n");

	user_map_init();
	kprintf("page tables: CR3 = %lx\n", read_cr(3));
	show_walk("kernel", (uint64_t)(uintptr_t)kmain);
	show_walk("2 MiB ", 0x200000);
	show_walk("user  ", USER_CODE_VA);
	show_walk("stack ", USER_STACK_VA);

	syscall_init();
	kprintf("SYSCALL: EFER = %lx (SCE set), STAR = %016lx, LSTAR = %016lx, FMASK = %lx\n",
		rdmsr(MSR_EFER) & (EFER_LMA | EFER_LME | EFER_NXE | EFER_SCE),
		rdmsr(MSR_STAR), rdmsr(MSR_LSTAR), rdmsr(MSR_FMASK));

	kprintf("\nIRETQ to ring 3: CS = %04x, SS:RSP = %04x:%016lx, RIP = %016lx <user_main>\n",
		UCODE_SEL, UDATA_SEL, USER_STACK_VA + PAGE_SIZE, (uint64_t)(uintptr_t)user_main);
	enter_user((uint64_t)(uintptr_t)user_main, USER_STACK_VA + PAGE_SIZE,
		   UCODE_SEL, UDATA_SEL, RFLAGS_IF | RFLAGS_RSVD1);
	kprintf("back in kmain, ring 0\n");

	kprintf("\ndouble fault: mark IDT[0] (#DE) not present, divide by zero in ring 0\n");
	idt[0].type_attr &= (uint8_t)~GATE_P;
	df_demo();
	idt[0].type_attr |= GATE_P;
	kprintf("  back from df_demo; IDT[0] present again\n");

	kprintf("\ndone: writing 0x%x to port 0x%x (exit status %u)\n",
		EXIT_OK, DEBUG_EXIT_PORT, (EXIT_OK << 1) | 1);
	debug_exit(EXIT_OK);
}
