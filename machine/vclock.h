/* vclock.h - a VM's virtual time and its timers.
 *
 * Virtual time is in nanoseconds.  On the emulated engine it advances by
 * instructions retired (VCLOCK_NS_PER_INSN each) and jumps forward when
 * every vCPU is idle, so execution is deterministic.  Devices arm timers
 * with an absolute deadline; the run loop asks for the next deadline to
 * size a vCPU's budget, advances the clock, and expired timers fire in
 * deadline order (ties in arming order).
 */
#ifndef VMS_VCLOCK_H
#define VMS_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define VCLOCK_NEVER UINT64_MAX

struct vtimer {
    uint64_t deadline;              /* absolute ns; VCLOCK_NEVER when idle */
    void (*fire)(void *opaque, uint64_t now);
    void *opaque;
    uint64_t order;                 /* tie-break: arming sequence */
    struct vtimer *next;            /* sorted pending list */
    bool armed;
};

struct vclock {
    uint64_t now;
    uint64_t seq;
    struct vtimer *pending;         /* sorted by (deadline, order) */
};

void vclock_init(struct vclock *c);
static inline uint64_t vclock_now(const struct vclock *c) { return c->now; }

void vtimer_init(struct vtimer *t, void (*fire)(void *, uint64_t), void *opaque);
/* Arm (or re-arm) @t to fire at absolute time @deadline. */
void vtimer_arm(struct vclock *c, struct vtimer *t, uint64_t deadline);
void vtimer_cancel(struct vclock *c, struct vtimer *t);

/* The earliest pending deadline, or VCLOCK_NEVER. */
uint64_t vclock_next_deadline(const struct vclock *c);
/* Move time forward to @t (never backwards) and fire every timer whose
 * deadline is <= the new time.  A timer may re-arm itself from fire(). */
void vclock_advance_to(struct vclock *c, uint64_t t);

#endif
