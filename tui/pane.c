/* pane.c - what panes share: scrolling, wrapping. */
#include "tui/pane.h"

#include <string.h>

bool pane_scroll_key(struct pane *p, enum tui_action a, int total)
{
    int page = p->rows > 1 ? p->rows - 1 : 1, max = total - p->rows;

    switch (a) {
    case ACT_UP: p->scroll--; break;
    case ACT_DOWN: p->scroll++; break;
    case ACT_PAGE_UP: p->scroll -= page; break;
    case ACT_PAGE_DOWN: p->scroll += page; break;
    case ACT_TOP: p->scroll = 0; break;
    case ACT_BOTTOM: p->scroll = max; break;
    default: return false;
    }
    if (p->scroll > max)
        p->scroll = max;
    if (p->scroll < 0)
        p->scroll = 0;
    return true;
}

/* The length of the next word-wrapped piece of @s that fits @w columns
 * (counting code points); breaks at the last blank when it can. */
static int wrap_piece(const char *s, int w, int *skip_blank)
{
    int cols = 0, last_blank = -1, i = 0;

    *skip_blank = 0;
    while (s[i] && s[i] != '\n') {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (cols == w)
                break;
            cols++;
        }
        if (s[i] == ' ')
            last_blank = i;
        i++;
    }
    if ((s[i] == '\0' || s[i] == '\n') || last_blank <= 0)
        return i;
    *skip_blank = 1;
    return last_blank;
}

int pane_wrap(struct canvas c, int y, int skip, enum scr_style style, const char *text)
{
    int line = 0, w = c.r.w > 0 ? c.r.w : 1;
    char buf[512];

    while (*text) {
        bool pre = text[0] == ' ' && text[1] == ' ';
        int blank = 0, n = pre ? (int)strcspn(text, "\n") : wrap_piece(text, w, &blank);
        if (n >= (int)sizeof(buf))
            n = (int)sizeof(buf) - 1;
        memcpy(buf, text, (size_t)n);
        buf[n] = '\0';
        if (line >= skip)
            cv_text(c, 0, y + line - skip, w, style, buf);
        line++;
        text += n + blank;
        if (*text == '\n')
            text++;
    }
    return line;
}
