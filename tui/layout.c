/* layout.c - the split language: a recursive-descent parser and the
 * space-sharing pass. */
#include "tui/layout.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The built-in layouts.  Each is shown with the key that selects it
 * (tui/keys.c) and listed by `layout` and the help overlay. */
const struct layout_def layout_builtin[] = {
    { "lesson", "the lesson beside the code and registers",
      "|(-(lesson:3,console:2):4,-(disasm:3,regs:2,log=4):5)" },
    { "cpu", "registers, code, stack and console",
      "|(-(regs:3,stack:2):4,-(disasm:3,|(console,log)):5)" },
    { "memory", "memory dump, stack and the page walk",
      "|(-(memory:3,stack:2),-(pagewalk:3,log:1))" },
    { "devices", "device state, the event stream and the console",
      "|(-(devices:3,console:2),-(events:3,log:1))" },
    { "hypervisor", "VMs, vCPUs, the pCPU timeline and events",
      "-(vms:3,|(events,console):2,log=4)" },
};
const unsigned layout_builtin_count = sizeof(layout_builtin) / sizeof(layout_builtin[0]);

const struct layout_def *layout_find_builtin(const char *name)
{
    for (unsigned i = 0; i < layout_builtin_count; i++)
        if (!strcmp(layout_builtin[i].name, name))
            return &layout_builtin[i];
    return NULL;
}

/* ---- parser ---- */

struct lay_parser {
    struct layout *l;
    const char *spec, *p;
};

static int lp_error(struct lay_parser *ps, const char *what)
{
    return vms_seterr(VMS_ERR_SYNTAX, "layout: %s at column %d of '%s'", what,
                      (int)(ps->p - ps->spec) + 1, ps->spec);
}

static void lp_skip(struct lay_parser *ps)
{
    while (*ps->p == ' ')
        ps->p++;
}

static int lp_number(struct lay_parser *ps, int *out)
{
    long v = 0;

    if (!isdigit((unsigned char)*ps->p))
        return lp_error(ps, "expected a number");
    while (isdigit((unsigned char)*ps->p) && v <= 1000)
        v = v * 10 + (*ps->p++ - '0');
    if (v < 1 || v > 1000)
        return lp_error(ps, "size out of range (1-1000)");
    *out = (int)v;
    return 0;
}

static int lp_size(struct lay_parser *ps, struct lay_node *n)
{
    lp_skip(ps);
    n->weight = 1;
    n->fixed = 0;
    if (*ps->p == ':') {
        ps->p++;
        return lp_number(ps, &n->weight);
    }
    if (*ps->p == '=') {
        ps->p++;
        return lp_number(ps, &n->fixed);
    }
    return 0;
}

static int lp_node(struct lay_parser *ps, int depth);

static int lp_new(struct lay_parser *ps, enum lay_kind kind)
{
    if (ps->l->count >= LAYOUT_MAX_NODES)
        return lp_error(ps, "too many panes and splits");
    int i = ps->l->count++;
    ps->l->node[i] = (struct lay_node){ .kind = kind, .weight = 1, .child = -1, .next = -1 };
    return i;
}

static int lp_leaf(struct lay_parser *ps)
{
    size_t n = 0;
    int i = lp_new(ps, LAY_LEAF);

    if (i < 0)
        return i;
    while (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_')
        n++;
    if (n == 0)
        return lp_error(ps, "expected a pane name, '|(' or '-('");
    if (n >= LAYOUT_NAME_MAX)
        return lp_error(ps, "pane name too long");
    memcpy(ps->l->node[i].name, ps->p, n);
    ps->p += n;
    return i;
}

static int lp_split(struct lay_parser *ps, int depth)
{
    int i = lp_new(ps, *ps->p == '|' ? LAY_COLS : LAY_ROWS), last = -1;

    if (i < 0)
        return i;
    ps->p++;
    lp_skip(ps);
    if (*ps->p++ != '(')
        return ps->p--, lp_error(ps, "expected '('");
    for (;;) {
        int c = lp_node(ps, depth + 1);
        if (c < 0)
            return c;
        if (last < 0)
            ps->l->node[i].child = c;
        else
            ps->l->node[last].next = c;
        last = c;
        lp_skip(ps);
        if (*ps->p == ')')
            break;
        if (*ps->p != ',')
            return lp_error(ps, "expected ',' or ')'");
        ps->p++;
    }
    ps->p++;
    return i;
}

static int lp_node(struct lay_parser *ps, int depth)
{
    int i;

    if (depth > 8)
        return lp_error(ps, "nested too deeply");
    lp_skip(ps);
    i = (*ps->p == '|' || *ps->p == '-') ? lp_split(ps, depth) : lp_leaf(ps);
    if (i < 0)
        return i;
    int r = lp_size(ps, &ps->l->node[i]);
    return r < 0 ? r : i;
}

int layout_parse(struct layout *l, const char *name, const char *spec)
{
    struct lay_parser ps = { .l = l, .spec = spec, .p = spec };

    memset(l, 0, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "%s", name);
    int r = lp_node(&ps, 0);
    lp_skip(&ps);
    if (r >= 0 && *ps.p)
        r = lp_error(&ps, "unexpected text");
    if (r < 0)
        l->count = 0;
    return r < 0 ? r : 0;
}

/* ---- sharing space ---- */

/* Split @total cells among the children of @n: fixed sizes first (scaled
 * down in proportion when they do not fit), the rest by weight; what
 * rounding leaves goes to the last weighted child (or the last child) so
 * the sizes add up exactly. */
static void share(const struct layout *l, int n, int total, int *sizes, int count)
{
    int fixed = 0, weights = 0, left = total, last = count - 1, i = 0;

    for (int c = l->node[n].child; c >= 0; c = l->node[c].next) {
        fixed += l->node[c].fixed;
        weights += l->node[c].fixed ? 0 : l->node[c].weight;
    }
    int room = fixed < total ? fixed : total;
    for (int c = l->node[n].child; c >= 0 && i < count; c = l->node[c].next, i++) {
        const struct lay_node *k = &l->node[c];
        sizes[i] = k->fixed ? (int)((long)k->fixed * room / fixed) : 0;
        left -= sizes[i];
        if (!k->fixed)
            last = i;
    }
    int pool = left;
    i = 0;
    for (int c = l->node[n].child; c >= 0 && i < count; c = l->node[c].next, i++) {
        if (!l->node[c].fixed && weights) {
            sizes[i] = (int)((long)l->node[c].weight * pool / weights);
            left -= sizes[i];
        }
    }
    if (left > 0 && count > 0)
        sizes[last] += left;
}

static int place(const struct layout *l, int n, struct rect area,
                 struct lay_slot *out, int max, int used)
{
    const struct lay_node *node = &l->node[n];
    int sizes[LAYOUT_MAX_NODES], count = 0, i = 0, pos;

    if (node->kind == LAY_LEAF) {
        if (used < max)
            out[used++] = (struct lay_slot){ .name = node->name, .r = area };
        return used;
    }
    for (int c = node->child; c >= 0; c = l->node[c].next)
        count++;
    share(l, n, node->kind == LAY_COLS ? area.w : area.h, sizes, count);
    pos = node->kind == LAY_COLS ? area.x : area.y;
    for (int c = node->child; c >= 0; c = l->node[c].next, i++) {
        struct rect r = area;
        if (node->kind == LAY_COLS) {
            r.x = pos;
            r.w = sizes[i];
        } else {
            r.y = pos;
            r.h = sizes[i];
        }
        pos += sizes[i];
        used = place(l, c, r, out, max, used);
    }
    return used;
}

int layout_compute(const struct layout *l, struct rect area,
                   struct lay_slot *out, int max)
{
    if (l->count == 0)
        return 0;
    return place(l, 0, area, out, max, 0);
}

int layout_leaves(const struct layout *l, const char **names, int max)
{
    int n = 0;

    for (int i = 0; i < l->count && n < max; i++)
        if (l->node[i].kind == LAY_LEAF)
            names[n++] = l->node[i].name;
    return n;
}
