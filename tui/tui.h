/* tui.h - the terminal UI's state, input handling and rendering.
 *
 * A struct tui is a client of one debugger session (debugger/session.h):
 * panes render the session's view models, commands go through
 * session_exec(), and nothing here reaches into machine/.  The TUI does
 * not own the terminal either: tui_render() draws into a cell grid
 * (tui/screen.h) that app.c flushes to curses and the golden-screen tests
 * dump as text.  Time comes from cfg.clock_ms so tests can fix it.
 *
 * Input: tui_key() takes one key at a time.  Letters are hot keys while
 * the panes have the focus and text while the prompt has it (':' or Enter
 * focuses the prompt, Esc leaves it); function keys work in both.  Lines
 * typed at the prompt are TUI commands (layout, zoom, focus, animate,
 * mem, walk, events, lesson, keys, quit; docs/TUI.md) or else commands of
 * the debugger language.
 */
#ifndef VMS_TUI_TUI_H
#define VMS_TUI_TUI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "debugger/session.h"
#include "machine/err.h"
#include "tui/layout.h"
#include "tui/lesson.h"
#include "tui/pane.h"
#include "tui/screen.h"
#include "tui/term.h"
#include "tui/textbuf.h"

#define TUI_MIN_W 80
#define TUI_MIN_H 24
#define TUI_PANES 16
#define TUI_MAX_VMS 64
#define TUI_ANIMATE_DEFAULT 4      /* steps per second */

struct tui_config {
    struct session *session;       /* required; not owned */
    struct textbuf *console;       /* guest serial output; not owned; may be NULL */
    const char *lesson;            /* lesson file; NULL: none */
    const char *layout;            /* first layout; NULL: lesson or cpu */
    int w, h;                      /* screen size */
    bool unicode;                  /* box drawing (else ASCII) */
    bool color;                    /* shown in the status bar only */
    /* Milliseconds from any origin; NULL: CLOCK_MONOTONIC.  Tests fix it. */
    uint64_t (*clock_ms)(void *opaque);
    void *clock_opaque;
    FILE *transcript;              /* commands, output, answers; not owned */
    const char *history;           /* prompt history file; NULL: in memory */
    uint64_t slice_insns;          /* instructions per continuous-run slice */
    unsigned input;                /* typed keys: SESSION_INPUT_* bits; 0: auto */
};

/* What the console pane shows (the `console` command, key o). */
enum tui_console_view {
    CONSOLE_AUTO,                  /* VGA once the guest wrote to it, else COM1 */
    CONSOLE_VGA,
    CONSOLE_SERIAL,
};

enum tui_run {
    RUN_STOPPED,
    RUN_CONTINUE,                  /* slices until a stop or a key */
    RUN_ANIMATE,                   /* one step every 1000/rate ms */
};

struct tui {
    struct tui_config cfg;
    struct session *s;
    struct screen *scr;
    struct pane pane[TUI_PANES];   /* one per pane_registry entry */
    struct layout layout;
    int layout_index;              /* in layout_builtin, -1 typed by the user */
    struct lay_slot slot[TUI_PANES];
    int nslots;
    int focus;                     /* index into slot[] */
    bool zoom;
    bool help;                     /* the help overlay is open */
    int help_scroll;
    bool at_prompt;
    bool quit;
    bool confirm_quit;             /* "quit? y/n" is asked */
    enum tui_run run;
    unsigned rate;                 /* animate: steps per second */
    uint64_t next_step_ms;
    uint64_t last_draw_ms;
    uint64_t gen;                  /* bumped whenever the session may have changed */
    struct textbuf log;            /* commands and their output */
    struct textbuf *console;
    char status[200];              /* the last stop or message, one line */
    bool status_error;
    /* lesson */
    struct lesson lesson;
    struct lesson_progress lp;
    bool has_lesson;
    int lesson_bp;                 /* breakpoint armed for the pending step */
    uint64_t lesson_addr;          /* its address (LW_BREAK) */
    char lesson_err[160];          /* why the pending step could not be armed */
    /* what some panes show */
    uint64_t mem_addr;             /* memory pane: linear (or physical) */
    bool mem_phys, mem_set;
    uint64_t walk_addr;            /* page walk pane; !walk_set: RIP */
    bool walk_set;
    struct dbg_evfilter evfilter;  /* events pane */
    char evfilter_text[64];
    int evpreset;
    char device[32];               /* devices pane: the one shown in detail */
    /* console pane and typing to the guest */
    enum tui_console_view console_view;
    bool typing;                   /* keys go to the guest (Esc ends) */
    unsigned input;                /* SESSION_INPUT_* bits; 0: auto (see below) */
    uint8_t typed[256];            /* typed, not yet taken by the guest */
    size_t ntyped;
};

int tui_create(struct tui **out, const struct tui_config *cfg) VMS_MUST_CHECK;
void tui_destroy(struct tui *t);

/* One key (tui/keys.h codes; @m for TK_MOUSE, else NULL). */
void tui_key(struct tui *t, int key, const struct tui_mouse *m);
/* Feed a key script (keys_script() syntax).  -VMS_ERR_SYNTAX if bad. */
int tui_keys(struct tui *t, const char *script) VMS_MUST_CHECK;
/* Run one command line as if typed at the prompt. */
void tui_command(struct tui *t, const char *line);
/* The terminal changed size. */
void tui_resize(struct tui *t, int w, int h);

/* Do the running work that is due (a slice of a continuous run, an
 * animation step).  Returns how long the caller may sleep waiting for a
 * key: 0 when running, else ms to the next animation step, -1 forever. */
int tui_tick(struct tui *t);

/* Draw everything into t->scr. */
void tui_render(struct tui *t);

uint64_t tui_now(const struct tui *t);
/* Put a message in the status line (and the log). */
void tui_message(struct tui *t, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The session changed (a stop, a command): views update at the next render. */
void tui_touch(struct tui *t);

/* Select layout @name (a built-in name, or a spec in the split language). */
int tui_set_layout(struct tui *t, const char *name_or_spec) VMS_MUST_CHECK;
/* The pane with the focus (NULL when the layout is empty). */
struct pane *tui_focused(struct tui *t);
struct pane *tui_pane(struct tui *t, const char *name);
/* The console pane shows the current VM's VGA screen (else the serial log). */
bool tui_console_vga(struct tui *t);
/* Where typed keys go now: t->input, or in auto mode the keyboard when
 * the console shows the VGA screen and COM1 when it shows the serial log. */
unsigned tui_input_where(struct tui *t);

/* The names of every pane, blank-separated, into @buf. */
const char *tui_pane_names(char *buf, size_t len);

#endif
