/* loader.h - put a guest image into guest RAM and give the boot vCPU the
 * state that image expects at its first instruction.
 *
 * Kinds (detected from the content unless a flat binary is requested):
 *   ELF32 with a multiboot v1 header in its first 8192 bytes -> multiboot
 *   ELF64 for x86-64                                         -> elf64
 *   a non-ELF file with a multiboot header with address fields
 *     (flags bit 16, the "a.out kludge")                     -> multiboot
 *   >= 512 bytes ending sector 0 with 0x55 0xAA               -> boot sector
 *     (larger files are disk images: only sector 0 is loaded)
 *   load_opts.flat / flat32 with load_addr                   -> flat binary
 * The file is hostile: every offset, size, count and address in it is
 * bounds-checked; a bad file gives -VMS_ERR_BADIMAGE with a one-line
 * "path: reason" detail (vms_lasterr()), and guest RAM is only written once
 * the whole image has been checked.
 *
 * Entry states (docs/LOADERS.md has them register by register):
 *   boot sector  real mode, CS:IP 0000:7C00, DL 0x80, SP 0x6F04, other GPRs
 *                0, segments 0, CR0 0x10 (ET), EFLAGS 0x2, IDTR 0/0x3FF,
 *                GDTR 0/0.  Nothing is written outside 0x7C00-0x7DFF.
 *   flat         real mode, CS = DS = ES = FS = GS = SS = load_addr >> 4,
 *                IP 0, SP 0 (load_addr < 1 MiB and 16-byte aligned), or,
 *                with flat32, the multiboot segment state below with
 *                EIP = load_addr, ESP = LOADER_STACK_TOP, other GPRs 0.
 *   multiboot    Multiboot 0.6.96 section 3.2: EAX 0x2BADB002, EBX = info
 *                (LOADER_MBI_ADDR), CS 0x08 flat 32-bit code, DS/ES/FS/GS/SS
 *                0x10 flat data, CR0 0x11 (PE|ET), EFLAGS 0x2, GDTR at
 *                LOADER_GDT_ADDR, IDTR 0/0x3FF, ESP 0x6F08 (what QEMU 7.2 +
 *                SeaBIOS 1.16 leave), other GPRs 0.
 *   elf64        long mode, 64-bit: CS 0x18, DS/ES/FS/GS/SS 0x10, CR0
 *                0x80010011 (PG|WP|ET|PE), CR4 0x20 (PAE), EFER 0x500
 *                (LME|LMA), CR3 = LOADER_PML4_ADDR (identity map of 0-4 GiB
 *                with 2 MiB pages), RIP = entry, RSP = LOADER_STACK_TOP,
 *                RDI = RBX = info block (as multiboot), RSI = RAX =
 *                0x2BADB002, EFLAGS 0x2, IDTR 0/0.
 */
#ifndef VMS_LOADER_H
#define VMS_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gmem.h"
#include "memmap.h"
#include "symtab.h"
#include "x86.h"

enum image_kind {
    IMAGE_NONE,
    IMAGE_BOOTSECTOR,   /* a 512-byte boot sector, or sector 0 of a disk */
    IMAGE_FLAT,         /* a flat binary at an address given by the user */
    IMAGE_MULTIBOOT,    /* multiboot v1 (ELF32 or a.out kludge) */
    IMAGE_ELF64,        /* x86-64 ELF started in long mode */
};

/* ---- the boot information area (MM_BOOTINFO_BASE, memmap.h) ----
 * Written for multiboot, elf64 and flat32 images; no segment may overlap
 * [MM_BOOTINFO_BASE, MM_BOOTINFO_BASE + MM_BOOTINFO_SIZE). */
#define LOADER_GDT_ADDR     (MM_BOOTINFO_BASE + 0x0000u) /* 4 descriptors */
#define LOADER_MBI_ADDR     (MM_BOOTINFO_BASE + 0x0100u) /* multiboot info */
#define LOADER_MMAP_ADDR    (MM_BOOTINFO_BASE + 0x0200u) /* its memory map */
#define LOADER_NAME_ADDR    (MM_BOOTINFO_BASE + 0x0300u) /* "vmscope" */
#define LOADER_CMDLINE_ADDR (MM_BOOTINFO_BASE + 0x0400u)
#define LOADER_CMDLINE_MAX  0x0C00u  /* bytes, with the NUL */
#define LOADER_PML4_ADDR    (MM_BOOTINFO_BASE + 0x1000u) /* elf64 only */
#define LOADER_PDPT_ADDR    (MM_BOOTINFO_BASE + 0x2000u)
#define LOADER_PD_ADDR      (MM_BOOTINFO_BASE + 0x3000u) /* 4 pages: 0-4 GiB */
#define LOADER_STACK_TOP    (MM_BOOTINFO_BASE + MM_BOOTINFO_SIZE) /* 0x9F000 */

/* GDT selectors (the first two are the ones QEMU's multiboot ROM uses). */
#define LOADER_SEL_CODE32   0x08u  /* base 0, limit 4 GiB, 32-bit code */
#define LOADER_SEL_DATA     0x10u  /* base 0, limit 4 GiB, read/write data */
#define LOADER_SEL_CODE64   0x18u  /* 64-bit code (L=1) */
#define LOADER_GDT_ENTRIES  4u

#define LOADER_BOOT_SP      0x6F04u /* SeaBIOS's SP at the boot sector */
#define LOADER_MB_ESP       0x6F08u /* QEMU's ESP at a multiboot entry */
#define LOADER_BOOT_DRIVE   0x80u   /* DL: first hard disk */
#define MULTIBOOT_HDR_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOT_MAGIC 0x2BADB002u /* in EAX at the entry */

/* Files larger than this are only examined as disk images (sector 0). */
#define LOADER_MAX_FILE     (256u << 20)

/* A multiboot module (GRUB's "module FILE ARGS", QEMU's -initrd): bytes
 * the loader places in guest RAM, page-aligned above the kernel, and its
 * string, by convention the file name and its arguments. */
#define LOADER_MAX_MODULES 16u
#define LOADER_MODULE_STRING_MAX 1024u    /* bytes, with the NUL */
struct loader_module {
    uint8_t *buf;          /* owned when read by loader_module_read() */
    size_t len;
    const char *string;    /* borrowed */
};

/* Read the module @spec names ("FILE" or "FILE ARGS"; all of @spec is its
 * string).  0, or -VMS_ERR_IO / -VMS_ERR_INVAL with one line naming the
 * file.  Free with loader_module_fini(). */
int loader_module_read(const char *spec, struct loader_module *m) VMS_MUST_CHECK;
void loader_module_fini(struct loader_module *m);

struct load_opts {
    uint64_t load_addr;   /* flat binaries: where to load */
    bool flat;            /* load a flat binary (no detection) */
    bool flat32;          /* flat binary entered in 32-bit protected mode
                             (implies flat) */
    const char *cmdline;  /* multiboot/elf64 command line as it is; NULL: */
    const char *args;     /* the file name, then " " and these when not NULL */
    const struct loader_module *mods;   /* multiboot/elf64 modules */
    unsigned nmods;
};

struct load_result {
    enum image_kind kind;
    struct cpu_state cpu;   /* the boot vCPU's state at the entry */
    struct symtab syms;     /* owned: free with load_result_fini() */
    uint64_t entry;         /* guest-physical address of the first instruction */
    uint64_t bootinfo;      /* multiboot info address, 0 when none */
    uint64_t lo, hi;        /* guest-physical [lo, hi) spanned by the image */
    unsigned nsegs;         /* segments loaded */
    char desc[128];         /* "multiboot ELF32, entry 0x100010, 3 segments" */
};

/* Read the file @path and load it into @mem (opts may be NULL: detect).
 * On success fills @out (call load_result_fini() later).  Symbols: when
 * the sibling nm listing (path with its extension replaced by ".sym")
 * exists and has symbols, they are used, for every kind of image (the
 * build writes it from the final link, e.g. the 64-bit link of an
 * objcopy'd ELF32); otherwise an ELF's own .symtab.  On failure @out holds no
 * resources.  -VMS_ERR_BADIMAGE, -VMS_ERR_IO, -VMS_ERR_INVAL (options),
 * -VMS_ERR_NOMEM. */
int loader_load(struct gmem *mem, const char *path, const struct load_opts *opts,
                struct load_result *out) VMS_MUST_CHECK;

/* The same for an image already in memory (@buf, @len bytes; borrowed);
 * @name names it in messages and is the default command line.  No sibling
 * .sym file is read. */
int loader_load_buf(struct gmem *mem, const char *name, const uint8_t *buf,
                    size_t len, const struct load_opts *opts,
                    struct load_result *out) VMS_MUST_CHECK;

/* loader_load() with the modules @specs name ("FILE [ARGS]" each, read
 * here and freed again), added to @opts (may be NULL). */
int loader_load_modules(struct gmem *mem, const char *path, const struct load_opts *opts,
                        const char *const *specs, unsigned nspecs,
                        struct load_result *out) VMS_MUST_CHECK;

/* Free what a load_result owns.  NULL is a no-op. */
void load_result_fini(struct load_result *r);

/* "bootsector", "flat", "multiboot", "elf64" ("none" for IMAGE_NONE). */
const char *image_kind_name(enum image_kind k);

/* The sibling symbol file of @path ("dir/boot.bin" -> "dir/boot.sym") into
 * @buf; -VMS_ERR_RANGE when it does not fit. */
int loader_sym_path(const char *path, char *buf, size_t size) VMS_MUST_CHECK;

#endif
