/* devctx.h - what a device is given besides its bus ranges and IRQ lines:
 * the VM's virtual clock (for timers) and the event stream (to report its
 * traffic decoded, e.g. "uart0 THR <- 'H'").  Both may be NULL in unit
 * tests except the clock for devices that keep time. */
#ifndef VMS_DEVCTX_H
#define VMS_DEVCTX_H

#include <stdint.h>

#include "event.h"
#include "vclock.h"

struct dev_ctx {
    struct evstream *ev;   /* may be NULL: no events */
    struct vclock *clock;  /* the VM's virtual time */
    uint16_t vm;           /* VM index for events */
};

static inline uint64_t dev_now(const struct dev_ctx *c)
{
    return c && c->clock ? vclock_now(c->clock) : 0;
}

/* A DEVICE event "<dev> <text>" at the device's virtual time. */
static inline void dev_eventv(const struct dev_ctx *c, const char *dev, const char *fmt,
                              va_list ap)
{
    if (c)
        ev_devicev(c->ev, c->vm, dev_now(c), dev, fmt, ap);
}

#endif
