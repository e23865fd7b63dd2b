/* lesson.c - the lesson file parser and a student's progress. */
#include "tui/lesson.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const when_names[] = {
    [LW_START] = "start", [LW_BREAK] = "break", [LW_EVENT] = "event",
    [LW_EXIT] = "exit", [LW_MANUAL] = "manual",
};

const char *lesson_when_name(enum lesson_when w)
{
    return (unsigned)w < sizeof(when_names) / sizeof(when_names[0]) ? when_names[w] : "?";
}

void lesson_fini(struct lesson *l)
{
    if (!l)
        return;
    for (unsigned i = 0; i < l->nsteps; i++) {
        free(l->step[i].text);
        free(l->step[i].question);
        free(l->step[i].reveal);
    }
    free(l->step);
    memset(l, 0, sizeof(*l));
}

/* ---- parsing ---- */

struct lparse {
    struct lesson *l;
    const char *name;
    unsigned lineno;
    char **section;            /* where text lines go: text or reveal */
};

static int lp_err(struct lparse *p, const char *what)
{
    return vms_seterr(VMS_ERR_SYNTAX, "%s:%u: %s", p->name, p->lineno, what);
}

/* Append @line and a newline to the growing string *@dst. */
static int append_line(char **dst, const char *line, size_t n)
{
    size_t old = *dst ? strlen(*dst) : 0;
    char *s = realloc(*dst, old + n + 2);

    if (!s)
        return -VMS_ERR_NOMEM;
    memcpy(s + old, line, n);
    s[old + n] = '\n';
    s[old + n + 1] = '\0';
    *dst = s;
    return 0;
}

static int new_step(struct lparse *p, const char *title)
{
    struct lesson *l = p->l;
    struct lesson_step *v = realloc(l->step, (l->nsteps + 1) * sizeof(*v));

    if (!v)
        return -VMS_ERR_NOMEM;
    l->step = v;
    struct lesson_step *st = &l->step[l->nsteps++];
    memset(st, 0, sizeof(*st));
    st->when = l->nsteps == 1 ? LW_START : LW_MANUAL;
    st->line = p->lineno;
    if (strlen(title) >= sizeof(st->title))
        return lp_err(p, "step title too long");
    snprintf(st->title, sizeof(st->title), "%s", title);
    p->section = &st->text;
    return 0;
}

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int parse_when(struct lparse *p, struct lesson_step *st, const char *arg)
{
    static const enum lesson_when kinds[] = { LW_START, LW_BREAK, LW_EVENT,
                                              LW_EXIT, LW_MANUAL };
    size_t n = strcspn(arg, " \t");

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *name = when_names[kinds[i]];
        if (strlen(name) != n || strncmp(arg, name, n))
            continue;
        const char *cond = skip_blanks(arg + n);
        bool wants = kinds[i] == LW_BREAK || kinds[i] == LW_EVENT;
        if (wants != (*cond != '\0'))
            return lp_err(p, wants ? "this condition needs an argument"
                                   : "this condition takes no argument");
        if (kinds[i] == LW_START && st != &p->l->step[0])
            return lp_err(p, "'when: start' is for the first step only");
        if (strlen(cond) >= sizeof(st->cond))
            return lp_err(p, "condition too long");
        st->when = kinds[i];
        snprintf(st->cond, sizeof(st->cond), "%s", cond);
        return 0;
    }
    return lp_err(p, "unknown condition (start, break EXPR, event FILTER, exit, manual)");
}

static int parse_directive(struct lparse *p, const char *key, const char *arg)
{
    struct lesson_step *st = p->l->nsteps ? &p->l->step[p->l->nsteps - 1] : NULL;

    if (!strcmp(key, "title")) {
        if (st)
            return lp_err(p, "'title:' belongs before the first step");
        snprintf(p->l->title, sizeof(p->l->title), "%s", arg);
        return 0;
    }
    if (!st)
        return lp_err(p, "a directive before the first step ('== Title')");
    if (!strcmp(key, "when"))
        return parse_when(p, st, arg);
    if (!strcmp(key, "ask")) {
        if (st->question)
            return lp_err(p, "one question per step");
        if (!*arg)
            return lp_err(p, "'ask:' needs the question");
        st->question = strdup(arg);
        return st->question ? 0 : -VMS_ERR_NOMEM;
    }
    if (!strcmp(key, "answer")) {
        if (!st->question)
            return lp_err(p, "'answer:' without 'ask:'");
        if (strlen(arg) >= sizeof(st->answers))
            return lp_err(p, "answer list too long");
        snprintf(st->answers, sizeof(st->answers), "%s", arg);
        return 0;
    }
    /* reveal: the text after it is shown once the question is answered */
    if (!st->question)
        return lp_err(p, "'reveal:' without 'ask:'");
    p->section = &st->reveal;
    return *arg ? append_line(p->section, arg, strlen(arg)) : 0;
}

/* "key: rest" for the directive keywords at column 0; NULL otherwise. */
static const char *directive(const char *line, char *key, size_t keylen)
{
    static const char *const keys[] = { "title", "when", "ask", "answer", "reveal" };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t n = strlen(keys[i]);
        if (!strncmp(line, keys[i], n) && line[n] == ':') {
            snprintf(key, keylen, "%s", keys[i]);
            return skip_blanks(line + n + 1);
        }
    }
    return NULL;
}

static int parse_line(struct lparse *p, const char *line)
{
    char key[16];
    const char *arg;

    if (line[0] == '#')
        return 0;
    if (!strncmp(line, "==", 2))
        return new_step(p, skip_blanks(line + 2));
    if ((arg = directive(line, key, sizeof(key))))
        return parse_directive(p, key, arg);
    if (line[0] == '\\')           /* a text line that looks like a directive */
        line++;
    if (!p->section) {
        if (*skip_blanks(line) == '\0')
            return 0;
        return lp_err(p, "text before the first step ('== Title')");
    }
    return append_line(p->section, line, strlen(line));
}

/* Drop blank lines at both ends of a section; NULL becomes "". */
static int trim_section(char **s)
{
    if (!*s) {
        *s = strdup("");
        return *s ? 0 : -VMS_ERR_NOMEM;
    }
    char *start = *s, *end;
    while (*start == '\n')
        start++;
    memmove(*s, start, strlen(start) + 1);
    end = *s + strlen(*s);
    while (end > *s && (end[-1] == '\n' || end[-1] == ' '))
        *--end = '\0';
    return 0;
}

static int finish(struct lparse *p)
{
    struct lesson *l = p->l;

    if (l->nsteps == 0)
        return vms_seterr(VMS_ERR_SYNTAX, "%s: no steps ('== Title' lines)", p->name);
    for (unsigned i = 0; i < l->nsteps; i++) {
        if (trim_section(&l->step[i].text) < 0 || trim_section(&l->step[i].reveal) < 0)
            return -VMS_ERR_NOMEM;
    }
    if (!l->title[0])
        snprintf(l->title, sizeof(l->title), "%s", l->step[0].title);
    return 0;
}

int lesson_parse(struct lesson *l, const char *text, size_t len, const char *name)
{
    struct lparse p = { .l = l, .name = name };
    char line[512];
    size_t i = 0;
    int r = 0;

    memset(l, 0, sizeof(*l));
    while (i < len && r == 0) {
        size_t n = 0;
        p.lineno++;
        while (i < len && text[i] != '\n') {
            if (n + 1 >= sizeof(line))
                return lesson_fini(l), lp_err(&p, "line too long");
            if (text[i] == '\0')
                return lesson_fini(l), lp_err(&p, "NUL byte in a text file");
            line[n++] = text[i++];
        }
        i++;
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        line[n] = '\0';
        r = parse_line(&p, line);
    }
    if (r == 0)
        r = finish(&p);
    if (r < 0)
        lesson_fini(l);
    return r;
}

int lesson_load(struct lesson *l, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;

    memset(l, 0, sizeof(*l));
    if (!f)
        return vms_seterr(errno == ENOENT ? VMS_ERR_NOTFOUND : VMS_ERR_IO, "%s: %s",
                          path, strerror(errno));
    if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || size > (1 << 20)
        || fseek(f, 0, SEEK_SET) < 0) {
        fclose(f);
        return vms_seterr(VMS_ERR_IO, "%s: not a readable lesson (at most 1 MiB)", path);
    }
    buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        fclose(f);
        return vms_seterr(buf ? VMS_ERR_IO : VMS_ERR_NOMEM, "%s: cannot read", path);
    }
    fclose(f);
    int r = lesson_parse(l, buf, (size_t)size, path);
    free(buf);
    return r;
}

/* ---- answers ---- */

/* Copy @s without surrounding blanks, lower-cased, into @out. */
static void normalise(const char *s, size_t n, char *out, size_t outlen)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= outlen)
        n = outlen - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[n] = '\0';
}

/* A number in C syntax (0x3f8, 1016, 017) or assembler hex (3f8h). */
static bool as_number(const char *s, unsigned long long *v)
{
    size_t n = strlen(s);
    bool asm_hex = n > 1 && s[n - 1] == 'h';
    char *end;

    if (!isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    *v = strtoull(s, &end, asm_hex ? 16 : 0);
    return !errno && end == s + n - asm_hex;
}

static bool same_answer(const char *a, const char *b)
{
    unsigned long long x, y;

    if (as_number(a, &x) && as_number(b, &y))
        return x == y;
    return !strcmp(a, b);
}

bool lesson_answer_ok(const struct lesson_step *st, const char *answer)
{
    char want[LESSON_COND_MAX], got[128];
    const char *p = st->answers;

    if (!st->answers[0])
        return true;
    normalise(answer, strlen(answer), got, sizeof(got));
    while (*p) {
        size_t n = strcspn(p, "|");
        normalise(p, n, want, sizeof(want));
        if (want[0] && same_answer(want, got))
            return true;
        p += n + (p[n] == '|');
    }
    return false;
}

/* ---- progress ---- */

static void enter_step(struct lesson_progress *p)
{
    p->phase = p->l->step[p->cur].question ? LP_ASKING : LP_READING;
    p->answer[0] = '\0';
    p->correct = false;
}

void lesson_begin(struct lesson_progress *p, const struct lesson *l)
{
    memset(p, 0, sizeof(*p));
    p->l = l;
    if (l->nsteps)
        enter_step(p);
    else
        p->phase = LP_DONE;
}

bool lesson_advance(struct lesson_progress *p)
{
    if (p->phase == LP_DONE)
        return false;
    if (p->cur + 1 >= p->l->nsteps) {
        p->phase = LP_DONE;
        return false;
    }
    p->cur++;
    enter_step(p);
    return true;
}

bool lesson_back(struct lesson_progress *p)
{
    if (p->phase == LP_DONE && p->l->nsteps) {
        enter_step(p);
        return true;
    }
    if (p->cur == 0)
        return false;
    p->cur--;
    enter_step(p);
    return true;
}

bool lesson_answer(struct lesson_progress *p, const char *answer)
{
    if (p->phase != LP_ASKING)
        return false;
    const struct lesson_step *st = &p->l->step[p->cur];
    snprintf(p->answer, sizeof(p->answer), "%s", answer);
    p->correct = lesson_answer_ok(st, answer);
    p->phase = LP_REVEALED;
    p->answered++;
    p->right += p->correct;
    return p->correct;
}

const struct lesson_step *lesson_current(const struct lesson_progress *p)
{
    if (!p->l || p->cur >= p->l->nsteps)
        return NULL;
    return &p->l->step[p->cur];
}

const struct lesson_step *lesson_pending(const struct lesson_progress *p)
{
    if (!p->l || p->phase == LP_DONE || p->cur + 1 >= p->l->nsteps)
        return NULL;
    return &p->l->step[p->cur + 1];
}
