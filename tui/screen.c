/* screen.c - the cell grid, clipped canvases and the text dump. */
#include "tui/screen.h"

#include <stdlib.h>
#include <string.h>

static const char style_letters[STY_COUNT] = {
#define SCR_STYLE_LETTER(name, letter) letter,
    SCR_STYLES(SCR_STYLE_LETTER)
#undef SCR_STYLE_LETTER
};

/* Glyphs: Unicode box drawing (U+2500 block) and an ASCII fallback. */
static const uint32_t glyph_unicode[GL_COUNT] = {
    [GL_HLINE] = 0x2500, [GL_VLINE] = 0x2502, [GL_TL] = 0x250C, [GL_TR] = 0x2510,
    [GL_BL] = 0x2514, [GL_BR] = 0x2518, [GL_TEE_L] = 0x2524, [GL_TEE_R] = 0x251C,
    [GL_ARROW] = 0x25B6, [GL_BULLET] = 0x25CF, [GL_BRANCH] = 0x251C,
    [GL_LASTBRANCH] = 0x2514, [GL_TREEBAR] = 0x2502, [GL_BLOCK] = 0x2588,
};
static const uint32_t glyph_ascii[GL_COUNT] = {
    [GL_HLINE] = '-', [GL_VLINE] = '|', [GL_TL] = '+', [GL_TR] = '+',
    [GL_BL] = '+', [GL_BR] = '+', [GL_TEE_L] = '[', [GL_TEE_R] = ']',
    [GL_ARROW] = '>', [GL_BULLET] = '*', [GL_BRANCH] = '+',
    [GL_LASTBRANCH] = '`', [GL_TREEBAR] = '|', [GL_BLOCK] = '#',
};

int screen_create(struct screen **out, int w, int h, bool unicode)
{
    struct screen *s;

    *out = NULL;
    if (w < 1 || h < 1 || w > 4096 || h > 4096)
        return -VMS_ERR_INVAL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -VMS_ERR_NOMEM;
    s->unicode = unicode;
    if (screen_resize(s, w, h) < 0) {
        free(s);
        return -VMS_ERR_NOMEM;
    }
    *out = s;
    return 0;
}

void screen_destroy(struct screen *s)
{
    if (!s)
        return;
    free(s->cells);
    free(s);
}

int screen_resize(struct screen *s, int w, int h)
{
    if (w < 1 || h < 1 || w > 4096 || h > 4096)
        return -VMS_ERR_INVAL;
    struct cell *c = calloc((size_t)w * (size_t)h, sizeof(*c));
    if (!c)
        return -VMS_ERR_NOMEM;
    free(s->cells);
    s->cells = c;
    s->w = w;
    s->h = h;
    screen_clear(s);
    return 0;
}

void screen_clear(struct screen *s)
{
    size_t n = (size_t)s->w * (size_t)s->h;

    for (size_t i = 0; i < n; i++)
        s->cells[i] = (struct cell){ .ch = ' ', .style = STY_NORMAL };
    s->cur_visible = false;
    s->cur_x = s->cur_y = 0;
}

uint32_t screen_glyph(const struct screen *s, enum scr_glyph g)
{
    if ((unsigned)g >= GL_COUNT)
        return '?';
    return s->unicode ? glyph_unicode[g] : glyph_ascii[g];
}

char screen_style_letter(enum scr_style style)
{
    return (unsigned)style < STY_COUNT ? style_letters[style] : '?';
}

const struct cell *screen_at(const struct screen *s, int x, int y)
{
    if (x < 0 || y < 0 || x >= s->w || y >= s->h)
        return NULL;
    return &s->cells[(size_t)y * (size_t)s->w + (size_t)x];
}

/* ---- canvases ---- */

static struct rect rect_intersect(struct rect a, struct rect b)
{
    int x0 = a.x > b.x ? a.x : b.x, y0 = a.y > b.y ? a.y : b.y;
    int x1 = a.x + a.w < b.x + b.w ? a.x + a.w : b.x + b.w;
    int y1 = a.y + a.h < b.y + b.h ? a.y + a.h : b.y + b.h;

    if (x1 <= x0 || y1 <= y0)
        return (struct rect){ x0, y0, 0, 0 };
    return (struct rect){ x0, y0, x1 - x0, y1 - y0 };
}

struct canvas canvas_of(struct screen *s)
{
    return (struct canvas){ .s = s, .r = { 0, 0, s->w, s->h } };
}

struct canvas canvas_sub(struct canvas c, struct rect r)
{
    struct rect abs = { c.ox + r.x, c.oy + r.y, r.w, r.h };

    return (struct canvas){ .s = c.s, .r = rect_intersect(c.r, abs),
                            .ox = abs.x, .oy = abs.y };
}

/* The cell at canvas position (x, y), or NULL when clipped. */
static struct cell *cv_cell(struct canvas c, int x, int y)
{
    int ax = c.ox + x, ay = c.oy + y;

    if (ax < c.r.x || ay < c.r.y || ax >= c.r.x + c.r.w || ay >= c.r.y + c.r.h)
        return NULL;
    return &c.s->cells[(size_t)ay * (size_t)c.s->w + (size_t)ax];
}

/* Code points the grid accepts: display width 1 in every locale we
 * support.  Everything else (controls, combining marks, CJK) is '?'. */
static bool printable(uint32_t ch)
{
    if (ch >= 0x20 && ch < 0x7F)
        return true;
    if (ch >= 0xA0 && ch <= 0xFF)
        return true;
    return (ch >= 0x2190 && ch <= 0x21FF)     /* arrows */
        || (ch >= 0x2500 && ch <= 0x25FF)     /* box drawing, blocks, shapes */
        || ch == 0x2022 || ch == 0x2026;      /* bullet, ellipsis */
}

void cv_put(struct canvas c, int x, int y, uint32_t ch, enum scr_style style)
{
    struct cell *cell = cv_cell(c, x, y);

    if (!cell)
        return;
    cell->ch = printable(ch) ? ch : '?';
    cell->style = (uint8_t)style;
    cell->vga = 0;
}

void cv_put_vga(struct canvas c, int x, int y, uint32_t ch, uint8_t attr)
{
    struct cell *cell = cv_cell(c, x, y);

    if (!cell)
        return;
    cell->ch = printable(ch) ? ch : '?';
    cell->style = STY_NORMAL;
    cell->vga = (uint16_t)(SCR_VGA | attr);
}

/* Decode one UTF-8 sequence at *p; malformed bytes decode as U+FFFD (which
 * then shows as '?').  Advances *p past what was used. */
static uint32_t utf8_next(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    unsigned n = s[0] >= 0xF0 ? 3 : s[0] >= 0xE0 ? 2 : s[0] >= 0xC0 ? 1 : 0;
    uint32_t ch = n ? s[0] & (0x3Fu >> n) : s[0];

    if (s[0] >= 0x80 && n == 0) {
        (*p)++;
        return 0xFFFD;
    }
    for (unsigned i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *p += i;
            return 0xFFFD;
        }
        ch = ch << 6 | (s[i] & 0x3Fu);
    }
    *p += n + 1;
    return ch;
}

int screen_text_width(const char *text)
{
    int n = 0;

    while (*text) {
        utf8_next(&text);
        n++;
    }
    return n;
}

int cv_text(struct canvas c, int x, int y, int maxw, enum scr_style style,
            const char *text)
{
    int n = 0, limit = maxw < 0 ? c.r.x + c.r.w - (c.ox + x) : maxw;

    while (*text && n < limit) {
        uint32_t ch = utf8_next(&text);
        if (ch == '\n' || ch == '\t')
            ch = ' ';
        cv_put(c, x + n, y, ch, style);
        n++;
    }
    return n;
}

int cv_vprintf(struct canvas c, int x, int y, enum scr_style style,
               const char *fmt, va_list ap)
{
    char buf[512];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    return cv_text(c, x, y, -1, style, buf);
}

int cv_printf(struct canvas c, int x, int y, enum scr_style style, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = cv_vprintf(c, x, y, style, fmt, ap);
    va_end(ap);
    return n;
}

void cv_fill(struct canvas c, struct rect r, uint32_t ch, enum scr_style style)
{
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            cv_put(c, x, y, ch, style);
}

void cv_style(struct canvas c, int x, int y, int w, enum scr_style style)
{
    for (int i = 0; i < w; i++) {
        struct cell *cell = cv_cell(c, x + i, y);
        if (cell)
            cell->style = (uint8_t)style;
    }
}

void cv_box(struct canvas c, const char *title, enum scr_style frame)
{
    const struct screen *s = c.s;
    int w = c.r.w, h = c.r.h;

    if (w < 2 || h < 2)
        return;
    cv_fill(c, (struct rect){ 1, 0, w - 2, 1 }, screen_glyph(s, GL_HLINE), frame);
    cv_fill(c, (struct rect){ 1, h - 1, w - 2, 1 }, screen_glyph(s, GL_HLINE), frame);
    cv_fill(c, (struct rect){ 0, 1, 1, h - 2 }, screen_glyph(s, GL_VLINE), frame);
    cv_fill(c, (struct rect){ w - 1, 1, 1, h - 2 }, screen_glyph(s, GL_VLINE), frame);
    cv_put(c, 0, 0, screen_glyph(s, GL_TL), frame);
    cv_put(c, w - 1, 0, screen_glyph(s, GL_TR), frame);
    cv_put(c, 0, h - 1, screen_glyph(s, GL_BL), frame);
    cv_put(c, w - 1, h - 1, screen_glyph(s, GL_BR), frame);
    if (title && *title && w > 6) {
        cv_put(c, 1, 0, screen_glyph(s, GL_TEE_L), frame);
        int n = cv_text(c, 2, 0, w - 5, frame == STY_FOCUS ? STY_FOCUS : STY_TITLE, title);
        cv_put(c, 2 + n, 0, screen_glyph(s, GL_TEE_R), frame);
    }
}

void cv_cursor(struct canvas c, int x, int y)
{
    if (!cv_cell(c, x, y))
        return;
    c.s->cur_x = c.ox + x;
    c.s->cur_y = c.oy + y;
    c.s->cur_visible = true;
}

/* ---- dumps ---- */

static size_t put_utf8(char *out, uint32_t ch)
{
    if (ch < 0x80) {
        out[0] = (char)ch;
        return 1;
    }
    if (ch < 0x800) {
        out[0] = (char)(0xC0 | ch >> 6);
        out[1] = (char)(0x80 | (ch & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | ch >> 12);
    out[1] = (char)(0x80 | (ch >> 6 & 0x3F));
    out[2] = (char)(0x80 | (ch & 0x3F));
    return 3;   /* the grid holds BMP code points only (printable()) */
}

static bool any_vga(const struct screen *s)
{
    for (size_t i = 0; i < (size_t)s->w * (size_t)s->h; i++)
        if (s->cells[i].vga)
            return true;
    return false;
}

/* The "-- vga" grid: two hex digits a VGA cell, blanks for the others. */
static char *dump_vga(const struct screen *s, char *p)
{
    static const char hex[] = "0123456789abcdef";

    memcpy(p, "-- vga\n", 7);
    p += 7;
    for (int y = 0; y < s->h; y++) {
        for (int x = 0; x < s->w; x++) {
            unsigned v = screen_at(s, x, y)->vga;
            *p++ = v ? hex[v >> 4 & 0xF] : ' ';
            *p++ = v ? hex[v & 0xF] : ' ';
        }
        *p++ = '\n';
    }
    return p;
}

char *screen_dump_string(const struct screen *s, bool styles)
{
    size_t cells = (size_t)s->w * (size_t)s->h;
    size_t cap = cells * 3 + (size_t)s->h + (styles ? cells + (size_t)s->h + 4 : 0)
                 + (styles ? cells * 2 + (size_t)s->h + 8 : 0) + 1;
    char *buf = malloc(cap), *p = buf;

    if (!buf)
        return NULL;
    for (int y = 0; y < s->h; y++) {
        for (int x = 0; x < s->w; x++)
            p += put_utf8(p, screen_at(s, x, y)->ch);
        *p++ = '\n';
    }
    if (styles) {
        memcpy(p, "--\n", 3);
        p += 3;
        for (int y = 0; y < s->h; y++) {
            for (int x = 0; x < s->w; x++)
                *p++ = screen_style_letter(screen_at(s, x, y)->style);
            *p++ = '\n';
        }
        if (any_vga(s))
            p = dump_vga(s, p);
    }
    *p = '\0';
    return buf;
}

int screen_dump(const struct screen *s, FILE *f, bool styles)
{
    char *text = screen_dump_string(s, styles);

    if (!text)
        return -VMS_ERR_NOMEM;
    int r = fputs(text, f) < 0 ? -VMS_ERR_IO : 0;
    free(text);
    return r;
}
