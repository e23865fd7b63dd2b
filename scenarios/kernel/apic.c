/* apic.c - the MP configuration table, local APICs, the I/O APIC, and
 * starting the application processors.
 *
 * References: Intel MultiProcessor Specification 1.4 (MP floating pointer
 * 4.1, configuration table 4.2-4.3, AP start-up B.4); Intel SDM Vol. 3A
 * ch. 10 (local APIC: registers table 10-1, timer 10.5.4, ICR 10.6.1,
 * INIT/SIPI 8.4.4); 82093AA I/O APIC datasheet (IOREGSEL/IOWIN, version
 * register, redirection table).
 */
#include "kernel.h"

struct cpu cpus[MAXCPU];
int ncpu;

static volatile uint32_t *lapic;            /* its MMIO page */
static volatile uint32_t *ioapic;
static uint32_t lapic_phys, ioapic_phys;
static int ioapic_found;

/* ---- MP tables ---- */
struct mp_float {                /* "_MP_" floating pointer, 16 bytes */
	char sig[4];
	uint32_t config;             /* physical address of the config table */
	uint8_t length;              /* in 16-byte units: 1 */
	uint8_t spec_rev;            /* 1 = 1.1, 4 = 1.4 */
	uint8_t checksum;            /* all bytes sum to 0 */
	uint8_t feature[5];          /* feature[0] != 0: a default config, no table */
} __attribute__((packed));

struct mp_config {               /* "PCMP" header, 44 bytes */
	char sig[4];
	uint16_t length;             /* base table, header included */
	uint8_t spec_rev, checksum;
	char oem[8], product[12];
	uint32_t oem_table;
	uint16_t oem_size, entries;
	uint32_t lapic;              /* physical address of the local APICs */
	uint16_t ext_length;
	uint8_t ext_checksum, reserved;
} __attribute__((packed));

enum { MP_PROC = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINT = 3, MP_LINT = 4 };
#define MP_PROC_EN   0x01        /* processor entry: usable */
#define MP_PROC_BP   0x02        /* processor entry: the bootstrap processor */

struct mp_proc {                 /* entry type 0, 20 bytes */
	uint8_t type, apic_id, apic_ver, flags;
	uint32_t signature, features, reserved[2];
} __attribute__((packed));

struct mp_ioapic {               /* entry type 2, 8 bytes */
	uint8_t type, id, version, flags;
	uint32_t addr;
} __attribute__((packed));

static uint8_t sum_bytes(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static struct mp_float *mp_scan(uint32_t base, uint32_t len)
{
	for (uint32_t a = base; a + 16 <= base + len; a += 16) {
		struct mp_float *f = (struct mp_float *)(uintptr_t)a;

		if (f->sig[0] == '_' && f->sig[1] == 'M' && f->sig[2] == 'P' &&
		    f->sig[3] == '_' && sum_bytes(f, 16) == 0)
			return f;
	}
	return NULL;
}

/* MP spec 4: the first KiB of the EBDA (segment at 0x40E), the last KiB
 * of base memory (KiB count at 0x413), then the BIOS ROM 0xF0000-0xFFFFF. */
static struct mp_float *mp_find(void)
{
	uint32_t ebda = (uint32_t)*(volatile uint16_t *)phys(0x40E) << 4;
	uint32_t basemem = (uint32_t)*(volatile uint16_t *)phys(0x413) * 1024;
	struct mp_float *f = NULL;

	if (ebda)
		f = mp_scan(ebda, 1024);
	if (!f && basemem >= 1024)
		f = mp_scan(basemem - 1024, 1024);
	if (!f)
		f = mp_scan(0xF0000, 0x10000);
	return f;
}

static void mp_entries(struct mp_config *c)
{
	uint8_t *e = (uint8_t *)(c + 1), *end = (uint8_t *)c + c->length;

	for (int i = 0; i < c->entries && e < end; i++) {
		if (*e == MP_PROC) {
			struct mp_proc *p = (struct mp_proc *)e;

			if (ncpu < MAXCPU) {
				cpus[ncpu].id = ncpu;
				cpus[ncpu].apic_id = p->apic_id;
				ncpu++;
			}
			e += sizeof(struct mp_proc);
		} else if (*e == MP_IOAPIC) {
			struct mp_ioapic *io = (struct mp_ioapic *)e;

			if (!ioapic_found) {
				ioapic_phys = io->addr;
				ioapic_found = 1;
			}
			e += sizeof(struct mp_ioapic);
		} else {
			e += 8;                  /* bus, interrupt entries: 8 bytes */
		}
	}
}

/* Find the processors and APICs; map the APIC pages uncached. */
int mp_init(void)
{
	struct mp_float *f = mp_find();

	if (!f || !f->config || f->feature[0])
		return -1;
	struct mp_config *c = (struct mp_config *)(uintptr_t)f->config;
	if (c->sig[0] != 'P' || c->sig[1] != 'C' || c->sig[2] != 'M' ||
	    c->sig[3] != 'P' || sum_bytes(c, c->length) != 0)
		return -1;
	lapic_phys = c->lapic;
	mp_entries(c);
	kprintf("mp: MP spec 1.%u table, %d processor(s), local APIC at 0x%x, I/O APIC at 0x%x\n",
		f->spec_rev, ncpu, lapic_phys, ioapic_phys);
	vm_map(kpgdir, lapic_phys, lapic_phys, PTE_W | PTE_PCD | PTE_PWT);
	lapic = (volatile uint32_t *)(uintptr_t)lapic_phys;
	if (ioapic_found) {
		vm_map(kpgdir, ioapic_phys, ioapic_phys, PTE_W | PTE_PCD | PTE_PWT);
		ioapic = (volatile uint32_t *)(uintptr_t)ioapic_phys;
	}
	return ncpu ? 0 : -1;
}

/* ---- local APIC (SDM Vol. 3A table 10-1: register offsets) ---- */
#define LAPIC_ID       0x020     /* bits 31-24: APIC ID */
#define LAPIC_VER      0x030
#define LAPIC_TPR      0x080     /* task priority */
#define LAPIC_EOI      0x0B0
#define LAPIC_SVR      0x0F0     /* spurious vector; bit 8 = APIC enable */
#define LAPIC_ESR      0x280     /* error status */
#define LAPIC_ICRLO    0x300     /* interrupt command, low: writing sends */
#define LAPIC_ICRHI    0x310     /* bits 31-24: destination APIC ID */
#define LAPIC_TIMER    0x320     /* LVT timer */
#define LAPIC_LINT0    0x350
#define LAPIC_LINT1    0x360
#define LAPIC_ERROR    0x370     /* LVT error */
#define LAPIC_TICR     0x380     /* timer initial count */
#define LAPIC_TCCR     0x390     /* timer current count */
#define LAPIC_TDCR     0x3E0     /* timer divide configuration */

#define SVR_ENABLE     0x100
#define LVT_MASKED     0x10000
#define LVT_PERIODIC   0x20000   /* timer mode bits 18-17: 01 = periodic */
#define TDCR_DIV1      0x0B      /* divide by 1 (bits 3,1,0 = 1,1,1) */
#define ICR_INIT       0x00500   /* delivery mode 101 */
#define ICR_STARTUP    0x00600   /* delivery mode 110 */
#define ICR_PENDING    0x01000   /* delivery status: send pending */
#define ICR_ASSERT     0x04000   /* level: assert */
#define ICR_LEVEL      0x08000   /* trigger mode: level */

/* The timer counts the 1 GHz bus clock (QEMU's and vmscope's documented
 * rate) divided by TDCR: 1,000,000 counts = 1 ms. */
#define BUS_HZ         1000000000u
#define TIMER_HZ       1000u

static uint32_t lapic_rd(uint32_t reg) { return lapic[reg / 4]; }

static void lapic_wr(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
	(void)lapic[LAPIC_ID / 4];   /* read back: wait for the write */
}

uint8_t lapic_id(void)
{
	return (uint8_t)(lapic_rd(LAPIC_ID) >> 24);
}

struct cpu *mycpu(void)
{
	uint8_t id = lapic_id();

	for (int i = 0; i < ncpu; i++)
		if (cpus[i].apic_id == id)
			return &cpus[i];
	panic("unknown local APIC id %u", id);
}

/* Enable this CPU's local APIC: spurious vector, no task priority, the
 * LINT pins masked (interrupts come through the I/O APIC), errors cleared. */
void lapic_init(void)
{
	lapic_wr(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	lapic_wr(LAPIC_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_wr(LAPIC_LINT0, LVT_MASKED);
	lapic_wr(LAPIC_LINT1, LVT_MASKED);
	lapic_wr(LAPIC_ERROR, LVT_MASKED | 0xFE);
	lapic_wr(LAPIC_ESR, 0);              /* back-to-back writes clear ESR */
	lapic_wr(LAPIC_ESR, 0);
	lapic_wr(LAPIC_EOI, 0);              /* a stale in-service bit, if any */
	lapic_wr(LAPIC_TPR, 0);
}

/* Periodic timer at TIMER_HZ: the preemption clock. */
void lapic_timer_start(void)
{
	lapic_wr(LAPIC_TDCR, TDCR_DIV1);
	lapic_wr(LAPIC_TIMER, LVT_PERIODIC | VEC_TIMER);
	lapic_wr(LAPIC_TICR, BUS_HZ / TIMER_HZ);
}

void lapic_eoi(void)
{
	lapic_wr(LAPIC_EOI, 0);
}

/* Busy-wait @us microseconds on the timer's current count (one-shot,
 * masked).  Used only before the timer is started periodic. */
void lapic_delay_us(uint32_t us)
{
	lapic_wr(LAPIC_TDCR, TDCR_DIV1);
	lapic_wr(LAPIC_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_wr(LAPIC_TICR, us * (BUS_HZ / 1000000u));
	/* Read the count only every 256 PAUSEs: each read is an MMIO access
	 * (a vmscope event), and a 10 ms wait must not be millions of them. */
	while (lapic_rd(LAPIC_TCCR) != 0)
		for (int i = 0; i < 256; i++)
			cpu_relax();
}

static void lapic_ipi(uint8_t apic_id, uint32_t icrlo)
{
	lapic_wr(LAPIC_ICRHI, (uint32_t)apic_id << 24);
	lapic_wr(LAPIC_ICRLO, icrlo);
	while (lapic_rd(LAPIC_ICRLO) & ICR_PENDING)
		cpu_relax();
}

/* ---- I/O APIC: two registers, an index and a window ---- */
#define IOREGSEL       0x00
#define IOWIN          0x10
#define IOAPIC_VER     0x01      /* bits 23-16: highest redirection entry */
#define IOAPIC_REDTBL  0x10      /* entry n: registers 0x10+2n (low), +1 (high) */
#define RTE_MASKED     0x10000

static uint32_t ioapic_rd(uint32_t reg)
{
	ioapic[IOREGSEL / 4] = reg;
	return ioapic[IOWIN / 4];
}

static void ioapic_wr(uint32_t reg, uint32_t v)
{
	ioapic[IOREGSEL / 4] = reg;
	ioapic[IOWIN / 4] = v;
}

/* Mask every redirection entry; devices are routed one by one. */
void ioapic_init(void)
{
	if (!ioapic)
		panic("no I/O APIC in the MP table");
	uint32_t n = ((ioapic_rd(IOAPIC_VER) >> 16) & 0xFF) + 1;

	for (uint32_t i = 0; i < n; i++) {
		ioapic_wr(IOAPIC_REDTBL + 2 * i, RTE_MASKED);
		ioapic_wr(IOAPIC_REDTBL + 2 * i + 1, 0);
	}
	kprintf("ioapic: %u redirection entries, all masked\n", n);
}

/* ISA IRQ @irq (edge, active high) -> @vector on the CPU with @apic_id,
 * fixed delivery, physical destination.  ISA IRQ 1 is I/O APIC pin 1. */
void ioapic_route(int irq, int vector, uint8_t apic_id)
{
	ioapic_wr(IOAPIC_REDTBL + 2 * irq + 1, (uint32_t)apic_id << 24);
	ioapic_wr(IOAPIC_REDTBL + 2 * irq, (uint32_t)vector);
}

/* ---- starting an AP (MP spec B.4, SDM 8.4.4.1) ---- */
#define CMOS_INDEX       0x70
#define CMOS_DATA        0x71
#define CMOS_SHUTDOWN    0x0F    /* shutdown status byte */
#define SHUTDOWN_WARM    0x0A    /* "jump through 40:67" after INIT */
#define WARM_RESET_VEC   0x467   /* offset, then segment */

int smp_start_ap(struct cpu *c)
{
	/* The warm-reset vector and CMOS shutdown code, for a CPU that
	 * takes the INIT through the BIOS (MP spec B.4). */
	outb(CMOS_INDEX, CMOS_SHUTDOWN);
	outb(CMOS_DATA, SHUTDOWN_WARM);
	volatile uint16_t *wrv = phys(WARM_RESET_VEC);
	wrv[0] = 0;
	wrv[1] = AP_TRAMPOLINE >> 4;

	memcpy((void *)AP_TRAMPOLINE, ap_trampoline,
	       (size_t)(ap_trampoline_end - ap_trampoline));
	ap_stack = (uint32_t)(uintptr_t)page_alloc() + PAGE_SIZE;
	c->stack_top = ap_stack;
	ap_pgdir = (uint32_t)(uintptr_t)kpgdir;

	/* INIT (assert, then de-assert), wait 10 ms, then STARTUP twice,
	 * 200 us apart.  The STARTUP vector is the page number. */
	lapic_ipi(c->apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	lapic_ipi(c->apic_id, ICR_INIT | ICR_LEVEL);
	lapic_delay_us(10000);
	for (int i = 0; i < 2 && !c->started; i++) {
		lapic_ipi(c->apic_id, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
		lapic_delay_us(200);
	}
	/* Wait for it up to one second (of the timer's clock). */
	for (int ms = 0; ms < 1000 && !c->started; ms++)
		lapic_delay_us(1000);

	outb(CMOS_INDEX, CMOS_SHUTDOWN);     /* back to a normal reset */
	outb(CMOS_DATA, 0);
	return c->started ? 0 : -1;
}
