/* layout.h - named pane layouts described by a small split language.
 *
 * A layout is a tree of splits written as text, so the built-in layouts
 * are one readable table and a user can type a new one (`layout SPEC`):
 *
 *   node  := NAME [size] | '|' '(' node {',' node} ')' [size]
 *                        | '-' '(' node {',' node} ')' [size]
 *   size  := ':' WEIGHT      share of what is left (default 1)
 *          | '=' CELLS       a fixed number of columns or rows
 *
 * '|' puts its children side by side (columns), '-' stacks them (rows).
 * Example: "|(-(regs=14,stack),disasm:2)" is the registers above the stack
 * in one column and the disassembly in a column twice as wide.  NAME is a
 * pane name (tui/pane.h); layout.c does not know which names exist.
 */
#ifndef VMS_TUI_LAYOUT_H
#define VMS_TUI_LAYOUT_H

#include <stdbool.h>

#include "machine/err.h"
#include "tui/screen.h"

#define LAYOUT_MAX_NODES 24
#define LAYOUT_NAME_MAX 16

enum lay_kind {
    LAY_LEAF,
    LAY_COLS,      /* '|': children side by side */
    LAY_ROWS,      /* '-': children stacked */
};

struct lay_node {
    enum lay_kind kind;
    char name[LAYOUT_NAME_MAX];   /* leaf: the pane name */
    int weight;                   /* share of the free space (>= 1) */
    int fixed;                    /* > 0: fixed cells instead of a weight */
    int child, next;              /* first child, next sibling; -1 none */
};

struct layout {
    char name[LAYOUT_NAME_MAX];
    struct lay_node node[LAYOUT_MAX_NODES];
    int count;                    /* node[0] is the root */
};

/* One pane's place on the screen after layout_compute(). */
struct lay_slot {
    const char *name;             /* points into the layout */
    struct rect r;
};

/* Parse @spec into @l.  -VMS_ERR_SYNTAX with a one-line detail (which
 * character, what was expected) on bad input; @l is then empty. */
int layout_parse(struct layout *l, const char *name, const char *spec) VMS_MUST_CHECK;

/* Place the leaves in @area, in spec order (the focus order).  Fixed
 * sizes are honoured while they fit and shrink in proportion when not;
 * the rest is shared by weight.  Returns the number of slots written (at
 * most @max). */
int layout_compute(const struct layout *l, struct rect area,
                   struct lay_slot *out, int max);

/* The leaf names in order; returns how many (at most @max). */
int layout_leaves(const struct layout *l, const char **names, int max);

/* The built-in layouts: name, a one-line description and the spec. */
struct layout_def {
    const char *name;
    const char *what;
    const char *spec;
};
extern const struct layout_def layout_builtin[];
extern const unsigned layout_builtin_count;

/* The built-in layout called @name, or NULL. */
const struct layout_def *layout_find_builtin(const char *name);

#endif
