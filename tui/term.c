/* term.c - curses (ncursesw) behind a cell grid. */
#define NCURSES_WIDECHAR 1
#include "tui/term.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/keys.h"

volatile sig_atomic_t term_quit_requested;
void (*term_on_quit_signal)(void);

static struct {
    bool open;
    bool color;
    bool vga_full;           /* 64 pairs for the guest's fg x bg colours */
    bool vga_mono;           /* too few pairs: VGA cells in attributes only */
    bool full;               /* next flush redraws every cell */
    struct cell *shown;      /* what the terminal shows (w * h) */
    int w, h;
} T;

/* ---- styles: colour pair and attributes, and the monochrome look ---- */

struct style_look {
    short fg, bg;            /* colour pair (-1: terminal default) */
    attr_t color_attr;       /* attributes with colours */
    attr_t mono_attr;        /* attributes without colours */
};

static const struct style_look looks[STY_COUNT] = {
    [STY_NORMAL]  = { -1, -1, A_NORMAL, A_NORMAL },
    [STY_BORDER]  = { COLOR_BLUE, -1, A_NORMAL, A_DIM },
    [STY_FOCUS]   = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
    [STY_TITLE]   = { COLOR_WHITE, -1, A_BOLD, A_NORMAL },
    [STY_LABEL]   = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
    [STY_CHANGED] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
    [STY_CURRENT] = { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
    [STY_BREAK]   = { COLOR_RED, -1, A_BOLD, A_BOLD },
    [STY_SYMBOL]  = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
    [STY_DIM]     = { -1, -1, A_DIM, A_DIM },
    [STY_ERROR]   = { COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE },
    [STY_STATUS]  = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
    [STY_PROMPT]  = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
    [STY_SELECT]  = { -1, -1, A_REVERSE, A_REVERSE },
    [STY_OK]      = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
};

/* ---- the guest's VGA colours ---- */

/* CGA/VGA colour numbers 0-7 (IBM VGA attribute: blue, green, red bits)
 * in curses' order (red, green, blue bits). */
static const short cga_to_curses[8] = {
    COLOR_BLACK, COLOR_BLUE, COLOR_GREEN, COLOR_CYAN,
    COLOR_RED, COLOR_MAGENTA, COLOR_YELLOW /* brown */, COLOR_WHITE /* light grey */,
};
#define VGA_PAIR0 (STY_COUNT + 1)
#define VGA_FG(a) ((a) & 7u)
#define VGA_BRIGHT(a) ((a) & 0x08u)      /* intensity */
#define VGA_BG(a) ((a) >> 4 & 7u)
#define VGA_BLINK(a) ((a) & 0x80u)

/* Pairs VGA_PAIR0 + fg * 8 + bg when the terminal has 64 more pairs;
 * else VGA_PAIR0 + fg on the default background. */
static void setup_vga_colors(void)
{
    T.vga_full = COLOR_PAIRS >= VGA_PAIR0 + 64;
    for (unsigned fg = 0; fg < 8; fg++) {
        if (!T.vga_full) {
            init_pair((short)(VGA_PAIR0 + fg), cga_to_curses[fg], -1);
            continue;
        }
        for (unsigned bg = 0; bg < 8; bg++)
            init_pair((short)(VGA_PAIR0 + fg * 8 + bg), cga_to_curses[fg], cga_to_curses[bg]);
    }
}

static void setup_colors(void)
{
    start_color();
    use_default_colors();
    for (int i = 0; i < STY_COUNT; i++)
        init_pair((short)(i + 1), looks[i].fg, looks[i].bg);
    if (COLOR_PAIRS >= VGA_PAIR0 + 8)
        setup_vga_colors();
    else
        T.vga_mono = true;
}

/* A VGA cell: its colours, intensity and blink as bold; without colours
 * (NO_COLOR, monochrome) a coloured background shows as reverse video. */
static void vga_look(unsigned attr, short *pair, attr_t *a)
{
    *a = VGA_BRIGHT(attr) || VGA_BLINK(attr) ? A_BOLD : A_NORMAL;
    *pair = 0;
    if (!T.color || T.vga_mono) {
        if (VGA_BG(attr))
            *a |= A_REVERSE;
        return;
    }
    if (T.vga_full)
        *pair = (short)(VGA_PAIR0 + VGA_FG(attr) * 8 + VGA_BG(attr));
    else
        *pair = (short)(VGA_PAIR0 + VGA_FG(attr));
}

/* ---- giving the terminal back ---- */

static void restore_now(void)
{
    if (!T.open)
        return;
    T.open = false;
    if (T.color)
        attrset(A_NORMAL);
    curs_set(1);
    mousemask(0, NULL);
    endwin();
}

static void on_fatal(int sig)
{
    restore_now();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_quit(int sig)
{
    term_quit_requested = sig;
    if (term_on_quit_signal)
        term_on_quit_signal();
}

static void install_signals(void)
{
    static const int fatal[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL };
    static const int quit[] = { SIGTERM, SIGINT, SIGHUP };
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        sigaction(fatal[i], &sa, NULL);
    sa.sa_handler = on_quit;
    sa.sa_flags = 0;
    for (size_t i = 0; i < sizeof(quit) / sizeof(quit[0]); i++)
        sigaction(quit[i], &sa, NULL);
}

static bool utf8_locale(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
}

int term_open(const struct term_opts *o, struct term_caps *caps)
{
    static bool atexit_done;
    const char *no_color = getenv("NO_COLOR");

    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return vms_seterr(VMS_ERR_IO, "the TUI needs a terminal (try `vmscope run`)");
    setlocale(LC_ALL, "");
    if (!initscr())
        return vms_seterr(VMS_ERR_IO, "cannot initialise the terminal (TERM=%s)",
                          getenv("TERM") ? getenv("TERM") : "");
    T.open = true;
    if (!atexit_done)
        atexit(term_close);
    atexit_done = true;
    install_signals();
    raw();                  /* ^C, ^Z, ^Q reach us as keys */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    T.color = has_colors() && !(no_color && *no_color);
    if (T.color)
        setup_colors();
    if (o->mouse)
        mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    caps->color = T.color;
    caps->unicode = !o->ascii && utf8_locale();
    T.full = true;
    return 0;
}

void term_close(void)
{
    restore_now();
    free(T.shown);
    T.shown = NULL;
    T.w = T.h = 0;
}

bool term_is_open(void)
{
    return T.open;
}

void term_size(int *w, int *h)
{
    *w = COLS;
    *h = LINES;
}

void term_invalidate(void)
{
    T.full = true;
}

/* ---- output ---- */

static void put_cell(int x, int y, const struct cell *c)
{
    const struct style_look *l = &looks[c->style < STY_COUNT ? c->style : 0];
    wchar_t wc[2] = { (wchar_t)c->ch, 0 };
    cchar_t cc;

    if (c->vga) {
        short pair;
        attr_t a;
        vga_look(c->vga & 0xFFu, &pair, &a);
        setcchar(&cc, wc, a, pair, NULL);
    } else if (T.color)
        setcchar(&cc, wc, l->color_attr, (short)(c->style + 1), NULL);
    else
        setcchar(&cc, wc, l->mono_attr, 0, NULL);
    mvadd_wch(y, x, &cc);
}

static int ensure_shadow(const struct screen *s)
{
    if (T.shown && T.w == s->w && T.h == s->h)
        return 0;
    free(T.shown);
    T.shown = calloc((size_t)s->w * (size_t)s->h, sizeof(*T.shown));
    if (!T.shown)
        return -VMS_ERR_NOMEM;
    T.w = s->w;
    T.h = s->h;
    T.full = true;
    return 0;
}

int term_flush(const struct screen *s)
{
    if (!T.open)
        return -VMS_ERR_IO;
    if (ensure_shadow(s) < 0)
        return -VMS_ERR_NOMEM;
    if (T.full)
        clearok(curscr, TRUE);
    for (int y = 0; y < s->h && y < LINES; y++) {
        for (int x = 0; x < s->w && x < COLS; x++) {
            size_t i = (size_t)y * (size_t)s->w + (size_t)x;
            if (!T.full && T.shown[i].ch == s->cells[i].ch
                && T.shown[i].style == s->cells[i].style
                && T.shown[i].vga == s->cells[i].vga)
                continue;
            /* The bottom-right cell would scroll some terminals. */
            if (y == LINES - 1 && x == COLS - 1)
                continue;
            put_cell(x, y, &s->cells[i]);
            T.shown[i] = s->cells[i];
        }
    }
    T.full = false;
    curs_set(s->cur_visible ? 1 : 0);
    if (s->cur_visible)
        move(s->cur_y, s->cur_x);
    refresh();
    return 0;
}

/* ---- input ---- */

static const struct {
    int curses, tk;
} keymap[] = {
    { KEY_UP, TK_UP }, { KEY_DOWN, TK_DOWN }, { KEY_LEFT, TK_LEFT },
    { KEY_RIGHT, TK_RIGHT }, { KEY_PPAGE, TK_PGUP }, { KEY_NPAGE, TK_PGDN },
    { KEY_HOME, TK_HOME }, { KEY_END, TK_END }, { KEY_BACKSPACE, TK_BACKSPACE },
    { KEY_DC, TK_DELETE }, { KEY_ENTER, TK_ENTER }, { KEY_BTAB, TK_BTAB },
    { KEY_IC, TK_INSERT }, { KEY_RESIZE, TK_RESIZE }, { KEY_MOUSE, TK_MOUSE },
};

static int mouse_event(struct tui_mouse *m)
{
    MEVENT me;

    if (getmouse(&me) != OK || !m)
        return -1;
    m->x = me.x;
    m->y = me.y;
    if (me.bstate & BUTTON4_PRESSED)
        m->what = MOUSE_WHEEL_UP;
    else if (me.bstate & BUTTON5_PRESSED)
        m->what = MOUSE_WHEEL_DOWN;
    else if (me.bstate & BUTTON1_PRESSED)
        m->what = MOUSE_CLICK;
    else
        return -1;
    return TK_MOUSE;
}

static int function_key(int code, struct tui_mouse *m)
{
    if (code >= KEY_F(1) && code <= KEY_F(24))
        return TK_F(code - KEY_F0);
    if (code == KEY_MOUSE)
        return mouse_event(m);
    for (size_t i = 0; i < sizeof(keymap) / sizeof(keymap[0]); i++)
        if (keymap[i].curses == code)
            return keymap[i].tk;
    return -1;
}

int term_getkey(int timeout_ms, struct tui_mouse *m)
{
    wint_t wc;

    if (!T.open)
        return -1;
    timeout(timeout_ms);
    int r = get_wch(&wc);
    if (r == ERR)
        return -1;
    if (r == KEY_CODE_YES)
        return function_key((int)wc, m);
    switch (wc) {
    case '\r': case '\n': return TK_ENTER;
    case '\t': return TK_TAB;
    case 0x1B: return TK_ESC;
    case 0x7F: case 0x08: return TK_BACKSPACE;
    default: return (int)wc;
    }
}
