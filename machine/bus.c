/* bus.c - range maps for port I/O and MMIO. */
#include "bus.h"

#include <stdlib.h>
#include <string.h>

void bus_init(struct bus *b)
{
    memset(b, 0, sizeof(*b));
}

void bus_fini(struct bus *b)
{
    if (!b)
        return;
    for (int s = 0; s < BUS_SPACES; s++)
        free(b->r[s]);
    memset(b, 0, sizeof(*b));
}

/* Index of the first range whose base is > addr. */
static unsigned upper_bound(const struct bus *b, enum bus_space s, uint64_t addr)
{
    unsigned lo = 0, hi = b->n[s];

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (b->r[s][mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int bus_map(struct bus *b, enum bus_space space, uint64_t base, uint64_t len,
            const struct bus_dev_ops *ops, void *opaque, const char *name)
{
    if ((unsigned)space >= BUS_SPACES || len == 0 || base + len < base || !ops)
        return -VMS_ERR_INVAL;
    unsigned i = upper_bound(b, space, base);
    struct bus_range *r = b->r[space];
    if (i > 0 && r[i - 1].base + r[i - 1].len > base)
        return vms_seterr(VMS_ERR_OVERLAP, "%s overlaps %s", name, r[i - 1].name);
    if (i < b->n[space] && r[i].base < base + len)
        return vms_seterr(VMS_ERR_OVERLAP, "%s overlaps %s", name, r[i].name);
    if (b->n[space] == b->cap[space]) {
        unsigned cap = b->cap[space] ? b->cap[space] * 2 : 8;
        r = realloc(b->r[space], cap * sizeof(*r));
        if (!r)
            return -VMS_ERR_NOMEM;
        b->r[space] = r;
        b->cap[space] = cap;
    }
    memmove(&r[i + 1], &r[i], (b->n[space] - i) * sizeof(*r));
    r[i] = (struct bus_range){ .base = base, .len = len, .ops = ops,
                               .opaque = opaque, .name = name };
    b->n[space]++;
    return 0;
}

struct bus_range *bus_find(const struct bus *b, enum bus_space space, uint64_t addr)
{
    if ((unsigned)space >= BUS_SPACES)
        return NULL;
    unsigned i = upper_bound(b, space, addr);
    if (i == 0)
        return NULL;
    struct bus_range *r = &b->r[space][i - 1];
    return addr - r->base < r->len ? r : NULL;
}

static struct bus_range *find_access(const struct bus *b, enum bus_space space,
                                     uint64_t addr, unsigned size)
{
    struct bus_range *r = bus_find(b, space, addr);

    if (!r || size == 0 || size > 8 || (size & (size - 1)))
        return NULL;
    return (addr - r->base) + size <= r->len ? r : NULL;
}

struct bus_range *bus_read(struct bus *b, enum bus_space space, uint64_t addr,
                           unsigned size, uint64_t *value)
{
    struct bus_range *r = find_access(b, space, addr, size);

    if (!r || !r->ops->read) {
        *value = size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
        return r && !r->ops->read ? r : NULL;
    }
    uint64_t v = r->ops->read(r->opaque, addr - r->base, size);
    if (size < 8)
        v &= (1ull << (8 * size)) - 1;
    *value = v;
    r->reads++;
    return r;
}

struct bus_range *bus_write(struct bus *b, enum bus_space space, uint64_t addr,
                            unsigned size, uint64_t value)
{
    struct bus_range *r = find_access(b, space, addr, size);

    if (!r)
        return NULL;
    if (size < 8)
        value &= (1ull << (8 * size)) - 1;
    if (r->ops->write)
        r->ops->write(r->opaque, addr - r->base, size, value);
    r->writes++;
    return r;
}
