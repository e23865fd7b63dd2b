/* prompt.c - readline in callback mode with the display done by us. */
#include "tui/prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "tui/keys.h"

#define PROMPT_QUEUE 16

static struct {
    bool ready;                 /* handler installed */
    char label[48];
    char line[1024];            /* copy of rl_line_buffer at redisplay */
    int point;
    char done[1024];            /* the last accepted line */
    bool have_done;
    bool dirty;
    char hint[512];
    unsigned char q[PROMPT_QUEUE];  /* bytes for rl_getc */
    unsigned qhead, qlen;
    FILE *devnull;              /* readline's output goes nowhere */
    FILE *nokeys;               /* its input: an empty pipe (never readable) */
    int nokeys_w;               /* the pipe's write end, kept open */
    char *history_file;
    prompt_complete_fn complete;
    void *complete_opaque;
} P;

/* ---- readline hooks ---- */

static int rl_getc_hook(FILE *f)
{
    (void)f;
    if (P.qlen == 0)
        return EOF;             /* never reached: we only call with bytes queued */
    int c = P.q[P.qhead];
    P.qhead = (P.qhead + 1) % PROMPT_QUEUE;
    P.qlen--;
    return c;
}

static void rl_redisplay_hook(void)
{
    snprintf(P.line, sizeof(P.line), "%s", rl_line_buffer ? rl_line_buffer : "");
    P.point = rl_point < (int)sizeof(P.line) ? rl_point : (int)sizeof(P.line) - 1;
    P.dirty = true;
}

/* readline asks whether more input is waiting (to gather type-ahead):
 * only what we queued. */
static int rl_available_hook(void)
{
    return P.qlen > 0;
}

static void rl_noprep(int meta)
{
    (void)meta;
}

static void rl_nodeprep(void)
{
}

static void on_line(char *line)
{
    if (line) {
        snprintf(P.done, sizeof(P.done), "%s", line);
        P.have_done = true;
        if (*line)
            add_history(line);
        free(line);
    }
    P.hint[0] = '\0';
    P.dirty = true;
}

/* Completion: readline asks the generator for candidates one by one. */
static char *complete_gen(const char *text, int state)
{
    static unsigned i;
    char upto[1024];

    (void)text;
    if (!P.complete)
        return NULL;
    if (state == 0)
        i = 0;
    snprintf(upto, sizeof(upto), "%.*s", rl_point, rl_line_buffer);
    const char *c = P.complete(P.complete_opaque, upto, i++);
    return c ? strdup(c) : NULL;
}

static char **complete_hook(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;    /* no file-name fallback */
    return rl_completion_matches(text, complete_gen);
}

/* Several matches: show them on the hint line instead of printing. */
static void show_matches(char **matches, int n, int maxlen)
{
    size_t used = 0;

    (void)maxlen;
    P.hint[0] = '\0';
    for (int i = 1; i <= n && used < sizeof(P.hint) - 1; i++) {
        int k = snprintf(P.hint + used, sizeof(P.hint) - used, "%s%s", i > 1 ? " " : "",
                         matches[i]);
        used += k > 0 ? (size_t)k : 0;
    }
    P.dirty = true;
}

int prompt_init(const char *history_file)
{
    if (P.ready)
        return 0;
    int fds[2];

    /* readline must never see a readable input stream: /dev/null would
     * read as end-of-file, which readline takes as Enter. */
    if (pipe(fds) < 0)
        return vms_seterr(VMS_ERR_IO, "cannot create a pipe");
    P.devnull = fopen("/dev/null", "w+");
    P.nokeys = fdopen(fds[0], "r");
    P.nokeys_w = fds[1];
    if (!P.devnull || !P.nokeys) {
        if (P.devnull)
            fclose(P.devnull);
        if (P.nokeys)
            fclose(P.nokeys);
        else
            close(fds[0]);
        close(fds[1]);
        return vms_seterr(VMS_ERR_IO, "cannot open /dev/null");
    }
    rl_instream = P.nokeys;
    rl_outstream = P.devnull;
    rl_input_available_hook = rl_available_hook;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_getc_function = rl_getc_hook;
    rl_redisplay_function = rl_redisplay_hook;
    rl_prep_term_function = rl_noprep;
    rl_deprep_term_function = rl_nodeprep;
    rl_attempted_completion_function = complete_hook;
    rl_completion_display_matches_hook = show_matches;
    rl_readline_name = "vmscope";
    using_history();
    if (history_file) {
        P.history_file = strdup(history_file);
        read_history(history_file);
    }
    if (!P.label[0])
        snprintf(P.label, sizeof(P.label), "(vmscope) ");
    rl_callback_handler_install("", on_line);
    P.ready = true;
    return 0;
}

void prompt_fini(void)
{
    if (!P.ready)
        return;
    rl_callback_handler_remove();
    if (P.history_file) {
        stifle_history(1000);
        write_history(P.history_file);
        free(P.history_file);
        P.history_file = NULL;
    }
    fclose(P.devnull);
    fclose(P.nokeys);
    close(P.nokeys_w);
    P.devnull = P.nokeys = NULL;
    P.ready = false;
}

void prompt_set_label(const char *label)
{
    snprintf(P.label, sizeof(P.label), "%s", label);
    P.dirty = true;
}

const char *prompt_label(void)
{
    return P.label;
}

void prompt_set_completer(prompt_complete_fn fn, void *opaque)
{
    P.complete = fn;
    P.complete_opaque = opaque;
}

/* ---- feeding keys ---- */

/* Keys readline knows by their emacs-mode control characters. */
static const struct {
    int key;
    char ch;
} edit_keys[] = {
    { TK_LEFT, 0x02 }, { TK_RIGHT, 0x06 }, { TK_UP, 0x10 }, { TK_DOWN, 0x0E },
    { TK_HOME, 0x01 }, { TK_END, 0x05 }, { TK_BACKSPACE, 0x7F },
    { TK_ENTER, '\r' }, { TK_TAB, '\t' }, { TK_DELETE, 0x04 },
};

static int key_bytes(int key, unsigned char *out)
{
    for (size_t i = 0; i < sizeof(edit_keys) / sizeof(edit_keys[0]); i++)
        if (edit_keys[i].key == key)
            return out[0] = (unsigned char)edit_keys[i].ch, 1;
    if (key < 0 || key >= TK_BASE || key == 0x1B)
        return 0;
    if (key < 0x80)
        return out[0] = (unsigned char)key, 1;
    if (key < 0x800) {
        out[0] = (unsigned char)(0xC0 | key >> 6);
        out[1] = (unsigned char)(0x80 | (key & 0x3F));
        return 2;
    }
    if (key < 0x10000) {
        out[0] = (unsigned char)(0xE0 | key >> 12);
        out[1] = (unsigned char)(0x80 | (key >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (key & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | key >> 18);
    out[1] = (unsigned char)(0x80 | (key >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (key >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (key & 0x3F));
    return 4;
}

bool prompt_key(int key)
{
    unsigned char b[4];
    int n = key_bytes(key, b);

    if (!P.ready || n == 0)
        return false;
    /* ^D on an empty line would be end-of-file: nothing to delete. */
    if (b[0] == 0x04 && n == 1 && P.line[P.point] == '\0')
        return true;
    if (b[0] != '\t')
        P.hint[0] = '\0';
    for (int i = 0; i < n; i++) {
        P.q[(P.qhead + P.qlen) % PROMPT_QUEUE] = b[i];
        P.qlen++;
    }
    while (P.qlen > 0)
        rl_callback_read_char();
    return true;
}

bool prompt_take_line(char *buf, size_t len)
{
    if (!P.have_done)
        return false;
    snprintf(buf, len, "%s", P.done);
    P.have_done = false;
    return true;
}

void prompt_set_text(const char *text)
{
    if (!P.ready)
        return;
    rl_replace_line(text, 0);
    rl_point = rl_end;
    rl_redisplay_hook();
}

void prompt_clear(void)
{
    prompt_set_text("");
    P.hint[0] = '\0';
}

const char *prompt_text(void)
{
    return P.line;
}

int prompt_point(void)
{
    return P.point;
}

const char *prompt_hint(void)
{
    return P.hint;
}

bool prompt_dirty(void)
{
    return P.dirty;
}

/* The column of byte offset @point (one column per code point). */
static int column_of(const char *s, int point)
{
    int col = 0;

    for (int i = 0; i < point && s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/* The byte offset of column @col. */
static int offset_of(const char *s, int col)
{
    int i = 0;

    for (int c = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && c++ == col)
            return i;
    }
    return i;
}

void prompt_draw(struct canvas c, bool focused)
{
    int lw = cv_text(c, 0, 0, -1, focused ? STY_PROMPT : STY_DIM, P.label);
    int room = c.r.w - lw - 1, col = column_of(P.line, P.point), first = 0;

    if (room < 1)
        return;
    if (col >= room)
        first = col - room + 1;
    cv_text(c, lw, 0, room, STY_NORMAL, P.line + offset_of(P.line, first));
    if (focused)
        cv_cursor(c, lw + col - first, 0);
    P.dirty = false;
}
