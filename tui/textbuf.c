/* textbuf.c - the line ring. */
#include "tui/textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int textbuf_init(struct textbuf *b, unsigned cap)
{
    memset(b, 0, sizeof(*b));
    if (cap < 2)
        return -VMS_ERR_INVAL;
    b->line = calloc(cap, sizeof(*b->line));
    if (!b->line)
        return -VMS_ERR_NOMEM;
    b->cap = cap;
    return 0;
}

void textbuf_fini(struct textbuf *b)
{
    if (!b)
        return;
    free(b->line);
    memset(b, 0, sizeof(*b));
}

void textbuf_clear(struct textbuf *b)
{
    b->first = b->count = 0;
    b->open = false;
    b->gen++;
}

static struct tb_line *slot(const struct textbuf *b, uint64_t n)
{
    return &b->line[n % b->cap];
}

static struct tb_line *start_line(struct textbuf *b, uint8_t tag)
{
    struct tb_line *l = slot(b, b->count++);

    if (b->count - b->first > b->cap)
        b->first = b->count - b->cap;
    memset(l, 0, sizeof(*l));
    l->tag = tag;
    b->open = true;
    return l;
}

static void put_char(struct tb_line *l, char c)
{
    if (l->col >= TB_LINE_MAX)
        return;                     /* long lines are cut, not wrapped */
    l->text[l->col++] = c;
    if (l->col > l->len)
        l->len = l->col;
    l->text[l->len] = '\0';
}

static void put_byte(struct textbuf *b, uint8_t tag, unsigned char c)
{
    struct tb_line *l = b->open ? slot(b, b->count - 1) : NULL;

    if (c == '\n') {
        if (!l)
            start_line(b, tag);
        b->open = false;
        return;
    }
    if (!l || l->tag != tag)
        l = start_line(b, tag);
    if (c == '\r')
        l->col = 0;
    else if (c == '\b' || c == 0x7F)
        l->col -= l->col > 0;
    else if (c == '\t')
        do put_char(l, ' '); while (l->col % 8 && l->col < TB_LINE_MAX);
    else
        put_char(l, (c < 0x20) ? '?' : (char)c);
}

void textbuf_write(struct textbuf *b, uint8_t tag, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        put_byte(b, tag, (unsigned char)data[i]);
    b->gen++;
}

void textbuf_line(struct textbuf *b, uint8_t tag, const char *text)
{
    if (b->open)
        textbuf_write(b, slot(b, b->count - 1)->tag, "\n", 1);
    textbuf_write(b, tag, text, strlen(text));
    textbuf_write(b, tag, "\n", 1);
}

void textbuf_printf(struct textbuf *b, uint8_t tag, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    textbuf_line(b, tag, buf);
}

unsigned textbuf_lines(const struct textbuf *b)
{
    return (unsigned)(b->count - b->first);
}

const struct tb_line *textbuf_get(const struct textbuf *b, unsigned i)
{
    if (i >= textbuf_lines(b))
        return NULL;
    return slot(b, b->first + i);
}
