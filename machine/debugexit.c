/* debugexit.c - QEMU isa-debug-exit (hw/misc/debugexit.c semantics). */
#include "debugexit.h"

#include <string.h>

#include "memmap.h"

#define DEBUGEXIT_NAME "debugexit"
#define EXIT_STATUS_MASK 0xFFu  /* POSIX: a process exit status keeps 8 bits */

int debugexit_status(uint64_t value)
{
    /* QEMU: exit((val << 1) | 1); the parent sees it modulo 256. */
    return (int)(((value << 1) | 1u) & EXIT_STATUS_MASK);
}

static void debugexit_write(void *opaque, uint64_t offset, unsigned size,
                            uint64_t value)
{
    struct debugexit *d = opaque;
    int status = debugexit_status(value);

    if (ev_wants(d->ctx.ev, EV_DEVICE))
        ev_device(d->ctx.ev, d->ctx.vm, dev_now(&d->ctx), DEBUGEXIT_NAME,
                  "+%u <- 0x%llx (%u bytes): exit status %d", (unsigned)offset,
                  (unsigned long long)value, size, status);
    d->exited = true;
    d->status = status;
    if (d->on_exit)
        d->on_exit(d->opaque, status);
}

static const struct bus_dev_ops debugexit_ops = {
    .read = NULL,               /* open bus: all ones, as QEMU has no read */
    .write = debugexit_write,   /* any width, any offset: exit */
};

int debugexit_init(struct debugexit *d, const struct dev_ctx *ctx,
                   void (*on_exit)(void *opaque, int status), void *opaque)
{
    if (!d)
        return -VMS_ERR_INVAL;
    memset(d, 0, sizeof(*d));
    if (ctx)
        d->ctx = *ctx;
    d->on_exit = on_exit;
    d->opaque = opaque;
    return 0;
}

int debugexit_attach(struct debugexit *d, struct bus *b)
{
    if (!d || !b)
        return -VMS_ERR_INVAL;
    return bus_map(b, BUS_PIO, PORT_DEBUG_EXIT, PORT_DEBUG_EXIT_LEN,
                   &debugexit_ops, d, DEBUGEXIT_NAME);
}

void debugexit_destroy(struct debugexit *d)
{
    (void)d;
}
