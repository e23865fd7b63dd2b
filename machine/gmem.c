/* gmem.c - guest RAM allocation and checked access. */
#include "gmem.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define GMEM_PAGE 4096u

int gmem_init(struct gmem *m, uint64_t size)
{
    if (size == 0 || size > (1ull << 40))
        return vms_seterr(VMS_ERR_INVAL, "guest memory size %llu is out of range",
                          (unsigned long long)size);
    size = (size + GMEM_PAGE - 1) & ~(uint64_t)(GMEM_PAGE - 1);
    /* MAP_NORESERVE: idle VMs cost only the pages their guests touch. */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return vms_seterr(VMS_ERR_NOMEM, "cannot map %llu bytes of guest RAM",
                          (unsigned long long)size);
    m->ram = p;
    m->size = size;
    return 0;
}

void gmem_fini(struct gmem *m)
{
    if (m && m->ram) {
        munmap(m->ram, m->size);
        m->ram = NULL;
        m->size = 0;
    }
}

int gmem_read(const struct gmem *m, uint64_t pa, void *buf, size_t len)
{
    if (!gmem_ok(m, pa, len))
        return -VMS_ERR_RANGE;
    memcpy(buf, m->ram + pa, len);
    return 0;
}

int gmem_write(struct gmem *m, uint64_t pa, const void *buf, size_t len)
{
    if (!gmem_ok(m, pa, len))
        return -VMS_ERR_RANGE;
    memcpy(m->ram + pa, buf, len);
    return 0;
}

int gmem_parse_size(const char *text, uint64_t *out)
{
    char *end;
    unsigned shift = 0;

    if (!text || !isdigit((unsigned char)text[0]))
        return -VMS_ERR_INVAL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno)
        return -VMS_ERR_INVAL;
    switch (toupper((unsigned char)*end)) {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end == 'i' || *end == 'B')
        end++;
    if (*end == 'B')
        end++;
    if (*end != '\0' || v == 0 || v > (1ull << 40) >> shift)
        return -VMS_ERR_INVAL;
    *out = (uint64_t)v << shift;
    return 0;
}
