/* elf.c - bounds-checked ELF32/ELF64 header, program header, section
 * header and symbol table reading (System V ABI, "Object Files"). */
#include "elf.h"

#include <string.h>

/* e_ident */
#define EI_CLASS   4
#define EI_DATA    5
#define EI_VERSION 6
#define EI_NIDENT  16
#define EV_CURRENT 1u

/* Sizes of the on-disk structures, per class. */
#define EHDR32_SIZE 52u
#define EHDR64_SIZE 64u
#define PHDR32_SIZE 32u
#define PHDR64_SIZE 56u
#define SHDR32_SIZE 40u
#define SHDR64_SIZE 64u
#define SYM32_SIZE  16u
#define SYM64_SIZE  24u

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* [off, off + count * entsize) lies inside a file of @len bytes. */
static bool table_in_file(uint64_t off, uint64_t count, uint64_t entsize, size_t len)
{
    if (off > len)
        return false;
    /* count <= 0xFFFF and entsize <= 0xFFFF: the product cannot overflow */
    return count * entsize <= (uint64_t)len - off;
}

bool elf_is_elf(const uint8_t *buf, size_t len)
{
    return len >= 4 && memcmp(buf, "\x7f" "ELF", 4) == 0;
}

static int elf_bad(const struct elf_file *ef, const char *why)
{
    return vms_seterr(VMS_ERR_BADIMAGE, "%s: %s", ef->name, why);
}

static void elf_read_ehdr(struct elf_file *ef)
{
    const uint8_t *b = ef->buf;

    ef->type = rd16(b + 16);
    ef->machine = rd16(b + 18);
    if (ef->cls == ELF_CLASS32) {
        ef->entry = rd32(b + 24);
        ef->phoff = rd32(b + 28);
        ef->shoff = rd32(b + 32);
        ef->phentsize = rd16(b + 42);
        ef->phnum = rd16(b + 44);
        ef->shentsize = rd16(b + 46);
        ef->shnum = rd16(b + 48);
    } else {
        ef->entry = rd64(b + 24);
        ef->phoff = rd64(b + 32);
        ef->shoff = rd64(b + 40);
        ef->phentsize = rd16(b + 54);
        ef->phnum = rd16(b + 56);
        ef->shentsize = rd16(b + 58);
        ef->shnum = rd16(b + 60);
    }
}

static int elf_check_tables(const struct elf_file *ef)
{
    bool c32 = ef->cls == ELF_CLASS32;

    if (ef->phnum > ELF_MAX_PHNUM)
        return elf_bad(ef, "too many program headers");
    if (ef->phnum && ef->phentsize < (c32 ? PHDR32_SIZE : PHDR64_SIZE))
        return elf_bad(ef, "program header entry size too small");
    if (!table_in_file(ef->phoff, ef->phnum, ef->phentsize, ef->len))
        return elf_bad(ef, "program header table lies outside the file");
    if (ef->shnum > ELF_MAX_SHNUM)
        return elf_bad(ef, "too many section headers");
    if (ef->shnum && ef->shentsize < (c32 ? SHDR32_SIZE : SHDR64_SIZE))
        return elf_bad(ef, "section header entry size too small");
    if (ef->shnum && !table_in_file(ef->shoff, ef->shnum, ef->shentsize, ef->len))
        return elf_bad(ef, "section header table lies outside the file");
    return 0;
}

int elf_parse(struct elf_file *ef, const uint8_t *buf, size_t len, const char *name)
{
    memset(ef, 0, sizeof(*ef));
    ef->buf = buf;
    ef->len = len;
    ef->name = name ? name : "image";
    if (len < EI_NIDENT || !elf_is_elf(buf, len))
        return elf_bad(ef, "not an ELF file");
    ef->cls = buf[EI_CLASS];
    if (ef->cls != ELF_CLASS32 && ef->cls != ELF_CLASS64)
        return elf_bad(ef, "unknown ELF class");
    if (buf[EI_DATA] != ELF_DATA_LSB)
        return elf_bad(ef, "not a little-endian ELF");
    if (buf[EI_VERSION] != EV_CURRENT)
        return elf_bad(ef, "unknown ELF version");
    if (len < (ef->cls == ELF_CLASS32 ? EHDR32_SIZE : EHDR64_SIZE))
        return elf_bad(ef, "truncated ELF header");
    elf_read_ehdr(ef);
    return elf_check_tables(ef);
}

void elf_phdr(const struct elf_file *ef, unsigned i, struct elf_phdr *ph)
{
    const uint8_t *p = ef->buf + ef->phoff + (uint64_t)i * ef->phentsize;

    if (ef->cls == ELF_CLASS32) {
        *ph = (struct elf_phdr){
            .type = rd32(p), .offset = rd32(p + 4), .vaddr = rd32(p + 8),
            .paddr = rd32(p + 12), .filesz = rd32(p + 16), .memsz = rd32(p + 20),
            .flags = rd32(p + 24), .align = rd32(p + 28),
        };
    } else {
        *ph = (struct elf_phdr){
            .type = rd32(p), .flags = rd32(p + 4), .offset = rd64(p + 8),
            .vaddr = rd64(p + 16), .paddr = rd64(p + 24), .filesz = rd64(p + 32),
            .memsz = rd64(p + 40), .align = rd64(p + 48),
        };
    }
}

void elf_shdr(const struct elf_file *ef, unsigned i, struct elf_shdr *sh)
{
    const uint8_t *p = ef->buf + ef->shoff + (uint64_t)i * ef->shentsize;

    if (ef->cls == ELF_CLASS32) {
        *sh = (struct elf_shdr){
            .name = rd32(p), .type = rd32(p + 4), .flags = rd32(p + 8),
            .addr = rd32(p + 12), .offset = rd32(p + 16), .size = rd32(p + 20),
            .link = rd32(p + 24), .info = rd32(p + 28), .addralign = rd32(p + 32),
            .entsize = rd32(p + 36),
        };
    } else {
        *sh = (struct elf_shdr){
            .name = rd32(p), .type = rd32(p + 4), .flags = rd64(p + 8),
            .addr = rd64(p + 16), .offset = rd64(p + 24), .size = rd64(p + 32),
            .link = rd32(p + 40), .info = rd32(p + 44), .addralign = rd64(p + 48),
            .entsize = rd64(p + 56),
        };
    }
}

/* [off, off + size) lies inside the file. */
static bool range_in_file(const struct elf_file *ef, uint64_t off, uint64_t size)
{
    return off <= ef->len && size <= ef->len - off;
}

struct elf_sym {
    uint32_t name;
    uint8_t info;
    uint16_t shndx;
    uint64_t value, size;
};

static void elf_sym_read(const struct elf_file *ef, const uint8_t *p, struct elf_sym *s)
{
    if (ef->cls == ELF_CLASS32) {
        *s = (struct elf_sym){ .name = rd32(p), .value = rd32(p + 4),
                               .size = rd32(p + 8), .info = p[12],
                               .shndx = rd16(p + 14) };
    } else {
        *s = (struct elf_sym){ .name = rd32(p), .info = p[4], .shndx = rd16(p + 6),
                               .value = rd64(p + 8), .size = rd64(p + 16) };
    }
}

static bool elf_sym_wanted(const struct elf_sym *s)
{
    unsigned type = s->info & 0xF;   /* ELF32_ST_TYPE */

    if (s->name == 0 || s->shndx == ELF_SHN_UNDEF)
        return false;
    return type == ELF_STT_FUNC || type == ELF_STT_OBJECT || type == ELF_STT_NOTYPE;
}

/* Symbols of symbol table section @sh, names from string table @str. */
static int elf_symtab_section(const struct elf_file *ef, const struct elf_shdr *sh,
                              const struct elf_shdr *str, struct symtab *t)
{
    uint64_t entsize = ef->cls == ELF_CLASS32 ? SYM32_SIZE : SYM64_SIZE;
    const char *strtab = (const char *)ef->buf + str->offset;
    int added = 0;

    if (!range_in_file(ef, sh->offset, sh->size) ||
        !range_in_file(ef, str->offset, str->size))
        return elf_bad(ef, "symbol or string table lies outside the file");
    if (sh->entsize != entsize)
        return elf_bad(ef, "symbol table entry size does not match the class");
    for (uint64_t off = 0; off + entsize <= sh->size; off += entsize) {
        struct elf_sym s;
        elf_sym_read(ef, ef->buf + sh->offset + off, &s);
        if (!elf_sym_wanted(&s))
            continue;
        if (s.name >= str->size ||
            !memchr(strtab + s.name, '\0', str->size - s.name))
            return elf_bad(ef, "symbol name lies outside its string table");
        int err = symtab_add(t, strtab + s.name, s.value, s.size);
        if (err < 0)
            return err;
        added++;
    }
    return added;
}

int elf_load_symbols(const struct elf_file *ef, struct symtab *t)
{
    int added = 0;

    for (unsigned i = 0; i < ef->shnum; i++) {
        struct elf_shdr sh, str;
        elf_shdr(ef, i, &sh);
        if (sh.type != ELF_SHT_SYMTAB)
            continue;
        if (sh.link >= ef->shnum)
            return elf_bad(ef, "symbol table links to a missing string table");
        elf_shdr(ef, sh.link, &str);
        int n = elf_symtab_section(ef, &sh, &str, t);
        if (n < 0)
            return n;
        added += n;
    }
    symtab_sort(t);
    return added;
}
