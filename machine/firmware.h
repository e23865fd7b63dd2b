/* firmware.h - vmscope's PC firmware: the ROM (machine/firmware/bios.S),
 * the tables a BIOS leaves in memory, and the services behind its traps.
 *
 * firmware_install() puts the ROM at 0xF0000, fills the interrupt vector
 * table, the BIOS data area (0x400) and the EBDA header (0x9FC00), clears
 * the text screen.  The ROM's entries trap to vmscope through the
 * hypercall port PORT_FWCALL (a 32-bit OUT of the physical address of the
 * register frame on the caller's stack: see bios.S); the firmware device
 * answers int 10h (video), 11h, 12h, 13h (disk: CHS and EDD extensions),
 * 15h (E820, E801, 88h, A20, C0h, 87h), 16h (keyboard), 18h, 19h, 1Ah
 * (ticks, RTC) and the keyboard IRQ (int 09h) on behalf of the guest.
 * Register conventions follow Ralf Brown's Interrupt List; where BIOSes
 * differ, SeaBIOS's choice (docs/PC.md lists every service).
 *
 * Every frame, pointer and count the guest supplies is checked; a bad one
 * fails the call (CF=1) and never touches memory outside guest RAM.
 */
#ifndef VMS_FIRMWARE_H
#define VMS_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ata.h"
#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "gmem.h"
#include "i8042.h"
#include "memmap.h"
#include "rtc.h"
#include "vga.h"
#include "x86.h"

/* The ROM image, linked into libvms.a (machine/firmware/rom.S). */
extern const uint8_t vms_bios_rom[], vms_bios_rom_end[];

#define FW_ROM_MAGIC   "VMSBIOS1"
#define FW_WAIT        0x8000u   /* vector word: HLT, then trap again */
#define FW_COPY        0x4000u   /* vector word: copy per the mailbox, trap again */
#define FW_VEC_MASK    0x00FFu
#define FW_BOUNCE_OFF  0x1000u   /* bounce buffer inside MM_FW_DATA */
#define FW_BOUNCE_SECTORS ((MM_FW_DATA_SIZE - FW_BOUNCE_OFF) / 512u)
#define FW_BOOT_MAGIC  0xAA55u   /* int 19h: AX when the boot sector loaded */

/* The register frame the ROM pushes (bios.S): PUSHAD, ES, DS, the return
 * address into the stub, the vector word, then the INT's IP, CS, FLAGS. */
struct fw_frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint16_t es, ds, ret, vec, ip, cs, flags;
};
#define FW_FRAME_SIZE 46u   /* bytes the ROM pushes (sizeof adds padding) */
_Static_assert(offsetof(struct fw_frame, vec) == 38, "bios.S FRAME_VEC");
_Static_assert(offsetof(struct fw_frame, flags) == FW_FRAME_SIZE - 2, "frame layout");

/* The copy mailbox at MM_FW_DATA (bios.S: MB_SRC, MB_DST, MB_COUNT). */
struct fw_mailbox {
    uint16_t src_off, src_seg, dst_off, dst_seg, count;
};

/* A disk transfer that takes several traps (chunks through the bounce
 * buffer). */
struct fw_xfer {
    bool active;
    uint32_t frame;          /* physical address of its frame */
    uint8_t vector, ah;
    bool write;
    unsigned unit;
    uint64_t lba;            /* next sector */
    unsigned done, total;    /* sectors */
    unsigned chunk;          /* sectors in the copy under way */
    uint32_t buf;            /* guest physical address of the caller's buffer */
    uint32_t dap;            /* int 13h AH=42h/43h: the DAP to update, or 0 */
};

struct firmware {
    struct dev_ctx ctx;
    struct gmem *mem;
    struct ata *ata;          /* may be NULL: no disks */
    struct vga *vga;          /* may be NULL */
    struct i8042 *kbd;        /* may be NULL */
    struct rtc *rtc;          /* may be NULL */
    unsigned ncpus;
    /* The guest ended the boot (int 18h, int 19h with no bootable disk). */
    void (*stop)(void *opaque, const char *why);
    void *stop_opaque;
    struct fw_xfer xfer;
    bool kbd_e0;              /* the last scan code was the 0xE0 prefix */
    uint64_t calls;           /* traps served */
};

/* Set up @fw; any device pointer may be NULL. */
int firmware_init(struct firmware *fw, const struct dev_ctx *ctx, struct gmem *mem,
                  struct ata *ata, struct vga *vga, struct i8042 *kbd, struct rtc *rtc)
    VMS_MUST_CHECK;
/* Map the hypercall port. */
int firmware_attach(struct firmware *fw, struct bus *b) VMS_MUST_CHECK;

/* Put the ROM, the IVT, the BDA, the EBDA header into guest RAM and clear
 * the text screen.  -VMS_ERR_RANGE when RAM ends below 1 MiB,
 * -VMS_ERR_BADIMAGE when the built ROM does not match memmap.h. */
int firmware_install(struct firmware *fw) VMS_MUST_CHECK;

/* Disks were attached after firmware_install(): update the BDA count. */
void firmware_disks_changed(struct firmware *fw);

/* What a BIOS's POST leaves in the devices, done as port writes on @b
 * (device events, no vCPU): the 8259 masks SeaBIOS leaves (master 0xB8:
 * IRQ 0, 1, 2, 6 open; slave 0x8E: IRQ 8, 12, 13, 14 open) and, with
 * @start_pit, PIT counter 0 at 18.2 Hz (mode 3, count 65536) for the BIOS
 * tick count.  Without the PIT a guest that halts with nothing to wake
 * it still ends (status 12). */
void firmware_post(struct firmware *fw, struct bus *b, bool start_pit);

/* Boot from disk 0 as a BIOS would: load its sector 0 at 0x7C00 (checking
 * 0x55 0xAA) and give the boot vCPU the state a boot sector expects
 * (loader.h "boot sector").  -VMS_ERR_NOTFOUND without a disk,
 * -VMS_ERR_BADIMAGE without the signature (one-line detail). */
int firmware_boot_disk(struct firmware *fw, struct cpu_state *cpu) VMS_MUST_CHECK;

/* Serve one trap: the frame at guest-physical @frame (what the ROM wrote
 * to the port).  Exposed for the unit tests. */
void firmware_call(struct firmware *fw, uint64_t frame);

/* The memory map int 15h E820h reports for @ram bytes: entry @i (false
 * past the end). */
bool firmware_e820(uint64_t ram, unsigned i, uint64_t *base, uint64_t *len, uint32_t *type);

#endif
