/* proc.c - processes, the scheduler, system calls, the big kernel lock.
 *
 * Every process runs the same user image (user/) at the same virtual
 * addresses, in its own address space: its own page directory, private
 * copies of the data pages, its own stack.  Its kernel stack holds the
 * trap frame while it is not running; switching processes is switching
 * the trap frame trap() returns, TSS.ESP0 and CR3.
 *
 * One lock protects everything (like early Linux's big kernel lock): trap()
 * takes it on every entry, entry.S drops it just before the IRET.  Kernel
 * code runs with interrupts off and never blocks, so that is all.
 */
#include "kernel.h"

struct proc procs[NPROC];
static int nproc;
static int rr;                       /* round robin: last slot picked */
static volatile int nexited;

void klock(void)
{
	/* XCHG with a memory operand is always atomic (SDM Vol. 3A 8.1.2.1) */
	uint32_t one = 1;

	for (;;) {
		__asm__ volatile("xchg %0, %1" : "+r"(one), "+m"(klock_word) : : "memory");
		if (one == 0)
			return;
		while (klock_word)
			cpu_relax();
		one = 1;
	}
}

void kunlock(void)
{
	__asm__ volatile("movl $0, %0" : "=m"(klock_word) : : "memory");
}

/* Map [va, end) of the user image with fresh frames; copy the image's
 * bytes [va, copy_end) from @src (where the kernel image holds them), so
 * that each process has its own. */
static void map_image(uint32_t *pgdir, uint32_t va, uint32_t end,
		      uint32_t copy_end, const uint8_t *src, uint32_t flags)
{
	for (; va < end; va += PAGE_SIZE, src += PAGE_SIZE) {
		uint8_t *frame = page_alloc();

		if (va < copy_end)
			memcpy(frame, src, copy_end - va < PAGE_SIZE ? copy_end - va : PAGE_SIZE);
		vm_map(pgdir, va, (uint32_t)(uintptr_t)frame, flags | PTE_U);
	}
}

void proc_create(const char *name, int (*main)(void))
{
	if (nproc == NPROC)
		panic("too many processes");
	struct proc *p = &procs[nproc];
	uint32_t text_end = (uint32_t)(uintptr_t)_user_text_end;
	uint32_t data = (uint32_t)(uintptr_t)_user_data_start;
	uint32_t data_end = (uint32_t)(uintptr_t)_user_data_end;

	p->pid = ++nproc;
	p->name = name;
	p->pgdir = vm_new_pgdir();
	map_image(p->pgdir, USER_BASE, PGROUNDUP(text_end), text_end,
		  (const uint8_t *)_user_lma, 0);
	map_image(p->pgdir, data, PGROUNDUP(_user_end), data_end,
		  (const uint8_t *)_user_data_lma, PTE_W);
	map_image(p->pgdir, USER_TOP - USTACK_PAGES * PAGE_SIZE, USER_TOP, 0,
		  NULL, PTE_W);

	/* Its kernel stack, with a trap frame that "returns" to ring 3 at
	 * u_start(main): the user stack holds a fake return address and the
	 * argument. */
	uint8_t *kstack = page_alloc();
	p->kstack_top = (uint32_t)(uintptr_t)kstack + PAGE_SIZE;
	struct trapframe *tf = (struct trapframe *)(p->kstack_top - sizeof *tf);
	uint32_t *ustack = (uint32_t *)(uintptr_t)PTE_ADDR(*vm_walk(p->pgdir, USER_TOP - PAGE_SIZE));

	ustack[1023] = (uint32_t)(uintptr_t)main;
	ustack[1022] = 0;
	tf->cs = SEL_UCODE;
	tf->ds = tf->es = tf->ss = SEL_UDATA;
	tf->fs = tf->gs = SEL_UDATA;
	tf->eip = (uint32_t)(uintptr_t)u_start;
	tf->esp = USER_TOP - 8;
	tf->eflags = EFLAGS_IF | EFLAGS_RSVD;
	p->tf = tf;
	p->state = P_RUNNABLE;
}

/* Pick the next process for CPU @c (big lock held): round robin over the
 * table, the current process last; the idle loop if none is runnable. */
struct trapframe *schedule(struct cpu *c)
{
	struct proc *cur = c->cur, *next = NULL;

	if (cur != &c->idle && cur->state == P_RUNNING)
		cur->state = P_RUNNABLE;
	for (int i = 1; i <= nproc; i++) {
		struct proc *p = &procs[(rr + i) % nproc];

		if (p->state == P_RUNNABLE && (!next || p != cur)) {
			next = p;
			if (p != cur)
				break;
		}
	}
	if (!next) {
		c->cur = &c->idle;
		return c->idle.tf;
	}
	rr = (int)(next - procs);
	next->state = P_RUNNING;
	if (next != cur) {
		/* a different address space: load its page directory */
		write_cr3((uint32_t)(uintptr_t)next->pgdir);
		c->switches++;
	}
	c->cur = next;
	tss_set_esp0(c->id, next->kstack_top);   /* its kernel stack for traps */
	return next->tf;
}

void proc_exit(struct proc *p, int status)
{
	p->exit_status = status;
	p->state = P_EXITED;
	nexited++;
}

int procs_all_exited(void)
{
	return nproc && nexited == nproc;
}

/* ---- system calls ---- */

/* Is [va, va+len) user memory the process may read (or write)?  Every
 * page must be mapped in its page table with U (and W). */
static int user_ok(struct proc *p, uint32_t va, uint32_t len, int write)
{
	if (va < USER_BASE || va >= USER_TOP || len > USER_TOP - va)
		return 0;
	for (uint32_t a = va & ~(PAGE_SIZE - 1); a < va + len; a += PAGE_SIZE) {
		uint32_t pte = *vm_walk(p->pgdir, a);
		uint32_t need = PTE_P | PTE_U | (write ? PTE_W : 0);

		if ((pte & need) != need)
			return 0;
	}
	return 1;
}

static int user_str_ok(struct proc *p, uint32_t va, uint32_t max)
{
	for (uint32_t i = 0; i < max; i++) {
		if (!user_ok(p, va + i, 1, 0))
			return 0;
		if (*(const char *)(uintptr_t)(va + i) == '\0')
			return 1;
	}
	return 0;
}

static int sys_write(struct proc *p, uint32_t buf, uint32_t len)
{
	if (!user_ok(p, buf, len, 0))
		return -1;
	for (uint32_t i = 0; i < len && p->outlen < OUTBUF; i++)
		p->out[p->outlen++] = ((const char *)(uintptr_t)buf)[i];
	return (int)len;
}

static int sys_readfile(struct proc *p, uint32_t name, uint32_t buf, uint32_t max)
{
	if (!user_str_ok(p, name, 32) || !user_ok(p, buf, max, 1))
		return -1;
	return fs_read((const char *)(uintptr_t)name, (void *)(uintptr_t)buf, max);
}

int sched_coop;

void syscall(struct proc *p, struct trapframe *tf)
{
	int ret = -1;

	switch (tf->eax) {
	case SYS_exit:     proc_exit(p, (int)tf->ebx); return;
	case SYS_write:    ret = sys_write(p, tf->ebx, tf->ecx); break;
	case SYS_getpid:   ret = p->pid; break;
	case SYS_yield:    p->state = P_RUNNABLE; ret = 0; break;
	case SYS_readfile: ret = sys_readfile(p, tf->ebx, tf->ecx, tf->edx); break;
	case SYS_uticks:   ret = sched_coop ? -1 : (int)p->uticks; break;  /* -1: no timer */
	}
	tf->eax = (uint32_t)ret;
}
