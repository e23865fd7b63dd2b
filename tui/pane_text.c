/* pane_text.c - console, log and lesson panes. */
#include "tui/pane_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

/* ---- lists with the newest line at the bottom (scroll: lines up) ---- */

static bool tail_key(struct pane *p, enum tui_action a, int total)
{
    int page = p->rows > 1 ? p->rows - 1 : 1, max = total - p->rows;

    switch (a) {
    case ACT_UP: p->scroll++; break;
    case ACT_DOWN: p->scroll--; break;
    case ACT_PAGE_UP: p->scroll += page; break;
    case ACT_PAGE_DOWN: p->scroll -= page; break;
    case ACT_TOP: p->scroll = max; break;
    case ACT_BOTTOM: p->scroll = 0; break;
    default: return false;
    }
    if (p->scroll > max)
        p->scroll = max;
    if (p->scroll < 0)
        p->scroll = 0;
    return true;
}

/* The first line to show of @total so the bottom sits @scroll lines up. */
static int tail_first(const struct pane *p, int total, int rows)
{
    int first = total - rows - p->scroll;
    return first < 0 ? 0 : first;
}

static void tail_subtitle(struct pane *p, char *buf, size_t len)
{
    if (p->scroll > 0)
        snprintf(buf, len, "%d lines up (End: newest)", p->scroll);
}

/* ---- console: the serial log or the VGA text screen ---- */

/* Code page 437 (the VGA ROM font) in Unicode: 0x00-0x1F and 0x7F-0xFF.
 * Code points the grid cannot show become '?' in cv_put(). */
static const uint16_t cp437_low[32] = {
    0x0020, 0x263A, 0x263B, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
    0x25D8, 0x25CB, 0x25D9, 0x2642, 0x2640, 0x266A, 0x266B, 0x263C,
    0x25BA, 0x25C4, 0x2195, 0x203C, 0x00B6, 0x00A7, 0x25AC, 0x21A8,
    0x2191, 0x2193, 0x2192, 0x2190, 0x221F, 0x2194, 0x25B2, 0x25BC,
};
static const uint16_t cp437_high[129] = {
    0x2302,
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7,
    0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5,
    0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
    0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192,
    0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
    0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
    0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510,
    0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,
    0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B,
    0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
    0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4,
    0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,
    0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0,
};

static uint32_t cp437(uint8_t ch)
{
    if (ch < 0x20)
        return ch ? cp437_low[ch] : ' ';   /* NUL shows as a blank */
    return ch < 0x7F ? ch : cp437_high[ch - 0x7F];
}

struct console_pane {
    struct vga_screen vga;
    int shown;                 /* session_vga(): 1 written, 0 blank, <0 none */
    bool manual;               /* rows scrolled by keys, not following the cursor */
    int top, left;             /* the first VGA row and column shown */
};

static void *console_create(void)
{
    return calloc(1, sizeof(struct console_pane));
}

static void console_update(struct pane *p, struct tui *t)
{
    struct console_pane *cp = p->state;
    unsigned vm, vcpu;

    session_current(t->s, &vm, &vcpu);
    cp->shown = session_vga(t->s, vm, &cp->vga);
}

bool tui_console_vga(struct tui *t)
{
    struct vga_screen scr;
    unsigned vm, vcpu;

    if (t->console_view != CONSOLE_AUTO)
        return t->console_view == CONSOLE_VGA;
    session_current(t->s, &vm, &vcpu);
    return session_vga(t->s, vm, &scr) == 1;
}

/* The first row/column to show of @size when @vis fit: keep @cur in view
 * (the hardware cursor, where the guest writes next). */
static int follow(int cur, int size, int vis, int first)
{
    if (vis >= size)
        return 0;
    if (cur < first)
        first = cur;
    if (cur >= first + vis)
        first = cur - vis + 1;
    return first < 0 ? 0 : first > size - vis ? size - vis : first;
}

static void vga_draw(struct console_pane *cp, struct tui *t, struct canvas c)
{
    const struct vga_screen *v = &cp->vga;
    int rows = (int)VGA_ROWS, cols = (int)VGA_COLS;

    if (!cp->manual)
        cp->top = follow((int)v->cursor_row, rows, c.r.h, cp->top);
    else if (cp->top > rows - c.r.h)
        cp->top = rows - c.r.h > 0 ? rows - c.r.h : 0;
    cp->left = follow((int)v->cursor_col, cols, c.r.w, cp->left);
    for (int y = 0; y < c.r.h && cp->top + y < rows; y++)
        for (int x = 0; x < c.r.w && cp->left + x < cols; x++) {
            const struct vga_cell *cell = &v->cell[cp->top + y][cp->left + x];
            cv_put_vga(c, x, y, cp437(cell->ch), cell->attr);
        }
    if (!v->cursor_visible)
        return;
    int cx = (int)v->cursor_col - cp->left, cy = (int)v->cursor_row - cp->top;
    /* the hardware cursor: a reverse-video cell, and the terminal's own
     * cursor there while typing to the guest */
    const struct vga_cell *under = &v->cell[v->cursor_row][v->cursor_col];
    cv_put(c, cx, cy, cp437(under->ch), STY_SELECT);
    if (t->typing && !t->at_prompt)
        cv_cursor(c, cx, cy);
}

static void serial_draw(struct pane *p, struct tui *t, struct canvas c)
{
    const struct textbuf *b = t->console;
    bool tags = false;

    if (!b) {
        cv_text(c, 0, 0, -1, STY_DIM, "(no console)");
        return;
    }
    int total = (int)textbuf_lines(b), first = tail_first(p, total, c.r.h);
    for (int i = 0; i < total; i++)
        tags |= textbuf_get(b, (unsigned)i)->tag != 0;
    for (int y = 0; y < c.r.h && first + y < total; y++) {
        const struct tb_line *l = textbuf_get(b, (unsigned)(first + y));
        int x = tags ? cv_printf(c, 0, y, STY_DIM, "[vm%u] ", l->tag) : 0;
        cv_text(c, x, y, -1, STY_NORMAL, l->text);
    }
    if (total == 0)
        cv_text(c, 0, 0, -1, STY_DIM, "(the guest has not written to COM1 yet)");
}

static bool console_shows_vga(struct pane *p, struct tui *t)
{
    const struct console_pane *cp = p->state;

    if (t->console_view != CONSOLE_AUTO)
        return t->console_view == CONSOLE_VGA && cp->shown >= 0;
    return cp->shown == 1;
}

static void console_draw(struct pane *p, struct tui *t, struct canvas c)
{
    if (console_shows_vga(p, t))
        vga_draw(p->state, t, c);
    else
        serial_draw(p, t, c);
}

/* VGA view: Up/Down/PgUp/PgDn scroll the 25 rows when the pane is lower;
 * End follows the cursor again. */
static bool vga_key(struct pane *p, enum tui_action a)
{
    struct console_pane *cp = p->state;
    int page = p->rows > 1 ? p->rows - 1 : 1, max = (int)VGA_ROWS - p->rows;

    switch (a) {
    case ACT_UP: cp->top--; break;
    case ACT_DOWN: cp->top++; break;
    case ACT_PAGE_UP: cp->top -= page; break;
    case ACT_PAGE_DOWN: cp->top += page; break;
    case ACT_TOP: cp->top = 0; break;
    case ACT_BOTTOM: cp->manual = false; cp->top = 0; return true;  /* follow from row 0 */
    default: return false;
    }
    cp->manual = true;
    if (cp->top > max)
        cp->top = max;
    if (cp->top < 0)
        cp->top = 0;
    return true;
}

static bool console_key(struct pane *p, struct tui *t, enum tui_action a)
{
    if (console_shows_vga(p, t))
        return vga_key(p, a);
    return tail_key(p, a, t->console ? (int)textbuf_lines(t->console) : 0);
}

static const char *input_name(unsigned where)
{
    static const char *const names[] = { "nowhere", "COM1", "keyboard", "keyboard+COM1" };
    return names[where & 3u];
}

static void console_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    const struct console_pane *cp = p->state;
    char typing[64] = "";

    if (t->typing)
        snprintf(typing, sizeof(typing), " | typing to %s (Esc ends)",
                 input_name(tui_input_where(t)));
    if (console_shows_vga(p, t)) {
        if (cp->vga.cursor_visible)
            snprintf(buf, len, "VGA 80x25, cursor %u,%u%s", cp->vga.cursor_row,
                     cp->vga.cursor_col, typing);
        else
            snprintf(buf, len, "VGA 80x25, cursor off%s", typing);
        return;
    }
    tail_subtitle(p, buf, len);
    if (!buf[0])
        snprintf(buf, len, "COM1%s", typing);
}

const struct pane_ops pane_console_ops = {
    .name = "console", .title = "Console", .create = console_create, .destroy = free,
    .update = console_update, .draw = console_draw, .key = console_key,
    .subtitle = console_subtitle,
};

/* ---- log: commands and what they printed ---- */

static enum scr_style log_style(uint8_t tag)
{
    switch (tag) {
    case 'C': return STY_PROMPT;
    case 'E': return STY_ERROR;
    case 'L': return STY_SYMBOL;
    case 'M': return STY_LABEL;
    default: return STY_NORMAL;
    }
}

static void log_draw(struct pane *p, struct tui *t, struct canvas c)
{
    int total = (int)textbuf_lines(&t->log), first = tail_first(p, total, c.r.h);

    for (int y = 0; y < c.r.h && first + y < total; y++) {
        const struct tb_line *l = textbuf_get(&t->log, (unsigned)(first + y));
        cv_text(c, 0, y, -1, log_style(l->tag), l->text);
    }
}

static bool log_key(struct pane *p, struct tui *t, enum tui_action a)
{
    return tail_key(p, a, (int)textbuf_lines(&t->log));
}

static void log_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    (void)t;
    tail_subtitle(p, buf, len);
}

const struct pane_ops pane_log_ops = {
    .name = "log", .title = "Log", .draw = log_draw, .key = log_key,
    .subtitle = log_subtitle,
};

/* ---- lesson ---- */

struct lesson_pane {
    int lines;                 /* wrapped lines at the last draw */
    int focus_line;            /* the question or the answer: keep it shown */
    bool want_focus;           /* scroll to focus_line at the next draw */
    unsigned last_step;
    enum lesson_phase last_phase;
};

void pane_text_reflow(const char *text, char *out, size_t len)
{
    size_t o = 0;

    if (len == 0)
        return;
    for (const char *p = text; *p && o + 1 < len; p++) {
        char ch = *p;
        /* a single newline inside a paragraph joins two lines */
        if (ch == '\n' && p[1] && p[1] != '\n' && !(p[1] == ' ' && p[2] == ' ')
            && p > text && p[-1] != '\n' && !(o >= 1 && out[o - 1] == '\n')) {
            const char *ls = p;
            while (ls > text && ls[-1] != '\n')
                ls--;
            if (!(ls[0] == ' ' && ls[1] == ' '))
                ch = ' ';
        }
        out[o++] = ch;
    }
    out[o] = '\0';
}

/* Paint @text reflowed at wrapped line *y (skipping p->scroll lines);
 * advances *y by the lines it needs. */
static void lesson_block(struct pane *p, struct canvas c, int *y, enum scr_style st,
                         const char *text)
{
    static char buf[8192];

    pane_text_reflow(text, buf, sizeof(buf));
    int row = *y - p->scroll;
    *y += pane_wrap(c, row < 0 ? 0 : row, row < 0 ? -row : 0, st, buf);
}

static void lesson_status(struct tui *t, char *buf, size_t len)
{
    const struct lesson_step *next = lesson_pending(&t->lp);

    if (t->lp.phase == LP_DONE)
        snprintf(buf, len, "Lesson complete: %u of %u answers right. `lesson restart` "
                 "starts over.", t->lp.right, t->lp.answered);
    else if (t->lp.phase == LP_ASKING)
        snprintf(buf, len, "Type your answer at the prompt below and press Enter.");
    else if (!next)
        snprintf(buf, len, "This is the last step.");
    else if (t->lesson_err[0])
        snprintf(buf, len, "Next step: %s (`lesson next` moves on).", t->lesson_err);
    else if (next->when == LW_BREAK || next->when == LW_EVENT)
        snprintf(buf, len, "Next step when the guest reaches: %s %s (F5 runs, F11 steps).",
                 lesson_when_name(next->when), next->cond);
    else if (next->when == LW_EXIT)
        snprintf(buf, len, "Next step when the VM ends (F5 runs).");
    else
        snprintf(buf, len, "Type `lesson next` at the prompt to go on.");
}

static void lesson_draw(struct pane *p, struct tui *t, struct canvas c)
{
    const struct lesson_step *st = t->has_lesson ? lesson_current(&t->lp) : NULL;
    char buf[320];
    int y = 0;

    if (!st) {
        cv_text(c, 0, 0, -1, STY_DIM, "No lesson for this guest.");
        cv_text(c, 0, 1, -1, STY_DIM, "Scenarios with a lesson: hello, protected, longmode.");
        return;
    }
    snprintf(buf, sizeof(buf), "Step %u of %u: %s", t->lp.cur + 1, t->lesson.nsteps, st->title);
    lesson_block(p, c, &y, STY_TITLE, buf);
    lesson_block(p, c, &y, STY_NORMAL, "");
    lesson_block(p, c, &y, STY_NORMAL, st->text);
    struct lesson_pane *ls = p->state;
    if (st->question) {
        lesson_block(p, c, &y, STY_NORMAL, "");
        ls->focus_line = y;
        snprintf(buf, sizeof(buf), "? %s", st->question);
        lesson_block(p, c, &y, STY_CHANGED, buf);
    }
    if (t->lp.phase == LP_REVEALED) {
        snprintf(buf, sizeof(buf), "Your answer: %s%s", t->lp.answer,
                 !st->answers[0] ? "" : t->lp.correct ? " (right)" : " (not quite)");
        lesson_block(p, c, &y, t->lp.correct || !st->answers[0] ? STY_OK : STY_ERROR, buf);
        lesson_block(p, c, &y, STY_NORMAL, "");
        lesson_block(p, c, &y, STY_NORMAL, st->reveal);
    }
    lesson_block(p, c, &y, STY_NORMAL, "");
    lesson_status(t, buf, sizeof(buf));
    lesson_block(p, c, &y, STY_DIM, buf);
    ls->lines = y;
    /* The answer and the reveal below the fold: scroll them into view once
     * (drawn again at the new offset). */
    if (ls->want_focus) {
        ls->want_focus = false;
        if (ls->focus_line >= p->scroll + c.r.h / 3) {
            p->scroll = ls->focus_line;
            cv_fill(c, (struct rect){ 0, 0, c.r.w, c.r.h }, ' ', STY_NORMAL);
            lesson_draw(p, t, c);
        }
    }
}

static void *lesson_create(void)
{
    struct lesson_pane *s = calloc(1, sizeof(*s));

    if (s)
        s->last_step = ~0u;
    return s;
}

static bool lesson_key(struct pane *p, struct tui *t, enum tui_action a)
{
    (void)t;
    return pane_scroll_key(p, a, ((struct lesson_pane *)p->state)->lines);
}

/* A new step starts at its top. */
static void lesson_update(struct pane *p, struct tui *t)
{
    struct lesson_pane *s = p->state;

    if (t->lp.cur != s->last_step || t->lp.phase != s->last_phase) {
        p->scroll = 0;
        s->want_focus = t->lp.phase == LP_REVEALED;
    }
    s->last_step = t->lp.cur;
    s->last_phase = t->lp.phase;
}

static void lesson_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    (void)p;
    if (t->has_lesson)
        snprintf(buf, len, "%s", t->lesson.title);
}

const struct pane_ops pane_lesson_ops = {
    .name = "lesson", .title = "Lesson", .create = lesson_create, .destroy = free,
    .update = lesson_update, .draw = lesson_draw, .key = lesson_key,
    .subtitle = lesson_subtitle,
};
