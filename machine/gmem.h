/* gmem.h - guest-physical RAM: one host mapping, bounds-checked access.
 *
 * RAM spans guest-physical [0, size).  Every address a guest (or a file)
 * supplies goes through gmem_ok()/gmem_read()/gmem_write() or gmem_ptr(),
 * which refuse ranges outside RAM (including wrap-around).
 */
#ifndef VMS_GMEM_H
#define VMS_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct gmem {
    uint8_t *ram;   /* owned; page-aligned host mapping */
    uint64_t size;  /* bytes; a multiple of 4 KiB */
};

/* Map @size bytes (rounded up to 4 KiB) of zeroed RAM. */
int gmem_init(struct gmem *m, uint64_t size) VMS_MUST_CHECK;
void gmem_fini(struct gmem *m);

/* True when [pa, pa+len) lies inside RAM. */
static inline bool gmem_ok(const struct gmem *m, uint64_t pa, uint64_t len)
{
    return pa <= m->size && len <= m->size - pa;
}

/* Host pointer to [pa, pa+len), or NULL when the range is not all RAM. */
static inline void *gmem_ptr(const struct gmem *m, uint64_t pa, uint64_t len)
{
    return gmem_ok(m, pa, len) ? m->ram + pa : NULL;
}

int gmem_read(const struct gmem *m, uint64_t pa, void *buf, size_t len) VMS_MUST_CHECK;
int gmem_write(struct gmem *m, uint64_t pa, const void *buf, size_t len) VMS_MUST_CHECK;

/* Parse a size such as "64M", "1G", "16777216" (K/M/G suffixes, binary).
 * Returns 0 and sets *out, or -VMS_ERR_INVAL. */
int gmem_parse_size(const char *text, uint64_t *out) VMS_MUST_CHECK;

#endif
