/* pit.h - Intel 8254 programmable interval timer plus port 0x61.
 *
 * Ports 0x40-0x42 are counters 0-2, 0x43 the control word (and the
 * read-back and counter-latch commands).  Port 0x61 (PC "system control
 * port B"): bit 0 gate of counter 2, bit 1 speaker data enable (stored),
 * bits 2-3 stored, bit 4 the DRAM refresh toggle (flips every 15.085 us of
 * virtual time), bit 5 OUT of counter 2.
 *
 * Counters are not simulated clock by clock: a counter remembers the tick
 * (of the 1.193182 MHz input clock, PIT_HZ) at which its count was loaded,
 * and its value and OUT are computed from virtual time on demand with
 * exact integer arithmetic, so nothing drifts.  The input clock's ticks are
 * numbered from virtual time 0: tick(t) = floor(t * PIT_HZ / 1e9).  A count
 * written at time t is loaded on the next clock, tick(t) + 1 (8254
 * datasheet, "Counter Operation").  OUT of counter 0 drives IRQ 0: a
 * vtimer is armed at the next OUT transition (modes 0, 2, 3 and 4).
 *
 * Counter 0 and 1 gates are tied high; counter 2's is port 0x61 bit 0.
 * At power-on no counter is programmed (no timer runs) and OUT 0 is taken
 * to be high, so the first edge the PIC sees is a real rising edge.  (Under
 * QEMU the BIOS leaves counter 0 running at 18.2 Hz; vmscope has no BIOS
 * and the PIC starts with IRQ 0 masked, see pic.h.)
 *
 * Simplification (as QEMU): a new count written while a counter runs in
 * mode 2 or 3 takes effect on the next clock, not at the end of the
 * current period.
 */
#ifndef VMS_PIT_H
#define VMS_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "irq.h"
#include "vclock.h"

#define PIT_CHANNELS 3

struct pit_channel {
    uint8_t mode;           /* 0-5 */
    uint8_t rw;             /* access: 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd;               /* counts in BCD (0-9999) */
    uint32_t count;         /* initial count N in binary, 1-65536 */
    uint16_t hold;          /* value read while the counter is stopped */
    bool loaded;            /* a count was written after the control word */
    bool triggered;         /* modes 1 and 5: a gate edge started it */
    bool gate;
    bool frozen;            /* gate low stopped counting at @frozen_k */
    int64_t frozen_k;
    int64_t load_tick;      /* input-clock tick that loaded the count */
    bool write_msb_next;    /* rw 3: the next write is the MSB */
    uint8_t write_lsb;
    bool read_msb_next;     /* rw 3: the next live read is the MSB */
    bool latched;           /* counter latch command holds @latch */
    bool latch_msb_next;
    uint16_t latch;
    bool status_latched;    /* read-back holds @status */
    uint8_t status;
};

struct pit {
    struct pit_channel ch[PIT_CHANNELS];
    struct dev_ctx ctx;     /* copy; the clock is required */
    struct irq_line irq0;
    struct vtimer timer;    /* next OUT 0 transition */
    bool irq_level;         /* level last driven on @irq0 */
    uint8_t port61;         /* bits 0-3 as written */
};

/* @ctx and its clock are required (-VMS_ERR_INVAL otherwise). */
int pit_init(struct pit *p, const struct dev_ctx *ctx, struct irq_line irq0)
    VMS_MUST_CHECK;
/* Map 0x40-0x43 ("pit") and 0x61 ("port61"). */
int pit_attach(struct pit *p, struct bus *b) VMS_MUST_CHECK;
/* Cancel the timer.  @p may be NULL. */
void pit_destroy(struct pit *p);

/* Views and tests: counter @c's value (as a latch would give it, binary
 * or BCD) and its OUT level now. */
uint16_t pit_peek_count(const struct pit *p, unsigned c);
bool pit_peek_out(const struct pit *p, unsigned c);

#endif
