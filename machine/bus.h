/* bus.h - the port-I/O and MMIO buses: address ranges mapped to devices.
 *
 * A device registers a range with bus_map() and a const ops table; an
 * access is routed to the device with the offset into its range.  Ranges
 * may not overlap (bus_map refuses).  An access to no device reads as all
 * ones and writes are dropped, as on a PC's open bus; the caller learns
 * that from the return value and records it as an event.
 */
#ifndef VMS_BUS_H
#define VMS_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

enum bus_space { BUS_PIO, BUS_MMIO, BUS_SPACES };

struct bus_dev_ops {
    /* Read @size (1, 2, 4 or 8) bytes at @offset into the device's range. */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    /* Write the low @size bytes of @value at @offset. */
    void (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
};

struct bus_range {
    uint64_t base, len;
    const struct bus_dev_ops *ops;
    void *opaque;
    const char *name;   /* device name for events and views, e.g. "uart0" */
    uint64_t reads, writes;  /* access counters for the device view */
};

struct bus {
    struct bus_range *r[BUS_SPACES];   /* sorted by base */
    unsigned n[BUS_SPACES], cap[BUS_SPACES];
};

void bus_init(struct bus *b);
void bus_fini(struct bus *b);

/* Map [base, base+len) of @space to a device.  -VMS_ERR_OVERLAP when any
 * byte is already mapped, -VMS_ERR_INVAL for an empty or wrapping range. */
int bus_map(struct bus *b, enum bus_space space, uint64_t base, uint64_t len,
            const struct bus_dev_ops *ops, void *opaque, const char *name)
    VMS_MUST_CHECK;

/* The range holding @addr, or NULL. */
struct bus_range *bus_find(const struct bus *b, enum bus_space space, uint64_t addr);

/* Perform an access.  Returns the range that took it, or NULL (open bus:
 * reads give all ones of @size).  An access that straddles the end of a
 * device's range is refused the same way. */
struct bus_range *bus_read(struct bus *b, enum bus_space space, uint64_t addr,
                           unsigned size, uint64_t *value);
struct bus_range *bus_write(struct bus *b, enum bus_space space, uint64_t addr,
                            unsigned size, uint64_t value);

#endif
