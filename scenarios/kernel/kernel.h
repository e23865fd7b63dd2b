/* kernel.h - the vmscope teaching kernel: shared declarations.
 *
 * One header for the whole (small) kernel, as in xv6's defs.h: constants
 * for the hardware it drives, the structures shared between files, and the
 * functions each file exports.  See docs/KERNEL.md for the tour.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "hw.h"
#include "syscall.h"

/* ---- memory map (physical = virtual for the kernel) ---- */
#define KERNEL_BASE   0x00010000u   /* boot.S loads the kernel here */
#define AP_TRAMPOLINE 0x00007000u   /* SIPI vector 0x07: AP starts at 0700:0000 */
#define POOL_START    0x00100000u   /* page frames: 1 MiB .. 4 MiB */
#define POOL_END      0x00400000u
#define KMAP_END      0x00400000u   /* kernel identity map: 0 .. 4 MiB */
#define VGA_TEXT      0x000B8000u
#define PAGE_SIZE     4096u
#define PGROUNDUP(a)  (((uint32_t)(a) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* user address space (the same virtual addresses in every process) */
#define USER_BASE     0x40000000u   /* code, then data+bss */
#define USER_TOP      0x40400000u   /* one page table: 4 MiB */
#define USTACK_PAGES  2u            /* stack just below USER_TOP */

/* ---- paging: 32-bit, 2 levels, 4 KiB pages (SDM Vol. 3A 4.3) ---- */
#define PTE_P         0x001u        /* present */
#define PTE_W         0x002u        /* writable */
#define PTE_U         0x004u        /* user may access */
#define PTE_PWT       0x008u        /* write-through */
#define PTE_PCD       0x010u        /* cache disable (device registers) */
#define PDX(va)       ((uint32_t)(va) >> 22)
#define PTX(va)       (((uint32_t)(va) >> 12) & 0x3FF)
#define PTE_ADDR(e)   ((e) & ~0xFFFu)
#define CR0_PE        (1u << 0)
#define CR0_WP        (1u << 16)
#define CR0_PG        (1u << 31)
#define EFLAGS_IF     (1u << 9)
#define EFLAGS_RSVD   (1u << 1)

/* ---- segments: selectors of the kernel GDT (trap.c) ---- */
#define SEL_KCODE     0x08
#define SEL_KDATA     0x10
#define SEL_UCODE     (0x18 | 3)
#define SEL_UDATA     (0x20 | 3)
#define SEL_TSS(cpu)  (0x28 + 8 * (cpu))

/* ---- interrupt vectors ---- */
#define VEC_PF        14
#define VEC_TIMER     0x20          /* LAPIC timer */
#define VEC_KBD       0x21          /* IOAPIC: ISA IRQ 1 */
#define VEC_RESCHED   0x22          /* int 0x22: the idle loop asks to schedule (cooperative) */
#define VEC_SYSCALL   0x40          /* int 0x40, DPL 3 */
#define VEC_SPURIOUS  0xFF          /* LAPIC spurious-interrupt vector */

#define MAXCPU        4
#define NPROC         8
#define OUTBUF        512           /* bytes of output kept per process */

/* The registers trap entry (entry.S) saves, lowest address first. */
struct trapframe {
	uint32_t edi, esi, ebp, oesp, ebx, edx, ecx, eax;   /* pushal */
	uint32_t gs, fs, es, ds;
	uint32_t trapno, err;
	uint32_t eip, cs, eflags;                           /* pushed by the CPU */
	uint32_t esp, ss;                                   /* only from ring 3 */
};

enum pstate { P_UNUSED, P_RUNNABLE, P_RUNNING, P_EXITED };

struct proc {
	int pid;
	const char *name;
	enum pstate state;
	uint32_t *pgdir;               /* its page directory (CR3) */
	uint32_t kstack_top;           /* TSS.ESP0 while it runs */
	struct trapframe *tf;          /* where its registers are saved */
	int exit_status;
	uint32_t uticks;               /* timer interrupts taken in ring 3 */
	uint32_t fault_trap, fault_err, fault_cr2, fault_eip;  /* if killed */
	int killed;
	char out[OUTBUF];              /* its write() output, printed at the end */
	uint32_t outlen;
};

struct cpu {
	int id;                        /* index in cpus[] */
	uint8_t apic_id;
	volatile int started;
	volatile uint32_t ticks;       /* LAPIC timer interrupts */
	uint32_t switches;             /* process switches (CR3 loads) */
	struct proc *cur;              /* running process, or &idle */
	struct proc idle;              /* the CPU's idle loop, in ring 0 */
	uint32_t stack_top;            /* its kernel stack (idle, boot) */
};

extern struct cpu cpus[MAXCPU];
extern int ncpu;
extern struct proc procs[NPROC];
/* 1 when disk 1's sched.cfg says "cooperative": no timer; a process runs
 * until it yields, exits or faults (docs/KERNEL.md). */
extern int sched_coop;
extern uint32_t *kpgdir;

/* console.c */
void cons_init(void);
void cons_putc(int c);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* fmt.c (also linked into user space) */
void vfmt(void (*put)(int c, void *arg), void *arg, const char *fmt, va_list ap);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int strcmp(const char *a, const char *b);
size_t strlen(const char *s);

/* mm.c */
void *page_alloc(void);
void vm_init(void);
void vm_map(uint32_t *pgdir, uint32_t va, uint32_t pa, uint32_t flags);
uint32_t *vm_walk(uint32_t *pgdir, uint32_t va);
uint32_t *vm_new_pgdir(void);
void vm_enable_paging(void);

/* trap.c */
void gdt_init(int cpu);
void idt_init(void);
void tss_set_esp0(int cpu, uint32_t esp0);
void idt_load(void);
struct trapframe *trap(struct trapframe *tf);
const char *trap_name(uint32_t n);

/* proc.c */
void proc_create(const char *name, int (*main)(void));
struct trapframe *schedule(struct cpu *c);
void proc_exit(struct proc *p, int status);
int procs_all_exited(void);
void syscall(struct proc *p, struct trapframe *tf);
void klock(void);
void kunlock(void);

/* apic.c */
int mp_init(void);
void lapic_init(void);
void lapic_timer_start(void);
void lapic_eoi(void);
uint8_t lapic_id(void);
struct cpu *mycpu(void);
void ioapic_init(void);
void ioapic_route(int irq, int vector, uint8_t apic_id);
int smp_start_ap(struct cpu *c);
void lapic_delay_us(uint32_t us);

/* ata.c */
int ata_identify(int drive, uint32_t *sectors);
int ata_read(int drive, uint32_t lba, void *buf);

/* fs.c */
int fs_mount(int drive);
int fs_read(const char *name, void *buf, uint32_t max);
void fs_list(void);

/* kbd.c */
void kbd_init(void);
void kbd_intr(void);
uint32_t kbd_keys_seen(void);

/* entry.S */
extern char ap_trampoline[], ap_trampoline_end[];
extern uint32_t ap_stack, ap_pgdir;
void idle_loop(void) __attribute__((noreturn));
extern uint32_t vectors[256];
extern volatile uint32_t klock_word;

/* user space (the user/ directory), linked in the .user section */
int u_start(int (*main)(void));
int prog_primes(void);
int prog_wc(void);
int prog_collatz(void);
int prog_bad(void);
extern char _user_start[], _user_text_end[], _user_data_start[],
	_user_data_end[], _user_end[], _user_lma[], _user_data_lma[];

static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void insw(uint16_t port, void *buf, uint32_t n)
{
	__asm__ volatile("cld; rep insw" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}
/* A pointer to physical (= kernel virtual) address @a.  Through an empty
 * asm, so that gcc does not treat addresses below 4 KiB (the BIOS data
 * area) as null-pointer arithmetic. */
static inline void *phys(uint32_t a)
{
	void *p;

	__asm__("" : "=r"(p) : "0"(a));
	return p;
}
static inline void cpu_relax(void) { __asm__ volatile("pause"); }

#endif
