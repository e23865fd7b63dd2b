/* symtab.h - a guest symbol table for the debugger.
 *
 * Symbols record *virtual* addresses (an ELF symbol's st_value, or the
 * address column of an `nm -n` listing).  The table owns copies of the
 * names.  Build it with symtab_add(), then symtab_sort() once; lookups need a
 * sorted table (symtab_lookup() on an unsorted table returns NULL).
 */
#ifndef VMS_SYMTAB_H
#define VMS_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* A symbol without a known size covers at most this many bytes above its
 * address in symtab_lookup(). */
#define SYMTAB_NEAR_LIMIT 0x10000u

struct sym {
    char *name;      /* owned, NUL-terminated */
    uint64_t addr;   /* virtual address */
    uint64_t size;   /* bytes; 0: unknown */
};

struct symtab {
    struct sym *v;   /* owned array of n symbols (capacity cap) */
    size_t n, cap;
    bool sorted;     /* set by symtab_sort(), cleared by symtab_add() */
};

/* An empty table (no allocation).  A zeroed struct is also a valid empty
 * table. */
void symtab_init(struct symtab *t);
/* Free every name and the array; leaves an empty table.  NULL is a no-op. */
void symtab_fini(struct symtab *t);

/* Add a copy of @name (non-empty) at @addr covering @size bytes (0 unknown).
 * Returns 0, -VMS_ERR_INVAL or -VMS_ERR_NOMEM. */
int symtab_add(struct symtab *t, const char *name, uint64_t addr, uint64_t size)
    VMS_MUST_CHECK;

/* Sort by address (equal addresses: larger size first, then by name) so
 * lookups are O(log n). */
void symtab_sort(struct symtab *t);

/* The symbol containing @addr: the one with the greatest address <= @addr,
 * when @addr lies within its size (size known) or within SYMTAB_NEAR_LIMIT
 * bytes of it (size unknown).  Sets *offset (if not NULL) to addr - sym.addr.
 * NULL when none qualifies or the table is not sorted. */
const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr,
                                uint64_t *offset);

/* Address of the first symbol named @name: 0 and *addr, or
 * -VMS_ERR_NOTFOUND. */
int symtab_find(const struct symtab *t, const char *name, uint64_t *addr)
    VMS_MUST_CHECK;

/* Add the symbols of an `nm -n` listing ("ADDR TYPE NAME" per line, ADDR in
 * hex).  Lines without an address (undefined symbols) and debugger-only
 * types (N, n, U) are skipped; so are lines that do not parse.  Sorts the
 * table.  Returns the number added, -VMS_ERR_NOTFOUND when @path does not
 * exist, -VMS_ERR_IO or -VMS_ERR_NOMEM. */
int symtab_load_nm(struct symtab *t, const char *path) VMS_MUST_CHECK;

/* The same, from a buffer of @len bytes (need not be NUL-terminated). */
int symtab_parse_nm(struct symtab *t, const char *text, size_t len) VMS_MUST_CHECK;

#endif
