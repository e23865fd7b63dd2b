/* vga.h - VGA text mode 3 (80x25, 16 colours): the registers at
 * 0x3C0-0x3DF and the text buffer at 0xB8000.
 *
 * The text buffer is plain guest RAM (two bytes a cell: character, then
 * attribute = background << 4 | foreground, bit 7 blink or bright
 * background), so guest writes cost nothing; the view reads it from RAM
 * when it draws.  Registers (IBM VGA Technical Reference; FreeVGA):
 *   0x3D4/0x3D5 CRTC index/data: 0x0A cursor start (bit 5 = cursor off),
 *     0x0B cursor end, 0x0C/0x0D start address high/low (in cells),
 *     0x0E/0x0F cursor location high/low (in cells); 0x11 bit 7 protects
 *     registers 0-7.  All 0x19 (25) registers read back; 0x19-0x3F store.
 *   0x3DA input status 1: bit 3 vertical retrace, bit 0 display disabled
 *     (blanking), from virtual time (70 Hz, 449 lines of 31.778 us);
 *     reading it resets the attribute controller's address/data flip-flop.
 *   0x3C2 miscellaneous output (write) / 0x3CC (read); 0x3C0/0x3C1
 *     attribute controller; 0x3C4/0x3C5 sequencer; 0x3CE/0x3CF graphics
 *     controller; 0x3C7-0x3C9 DAC (three bytes an entry).  These store and
 *     read back; they do not change how the text is shown.
 * Power-on values are mode 3 as the VGA BIOS sets it.
 */
#ifndef VMS_VGA_H
#define VMS_VGA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "gmem.h"

#define VGA_COLS 80u
#define VGA_ROWS 25u
#define VGA_CRTC_REGS 0x40u

/* CRTC registers */
#define CRTC_CURSOR_START 0x0Au
#define CRTC_CURSOR_END   0x0Bu
#define CRTC_START_HI     0x0Cu
#define CRTC_START_LO     0x0Du
#define CRTC_CURSOR_HI    0x0Eu
#define CRTC_CURSOR_LO    0x0Fu
#define CRTC_VSYNC_END    0x11u
#define CRTC_CURSOR_OFF   0x20u   /* cursor start bit 5: cursor disabled */
#define CRTC_PROTECT      0x80u   /* 0x11 bit 7: registers 0-7 read-only */

/* Input status 1 (0x3DA) */
#define VGA_IS1_DD        0x01u   /* display disabled: in blanking */
#define VGA_IS1_VRETRACE  0x08u

struct vga_cell {
    uint8_t ch;      /* code page 437 character */
    uint8_t attr;    /* colours */
};

struct vga_screen {
    struct vga_cell cell[VGA_ROWS][VGA_COLS];
    unsigned cursor_row, cursor_col;
    bool cursor_visible;   /* enabled and on the screen */
    uint8_t cursor_start, cursor_end;  /* scan lines */
};

struct vga {
    struct dev_ctx ctx;             /* copy; clock for the retrace bits */
    const struct gmem *mem;         /* the text buffer lives here */
    uint8_t crtc_index, crtc[VGA_CRTC_REGS];
    uint8_t misc;
    uint8_t seq_index, seq[8];
    uint8_t gc_index, gc[16];
    uint8_t ac_index, ac[32];
    bool ac_data;                   /* flip-flop: next 0x3C0 write is data */
    uint8_t dac_read, dac_write, dac_step, dac[256][3];
    uint8_t pel_mask;
};

int vga_init(struct vga *v, const struct dev_ctx *ctx, const struct gmem *mem) VMS_MUST_CHECK;
/* Map 0x3C0-0x3DF (BUS_PIO). */
int vga_attach(struct vga *v, struct bus *b) VMS_MUST_CHECK;
void vga_destroy(struct vga *v);

/* The screen as it is shown now (start address applied) and the cursor. */
void vga_screen(const struct vga *v, struct vga_screen *out);
/* Write the screen as 25 lines of text (trailing blanks cut; characters
 * outside printable ASCII as '.'), then "cursor ROW,COL" or "cursor off". */
int vga_dump(const struct vga *v, FILE *f) VMS_MUST_CHECK;

/* Cursor location and start address in cells, as the CRTC holds them. */
unsigned vga_cursor_pos(const struct vga *v);
unsigned vga_start_addr(const struct vga *v);
/* Move the cursor (the firmware's int 10h does this as a BIOS would, by
 * writing CRTC 0x0E/0x0F). */
void vga_set_cursor_pos(struct vga *v, unsigned pos);
/* Set the cursor shape: start and end scan lines (CRTC 0x0A/0x0B). */
void vga_set_cursor_shape(struct vga *v, uint8_t start, uint8_t end);

#endif
