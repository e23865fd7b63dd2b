/* sched.c - scheduling policies. */
#include "sched.h"

#include <string.h>

#include "vcpu.h"

void sched_init(struct sched *s, const struct sched_ops *ops, uint64_t quantum)
{
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    s->quantum = quantum;
}

int sched_add(struct sched *s, struct vcpu *v)
{
    if (s->n == SCHED_MAX_VCPUS)
        return vms_seterr(VMS_ERR_INVAL, "more than %d vCPUs in all", SCHED_MAX_VCPUS);
    s->vcpu[s->n++] = v;
    return 0;
}

/* Round-robin: walk the vCPU list from where the last pick stopped. */
static struct vcpu *rr_pick(struct sched *s, unsigned pcpu, bool (*eligible)(struct vcpu *))
{
    (void)pcpu;
    for (unsigned i = 0; i < s->n; i++) {
        unsigned k = (s->cursor + i) % s->n;
        if (eligible(s->vcpu[k])) {
            s->cursor = (k + 1) % s->n;
            return s->vcpu[k];
        }
    }
    return NULL;
}

static uint64_t rr_quantum(struct sched *s, const struct vcpu *v)
{
    (void)v;
    return s->quantum;
}

static void rr_account(struct sched *s, struct vcpu *v, uint64_t ran)
{
    (void)s;
    (void)v;
    (void)ran;
}

const struct sched_ops sched_round_robin = {
    .name = "rr",
    .pick = rr_pick,
    .quantum = rr_quantum,
    .account = rr_account,
};

const struct sched_ops *sched_policy(const char *name)
{
    static const struct sched_ops *const all[] = { &sched_round_robin };

    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}
