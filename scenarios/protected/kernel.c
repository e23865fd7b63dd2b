/* kernel.c - the `protected` guest: 32-bit protected mode, step by step.
 *
 * boot.S entered kmain() with paging on (a first, coarse mapping).  kmain()
 *   1. builds its own GDT (ring-0 and ring-3 code and data, a TSS),
 *   2. refines the page tables (NULL guard, read-only text, user pages),
 *   3. builds an IDT (interrupt gates for the 32 exceptions and the 16 PIC
 *      vectors, plus `int 0x80` with DPL 3) and remaps the PICs,
 *   4. takes a series of deliberate faults, each reported and skipped,
 *   5. drops to a ring-3 task that makes system calls and faults,
 *   6. counts 5 timer interrupts from the PIT, and exits via port 0xF4.
 * Everything printed is deterministic: it depends on the program only, not
 * on timing, so QEMU and vmscope must print the same bytes.
 *
 * References: Intel SDM Vol. 3A, ch. 3 (segments, descriptors), ch. 4
 * (paging), ch. 5 (protection), ch. 6 (interrupts and exceptions), ch. 7
 * (the TSS).
 */
#include <stdint.h>
#include "hw.h"

/* ---- memory layout (kernel.ld) ---- */
#define KERNEL_PHYS   0x00100000u
#define KERNEL_VIRT   0xC0000000u
#define KOFF          (KERNEL_VIRT - KERNEL_PHYS)
#define V2P(a)        ((uint32_t)(uintptr_t)(a) - KOFF)
#define PAGE_SIZE     4096u

extern char _ktext[], _etext[], _erodata[], _user_start[], _user_end[],
	_ustack_end[], _kend[], boot_stack_top[], user_stack_top[];

/* ---- control registers (SDM 2.5) ---- */
#define CR0_PE        (1u << 0)   /* protection enable */
#define CR0_WP        (1u << 16)  /* write protect: ring 0 obeys R/W=0 too */
#define CR0_PG        (1u << 31)  /* paging */
#define EFLAGS_RSVD1  (1u << 1)   /* always 1 */
#define EFLAGS_IF     (1u << 9)   /* interrupts enabled */

static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }

/* ---- paging: 32-bit, 2 levels, 4 KiB pages (SDM 4.3) ----
 * CR3 -> page directory (1024 PDEs, each covers 4 MiB)
 *     -> page table (1024 PTEs, each maps 4 KiB).
 * Linear address: bits 31-22 PDE index, 21-12 PTE index, 11-0 offset. */
#define PTE_P         0x001u      /* present */
#define PTE_RW        0x002u      /* writable (else read-only) */
#define PTE_US        0x004u      /* user (else supervisor-only) */
#define PDE_INDEX(va) ((uint32_t)(va) >> 22)
#define PTE_INDEX(va) (((uint32_t)(va) >> 12) & 0x3FF)

uint32_t pgdir[1024] __attribute__((aligned(PAGE_SIZE)));
uint32_t pt_low[1024] __attribute__((aligned(PAGE_SIZE)));   /* 0-4 MiB */
uint32_t pt_kern[1024] __attribute__((aligned(PAGE_SIZE)));  /* 0xC0000000- */
uint32_t mb_magic;                  /* EAX at entry, saved by boot.S */

/* ---- segments (SDM 3.4.5): an 8-byte descriptor ---- */
struct seg_desc {
	uint16_t limit_lo;
	uint16_t base_lo;
	uint8_t  base_mid;
	uint8_t  access;     /* P | DPL(2) | S | type(4) */
	uint8_t  flags_limit_hi; /* G | D/B | L | AVL | limit 19-16 */
	uint8_t  base_hi;
} __attribute__((packed));

#define SEG_P         0x80        /* present */
#define SEG_DPL(n)    ((n) << 5)  /* descriptor privilege level */
#define SEG_S         0x10        /* code/data (else system: TSS, gates) */
#define SEG_X         0x08        /* executable: a code segment */
#define SEG_RW        0x02        /* code: readable; data: writable */
#define SEG_TSS32     0x09        /* system type: 32-bit TSS, available */
#define SEGF_G        0x80        /* granularity: limit in 4 KiB units */
#define SEGF_DB       0x40        /* default operand size 32 */

#define SEG(base, limit, acc, flg) { (uint16_t)(limit), (uint16_t)(base), \
	(uint8_t)((base) >> 16), (acc), (uint8_t)((flg) | (((limit) >> 16) & 0xF)), \
	(uint8_t)((base) >> 24) }

/* A selector is index*8 | TI (0 = GDT) | RPL. */
#define KCODE_SEL     0x08
#define KDATA_SEL     0x10
#define UCODE_SEL     (0x18 | 3)
#define UDATA_SEL     (0x20 | 3)
#define TSS_SEL       0x28
#define GDT_ENTRIES   6

static struct seg_desc gdt[GDT_ENTRIES] = {
	{ 0 },                                                          /* null */
	SEG(0, 0xFFFFF, SEG_P | SEG_DPL(0) | SEG_S | SEG_X | SEG_RW, SEGF_G | SEGF_DB),
	SEG(0, 0xFFFFF, SEG_P | SEG_DPL(0) | SEG_S | SEG_RW, SEGF_G | SEGF_DB),
	SEG(0, 0xFFFFF, SEG_P | SEG_DPL(3) | SEG_S | SEG_X | SEG_RW, SEGF_G | SEGF_DB),
	SEG(0, 0xFFFFF, SEG_P | SEG_DPL(3) | SEG_S | SEG_RW, SEGF_G | SEGF_DB),
	{ 0 },                  /* TSS: filled in at run time (its base) */
};

/* The 32-bit TSS (SDM 7.2.1).  Only SS0:ESP0 matter here: the stack the CPU
 * switches to when an interrupt arrives in ring 3. */
struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
} __attribute__((packed));

static struct tss32 tss;
static uint8_t kstack[8192] __attribute__((aligned(16)));  /* ring-0 stack for traps from ring 3 */
#define KSTACK_TOP    ((uint32_t)(uintptr_t)(kstack + sizeof kstack))

/* ---- the IDT (SDM 6.11): 8-byte gate descriptors ---- */
struct gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t  zero;
	uint8_t  type_attr;  /* P | DPL(2) | 0 | type(4) */
	uint16_t off_hi;
} __attribute__((packed));

#define GATE_INT32    0x0E        /* 32-bit interrupt gate: clears IF */
#define IDT_ENTRIES   256
#define VEC_PIC1      PIC1_VECTOR /* 0x20: IRQ0 = timer */
#define VEC_SYSCALL   0x80

static struct gate idt[IDT_ENTRIES];

struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

/* Entry stubs (trapentry.S). */
extern char vec0[], vec1[], vec2[], vec3[], vec4[], vec5[], vec6[], vec7[],
	vec8[], vec9[], vec10[], vec11[], vec12[], vec13[], vec14[], vec15[],
	vec16[], vec17[], vec18[], vec19[], vec20[], vec21[], vec22[], vec23[],
	vec24[], vec25[], vec26[], vec27[], vec28[], vec29[], vec30[], vec31[],
	vec32[], vec33[], vec34[], vec35[], vec36[], vec37[], vec38[], vec39[],
	vec40[], vec41[], vec42[], vec43[], vec44[], vec45[], vec46[], vec47[],
	vec128[], idle_after_hlt[], user_main[];
static char *const vectors[48] = {
	vec0, vec1, vec2, vec3, vec4, vec5, vec6, vec7, vec8, vec9, vec10, vec11,
	vec12, vec13, vec14, vec15, vec16, vec17, vec18, vec19, vec20, vec21,
	vec22, vec23, vec24, vec25, vec26, vec27, vec28, vec29, vec30, vec31,
	vec32, vec33, vec34, vec35, vec36, vec37, vec38, vec39, vec40, vec41,
	vec42, vec43, vec44, vec45, vec46, vec47,
};
void enter_user(uint32_t eip, uint32_t esp, uint32_t cs, uint32_t ss, uint32_t eflags);
__attribute__((noreturn)) void exit_to_kernel(void);
void idle_wait(void);

/* What trapentry.S leaves on the stack (lowest address first). */
struct trapframe {
	uint32_t edi, esi, ebp, esp_pushal, ebx, edx, ecx, eax; /* pushal */
	uint32_t gs, fs, es, ds;
	uint32_t vector, err;            /* pushed by the stub (or the CPU) */
	uint32_t eip, cs, eflags;        /* pushed by the CPU */
	uint32_t esp, ss;                /* only on a change to ring 0 */
};

/* ---- fault sites and their fix-ups ----
 * Every deliberate fault is one instruction at a global label, with an
 * entry {fault EIP, resume EIP, name} in the .fixup section.  The trap
 * handler looks the faulting EIP up and, if found, makes the IRET resume
 * after the instruction (the way Linux's exception tables work). */
struct fixup {
	uint32_t fault, resume;
	const char *name;
};
extern const struct fixup __fixup_start[], __fixup_end[];

#define FAULT_SITE(name, insn) \
	"	.globl " name "\n" name ":	" insn "\n1:\n" \
	"	.pushsection .rodata\n2:	.asciz \"" name "\"\n	.popsection\n" \
	"	.pushsection .fixup, \"a\"\n	.long " name ", 1b, 2b\n	.popsection\n"

static const struct fixup *find_fixup(uint32_t eip)
{
	for (const struct fixup *f = __fixup_start; f < __fixup_end; f++)
		if (f->fault == eip)
			return f;
	return 0;
}

/* ---- set-up ---- */

static void gdt_init(void)
{
	struct dtr gdtr = { sizeof gdt - 1, (uint32_t)(uintptr_t)gdt };
	uint32_t base = (uint32_t)(uintptr_t)&tss;

	tss.ss0 = KDATA_SEL;
	tss.esp0 = KSTACK_TOP;
	tss.iomap_base = sizeof tss;     /* no I/O bitmap: ring 3 has no ports */
	gdt[TSS_SEL >> 3] = (struct seg_desc)SEG(base, sizeof tss - 1,
						 SEG_P | SEG_DPL(0) | SEG_TSS32, 0);

	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	/* Reload every segment register: a far jump for CS, moves for the
	 * others, so the CPU reads our descriptors (SDM 3.4.3). */
	__asm__ volatile("ljmp %0, $1f\n1:\n"
			 "mov %w1, %%ds\n mov %w1, %%es\n mov %w1, %%ss\n"
			 "mov %w1, %%fs\n mov %w1, %%gs\n"
			 : : "i"(KCODE_SEL), "r"(KDATA_SEL) : "memory");
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}

static void set_gate(int vec, void *handler, int dpl)
{
	uint32_t off = (uint32_t)(uintptr_t)handler;

	idt[vec].off_lo = (uint16_t)off;
	idt[vec].sel = KCODE_SEL;
	idt[vec].zero = 0;
	idt[vec].type_attr = (uint8_t)(SEG_P | SEG_DPL(dpl) | GATE_INT32);
	idt[vec].off_hi = (uint16_t)(off >> 16);
}

static void idt_init(void)
{
	struct dtr idtr = { sizeof idt - 1, (uint32_t)(uintptr_t)idt };

	for (int v = 0; v < 48; v++)
		set_gate(v, vectors[v], 0);
	set_gate(VEC_SYSCALL, vec128, 3);   /* DPL 3: `int 0x80` from ring 3 */
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* Refine the start-up mapping of boot.S.  Each PTE gets exactly the rights
 * its page needs. */
static void paging_init(void)
{
	pt_low[0] = 0;                       /* page 0 not present: NULL guard */
	for (uint32_t i = 0; i < 1024; i++) {
		uint32_t va = KERNEL_VIRT + i * PAGE_SIZE;
		uint32_t pa = KERNEL_PHYS + i * PAGE_SIZE;
		uint32_t flags;

		if (va < (uint32_t)(uintptr_t)_erodata)
			flags = PTE_P;                   /* boot, text, rodata */
		else if (va < (uint32_t)(uintptr_t)_user_end)
			flags = PTE_P | PTE_US;          /* user code: RO */
		else if (va < (uint32_t)(uintptr_t)_ustack_end)
			flags = PTE_P | PTE_US | PTE_RW; /* user stack */
		else if (va < (uint32_t)(uintptr_t)_kend)
			flags = PTE_P | PTE_RW;          /* kernel data */
		else
			flags = 0;                       /* nothing there */
		pt_kern[i] = flags ? pa | flags : 0;
	}
	write_cr3(V2P(pgdir));               /* reload CR3: flush the TLB */
}

/* ---- trap reporting ---- */

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

#define ERR_EXT       0x1         /* selector error code bits (SDM 6.13) */
#define ERR_IDT       0x2
#define ERR_TI        0x4
#define PF_P          0x1         /* #PF error code bits (SDM 4.7) */
#define PF_W          0x2
#define PF_U          0x4

static unsigned ticks;
#define TICKS_WANTED  5
#define TIMER_HZ      100

static void print_origin(const struct trapframe *tf)
{
	const struct fixup *f = find_fixup(tf->eip);

	kprintf("        at CS:EIP = %04x:%08x <%s>, CPL %u",
		tf->cs & 0xFFFF, tf->eip,
		f ? f->name : tf->eip == (uint32_t)(uintptr_t)idle_after_hlt
		? "idle_after_hlt" : "?", tf->cs & 3);
	if ((tf->cs & 3) == 3)
		kprintf("; user SS:ESP = %04x:%08x, CPU switched to TSS SS0:ESP0",
			tf->ss & 0xFFFF, tf->esp);
	kprintf("\n");
}

static void report_exception(struct trapframe *tf)
{
	uint32_t e = tf->err;

	kprintf("  trap: vector %u, %s\n", tf->vector, exc_name[tf->vector]);
	switch (tf->vector) {
	case 14:
		kprintf("        error code 0x%x = P=%u (%s), W/R=%u (%s), U/S=%u (%s)\n"
			"        CR2 = 0x%08x (the linear address that faulted)\n",
			e, e & PF_P, e & PF_P ? "protection" : "not present",
			(e & PF_W) >> 1, e & PF_W ? "write" : "read",
			(e & PF_U) >> 2, e & PF_U ? "user" : "supervisor",
			read_cr2());
		break;
	case 10: case 11: case 12: case 13: case 17:
		kprintf("        error code 0x%x", e);
		if (e == 0)
			kprintf(" (no selector involved)\n");
		else if (e & ERR_IDT)
			kprintf(" = IDT vector 0x%x, IDT=1, EXT=%u\n", e >> 3, e & ERR_EXT);
		else
			kprintf(" = selector index %u, TI=%u (%s), EXT=%u\n", e >> 3,
				(e & ERR_TI) >> 2, e & ERR_TI ? "LDT" : "GDT", e & ERR_EXT);
		break;
	case 8:
		kprintf("        error code 0x%x (always 0)\n", e);
		break;
	default:
		kprintf("        no error code\n");
		break;
	}
	print_origin(tf);
}

static void syscall(struct trapframe *tf);

/* Called by trap_common (trapentry.S) for every vector. */
void trap(struct trapframe *tf)
{
	if (tf->vector == VEC_SYSCALL) {
		syscall(tf);
		return;
	}
	if (tf->vector == VEC_PIC1 + IRQ0_TIMER) {
		ticks++;
		kprintf("  IRQ0 -> vector 0x%x: tick %u of %u, interrupted ",
			tf->vector, ticks, TICKS_WANTED);
		kprintf("CS:EIP = %04x:%08x <%s>\n", tf->cs & 0xFFFF, tf->eip,
			tf->eip == (uint32_t)(uintptr_t)idle_after_hlt
			? "idle_after_hlt" : "?");
		if (ticks == TICKS_WANTED)
			outb(PIC1_DATA, 0xFF);          /* mask IRQ0 again */
		pic_eoi(IRQ0_TIMER);
		return;
	}
	if (tf->vector == VEC_PIC1 + 7 || tf->vector == PIC2_VECTOR + 7)
		return;         /* a spurious IRQ7/15: no EOI (8259A data sheet) */
	if (tf->vector < 32) {
		const struct fixup *f = find_fixup(tf->eip);

		report_exception(tf);
		if (f) {
			kprintf("        fix-up: resume at %08x, after the faulting instruction\n",
				f->resume);
			tf->eip = f->resume;
			return;
		}
	} else {
		kprintf("  unexpected interrupt, vector 0x%x\n", tf->vector);
		print_origin(tf);
	}
	kprintf("PANIC: no fix-up for this trap, giving up\n");
	debug_exit(EXIT_FAIL);
}

/* ---- system calls: EAX = number, EBX/ECX = arguments, EAX = result ---- */
#define SYS_WRITE     1
#define SYS_GETPID    2
#define SYS_EXIT      3
#define USER_PID      1

static int user_range_ok(uint32_t p, uint32_t len)
{
	return p >= (uint32_t)(uintptr_t)_user_start &&
	       p + len >= p && p + len <= (uint32_t)(uintptr_t)_ustack_end;
}

static void syscall(struct trapframe *tf)
{
	kprintf("  int 0x80 from CPL %u (CS = %04x): ", tf->cs & 3, tf->cs & 0xFFFF);
	if ((tf->cs & 3) == 3)
		kprintf("stack switched, user SS:ESP = %04x:%08x\n", tf->ss & 0xFFFF, tf->esp);
	else
		kprintf("same privilege, no stack switch, no SS:ESP pushed\n");
	switch (tf->eax) {
	case SYS_WRITE:
		kprintf("        write(buf=0x%08x, len=%u)", tf->ebx, tf->ecx);
		if (!user_range_ok(tf->ebx, tf->ecx)) {
			kprintf(" = -1 (buffer not in user memory)\n");
			tf->eax = (uint32_t)-1;
			break;
		}
		kprintf(": \"");
		for (uint32_t i = 0; i < tf->ecx; i++)
			uart_putc(((const char *)(uintptr_t)tf->ebx)[i]);
		kprintf("\" = %u\n", tf->ecx);
		tf->eax = tf->ecx;
		break;
	case SYS_GETPID:
		kprintf("        getpid() = %u\n", USER_PID);
		tf->eax = USER_PID;
		break;
	case SYS_EXIT:
		kprintf("        exit(%u): back to the kernel for good\n", tf->ebx);
		exit_to_kernel();
	default:
		kprintf("        unknown system call %u = -1\n", tf->eax);
		tf->eax = (uint32_t)-1;
		break;
	}
}

/* ---- the tour ---- */

/* In .rodata, a read-only page.  (`const volatile` would land in .data.)
 * Read it through RO_ANSWER so the compiler cannot assume it is still 42. */
static const uint32_t ro_answer = 42;
#define RO_ANSWER     (*(const volatile uint32_t *)&ro_answer)
uint32_t kernel_secret = 0x5EC12E7;             /* .data: supervisor only */

void kmain(void)
{
	uint32_t r;

	uart_init();
	kprintf("== protected: 32-bit protected mode, paging, faults, ring 3, timer ==\n");
	kprintf("multiboot entry: EAX = 0x%08x, 32-bit protected mode, paging was off\n",
		mb_magic);

	gdt_init();
	kprintf("GDT at %p: 08 ring-0 code, 10 ring-0 data, 1b ring-3 code, 23 ring-3 data, 28 TSS\n",
		(void *)gdt);
	kprintf("TSS at %p: SS0:ESP0 = %04x:%08x (the stack for traps from ring 3)\n",
		(void *)&tss, tss.ss0, tss.esp0);

	paging_init();
	kprintf("paging: CR3 = 0x%08x, CR0 = 0x%08x (PG=1, PE=1, WP=0)\n",
		read_cr3(), read_cr0() & (CR0_PG | CR0_PE | CR0_WP));
	kprintf("  PDE 0x%03x: VA 00000000-003fffff = PA 00000000 (identity), page 0 not present\n",
		PDE_INDEX(0));
	kprintf("  PDE 0x%03x: VA %08x-%08x -> PA %08x: text RO, user U, data RW\n",
		PDE_INDEX(KERNEL_VIRT), KERNEL_VIRT,
		(uint32_t)(uintptr_t)_kend - 1, KERNEL_PHYS);
	kprintf("  kmain at VA %p, PTE 0x%03x = 0x%08x (0x20 = Accessed, set by the CPU)\n", (void *)kmain,
		PTE_INDEX(kmain), pt_kern[PTE_INDEX(kmain)]);

	idt_init();
	pic_init(0xFF, 0xFF);
	kprintf("IDT at %p: interrupt gates 0-31 (exceptions), 0x20-0x2f (PIC), 0x80 (DPL 3)\n",
		(void *)idt);
	kprintf("PIC: ICW1-4 sent, IRQ0-7 -> 0x20-0x27, IRQ8-15 -> 0x28-0x2f, all masked\n");

	kprintf("\n[1] divide by zero: div %%ecx with ECX = 0\n");
	__asm__ volatile(FAULT_SITE("kernel_div_zero", "divl %%ecx")
			 : : "a"(1), "d"(0), "c"(0) : "cc", "memory");

	kprintf("\n[2] load DS with selector 0x53 (index 10: beyond the GDT limit 0x%x)\n",
		(unsigned)sizeof gdt - 1);
	__asm__ volatile(FAULT_SITE("kernel_bad_selector", "movw %%ax, %%ds")
			 : : "a"(0x53) : "memory");

	kprintf("\n[3] read through a NULL pointer: address 0x10, page 0 not present\n");
	__asm__ volatile(FAULT_SITE("kernel_null_read", "movl 0x10, %%eax")
			 : : : "eax", "memory");

	kprintf("\n[4] write to a read-only page (ro_answer at %p)\n", (void *)&ro_answer);
	__asm__ volatile("movl $43, (%0)" : : "r"(&ro_answer) : "memory");
	kprintf("  CR0.WP = 0: ring 0 ignores R/W=0, the write worked: ro_answer = %u\n",
		RO_ANSWER);
	write_cr0(read_cr0() | CR0_WP);
	kprintf("  CR0.WP = 1 now: the same write again\n");
	__asm__ volatile(FAULT_SITE("kernel_write_ro", "movl $44, (%0)")
			 : : "r"(&ro_answer) : "memory");
	kprintf("  ro_answer = %u\n", RO_ANSWER);

	kprintf("\n[5] int 0x80 from ring 0\n");
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(SYS_GETPID) : "memory");
	kprintf("  returned %u\n", r);

	kprintf("\n[6] iret to ring 3: CS = %04x, SS:ESP = %04x:%08x, EIP = %p <user_main>\n",
		UCODE_SEL, UDATA_SEL, (uint32_t)(uintptr_t)user_stack_top, (void *)user_main);
	enter_user((uint32_t)(uintptr_t)user_main, (uint32_t)(uintptr_t)user_stack_top,
		   UCODE_SEL, UDATA_SEL, EFLAGS_IF | EFLAGS_RSVD1);
	kprintf("  back in kmain, ring 0\n");

	kprintf("\n[7] timer: PIT counter 0, mode 2, divisor %u (%u Hz); unmask IRQ0; sti; hlt\n",
		(PIT_HZ + TIMER_HZ / 2) / TIMER_HZ, TIMER_HZ);
	pit_init(TIMER_HZ);
	outb(PIC1_DATA, (uint8_t)~(1u << IRQ0_TIMER));  /* OCW1: only IRQ0 */
	while (ticks < TICKS_WANTED)
		idle_wait();
	kprintf("  counted %u timer interrupts\n", ticks);

	kprintf("\ndone: writing 0x%x to port 0x%x (exit status %u)\n",
		EXIT_OK, DEBUG_EXIT_PORT, (EXIT_OK << 1) | 1);
	debug_exit(EXIT_OK);
}
