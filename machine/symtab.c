/* symtab.c - sorted guest symbols, nm listings. */
#include "symtab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SYMTAB_MAX_SYMS   (1u << 22)  /* refuse absurd tables */
#define SYMTAB_MAX_NMFILE (64u << 20) /* bytes of an nm listing we read */
#define SYMTAB_MAX_NAME   4096u

void symtab_init(struct symtab *t)
{
    memset(t, 0, sizeof(*t));
}

void symtab_fini(struct symtab *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].name);
    free(t->v);
    symtab_init(t);
}

static int symtab_grow(struct symtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct sym *v;

    if (t->n >= SYMTAB_MAX_SYMS)
        return vms_seterr(VMS_ERR_NOMEM, "symbol table: more than %u symbols",
                          SYMTAB_MAX_SYMS);
    v = realloc(t->v, cap * sizeof(*v));
    if (!v)
        return vms_seterr(VMS_ERR_NOMEM, "symbol table: out of memory");
    t->v = v;
    t->cap = cap;
    return 0;
}

int symtab_add(struct symtab *t, const char *name, uint64_t addr, uint64_t size)
{
    int err;

    if (!name || !name[0])
        return -VMS_ERR_INVAL;
    if (t->n == t->cap && (err = symtab_grow(t)) < 0)
        return err;
    char *copy = strdup(name);
    if (!copy)
        return vms_seterr(VMS_ERR_NOMEM, "symbol table: out of memory");
    t->v[t->n++] = (struct sym){ .name = copy, .addr = addr, .size = size };
    t->sorted = false;
    return 0;
}

static int sym_cmp(const void *pa, const void *pb)
{
    const struct sym *a = pa, *b = pb;

    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return strcmp(a->name, b->name);
}

void symtab_sort(struct symtab *t)
{
    if (t->n > 1)
        qsort(t->v, t->n, sizeof(t->v[0]), sym_cmp);
    t->sorted = true;
}

/* Index of the first symbol at the greatest address <= @addr, or -1. */
static long symtab_floor(const struct symtab *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n; /* answer: last index with v[i].addr <= addr */

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    size_t i = lo - 1;
    while (i > 0 && t->v[i - 1].addr == t->v[i].addr)
        i--;        /* the largest of the symbols at this address */
    return (long)i;
}

const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr,
                                uint64_t *offset)
{
    if (!t || !t->sorted || t->n == 0)
        return NULL;
    long i = symtab_floor(t, addr);
    if (i < 0)
        return NULL;
    const struct sym *s = &t->v[i];
    uint64_t off = addr - s->addr;
    uint64_t span = s->size ? s->size : SYMTAB_NEAR_LIMIT;
    if (off >= span)
        return NULL;
    if (offset)
        *offset = off;
    return s;
}

int symtab_find(const struct symtab *t, const char *name, uint64_t *addr)
{
    for (size_t i = 0; t && name && i < t->n; i++) {
        if (strcmp(t->v[i].name, name) == 0) {
            *addr = t->v[i].addr;
            return 0;
        }
    }
    return -VMS_ERR_NOTFOUND;
}

/* One nm line "ADDR TYPE NAME" (no newline, @len bytes).  Returns 1 when a
 * symbol was added, 0 when the line is skipped, <0 on failure. */
static int nm_line(struct symtab *t, const char *line, size_t len)
{
    char buf[SYMTAB_MAX_NAME + 64];
    char type, name[SYMTAB_MAX_NAME];
    unsigned long long addr;
    int used = 0;

    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, line, len);
    buf[len] = '\0';
    if (sscanf(buf, "%llx %c %4095s%n", &addr, &type, name, &used) != 3)
        return 0;
    if (type == 'U' || type == 'u' || type == 'N' || type == 'n' ||
        type == 'w' || type == 'v')
        return 0;   /* undefined, debugging-only or weak-undefined */
    int err = symtab_add(t, name, addr, 0);
    return err < 0 ? err : 1;
}

int symtab_parse_nm(struct symtab *t, const char *text, size_t len)
{
    size_t pos = 0;
    int added = 0;

    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - pos;
        if (n && text[pos + n - 1] == '\r')
            n--;
        int r = nm_line(t, text + pos, n);
        if (r < 0)
            return r;
        added += r;
        pos = end + 1;
    }
    symtab_sort(t);
    return added;
}

int symtab_load_nm(struct symtab *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *text;
    size_t len;
    int r;

    if (!f)
        return errno == ENOENT ? -VMS_ERR_NOTFOUND
               : vms_seterr(VMS_ERR_IO, "%s: cannot open", path);
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > SYMTAB_MAX_NMFILE) {
        fclose(f);
        return vms_seterr(VMS_ERR_IO, "%s: not a regular file of at most %u bytes",
                          path, SYMTAB_MAX_NMFILE);
    }
    text = malloc((size_t)st.st_size + 1);
    if (!text) {
        fclose(f);
        return vms_seterr(VMS_ERR_NOMEM, "%s: out of memory", path);
    }
    len = fread(text, 1, (size_t)st.st_size, f);
    r = ferror(f) ? vms_seterr(VMS_ERR_IO, "%s: read error", path)
                  : symtab_parse_nm(t, text, len);
    free(text);
    fclose(f);
    return r;
}
