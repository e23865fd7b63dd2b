/* firmware.c - the PC firmware's tables and services (see firmware.h). */
#include "firmware.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "loader.h"

static const char FW_NAME[] = "bios";

/* ---- the BIOS data area (IBM PC/AT Technical Reference; RBIL MEMORY.LST) ---- */
#define BDA_COM1        0x400u  /* serial port base addresses, 4 words */
#define BDA_EBDA_SEG    0x40Eu  /* segment of the extended BIOS data area */
#define BDA_EQUIPMENT   0x410u  /* equipment word (int 11h) */
#define BDA_MEM_KB      0x413u  /* conventional memory in KiB (int 12h) */
#define BDA_KBD_FLAGS   0x417u  /* shift flags (int 16h AH=02h) */
#define BDA_KBD_FLAGS2  0x418u
#define BDA_KBD_HEAD    0x41Au  /* keyboard buffer: next key to read */
#define BDA_KBD_TAIL    0x41Cu  /* next free slot */
#define BDA_KBD_BUF     0x41Eu  /* 16 words */
#define BDA_VIDEO_MODE  0x449u
#define BDA_VIDEO_COLS  0x44Au
#define BDA_PAGE_SIZE   0x44Cu
#define BDA_PAGE_START  0x44Eu
#define BDA_CURSOR_POS  0x450u  /* 8 words: column, row per page */
#define BDA_CURSOR_TYPE 0x460u  /* end line, start line */
#define BDA_ACTIVE_PAGE 0x462u
#define BDA_CRTC_PORT   0x463u
#define BDA_MODE_CTL    0x465u
#define BDA_PALETTE     0x466u
#define BDA_TICKS       0x46Cu  /* IRQ 0 ticks since midnight (bios.S irq0) */
#define BDA_MIDNIGHT    0x470u
#define BDA_DISK_STATUS 0x474u  /* status of the last int 13h on a hard disk */
#define BDA_NDISKS      0x475u
#define BDA_KBD_START   0x480u  /* buffer start/end, offsets from 0x400 */
#define BDA_KBD_END     0x482u
#define BDA_ROWS        0x484u  /* rows - 1 */
#define BDA_CHAR_HEIGHT 0x485u
#define BDA_VIDEO_CTL   0x487u
#define BDA_VIDEO_SW    0x488u
#define BDA_VGA_FLAGS   0x489u
#define BDA_KBD_STATUS3 0x496u  /* bit 1: last code was E0; bit 4: 101 keys */

#define KBD_BUF_FIRST   0x1Eu
#define KBD_BUF_LAST    0x3Eu
#define EQUIPMENT       0x0206u /* 1 serial port, PS/2 mouse, FPU, EGA/VGA (SeaBIOS) */
#define CONV_MEM_KB     (MM_EBDA_BASE / 1024u)   /* 639 */
#define EBDA_KB         1u
#define TEXT_PAGE_BYTES 4096u
#define TEXT_PAGES      8u
#define BLANK_ATTR      0x07u   /* light grey on black */
#define CURSOR_SHAPE    0x0607u /* BIOS default for 8-line cells */
#define PIT_TICK_DIV    65536u  /* counter 0 count 0: 18.2065 Hz */
#define SECS_PER_DAY    86400u
#define SMAP            0x534D4150u  /* "SMAP" (E820h) */
#define E820_ENTRY      20u
#define ROM_HDR_SIZE    20u

/* int 13h status codes (RBIL INT 13 AH=01h) */
enum { DISK_OK = 0x00, DISK_EPARAM = 0x01, DISK_ENOTFOUND = 0x04, DISK_EWRITE_PROT = 0x03,
       DISK_EDMA = 0x09, DISK_EUNSUP = 0x01, DISK_ECONTROLLER = 0x20 };

static void fw_ev(const struct firmware *fw, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fw_ev(const struct firmware *fw, const char *fmt, ...)
{
    va_list ap;

    if (!ev_wants(fw->ctx.ev, EV_DEVICE))
        return;
    va_start(ap, fmt);
    dev_eventv(&fw->ctx, FW_NAME, fmt, ap);
    va_end(ap);
}

/* ---- guest memory ---- */

static uint8_t rd8(const struct firmware *fw, uint64_t pa)
{
    const uint8_t *p = gmem_ptr(fw->mem, pa, 1);
    return p ? *p : 0;
}

static uint16_t rd16(const struct firmware *fw, uint64_t pa)
{
    return (uint16_t)(rd8(fw, pa) | (rd8(fw, pa + 1) << 8));
}

static uint32_t rd32(const struct firmware *fw, uint64_t pa)
{
    return rd16(fw, pa) | ((uint32_t)rd16(fw, pa + 2) << 16);
}

static void wr8(struct firmware *fw, uint64_t pa, uint8_t v)
{
    uint8_t *p = gmem_ptr(fw->mem, pa, 1);
    if (p)
        *p = v;
}

static void wr16(struct firmware *fw, uint64_t pa, uint16_t v)
{
    wr8(fw, pa, (uint8_t)v);
    wr8(fw, pa + 1, (uint8_t)(v >> 8));
}

static void wr32(struct firmware *fw, uint64_t pa, uint32_t v)
{
    wr16(fw, pa, (uint16_t)v);
    wr16(fw, pa + 2, (uint16_t)(v >> 16));
}

static uint32_t lin(uint16_t seg, uint16_t off) { return ((uint32_t)seg << 4) + off; }

/* ---- frame registers ---- */

static uint8_t ah(const struct fw_frame *f) { return (uint8_t)(f->eax >> 8); }
static uint8_t al(const struct fw_frame *f) { return (uint8_t)f->eax; }
static uint8_t bh(const struct fw_frame *f) { return (uint8_t)(f->ebx >> 8); }
static uint8_t bl(const struct fw_frame *f) { return (uint8_t)f->ebx; }
static uint8_t ch(const struct fw_frame *f) { return (uint8_t)(f->ecx >> 8); }
static uint8_t cl(const struct fw_frame *f) { return (uint8_t)f->ecx; }
static uint8_t dh(const struct fw_frame *f) { return (uint8_t)(f->edx >> 8); }
static uint8_t dl(const struct fw_frame *f) { return (uint8_t)f->edx; }
static uint16_t cx(const struct fw_frame *f) { return (uint16_t)f->ecx; }

static void set_lo16(uint32_t *r, uint16_t v) { *r = (*r & 0xFFFF0000u) | v; }
static void set_hi8(uint32_t *r, uint8_t v) { *r = (*r & 0xFFFF00FFu) | ((uint32_t)v << 8); }
static void set_lo8(uint32_t *r, uint8_t v) { *r = (*r & 0xFFFFFF00u) | v; }

static void set_flag(struct fw_frame *f, uint16_t flag, bool on)
{
    f->flags = on ? (uint16_t)(f->flags | flag) : (uint16_t)(f->flags & ~flag);
}

static void ok(struct fw_frame *f) { set_flag(f, RFLAGS_CF, false); }

/* Unsupported or failed: CF=1 and AH = @code (RBIL: 0x86 "unsupported"). */
static void fail(struct fw_frame *f, uint8_t code)
{
    set_hi8(&f->eax, code);
    set_flag(f, RFLAGS_CF, true);
}

/* ====================================================================
 * Installation
 */

static int check_rom(const uint8_t *rom, size_t size)
{
    if (size != MM_BIOS_END - MM_ROM_BASE || memcmp(rom, FW_ROM_MAGIC, 8) != 0)
        return vms_seterr(VMS_ERR_BADIMAGE, "firmware ROM: bad size or magic");
    uint16_t port = (uint16_t)(rom[8] | rom[9] << 8), seg = (uint16_t)(rom[10] | rom[11] << 8);
    if (port != PORT_FWCALL || lin(seg, 0) != MM_FW_DATA)
        return vms_seterr(VMS_ERR_BADIMAGE, "firmware ROM: port 0x%x / data 0x%x do not "
                          "match memmap.h", port, lin(seg, 0));
    return 0;
}

static void set_vector(struct firmware *fw, unsigned v, uint16_t off)
{
    wr16(fw, MM_IVT_BASE + 4 * v, off);
    wr16(fw, MM_IVT_BASE + 4 * v + 2, (uint16_t)(MM_ROM_BASE >> 4));
}

static void install_ivt(struct firmware *fw, const uint8_t *rom)
{
    uint16_t table = (uint16_t)(rom[12] | rom[13] << 8), n = (uint16_t)(rom[14] | rom[15] << 8);
    uint16_t iret = (uint16_t)(rom[16] | rom[17] << 8);

    for (unsigned v = 0; v < 256; v++)
        set_vector(fw, v, iret);
    for (unsigned i = 0; i < n && table + 3u * i + 3 <= MM_BIOS_END - MM_ROM_BASE; i++) {
        const uint8_t *e = rom + table + 3 * i;
        set_vector(fw, e[0], (uint16_t)(e[1] | e[2] << 8));
    }
}

static unsigned ndisks(const struct firmware *fw)
{
    return (ata_disk_sectors(fw->ata, 0) ? 1u : 0u) + (ata_disk_sectors(fw->ata, 1) ? 1u : 0u);
}

/* Ticks since midnight from the RTC, as a BIOS initialises 0x46C. */
static uint32_t ticks_now(const struct firmware *fw)
{
    if (!fw->rtc)
        return 0;
    uint64_t s = (uint64_t)rtc_time(fw->rtc) % SECS_PER_DAY;
    return (uint32_t)(s * PIT_HZ / PIT_TICK_DIV);
}

static void install_bda(struct firmware *fw)
{
    uint8_t *bda = gmem_ptr(fw->mem, MM_BDA_BASE, 0x100);

    memset(bda, 0, 0x100);
    wr16(fw, BDA_COM1, PORT_COM1);
    wr16(fw, BDA_EBDA_SEG, (uint16_t)(MM_EBDA_BASE >> 4));
    wr16(fw, BDA_EQUIPMENT, EQUIPMENT);
    wr16(fw, BDA_MEM_KB, CONV_MEM_KB);
    wr16(fw, BDA_KBD_HEAD, KBD_BUF_FIRST);
    wr16(fw, BDA_KBD_TAIL, KBD_BUF_FIRST);
    wr16(fw, BDA_KBD_START, KBD_BUF_FIRST);
    wr16(fw, BDA_KBD_END, KBD_BUF_LAST);
    wr8(fw, BDA_KBD_STATUS3, 0x10);               /* enhanced keyboard */
    wr8(fw, BDA_VIDEO_MODE, 3);
    wr16(fw, BDA_VIDEO_COLS, VGA_COLS);
    wr16(fw, BDA_PAGE_SIZE, TEXT_PAGE_BYTES);
    wr16(fw, BDA_CURSOR_TYPE, CURSOR_SHAPE);
    wr16(fw, BDA_CRTC_PORT, PORT_CRTC);
    wr8(fw, BDA_MODE_CTL, 0x29);
    wr8(fw, BDA_PALETTE, 0x30);
    wr8(fw, BDA_ROWS, VGA_ROWS - 1);
    wr16(fw, BDA_CHAR_HEIGHT, 16);
    wr8(fw, BDA_VIDEO_CTL, 0x60);
    wr8(fw, BDA_VIDEO_SW, 0xF9);
    wr8(fw, BDA_VGA_FLAGS, 0x51);
    wr32(fw, BDA_TICKS, ticks_now(fw));
    wr8(fw, BDA_NDISKS, (uint8_t)ndisks(fw));
    wr16(fw, MM_EBDA_BASE, EBDA_KB);              /* EBDA byte 0: its size in KiB */
}

static void clear_text(struct firmware *fw, unsigned first_cell, unsigned cells)
{
    for (unsigned i = 0; i < cells; i++)
        wr16(fw, MM_VGA_TEXT + 2ull * (first_cell + i), (BLANK_ATTR << 8) | ' ');
}

int firmware_install(struct firmware *fw)
{
    const uint8_t *rom = vms_bios_rom;
    size_t size = (size_t)(vms_bios_rom_end - vms_bios_rom);

    if (!gmem_ok(fw->mem, 0, MM_BIOS_END))
        return vms_seterr(VMS_ERR_RANGE, "guest RAM ends below 1 MiB: no room for the "
                          "firmware");
    int err = check_rom(rom, size);
    if (err < 0)
        return err;
    memcpy(gmem_ptr(fw->mem, MM_ROM_BASE, size), rom, size);
    memset(gmem_ptr(fw->mem, MM_FW_DATA, MM_FW_DATA_SIZE), 0, MM_FW_DATA_SIZE);
    install_ivt(fw, rom);
    install_bda(fw);
    clear_text(fw, 0, TEXT_PAGES * TEXT_PAGE_BYTES / 2);
    if (fw->vga) {
        vga_set_cursor_pos(fw->vga, 0);
        vga_set_cursor_shape(fw->vga, 0x0D, 0x0E);
    }
    fw->xfer.active = false;
    return 0;
}

void firmware_disks_changed(struct firmware *fw)
{
    wr8(fw, BDA_NDISKS, (uint8_t)ndisks(fw));
}

/* One POST port write. */
struct post_write {
    uint16_t port;
    uint8_t val;
};

static void post_writes(struct bus *b, const struct post_write *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        (void)bus_write(b, BUS_PIO, w[i].port, 1, w[i].val);
}

void firmware_post(struct firmware *fw, struct bus *b, bool start_pit)
{
    static const struct post_write pic[] = {
        { PORT_PIC1 + 1, 0xB8 },    /* IRQ 0 timer, 1 keyboard, 2 cascade, 6 open */
        { PORT_PIC2 + 1, 0x8E },    /* IRQ 8 RTC, 12 mouse, 13 FPU, 14 ATA open */
    };
    static const struct post_write pit[] = {
        { PORT_PIT + 3, 0x36 },     /* counter 0, LSB then MSB, mode 3, binary */
        { PORT_PIT + 0, 0x00 },     /* count 0 = 65536: 18.2065 Hz */
        { PORT_PIT + 0, 0x00 },
    };

    fw_ev(fw, "POST: 8259 masks as SeaBIOS leaves them%s",
          start_pit ? ", PIT counter 0 at 18.2 Hz" : "");
    post_writes(b, pic, sizeof(pic) / sizeof(pic[0]));
    if (start_pit)
        post_writes(b, pit, sizeof(pit) / sizeof(pit[0]));
}

/* ====================================================================
 * int 10h: video (text mode only)
 */

static unsigned active_page(const struct firmware *fw) { return rd8(fw, BDA_ACTIVE_PAGE) % TEXT_PAGES; }

static uint64_t cell_addr(unsigned page, unsigned row, unsigned col)
{
    return MM_VGA_TEXT + (uint64_t)(page % TEXT_PAGES) * TEXT_PAGE_BYTES +
           2ull * (row * VGA_COLS + col);
}

static void get_cursor(const struct firmware *fw, unsigned page, unsigned *row, unsigned *col)
{
    *col = rd8(fw, BDA_CURSOR_POS + 2 * (page % TEXT_PAGES));
    *row = rd8(fw, BDA_CURSOR_POS + 2 * (page % TEXT_PAGES) + 1);
}

static void set_cursor(struct firmware *fw, unsigned page, unsigned row, unsigned col)
{
    page %= TEXT_PAGES;
    wr8(fw, BDA_CURSOR_POS + 2 * page, (uint8_t)col);
    wr8(fw, BDA_CURSOR_POS + 2 * page + 1, (uint8_t)row);
    if (fw->vga && page == active_page(fw) && row < VGA_ROWS && col < VGA_COLS)
        vga_set_cursor_pos(fw->vga, page * (TEXT_PAGE_BYTES / 2) + row * VGA_COLS + col);
}

/* Scroll the window (r1,c1)-(r2,c2) of @page up (n > 0) or down (n < 0)
 * by |n| lines, blanking with @attr; n == 0 clears it (RBIL AH=06h/07h). */
static void scroll(struct firmware *fw, unsigned page, unsigned r1, unsigned c1, unsigned r2,
                   unsigned c2, int n, uint8_t attr)
{
    if (r2 >= VGA_ROWS)
        r2 = VGA_ROWS - 1;
    if (c2 >= VGA_COLS)
        c2 = VGA_COLS - 1;
    if (r1 > r2 || c1 > c2)
        return;
    unsigned height = r2 - r1 + 1, lines = (unsigned)(n < 0 ? -n : n);
    if (n == 0 || lines >= height)
        lines = height;
    for (unsigned i = 0; i < height; i++) {
        unsigned row = n >= 0 ? r1 + i : r2 - i;       /* destination row */
        unsigned src = n >= 0 ? row + lines : row - lines;
        bool blank = i + lines >= height;
        for (unsigned c = c1; c <= c2; c++) {
            uint16_t cell = blank ? (uint16_t)((attr << 8) | ' ')
                                  : rd16(fw, cell_addr(page, src, c));
            wr16(fw, cell_addr(page, row, c), cell);
        }
    }
}

/* Teletype output (AH=0Eh), as the VGA BIOS does it: BEL ignored, BS,
 * CR and LF move the cursor, other characters are written keeping the
 * cell's attribute; the page scrolls up at the bottom. */
static void teletype(struct firmware *fw, unsigned page, uint8_t c)
{
    unsigned row, col;

    get_cursor(fw, page, &row, &col);
    switch (c) {
    case 7: break;
    case 8: if (col > 0) col--; break;
    case '\r': col = 0; break;
    case '\n': row++; break;
    default:
        wr8(fw, cell_addr(page, row % VGA_ROWS, col % VGA_COLS), c);
        if (++col >= VGA_COLS) {
            col = 0;
            row++;
        }
    }
    if (row >= VGA_ROWS) {
        row = VGA_ROWS - 1;
        scroll(fw, page, 0, 0, VGA_ROWS - 1, VGA_COLS - 1, 1, BLANK_ATTR);
    }
    set_cursor(fw, page, row, col % VGA_COLS);
}

static void write_chars(struct firmware *fw, const struct fw_frame *f, bool with_attr)
{
    unsigned row, col, page = bh(f);

    get_cursor(fw, page, &row, &col);
    for (unsigned i = 0, pos = row * VGA_COLS + col; i < cx(f) && pos < VGA_ROWS * VGA_COLS;
         i++, pos++) {
        wr8(fw, cell_addr(page, 0, 0) + 2ull * pos, al(f));
        if (with_attr)
            wr8(fw, cell_addr(page, 0, 0) + 2ull * pos + 1, bl(f));
    }
}

static void set_mode(struct firmware *fw, struct fw_frame *f)
{
    uint8_t mode = al(f) & 0x7F;

    if (mode > 3 && mode != 7) {
        fw_ev(fw, "int10 set mode 0x%02x: only text modes are supported", mode);
        return;
    }
    if (!(al(f) & 0x80))
        clear_text(fw, 0, TEXT_PAGES * TEXT_PAGE_BYTES / 2);
    wr8(fw, BDA_VIDEO_MODE, 3);
    wr8(fw, BDA_ACTIVE_PAGE, 0);
    wr16(fw, BDA_PAGE_START, 0);
    for (unsigned p = 0; p < TEXT_PAGES; p++)
        wr16(fw, BDA_CURSOR_POS + 2 * p, 0);
    wr16(fw, BDA_CURSOR_TYPE, CURSOR_SHAPE);
    if (fw->vga) {
        vga_set_cursor_shape(fw->vga, 0x0D, 0x0E);
        fw->vga->crtc[CRTC_START_HI] = fw->vga->crtc[CRTC_START_LO] = 0;
    }
    set_cursor(fw, 0, 0, 0);
    set_lo8(&f->eax, 0x30);                       /* text mode set */
}

static void set_page(struct firmware *fw, uint8_t page)
{
    unsigned row, col, start = (page % TEXT_PAGES) * (TEXT_PAGE_BYTES / 2);

    wr8(fw, BDA_ACTIVE_PAGE, page % TEXT_PAGES);
    wr16(fw, BDA_PAGE_START, (uint16_t)(start * 2));
    if (fw->vga) {
        fw->vga->crtc[CRTC_START_HI] = (uint8_t)(start >> 8);
        fw->vga->crtc[CRTC_START_LO] = (uint8_t)start;
    }
    get_cursor(fw, page, &row, &col);
    set_cursor(fw, page, row, col);
}

/* AH=13h: write the string at ES:BP (AL bit 0: move the cursor, bit 1:
 * the string alternates characters and attributes). */
static void write_string(struct firmware *fw, const struct fw_frame *f)
{
    unsigned page = bh(f), save_row, save_col;
    uint32_t s = lin(f->es, (uint16_t)f->ebp);
    bool attrs = al(f) & 2;

    get_cursor(fw, page, &save_row, &save_col);
    set_cursor(fw, page, dh(f), dl(f));
    for (unsigned i = 0; i < cx(f); i++) {
        uint8_t c = rd8(fw, s + (attrs ? 2u * i : i));
        uint8_t a = attrs ? rd8(fw, s + 2u * i + 1) : bl(f);
        unsigned row, col;
        get_cursor(fw, page, &row, &col);
        if (c != 7 && c != 8 && c != '\r' && c != '\n')
            wr8(fw, cell_addr(page, row % VGA_ROWS, col % VGA_COLS) + 1, a);
        teletype(fw, page, c);
    }
    if (!(al(f) & 1))
        set_cursor(fw, page, save_row, save_col);
}

static void int10(struct firmware *fw, struct fw_frame *f)
{
    unsigned row, col;

    switch (ah(f)) {
    case 0x00: set_mode(fw, f); return;
    case 0x01:
        wr16(fw, BDA_CURSOR_TYPE, cx(f));
        if (fw->vga)
            vga_set_cursor_shape(fw->vga, ch(f), cl(f));
        return;
    case 0x02: set_cursor(fw, bh(f), dh(f), dl(f)); return;
    case 0x03:
        get_cursor(fw, bh(f), &row, &col);
        set_lo16(&f->edx, (uint16_t)(row << 8 | col));
        set_lo16(&f->ecx, rd16(fw, BDA_CURSOR_TYPE));
        return;
    case 0x05: set_page(fw, al(f)); return;
    case 0x06: case 0x07:
        scroll(fw, active_page(fw), ch(f), cl(f), dh(f), dl(f),
               ah(f) == 0x06 ? al(f) : -(int)al(f), bh(f));
        return;
    case 0x08:
        get_cursor(fw, bh(f), &row, &col);
        set_lo16(&f->eax, rd16(fw, cell_addr(bh(f), row % VGA_ROWS, col % VGA_COLS)));
        return;
    case 0x09: write_chars(fw, f, true); return;
    case 0x0A: write_chars(fw, f, false); return;
    case 0x0E: teletype(fw, bh(f), al(f)); return;
    case 0x0F:
        set_lo16(&f->eax, (uint16_t)(VGA_COLS << 8 | rd8(fw, BDA_VIDEO_MODE)));
        set_hi8(&f->ebx, (uint8_t)active_page(fw));
        return;
    case 0x12:
        if (bl(f) == 0x10)
            set_lo16(&f->ebx, 0x0003);            /* colour, 256 KiB */
        return;
    case 0x13: write_string(fw, f); return;
    case 0x1A:
        if (al(f) == 0x00) {
            set_lo8(&f->eax, 0x1A);               /* supported */
            set_lo16(&f->ebx, 0x0008);            /* VGA with colour display */
        }
        return;
    }
    fw_ev(fw, "int10 AH=%02x not supported", ah(f));
}

/* ====================================================================
 * int 13h: disks
 */

static void disk_ret(struct firmware *fw, struct fw_frame *f, uint8_t status)
{
    wr8(fw, BDA_DISK_STATUS, status);
    set_hi8(&f->eax, status);
    set_flag(f, RFLAGS_CF, status != DISK_OK);
}

/* DL -> ATA unit, or -1 when no such hard disk. */
static int disk_unit(const struct firmware *fw, uint8_t drive)
{
    if (drive < 0x80 || drive > 0x81)
        return -1;
    return ata_disk_sectors(fw->ata, drive - 0x80u) ? drive - 0x80 : -1;
}

static const struct ata_drive *drive_of(const struct firmware *fw, int unit)
{
    return &fw->ata->drive[unit];
}

/* Seg:off covering physical @pa with the smallest offset, so a copy of
 * up to 64 KiB never wraps inside its segment. */
static void normalize(uint32_t pa, uint16_t *seg, uint16_t *off)
{
    *seg = (uint16_t)(pa >> 4);
    *off = (uint16_t)(pa & 0xF);
}

static void mailbox(struct firmware *fw, uint32_t src, uint32_t dst, unsigned count)
{
    struct fw_mailbox mb;

    normalize(src, &mb.src_seg, &mb.src_off);
    normalize(dst, &mb.dst_seg, &mb.dst_off);
    mb.count = (uint16_t)count;
    memcpy(gmem_ptr(fw->mem, MM_FW_DATA, 10), &mb, 10);   /* bios.S MB_*: 10 bytes */
}

static void xfer_finish(struct firmware *fw, struct fw_frame *f, uint8_t status)
{
    struct fw_xfer *x = &fw->xfer;

    f->vec &= (uint16_t)~FW_COPY;
    x->active = false;
    if (x->vector == 0x19) {
        if (status == DISK_OK) {
            set_lo16(&f->eax, FW_BOOT_MAGIC);
            set_lo16(&f->edx, 0x0080);
        } else if (fw->stop) {
            fw->stop(fw->stop_opaque, "int 19h: cannot read the boot sector of disk 0");
        }
        return;
    }
    if (x->dap)
        wr16(fw, x->dap + 2, (uint16_t)x->done);   /* sectors transferred */
    else
        set_lo8(&f->eax, (uint8_t)x->done);
    disk_ret(fw, f, status);
}

/* Start the next chunk through the bounce buffer, or finish. */
static void xfer_next(struct firmware *fw, struct fw_frame *f)
{
    struct fw_xfer *x = &fw->xfer;
    uint32_t bounce = MM_FW_DATA + FW_BOUNCE_OFF, guest = x->buf + x->done * ATA_SECTOR;

    if (x->done == x->total) {
        xfer_finish(fw, f, DISK_OK);
        return;
    }
    x->chunk = x->total - x->done < FW_BOUNCE_SECTORS ? x->total - x->done : FW_BOUNCE_SECTORS;
    if (x->write) {
        mailbox(fw, guest, bounce, x->chunk * ATA_SECTOR);
    } else {
        if (ata_disk_read(fw->ata, x->unit, x->lba, x->chunk,
                          gmem_ptr(fw->mem, bounce, x->chunk * ATA_SECTOR)) < 0) {
            xfer_finish(fw, f, DISK_ENOTFOUND);
            return;
        }
        mailbox(fw, bounce, guest, x->chunk * ATA_SECTOR);
    }
    f->vec |= FW_COPY;
}

/* The ROM finished the copy it was asked for. */
static void xfer_continue(struct firmware *fw, struct fw_frame *f, uint32_t frame)
{
    struct fw_xfer *x = &fw->xfer;

    if (!x->active || x->frame != frame) {
        f->vec &= (uint16_t)~FW_COPY;             /* a stray copy request */
        fail(f, DISK_EPARAM);
        return;
    }
    if (x->write && ata_disk_write(fw->ata, x->unit, x->lba, x->chunk,
                                   gmem_ptr(fw->mem, MM_FW_DATA + FW_BOUNCE_OFF,
                                            x->chunk * ATA_SECTOR)) < 0) {
        xfer_finish(fw, f, drive_of(fw, (int)x->unit)->readonly ? DISK_EWRITE_PROT
                                                                  : DISK_ECONTROLLER);
        return;
    }
    x->done += x->chunk;
    x->lba += x->chunk;
    xfer_next(fw, f);
}

/* Start a transfer of @count sectors at @lba between unit and @buf. */
struct xfer_req {
    int unit;
    uint64_t lba;
    unsigned count;
    uint32_t buf;       /* guest physical */
    bool write;
    uint32_t dap;       /* AH=42h/43h: the packet whose count is updated */
};

static void xfer_start(struct firmware *fw, struct fw_frame *f, uint32_t frame,
                       const struct xfer_req *r)
{
    struct fw_xfer *x = &fw->xfer;
    int unit = r->unit;
    uint64_t lba = r->lba;
    unsigned count = r->count;
    uint32_t buf = r->buf;
    bool write = r->write;

    *x = (struct fw_xfer){ .active = true, .frame = frame, .vector = (uint8_t)(f->vec & FW_VEC_MASK),
                           .ah = ah(f), .write = write, .unit = (unsigned)unit, .lba = lba,
                           .total = count, .buf = buf, .dap = r->dap };
    fw_ev(fw, "int%02x AH=%02x %s drive 0x%02x lba %llu count %u %s 0x%05x", x->vector, x->ah,
          write ? "write" : "read", 0x80 + unit, (unsigned long long)lba, count,
          write ? "from" : "to", buf);
    if (lba > ata_disk_sectors(fw->ata, (unsigned)unit) ||
        count > ata_disk_sectors(fw->ata, (unsigned)unit) - lba) {
        xfer_finish(fw, f, DISK_ENOTFOUND);
        return;
    }
    if ((uint64_t)buf + (uint64_t)count * ATA_SECTOR > 0x10FFF0u ||
        !gmem_ok(fw->mem, buf, (uint64_t)count * ATA_SECTOR)) {
        xfer_finish(fw, f, DISK_EDMA);            /* the buffer is not addressable */
        return;
    }
    xfer_next(fw, f);
}

/* AH=02h/03h: CHS in CH, CL (sector in bits 0-5, cylinder bits 8-9 in
 * bits 6-7), DH; AL sectors; ES:BX buffer. */
static void disk_chs(struct firmware *fw, struct fw_frame *f, uint32_t frame, int unit)
{
    const struct ata_drive *d = drive_of(fw, unit);
    unsigned cyl = ch(f) | ((cl(f) & 0xC0u) << 2), sect = cl(f) & 0x3Fu, head = dh(f);
    unsigned count = al(f);

    if (count == 0 || count > 128 || sect == 0 || sect > d->spt || head >= d->heads ||
        cyl >= d->cyls) {
        disk_ret(fw, f, DISK_EPARAM);
        return;
    }
    struct xfer_req r = { .unit = unit, .lba = ((uint64_t)cyl * d->heads + head) * d->spt + sect - 1,
                          .count = count, .buf = lin(f->es, (uint16_t)f->ebx),
                          .write = ah(f) == 0x03 };
    xfer_start(fw, f, frame, &r);
}

/* AH=42h/43h: the disk address packet at DS:SI (EDD 3.0). */
static void disk_ext(struct firmware *fw, struct fw_frame *f, uint32_t frame, int unit)
{
    uint32_t dap = lin(f->ds, (uint16_t)f->esi);
    uint8_t size = rd8(fw, dap);
    uint16_t count = rd16(fw, dap + 2), off = rd16(fw, dap + 4), seg = rd16(fw, dap + 6);
    uint64_t lba = rd32(fw, dap + 8) | ((uint64_t)rd32(fw, dap + 12) << 32);
    uint64_t buf = lin(seg, off);

    if (size < 0x10 || !gmem_ok(fw->mem, dap, 0x10)) {
        disk_ret(fw, f, DISK_EPARAM);
        return;
    }
    if (off == 0xFFFF && seg == 0xFFFF && size >= 0x18)
        buf = rd32(fw, dap + 16) | ((uint64_t)rd32(fw, dap + 20) << 32);   /* flat */
    if (buf > 0x10FFF0u) {
        wr16(fw, dap + 2, 0);
        disk_ret(fw, f, DISK_EDMA);
        return;
    }
    struct xfer_req r = { .unit = unit, .lba = lba, .count = count, .buf = (uint32_t)buf,
                          .write = ah(f) == 0x43, .dap = dap };
    xfer_start(fw, f, frame, &r);
}

/* AH=08h: the geometry, with the last cylinder reserved as SeaBIOS does. */
static void disk_params(struct firmware *fw, struct fw_frame *f, int unit)
{
    const struct ata_drive *d = drive_of(fw, unit);
    unsigned maxcyl = d->cyls >= 2 ? d->cyls - 2u : 0;

    if (maxcyl > 1023)
        maxcyl = 1023;
    set_lo16(&f->eax, 0);
    set_lo16(&f->ecx, (uint16_t)((maxcyl & 0xFF) << 8 | ((maxcyl >> 2) & 0xC0) | (d->spt & 0x3F)));
    set_lo16(&f->edx, (uint16_t)((d->heads - 1u) << 8 | ndisks(fw)));
    disk_ret(fw, f, DISK_OK);
}

/* AH=48h: EDD drive parameters into the buffer at DS:SI. */
static void disk_edd_params(struct firmware *fw, struct fw_frame *f, int unit)
{
    const struct ata_drive *d = drive_of(fw, unit);
    uint32_t b = lin(f->ds, (uint16_t)f->esi);
    uint16_t size = rd16(fw, b);

    if (size < 0x1A || !gmem_ok(fw->mem, b, size >= 0x1E ? 0x1E : 0x1A)) {
        disk_ret(fw, f, DISK_EPARAM);
        return;
    }
    wr16(fw, b, size >= 0x1E ? 0x1E : 0x1A);
    wr16(fw, b + 2, 0x0002);                      /* CHS information valid */
    wr32(fw, b + 4, d->cyls);
    wr32(fw, b + 8, d->heads);
    wr32(fw, b + 12, d->spt);
    wr32(fw, b + 16, (uint32_t)d->sectors);
    wr32(fw, b + 20, (uint32_t)(d->sectors >> 32));
    wr16(fw, b + 24, ATA_SECTOR);
    if (size >= 0x1E)
        wr32(fw, b + 26, 0xFFFFFFFFu);            /* no device parameter table */
    disk_ret(fw, f, DISK_OK);
}

static void int13(struct firmware *fw, struct fw_frame *f, uint32_t frame)
{
    int unit = disk_unit(fw, dl(f));

    if (ah(f) == 0x01) {                          /* status of the last operation */
        disk_ret(fw, f, rd8(fw, BDA_DISK_STATUS));
        return;
    }
    if (unit < 0) {
        fw_ev(fw, "int13 AH=%02x drive 0x%02x: no such disk", ah(f), dl(f));
        disk_ret(fw, f, DISK_EPARAM);
        return;
    }
    switch (ah(f)) {
    case 0x00: case 0x04: case 0x0C: case 0x0D: case 0x10: case 0x11: case 0x14:
    case 0x44: case 0x47:
        disk_ret(fw, f, DISK_OK);                 /* reset, verify, seek, ready... */
        return;
    case 0x02: case 0x03: disk_chs(fw, f, frame, unit); return;
    case 0x08: disk_params(fw, f, unit); return;
    case 0x15: {
        const struct ata_drive *d = drive_of(fw, unit);
        uint32_t n = (uint32_t)(d->cyls - 1u) * d->heads * d->spt;
        set_hi8(&f->eax, 0x03);                   /* fixed disk */
        set_lo16(&f->ecx, (uint16_t)(n >> 16));
        set_lo16(&f->edx, (uint16_t)n);
        ok(f);
        return;
    }
    case 0x41:
        if ((uint16_t)f->ebx != 0x55AA)
            break;
        set_lo16(&f->ebx, 0xAA55);
        set_lo16(&f->ecx, 0x0007);                /* 42h-44h,47h,48h; 45h,46h,49h; EDD */
        set_hi8(&f->eax, 0x30);                   /* EDD 3.0 */
        ok(f);
        return;
    case 0x42: case 0x43: disk_ext(fw, f, frame, unit); return;
    case 0x48: disk_edd_params(fw, f, unit); return;
    }
    fw_ev(fw, "int13 AH=%02x not supported", ah(f));
    disk_ret(fw, f, DISK_EUNSUP);
}

/* ====================================================================
 * int 15h: system services
 */

bool firmware_e820(uint64_t ram, unsigned i, uint64_t *base, uint64_t *len, uint32_t *type)
{
    const uint64_t map[4][3] = {
        { 0, MM_EBDA_BASE, 1 },                                  /* usable */
        { MM_EBDA_BASE, 0xA0000u - MM_EBDA_BASE, 2 },            /* EBDA: reserved */
        { MM_BIOS_BASE, MM_BIOS_END - MM_BIOS_BASE, 2 },         /* firmware, tables */
        { MM_HIGH_RAM, ram > MM_HIGH_RAM ? ram - MM_HIGH_RAM : 0, 1 },
    };

    if (i >= 4 || (i == 3 && ram <= MM_HIGH_RAM))
        return false;
    *base = map[i][0];
    *len = map[i][1];
    *type = (uint32_t)map[i][2];
    return true;
}

static void e820(struct firmware *fw, struct fw_frame *f)
{
    uint64_t base, len;
    uint32_t type, dst = lin(f->es, (uint16_t)f->edi);

    if (f->edx != SMAP || f->ecx < E820_ENTRY ||
        !firmware_e820(fw->mem->size, f->ebx, &base, &len, &type) ||
        !gmem_ok(fw->mem, dst, E820_ENTRY)) {
        fail(f, 0x86);
        return;
    }
    wr32(fw, dst, (uint32_t)base);
    wr32(fw, dst + 4, (uint32_t)(base >> 32));
    wr32(fw, dst + 8, (uint32_t)len);
    wr32(fw, dst + 12, (uint32_t)(len >> 32));
    wr32(fw, dst + 16, type);
    f->ebx = firmware_e820(fw->mem->size, f->ebx + 1, &base, &len, &type) ? f->ebx + 1 : 0;
    f->eax = SMAP;
    f->ecx = E820_ENTRY;
    ok(f);
}

/* AH=87h: copy CX words between the descriptors at ES:SI+10h and +18h. */
static void move_block(struct firmware *fw, struct fw_frame *f)
{
    uint32_t gdt = lin(f->es, (uint16_t)f->esi);
    uint32_t src = rd16(fw, gdt + 0x12) | (uint32_t)rd8(fw, gdt + 0x14) << 16 |
                   (uint32_t)rd8(fw, gdt + 0x17) << 24;
    uint32_t dst = rd16(fw, gdt + 0x1A) | (uint32_t)rd8(fw, gdt + 0x1C) << 16 |
                   (uint32_t)rd8(fw, gdt + 0x1F) << 24;
    uint32_t n = 2u * cx(f);

    fw_ev(fw, "int15 AH=87 move %u bytes 0x%x -> 0x%x", n, src, dst);
    if (!gmem_ok(fw->mem, src, n) || !gmem_ok(fw->mem, dst, n)) {
        fail(f, 0x02);
        return;
    }
    memmove(gmem_ptr(fw->mem, dst, n), gmem_ptr(fw->mem, src, n), n);
    set_hi8(&f->eax, 0);
    ok(f);
}

static void a20(struct firmware *fw, struct fw_frame *f)
{
    switch (al(f)) {
    case 0x00: case 0x01:
        if (fw->kbd)
            fw->kbd->outport = (uint8_t)((fw->kbd->outport & ~I8042_OUT_A20) |
                                         (al(f) ? I8042_OUT_A20 : 0));
        break;
    case 0x02:
        set_lo8(&f->eax, fw->kbd ? i8042_a20(fw->kbd) : 1);
        break;
    case 0x03:
        set_lo16(&f->ebx, 0x0003);                /* keyboard controller and port 92h */
        break;
    default:
        fail(f, 0x86);
        return;
    }
    set_hi8(&f->eax, 0);
    ok(f);
}

static void int15(struct firmware *fw, struct fw_frame *f)
{
    uint64_t ram = fw->mem->size, above1m = ram > MM_HIGH_RAM ? ram - MM_HIGH_RAM : 0;

    if ((uint16_t)f->eax == 0xE820) {
        e820(fw, f);
        return;
    }
    if ((uint16_t)f->eax == 0xE801) {
        uint64_t low = above1m < (15u << 20) ? above1m : (15u << 20);
        uint64_t high = ram > (16u << 20) ? (ram - (16u << 20)) >> 16 : 0;
        set_lo16(&f->eax, (uint16_t)(low >> 10));
        set_lo16(&f->ecx, (uint16_t)(low >> 10));
        set_lo16(&f->ebx, (uint16_t)(high > 0xFFFF ? 0xFFFF : high));
        set_lo16(&f->edx, (uint16_t)(high > 0xFFFF ? 0xFFFF : high));
        ok(f);
        return;
    }
    switch (ah(f)) {
    case 0x24: a20(fw, f); return;
    case 0x86: set_hi8(&f->eax, 0); ok(f); return;   /* wait: returns at once */
    case 0x87: move_block(fw, f); return;
    case 0x88:                                    /* SeaBIOS: at most 63 MiB */
        set_lo16(&f->eax, (uint16_t)(ram > (64u << 20) ? 63u * 1024 : above1m >> 10));
        ok(f);
        return;
    case 0xC0:
        f->es = (uint16_t)(MM_ROM_BASE >> 4);
        set_lo16(&f->ebx, (uint16_t)(vms_bios_rom[18] | vms_bios_rom[19] << 8));
        set_hi8(&f->eax, 0);
        ok(f);
        return;
    }
    fail(f, 0x86);
}

/* ====================================================================
 * Keyboard: int 09h (IRQ 1) fills the BIOS buffer, int 16h reads it
 */

#define KF_RSHIFT 0x01u
#define KF_LSHIFT 0x02u
#define KF_CTRL   0x04u
#define KF_ALT    0x08u
#define KF_SCROLL 0x10u
#define KF_NUM    0x20u
#define KF_CAPS   0x40u
#define KS3_E0    0x02u

static bool kbd_pop(struct firmware *fw, uint16_t *key, bool remove)
{
    uint16_t head = rd16(fw, BDA_KBD_HEAD), tail = rd16(fw, BDA_KBD_TAIL);
    uint16_t start = rd16(fw, BDA_KBD_START), end = rd16(fw, BDA_KBD_END);

    if (head == tail)
        return false;
    *key = rd16(fw, MM_BDA_BASE + (head & 0xFF));  /* the guest may move the buffer */
    if (remove) {
        head = (uint16_t)(head + 2);
        wr16(fw, BDA_KBD_HEAD, head >= end ? start : head);
    }
    return true;
}

static bool kbd_push(struct firmware *fw, uint16_t key)
{
    uint16_t head = rd16(fw, BDA_KBD_HEAD), tail = rd16(fw, BDA_KBD_TAIL);
    uint16_t start = rd16(fw, BDA_KBD_START), end = rd16(fw, BDA_KBD_END);
    uint16_t next = (uint16_t)(tail + 2);

    if (next >= end)
        next = start;
    if (next == head)
        return false;                             /* full: a BIOS would beep */
    wr16(fw, MM_BDA_BASE + (tail & 0xFF), key);
    wr16(fw, BDA_KBD_TAIL, next);
    return true;
}

static uint8_t modifier_bit(uint8_t make)
{
    switch (make) {
    case 0x2A: return KF_LSHIFT;
    case 0x36: return KF_RSHIFT;
    case 0x1D: return KF_CTRL;
    case 0x38: return KF_ALT;
    }
    return 0;
}

static uint8_t key_ascii(uint8_t make, uint8_t flags)
{
    bool shift = flags & (KF_LSHIFT | KF_RSHIFT);
    uint8_t plain = i8042_set1_to_ascii(make, false);
    bool letter = plain >= 'a' && plain <= 'z';
    uint8_t c = i8042_set1_to_ascii(make, shift ^ (letter && (flags & KF_CAPS)));

    if ((flags & KF_CTRL) && letter)
        return (uint8_t)(plain & 0x1F);
    return (flags & KF_ALT) ? 0 : c;
}

/* One scan code from the i8042 (set 1, RBIL INT 09). */
static void int09(struct firmware *fw)
{
    uint8_t code = fw->kbd ? i8042_read_data(fw->kbd) : 0;
    uint8_t flags = rd8(fw, BDA_KBD_FLAGS), make = code & 0x7F;
    bool e0 = fw->kbd_e0, brk = code & 0x80;

    if (code == 0xE0) {
        fw->kbd_e0 = true;
        wr8(fw, BDA_KBD_STATUS3, rd8(fw, BDA_KBD_STATUS3) | KS3_E0);
        return;
    }
    fw->kbd_e0 = false;
    wr8(fw, BDA_KBD_STATUS3, rd8(fw, BDA_KBD_STATUS3) & ~KS3_E0);
    uint8_t mod = modifier_bit(make);
    if (mod && !(e0 && (mod & (KF_LSHIFT | KF_RSHIFT)))) {
        wr8(fw, BDA_KBD_FLAGS, brk ? flags & ~mod : flags | mod);
        return;
    }
    if (brk)
        return;
    if (make == 0x3A || make == 0x45 || make == 0x46) {   /* lock keys toggle */
        wr8(fw, BDA_KBD_FLAGS, flags ^ (make == 0x3A ? KF_CAPS : make == 0x45 ? KF_NUM : KF_SCROLL));
        return;
    }
    uint8_t c = e0 ? (make == 0x1C ? '\r' : make == 0x35 ? '/' : 0) : key_ascii(make, flags);
    if (c == 0 && (make < 0x3B || make > 0x58))
        return;                                   /* not a key int 16h reports */
    if (!kbd_push(fw, (uint16_t)(make << 8 | c)))
        fw_ev(fw, "int09 keyboard buffer full: key 0x%02x dropped", make);
}

static void int16(struct firmware *fw, struct fw_frame *f)
{
    uint16_t key;

    switch (ah(f)) {
    case 0x00: case 0x10:
        if (!kbd_pop(fw, &key, true)) {
            f->vec |= FW_WAIT;                    /* HLT until a key arrives */
            return;
        }
        set_lo16(&f->eax, key);
        return;
    case 0x01: case 0x11:
        if (kbd_pop(fw, &key, false))
            set_lo16(&f->eax, key);
        set_flag(f, RFLAGS_ZF, !kbd_pop(fw, &key, false));
        return;
    case 0x02: set_lo8(&f->eax, rd8(fw, BDA_KBD_FLAGS)); return;
    case 0x12:
        set_lo16(&f->eax, (uint16_t)(rd8(fw, BDA_KBD_FLAGS2) << 8 | rd8(fw, BDA_KBD_FLAGS)));
        return;
    case 0x05: set_lo8(&f->eax, kbd_push(fw, cx(f)) ? 0 : 1); return;
    }
}

/* ====================================================================
 * int 1Ah: time
 */

static uint8_t bcd(unsigned v) { return (uint8_t)(((v / 10 % 10) << 4) | (v % 10)); }

static void int1a(struct firmware *fw, struct fw_frame *f)
{
    uint32_t ticks = rd32(fw, BDA_TICKS);
    time_t t = fw->rtc ? (time_t)rtc_time(fw->rtc) : 0;
    struct tm tm;

    switch (ah(f)) {
    case 0x00:
        set_lo16(&f->ecx, (uint16_t)(ticks >> 16));
        set_lo16(&f->edx, (uint16_t)ticks);
        set_lo8(&f->eax, rd8(fw, BDA_MIDNIGHT));
        wr8(fw, BDA_MIDNIGHT, 0);
        ok(f);
        return;
    case 0x01:
        wr32(fw, BDA_TICKS, (uint32_t)cx(f) << 16 | (uint16_t)f->edx);
        wr8(fw, BDA_MIDNIGHT, 0);
        ok(f);
        return;
    case 0x02: case 0x04:
        if (!fw->rtc)
            break;
        gmtime_r(&t, &tm);
        if (ah(f) == 0x02) {
            set_lo16(&f->ecx, (uint16_t)(bcd((unsigned)tm.tm_hour) << 8 | bcd((unsigned)tm.tm_min)));
            set_lo16(&f->edx, (uint16_t)(bcd((unsigned)tm.tm_sec) << 8));
        } else {
            unsigned y = (unsigned)tm.tm_year + 1900;
            set_lo16(&f->ecx, (uint16_t)(bcd(y / 100) << 8 | bcd(y % 100)));
            set_lo16(&f->edx, (uint16_t)(bcd((unsigned)tm.tm_mon + 1) << 8 |
                                         bcd((unsigned)tm.tm_mday)));
        }
        ok(f);
        return;
    }
    fail(f, 0x86);
}

/* ====================================================================
 * The trap
 */

/* int 19h: check disk 0's boot sector, then copy it to 0000:7C00. */
static void int19(struct firmware *fw, struct fw_frame *f, uint32_t frame)
{
    uint8_t *bounce = gmem_ptr(fw->mem, MM_FW_DATA + FW_BOUNCE_OFF, ATA_SECTOR);

    fw_ev(fw, "int19 bootstrap from disk 0");
    if (ata_disk_read(fw->ata, 0, 0, 1, bounce) < 0 || bounce[510] != 0x55 ||
        bounce[511] != 0xAA) {
        if (fw->stop)
            fw->stop(fw->stop_opaque, "int 19h: disk 0 is missing or has no boot signature");
        return;
    }
    struct xfer_req r = { .unit = 0, .lba = 0, .count = 1, .buf = MM_BOOT_LOAD };
    xfer_start(fw, f, frame, &r);
}

/* One event per BIOS call, saying what was asked; disk transfers report
 * themselves (xfer_start), keyboard polling and IRQ 1 would flood. */
static void trap_event(const struct firmware *fw, const struct fw_frame *f, uint8_t vec)
{
    uint8_t fn = ah(f);

    if (vec == 0x09 || vec == 0x16)
        return;
    if (vec == 0x13 && (fn == 0x02 || fn == 0x03 || fn == 0x42 || fn == 0x43))
        return;
    if (vec == 0x10 && fn == 0x0E)
        fw_ev(fw, al(f) >= 0x20 && al(f) < 0x7F ? "int10 AH=0e teletype '%c'"
                                                : "int10 AH=0e teletype 0x%02x", al(f));
    else if (vec == 0x15 && (uint16_t)f->eax == 0xE820)
        fw_ev(fw, "int15 AX=e820 memory map entry %u", f->ebx);
    else
        fw_ev(fw, "int%02x AH=%02x AL=%02x", vec, fn, al(f));
}

static void dispatch(struct firmware *fw, struct fw_frame *f, uint32_t frame)
{
    uint8_t vec = (uint8_t)(f->vec & FW_VEC_MASK);

    if (f->vec & FW_COPY) {
        xfer_continue(fw, f, frame);
        return;
    }
    trap_event(fw, f, vec);
    switch (vec) {
    case 0x09: int09(fw); return;
    case 0x10: int10(fw, f); return;
    case 0x11: set_lo16(&f->eax, rd16(fw, BDA_EQUIPMENT)); return;
    case 0x12: set_lo16(&f->eax, rd16(fw, BDA_MEM_KB)); return;
    case 0x13: int13(fw, f, frame); return;
    case 0x15: int15(fw, f); return;
    case 0x16: int16(fw, f); return;
    case 0x18:
        if (fw->stop)
            fw->stop(fw->stop_opaque, "the guest called int 18h: boot failure");
        return;
    case 0x19: int19(fw, f, frame); return;
    case 0x1A: int1a(fw, f); return;
    }
    fw_ev(fw, "trap with unknown vector 0x%02x ignored", vec);
}

void firmware_call(struct firmware *fw, uint64_t frame)
{
    struct fw_frame f;

    fw->calls++;
    memset(&f, 0, sizeof(f));
    if (gmem_read(fw->mem, frame, &f, FW_FRAME_SIZE) < 0) {
        fw_ev(fw, "trap with a frame outside RAM (0x%llx) ignored", (unsigned long long)frame);
        return;
    }
    dispatch(fw, &f, (uint32_t)frame);
    if (gmem_write(fw->mem, frame, &f, FW_FRAME_SIZE) < 0)
        fw_ev(fw, "frame 0x%llx no longer in RAM", (unsigned long long)frame);
}

static void fw_port_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset; (void)size;
    firmware_call(opaque, value & 0xFFFFFFFFu);
}

static const struct bus_dev_ops fw_ops = {
    .read = NULL,                  /* reads float: all ones */
    .write = fw_port_write,        /* a frame address: serve the trap */
};

int firmware_init(struct firmware *fw, const struct dev_ctx *ctx, struct gmem *mem,
                  struct ata *ata, struct vga *vga, struct i8042 *kbd, struct rtc *rtc)
{
    if (!fw || !mem)
        return -VMS_ERR_INVAL;
    memset(fw, 0, sizeof(*fw));
    if (ctx)
        fw->ctx = *ctx;
    fw->mem = mem;
    fw->ata = ata;
    fw->vga = vga;
    fw->kbd = kbd;
    fw->rtc = rtc;
    return 0;
}

int firmware_attach(struct firmware *fw, struct bus *b)
{
    if (!fw || !b)
        return -VMS_ERR_INVAL;
    return bus_map(b, BUS_PIO, PORT_FWCALL, PORT_FWCALL_LEN, &fw_ops, fw, FW_NAME);
}

int firmware_boot_disk(struct firmware *fw, struct cpu_state *cpu)
{
    uint8_t sector[ATA_SECTOR];
    struct load_result lr;

    if (!ata_disk_sectors(fw->ata, 0))
        return vms_seterr(VMS_ERR_NOTFOUND, "no disk to boot from (give --disk FILE)");
    const char *path = fw->ata->drive[0].path;
    if (ata_disk_read(fw->ata, 0, 0, 1, sector) < 0)
        return vms_seterr(VMS_ERR_IO, "%s: cannot read sector 0", path);
    if (sector[MM_BOOT_SIG_OFF] != 0x55 || sector[MM_BOOT_SIG_OFF + 1] != 0xAA)
        return vms_seterr(VMS_ERR_BADIMAGE, "%s: sector 0 has no boot signature (0x55 0xAA "
                          "at bytes 510-511): not bootable", path);
    int err = loader_load_buf(fw->mem, path, sector, sizeof(sector), NULL, &lr);
    if (err < 0)
        return err;
    *cpu = lr.cpu;
    load_result_fini(&lr);
    fw_ev(fw, "boot: disk 0 sector 0 loaded at 0x7c00, DL=0x80");
    return 0;
}
