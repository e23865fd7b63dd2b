/* prompt.h - the command line at the bottom, edited by GNU readline.
 *
 * readline's callback interface (rl_callback_handler_install /
 * rl_callback_read_char) does the editing, history and completion, but
 * never touches the terminal: keys come from the TUI's own loop (one at a
 * time, through rl_getc_function), and readline's redisplay only copies
 * the line and the cursor position here; prompt_draw() paints them into
 * the cell grid with the rest of the screen.  So typing costs one
 * redraw of one line, also while a guest runs.
 *
 * readline is a process-wide singleton, and so is this module.
 */
#ifndef VMS_TUI_PROMPT_H
#define VMS_TUI_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#include "machine/err.h"
#include "tui/screen.h"

/* Completion candidates: the @i-th for the word at the end of @line, or
 * NULL when there are no more (session_complete() fits). */
typedef const char *(*prompt_complete_fn)(void *opaque, const char *line, unsigned i);

/* Install the handler.  @history_file: read now and appended to by
 * prompt_fini() (NULL: history in memory only). */
int prompt_init(const char *history_file) VMS_MUST_CHECK;
void prompt_fini(void);

void prompt_set_label(const char *label);          /* "(vmscope) " */
const char *prompt_label(void);
void prompt_set_completer(prompt_complete_fn fn, void *opaque);

/* Feed one key (tui/keys.h code).  Returns true when it was used. */
bool prompt_key(int key);
/* A finished line, if any: copied into @buf; true once per line. */
bool prompt_take_line(char *buf, size_t len);
/* Throw the line being edited away (Esc, ^C). */
void prompt_clear(void);
/* Put @text into the line being edited, cursor at its end. */
void prompt_set_text(const char *text);

/* The line being edited and the cursor's byte offset in it. */
const char *prompt_text(void);
int prompt_point(void);
/* The last completion list ("break kputs kprintf ..."), "" if none. */
const char *prompt_hint(void);
/* Changes since the last prompt_draw(). */
bool prompt_dirty(void);

/* Paint label and line into @c (one row); places the terminal cursor
 * when @focused.  Long lines scroll so the cursor stays visible. */
void prompt_draw(struct canvas c, bool focused);

#endif
