/* textbuf.h - a bounded buffer of text lines (console output, the log).
 *
 * Bytes are appended as they come (a guest's UART writes one at a time);
 * '\n' ends a line, '\r' returns to the line's start, backspace erases
 * one character, a tab moves to the next multiple of 8, and other control
 * bytes show as '?' (so the screen never receives a control sequence from
 * the guest).  When full, the oldest lines are dropped.  Each line carries
 * a tag (the VM it came from, or a log line's kind).
 */
#ifndef VMS_TUI_TEXTBUF_H
#define VMS_TUI_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/err.h"

#define TB_LINE_MAX 240

struct tb_line {
    char text[TB_LINE_MAX + 1];
    uint16_t len;          /* bytes in text */
    uint16_t col;          /* write position (after '\r': 0) */
    uint8_t tag;
};

struct textbuf {
    struct tb_line *line;  /* ring of cap lines (owned) */
    unsigned cap;
    uint64_t first;        /* number of the oldest line kept */
    uint64_t count;        /* lines ever started (the last may be open) */
    bool open;             /* the last line has no '\n' yet */
    uint64_t gen;          /* bumped on every change */
};

int textbuf_init(struct textbuf *b, unsigned cap) VMS_MUST_CHECK;
void textbuf_fini(struct textbuf *b);
void textbuf_clear(struct textbuf *b);

/* Append @len bytes tagged @tag (a new line starts when the tag changes
 * in the middle of one). */
void textbuf_write(struct textbuf *b, uint8_t tag, const char *data, size_t len);
/* Append one complete line (a '\n' is added). */
void textbuf_line(struct textbuf *b, uint8_t tag, const char *text);
void textbuf_printf(struct textbuf *b, uint8_t tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Lines kept, and line @i of them (0 = oldest kept), or NULL. */
unsigned textbuf_lines(const struct textbuf *b);
const struct tb_line *textbuf_get(const struct textbuf *b, unsigned i);

#endif
