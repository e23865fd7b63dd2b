/* elf.h - bounds-checked reading of ELF32 and ELF64 files (little endian).
 *
 * The file is hostile: elf_parse() checks the identification, the header
 * and that the program header table lies inside the buffer; elf_phdr() and
 * elf_shdr() return headers only from tables that lie inside it; sizes are
 * widened to 64 bits so ELF32 and ELF64 share one representation.  Nothing
 * here checks where segments go in guest memory: that is the loader's job.
 * The buffer is borrowed, never copied or freed.
 * Reference: System V ABI, "Object Files" (ELF header, program and section
 * headers, symbol table).
 */
#ifndef VMS_ELF_H
#define VMS_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "symtab.h"

#define ELF_CLASS32 1u   /* e_ident[EI_CLASS] */
#define ELF_CLASS64 2u
#define ELF_DATA_LSB 1u  /* e_ident[EI_DATA]: little endian */
#define ELF_ET_EXEC 2u   /* e_type: executable */
#define ELF_EM_386 3u    /* e_machine */
#define ELF_EM_X86_64 62u
#define ELF_PT_LOAD 1u   /* p_type: loadable segment */
#define ELF_SHT_SYMTAB 2u
#define ELF_STT_NOTYPE 0u
#define ELF_STT_OBJECT 1u
#define ELF_STT_FUNC 2u
#define ELF_SHN_UNDEF 0u

/* Caps that keep hostile tables cheap to walk. */
#define ELF_MAX_PHNUM 256u
#define ELF_MAX_SHNUM 4096u

struct elf_file {
    const uint8_t *buf;     /* borrowed */
    size_t len;
    const char *name;       /* for messages (borrowed) */
    unsigned cls;           /* ELF_CLASS32 or ELF_CLASS64 */
    uint16_t type, machine;
    uint64_t entry;
    uint64_t phoff, shoff;
    uint16_t phentsize, phnum;
    uint16_t shentsize, shnum;
};

struct elf_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf_shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};

/* True when @buf starts with the ELF magic. */
bool elf_is_elf(const uint8_t *buf, size_t len);

/* Check the header of @buf (@name names it in messages) and fill @ef.
 * Refuses: short file, bad magic/class/data/version, header sizes that do
 * not match the class, a program header table outside the file or with more
 * than ELF_MAX_PHNUM entries, a section header table outside the file (a
 * file with e_shnum == 0 simply has no sections).  -VMS_ERR_BADIMAGE with a
 * "name: reason" detail. */
int elf_parse(struct elf_file *ef, const uint8_t *buf, size_t len,
              const char *name) VMS_MUST_CHECK;

/* Program header @i (< phnum), read from inside the checked table. */
void elf_phdr(const struct elf_file *ef, unsigned i, struct elf_phdr *ph);
/* Section header @i (< shnum), read from inside the checked table. */
void elf_shdr(const struct elf_file *ef, unsigned i, struct elf_shdr *sh);

/* Add the named STT_FUNC, STT_OBJECT and STT_NOTYPE symbols of every
 * SHT_SYMTAB section (names from its sh_link string table) to @t, with
 * their st_value (virtual address) and st_size, then sort @t.  Undefined
 * symbols are skipped.  A symbol or string table outside the file, or a
 * name outside its string table, is -VMS_ERR_BADIMAGE.  Returns the number
 * of symbols added. */
int elf_load_symbols(const struct elf_file *ef, struct symtab *t) VMS_MUST_CHECK;

#endif
