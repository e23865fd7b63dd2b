/* sched.h - the hypervisor's vCPU scheduler: the policy seam.
 *
 * The hypervisor simulates @npcpu physical CPUs.  Time advances in rounds:
 * in each round every pCPU asks the policy for a vCPU and runs it for at
 * most one quantum of virtual time.  A policy is one const ops table;
 * round-robin is the first (credit and fair-share come later, on the same
 * seam).  Every decision becomes an EV_SCHED event.
 */
#ifndef VMS_SCHED_H
#define VMS_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct vcpu;
struct sched;

struct sched_ops {
    const char *name;
    /* Choose the vCPU pCPU @pcpu runs next among those for which
     * @eligible(v) is true, or NULL when none is. */
    struct vcpu *(*pick)(struct sched *s, unsigned pcpu,
                         bool (*eligible)(struct vcpu *v));
    /* The slice length for @v in virtual ns. */
    uint64_t (*quantum)(struct sched *s, const struct vcpu *v);
    /* @v ran for @ran ns of its slice (for policies that keep accounts). */
    void (*account)(struct sched *s, struct vcpu *v, uint64_t ran);
};

#define SCHED_MAX_VCPUS 1024

struct sched {
    const struct sched_ops *ops;
    struct vcpu *vcpu[SCHED_MAX_VCPUS];   /* every vCPU of every VM */
    unsigned n;
    unsigned cursor;          /* round-robin position */
    uint64_t quantum;         /* default slice, virtual ns */
};

extern const struct sched_ops sched_round_robin;

/* Find a policy by name ("rr"); NULL if unknown. */
const struct sched_ops *sched_policy(const char *name);

void sched_init(struct sched *s, const struct sched_ops *ops, uint64_t quantum);
int sched_add(struct sched *s, struct vcpu *v) VMS_MUST_CHECK;

#endif
