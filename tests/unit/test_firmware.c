/* test_firmware.c - the firmware's tables and services, driven the way the
 * ROM drives them: a register frame in guest RAM, one call per trap, the
 * ROM's copy and wait answers carried out here (RBIL conventions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "machine/firmware.h"
#include "machine/memmap.h"

#define RAM        (4u << 20)
#define FRAME      0x6000u            /* where the tests put a frame */
#define DISK0_SECTORS 2016u           /* 2 cylinders x 16 heads x 63 sectors */
#define DISK1_SECTORS 100u

struct fixture {
    struct gmem mem;
    struct ata ata;
    struct vga vga;
    struct i8042 kbd;
    struct rtc rtc;
    struct firmware fw;
    char dir[64], path[2][96];
    unsigned stops;
    char why[128];
};

static void stop_cb(void *opaque, const char *why)
{
    struct fixture *f = opaque;

    f->stops++;
    snprintf(f->why, sizeof(f->why), "%s", why);
}

/* Sector s of disk d holds bytes (s * 3 + d + i); sector 0 of disk 0 is
 * bootable. */
static void make_disk(const char *path, unsigned d, unsigned sectors)
{
    FILE *fp = fopen(path, "wb");
    uint8_t sec[512];

    assert_non_null(fp);
    for (unsigned s = 0; s < sectors; s++) {
        for (unsigned i = 0; i < 512; i++)
            sec[i] = (uint8_t)(s * 3 + d + i);
        if (s == 0 && d == 0) {
            sec[510] = 0x55;
            sec[511] = 0xAA;
        }
        assert_int_equal(fwrite(sec, 1, 512, fp), 512);
    }
    fclose(fp);
}

static uint8_t expect_byte(unsigned d, unsigned s, unsigned i)
{
    if (d == 0 && s == 0 && i >= 510)
        return i == 510 ? 0x55 : 0xAA;
    return (uint8_t)(s * 3 + d + i);
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    int64_t t;

    snprintf(f->dir, sizeof(f->dir), "/tmp/test_fw.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path[0], sizeof(f->path[0]), "%s/d0.img", f->dir);
    snprintf(f->path[1], sizeof(f->path[1]), "%s/d1.img", f->dir);
    make_disk(f->path[0], 0, DISK0_SECTORS);
    make_disk(f->path[1], 1, DISK1_SECTORS);
    assert_int_equal(gmem_init(&f->mem, RAM), 0);
    assert_int_equal(ata_init(&f->ata, "ata0", NULL, (struct irq_line){ 0 }), 0);
    assert_int_equal(ata_open_disk(&f->ata, 0, f->path[0], ATA_SNAPSHOT), 0);
    assert_int_equal(ata_open_disk(&f->ata, 1, f->path[1], 0), 0);
    assert_int_equal(vga_init(&f->vga, NULL, &f->mem), 0);
    assert_int_equal(i8042_init(&f->kbd, NULL, (struct irq_line){ 0 }, (struct irq_line){ 0 }), 0);
    assert_int_equal(rtc_parse_time("2024-05-06T12:00:00", &t), 0);
    assert_int_equal(rtc_init(&f->rtc, NULL, (struct irq_line){ 0 }, t), 0);
    assert_int_equal(firmware_init(&f->fw, NULL, &f->mem, &f->ata, &f->vga, &f->kbd, &f->rtc), 0);
    f->fw.stop = stop_cb;
    f->fw.stop_opaque = f;
    assert_int_equal(firmware_install(&f->fw), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    ata_destroy(&f->ata);
    gmem_fini(&f->mem);
    unlink(f->path[0]);
    unlink(f->path[1]);
    rmdir(f->dir);
    test_free(f);
    return 0;
}

static uint8_t *ram(struct fixture *f, uint32_t pa) { return f->mem.ram + pa; }
static uint16_t rd16(struct fixture *f, uint32_t pa) { return (uint16_t)(ram(f, pa)[0] | ram(f, pa)[1] << 8); }
static uint32_t rd32(struct fixture *f, uint32_t pa) { return rd16(f, pa) | (uint32_t)rd16(f, pa + 2) << 16; }

/* One INT as the ROM performs it: frame, trap, copies, until done.
 * Returns true when the service asked to wait for an interrupt. */
static bool call(struct fixture *f, uint8_t vec, struct fw_frame *r)
{
    r->vec = vec;
    for (unsigned round = 0; round < 1000; round++) {
        memcpy(ram(f, FRAME), r, FW_FRAME_SIZE);
        firmware_call(&f->fw, FRAME);
        memcpy(r, ram(f, FRAME), FW_FRAME_SIZE);
        if (r->vec & FW_WAIT) {
            r->vec &= (uint16_t)~FW_WAIT;
            return true;
        }
        if (!(r->vec & FW_COPY))
            return false;
        uint32_t src = rd16(f, MM_FW_DATA + 2) * 16u + rd16(f, MM_FW_DATA);
        uint32_t dst = rd16(f, MM_FW_DATA + 6) * 16u + rd16(f, MM_FW_DATA + 4);
        uint16_t n = rd16(f, MM_FW_DATA + 8);
        assert_true(src + n <= RAM && dst + n <= RAM);
        memmove(ram(f, dst), ram(f, src), n);      /* rep movsb */
    }
    fail_msg("the firmware never finished");
    return false;
}

static bool cf(const struct fw_frame *r) { return r->flags & RFLAGS_CF; }
static uint8_t ah(const struct fw_frame *r) { return (uint8_t)(r->eax >> 8); }

static void test_install(void **state)
{
    struct fixture *f = *state;

    /* IVT: int 13h -> F000:x, whose code pushes 0x13 (push imm8) */
    assert_int_equal(rd16(f, 4 * 0x13 + 2), 0xF000);
    uint16_t off = rd16(f, 4 * 0x13);
    assert_int_equal(ram(f, MM_ROM_BASE + off)[0], 0x6A);
    assert_int_equal(ram(f, MM_ROM_BASE + off)[1], 0x13);
    assert_int_equal(ram(f, MM_ROM_BASE + rd16(f, 0))[0], 0xCF);   /* int 0: IRET */
    assert_int_equal(ram(f, MM_ROM_RESET)[0], 0xEA);                /* JMP FAR */
    assert_int_equal(rd16(f, 0x400), PORT_COM1);
    assert_int_equal(rd16(f, 0x40E), MM_EBDA_BASE >> 4);
    assert_int_equal(rd16(f, 0x413), 639);
    assert_int_equal(ram(f, 0x449)[0], 3);
    assert_int_equal(ram(f, 0x475)[0], 2);                          /* hard disks */
    assert_int_equal(rd16(f, MM_EBDA_BASE), 1);
    assert_int_equal(rd16(f, MM_VGA_TEXT), 0x0720);
    /* ticks at 12:00:00: 43200 s at 1193182/65536 Hz */
    assert_int_equal(rd32(f, 0x46C), (uint32_t)(43200ull * 1193182 / 65536));
}

static void test_int13_chs_read(void **state)
{
    struct fixture *f = *state;
    struct fw_frame r = { .eax = 0x0203, .ecx = 0x0002, .edx = 0x0080, .ebx = 0x7E00 };

    assert_false(call(f, 0x13, &r));
    assert_false(cf(&r));
    assert_int_equal(r.eax & 0xFFFF, 0x0003);            /* AH=0, AL=3 sectors */
    for (unsigned s = 1; s <= 3; s++)
        for (unsigned i = 0; i < 512; i += 97)
            assert_int_equal(ram(f, 0x7E00 + (s - 1) * 512 + i)[0], expect_byte(0, s, i));
    /* C/H/S 1/2/3 = (1*16+2)*63+2 = 1136, into ES:BX = 1000:0010 */
    r = (struct fw_frame){ .eax = 0x0201, .ecx = 0x0103, .edx = 0x0280, .ebx = 0x10, .es = 0x1000 };
    call(f, 0x13, &r);
    assert_false(cf(&r));
    assert_int_equal(ram(f, 0x10010)[5], expect_byte(0, 1136, 5));
    /* sector 0, sector 64, head 16: parameter errors */
    uint16_t bad[][2] = { { 0x0000, 0x0080 }, { 0x0040, 0x0080 }, { 0x0001, 0x1080 } };
    for (unsigned i = 0; i < 3; i++) {
        r = (struct fw_frame){ .eax = 0x0201, .ecx = bad[i][0], .edx = bad[i][1], .ebx = 0x7E00 };
        call(f, 0x13, &r);
        assert_true(cf(&r));
        assert_int_equal(ah(&r), 0x01);
    }
    assert_int_equal(ram(f, 0x474)[0], 0x01);            /* last status in the BDA */
    r = (struct fw_frame){ .eax = 0x0100, .edx = 0x0080 };
    call(f, 0x13, &r);
    assert_int_equal(ah(&r), 0x01);
}

static void put_dap(struct fixture *f, uint32_t at, uint16_t count, uint16_t seg, uint16_t off,
                    uint64_t lba)
{
    uint8_t *d = ram(f, at);

    memset(d, 0, 16);
    d[0] = 0x10;
    d[2] = (uint8_t)count;
    d[3] = (uint8_t)(count >> 8);
    d[4] = (uint8_t)off;
    d[5] = (uint8_t)(off >> 8);
    d[6] = (uint8_t)seg;
    d[7] = (uint8_t)(seg >> 8);
    for (unsigned i = 0; i < 8; i++)
        d[8 + i] = (uint8_t)(lba >> (8 * i));
}

static void test_int13_extensions(void **state)
{
    struct fixture *f = *state;
    struct fw_frame r = { .eax = 0x4100, .ebx = 0x55AA, .edx = 0x0081 };

    call(f, 0x13, &r);
    assert_false(cf(&r));
    assert_int_equal(r.ebx & 0xFFFF, 0xAA55);
    assert_int_equal(ah(&r), 0x30);
    /* AH=42h: 100 sectors of disk 1 (more than the bounce buffer holds) */
    put_dap(f, 0x5000, DISK1_SECTORS, 0x2000, 0x0000, 0);
    r = (struct fw_frame){ .eax = 0x4200, .edx = 0x0081, .esi = 0x5000 };
    call(f, 0x13, &r);
    assert_false(cf(&r));
    assert_int_equal(rd16(f, 0x5002), DISK1_SECTORS);
    for (unsigned s = 0; s < DISK1_SECTORS; s += 7)
        assert_int_equal(ram(f, 0x20000 + s * 512 + 11)[0], expect_byte(1, s, 11));
    /* AH=43h writes reach the (non-snapshot) file */
    memset(ram(f, 0x30000), 0xAB, 512);
    put_dap(f, 0x5000, 1, 0x3000, 0, 42);
    r = (struct fw_frame){ .eax = 0x4300, .edx = 0x0081, .esi = 0x5000 };
    call(f, 0x13, &r);
    assert_false(cf(&r));
    FILE *fp = fopen(f->path[1], "rb");
    uint8_t b[4];
    assert_non_null(fp);
    fseek(fp, 42 * 512 + 100, SEEK_SET);
    assert_int_equal(fread(b, 1, 4, fp), 4);
    fclose(fp);
    assert_int_equal(b[0], 0xAB);
    /* beyond the end: error 04h, nothing transferred */
    put_dap(f, 0x5000, 2, 0x2000, 0, DISK1_SECTORS - 1);
    memset(ram(f, 0x20000), 0, 1024);
    r = (struct fw_frame){ .eax = 0x4200, .edx = 0x0081, .esi = 0x5000 };
    call(f, 0x13, &r);
    assert_true(cf(&r));
    assert_int_equal(ah(&r), 0x04);
    assert_int_equal(rd16(f, 0x5002), 0);
    assert_int_equal(ram(f, 0x20000)[1], 0);
    /* a buffer above 1 MiB (flat EDD 3.0 address) is refused */
    put_dap(f, 0x5000, 1, 0xFFFF, 0xFFFF, 0);
    ram(f, 0x5000)[0] = 0x18;
    memset(ram(f, 0x5010), 0, 8);
    ram(f, 0x5012)[0] = 0x20;                            /* flat 0x200000 */
    r = (struct fw_frame){ .eax = 0x4200, .edx = 0x0081, .esi = 0x5000 };
    call(f, 0x13, &r);
    assert_true(cf(&r));
}

static void test_int13_params(void **state)
{
    struct fixture *f = *state;
    struct fw_frame r = { .eax = 0x0800, .edx = 0x0080 };

    call(f, 0x13, &r);
    assert_false(cf(&r));
    assert_int_equal((r.edx >> 8) & 0xFF, 15);            /* max head */
    assert_int_equal(r.ecx & 0x3F, 63);
    assert_int_equal((r.ecx >> 8) & 0xFF, 0);             /* 2 cylinders, last reserved */
    assert_int_equal(r.edx & 0xFF, 2);                    /* hard disks */
    memset(ram(f, 0x5000), 0, 0x20);
    ram(f, 0x5000)[0] = 0x1E;
    r = (struct fw_frame){ .eax = 0x4800, .edx = 0x0080, .esi = 0x5000 };
    call(f, 0x13, &r);
    assert_false(cf(&r));
    assert_int_equal(rd16(f, 0x5000), 0x1E);
    assert_int_equal(rd32(f, 0x5000 + 16), DISK0_SECTORS);
    assert_int_equal(rd16(f, 0x5000 + 24), 512);
    r = (struct fw_frame){ .eax = 0x0201, .ecx = 1, .edx = 0x0082, .ebx = 0x7E00 };
    call(f, 0x13, &r);
    assert_true(cf(&r));                                  /* no third disk */
    r = (struct fw_frame){ .eax = 0x0201, .ecx = 1, .edx = 0x0000, .ebx = 0x7E00 };
    call(f, 0x13, &r);
    assert_true(cf(&r));                                  /* no floppy */
}

static void test_int15_e820(void **state)
{
    struct fixture *f = *state;
    struct fw_frame r;
    uint32_t next = 0;
    unsigned n = 0;

    do {
        uint64_t base, len;
        uint32_t type;
        r = (struct fw_frame){ .eax = 0xE820, .edx = 0x534D4150, .ecx = 24, .ebx = next,
                               .edi = 0x5000 };
        call(f, 0x15, &r);
        assert_false(cf(&r));
        assert_int_equal(r.eax, 0x534D4150);
        assert_int_equal(r.ecx, 20);
        assert_true(firmware_e820(RAM, n, &base, &len, &type));
        assert_int_equal(rd32(f, 0x5000), (uint32_t)base);
        assert_int_equal(rd32(f, 0x5008), (uint32_t)len);
        assert_int_equal(rd32(f, 0x5010), type);
        next = r.ebx;
        n++;
    } while (next && n < 10);
    assert_int_equal(n, 4);
    uint64_t base, len;
    uint32_t type;
    assert_true(firmware_e820(RAM, 3, &base, &len, &type));
    assert_int_equal(base, 0x100000);
    assert_int_equal(len, RAM - 0x100000);
    assert_int_equal(type, 1);
    r = (struct fw_frame){ .eax = 0xE820, .edx = 0x12345678, .ecx = 20, .edi = 0x5000 };
    call(f, 0x15, &r);
    assert_true(cf(&r));
    r = (struct fw_frame){ .eax = 0xE820, .edx = 0x534D4150, .ecx = 20, .ebx = 99, .edi = 0x5000 };
    call(f, 0x15, &r);
    assert_true(cf(&r));
    r = (struct fw_frame){ .eax = 0x8800 };
    call(f, 0x15, &r);
    assert_int_equal(r.eax & 0xFFFF, 3072);               /* 4 MiB - 1 MiB in KiB */
    r = (struct fw_frame){ .eax = 0x2402 };
    call(f, 0x15, &r);
    assert_int_equal(r.eax & 0xFF, 1);
    r = (struct fw_frame){ .eax = 0xC000 };
    call(f, 0x15, &r);
    assert_false(cf(&r));
    assert_int_equal(r.es, 0xF000);
    assert_int_equal(rd16(f, MM_ROM_BASE + (r.ebx & 0xFFFF)), 8);
}

static void test_int16_waits_for_int09(void **state)
{
    struct fixture *f = *state;
    struct fw_frame r = { .eax = 0x0100 };

    call(f, 0x16, &r);
    assert_true(r.flags & RFLAGS_ZF);                     /* no key */
    r = (struct fw_frame){ .eax = 0x0000 };
    assert_true(call(f, 0x16, &r));                       /* wait: HLT */
    i8042_type(&f->kbd, (const uint8_t *)"A\x03", 2);     /* shift+a, ctrl+c */
    for (unsigned i = 0; i < 8; i++) {                    /* IRQ 1 each byte */
        struct fw_frame k = { 0 };
        call(f, 0x09, &k);
    }
    r = (struct fw_frame){ .eax = 0x0000 };
    assert_false(call(f, 0x16, &r));
    assert_int_equal(r.eax & 0xFFFF, 0x1E41);
    r = (struct fw_frame){ .eax = 0x1000 };
    assert_false(call(f, 0x16, &r));
    assert_int_equal(r.eax & 0xFFFF, 0x2E03);
    r = (struct fw_frame){ .eax = 0x0200 };
    call(f, 0x16, &r);
    assert_int_equal(r.eax & 0xFF, 0);                    /* shift and ctrl released */
}

static void test_int10_teletype(void **state)
{
    struct fixture *f = *state;
    const char *s = "Hi\r\nX";
    struct fw_frame r;

    for (const char *p = s; *p; p++) {
        r = (struct fw_frame){ .eax = 0x0E00 | (uint8_t)*p };
        call(f, 0x10, &r);
    }
    assert_int_equal(ram(f, MM_VGA_TEXT)[0], 'H');
    assert_int_equal(ram(f, MM_VGA_TEXT + 160)[0], 'X');
    assert_int_equal(vga_cursor_pos(&f->vga), 81);
    r = (struct fw_frame){ .eax = 0x0300 };
    call(f, 0x10, &r);
    assert_int_equal(r.edx & 0xFFFF, 0x0101);
    /* fill to the bottom: the page scrolls */
    r = (struct fw_frame){ .eax = 0x0200, .edx = 0x184F };   /* row 24, col 79 */
    call(f, 0x10, &r);
    r = (struct fw_frame){ .eax = 0x0E00 | 'Z' };
    call(f, 0x10, &r);                                    /* wraps -> scroll */
    assert_int_equal(ram(f, MM_VGA_TEXT)[0], 'X');        /* row 1 moved to row 0 */
    assert_int_equal(ram(f, MM_VGA_TEXT + 23 * 160 + 158)[0], 'Z');
    assert_int_equal(rd16(f, MM_VGA_TEXT + 24 * 160), 0x0720);
    assert_int_equal(vga_cursor_pos(&f->vga), 24 * 80);
    /* AH=13h: a string with attribute 1Eh at row 5, cursor moved */
    memcpy(ram(f, 0x5000), "ok", 2);
    r = (struct fw_frame){ .eax = 0x1301, .ebx = 0x001E, .ecx = 2, .edx = 0x0500,
                           .ebp = 0x5000 };
    call(f, 0x10, &r);
    assert_int_equal(rd16(f, MM_VGA_TEXT + 5 * 160), 0x1E00 | 'o');
    assert_int_equal(vga_cursor_pos(&f->vga), 5 * 80 + 2);
    /* AH=00h: mode 3 clears the screen */
    r = (struct fw_frame){ .eax = 0x0003 };
    call(f, 0x10, &r);
    assert_int_equal(rd16(f, MM_VGA_TEXT + 5 * 160), 0x0720);
    assert_int_equal(vga_cursor_pos(&f->vga), 0);
}

static void test_int1a_and_misc(void **state)
{
    struct fixture *f = *state;
    struct fw_frame r = { .eax = 0x0200 };

    call(f, 0x1A, &r);
    assert_int_equal(r.ecx & 0xFFFF, 0x1200);             /* 12:00 BCD */
    r = (struct fw_frame){ .eax = 0x0400 };
    call(f, 0x1A, &r);
    assert_int_equal(r.ecx & 0xFFFF, 0x2024);
    assert_int_equal(r.edx & 0xFFFF, 0x0506);
    r = (struct fw_frame){ .eax = 0x0100, .ecx = 0x0001, .edx = 0x0002 };
    call(f, 0x1A, &r);
    r = (struct fw_frame){ .eax = 0x0000 };
    call(f, 0x1A, &r);
    assert_int_equal(r.ecx & 0xFFFF, 1);
    assert_int_equal(r.edx & 0xFFFF, 2);
    r = (struct fw_frame){ 0 };
    call(f, 0x12, &r);
    assert_int_equal(r.eax & 0xFFFF, 639);
    call(f, 0x18, &r);
    assert_int_equal(f->stops, 1);
    assert_non_null(strstr(f->why, "int 18h"));
}

static void test_int19_and_boot_disk(void **state)
{
    struct fixture *f = *state;
    struct fw_frame r = { 0 };
    struct cpu_state cpu;

    call(f, 0x19, &r);
    assert_int_equal(r.eax & 0xFFFF, FW_BOOT_MAGIC);
    assert_int_equal(r.edx & 0xFF, 0x80);
    assert_int_equal(ram(f, 0x7DFE)[0], 0x55);
    assert_int_equal(ram(f, 0x7C00)[3], expect_byte(0, 0, 3));
    memset(ram(f, 0x7C00), 0, 512);
    assert_int_equal(firmware_boot_disk(&f->fw, &cpu), 0);
    assert_int_equal(cpu.rip, 0x7C00);
    assert_int_equal(cpu.gpr[GPR_RDX] & 0xFF, 0x80);
    assert_int_equal(ram(f, 0x7DFF)[0], 0xAA);
}

/* Random frames at random addresses, including the stray copy request
 * and frames that straddle the end of RAM: nothing may crash. */
static void test_hostile_frames(void **state)
{
    struct fixture *f = *state;
    uint32_t x = 2024;

    for (unsigned i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t at = (x >> 4) % (RAM + 4096);
        if (at + FW_FRAME_SIZE <= RAM) {
            for (unsigned b = 0; b < FW_FRAME_SIZE; b++) {
                x = x * 1103515245u + 12345u;
                ram(f, at)[b] = (uint8_t)(x >> 16);
            }
            static const uint8_t vecs[] = { 0x09, 0x10, 0x13, 0x15, 0x16, 0x1A, 0x19 };
            ram(f, at + 38)[0] = vecs[(x >> 8) % sizeof(vecs)];
        }
        firmware_call(&f->fw, at);
        firmware_call(&f->fw, 0xFFFFFFF0u);
    }
    assert_true(f->fw.calls >= 40000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_install, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int13_chs_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int13_extensions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int13_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int15_e820, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int16_waits_for_int09, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int10_teletype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int1a_and_misc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int19_and_boot_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_frames, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
