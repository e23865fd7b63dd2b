/* vclock.c - virtual time and timers. */
#include "vclock.h"

#include <stddef.h>

void vclock_init(struct vclock *c)
{
    c->now = 0;
    c->seq = 0;
    c->pending = NULL;
}

void vtimer_init(struct vtimer *t, void (*fire)(void *, uint64_t), void *opaque)
{
    t->deadline = VCLOCK_NEVER;
    t->fire = fire;
    t->opaque = opaque;
    t->order = 0;
    t->next = NULL;
    t->armed = false;
}

void vtimer_cancel(struct vclock *c, struct vtimer *t)
{
    if (!t->armed)
        return;
    for (struct vtimer **pp = &c->pending; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = NULL;
    t->deadline = VCLOCK_NEVER;
}

static bool timer_before(const struct vtimer *a, const struct vtimer *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->order < b->order);
}

void vtimer_arm(struct vclock *c, struct vtimer *t, uint64_t deadline)
{
    vtimer_cancel(c, t);
    if (deadline == VCLOCK_NEVER)
        return;
    t->deadline = deadline;
    t->order = c->seq++;
    t->armed = true;
    struct vtimer **pp = &c->pending;
    while (*pp && !timer_before(t, *pp))
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
}

uint64_t vclock_next_deadline(const struct vclock *c)
{
    return c->pending ? c->pending->deadline : VCLOCK_NEVER;
}

void vclock_advance_to(struct vclock *c, uint64_t t)
{
    if (t > c->now)
        c->now = t;
    while (c->pending && c->pending->deadline <= c->now) {
        struct vtimer *e = c->pending;
        c->pending = e->next;
        e->next = NULL;
        e->armed = false;
        uint64_t when = e->deadline;
        e->deadline = VCLOCK_NEVER;
        e->fire(e->opaque, when);
    }
}
