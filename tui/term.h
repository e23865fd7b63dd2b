/* term.h - the real terminal: curses set-up, flushing a screen, keys.
 *
 * The only module that includes curses.  It owns the terminal while open
 * and gives it back on every way out: term_close() is registered with
 * atexit(), fatal signals (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL)
 * restore the terminal and re-raise, and SIGTERM/SIGINT/SIGHUP only set
 * term_quit_requested (the main loop then closes normally; see tui.c).
 */
#ifndef VMS_TUI_TERM_H
#define VMS_TUI_TERM_H

#include <signal.h>
#include <stdbool.h>

#include "machine/err.h"
#include "tui/screen.h"

struct tui_mouse {
    int x, y;
    enum { MOUSE_CLICK, MOUSE_WHEEL_UP, MOUSE_WHEEL_DOWN } what;
};

struct term_opts {
    bool mouse;          /* report clicks and the wheel */
    bool ascii;          /* force ASCII box drawing */
};

/* What term_open() found out about the terminal. */
struct term_caps {
    bool color;          /* colours in use (terminal has them, NO_COLOR unset) */
    bool unicode;        /* UTF-8 locale and not forced to ASCII */
};

/* Set to the signal's number by SIGTERM, SIGINT or SIGHUP: the main
 * loop should quit. */
extern volatile sig_atomic_t term_quit_requested;
/* Called from those signal handlers too (async-signal-safe), e.g. to
 * interrupt a running guest.  NULL: nothing. */
extern void (*term_on_quit_signal)(void);

/* Take over the terminal (initscr, raw input, keypad, colours).  Fails
 * with -VMS_ERR_IO when stdin/stdout is not a terminal. */
int term_open(const struct term_opts *o, struct term_caps *caps) VMS_MUST_CHECK;
/* Give the terminal back (idempotent; safe from atexit). */
void term_close(void);
bool term_is_open(void);

/* The terminal's current size. */
void term_size(int *w, int *h);

/* Show @s: only cells that changed since the last flush are sent, unless
 * term_invalidate() was called (resize, Ctrl-L). */
int term_flush(const struct screen *s) VMS_MUST_CHECK;
void term_invalidate(void);

/* Wait at most @timeout_ms (0: poll, < 0: forever) for a key.  Returns a
 * key (tui/keys.h: code point or TK_*), TK_MOUSE with *m filled, or -1
 * when none came. */
int term_getkey(int timeout_ms, struct tui_mouse *m);

#endif
