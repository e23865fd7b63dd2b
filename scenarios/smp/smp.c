/* smp.c - the `smp` guest: find the processors in the MP table (Intel
 * MultiProcessor Specification 1.4), start every application processor
 * with INIT/STARTUP/STARTUP (as xv6 does, with no delays), exchange IPIs,
 * tick the local APIC timer in periodic and one-shot mode, and route the
 * PIT through the I/O APIC to an AP.
 *
 * Every line is printed while the other CPUs wait on a flag, so the output
 * does not depend on timing: it is the same under QEMU (-smp 2) and
 * vmscope (--cpus 2).  Nothing printed depends on the firmware beyond what
 * both describe identically (CPU count, APIC IDs, addresses, IRQ0 -> pin 2).
 */
#include <stdint.h>

#include "hw.h"

/* ---- local APIC (Intel SDM Vol. 3A, Table 10-1) ---- */
#define LAPIC_ID     0x020
#define LAPIC_VER    0x030
#define LAPIC_TPR    0x080
#define LAPIC_EOI    0x0B0
#define LAPIC_SVR    0x0F0
#define LAPIC_ESR    0x280
#define LAPIC_ICRLO  0x300
#define LAPIC_ICRHI  0x310
#define LAPIC_TIMER  0x320
#define LAPIC_LINT0  0x350
#define LAPIC_LINT1  0x360
#define LAPIC_ERROR  0x370
#define LAPIC_TICR   0x380
#define LAPIC_TCCR   0x390
#define LAPIC_TDCR   0x3E0
#define SVR_ENABLE   0x100
#define LVT_MASKED   0x10000
#define LVT_PERIODIC 0x20000
#define ICR_INIT     0x500
#define ICR_STARTUP  0x600
#define ICR_LEVEL    0x8000
#define ICR_ASSERT   0x4000
#define ICR_BUSY     0x1000
#define ICR_ALL_BUT_SELF 0xC0000
#define ICR_ALL      0x80000
#define ICR_SELF     0x40000
#define ICR_NMI      0x400		/* delivery mode NMI: the vector is ignored */
#define TDCR_DIV1    0xB
#define TDCR_DIV16   0x3

/* ---- I/O APIC (82093AA datasheet, section 3) ---- */
#define IOAPIC_VER   0x01
#define IOAPIC_REDIR 0x10
#define REDIR_MASKED 0x10000

/* ---- vectors ---- */
#define V_TIMER      0x30		/* priority class 3: a TPR of 0x30 blocks it alone */
#define V_IPI        0x41
#define V_IPI_ALL    0x42
#define V_PIT        0x43
#define V_SPURIOUS   0xFF

#define AP_START     0x8000
#define MAX_CPUS     16
#define TICKS        5

static volatile uint32_t *lapic = (volatile uint32_t *)0xFEE00000;
static volatile uint32_t *ioapic = (volatile uint32_t *)0xFEC00000;

static uint32_t lapic_r(unsigned reg) { return lapic[reg / 4]; }
static void lapic_w(unsigned reg, uint32_t v)
{
	lapic[reg / 4] = v;
	(void)lapic[LAPIC_ID / 4];		/* wait for the write (xv6) */
}
static uint32_t my_id(void) { return lapic_r(LAPIC_ID) >> 24; }

static uint32_t ioapic_r(unsigned reg) { ioapic[0] = reg; return ioapic[4]; }
static void ioapic_w(unsigned reg, uint32_t v) { ioapic[0] = reg; ioapic[4] = v; }

/* ---- the MP table ---- */
struct mp_float {		/* spec 4.1 */
	char sig[4];
	uint32_t conf;
	uint8_t len, rev, sum, feature[5];
} __attribute__((packed));

struct mp_conf {		/* spec 4.2 */
	char sig[4];
	uint16_t len;
	uint8_t rev, sum;
	char oem[8], product[12];
	uint32_t oemtab;
	uint16_t oemlen, count;
	uint32_t lapic;
	uint16_t xlen;
	uint8_t xsum, reserved;
} __attribute__((packed));

static struct {
	unsigned ncpu;
	uint8_t apic_id[MAX_CPUS];
	int bsp;
	uint32_t lapic_addr, ioapic_addr;
	int ioapic_id;
	int isa_bus;
	int irq_pin[16];
} mp;

/* A pointer to physical address @a that the compiler cannot see through
 * (GCC warns about array bounds for small constant addresses). */
static void *phys(uint32_t a)
{
	void *p;
	__asm__("" : "=r"(p) : "0"(a));
	return p;
}

static uint8_t sum(const uint8_t *p, unsigned n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

static struct mp_float *mp_scan(uint32_t a, uint32_t len)
{
	for (uint32_t p = a; p + 16 <= a + len; p += 16) {
		const char *s = (const char *)p;
		if (s[0] == '_' && s[1] == 'M' && s[2] == 'P' && s[3] == '_' &&
		    sum((const uint8_t *)p, 16) == 0)
			return (struct mp_float *)p;
	}
	return 0;
}

/* Where kernels look (spec 4): the EBDA's first KiB, the last KiB of base
 * memory, the BIOS ROM 0xF0000-0xFFFFF. */
static struct mp_float *mp_find(void)
{
	const volatile uint8_t *bda = phys(0x400);
	uint32_t ebda = (uint32_t)(bda[0x0F] << 8 | bda[0x0E]) << 4;
	uint32_t base = (uint32_t)(bda[0x14] << 8 | bda[0x13]) * 1024;
	struct mp_float *f = 0;

	if (ebda)
		f = mp_scan(ebda, 1024);
	if (!f && base >= 1024)
		f = mp_scan(base - 1024, 1024);
	return f ? f : mp_scan(0xF0000, 0x10000);
}

static void mp_entry_bus(const uint8_t *e)
{
	const char isa[6] = { 'I', 'S', 'A', ' ', ' ', ' ' };
	for (int i = 0; i < 6; i++)
		if (e[2 + i] != isa[i])
			return;
	mp.isa_bus = e[1];
}

static int mp_parse(void)
{
	struct mp_float *f = mp_find();
	if (!f || !f->conf)
		return -1;
	struct mp_conf *c = (struct mp_conf *)f->conf;
	if (c->sig[0] != 'P' || c->sig[1] != 'C' || c->sig[2] != 'M' || c->sig[3] != 'P' ||
	    sum((const uint8_t *)c, c->len) != 0)
		return -1;
	kprintf("mp: floating pointer and table found, spec 1.%u\n", c->rev);
	mp.lapic_addr = c->lapic;
	mp.isa_bus = -1;
	mp.ioapic_id = -1;
	for (int i = 0; i < 16; i++)
		mp.irq_pin[i] = -1;
	/* two passes: the bus entries name the ISA bus, then the IRQs on it */
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *e = (const uint8_t *)(c + 1);
		for (unsigned n = 0; n < c->count; n++) {
			switch (e[0]) {
			case 0:	/* processor */
				if (pass == 0 && mp.ncpu < MAX_CPUS) {
					if (e[3] & 2)
						mp.bsp = (int)mp.ncpu;
					mp.apic_id[mp.ncpu++] = e[1];
				}
				e += 20;
				continue;
			case 1:	if (pass == 0) mp_entry_bus(e); break;
			case 2:	if (pass == 0) { mp.ioapic_id = e[1]; mp.ioapic_addr = *(const uint32_t *)(e + 4); } break;
			case 3:	if (pass == 1 && e[4] == mp.isa_bus && e[5] < 16 && e[1] == 0)
					mp.irq_pin[e[5]] = e[7];
				break;
			case 4:	break;
			default: return -1;
			}
			e += 8;
		}
	}
	return 0;
}

/* ---- IDT ---- */
struct gate { uint16_t lo, sel; uint8_t zero, type; uint16_t hi; } __attribute__((packed));
static struct gate idt[256];
static struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idt_desc;

extern void isr_timer(void), isr_ipi(void), isr_ipi_all(void), isr_pit(void),
	isr_spurious(void), isr_other(void), isr_nmi(void);

static void set_gate(int v, void (*fn)(void))
{
	uint32_t a = (uint32_t)fn;
	idt[v] = (struct gate){ (uint16_t)a, 0x08, 0, 0x8E, (uint16_t)(a >> 16) };
}

static void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, isr_other);
	set_gate(V_TIMER, isr_timer);
	set_gate(V_IPI, isr_ipi);
	set_gate(V_IPI_ALL, isr_ipi_all);
	set_gate(V_PIT, isr_pit);
	set_gate(V_SPURIOUS, isr_spurious);
	set_gate(2, isr_nmi);
	idt_desc.limit = sizeof(idt) - 1;
	idt_desc.base = (uint32_t)idt;
}

static void idt_load(void) { __asm__ volatile("lidt %0" : : "m"(idt_desc)); }

/* ---- shared state (one writer at a time, by protocol) ---- */
static volatile unsigned ticks[MAX_CPUS], ipis[MAX_CPUS], ipis_all[MAX_CPUS], pit_ticks[MAX_CPUS];
static volatile unsigned stage;		/* advanced by the CPU whose turn it is */
volatile uint32_t ap_stack_top;
static uint8_t ap_stacks[MAX_CPUS][4096] __attribute__((aligned(16)));
static volatile int failed;
static volatile int sipi_done;		/* the boot CPU sent its last STARTUP */

static void cpu_relax(void) { __asm__ volatile("pause"); }
static void sti_hlt(void) { __asm__ volatile("sti; hlt; cli"); }
static void wait_stage(unsigned s) { while (stage != s) cpu_relax(); }

static void eoi(void) { lapic_w(LAPIC_EOI, 0); }
static unsigned idx(void) { return my_id() % MAX_CPUS; }

/* The periodic timer and the PIT are masked by the handler of the last
 * interrupt wanted, so no further one can arrive, however the CPUs are
 * scheduled (the I/O trace is then the same on every engine).  The task
 * priority is raised over the source's class as well: an interrupt
 * latched in the IRR before the mask (a vCPU that ran late) is never
 * delivered. */
void on_timer(void)
{
	unsigned i = idx();
	if (++ticks[i] == TICKS && (lapic_r(LAPIC_TIMER) & LVT_PERIODIC)) {
		lapic_w(LAPIC_TIMER, LVT_MASKED);
		lapic_w(LAPIC_TPR, V_TIMER);
	}
	eoi();
}
void on_ipi(void) { ipis[idx()]++; eoi(); }
void on_ipi_all(void) { ipis_all[idx()]++; eoi(); }
void on_pit(void)
{
	if (++pit_ticks[idx()] == 3) {	/* the boot CPU waits meanwhile */
		ioapic_w(IOAPIC_REDIR + 2 * mp.irq_pin[0], REDIR_MASKED | V_PIT);
		lapic_w(LAPIC_TPR, V_PIT);	/* this CPU takes no interrupt after */
	}
	eoi();
}
void on_spurious(void) { }		/* no EOI for the spurious vector */

void on_other(void)
{
	kprintf("cpu%u: unexpected interrupt\n", my_id());
	outb(DEBUG_EXIT_PORT, EXIT_FAIL);
}

/* Each CPU: software-enable its APIC, mask LINT0/LINT1, error vector. */
static void lapic_setup(void)
{
	lapic_w(LAPIC_SVR, SVR_ENABLE | V_SPURIOUS);
	lapic_w(LAPIC_LINT0, LVT_MASKED);
	lapic_w(LAPIC_LINT1, LVT_MASKED);
	lapic_w(LAPIC_ERROR, LVT_MASKED);
	lapic_w(LAPIC_ESR, 0);
	lapic_w(LAPIC_ESR, 0);
	lapic_w(LAPIC_TPR, 0);
	eoi();
}

static void send_ipi(uint32_t dest, uint32_t lo)
{
	lapic_w(LAPIC_ICRHI, dest << 24);
	lapic_w(LAPIC_ICRLO, lo);
	while (lapic_r(LAPIC_ICRLO) & ICR_BUSY)
		cpu_relax();
}

/* A fixed IPI after which this CPU touches no device until the target
 * answers through memory: every device access of the two CPUs then comes
 * in one order, however they are scheduled (the I/O trace is the same on
 * every engine). */
static void send_ipi_quiet(uint32_t dest, uint32_t lo)
{
	lapic_w(LAPIC_ICRHI, dest << 24);
	lapic[LAPIC_ICRLO / 4] = lo;
}

/* NMI (SDM Vol. 3A 6.7.1, 10.6.1): no EOI.  The boot CPU's first one sends
 * another to itself from inside the handler: NMIs are blocked until this
 * handler's IRET, so the count cannot move before it returns. */
static volatile unsigned nmis[MAX_CPUS], nmi_inner;
void on_nmi(void)
{
	unsigned i = idx();

	if (++nmis[i] == 1 && i == 0) {
		send_ipi_quiet(0, ICR_SELF | ICR_NMI);
		for (int k = 0; k < 100; k++)
			cpu_relax();
		nmi_inner = nmis[0];
	}
}

/* ---- application processors ---- */

static void ap_timer_periodic(unsigned me)
{
	lapic_w(LAPIC_TDCR, TDCR_DIV16);
	lapic_w(LAPIC_TIMER, LVT_PERIODIC | V_TIMER);
	/* 10 ms at 1 GHz / 16: ten scheduler quanta, so no second tick can
	 * be latched while this CPU waits for a slice between the last
	 * wanted tick and its handler's mask. */
	lapic_w(LAPIC_TICR, 625000);
	while (ticks[me] < TICKS)
		sti_hlt();
	lapic_w(LAPIC_TIMER, LVT_MASKED);
	kprintf("cpu%u: %u local APIC timer ticks (periodic)\n", me, TICKS);
}

/* Code one CPU writes and another runs (what exec does on an SMP kernel):
 * "mov $imm, %eax; ret" in a page of its own.  The AP runs it until it is
 * surely translated/cached, the boot CPU rewrites the immediate, the AP
 * must see the new code. */
static uint8_t code_page[4096] __attribute__((aligned(4096)));

static void write_code(uint32_t imm)
{
	static const uint8_t insn[6] = { 0xB8, 0, 0, 0, 0, 0xC3 };	/* mov imm32, %eax; ret */
	for (int i = 0; i < 6; i++)
		code_page[i] = insn[i];
	for (int i = 0; i < 4; i++)
		code_page[1 + i] = (uint8_t)(imm >> (8 * i));
}

static uint32_t call_code(void)
{
	uint32_t (*fn)(void) = (uint32_t (*)(void))(uintptr_t)code_page;
	uint32_t r = 0, a = 0, b, c = 0, d;

	/* SDM Vol. 3A 8.1.3: the executing CPU serializes (CPUID) after the
	 * writer's flag and before running cross-modified code. */
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
	for (int i = 0; i < 1000; i++)
		r = fn();
	return r;
}

static void ap_run_shared_code(unsigned me)
{
	wait_stage(8);
	kprintf("cpu%u: code written by cpu0 returns %u\n", me, call_code());
	stage = 9;
	wait_stage(10);
	kprintf("cpu%u: rewritten by cpu0, it returns %u\n", me, call_code());
	stage = 11;
}

static void bsp_shared_code(void)
{
	write_code(1);
	stage = 8;
	wait_stage(9);
	write_code(2);
	stage = 10;
	wait_stage(11);
}

void ap_main(void)
{
	while (!sipi_done)	/* no device access before the boot CPU's last STARTUP */
		cpu_relax();
	unsigned me = idx();

	idt_load();
	lapic_setup();
	kprintf("cpu%u: started in protected mode, lapic id %u\n", me, me);
	stage = 1;
	wait_stage(2);
	ap_timer_periodic(me);
	stage = 3;
	while (ipis[me] == 0)		/* the boot CPU sends a fixed IPI */
		sti_hlt();
	kprintf("cpu%u: IPI 0x%x received; sending 0x%x to all but self\n", me, V_IPI, V_IPI_ALL);
	send_ipi_quiet(0, ICR_ALL_BUT_SELF | V_IPI_ALL);
	stage = 5;
	wait_stage(6);
	while (pit_ticks[me] < 3)	/* PIT IRQ0 via the I/O APIC */
		sti_hlt();
	kprintf("cpu%u: 3 PIT interrupts through the I/O APIC\n", me);
	stage = 7;
	ap_run_shared_code(me);
	for (;;)			/* only an NMI can wake it now */
		__asm__ volatile("cli; hlt");
}

static void start_ap(unsigned i)
{
	unsigned id = mp.apic_id[i];

	stage = 0;
	ap_stack_top = (uint32_t)&ap_stacks[i][4096];
	kprintf("cpu%u: starting cpu%u: INIT, STARTUP, STARTUP\n", my_id(), id);
	/* warm-reset vector and CMOS shutdown code, as the MP spec B.4 asks */
	outb(0x70, 0x0F);
	outb(0x71, 0x0A);
	volatile uint16_t *warm = phys(0x467);
	warm[0] = 0;
	warm[1] = AP_START >> 4;
	sipi_done = 0;
	send_ipi(id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	send_ipi(id, ICR_INIT | ICR_LEVEL);	/* de-assert */
	for (int k = 0; k < 2; k++)		/* the second is ignored */
		send_ipi(id, ICR_STARTUP | (AP_START >> 12));
	sipi_done = 1;
	wait_stage(1);
	kprintf("cpu%u: cpu%u is up\n", my_id(), id);
	stage = 2;
	wait_stage(3);
	kprintf("cpu%u: fixed IPI 0x%x -> cpu%u\n", my_id(), V_IPI, id);
	send_ipi_quiet(id, V_IPI);
	wait_stage(5);
	while (ipis_all[idx()] == 0)
		sti_hlt();
	kprintf("cpu%u: IPI 0x%x received from cpu%u\n", my_id(), V_IPI_ALL, id);
}

/* PIT at 100 Hz -> ISA IRQ0 -> the I/O APIC pin the MP table names, fixed
 * to AP @id; masked again when the AP has seen three. */
static void pit_to_ap(unsigned id)
{
	int pin = mp.irq_pin[0];

	ioapic_w(IOAPIC_REDIR + 2 * pin + 1, id << 24);
	ioapic_w(IOAPIC_REDIR + 2 * pin, V_PIT);	/* edge, high, fixed */
	pit_init(100);
	stage = 6;
	wait_stage(7);
	kprintf("cpu%u: I/O APIC pin %d %s\n", my_id(), pin,
		(ioapic_r(IOAPIC_REDIR + 2 * pin) & REDIR_MASKED) ? "masked again" : "still unmasked");
}

static void bsp_timer_oneshot(unsigned me)
{
	lapic_w(LAPIC_TDCR, TDCR_DIV1);
	lapic_w(LAPIC_TIMER, V_TIMER);		/* one-shot */
	for (unsigned n = 0; n < TICKS; n++) {
		lapic_w(LAPIC_TICR, 500000);	/* 0.5 ms */
		while (ticks[me] <= n)
			sti_hlt();
	}
	uint32_t a = lapic_r(LAPIC_TCCR);
	kprintf("cpu%u: %u local APIC timer ticks (one-shot, re-armed), count now %u\n",
		me, TICKS, a);
}

/* A self NMI with interrupts off, then one to each application processor,
 * halted with interrupts off (only an NMI, INIT or SMI wakes it). */
static void bsp_nmi(unsigned me)
{
	__asm__ volatile("cli");
	send_ipi_quiet(0, ICR_SELF | ICR_NMI);
	while (nmis[me] < 2)
		cpu_relax();
	kprintf("cpu%u: self NMI taken with interrupts off; one sent from its handler waited "
		"for its IRET (%u NMIs, %u seen inside)\n", me, nmis[me], nmi_inner);
	for (unsigned i = 0; i < mp.ncpu; i++) {
		if ((int)i == mp.bsp)
			continue;
		unsigned id = mp.apic_id[i];
		send_ipi_quiet(id, ICR_NMI);
		while (nmis[id % MAX_CPUS] == 0)
			cpu_relax();
		kprintf("cpu%u: NMI -> cpu%u, halted with interrupts off: taken\n", me, id);
	}
}

static void print_mp(void)
{
	kprintf("mp: %u processors:", mp.ncpu);
	for (unsigned i = 0; i < mp.ncpu; i++)
		kprintf(" apic %u%s", mp.apic_id[i], (int)i == mp.bsp ? " (bsp)" : "");
	kprintf("\nmp: local apic at 0x%x, i/o apic %d at 0x%x\n", mp.lapic_addr,
		mp.ioapic_id, mp.ioapic_addr);
	kprintf("mp: isa irq 0 -> i/o apic pin %d, irq 1 -> %d, irq 4 -> %d, irq 14 -> %d\n",
		mp.irq_pin[0], mp.irq_pin[1], mp.irq_pin[4], mp.irq_pin[14]);
}

void bsp_main(void)
{
	uart_init();
	kprintf("smp: boot cpu up, looking for the MP table\n");
	if (mp_parse() < 0) {
		kprintf("smp: no valid MP table\n");
		outb(DEBUG_EXIT_PORT, EXIT_FAIL);
	}
	print_mp();
	outb(PIC1_DATA, 0xFF);			/* the 8259 pair is only masked */
	outb(PIC2_DATA, 0xFF);
	idt_init();
	idt_load();
	lapic_setup();
	unsigned me = my_id();
	uint32_t ver = lapic_r(LAPIC_VER);
	kprintf("cpu%u: lapic id %u, version 0x%x, %u LVT entries; i/o apic has %u pins\n",
		me, me, ver & 0xFF, ((ver >> 16) & 0xFF) + 1,
		((ioapic_r(IOAPIC_VER) >> 16) & 0xFF) + 1);
	send_ipi(0, ICR_ALL | ICR_INIT | ICR_LEVEL);	/* INIT de-assert: resets nothing */
	kprintf("cpu%u: broadcast INIT level de-assert sent, still running\n", me);
	/* the AP start-up code goes to AP_START */
	extern const uint8_t ap_tramp[], ap_tramp_end[];
	for (const uint8_t *s = ap_tramp; s < ap_tramp_end; s++)
		((volatile uint8_t *)phys(AP_START))[s - ap_tramp] = *s;
	unsigned started = 0, last = me;
	for (unsigned i = 0; i < mp.ncpu; i++) {
		if ((int)i == mp.bsp)
			continue;
		start_ap(i);
		pit_to_ap(mp.apic_id[i]);
		bsp_shared_code();
		started++;
		last = mp.apic_id[i];
	}
	(void)last;
	bsp_timer_oneshot(me);
	bsp_nmi(me);
	kprintf("smp: %u application processor%s started, done\n", started,
		started == 1 ? "" : "s");
	outb(DEBUG_EXIT_PORT, failed ? EXIT_FAIL : EXIT_OK);
}
