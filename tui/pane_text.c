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

/* ---- console ---- */

static void console_draw(struct pane *p, struct tui *t, struct canvas c)
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

static bool console_key(struct pane *p, struct tui *t, enum tui_action a)
{
    return tail_key(p, a, t->console ? (int)textbuf_lines(t->console) : 0);
}

static void console_subtitle(struct pane *p, struct tui *t, char *buf, size_t len)
{
    (void)t;
    tail_subtitle(p, buf, len);
    if (!buf[0])
        snprintf(buf, len, "COM1");
}

const struct pane_ops pane_console_ops = {
    .name = "console", .title = "Console", .draw = console_draw,
    .key = console_key, .subtitle = console_subtitle,
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
