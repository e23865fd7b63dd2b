/* keys.c - the one key table and what is generated from it. */
#include "tui/keys.h"

#include <stdio.h>
#include <string.h>

#include "machine/err.h"

/* Debugger habits: F5/F10/F11/F9 as in Visual Studio and most IDEs,
 * letters as in gdb (c, n, s, b, f).  Letters only act when the prompt
 * is not focused; ':' focuses the prompt. */
const struct keydef key_table[] = {
    { TK_F(5),       KW_ALWAYS, ACT_CONTINUE },
    { 'c',           KW_PANES,  ACT_CONTINUE },
    { TK_F(11),      KW_ALWAYS, ACT_STEP },
    { 's',           KW_PANES,  ACT_STEP },
    { TK_F(10),      KW_ALWAYS, ACT_NEXT },
    { 'n',           KW_PANES,  ACT_NEXT },
    { TK_F(12),      KW_ALWAYS, ACT_FINISH },
    { 'f',           KW_PANES,  ACT_FINISH },
    { TK_F(9),       KW_ALWAYS, ACT_BREAK },
    { 'b',           KW_PANES,  ACT_BREAK },
    { TK_F(8),       KW_ALWAYS, ACT_ANIMATE },
    { 'a',           KW_PANES,  ACT_ANIMATE },
    { '+',           KW_PANES,  ACT_FASTER },
    { '-',           KW_PANES,  ACT_SLOWER },
    { TK_TAB,        KW_PANES,  ACT_FOCUS_NEXT },
    { TK_BTAB,       KW_ALWAYS, ACT_FOCUS_PREV },
    { 'z',           KW_PANES,  ACT_ZOOM },
    { TK_F(7),       KW_ALWAYS, ACT_ZOOM },
    { TK_F(2),       KW_ALWAYS, ACT_LAYOUT_NEXT },
    { '1',           KW_PANES,  ACT_LAYOUT_1 },
    { '2',           KW_PANES,  ACT_LAYOUT_2 },
    { '3',           KW_PANES,  ACT_LAYOUT_3 },
    { '4',           KW_PANES,  ACT_LAYOUT_4 },
    { '5',           KW_PANES,  ACT_LAYOUT_5 },
    { TK_UP,         KW_PANES,  ACT_UP },
    { 'k',           KW_PANES,  ACT_UP },
    { TK_DOWN,       KW_PANES,  ACT_DOWN },
    { 'j',           KW_PANES,  ACT_DOWN },
    { TK_PGUP,       KW_ALWAYS, ACT_PAGE_UP },
    { TK_PGDN,       KW_ALWAYS, ACT_PAGE_DOWN },
    { TK_HOME,       KW_PANES,  ACT_TOP },
    { 'g',           KW_PANES,  ACT_TOP },
    { TK_END,        KW_PANES,  ACT_BOTTOM },
    { 'G',           KW_PANES,  ACT_BOTTOM },
    { 'e',           KW_PANES,  ACT_FILTER },
    { 'v',           KW_PANES,  ACT_VCPU_NEXT },
    { 'o',           KW_PANES,  ACT_CONSOLE_VIEW },
    { 'i',           KW_PANES,  ACT_TYPE },
    { TK_F(6),       KW_ALWAYS, ACT_TYPE },
    { ':',           KW_PANES,  ACT_PROMPT },
    { TK_ENTER,      KW_PANES,  ACT_PROMPT },
    { '?',           KW_PANES,  ACT_HELP },
    { TK_F(1),       KW_ALWAYS, ACT_HELP },
    { TK_CTRL('l'),  KW_ALWAYS, ACT_REDRAW },
    { 'q',           KW_PANES,  ACT_QUIT },
    { TK_CTRL('q'),  KW_ALWAYS, ACT_QUIT },
};
const size_t key_table_count = sizeof(key_table) / sizeof(key_table[0]);

static const char *const action_names[ACT_COUNT] = {
    [ACT_NONE] = "",
#define TUI_ACTION_NAME(name, cmd, help) [ACT_##name] = cmd,
    TUI_ACTIONS(TUI_ACTION_NAME)
#undef TUI_ACTION_NAME
};
static const char *const action_help[ACT_COUNT] = {
    [ACT_NONE] = "",
#define TUI_ACTION_HELP(name, cmd, help) [ACT_##name] = help,
    TUI_ACTIONS(TUI_ACTION_HELP)
#undef TUI_ACTION_HELP
};

enum tui_action keys_lookup(int key, bool at_prompt)
{
    for (size_t i = 0; i < key_table_count; i++) {
        const struct keydef *k = &key_table[i];
        if (k->key == key && (!at_prompt || k->where == KW_ALWAYS))
            return k->act;
    }
    return ACT_NONE;
}

const char *keys_action_name(enum tui_action a)
{
    return (unsigned)a < ACT_COUNT ? action_names[a] : "";
}

const char *keys_action_help(enum tui_action a)
{
    return (unsigned)a < ACT_COUNT ? action_help[a] : "";
}

/* Named keys: the help text and key scripts use the same names. */
static const struct {
    int key;
    const char *name;
} key_names[] = {
    { TK_UP, "Up" }, { TK_DOWN, "Down" }, { TK_LEFT, "Left" }, { TK_RIGHT, "Right" },
    { TK_PGUP, "PgUp" }, { TK_PGDN, "PgDn" }, { TK_HOME, "Home" }, { TK_END, "End" },
    { TK_BACKSPACE, "BS" }, { TK_DELETE, "Del" }, { TK_ENTER, "Enter" },
    { TK_ESC, "Esc" }, { TK_TAB, "Tab" }, { TK_BTAB, "S-Tab" }, { TK_INSERT, "Ins" },
    { TK_RESIZE, "Resize" }, { TK_MOUSE, "Mouse" }, { '<', "lt" }, { ' ', "Space" },
};

const char *keys_name(int key, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
        if (key_names[i].key == key && key != '<' && key != ' ')
            return snprintf(buf, len, "%s", key_names[i].name), buf;
    if (key > TK_F0 && key < TK_LAST)
        snprintf(buf, len, "F%d", key - TK_F0);
    else if (key > 0 && key < 0x20)
        snprintf(buf, len, "^%c", key + '@');
    else if (key == ' ')
        snprintf(buf, len, "Space");
    else if (key >= 0x20 && key < 0x7F)
        snprintf(buf, len, "%c", key);
    else
        snprintf(buf, len, "<%#x>", (unsigned)key);
    return buf;
}

const char *keys_for_action(enum tui_action a, char *buf, size_t len)
{
    size_t used = 0;
    char name[16];

    buf[0] = '\0';
    for (size_t i = 0; i < key_table_count && used < len; i++) {
        if (key_table[i].act != a)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                         keys_name(key_table[i].key, name, sizeof(name)));
        used += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

static int named_key(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
        if (strlen(key_names[i].name) == n && !strncmp(key_names[i].name, name, n))
            return key_names[i].key;
    if ((name[0] == 'F' || name[0] == 'f') && n >= 2 && n <= 3) {
        int f = 0;
        for (size_t i = 1; i < n; i++)
            f = f * 10 + (name[i] - '0');
        if (f >= 1 && f <= 24)
            return TK_F(f);
    }
    if (n == 3 && name[0] == 'C' && name[1] == '-')
        return TK_CTRL(name[2]);
    return -1;
}

/* The length of the UTF-8 sequence at @s and its code point. */
static int script_char(const char *s, int *ch)
{
    const unsigned char *u = (const unsigned char *)s;
    int n = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 1;

    *ch = n == 1 ? u[0] : u[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return *ch = '?', i;
        *ch = *ch << 6 | (u[i] & 0x3F);
    }
    return n;
}

int keys_script(const char *script, int *out, int max)
{
    int n = 0;

    for (const char *p = script; *p && n < max;) {
        if (*p != '<') {
            p += script_char(p, &out[n++]);
            continue;
        }
        const char *end = strchr(p, '>');
        int k = end ? named_key(p + 1, (size_t)(end - p - 1)) : -1;
        if (k < 0)
            return vms_seterr(VMS_ERR_SYNTAX, "key script: unknown key near '%.12s'", p);
        out[n++] = k;
        p = end + 1;
    }
    return n;
}

int keys_help_lines(char lines[][96], int max)
{
    int n = 0;
    char keys[64];

    for (int a = ACT_NONE + 1; a < ACT_COUNT && n < max; a++) {
        keys_for_action((enum tui_action)a, keys, sizeof(keys));
        if (!keys[0])
            continue;
        snprintf(lines[n++], 96, "%-14s %-11s %s", keys, action_names[a], action_help[a]);
    }
    return n;
}

int keys_markdown(char *buf, size_t len)
{
    size_t used = 0;
    char keys[64];
    int n = snprintf(buf, len, "| keys | action | what it does |\n| --- | --- | --- |\n");

    if (n < 0 || (size_t)n >= len)
        return -VMS_ERR_RANGE;
    used = (size_t)n;
    for (int a = ACT_NONE + 1; a < ACT_COUNT; a++) {
        keys_for_action((enum tui_action)a, keys, sizeof(keys));
        if (!keys[0])
            continue;
        n = snprintf(buf + used, len - used, "| %s | %s | %s |\n", keys, action_names[a],
                     action_help[a]);
        if (n < 0 || (size_t)n >= len - used)
            return -VMS_ERR_RANGE;
        used += (size_t)n;
    }
    return (int)used;
}
