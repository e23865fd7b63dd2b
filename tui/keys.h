/* keys.h - the key map: ONE table from keys to actions.
 *
 * The same table drives key dispatch, the `?` help overlay and the key
 * reference in docs/TUI.md (keys_markdown(), `vmscope --help-keys`), so
 * they cannot disagree.  Keys are Unicode
 * code points, or TK_* codes for keys that have no character; term.c
 * translates curses' KEY_* codes into these, so nothing but term.c
 * includes curses.
 */
#ifndef VMS_TUI_KEYS_H
#define VMS_TUI_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* Keys without a character sit above the Unicode range. */
#define TK_BASE 0x200000
#define TK_CTRL(c) ((c) & 0x1F)
#define TK_F(n) (TK_F0 + (n))

enum tui_key {
    TK_NONE = TK_BASE,
    TK_UP, TK_DOWN, TK_LEFT, TK_RIGHT, TK_PGUP, TK_PGDN, TK_HOME, TK_END,
    TK_BACKSPACE, TK_DELETE, TK_ENTER, TK_ESC, TK_TAB, TK_BTAB, TK_INSERT,
    TK_RESIZE,       /* the terminal changed size */
    TK_MOUSE,        /* a mouse event (struct tui_mouse alongside) */
    TK_F0,           /* TK_F(1) .. TK_F(12) follow */
    TK_LAST = TK_F0 + 24
};

/* Every action a key can trigger: name, help text. */
#define TUI_ACTIONS(X)                                                         \
    X(CONTINUE,   "continue",   "run until a breakpoint (any key stops)")      \
    X(STEP,       "step",       "one instruction, into calls and interrupts")  \
    X(NEXT,       "next",       "one instruction, over calls, int, rep, loop") \
    X(FINISH,     "finish",     "run until the current function returns")      \
    X(BREAK,      "break",      "toggle a breakpoint at the selected line")    \
    X(ANIMATE,    "animate",    "step N times a second, redrawing each")       \
    X(FASTER,     "faster",     "animate faster")                              \
    X(SLOWER,     "slower",     "animate slower")                              \
    X(FOCUS_NEXT, "focus next", "focus the next pane")                         \
    X(FOCUS_PREV, "focus prev", "focus the previous pane")                     \
    X(ZOOM,       "zoom",       "zoom the focused pane / back")                \
    X(LAYOUT_NEXT, "layout",    "next layout")                                 \
    X(LAYOUT_1,   "layout 1",   "layout lesson")                               \
    X(LAYOUT_2,   "layout 2",   "layout cpu")                                  \
    X(LAYOUT_3,   "layout 3",   "layout memory")                               \
    X(LAYOUT_4,   "layout 4",   "layout devices")                              \
    X(LAYOUT_5,   "layout 5",   "layout hypervisor")                           \
    X(UP,         "up",         "scroll up / select the line above")           \
    X(DOWN,       "down",       "scroll down / select the line below")         \
    X(PAGE_UP,    "page up",    "scroll a page up")                            \
    X(PAGE_DOWN,  "page down",  "scroll a page down")                          \
    X(TOP,        "top",        "back to the start (the current line)")        \
    X(BOTTOM,     "bottom",     "to the end (the newest line)")                \
    X(FILTER,     "filter",     "cycle the focused pane's filter (events)")    \
    X(VCPU_NEXT,  "vcpu",       "show the next vCPU (next VM after its last)") \
    X(CONSOLE_VIEW, "console",  "console pane: the VGA screen / the serial log") \
    X(TYPE,       "type",       "type to the guest (Esc ends; docs/TUI.md)")   \
    X(PROMPT,     "prompt",     "type a command (Esc leaves the prompt)")      \
    X(HELP,       "help",       "this help (Down/PgDn scroll, other keys close)") \
    X(REDRAW,     "redraw",     "redraw the whole terminal")                   \
    X(QUIT,       "quit",       "quit (asks when VMs are running)")

enum tui_action {
    ACT_NONE,
#define TUI_ACTION_ENUM(name, cmd, help) ACT_##name,
    TUI_ACTIONS(TUI_ACTION_ENUM)
#undef TUI_ACTION_ENUM
    ACT_COUNT
};

/* Where a binding applies. */
enum key_where {
    KW_ALWAYS,     /* also while typing at the prompt (function keys) */
    KW_PANES,      /* only when the prompt is not focused (letters) */
};

struct keydef {
    int key;
    enum key_where where;
    enum tui_action act;
};

extern const struct keydef key_table[];
extern const size_t key_table_count;

/* The action bound to @key, ACT_NONE if none.  @at_prompt: the prompt has
 * the focus (letters then belong to the prompt). */
enum tui_action keys_lookup(int key, bool at_prompt);

const char *keys_action_name(enum tui_action a);
const char *keys_action_help(enum tui_action a);

/* A key's name as the help shows it: "F5", "c", "Tab", "^L", "PgUp". */
const char *keys_name(int key, char *buf, size_t len);
/* Every key bound to @a, comma-separated, into @buf. */
const char *keys_for_action(enum tui_action a, char *buf, size_t len);

/* Parse a key script: plain characters stand for themselves, <Name>
 * for a named key (<F5>, <Enter>, <Esc>, <Tab>, <Up>, <C-l>, <lt> for
 * '<').  Writes at most @max keys to @out; returns the count or
 * -VMS_ERR_SYNTAX for an unknown <name>. */
int keys_script(const char *script, int *out, int max);

/* The help lines: "  F5, c        continue    run until ..." one per
 * action, in table order; returns the number of lines, each written
 * into lines[i] (at most @max lines of @len bytes). */
int keys_help_lines(char lines[][96], int max);

/* The key reference as a Markdown table (docs/TUI.md holds exactly this;
 * test_tui_screen checks).  Returns the length, or -VMS_ERR_RANGE when
 * @len is too small. */
int keys_markdown(char *buf, size_t len);

#endif
