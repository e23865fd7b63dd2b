/* ata.c - ATA PIO on the primary channel: drive 0 = master (disk0.img),
 * drive 1 = slave (disk1.img).  Polling only: nIEN is set, so IRQ 14
 * never fires.
 *
 * References: ATA/ATAPI-6 (T13/1410D): command block registers 0x1F0-
 * 0x1F7, device control 0x3F6, the PIO data-in protocol (9.5), IDENTIFY
 * DEVICE (8.15: words 60-61 = LBA28 sector count), READ SECTORS (8.27).
 */
#include "kernel.h"

#define ATA_DATA       0x1F0
#define ATA_ERROR      0x1F1
#define ATA_COUNT      0x1F2
#define ATA_LBA0       0x1F3
#define ATA_LBA1       0x1F4
#define ATA_LBA2       0x1F5
#define ATA_DEVICE     0x1F6     /* 1 L 1 DEV LBA27-24 */
#define ATA_STATUS     0x1F7     /* read: status; write: command */
#define ATA_CTL        0x3F6     /* write: device control; read: alt status */

#define ST_ERR         0x01
#define ST_DRQ         0x08
#define ST_DF          0x20
#define ST_BSY         0x80
#define DEV_LBA        0xE0      /* bits 7 and 5 set (obsolete, always 1), 6 = LBA */
#define DEV_SLAVE      0x10
#define CTL_NIEN       0x02      /* no interrupts */
#define CMD_READ       0x20
#define CMD_IDENTIFY   0xEC

/* Wait until BSY clears (bounded: a missing drive must not hang us). */
static int ata_wait(uint8_t *st)
{
	for (uint32_t i = 0; i < 10000000u; i++) {
		*st = inb(ATA_STATUS);
		if (!(*st & ST_BSY))
			return 0;
	}
	return -1;
}

/* Select the drive and give it the 400 ns the standard wants: four reads
 * of the alternate status register. */
static void ata_select(int drive, uint32_t lba)
{
	outb(ATA_CTL, CTL_NIEN);
	outb(ATA_DEVICE, (uint8_t)(DEV_LBA | (drive ? DEV_SLAVE : 0) | ((lba >> 24) & 0x0F)));
	for (int i = 0; i < 4; i++)
		(void)inb(ATA_CTL);
}

/* Wait for the data of a PIO data-in command and read 256 words. */
static int ata_data_in(void *buf)
{
	uint8_t st;

	if (ata_wait(&st) < 0 || (st & (ST_ERR | ST_DF)) || !(st & ST_DRQ))
		return -1;
	insw(ATA_DATA, buf, 256);
	return 0;
}

int ata_identify(int drive, uint32_t *sectors)
{
	uint16_t id[256];

	ata_select(drive, 0);
	if (inb(ATA_STATUS) == 0 || inb(ATA_STATUS) == 0xFF)
		return -1;                       /* nothing there */
	outb(ATA_STATUS, CMD_IDENTIFY);
	if (ata_data_in(id) < 0)
		return -1;
	*sectors = id[60] | (uint32_t)id[61] << 16;
	return 0;
}

/* Read one sector (LBA28). */
int ata_read(int drive, uint32_t lba, void *buf)
{
	uint8_t st;

	ata_select(drive, lba);
	if (ata_wait(&st) < 0)
		return -1;
	outb(ATA_COUNT, 1);
	outb(ATA_LBA0, (uint8_t)lba);
	outb(ATA_LBA1, (uint8_t)(lba >> 8));
	outb(ATA_LBA2, (uint8_t)(lba >> 16));
	outb(ATA_STATUS, CMD_READ);
	return ata_data_in(buf);
}
