/* ata.h - the primary ATA channel: PIO disks at 0x1F0-0x1F7 and 0x3F6, IRQ 14.
 *
 * Follows ATA/ATAPI-6 (T13/1410D): the command block registers (7.1-7.16),
 * the device control register (7.9), the PIO data-in and data-out protocols
 * (9.7, 9.8), the non-data protocol (9.9), software reset (9.2) and
 * IDENTIFY DEVICE (8.15).  Up to two devices (master = 0, slave = 1), each
 * backed by a raw image file of whole 512-byte sectors.
 *
 * Commands: READ SECTORS (0x20/0x21), WRITE SECTORS (0x30/0x31), READ
 * VERIFY (0x40/0x41), IDENTIFY DEVICE (0xEC), FLUSH CACHE (0xE7, and 0xEA),
 * EXECUTE DEVICE DIAGNOSTIC (0x90), INITIALIZE DEVICE PARAMETERS (0x91),
 * RECALIBRATE (0x1x), SEEK (0x7x), SET FEATURES (0xEF), power commands
 * (0xE0-0xE5).  Anything else (IDENTIFY PACKET DEVICE, LBA48, DMA,
 * READ/WRITE MULTIPLE) is aborted: status ERR, error ABRT.  Addresses are
 * LBA28 (device register bit 6) or CHS with the current geometry; a sector
 * count of 0 means 256.  A sector beyond the image ends the command with
 * status ERR and error IDNF (nothing is read or written) and tells the
 * user once per disk through @notice.
 *
 * Timing: commands complete at once (the guest never sees BSY except
 * while SRST is held).  INTRQ is asserted (IRQ 14, unless nIEN) when a
 * sector is ready to read, after each sector is written, and at the end of
 * a non-data command; reading the status register deasserts it, reading
 * the alternate status does not.  A device that is not present reads 0 in
 * every register and ignores commands (as QEMU's IDE does), so drivers
 * that probe for a slave find none.
 *
 * Writes reach the file at once with pwrite(); FLUSH CACHE and
 * ata_destroy() fsync it.  A snapshot disk (ATA_SNAPSHOT) keeps writes in
 * memory (copy-on-write in 32 KiB chunks): the file is never written.  A
 * read-only file is opened read-only; guest writes then fail with ABRT.
 */
#ifndef VMS_ATA_H
#define VMS_ATA_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "irq.h"

#define ATA_SECTOR        512u
#define ATA_DRIVES        2u          /* master, slave */
#define ATA_NREGS         8u          /* command block 0x1F0-0x1F7 */
#define ATA_LBA28_MAX     0x0FFFFFFFu /* highest LBA28 sector count */
#define ATA_CHUNK_SECTORS 64u         /* snapshot copy-on-write unit */

/* Command block register offsets (ATA-6 7.1: CS0-, DA2-DA0). */
enum ata_reg {
    ATA_REG_DATA = 0, ATA_REG_ERROR = 1, ATA_REG_FEATURES = 1,
    ATA_REG_NSECT = 2, ATA_REG_LBAL = 3, ATA_REG_LBAM = 4, ATA_REG_LBAH = 5,
    ATA_REG_DEVICE = 6, ATA_REG_STATUS = 7, ATA_REG_COMMAND = 7,
};

/* Status register (ATA-6 7.15). */
#define ATA_SR_ERR   0x01u  /* the command ended with an error */
#define ATA_SR_DRQ   0x08u  /* data request: the data register wants a word */
#define ATA_SR_DSC   0x10u  /* seek complete (obsolete, still polled by drivers) */
#define ATA_SR_DF    0x20u  /* device fault */
#define ATA_SR_DRDY  0x40u  /* device ready to accept commands */
#define ATA_SR_BSY   0x80u  /* busy: no other bit is valid */

/* Error register (ATA-6 7.11 and each command's "error outputs"). */
#define ATA_ER_AMNF  0x01u  /* address mark not found; after reset: diag code */
#define ATA_ER_ABRT  0x04u  /* command aborted */
#define ATA_ER_IDNF  0x10u  /* sector (address) not found */
#define ATA_ER_UNC   0x40u  /* uncorrectable data error */

/* Device register (ATA-6 7.10). */
#define ATA_DEV_HEAD  0x0Fu /* CHS head, or LBA bits 27:24 */
#define ATA_DEV_DEV   0x10u /* device select: 1 = slave */
#define ATA_DEV_LBA   0x40u /* the address is an LBA */
#define ATA_DEV_OBS   0xA0u /* obsolete bits, traditionally set */

/* Device control register at 0x3F6 (ATA-6 7.9). */
#define ATA_DC_NIEN  0x02u  /* INTRQ disabled */
#define ATA_DC_SRST  0x04u  /* software reset of both devices */
#define ATA_DC_HOB   0x80u  /* high order byte (LBA48; read back only) */

/* Commands (ATA-6 ch. 8). */
#define ATA_CMD_READ         0x20u
#define ATA_CMD_READ_NR      0x21u
#define ATA_CMD_WRITE        0x30u
#define ATA_CMD_WRITE_NR     0x31u
#define ATA_CMD_VERIFY       0x40u
#define ATA_CMD_VERIFY_NR    0x41u
#define ATA_CMD_DIAGNOSTIC   0x90u
#define ATA_CMD_INIT_PARAMS  0x91u
#define ATA_CMD_IDENTIFY     0xECu
#define ATA_CMD_FLUSH        0xE7u
#define ATA_CMD_FLUSH_EXT    0xEAu
#define ATA_CMD_SET_FEATURES 0xEFu

/* Open flags for ata_open_disk(). */
#define ATA_SNAPSHOT 0x1u   /* keep writes in memory, never write the file */
#define ATA_READONLY 0x2u   /* open read-only: guest writes are aborted */

/* One device: its image and its own status and error registers. */
struct ata_drive {
    bool present;
    int fd;                   /* -1 when absent */
    bool readonly;            /* opened read-only: writes are aborted */
    bool snapshot;            /* writes stay in @cow */
    bool dirty;               /* written since the last fsync */
    bool warned;              /* the out-of-range notice was given */
    uint64_t sectors;         /* image size / 512 */
    uint16_t cyls, heads, spt;        /* default geometry (IDENTIFY 1/3/6) */
    uint16_t cur_heads, cur_spt;      /* INITIALIZE DEVICE PARAMETERS */
    uint8_t **cow;            /* snapshot chunks, NULL until written */
    uint64_t nchunks;
    char path[256];
    uint8_t status, error;
};

struct ata {
    char name[16];                 /* "ata0": events and bus range */
    struct dev_ctx ctx;            /* copy; ev and clock may be NULL */
    struct irq_line irq;
    /* One line for the user about a disk (missing sector, I/O error). */
    void (*notice)(void *opaque, const char *line);
    void *notice_opaque;
    struct ata_drive drive[ATA_DRIVES];
    /* the register file shared by both devices (ATA-6 5.2.10) */
    uint8_t features, nsect, lbal, lbam, lbah, device, devctl;
    /* the command in progress */
    uint8_t cmd;
    uint64_t lba;                  /* next sector to transfer */
    unsigned remaining;            /* sectors still to transfer */
    bool data_out;                 /* the host writes the buffer */
    uint8_t buf[ATA_SECTOR];
    unsigned pos, len;             /* data register position, bytes valid */
    bool intrq;                    /* INTRQ asserted (before nIEN) */
    bool irq_level;                /* level last driven on @irq */
};

/* Reset @a with no devices.  @ctx is copied (may be NULL).
 * -VMS_ERR_INVAL for NULL @a. */
int ata_init(struct ata *a, const char *name, const struct dev_ctx *ctx,
             struct irq_line irq) VMS_MUST_CHECK;
/* Attach image @path as device @unit (0 master, 1 slave).  A file that
 * cannot be written is opened read-only.  -VMS_ERR_IO (missing,
 * unreadable), -VMS_ERR_BADIMAGE (empty, not whole sectors),
 * -VMS_ERR_BUSY (locked by another VM or program), with a one-line
 * "path: reason" detail (vms_lasterr()). */
int ata_open_disk(struct ata *a, unsigned unit, const char *path, unsigned flags)
    VMS_MUST_CHECK;
/* Map 0x1F0-0x1F7 and 0x3F6 (BUS_PIO). */
int ata_attach(struct ata *a, struct bus *b) VMS_MUST_CHECK;
/* fsync and close the images.  @a may be NULL.  Does not unmap. */
void ata_destroy(struct ata *a);

/* fsync every written image; -VMS_ERR_IO when one fails. */
int ata_flush(struct ata *a) VMS_MUST_CHECK;

/* Direct sector access for the firmware (int 13h): @count sectors from
 * @lba of device @unit.  -VMS_ERR_NOTFOUND (no device), -VMS_ERR_RANGE
 * (beyond the image), -VMS_ERR_IO (read-only image or host I/O error). */
int ata_disk_read(struct ata *a, unsigned unit, uint64_t lba, unsigned count, void *buf)
    VMS_MUST_CHECK;
int ata_disk_write(struct ata *a, unsigned unit, uint64_t lba, unsigned count,
                   const void *buf) VMS_MUST_CHECK;
/* Sectors of device @unit (0: absent). */
uint64_t ata_disk_sectors(const struct ata *a, unsigned unit);

/* The 256 IDENTIFY DEVICE words of device @unit (ATA-6 8.15.8). */
void ata_identify_words(const struct ata_drive *d, unsigned unit, uint16_t w[256]);

/* Register values as the guest would read them, without side effects
 * (for the device view). */
uint8_t ata_peek_status(const struct ata *a);

#endif
