/* mkfs.c - build a KFS disk image (fs.h) from files.  A host program.
 *
 *   mkfs [-s SECTORS] IMAGE FILE...
 *
 * Each FILE is stored under its base name (at most 19 bytes), in the
 * order given.  The image is SECTORS sectors long (default 1024, 512 KiB),
 * or just large enough if the files need more.  Exit status 0, or 1 with
 * one line on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

#define MAX_FILES   64
#define MAX_BYTES   (1u << 24)       /* per file: plenty for a teaching fs */

struct input {
	const char *path;
	unsigned char *data;
	uint32_t size;
};

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int load(struct input *in)
{
	FILE *f = fopen(in->path, "rb");

	if (!f) {
		fprintf(stderr, "mkfs: %s: %s\n", in->path, strerror(errno));
		return -1;
	}
	in->data = malloc(MAX_BYTES);
	size_t n = in->data ? fread(in->data, 1, MAX_BYTES, f) : 0;
	int err = !in->data || ferror(f) || !feof(f);
	fclose(f);
	if (err) {
		fprintf(stderr, "mkfs: %s: unreadable or larger than %u bytes\n",
			in->path, MAX_BYTES);
		return -1;
	}
	in->size = (uint32_t)n;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Lay out the directory and data in @img (zeroed, @total sectors). */
static void build(unsigned char *img, uint32_t total, struct input *in, int n,
		  uint32_t dir_sectors)
{
	uint32_t lba = 1 + dir_sectors;
	unsigned char *sb = img;

	memcpy(sb, KFS_MAGIC, sizeof(KFS_MAGIC));
	put32(sb + 8, total);
	put32(sb + 12, (uint32_t)n);
	put32(sb + 16, 1);
	put32(sb + 20, dir_sectors);
	put32(sb + 24, lba);
	for (int i = 0; i < n; i++) {
		unsigned char *d = img + KFS_SECTOR + (size_t)i * sizeof(struct kfs_dirent);

		memcpy(d, base_name(in[i].path), strlen(base_name(in[i].path)));
		put32(d + 20, lba);
		put32(d + 24, in[i].size);
		put32(d + 28, kfs_fnv1a(KFS_FNV_INIT, in[i].data, in[i].size));
		memcpy(img + (size_t)lba * KFS_SECTOR, in[i].data, in[i].size);
		lba += (in[i].size + KFS_SECTOR - 1) / KFS_SECTOR;
	}
}

int main(int argc, char **argv)
{
	uint32_t total = 1024;
	int a = 1;

	if (a + 1 < argc && !strcmp(argv[a], "-s")) {
		total = (uint32_t)strtoul(argv[a + 1], NULL, 0);
		a += 2;
	}
	if (argc - a < 2 || argc - a - 1 > MAX_FILES) {
		fprintf(stderr, "usage: mkfs [-s SECTORS] IMAGE FILE... (at most %d files)\n", MAX_FILES);
		return 1;
	}
	const char *image = argv[a++];
	int n = argc - a;
	struct input in[MAX_FILES] = { { 0 } };
	uint32_t dir_sectors = ((uint32_t)n + KFS_DIRENTS_PER_SECTOR - 1) / KFS_DIRENTS_PER_SECTOR;
	uint32_t need = 1 + dir_sectors;

	for (int i = 0; i < n; i++) {
		in[i].path = argv[a + i];
		if (strlen(base_name(in[i].path)) >= KFS_NAME_MAX || !*base_name(in[i].path)) {
			fprintf(stderr, "mkfs: %s: the name must be 1-%d bytes\n",
				in[i].path, KFS_NAME_MAX - 1);
			return 1;
		}
		if (load(&in[i]) < 0)
			return 1;
		need += (in[i].size + KFS_SECTOR - 1) / KFS_SECTOR;
	}
	if (total < need)
		total = need;

	unsigned char *img = calloc(total, KFS_SECTOR);
	if (!img) {
		fprintf(stderr, "mkfs: out of memory\n");
		return 1;
	}
	build(img, total, in, n, dir_sectors);
	FILE *f = fopen(image, "wb");
	if (!f || fwrite(img, KFS_SECTOR, total, f) != total || fclose(f) != 0) {
		fprintf(stderr, "mkfs: %s: cannot write: %s\n", image, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++)
		free(in[i].data);
	free(img);
	return 0;
}
