/* trap.c - segments, the TSS, the IDT, and trap dispatch.
 *
 * GDT (Intel SDM Vol. 3A 3.4.5): 0x08 kernel code, 0x10 kernel data,
 * 0x18 user code, 0x20 user data (DPL 3), then one TSS per CPU from 0x28.
 * A TSS (SDM 7.2.1) is needed only for SS0:ESP0, the stack the CPU
 * switches to on an interrupt from ring 3; each CPU has its own, because
 * each runs a different process.
 *
 * IDT (SDM 6.11): 256 interrupt gates (they clear IF: the kernel runs
 * with interrupts off), DPL 0 except the system call gate, DPL 3, so that
 * `int $0x40` is allowed from ring 3 and any other `int n` from ring 3
 * is a #GP.
 */
#include "kernel.h"

struct seg_desc {
	uint16_t limit_lo, base_lo;
	uint8_t base_mid, access, flags_limit_hi, base_hi;
} __attribute__((packed));

#define SEG_P       0x80
#define SEG_DPL(n)  ((n) << 5)
#define SEG_S       0x10          /* code/data (not system) */
#define SEG_X       0x08          /* executable */
#define SEG_RW      0x02          /* code: readable, data: writable */
#define SEG_TSS32   0x09          /* available 32-bit TSS */
#define SEGF_G      0x80          /* limit in 4 KiB units */
#define SEGF_DB     0x40          /* 32-bit */
#define SEG(base, limit, acc, flg) { (uint16_t)(limit), (uint16_t)(base), \
	(uint8_t)((base) >> 16), (acc), (uint8_t)((flg) | (((limit) >> 16) & 0xF)), \
	(uint8_t)((base) >> 24) }

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
} __attribute__((packed));

static struct seg_desc gdt[5 + MAXCPU] = {
	{ 0 },
	SEG(0, 0xFFFFF, SEG_P | SEG_DPL(0) | SEG_S | SEG_X | SEG_RW, SEGF_G | SEGF_DB),
	SEG(0, 0xFFFFF, SEG_P | SEG_DPL(0) | SEG_S | SEG_RW, SEGF_G | SEGF_DB),
	SEG(0, 0xFFFFF, SEG_P | SEG_DPL(3) | SEG_S | SEG_X | SEG_RW, SEGF_G | SEGF_DB),
	SEG(0, 0xFFFFF, SEG_P | SEG_DPL(3) | SEG_S | SEG_RW, SEGF_G | SEGF_DB),
};
static struct tss32 tss[MAXCPU];

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type_attr;      /* P | DPL | 0 | type */
	uint16_t off_hi;
} __attribute__((packed));
#define GATE_INT32  0x8E            /* present, 32-bit interrupt gate */

static struct gate idt[256];

struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

/* Load the GDT and this CPU's TSS, and reload every segment register. */
void gdt_init(int cpu)
{
	uint32_t base = (uint32_t)(uintptr_t)&tss[cpu];
	struct seg_desc d = SEG(base, sizeof(struct tss32) - 1,
				SEG_P | SEG_DPL(0) | SEG_TSS32, 0);
	struct dtr r = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt };

	gdt[5 + cpu] = d;
	tss[cpu].ss0 = SEL_KDATA;
	tss[cpu].iomap_base = sizeof(struct tss32);   /* no I/O bitmap */
	__asm__ volatile("lgdt %0" : : "m"(r));
	__asm__ volatile("ljmp %0, $1f\n1:" : : "i"(SEL_KCODE));
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss"
			 : : "r"((uint32_t)SEL_KDATA));
	__asm__ volatile("mov %0, %%fs; mov %0, %%gs" : : "r"(0u));
	__asm__ volatile("ltr %w0" : : "r"((uint32_t)SEL_TSS(cpu)));
}

void tss_set_esp0(int cpu, uint32_t esp0)
{
	tss[cpu].esp0 = esp0;
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint32_t off = vectors[v];
		int dpl = v == VEC_SYSCALL ? 3 : 0;

		idt[v] = (struct gate){ (uint16_t)off, SEL_KCODE, 0,
			(uint8_t)(GATE_INT32 | SEG_DPL(dpl)), (uint16_t)(off >> 16) };
	}
	idt_load();
}

void idt_load(void)
{
	struct dtr r = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(r));
}

static const char *const trap_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
	"#TS", "#NP", "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

const char *trap_name(uint32_t n)
{
	return n < 32 && trap_names[n] ? trap_names[n] : "?";
}

/* A fault in ring 3 kills the process; the report tells what happened. */
static void kill_proc(struct proc *p, struct trapframe *tf)
{
	p->killed = 1;
	p->fault_trap = tf->trapno;
	p->fault_err = tf->err;
	p->fault_cr2 = tf->trapno == VEC_PF ? read_cr2() : 0;
	p->fault_eip = tf->eip;
	proc_exit(p, -1);
}

/* Every interrupt and exception lands here (entry.S: alltraps), with
 * interrupts off.  Returns the frame to resume; entry.S releases the big
 * kernel lock once it stands on that frame's stack. */
struct trapframe *trap(struct trapframe *tf)
{
	int from_user = (tf->cs & 3) == 3;

	if (!from_user && tf->trapno < 32)
		panic("%s (error 0x%x) in the kernel at eip=0x%x cr2=0x%x",
		      trap_name(tf->trapno), tf->err, tf->eip, read_cr2());
	klock();
	struct cpu *c = mycpu();
	struct proc *p = c->cur;
	int resched = 0;

	p->tf = tf;
	switch (tf->trapno) {
	case VEC_TIMER:
		c->ticks++;
		if (from_user)
			p->uticks++;
		lapic_eoi();
		resched = 1;                 /* preempt: round robin */
		break;
	case VEC_KBD:
		kbd_intr();
		lapic_eoi();
		break;
	case VEC_RESCHED:                    /* int 0x22 from the idle loop */
		resched = 1;
		break;
	case VEC_SPURIOUS:                   /* no EOI for spurious (SDM 10.9) */
		break;
	case VEC_SYSCALL:
		syscall(p, tf);
		break;
	default:
		if (!from_user)
			panic("unexpected interrupt %u on cpu%d", tf->trapno, c->id);
		kill_proc(p, tf);
		break;
	}
	if (resched || p->state != P_RUNNING)
		return schedule(c);
	return tf;
}
