/* screen.h - a grid of character cells that the TUI's panes draw into.
 *
 * Everything on the terminal is first drawn here: a pane gets a clipped
 * canvas (struct canvas) over part of the grid and writes styled text.
 * The grid is then either flushed to curses (tui/term.c, only the cells
 * that changed) or dumped as text (the golden-screen tests), so both see
 * exactly the same picture.
 *
 * A cell holds one code point of display width 1 and a style.  Styles are
 * semantic (STY_CHANGED, STY_CURRENT, ...); term.c maps them to colours and
 * attributes, or to attributes only on a monochrome terminal or when
 * NO_COLOR is set.  Text that is not printable (guest output may hold
 * anything) is shown as '?', so the grid never contains control bytes or
 * double-width characters.
 */
#ifndef VMS_TUI_SCREEN_H
#define VMS_TUI_SCREEN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "machine/err.h"

/* Semantic styles: name, the letter used in golden dumps. */
#define SCR_STYLES(X)                                                 \
    X(NORMAL,  '.')   /* plain text */                                \
    X(BORDER,  'b')   /* pane frame of an unfocused pane */           \
    X(FOCUS,   'F')   /* frame and title of the focused pane */       \
    X(TITLE,   't')   /* pane title */                                \
    X(LABEL,   'l')   /* register names, column headers */            \
    X(CHANGED, 'C')   /* a value that changed since the last stop */  \
    X(CURRENT, '>')   /* the line at RIP, the current lesson step */  \
    X(BREAK,   'B')   /* a breakpoint */                              \
    X(SYMBOL,  's')   /* a symbol name */                             \
    X(DIM,     'd')   /* less important: addresses, bytes, flags off*/\
    X(ERROR,   'E')   /* faults, errors, a stopped VM */              \
    X(STATUS,  'S')   /* the status bar */                            \
    X(PROMPT,  'P')   /* the command prompt */                        \
    X(SELECT,  'R')   /* a selected entry (reverse video) */          \
    X(OK,      'G')   /* success: a present page, a running VM */

enum scr_style {
#define SCR_STYLE_ENUM(name, letter) STY_##name,
    SCR_STYLES(SCR_STYLE_ENUM)
#undef SCR_STYLE_ENUM
    STY_COUNT
};

/* A cell may instead carry a VGA text attribute (the guest's own colours,
 * console pane): cell.vga = SCR_VGA | attribute (IBM VGA: bits 0-3
 * foreground with bit 3 intensity, 4-6 background, 7 blink), and term.c
 * shows the CGA colour; 0 means the semantic style applies. */
#define SCR_VGA 0x100u

struct cell {
    uint32_t ch;      /* code point, display width 1 */
    uint8_t style;    /* enum scr_style */
    uint16_t vga;     /* 0, or SCR_VGA | VGA attribute byte */
};

/* Box-drawing glyphs, Unicode or ASCII (screen->unicode). */
enum scr_glyph {
    GL_HLINE, GL_VLINE, GL_TL, GL_TR, GL_BL, GL_BR,
    GL_TEE_L, GL_TEE_R,       /* |- and -| (title brackets) */
    GL_ARROW,                 /* the current line marker */
    GL_BULLET,                /* a breakpoint marker */
    GL_BRANCH, GL_LASTBRANCH, /* tree: |- and `- */
    GL_TREEBAR,               /* tree: | continuing */
    GL_BLOCK,                 /* timeline: a slice ran */
    GL_COUNT
};

struct screen {
    int w, h;
    struct cell *cells;       /* w * h, row-major (owned) */
    bool unicode;             /* box drawing with Unicode, else ASCII */
    int cur_x, cur_y;         /* where the terminal cursor goes */
    bool cur_visible;
};

struct rect {
    int x, y, w, h;
};

/* A clipped drawing area: coordinates are relative to the origin (ox,
 * oy); anything outside the clip rectangle r (absolute) is dropped.  The
 * origin may lie above or left of r: that is how a pane scrolls.  r.w
 * and r.h are the visible size.  A canvas is a value: make as many as
 * you like. */
struct canvas {
    struct screen *s;
    struct rect r;
    int ox, oy;
};

/* Allocate a blank @w x @h screen (w, h >= 1). */
int screen_create(struct screen **out, int w, int h, bool unicode) VMS_MUST_CHECK;
void screen_destroy(struct screen *s);
/* Change the size (contents become blank).  On failure the old grid stays. */
int screen_resize(struct screen *s, int w, int h) VMS_MUST_CHECK;
/* Every cell blank with STY_NORMAL; cursor hidden. */
void screen_clear(struct screen *s);

uint32_t screen_glyph(const struct screen *s, enum scr_glyph g);
/* The letter for @style in golden dumps. */
char screen_style_letter(enum scr_style style);

/* The cell at (x, y), or NULL outside the grid. */
const struct cell *screen_at(const struct screen *s, int x, int y);

/* A canvas over the whole screen, and a sub-canvas (clipped to the
 * parent) at @r relative to the parent's origin. */
struct canvas canvas_of(struct screen *s);
struct canvas canvas_sub(struct canvas c, struct rect r);

/* Put one code point; unprintable code points become '?'. */
void cv_put(struct canvas c, int x, int y, uint32_t ch, enum scr_style style);
/* Put one code point with VGA attribute @attr (the console's VGA screen). */
void cv_put_vga(struct canvas c, int x, int y, uint32_t ch, uint8_t attr);
/* Write UTF-8 @text from (x, y) on one line, at most @maxw columns
 * (maxw < 0: to the canvas edge).  Newlines and tabs show as one space.
 * Returns the columns written. */
int cv_text(struct canvas c, int x, int y, int maxw, enum scr_style style,
            const char *text);
int cv_printf(struct canvas c, int x, int y, enum scr_style style,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int cv_vprintf(struct canvas c, int x, int y, enum scr_style style,
               const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* Fill @r (canvas-relative) with @ch. */
void cv_fill(struct canvas c, struct rect r, uint32_t ch, enum scr_style style);
/* Restyle @w cells from (x, y) keeping their characters. */
void cv_style(struct canvas c, int x, int y, int w, enum scr_style style);
/* A frame around the whole canvas with @title in its top edge. */
void cv_box(struct canvas c, const char *title, enum scr_style frame);
/* Place the terminal cursor at (x, y) of the canvas (if inside it). */
void cv_cursor(struct canvas c, int x, int y);

/* The number of columns UTF-8 @text takes (each code point is one). */
int screen_text_width(const char *text);

/* Write the grid as text, one line per row, trailing blanks kept so every
 * line has w columns.  With @styles, a line "--" and then a second grid of
 * style letters follow (the golden-file format, docs/TUI.md); when some
 * cell holds a VGA attribute, a line "-- vga" and a grid of each cell's
 * attribute as hex, two columns a cell ("  " for other cells), follow. */
int screen_dump(const struct screen *s, FILE *f, bool styles);
/* The same into a malloc'd NUL-terminated string (caller frees). */
char *screen_dump_string(const struct screen *s, bool styles);

#endif
