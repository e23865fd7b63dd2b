/* fs.h - KFS, the kernel's file system on disk 1 (shared with mkfs.c).
 *
 * All numbers little-endian; sectors are 512 bytes.
 *
 *   sector 0            superblock (struct kfs_super, rest zero)
 *   sectors 1..D        directory: struct kfs_dirent[nfiles], 16 a sector
 *   sectors D+1..       file data, each file contiguous from its own
 *                       first sector (the tail of its last sector zero)
 *
 * A file's checksum is FNV-1a (32 bit) over its bytes.
 */
#ifndef KERNEL_FS_H
#define KERNEL_FS_H

#include <stdint.h>

#define KFS_MAGIC     "VMSKFS1"     /* 8 bytes with the NUL */
#define KFS_SECTOR    512u
#define KFS_NAME_MAX  20            /* name bytes, NUL-padded, NUL-terminated */

struct kfs_super {
	char magic[8];
	uint32_t total_sectors;         /* size of the image */
	uint32_t nfiles;
	uint32_t dir_lba;               /* 1 */
	uint32_t dir_sectors;
	uint32_t data_lba;              /* first data sector */
};

struct kfs_dirent {                 /* 32 bytes */
	char name[KFS_NAME_MAX];
	uint32_t lba;                   /* first sector */
	uint32_t size;                  /* bytes */
	uint32_t fnv1a;                 /* checksum of the bytes */
};

#define KFS_DIRENTS_PER_SECTOR (KFS_SECTOR / sizeof(struct kfs_dirent))

static inline uint32_t kfs_fnv1a(uint32_t h, const uint8_t *p, uint32_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}
#define KFS_FNV_INIT  2166136261u

#endif
