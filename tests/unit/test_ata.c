/* test_ata.c - the ATA PIO channel against ATA/ATAPI-6: status sequencing
 * of the PIO data-in/data-out and non-data protocols, INTRQ, IDENTIFY
 * words, LBA28 and CHS, out-of-range sectors, SRST, absent devices, bad
 * image files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "machine/ata.h"
#include "machine/bus.h"
#include "machine/memmap.h"

#define DISK_SECTORS 2100u   /* a little more than 2 cylinders of 16*63 */

struct fixture {
    struct bus bus;
    struct evstream ev;
    struct ata a;
    char dir[64], path[2][96];
    int irq_level, irq_rises;
    unsigned notices;
    char notice[320];
};

static void irq_cb(void *opaque, int pin, int level)
{
    struct fixture *f = opaque;

    assert_int_equal(pin, IRQ_ATA0);
    if (level && !f->irq_level)
        f->irq_rises++;
    f->irq_level = level;
}

static void notice_cb(void *opaque, const char *line)
{
    struct fixture *f = opaque;

    f->notices++;
    snprintf(f->notice, sizeof(f->notice), "%s", line);
}

/* A disk whose sector s holds bytes (s * 7 + i) & 0xFF. */
static void make_disk(const char *path, unsigned sectors)
{
    FILE *fp = fopen(path, "wb");
    uint8_t sec[ATA_SECTOR];

    assert_non_null(fp);
    for (unsigned s = 0; s < sectors; s++) {
        for (unsigned i = 0; i < ATA_SECTOR; i++)
            sec[i] = (uint8_t)(s * 7 + i);
        assert_int_equal(fwrite(sec, 1, sizeof(sec), fp), sizeof(sec));
    }
    fclose(fp);
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/test_ata.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    for (int i = 0; i < 2; i++)
        snprintf(f->path[i], sizeof(f->path[i]), "%s/d%d.img", f->dir, i);
    make_disk(f->path[0], DISK_SECTORS);
    bus_init(&f->bus);
    ev_init(&f->ev);
    struct dev_ctx ctx = { .ev = &f->ev };
    struct irq_line irq = { .set = irq_cb, .opaque = f, .pin = IRQ_ATA0 };
    assert_int_equal(ata_init(&f->a, "ata0", &ctx, irq), 0);
    f->a.notice = notice_cb;
    f->a.notice_opaque = f;
    assert_int_equal(ata_open_disk(&f->a, 0, f->path[0], 0), 0);
    assert_int_equal(ata_attach(&f->a, &f->bus), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    ata_destroy(&f->a);
    bus_fini(&f->bus);
    for (int i = 0; i < 2; i++)
        unlink(f->path[i]);
    rmdir(f->dir);
    test_free(f);
    return 0;
}

static uint8_t rd(struct fixture *f, unsigned reg)
{
    uint64_t v = 0;

    assert_non_null(bus_read(&f->bus, BUS_PIO, PORT_ATA0 + reg, 1, &v));
    return (uint8_t)v;
}

static void wr(struct fixture *f, unsigned reg, uint8_t v)
{
    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_ATA0 + reg, 1, v));
}

static uint16_t rd16(struct fixture *f)
{
    uint64_t v = 0;

    assert_non_null(bus_read(&f->bus, BUS_PIO, PORT_ATA0, 2, &v));
    return (uint16_t)v;
}

static uint8_t altstatus(struct fixture *f)
{
    uint64_t v = 0;

    assert_non_null(bus_read(&f->bus, BUS_PIO, PORT_ATA0_CTL, 1, &v));
    return (uint8_t)v;
}

static void devctl(struct fixture *f, uint8_t v)
{
    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_ATA0_CTL, 1, v));
}

static void lba28(struct fixture *f, unsigned dev, uint32_t lba, uint8_t count)
{
    wr(f, ATA_REG_DEVICE, (uint8_t)(ATA_DEV_OBS | ATA_DEV_LBA | (dev << 4) | ((lba >> 24) & 0xF)));
    wr(f, ATA_REG_NSECT, count);
    wr(f, ATA_REG_LBAL, (uint8_t)lba);
    wr(f, ATA_REG_LBAM, (uint8_t)(lba >> 8));
    wr(f, ATA_REG_LBAH, (uint8_t)(lba >> 16));
}

static void expect_sector(struct fixture *f, unsigned s)
{
    for (unsigned i = 0; i < ATA_SECTOR; i += 2) {
        uint16_t w = rd16(f);
        assert_int_equal(w & 0xFF, (uint8_t)(s * 7 + i));
        assert_int_equal(w >> 8, (uint8_t)(s * 7 + i + 1));
    }
}

static void test_power_on_and_signature(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
    assert_int_equal(rd(f, ATA_REG_ERROR), 0x01);   /* diagnostic: passed */
    assert_int_equal(rd(f, ATA_REG_NSECT), 1);      /* ATA signature */
    assert_int_equal(rd(f, ATA_REG_LBAL), 1);
    assert_int_equal(rd(f, ATA_REG_LBAM), 0);
    assert_int_equal(rd(f, ATA_REG_LBAH), 0);
    assert_int_equal(f->irq_rises, 0);
}

static void test_read_sectors_lba28_sequencing(void **state)
{
    struct fixture *f = *state;

    lba28(f, 0, 5, 2);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    /* 9.7: sector ready -> DRQ and INTRQ */
    assert_int_equal(altstatus(f), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(altstatus(f), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    assert_int_equal(f->irq_level, 1);            /* alt status keeps INTRQ */
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    assert_int_equal(f->irq_level, 0);            /* status read clears it */
    expect_sector(f, 5);
    assert_int_equal(f->irq_level, 1);            /* next sector ready */
    assert_int_equal(f->irq_rises, 2);
    assert_int_equal(rd(f, ATA_REG_STATUS) & ATA_SR_DRQ, ATA_SR_DRQ);
    expect_sector(f, 6);
    /* after the last sector: DRQ clear, no further INTRQ */
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
    assert_int_equal(f->irq_rises, 2);
    assert_int_equal(rd(f, ATA_REG_LBAL), 6);     /* last sector transferred */
    assert_int_equal(rd16(f), 0);                 /* no data without DRQ */
}

static void test_read_32bit_data_port(void **state)
{
    struct fixture *f = *state;
    uint64_t v;

    lba28(f, 0, 3, 1);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    for (unsigned i = 0; i < ATA_SECTOR; i += 4) {
        assert_non_null(bus_read(&f->bus, BUS_PIO, PORT_ATA0, 4, &v));
        for (unsigned b = 0; b < 4; b++)
            assert_int_equal((v >> (8 * b)) & 0xFF, (uint8_t)(3 * 7 + i + b));
    }
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
}

static void test_write_sectors_reach_file(void **state)
{
    struct fixture *f = *state;
    uint8_t back[ATA_SECTOR * 2];

    lba28(f, 0, 100, 2);
    wr(f, ATA_REG_COMMAND, ATA_CMD_WRITE);
    /* 9.8: DRQ for the first sector, no INTRQ yet */
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    assert_int_equal(f->irq_rises, 0);
    for (unsigned i = 0; i < ATA_SECTOR; i += 2)
        assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_ATA0, 2, 0xA000 | i));
    assert_int_equal(f->irq_rises, 1);            /* sector written, next DRQ */
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    for (unsigned i = 0; i < ATA_SECTOR; i += 4)
        assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_ATA0, 4, 0x55AA0000u | i));
    assert_int_equal(f->irq_rises, 2);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
    /* pwrite at once: the file has it before any flush */
    FILE *fp = fopen(f->path[0], "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 100 * ATA_SECTOR, SEEK_SET), 0);
    assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(back));
    fclose(fp);
    assert_int_equal(back[0], 0x00);
    assert_int_equal(back[1], 0xA0);
    assert_int_equal(back[2], 0x02);
    assert_int_equal(back[ATA_SECTOR + 0], 0x00);
    assert_int_equal(back[ATA_SECTOR + 3], 0x55);
    /* FLUSH CACHE: non-data, INTRQ, status idle */
    wr(f, ATA_REG_COMMAND, ATA_CMD_FLUSH);
    assert_int_equal(f->irq_rises, 3);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
    assert_false(f->a.drive[0].dirty);
}

static void test_sector_count_zero_is_256(void **state)
{
    struct fixture *f = *state;
    unsigned words = 0;

    lba28(f, 0, 10, 0);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    while (rd(f, ATA_REG_STATUS) & ATA_SR_DRQ) {
        rd16(f);
        words++;
    }
    assert_int_equal(words, 256 * 256);
    assert_int_equal(f->irq_rises, 256);
}

static void test_out_of_range_idnf(void **state)
{
    struct fixture *f = *state;
    struct stat before, after;

    assert_int_equal(stat(f->path[0], &before), 0);
    lba28(f, 0, DISK_SECTORS - 1, 2);          /* last sector + one beyond */
    wr(f, ATA_REG_COMMAND, ATA_CMD_WRITE);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
    assert_int_equal(rd(f, ATA_REG_ERROR), ATA_ER_IDNF);
    assert_int_equal(f->irq_rises, 1);
    for (unsigned i = 0; i < 8; i++)           /* data writes go nowhere */
        assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_ATA0, 2, 0xFFFF));
    lba28(f, 0, 0x0FFFFFFF, 1);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    assert_int_equal(rd(f, ATA_REG_ERROR), ATA_ER_IDNF);
    assert_int_equal(stat(f->path[0], &after), 0);
    assert_int_equal(before.st_size, after.st_size);
    assert_int_equal(f->notices, 1);           /* one line per disk */
    assert_non_null(strstr(f->notice, "beyond the end"));
    /* the next good command clears the error */
    lba28(f, 0, 0, 1);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    assert_int_equal(rd(f, ATA_REG_ERROR), 0);
}

static void test_chs_addressing(void **state)
{
    struct fixture *f = *state;

    /* geometry 16 heads x 63 sectors: C/H/S 1/2/4 = (1*16+2)*63+3 = 1137 */
    wr(f, ATA_REG_DEVICE, ATA_DEV_OBS | 2);
    wr(f, ATA_REG_NSECT, 1);
    wr(f, ATA_REG_LBAL, 4);
    wr(f, ATA_REG_LBAM, 1);
    wr(f, ATA_REG_LBAH, 0);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    assert_int_equal(rd(f, ATA_REG_STATUS) & ATA_SR_ERR, 0);
    expect_sector(f, 1137);
    /* sector number 0 does not exist in CHS */
    wr(f, ATA_REG_LBAL, 0);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    assert_int_equal(rd(f, ATA_REG_ERROR), ATA_ER_IDNF);
}

static void test_identify_words(void **state)
{
    struct fixture *f = *state;
    uint16_t w[256];
    uint8_t sum = 0;

    wr(f, ATA_REG_DEVICE, ATA_DEV_OBS);
    wr(f, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    for (unsigned i = 0; i < 256; i++)
        w[i] = rd16(f);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
    assert_int_equal(w[0] & 0x8000, 0);        /* ATA device */
    assert_int_equal(w[1], 2);                 /* 2100 / (16*63) -> 2 */
    assert_int_equal(w[3], 16);
    assert_int_equal(w[6], 63);
    assert_int_equal(w[10], ('V' << 8) | 'M');  /* byte-swapped strings */
    assert_int_equal(w[27], ('v' << 8) | 'm');
    assert_int_equal(w[46], 0x2020);
    assert_int_equal(w[49] & 0x0200, 0x0200);  /* LBA supported */
    assert_int_equal(w[60] | (w[61] << 16), DISK_SECTORS);
    assert_int_equal(w[83] & 0xC000, 0x4000);
    assert_int_equal(w[83] & 0x1000, 0x1000);  /* FLUSH CACHE */
    assert_int_equal(w[255] & 0xFF, 0xA5);
    for (unsigned i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    assert_int_equal(sum, 0);                  /* 8.15.61 checksum */
}

static void test_absent_slave_reads_zero(void **state)
{
    struct fixture *f = *state;

    wr(f, ATA_REG_DEVICE, ATA_DEV_OBS | ATA_DEV_DEV);
    assert_int_equal(rd(f, ATA_REG_STATUS), 0);
    assert_int_equal(altstatus(f), 0);
    wr(f, ATA_REG_COMMAND, ATA_CMD_IDENTIFY);  /* ignored */
    assert_int_equal(rd(f, ATA_REG_STATUS), 0);
    assert_int_equal(f->irq_rises, 0);
    wr(f, ATA_REG_DEVICE, ATA_DEV_OBS);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
}

static void test_slave_disk(void **state)
{
    struct fixture *f = *state;

    make_disk(f->path[1], 64);
    assert_int_equal(ata_open_disk(&f->a, 1, f->path[1], 0), 0);
    lba28(f, 1, 63, 1);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    expect_sector(f, 63);
    lba28(f, 1, 64, 1);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    assert_int_equal(rd(f, ATA_REG_ERROR), ATA_ER_IDNF);
}

static void test_nien_masks_irq(void **state)
{
    struct fixture *f = *state;

    devctl(f, ATA_DC_NIEN);
    lba28(f, 0, 1, 1);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    assert_int_equal(f->irq_rises, 0);
    devctl(f, 0);                              /* pending INTRQ shows now */
    assert_int_equal(f->irq_level, 1);
    rd(f, ATA_REG_STATUS);
    assert_int_equal(f->irq_level, 0);
}

static void test_srst(void **state)
{
    struct fixture *f = *state;

    lba28(f, 0, 1, 4);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    devctl(f, ATA_DC_SRST);
    assert_int_equal(altstatus(f), ATA_SR_BSY);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_BSY);
    devctl(f, 0);
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC);
    assert_int_equal(rd(f, ATA_REG_ERROR), 0x01);
    assert_int_equal(rd(f, ATA_REG_NSECT), 1);
    assert_int_equal(rd(f, ATA_REG_LBAL), 1);
    assert_int_equal(rd(f, ATA_REG_DEVICE) & ATA_DEV_DEV, 0);
    assert_int_equal(rd16(f), 0);              /* the transfer was abandoned */
}

static void test_unknown_command_aborts(void **state)
{
    struct fixture *f = *state;

    wr(f, ATA_REG_COMMAND, 0xA1);              /* IDENTIFY PACKET DEVICE */
    assert_int_equal(rd(f, ATA_REG_STATUS), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
    assert_int_equal(rd(f, ATA_REG_ERROR), ATA_ER_ABRT);
    assert_int_equal(f->irq_rises, 1);
}

static void test_readonly_image(void **state)
{
    struct fixture *f = *state;

    make_disk(f->path[1], 8);
    chmod(f->path[1], 0444);
    /* root may open a 0444 file for writing: then ask for read-only */
    assert_int_equal(ata_open_disk(&f->a, 1, f->path[1], geteuid() == 0 ? ATA_READONLY : 0), 0);
    assert_true(f->a.drive[1].readonly);
    assert_int_equal(f->notices, 1);
    lba28(f, 1, 0, 1);
    wr(f, ATA_REG_COMMAND, ATA_CMD_WRITE);
    assert_int_equal(rd(f, ATA_REG_STATUS) & (ATA_SR_ERR | ATA_SR_DRQ), ATA_SR_ERR);
    assert_int_equal(rd(f, ATA_REG_ERROR), ATA_ER_ABRT);
    lba28(f, 1, 7, 1);
    wr(f, ATA_REG_COMMAND, ATA_CMD_READ);
    expect_sector(f, 7);
    assert_int_equal(ata_disk_write(&f->a, 1, 0, 1, f->a.buf), -VMS_ERR_IO);
}

static void test_bad_files(void **state)
{
    struct fixture *f = *state;
    struct ata a;
    char bad[128];

    assert_int_equal(ata_init(&a, "ata1", NULL, (struct irq_line){ 0 }), 0);
    snprintf(bad, sizeof(bad), "%s/missing.img", f->dir);
    assert_int_equal(ata_open_disk(&a, 0, bad, 0), -VMS_ERR_IO);
    assert_non_null(strstr(vms_lasterr(VMS_ERR_IO), "missing.img"));
    FILE *fp = fopen(f->path[1], "wb");
    assert_non_null(fp);
    fputs("not sectors", fp);
    fclose(fp);
    assert_int_equal(ata_open_disk(&a, 0, f->path[1], 0), -VMS_ERR_BADIMAGE);
    assert_non_null(strstr(vms_lasterr(VMS_ERR_BADIMAGE), "512-byte"));
    fp = fopen(f->path[1], "wb");
    fclose(fp);
    assert_int_equal(ata_open_disk(&a, 0, f->path[1], 0), -VMS_ERR_BADIMAGE);
    /* an image already opened for writing by another VM is locked */
    assert_int_equal(ata_open_disk(&a, 0, f->path[0], 0), -VMS_ERR_BUSY);
    assert_int_equal(ata_open_disk(&a, 0, f->path[0], ATA_SNAPSHOT), -VMS_ERR_BUSY);
    assert_int_equal(ata_open_disk(&a, 2, f->path[0], 0), -VMS_ERR_INVAL);
    ata_destroy(&a);
}

static void test_snapshot_keeps_file(void **state)
{
    struct fixture *f = *state;
    struct ata a;
    uint8_t sec[ATA_SECTOR], back[ATA_SECTOR];

    make_disk(f->path[1], 200);
    assert_int_equal(ata_init(&a, "ata1", NULL, (struct irq_line){ 0 }), 0);
    assert_int_equal(ata_open_disk(&a, 0, f->path[1], ATA_SNAPSHOT), 0);
    memset(sec, 0x5A, sizeof(sec));
    assert_int_equal(ata_disk_write(&a, 0, 130, 1, sec), 0);
    assert_int_equal(ata_disk_read(&a, 0, 130, 1, back), 0);
    assert_memory_equal(back, sec, sizeof(sec));
    assert_int_equal(ata_disk_read(&a, 0, 131, 1, back), 0);
    assert_int_equal(back[0], (uint8_t)(131 * 7));
    assert_int_equal(ata_disk_read(&a, 0, 199, 2, back), -VMS_ERR_RANGE);
    assert_int_equal(ata_disk_read(&a, 1, 0, 1, back), -VMS_ERR_NOTFOUND);
    ata_destroy(&a);
    FILE *fp = fopen(f->path[1], "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 130 * ATA_SECTOR, SEEK_SET), 0);
    assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(back));
    fclose(fp);
    assert_int_equal(back[0], (uint8_t)(130 * 7));   /* file untouched */
}

static void test_hostile_register_writes(void **state)
{
    struct fixture *f = *state;
    uint32_t x = 12345;

    for (unsigned i = 0; i < 200000; i++) {
        x = x * 1103515245u + 12345u;
        unsigned reg = (x >> 8) % 9, size = 1u << ((x >> 4) % 3);
        uint64_t port = reg == 8 ? PORT_ATA0_CTL : PORT_ATA0 + reg;
        uint64_t v;
        if (x & 1)
            bus_write(&f->bus, BUS_PIO, port, size, x >> 7);
        else
            bus_read(&f->bus, BUS_PIO, port, size, &v);
    }
    struct stat st;
    assert_int_equal(stat(f->path[0], &st), 0);
    assert_int_equal(st.st_size, DISK_SECTORS * ATA_SECTOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_power_on_and_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_sectors_lba28_sequencing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_32bit_data_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_sectors_reach_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sector_count_zero_is_256, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_idnf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chs_addressing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identify_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_slave_reads_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slave_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nien_masks_irq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_srst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_command_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_keeps_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_register_writes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
