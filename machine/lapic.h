/* lapic.h - the local APIC of each vCPU (xAPIC mode) and the APIC bus
 * that carries interrupt messages between local APICs and I/O APICs.
 *
 * Built to the Intel SDM Vol. 3A chapter 10 "Advanced Programmable
 * Interrupt Controller (APIC)" (section numbers below are that chapter's):
 * the register page at 0xFEE00000 (Table 10-1), ID, version, TPR/PPR
 * (10.8.3.1), EOI, ISR/IRR/TMR (10.8.4), the spurious-interrupt vector
 * register with software enable (10.9), the LVT (10.5.1) with the timer
 * in one-shot and periodic mode and its divide configuration (10.5.4),
 * the error status register (10.5.3) and the ICR (10.6.1) with fixed,
 * lowest-priority, INIT and STARTUP messages, physical and logical (flat
 * and cluster) destinations and the shorthands.
 *
 * Choices where the SDM leaves room (as QEMU's hw/intc/apic.c does):
 *  - version register 0x00050014: APIC version 0x14, six LVT entries
 *    (timer, thermal, performance, LINT0, LINT1, error); no EOI-broadcast
 *    suppression, no TSC-deadline mode, no x2APIC;
 *  - the timer's input is a 1 GHz bus clock (LAPIC_BUS_HZ): with divide
 *    by 1 one count is one nanosecond of virtual time;
 *  - after reset the boot processor's LINT0 is 0x700 (ExtINT, unmasked):
 *    the "virtual wire" a PC BIOS leaves (MP spec 1.4, 3.6.2.2), so 8259
 *    interrupts reach the BSP until the guest masks LINT0; every other
 *    LVT entry is masked (10.4.7.1);
 *  - delivery is instantaneous: the ICR's delivery-status bit always
 *    reads 0 (idle);
 *  - registers are 32 bits on 16-byte boundaries; a narrower or unaligned
 *    read returns the bytes of the enclosing register, a write that is not
 *    a whole aligned register is ignored (SDM: "undefined"); reserved
 *    offsets read 0 and set ESR "illegal register address";
 *  - NMI, SMI and ExtINT messages through the ICR are recorded (event) and
 *    not delivered: the engines have no NMI/SMI path.
 *
 * A local APIC knows nothing of vCPUs or engines: it tells its APIC bus
 * (struct apic_bus) what happened through hooks (an interrupt became
 * pending, INIT, STARTUP, an EOI to broadcast), so it is unit-tested with
 * no VM at all.
 */
#ifndef VMS_LAPIC_H
#define VMS_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devctx.h"
#include "err.h"
#include "vclock.h"

#define LAPIC_MMIO_SIZE 0x1000u
#define LAPIC_VERSION   0x00050014u   /* max LVT entry 5, version 0x14 */
#define LAPIC_BUS_HZ    1000000000ull /* timer input clock (documented) */
#define APIC_BUS_MAX    16            /* local APICs on one bus (= VM_MAX_VCPUS) */

/* Register offsets (SDM Table 10-1). */
#define LAPIC_ID        0x020
#define LAPIC_VER       0x030
#define LAPIC_TPR       0x080
#define LAPIC_APR       0x090
#define LAPIC_PPR       0x0A0
#define LAPIC_EOI       0x0B0
#define LAPIC_RRD       0x0C0
#define LAPIC_LDR       0x0D0
#define LAPIC_DFR       0x0E0
#define LAPIC_SVR       0x0F0
#define LAPIC_ISR       0x100  /* 8 registers, 0x100-0x170 */
#define LAPIC_TMR       0x180  /* 0x180-0x1F0 */
#define LAPIC_IRR       0x200  /* 0x200-0x270 */
#define LAPIC_ESR       0x280
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define LAPIC_LVT_BASE  0x320  /* timer; + 0x10 per entry (enum lapic_lvt) */
#define LAPIC_TIMER_ICR 0x380  /* initial count */
#define LAPIC_TIMER_CCR 0x390  /* current count (read only) */
#define LAPIC_TIMER_DCR 0x3E0  /* divide configuration */

/* LVT entries in register order (0x320, 0x330, ... 0x370). */
enum lapic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_N };

/* LVT and ICR fields (SDM Figures 10-8 and 10-12). */
#define APIC_VECTOR         0x000000FFu
#define APIC_DM_SHIFT       8
#define APIC_DM_MASK        (7u << APIC_DM_SHIFT)  /* delivery mode */
#define APIC_DEST_LOGICAL   (1u << 11)   /* ICR: destination mode */
#define APIC_DELIV_STATUS   (1u << 12)   /* send pending (always 0 here) */
#define APIC_POLARITY_LOW   (1u << 13)   /* LINT: active low */
#define APIC_REMOTE_IRR     (1u << 14)   /* LINT: level interrupt in service */
#define APIC_ICR_ASSERT     (1u << 14)   /* ICR: level assert (0: de-assert) */
#define APIC_TRIGGER_LEVEL  (1u << 15)
#define APIC_LVT_MASKED     (1u << 16)
#define APIC_TIMER_PERIODIC (1u << 17)   /* LVT timer mode bits 18:17 = 01 */
#define APIC_SH_SHIFT       18           /* ICR destination shorthand */
#define APIC_SH_MASK        (3u << APIC_SH_SHIFT)

/* Delivery modes (bits 10:8). */
enum apic_dm {
    APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
    APIC_DM_INIT = 5, APIC_DM_STARTUP = 6, APIC_DM_EXTINT = 7,
};

/* Destination shorthands (ICR bits 19:18). */
enum apic_sh { APIC_SH_NONE, APIC_SH_SELF, APIC_SH_ALL, APIC_SH_OTHERS };

/* SVR bits (10.9). */
#define APIC_SVR_ENABLE     (1u << 8)    /* APIC software enable */
#define APIC_SVR_FOCUS_OFF  (1u << 9)

/* ESR bits (Figure 10-9). */
#define APIC_ESR_SEND_ILLEGAL  (1u << 5)
#define APIC_ESR_RECV_ILLEGAL  (1u << 6)
#define APIC_ESR_ILLEGAL_REG   (1u << 7)

/* One interrupt message on the APIC bus (from an ICR or an I/O APIC). */
struct apic_msg {
    uint8_t vector;
    uint8_t mode;          /* enum apic_dm */
    uint8_t dest;          /* physical APIC ID or logical MDA; 0xFF: all */
    uint8_t shorthand;     /* enum apic_sh (I/O APIC: none) */
    bool logical;          /* destination mode */
    bool level;            /* trigger mode level (else edge) */
    bool assert;           /* ICR level bit; always true from an I/O APIC */
    int source;            /* sending local APIC's index, -1 for an I/O APIC */
};

struct apic_bus;

/* What the bus tells its owner (the VM).  @cpu is the local APIC's index
 * on the bus (the vCPU index). */
struct apic_bus_hooks {
    /* Local APIC @cpu may now have an interrupt for its CPU. */
    void (*kick)(void *opaque, unsigned cpu);
    /* INIT reached @cpu: its local APIC is reset; an AP now waits for a
     * STARTUP (the CPU is not runnable), the BSP restarts. */
    void (*init)(void *opaque, unsigned cpu);
    /* STARTUP with @vector reached @cpu waiting for it: start in real mode
     * at CS = vector << 8, IP = 0 (SDM Vol. 3A 8.4.4.1). */
    void (*startup)(void *opaque, unsigned cpu, uint8_t vector);
    /* A level-triggered interrupt @vector was EOIed: tell the I/O APICs. */
    void (*eoi)(void *opaque, uint8_t vector);
};

struct lapic {
    struct apic_bus *bus;       /* the bus it sits on (not owned) */
    struct dev_ctx ctx;         /* copy; ev may be NULL, clock required */
    unsigned index;             /* position on the bus = vCPU index */
    char name[12];              /* "lapic0" */
    bool bsp;                   /* boot processor (reset LINT0 = ExtINT) */
    bool wait_sipi;             /* INIT received: waiting for STARTUP */
    uint32_t id;                /* APIC ID register (ID in bits 31:24) */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr, esr_pending;  /* ESR as read / errors since the last write */
    uint32_t irr[8], isr[8], tmr[8];
    uint32_t lvt[LVT_N];
    uint32_t icr_lo, icr_hi;
    uint32_t timer_initial, timer_dcr;
    int64_t timer_start;        /* virtual ns when the count was (re)loaded */
    struct vtimer timer;
    uint64_t timer_fired;       /* timer interrupts delivered (for views) */
    bool nmi_pending;           /* an NMI message arrived; the CPU has not
                                   taken it (NMI mode ignores the vector) */
};

/* The system bus joining a VM's local APICs (and its I/O APICs). */
struct apic_bus {
    struct lapic *cpu[APIC_BUS_MAX];
    unsigned n;
    const struct apic_bus_hooks *hooks;   /* may be NULL (unit tests) */
    void *opaque;
};

void apic_bus_init(struct apic_bus *b, const struct apic_bus_hooks *hooks, void *opaque);

/* Power on local APIC @index (APIC ID = index; the BSP when index is 0)
 * and put it on @bus.  @ctx is copied; its clock is required (timer). */
int lapic_init(struct lapic *l, struct apic_bus *bus, unsigned index,
               const struct dev_ctx *ctx) VMS_MUST_CHECK;
/* Cancels the timer; @l may be NULL. */
void lapic_destroy(struct lapic *l);

/* MMIO access at @offset (0 - 0xFFF) of the APIC page, by its own CPU. */
uint64_t lapic_read(struct lapic *l, uint64_t offset, unsigned size);
void lapic_write(struct lapic *l, uint64_t offset, unsigned size, uint64_t value);

/* Deliver @m to every local APIC it addresses (SDM 10.6.2). */
void apic_bus_deliver(struct apic_bus *b, const struct apic_msg *m);

/* A fixed interrupt @vector arrives at @l (edge, or level when @level). */
void lapic_accept(struct lapic *l, uint8_t vector, bool level);

/* An interrupt in IRR beats the processor priority and the APIC is
 * software-enabled: the CPU should take it. */
bool lapic_pending(const struct lapic *l);
/* The CPU takes it (INTA): highest IRR vector moves to ISR; -1 if none. */
int lapic_ack(struct lapic *l);
/* An NMI is waiting for this CPU (held while it waits for STARTUP,
 * SDM 8.4.1), and the CPU takes it. */
bool lapic_nmi_pending(const struct lapic *l);
void lapic_nmi_ack(struct lapic *l);
/* LINT0 passes the 8259's INTR to this CPU (unmasked, ExtINT mode). */
bool lapic_accepts_pic(const struct lapic *l);

/* Processor priority (10.8.3.1) and the timer's current count. */
uint32_t lapic_ppr(const struct lapic *l);
uint32_t lapic_timer_count(const struct lapic *l);
/* Timer divisor encoded by a divide configuration value (1 to 128). */
unsigned lapic_divisor(uint32_t dcr);

/* INIT: reset to the power-up state except the APIC ID (10.4.7.3). */
void lapic_reset(struct lapic *l);

#endif
