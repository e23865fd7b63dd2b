/* ata.c - primary ATA channel, PIO only (see ata.h; ATA/ATAPI-6). */
#include "ata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memmap.h"

#define CHUNK_BYTES ((uint64_t)ATA_CHUNK_SECTORS * ATA_SECTOR)
#define STATUS_IDLE (ATA_SR_DRDY | ATA_SR_DSC)  /* ready, seek complete */
/* QEMU's geometry guess for a disk without a partition table
 * (hw/block/hd-geometry.c guess_chs_for_size): 16 heads, 63 sectors. */
#define GEOM_HEADS 16u
#define GEOM_SPT   63u
#define GEOM_MAX_CYLS 16383u
#define GEOM_MIN_CYLS 2u

static void ata_ev(const struct ata *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ata_ev(const struct ata *a, const char *fmt, ...)
{
    va_list ap;

    if (!ev_wants(a->ctx.ev, EV_DEVICE))
        return;
    va_start(ap, fmt);
    dev_eventv(&a->ctx, a->name, fmt, ap);
    va_end(ap);
}

static void ata_notice(struct ata *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ata_notice(struct ata *a, const char *fmt, ...)
{
    char line[320];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (a->notice)
        a->notice(a->notice_opaque, line);
}

static unsigned cur_unit(const struct ata *a) { return (a->device & ATA_DEV_DEV) ? 1 : 0; }
static struct ata_drive *cur(struct ata *a) { return &a->drive[cur_unit(a)]; }

/* ---- INTRQ (ATA-6 5.2.9: asserted unless nIEN; cleared by a status read) ---- */

static void update_irq(struct ata *a)
{
    bool level = a->intrq && !(a->devctl & ATA_DC_NIEN);

    if (level != a->irq_level) {
        a->irq_level = level;
        irq_set(&a->irq, level);
    }
}

static void raise_intrq(struct ata *a)
{
    a->intrq = true;
    update_irq(a);
}

/* ---- the image ---- */

static int image_pread(struct ata_drive *d, uint64_t lba, uint8_t *buf, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        uint64_t s = lba + i, c = s / ATA_CHUNK_SECTORS;
        uint8_t *dst = buf + (size_t)i * ATA_SECTOR;
        if (d->cow && d->cow[c]) {
            memcpy(dst, d->cow[c] + (s % ATA_CHUNK_SECTORS) * ATA_SECTOR, ATA_SECTOR);
            continue;
        }
        ssize_t n = pread(d->fd, dst, ATA_SECTOR, (off_t)(s * ATA_SECTOR));
        if (n < 0)
            return -VMS_ERR_IO;
        if ((size_t)n < ATA_SECTOR)         /* file shrank under us */
            memset(dst + n, 0, ATA_SECTOR - (size_t)n);
    }
    return 0;
}

/* A snapshot chunk, copied from the file on first write. */
static uint8_t *cow_chunk(struct ata_drive *d, uint64_t c)
{
    if (d->cow[c])
        return d->cow[c];
    uint8_t *p = malloc(CHUNK_BYTES);
    if (!p)
        return NULL;
    uint64_t first = c * ATA_CHUNK_SECTORS;
    uint64_t n = d->sectors - first < ATA_CHUNK_SECTORS ? d->sectors - first : ATA_CHUNK_SECTORS;
    memset(p, 0, CHUNK_BYTES);
    if (image_pread(d, first, p, (unsigned)n) < 0) {
        free(p);
        return NULL;
    }
    d->cow[c] = p;
    return p;
}

static int image_pwrite(struct ata_drive *d, uint64_t lba, const uint8_t *buf, unsigned count)
{
    if (d->readonly)
        return -VMS_ERR_IO;
    if (d->snapshot) {
        for (unsigned i = 0; i < count; i++) {
            uint64_t s = lba + i;
            uint8_t *chunk = cow_chunk(d, s / ATA_CHUNK_SECTORS);
            if (!chunk)
                return -VMS_ERR_NOMEM;
            memcpy(chunk + (s % ATA_CHUNK_SECTORS) * ATA_SECTOR, buf + (size_t)i * ATA_SECTOR,
                   ATA_SECTOR);
        }
        return 0;
    }
    size_t len = (size_t)count * ATA_SECTOR;
    ssize_t n = pwrite(d->fd, buf, len, (off_t)(lba * ATA_SECTOR));
    if (n < 0 || (size_t)n != len)
        return -VMS_ERR_IO;
    d->dirty = true;
    return 0;
}

static bool in_range(const struct ata_drive *d, uint64_t lba, unsigned count)
{
    return lba < d->sectors && count <= d->sectors - lba;
}

/* ---- command completion ---- */

static void finish_ok(struct ata *a)
{
    cur(a)->status = STATUS_IDLE;
    a->remaining = 0;
    a->pos = a->len = 0;
    raise_intrq(a);
}

/* End the command with ERR and @error (ATA-6 9.9: error -> INTRQ). */
static void finish_error(struct ata *a, uint8_t error)
{
    struct ata_drive *d = cur(a);

    d->status = STATUS_IDLE | ATA_SR_ERR;
    d->error = error;
    a->remaining = 0;
    a->pos = a->len = 0;
    ata_ev(a, "dev%u command 0x%02x failed: error 0x%02x%s%s", cur_unit(a), a->cmd, error,
           (error & ATA_ER_IDNF) ? " IDNF" : "", (error & ATA_ER_ABRT) ? " ABRT" : "");
    raise_intrq(a);
}

/* The sector address in the registers: LBA28 or CHS (ATA-6 7.10, 6.2). */
static bool taskfile_lba(struct ata *a, uint64_t *lba)
{
    struct ata_drive *d = cur(a);

    if (a->device & ATA_DEV_LBA) {
        *lba = ((uint64_t)(a->device & ATA_DEV_HEAD) << 24) | ((uint64_t)a->lbah << 16) |
               ((uint64_t)a->lbam << 8) | a->lbal;
        return true;
    }
    unsigned cyl = ((unsigned)a->lbah << 8) | a->lbam;
    unsigned head = a->device & ATA_DEV_HEAD, sect = a->lbal;
    if (sect == 0 || sect > d->cur_spt || head >= d->cur_heads)
        return false;       /* no such CHS address: IDNF */
    *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + (sect - 1);
    return true;
}

/* The address registers after a transfer point at the last sector done
 * (ATA-6 8.34 "normal outputs" for READ SECTORS: LBA of the last sector). */
static void set_taskfile_lba(struct ata *a, uint64_t lba)
{
    struct ata_drive *d = cur(a);

    if (a->device & ATA_DEV_LBA) {
        a->lbal = (uint8_t)lba;
        a->lbam = (uint8_t)(lba >> 8);
        a->lbah = (uint8_t)(lba >> 16);
        a->device = (uint8_t)((a->device & ~ATA_DEV_HEAD) | ((lba >> 24) & ATA_DEV_HEAD));
        return;
    }
    uint64_t track = lba / d->cur_spt;
    unsigned cyl = (unsigned)(track / d->cur_heads);
    a->lbal = (uint8_t)(lba % d->cur_spt + 1);
    a->lbam = (uint8_t)cyl;
    a->lbah = (uint8_t)(cyl >> 8);
    a->device = (uint8_t)((a->device & ~ATA_DEV_HEAD) | (track % d->cur_heads));
}

/* Load the next sector to read into the buffer: DRQ and INTRQ
 * (ATA-6 9.7 PIO data-in, state HPIOI0 -> DRQ set, INTRQ asserted). */
static void read_next(struct ata *a)
{
    struct ata_drive *d = cur(a);

    if (image_pread(d, a->lba, a->buf, 1) < 0) {
        ata_notice(a, "%s: read error at sector %llu: %s", d->path,
                   (unsigned long long)a->lba, strerror(errno));
        finish_error(a, ATA_ER_UNC | ATA_ER_ABRT);
        return;
    }
    set_taskfile_lba(a, a->lba);
    a->pos = 0;
    a->len = ATA_SECTOR;
    d->status = STATUS_IDLE | ATA_SR_DRQ;
    raise_intrq(a);
}

static void out_of_range(struct ata *a, uint64_t lba, unsigned count)
{
    struct ata_drive *d = cur(a);

    ata_ev(a, "dev%u sectors %llu+%u beyond the disk (%llu sectors)", cur_unit(a),
           (unsigned long long)lba, count, (unsigned long long)d->sectors);
    if (!d->warned) {
        d->warned = true;
        ata_notice(a, "%s: the guest asked for sector %llu, beyond the end of the disk "
                   "(%llu sectors): IDNF error", d->path, (unsigned long long)lba,
                   (unsigned long long)d->sectors);
    }
    finish_error(a, ATA_ER_IDNF);
}

/* READ / WRITE / VERIFY SECTORS: check the whole range first, so an
 * out-of-range request touches nothing. */
static void cmd_rw(struct ata *a, bool write, bool verify)
{
    struct ata_drive *d = cur(a);
    unsigned count = a->nsect ? a->nsect : 256u;
    uint64_t lba = 0;

    if (!taskfile_lba(a, &lba) || !in_range(d, lba, count)) {
        out_of_range(a, lba, count);
        return;
    }
    ata_ev(a, "dev%u %s lba %llu count %u", cur_unit(a),
           verify ? "READ VERIFY" : write ? "WRITE SECTORS" : "READ SECTORS",
           (unsigned long long)lba, count);
    if (write && d->readonly) {
        ata_notice(a, "%s: the image is read-only: guest write aborted", d->path);
        finish_error(a, ATA_ER_ABRT);
        return;
    }
    if (verify) {
        set_taskfile_lba(a, lba + count - 1);
        finish_ok(a);
        return;
    }
    a->lba = lba;
    a->remaining = count;
    a->data_out = write;
    if (!write) {
        read_next(a);
        return;
    }
    /* PIO data-out (9.8): DRQ without INTRQ for the first sector. */
    a->pos = 0;
    a->len = ATA_SECTOR;
    d->status = STATUS_IDLE | ATA_SR_DRQ;
}

/* A whole sector arrived (data-out) or was taken (data-in). */
static void sector_done(struct ata *a)
{
    struct ata_drive *d = cur(a);

    if (a->data_out) {
        if (image_pwrite(d, a->lba, a->buf, 1) < 0) {
            ata_notice(a, "%s: write error at sector %llu", d->path, (unsigned long long)a->lba);
            finish_error(a, ATA_ER_ABRT);
            d->status |= ATA_SR_DF;
            return;
        }
        set_taskfile_lba(a, a->lba);
    }
    a->lba++;
    a->remaining--;
    a->pos = a->len = 0;
    if (a->remaining == 0) {
        d->status = STATUS_IDLE;
        if (a->data_out)
            raise_intrq(a);      /* 9.8: INTRQ after the last sector, DRQ clear */
        return;
    }
    if (a->data_out) {
        a->len = ATA_SECTOR;
        d->status = STATUS_IDLE | ATA_SR_DRQ;
        raise_intrq(a);          /* 9.8: INTRQ, DRQ for the next sector */
    } else {
        read_next(a);
    }
}

/* ---- IDENTIFY DEVICE (ATA-6 8.15, table 27) ---- */

/* ATA strings: two characters per word, the first in the high byte,
 * padded with spaces (ATA-6 8.15.8 "Word 10-19: Serial number"). */
static void put_string(uint16_t *w, unsigned words, const char *s)
{
    size_t n = strlen(s);

    for (unsigned i = 0; i < words * 2; i++) {
        uint8_t c = i < n ? (uint8_t)s[i] : ' ';
        if (i & 1)
            w[i / 2] |= c;
        else
            w[i / 2] = (uint16_t)(c << 8);
    }
}

void ata_identify_words(const struct ata_drive *d, unsigned unit, uint16_t w[256])
{
    char serial[21];
    uint64_t lba28 = d->sectors > ATA_LBA28_MAX ? ATA_LBA28_MAX : d->sectors;
    uint64_t chs = (uint64_t)d->cyls * d->cur_heads * d->cur_spt;

    memset(w, 0, 256 * sizeof(w[0]));
    snprintf(serial, sizeof(serial), "VMSCOPE-DISK%u", unit);
    w[0] = 0x0040;                      /* ATA device, fixed (not removable) */
    w[1] = d->cyls;                     /* default cylinders */
    w[3] = d->heads;                    /* default heads */
    w[6] = d->spt;                      /* default sectors per track */
    put_string(&w[10], 10, serial);     /* words 10-19 */
    put_string(&w[23], 4, "0.1.0");     /* 23-26 firmware revision */
    put_string(&w[27], 20, "vmscope ATA disk"); /* 27-46 model number */
    w[47] = 0x8000;                     /* READ/WRITE MULTIPLE: not supported */
    w[49] = 0x0200;                     /* bit 9: LBA supported (no DMA) */
    w[50] = 0x4000;                     /* bit 14 shall be one */
    w[51] = 0x0200;                     /* PIO timing mode 2 (obsolete) */
    w[53] = 0x0003;                     /* words 54-58 and 64-70 valid */
    w[54] = d->cyls;                    /* current geometry */
    w[55] = d->cur_heads;
    w[56] = d->cur_spt;
    w[57] = (uint16_t)chs;              /* current capacity in sectors */
    w[58] = (uint16_t)(chs >> 16);
    w[60] = (uint16_t)lba28;            /* 60-61: LBA28 addressable sectors */
    w[61] = (uint16_t)(lba28 >> 16);
    w[64] = 0x0003;                     /* PIO modes 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;  /* cycle times, ns */
    w[80] = 0x007E;                     /* major version: ATA-1 to ATA-6 */
    w[82] = 0x0000;
    w[83] = 0x5000;                     /* bit 14 one; bit 12 FLUSH CACHE */
    w[84] = 0x4000;
    w[85] = 0x0000;
    w[86] = 0x1000;                     /* FLUSH CACHE enabled */
    w[87] = 0x4000;
    /* Word 255 (8.15.61): signature 0xA5, then a checksum making the sum
     * of all 512 bytes zero. */
    uint8_t sum = 0xA5;
    for (unsigned i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    w[255] = (uint16_t)(((uint8_t)-sum << 8) | 0xA5);
}

static void cmd_identify(struct ata *a)
{
    uint16_t w[256];

    ata_identify_words(cur(a), cur_unit(a), w);
    for (unsigned i = 0; i < 256; i++) {   /* little-endian on the data port */
        a->buf[2 * i] = (uint8_t)w[i];
        a->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    ata_ev(a, "dev%u IDENTIFY DEVICE", cur_unit(a));
    a->data_out = false;
    a->remaining = 1;
    a->pos = 0;
    a->len = ATA_SECTOR;
    cur(a)->status = STATUS_IDLE | ATA_SR_DRQ;
    raise_intrq(a);
}

static void cmd_flush(struct ata *a)
{
    struct ata_drive *d = cur(a);

    ata_ev(a, "dev%u FLUSH CACHE", cur_unit(a));
    if (d->dirty && fsync(d->fd) < 0) {
        ata_notice(a, "%s: fsync failed: %s", d->path, strerror(errno));
        finish_error(a, ATA_ER_ABRT);
        return;
    }
    d->dirty = false;
    finish_ok(a);
}

/* The signature a device leaves after reset or diagnostics (ATA-6 9.12). */
static void set_signature(struct ata *a)
{
    a->nsect = 1;
    a->lbal = 1;
    a->lbam = 0;
    a->lbah = 0;
    a->device &= ATA_DEV_DEV | ATA_DEV_OBS;
}

static void cmd_diagnostic(struct ata *a)
{
    ata_ev(a, "EXECUTE DEVICE DIAGNOSTIC");
    set_signature(a);
    for (unsigned i = 0; i < ATA_DRIVES; i++) {
        a->drive[i].status = STATUS_IDLE;
        a->drive[i].error = ATA_ER_AMNF;   /* diagnostic code 01h: passed */
    }
    a->remaining = 0;
    a->pos = a->len = 0;
    raise_intrq(a);
}

/* INITIALIZE DEVICE PARAMETERS (ATA-6 8.17): heads = DEV.HEAD + 1,
 * sectors per track = sector count. */
static void cmd_init_params(struct ata *a)
{
    struct ata_drive *d = cur(a);

    ata_ev(a, "dev%u INITIALIZE DEVICE PARAMETERS heads %u spt %u", cur_unit(a),
           (a->device & ATA_DEV_HEAD) + 1u, a->nsect);
    if (a->nsect == 0) {
        finish_error(a, ATA_ER_ABRT);
        return;
    }
    d->cur_heads = (uint16_t)((a->device & ATA_DEV_HEAD) + 1);
    d->cur_spt = a->nsect;
    finish_ok(a);
}

/* Non-data commands that need nothing but success. */
static bool is_nop_command(uint8_t cmd)
{
    return (cmd & 0xF0) == 0x10 ||   /* RECALIBRATE */
           (cmd & 0xF0) == 0x70 ||   /* SEEK */
           cmd == ATA_CMD_SET_FEATURES ||
           (cmd >= 0xE0 && cmd <= 0xE3) || cmd == 0xE6 ||  /* standby/idle/sleep */
           cmd == 0xE5;              /* CHECK POWER MODE */
}

static void exec_command(struct ata *a, uint8_t cmd)
{
    struct ata_drive *d = cur(a);

    if (!d->present)
        return;            /* ATA-6 9.1: a missing device does not respond */
    if (cmd == ATA_CMD_DIAGNOSTIC) {   /* addressed to both devices */
        a->cmd = cmd;
        cmd_diagnostic(a);
        return;
    }
    if (d->status & ATA_SR_BSY)
        return;
    a->cmd = cmd;
    d->error = 0;
    a->intrq = false;
    update_irq(a);
    switch (cmd) {
    case ATA_CMD_READ: case ATA_CMD_READ_NR: cmd_rw(a, false, false); return;
    case ATA_CMD_WRITE: case ATA_CMD_WRITE_NR: cmd_rw(a, true, false); return;
    case ATA_CMD_VERIFY: case ATA_CMD_VERIFY_NR: cmd_rw(a, false, true); return;
    case ATA_CMD_IDENTIFY: cmd_identify(a); return;
    case ATA_CMD_FLUSH: case ATA_CMD_FLUSH_EXT: cmd_flush(a); return;
    case ATA_CMD_INIT_PARAMS: cmd_init_params(a); return;
    }
    if (is_nop_command(cmd)) {
        ata_ev(a, "dev%u command 0x%02x", cur_unit(a), cmd);
        if (cmd == 0xE5)
            a->nsect = 0xFF;           /* CHECK POWER MODE: active or idle */
        finish_ok(a);
        return;
    }
    ata_ev(a, "dev%u command 0x%02x not supported", cur_unit(a), cmd);
    finish_error(a, ATA_ER_ABRT);
}

/* ---- software reset through the device control register (ATA-6 9.2) ---- */

static void write_devctl(struct ata *a, uint8_t v)
{
    bool was = a->devctl & ATA_DC_SRST, now = v & ATA_DC_SRST;

    a->devctl = v;
    if (was != now)
        ata_ev(a, "devctl <- 0x%02x SRST %s%s", v, now ? "asserted" : "released",
               (v & ATA_DC_NIEN) ? " nIEN" : "");
    if (now && !was) {
        for (unsigned i = 0; i < ATA_DRIVES; i++)
            a->drive[i].status = ATA_SR_BSY;
        a->remaining = 0;
        a->pos = a->len = 0;
        a->intrq = false;
    } else if (was && !now) {
        set_signature(a);
        a->device = 0;                 /* device 0 selected after reset */
        for (unsigned i = 0; i < ATA_DRIVES; i++) {
            a->drive[i].status = STATUS_IDLE;
            a->drive[i].error = ATA_ER_AMNF;   /* diagnostic code: passed */
            a->drive[i].cur_heads = a->drive[i].heads;
            a->drive[i].cur_spt = a->drive[i].spt;
        }
    }
    update_irq(a);
}

/* ---- the data register ---- */

static uint64_t read_data(struct ata *a, unsigned size)
{
    uint64_t v = 0;

    if (!cur(a)->present || !(cur(a)->status & ATA_SR_DRQ) || a->data_out)
        return 0;
    for (unsigned i = 0; i < size && a->pos < a->len; i++)
        v |= (uint64_t)a->buf[a->pos++] << (8 * i);
    if (a->pos >= a->len)
        sector_done(a);
    return v;
}

static void write_data(struct ata *a, unsigned size, uint64_t v)
{
    if (!cur(a)->present || !(cur(a)->status & ATA_SR_DRQ) || !a->data_out)
        return;
    for (unsigned i = 0; i < size && a->pos < a->len; i++)
        a->buf[a->pos++] = (uint8_t)(v >> (8 * i));
    if (a->pos >= a->len)
        sector_done(a);
}

/* ---- register reads and writes ---- */

uint8_t ata_peek_status(const struct ata *a)
{
    const struct ata_drive *d = &a->drive[cur_unit(a)];

    return d->present ? d->status : 0;
}

static uint8_t read_reg(struct ata *a, unsigned reg)
{
    struct ata_drive *d = cur(a);

    if (!d->present)
        return 0;       /* QEMU: a missing device reads 0 */
    if (d->status & ATA_SR_BSY)
        return d->status;              /* 7.15: only BSY is valid */
    switch (reg) {
    case ATA_REG_ERROR: return d->error;
    case ATA_REG_NSECT: return a->nsect;
    case ATA_REG_LBAL: return a->lbal;
    case ATA_REG_LBAM: return a->lbam;
    case ATA_REG_LBAH: return a->lbah;
    case ATA_REG_DEVICE: return a->device;
    case ATA_REG_STATUS:
        a->intrq = false;              /* 7.15: reading status clears INTRQ */
        update_irq(a);
        return d->status;
    }
    return 0;
}

static void write_reg(struct ata *a, unsigned reg, uint8_t v)
{
    switch (reg) {
    case ATA_REG_FEATURES: a->features = v; return;
    case ATA_REG_NSECT: a->nsect = v; return;
    case ATA_REG_LBAL: a->lbal = v; return;
    case ATA_REG_LBAM: a->lbam = v; return;
    case ATA_REG_LBAH: a->lbah = v; return;
    case ATA_REG_DEVICE:
        if ((v ^ a->device) & ATA_DEV_DEV)
            ata_ev(a, "select dev%u", (v & ATA_DEV_DEV) ? 1 : 0);
        a->device = v;
        return;
    case ATA_REG_COMMAND: exec_command(a, v); return;
    }
}

static uint64_t ata_bus_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ata *a = opaque;
    uint64_t v = 0;

    if (offset == ATA_REG_DATA)
        return read_data(a, size);   /* 16-bit, or 32-bit as two words */
    for (unsigned i = 0; i < size && offset + i < ATA_NREGS; i++)
        v |= (uint64_t)read_reg(a, (unsigned)(offset + i)) << (8 * i);
    return v;
}

static void ata_bus_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct ata *a = opaque;

    if (offset == ATA_REG_DATA) {
        write_data(a, size, value);
        return;
    }
    for (unsigned i = 0; i < size && offset + i < ATA_NREGS; i++)
        write_reg(a, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
}

/* 0x3F6: alternate status (read, INTRQ untouched) / device control. */
static uint64_t ata_ctl_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset; (void)size;
    return ata_peek_status(opaque);
}

static void ata_ctl_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset; (void)size;
    write_devctl(opaque, (uint8_t)value);
}

static const struct bus_dev_ops ata_ops = {
    .read = ata_bus_read,    /* data, error, count, LBA, device, status */
    .write = ata_bus_write,  /* data, features, count, LBA, device, command */
};

static const struct bus_dev_ops ata_ctl_ops = {
    .read = ata_ctl_read,    /* alternate status */
    .write = ata_ctl_write,  /* device control */
};

/* ---- life cycle ---- */

int ata_init(struct ata *a, const char *name, const struct dev_ctx *ctx, struct irq_line irq)
{
    if (!a || !name)
        return -VMS_ERR_INVAL;
    memset(a, 0, sizeof(*a));
    snprintf(a->name, sizeof(a->name), "%s", name);
    if (ctx)
        a->ctx = *ctx;
    a->irq = irq;
    for (unsigned i = 0; i < ATA_DRIVES; i++)
        a->drive[i].fd = -1;
    set_signature(a);
    return 0;
}

static void guess_geometry(struct ata_drive *d)
{
    uint64_t cyls = d->sectors / (GEOM_HEADS * GEOM_SPT);

    if (cyls > GEOM_MAX_CYLS)
        cyls = GEOM_MAX_CYLS;
    if (cyls < GEOM_MIN_CYLS)
        cyls = GEOM_MIN_CYLS;
    d->cyls = (uint16_t)cyls;
    d->heads = d->cur_heads = GEOM_HEADS;
    d->spt = d->cur_spt = GEOM_SPT;
}

/* Open @path read-write, else read-only; lock it like QEMU does so two
 * VMs cannot write one image. */
static int open_image(struct ata_drive *d, const char *path, bool snapshot, bool ro)
{
    int fd = snapshot || ro ? -1 : open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        if (!snapshot && !ro && errno != EACCES && errno != EROFS && errno != EPERM)
            return vms_seterr(VMS_ERR_IO, "%s: %s", path, strerror(errno));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return vms_seterr(VMS_ERR_IO, "%s: %s", path, strerror(errno));
        d->readonly = !snapshot;
    }
    if (flock(fd, (d->readonly || snapshot ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        close(fd);
        return vms_seterr(VMS_ERR_BUSY, "%s: the image is in use (locked by another VM "
                          "or program)", path);
    }
    d->fd = fd;
    return 0;
}

static int check_size(struct ata_drive *d, const char *path)
{
    struct stat st;

    if (fstat(d->fd, &st) < 0)
        return vms_seterr(VMS_ERR_IO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return vms_seterr(VMS_ERR_BADIMAGE, "%s: not a regular file", path);
    if (st.st_size <= 0 || st.st_size % ATA_SECTOR)
        return vms_seterr(VMS_ERR_BADIMAGE, "%s: size %lld is not a whole number of "
                          "512-byte sectors", path, (long long)st.st_size);
    d->sectors = (uint64_t)st.st_size / ATA_SECTOR;
    return 0;
}

int ata_open_disk(struct ata *a, unsigned unit, const char *path, unsigned flags)
{
    if (!a || !path || unit >= ATA_DRIVES || a->drive[unit].present)
        return -VMS_ERR_INVAL;
    struct ata_drive *d = &a->drive[unit];
    bool snapshot = flags & ATA_SNAPSHOT;
    int err = open_image(d, path, snapshot, flags & ATA_READONLY);
    if (err < 0)
        return err;
    err = check_size(d, path);
    if (err == 0 && snapshot) {
        d->nchunks = (d->sectors + ATA_CHUNK_SECTORS - 1) / ATA_CHUNK_SECTORS;
        d->cow = calloc(d->nchunks, sizeof(*d->cow));
        err = d->cow ? 0 : -VMS_ERR_NOMEM;
    }
    if (err < 0) {
        close(d->fd);
        d->fd = -1;
        d->readonly = false;
        return err;
    }
    d->snapshot = snapshot;
    d->present = true;
    d->status = STATUS_IDLE;
    d->error = ATA_ER_AMNF;
    snprintf(d->path, sizeof(d->path), "%s", path);
    guess_geometry(d);
    if (d->readonly)
        ata_notice(a, "%s: read-only image: guest writes to it will fail", path);
    return 0;
}

int ata_attach(struct ata *a, struct bus *b)
{
    if (!a || !b)
        return -VMS_ERR_INVAL;
    int err = bus_map(b, BUS_PIO, PORT_ATA0, ATA_NREGS, &ata_ops, a, a->name);
    if (err < 0)
        return err;
    return bus_map(b, BUS_PIO, PORT_ATA0_CTL, 1, &ata_ctl_ops, a, a->name);
}

int ata_flush(struct ata *a)
{
    int err = 0;

    for (unsigned i = 0; a && i < ATA_DRIVES; i++) {
        struct ata_drive *d = &a->drive[i];
        if (!d->present || !d->dirty)
            continue;
        if (fsync(d->fd) < 0)
            err = vms_seterr(VMS_ERR_IO, "%s: fsync: %s", d->path, strerror(errno));
        else
            d->dirty = false;
    }
    return err;
}

void ata_destroy(struct ata *a)
{
    if (!a)
        return;
    if (ata_flush(a) < 0)
        ata_notice(a, "%s", vms_lasterr(VMS_ERR_IO));
    for (unsigned i = 0; i < ATA_DRIVES; i++) {
        struct ata_drive *d = &a->drive[i];
        for (uint64_t c = 0; d->cow && c < d->nchunks; c++)
            free(d->cow[c]);
        free(d->cow);
        d->cow = NULL;
        if (d->present && d->fd >= 0)
            close(d->fd);
        d->fd = -1;
        d->present = false;
    }
}

/* ---- firmware access ---- */

static int disk_check(const struct ata *a, unsigned unit, uint64_t lba, unsigned count)
{
    if (!a || unit >= ATA_DRIVES || !a->drive[unit].present)
        return -VMS_ERR_NOTFOUND;
    if (!in_range(&a->drive[unit], lba, count))
        return -VMS_ERR_RANGE;
    return 0;
}

int ata_disk_read(struct ata *a, unsigned unit, uint64_t lba, unsigned count, void *buf)
{
    int err = disk_check(a, unit, lba, count);

    return err < 0 ? err : image_pread(&a->drive[unit], lba, buf, count);
}

int ata_disk_write(struct ata *a, unsigned unit, uint64_t lba, unsigned count,
                   const void *buf)
{
    int err = disk_check(a, unit, lba, count);

    return err < 0 ? err : image_pwrite(&a->drive[unit], lba, buf, count);
}

uint64_t ata_disk_sectors(const struct ata *a, unsigned unit)
{
    return a && unit < ATA_DRIVES && a->drive[unit].present ? a->drive[unit].sectors : 0;
}
