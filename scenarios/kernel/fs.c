/* fs.c - reading KFS (fs.h) from an ATA drive.  Read-only: the kernel
 * looks a name up in the directory and reads the file's sectors, then
 * checks the checksum. */
#include "kernel.h"
#include "fs.h"

#define KFS_MAX_FILES 64

static int fs_drive = -1;
static struct kfs_super super;
static struct kfs_dirent dir[KFS_MAX_FILES];
static uint8_t sector[KFS_SECTOR];

int fs_mount(int drive)
{
	if (ata_read(drive, 0, sector) < 0)
		return -1;
	memcpy(&super, sector, sizeof super);
	if (strcmp(super.magic, KFS_MAGIC) != 0 || super.nfiles > KFS_MAX_FILES ||
	    super.dir_sectors * KFS_DIRENTS_PER_SECTOR < super.nfiles)
		return -1;
	for (uint32_t s = 0; s < super.dir_sectors; s++) {
		if (ata_read(drive, super.dir_lba + s, sector) < 0)
			return -1;
		uint32_t first = s * KFS_DIRENTS_PER_SECTOR;
		for (uint32_t i = 0; i < KFS_DIRENTS_PER_SECTOR && first + i < super.nfiles; i++) {
			memcpy(&dir[first + i], sector + i * sizeof(struct kfs_dirent),
			       sizeof(struct kfs_dirent));
			dir[first + i].name[KFS_NAME_MAX - 1] = '\0';
		}
	}
	fs_drive = drive;
	return 0;
}

void fs_list(void)
{
	kprintf("fs: KFS on disk 1: %u sectors, %u files\n",
		super.total_sectors, super.nfiles);
	for (uint32_t i = 0; i < super.nfiles; i++) {
		kprintf("fs:   %20s %5u bytes at sector %u\n",
			dir[i].name, dir[i].size, dir[i].lba);
	}
}

/* Read file @name into @buf (at most @max bytes).  Returns the number of
 * bytes read, or -1: no such file, a disk error, or a bad checksum. */
int fs_read(const char *name, void *buf, uint32_t max)
{
	if (fs_drive < 0)
		return -1;
	for (uint32_t i = 0; i < super.nfiles; i++) {
		struct kfs_dirent *d = &dir[i];

		if (strcmp(d->name, name) != 0)
			continue;
		uint32_t n = d->size < max ? d->size : max;
		for (uint32_t off = 0; off < n; off += KFS_SECTOR) {
			if (ata_read(fs_drive, d->lba + off / KFS_SECTOR, sector) < 0)
				return -1;
			memcpy((uint8_t *)buf + off, sector,
			       n - off < KFS_SECTOR ? n - off : KFS_SECTOR);
		}
		if (n == d->size && kfs_fnv1a(KFS_FNV_INIT, buf, n) != d->fnv1a)
			return -1;
		return (int)n;
	}
	return -1;
}
