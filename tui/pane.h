/* pane.h - what every pane is, and the registry of all of them.
 *
 * A pane renders one view of the session into a canvas.  Its ops table
 * says how: update() fetches the view model from the session after a stop
 * (the TUI calls it only when the session changed: t->gen moved), draw()
 * paints the model (every frame), key() takes the scrolling actions when
 * the pane has the focus.  The common state (scroll offset, selected line)
 * is in struct pane; a pane's own model lives in its module.  The list of
 * all panes is in tui.c (tui_pane_names()).
 */
#ifndef VMS_TUI_PANE_H
#define VMS_TUI_PANE_H

#include <stdbool.h>
#include <stdint.h>

#include "tui/keys.h"
#include "tui/screen.h"

struct tui;
struct pane;

struct pane_ops {
    const char *name;          /* as in layouts: "regs" */
    const char *title;         /* frame title: "Registers" */
    /* Allocate the pane's own state (may be NULL: none needed). */
    void *(*create)(void);
    void (*destroy)(void *state);
    /* Fetch the view model from the session (after a stop or command). */
    void (*update)(struct pane *p, struct tui *t);
    /* Paint into @c, the area inside the frame. */
    void (*draw)(struct pane *p, struct tui *t, struct canvas c);
    /* A key action while focused; true when used.  NULL: the generic
     * scrolling of pane_scroll_key(). */
    bool (*key)(struct pane *p, struct tui *t, enum tui_action a);
    /* Extra text for the frame title ("0x7c00", "filter: pio"); may be NULL. */
    void (*subtitle)(struct pane *p, struct tui *t, char *buf, size_t len);
};

struct pane {
    const struct pane_ops *ops;
    void *state;               /* the module's own (owned) */
    int scroll;                /* lines scrolled (meaning is the pane's) */
    int sel;                   /* selected line, -1: follow the current one */
    int rows;                  /* content rows at the last draw (page size) */
    uint64_t gen;              /* t->gen at the last update */
};

/* Scrolling for panes that show a list whose newest line is at the bottom
 * (scroll = lines up from the bottom) or a list from a start (top). */
bool pane_scroll_key(struct pane *p, enum tui_action a, int total);

/* Paint @text wrapped at word boundaries to the canvas width, starting
 * @skip wrapped lines down; lines starting with two blanks are not
 * wrapped.  Returns the number of wrapped lines the text needs. */
int pane_wrap(struct canvas c, int y, int skip, enum scr_style style, const char *text);

#endif
