/* main.c - the vmscope teaching kernel: boot, the tour, the report.
 *
 * kmain() runs on the bootstrap processor (BSP) after boot.S and entry.S:
 *   1. console (COM1 + VGA), GDT + TSS, IDT;
 *   2. paging: the kernel's page directory, identity map of 0-4 MiB;
 *   3. the MP table: CPUs, local and I/O APIC; the 8259s masked, the
 *      local APIC enabled, every I/O APIC entry masked;
 *   4. disks (ATA PIO): IDENTIFY both, mount KFS on disk 1, read a file;
 *   5. the keyboard controller; IRQ 1 routed through the I/O APIC;
 *   6. four user processes, each with its own page directory;
 *   7. the second CPU, started with INIT/SIPI;
 *   8. the local APIC timer on both CPUs: preemptive round robin.
 * When every process has exited, the BSP prints what each one wrote, in
 * pid order, and the facts that do not depend on timing (counts are given
 * as "at least"), then ends the machine through port 0xF4.
 */
#include "kernel.h"

#define PIC1_DATA_PORT 0x21
#define PIC2_DATA_PORT 0xA1
#define MIN_TICKS      3        /* each process waits for this many */
#define MOTD_MAX       1024

static char motd[MOTD_MAX + 1];
static int bsp;                 /* cpus[] index of the bootstrap CPU */

static int starts_with(const char *s, int n, const char *prefix)
{
	int i = 0;

	while (prefix[i] && i < n && s[i] == prefix[i])
		i++;
	return prefix[i] == '\0';
}

static void disks(void)
{
	for (int d = 0; d < 2; d++) {
		uint32_t n;

		if (ata_identify(d, &n) < 0)
			panic("ata%d: no drive", d);
		kprintf("ata%d: %s, %u sectors (%u KiB)\n", d,
			d ? "primary slave" : "primary master", n, n / 2);
	}
	if (fs_mount(1) < 0)
		panic("disk 1 holds no KFS file system");
	fs_list();
	int n = fs_read("motd.txt", motd, MOTD_MAX);
	if (n < 0)
		panic("cannot read motd.txt");
	motd[n] = '\0';
	kprintf("fs: motd.txt (%d bytes, checksum ok):\n%s", n, motd);
	/* The one boot option: sched.cfg on disk 1 (absent: preemptive). */
	char cfg[32];
	n = fs_read("sched.cfg", cfg, sizeof(cfg) - 1);
	if (n >= 0 && starts_with(cfg, n, "cooperative")) {
		sched_coop = 1;
		kprintf("fs: sched.cfg: cooperative (no timer; processes run until they yield)\n");
	}
}

static void processes(void)
{
	proc_create("primes", prog_primes);
	proc_create("wc", prog_wc);
	proc_create("collatz", prog_collatz);
	proc_create("bad", prog_bad);
	for (int i = 0; i < NPROC && procs[i].pid; i++)
		kprintf("proc: pid %d %-8s page directory at 0x%x\n", procs[i].pid,
			procs[i].name, (uint32_t)(uintptr_t)procs[i].pgdir);
}

static void start_aps(void)
{
	for (int i = 0; i < ncpu; i++) {
		if (i == bsp)
			continue;
		if (smp_start_ap(&cpus[i]) < 0)
			panic("cpu%d (local APIC id %u) did not start", i, cpus[i].apic_id);
		kprintf("smp: cpu%d (local APIC id %u) started through INIT/SIPI\n",
			i, cpus[i].apic_id);
	}
}

/* Both CPUs end up here: the idle loop, with the timer running. */
static void __attribute__((noreturn)) run(struct cpu *c)
{
	c->cur = &c->idle;
	c->idle.state = P_RUNNING;
	c->idle.name = "idle";
	if (!sched_coop)
		lapic_timer_start();
	idle_loop();
}

void kmain(void)
{
	cons_init();
	kprintf("kernel: vmscope teaching kernel, 32-bit protected mode\n");
	gdt_init(0);
	idt_init();
	vm_init();
	vm_enable_paging();
	kprintf("paging: on, kernel page directory at 0x%x, 0-4 MiB identity mapped\n",
		(uint32_t)(uintptr_t)kpgdir);

	outb(PIC1_DATA_PORT, 0xFF);       /* the 8259s: masked, not used */
	outb(PIC2_DATA_PORT, 0xFF);
	if (mp_init() < 0)
		panic("no usable MP configuration table");
	vm_enable_paging();               /* flush: the APIC pages are mapped now */
	lapic_init();
	uint8_t id = lapic_id();
	for (int i = 0; i < ncpu; i++)
		if (cpus[i].apic_id == id)
			bsp = i;
	cpus[bsp].started = 1;
	kprintf("lapic: BSP is cpu%d (local APIC id %u)\n", bsp, id);
	ioapic_init();

	disks();
	kbd_init();
	ioapic_route(1, VEC_KBD, id);
	processes();
	start_aps();
	if (sched_coop)
		kprintf("sched: cooperative round robin, no timer\n");
	else
		kprintf("sched: local APIC timer at 1000 Hz on every CPU, round robin\n");
	run(&cpus[bsp]);
}

/* entry.S jumps here on an application processor, paging already on. */
void ap_main(void);
void ap_main(void)
{
	struct cpu *c = mycpu();

	gdt_init(c->id);
	idt_load();
	lapic_init();
	c->started = 1;
	run(c);
}

/* ---- the report ---- */

static void report_proc(struct proc *p)
{
	kprintf("pid %d %s: ", p->pid, p->name);
	if (p->killed)
		kprintf("killed by %s, error 0x%x, cr2=0x%x, eip=0x%x\n",
			trap_name(p->fault_trap), p->fault_err, p->fault_cr2,
			p->fault_eip);
	else if (sched_coop)
		kprintf("exit %d, no timer (cooperative)\n", p->exit_status);
	else
		kprintf("exit %d, %s%u timer interrupts in ring 3\n",
			p->exit_status, p->uticks >= MIN_TICKS ? "at least " : "only ",
			p->uticks >= MIN_TICKS ? MIN_TICKS : p->uticks);
	for (uint32_t i = 0; i < p->outlen; i++) {
		if (i == 0 || p->out[i - 1] == '\n')
			kprintf("  | ");
		cons_putc(p->out[i]);
	}
}

static void report(void)
{
	/* Wait until every CPU has taken a few timer interrupts: proof that
	 * each local APIC timer runs (the count itself is timing). */
	for (int i = 0; i < ncpu && !sched_coop; i++)
		while (cpus[i].ticks < MIN_TICKS)
			__asm__ volatile("sti; hlt; cli");
	int n = 0;
	while (n < NPROC && procs[n].pid)
		n++;
	kprintf("report: all %d processes exited\n", n);
	for (int i = 0; i < NPROC && procs[i].pid; i++)
		report_proc(&procs[i]);
	uint32_t switches = 0;
	for (int i = 0; i < ncpu; i++) {
		if (sched_coop)
			kprintf("cpu%d: timer off (cooperative)\n", i);
		else
			kprintf("cpu%d: at least %u timer interrupts\n", i, MIN_TICKS);
		switches += cpus[i].switches;
	}
	kprintf("sched: at least %u process switches (each loads CR3)\n",
		switches >= 4 ? 4u : switches);
	kprintf("kbd: %u key(s) typed\n", kbd_keys_seen());
	kprintf("kernel: done\n");
	debug_exit(EXIT_OK);
}

/* Called by the idle loop (entry.S) with interrupts off, lock not held.
 * Cooperative: no timer will wake the HLT there, so stay here and ask
 * the scheduler with int 0x22 until every process has exited; a process
 * that yields or ends comes back to this loop. */
void idle_check(void);
void idle_check(void)
{
	do {
		if (mycpu()->id == bsp && procs_all_exited())
			report();
		if (sched_coop)
			__asm__ volatile("int %0" : : "i"(VEC_RESCHED) : "memory");
	} while (sched_coop);
}
