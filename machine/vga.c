/* vga.c - VGA text mode registers and the screen view (see vga.h). */
#include "vga.h"

#include <stdarg.h>
#include <string.h>

#include "memmap.h"

static const char VGA_NAME[] = "vga";

/* Port offsets from 0x3C0. */
#define P_AC_ADDR   0x00u   /* 0x3C0 attribute address/data */
#define P_AC_READ   0x01u   /* 0x3C1 attribute data read */
#define P_MISC_W    0x02u   /* 0x3C2 misc output write / input status 0 read */
#define P_SEQ_I     0x04u   /* 0x3C4 */
#define P_SEQ_D     0x05u
#define P_PEL_MASK  0x06u   /* 0x3C6 */
#define P_DAC_RI    0x07u   /* 0x3C7 DAC read index (write) / state (read) */
#define P_DAC_WI    0x08u   /* 0x3C8 DAC write index */
#define P_DAC_D     0x09u   /* 0x3C9 DAC data */
#define P_FEAT_R    0x0Au   /* 0x3CA feature control read */
#define P_MISC_R    0x0Cu   /* 0x3CC misc output read */
#define P_GC_I      0x0Eu   /* 0x3CE */
#define P_GC_D      0x0Fu
#define P_CRTC_I    0x14u   /* 0x3D4 */
#define P_CRTC_D    0x15u   /* 0x3D5 */
#define P_IS1       0x1Au   /* 0x3DA input status 1 / feature control write */

#define CRTC_STD_REGS  0x19u       /* registers a VGA has: 0x00-0x18 */
#define TEXT_CELLS     (MM_VGA_TEXT_SIZE / 2u)
#define LINE_NS        31778u      /* 31.469 kHz horizontal */
#define LINE_ACTIVE_NS 25422u      /* 640 of 800 dots */
#define FRAME_LINES    449u        /* 400-line modes at 70 Hz */
#define ACTIVE_LINES   400u
#define VRETRACE_FIRST 412u        /* vertical sync: lines 412-413 */
#define VRETRACE_LINES 2u

/* Mode 3 register values (VGA BIOS mode table, as SeaBIOS's vgabios). */
static const uint8_t crtc_mode3[CRTC_STD_REGS] = {
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};
static const uint8_t seq_mode3[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t gc_mode3[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff };
static const uint8_t ac_mode3[21] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
    0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00,
};
#define MISC_MODE3 0x67u   /* colour I/O at 0x3Dx, 28 MHz clock, RAM enabled */

static void vga_ev(const struct vga *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void vga_ev(const struct vga *v, const char *fmt, ...)
{
    va_list ap;

    if (!ev_wants(v->ctx.ev, EV_DEVICE))
        return;
    va_start(ap, fmt);
    dev_eventv(&v->ctx, VGA_NAME, fmt, ap);
    va_end(ap);
}

unsigned vga_cursor_pos(const struct vga *v)
{
    return ((unsigned)v->crtc[CRTC_CURSOR_HI] << 8) | v->crtc[CRTC_CURSOR_LO];
}

unsigned vga_start_addr(const struct vga *v)
{
    return ((unsigned)v->crtc[CRTC_START_HI] << 8) | v->crtc[CRTC_START_LO];
}

void vga_set_cursor_pos(struct vga *v, unsigned pos)
{
    v->crtc[CRTC_CURSOR_HI] = (uint8_t)(pos >> 8);
    v->crtc[CRTC_CURSOR_LO] = (uint8_t)pos;
}

void vga_set_cursor_shape(struct vga *v, uint8_t start, uint8_t end)
{
    v->crtc[CRTC_CURSOR_START] = start;
    v->crtc[CRTC_CURSOR_END] = end;
}

/* ---- input status 1 from virtual time ---- */

static uint8_t input_status1(struct vga *v)
{
    uint64_t ns = dev_now(&v->ctx) % ((uint64_t)LINE_NS * FRAME_LINES);
    unsigned line = (unsigned)(ns / LINE_NS), dot_ns = (unsigned)(ns % LINE_NS);
    uint8_t s = 0;

    if (line >= VRETRACE_FIRST && line < VRETRACE_FIRST + VRETRACE_LINES)
        s |= VGA_IS1_VRETRACE;
    if (line >= ACTIVE_LINES || dot_ns >= LINE_ACTIVE_NS)
        s |= VGA_IS1_DD;
    v->ac_data = false;          /* reading 0x3DA resets the AC flip-flop */
    return s;
}

/* ---- register writes ---- */

static const char *crtc_name(unsigned i)
{
    switch (i) {
    case CRTC_CURSOR_START: return " cursor start";
    case CRTC_CURSOR_END: return " cursor end";
    case CRTC_START_HI: return " start address high";
    case CRTC_START_LO: return " start address low";
    case CRTC_CURSOR_HI: return " cursor location high";
    case CRTC_CURSOR_LO: return " cursor location low";
    }
    return "";
}

static void write_crtc(struct vga *v, uint8_t val)
{
    unsigned i = v->crtc_index % VGA_CRTC_REGS;

    if (i < 8 && (v->crtc[CRTC_VSYNC_END] & CRTC_PROTECT))
        return;                 /* 0x11 bit 7 write-protects 0-7 */
    v->crtc[i] = val;
    if (i == CRTC_CURSOR_LO) {
        unsigned pos = vga_cursor_pos(v);
        vga_ev(v, "crtc[0x%02x] <- 0x%02x%s (cursor %u: row %u col %u)", i, val,
               crtc_name(i), pos, pos / VGA_COLS, pos % VGA_COLS);
    } else {
        vga_ev(v, "crtc[0x%02x] <- 0x%02x%s", i, val, crtc_name(i));
    }
}

static void write_ac(struct vga *v, uint8_t val)
{
    if (!v->ac_data)
        v->ac_index = val;       /* bit 5: palette address source */
    else
        v->ac[v->ac_index & 0x1F] = val;
    v->ac_data = !v->ac_data;
}

static void write_dac(struct vga *v, unsigned port, uint8_t val)
{
    if (port == P_DAC_RI) {
        v->dac_read = val;
        v->dac_step = 0;
    } else if (port == P_DAC_WI) {
        v->dac_write = val;
        v->dac_step = 0;
    } else {
        v->dac[v->dac_write][v->dac_step] = val & 0x3F;
        if (++v->dac_step == 3) {
            v->dac_step = 0;
            v->dac_write++;
        }
    }
}

static void write_port(struct vga *v, unsigned port, uint8_t val)
{
    switch (port) {
    case P_AC_ADDR: write_ac(v, val); return;
    case P_MISC_W: v->misc = val; vga_ev(v, "misc output <- 0x%02x", val); return;
    case P_SEQ_I: v->seq_index = val; return;
    case P_SEQ_D: v->seq[v->seq_index & 7] = val; return;
    case P_PEL_MASK: v->pel_mask = val; return;
    case P_DAC_RI: case P_DAC_WI: case P_DAC_D: write_dac(v, port, val); return;
    case P_GC_I: v->gc_index = val; return;
    case P_GC_D: v->gc[v->gc_index & 15] = val; return;
    case P_CRTC_I: v->crtc_index = val; return;
    case P_CRTC_D: write_crtc(v, val); return;
    }
}

static uint8_t read_dac(struct vga *v)
{
    uint8_t val = v->dac[v->dac_read][v->dac_step];

    if (++v->dac_step == 3) {
        v->dac_step = 0;
        v->dac_read++;
    }
    return val;
}

static uint8_t read_port(struct vga *v, unsigned port)
{
    switch (port) {
    case P_AC_ADDR: return v->ac_index;
    case P_AC_READ: return v->ac[v->ac_index & 0x1F];
    case P_MISC_W: return 0x10;            /* input status 0: switch sense */
    case P_SEQ_I: return v->seq_index;
    case P_SEQ_D: return v->seq[v->seq_index & 7];
    case P_PEL_MASK: return v->pel_mask;
    case P_DAC_RI: return 0x00;            /* DAC state: write mode */
    case P_DAC_WI: return v->dac_write;
    case P_DAC_D: return read_dac(v);
    case P_FEAT_R: return 0x00;
    case P_MISC_R: return v->misc;
    case P_GC_I: return v->gc_index;
    case P_GC_D: return v->gc[v->gc_index & 15];
    case P_CRTC_I: return v->crtc_index;
    case P_CRTC_D: return v->crtc[v->crtc_index % VGA_CRTC_REGS];
    case P_IS1: return input_status1(v);
    }
    return 0xFF;
}

static uint64_t vga_bus_read(void *opaque, uint64_t offset, unsigned size)
{
    uint64_t val = 0;

    for (unsigned i = 0; i < size && offset + i < PORT_VGA_LEN; i++)
        val |= (uint64_t)read_port(opaque, (unsigned)(offset + i)) << (8 * i);
    return val;
}

/* A 16-bit OUT to an index port writes index then data, as drivers use
 * ("out dx, ax" with AL = index, AH = value). */
static void vga_bus_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    for (unsigned i = 0; i < size && offset + i < PORT_VGA_LEN; i++)
        write_port(opaque, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
}

static const struct bus_dev_ops vga_ops = {
    .read = vga_bus_read,    /* AC, misc, sequencer, DAC, GC, CRTC, status 1 */
    .write = vga_bus_write,  /* the same (status 1 port: feature control) */
};

/* ---- the screen ---- */

void vga_screen(const struct vga *v, struct vga_screen *out)
{
    const uint8_t *text = gmem_ptr(v->mem, MM_VGA_TEXT, MM_VGA_TEXT_SIZE);
    unsigned start = vga_start_addr(v);

    memset(out, 0, sizeof(*out));
    for (unsigned r = 0; r < VGA_ROWS; r++) {
        for (unsigned c = 0; c < VGA_COLS; c++) {
            unsigned cell = (start + r * VGA_COLS + c) % TEXT_CELLS;
            out->cell[r][c].ch = text ? text[2 * cell] : ' ';
            out->cell[r][c].attr = text ? text[2 * cell + 1] : 0x07;
        }
    }
    unsigned pos = (vga_cursor_pos(v) - start) & 0xFFFFu;
    out->cursor_start = v->crtc[CRTC_CURSOR_START] & 0x1F;
    out->cursor_end = v->crtc[CRTC_CURSOR_END] & 0x1F;
    out->cursor_visible = !(v->crtc[CRTC_CURSOR_START] & CRTC_CURSOR_OFF) &&
                          pos < VGA_ROWS * VGA_COLS;
    out->cursor_row = pos < VGA_ROWS * VGA_COLS ? pos / VGA_COLS : 0;
    out->cursor_col = pos < VGA_ROWS * VGA_COLS ? pos % VGA_COLS : 0;
}

int vga_dump(const struct vga *v, FILE *f)
{
    struct vga_screen s;
    char line[VGA_COLS + 2];

    vga_screen(v, &s);
    for (unsigned r = 0; r < VGA_ROWS; r++) {
        unsigned n = 0;
        for (unsigned c = 0; c < VGA_COLS; c++) {
            uint8_t ch = s.cell[r][c].ch;
            line[c] = ch == 0 ? ' ' : (ch >= 0x20 && ch < 0x7F) ? (char)ch : '.';
            if (line[c] != ' ')
                n = c + 1;
        }
        line[n] = '\n';
        if (fwrite(line, 1, n + 1, f) != n + 1)
            return -VMS_ERR_IO;
    }
    if (s.cursor_visible)
        fprintf(f, "cursor %u,%u\n", s.cursor_row, s.cursor_col);
    else
        fprintf(f, "cursor off\n");
    return ferror(f) ? -VMS_ERR_IO : 0;
}

/* ---- life cycle ---- */

int vga_init(struct vga *v, const struct dev_ctx *ctx, const struct gmem *mem)
{
    if (!v)
        return -VMS_ERR_INVAL;
    memset(v, 0, sizeof(*v));
    if (ctx)
        v->ctx = *ctx;
    v->mem = mem;
    memcpy(v->crtc, crtc_mode3, sizeof(crtc_mode3));
    memcpy(v->seq, seq_mode3, sizeof(seq_mode3));
    memcpy(v->gc, gc_mode3, sizeof(gc_mode3));
    memcpy(v->ac, ac_mode3, sizeof(ac_mode3));
    v->misc = MISC_MODE3;
    v->pel_mask = 0xFF;
    return 0;
}

int vga_attach(struct vga *v, struct bus *b)
{
    if (!v || !b)
        return -VMS_ERR_INVAL;
    return bus_map(b, BUS_PIO, PORT_VGA, PORT_VGA_LEN, &vga_ops, v, VGA_NAME);
}

void vga_destroy(struct vga *v)
{
    (void)v;
}
