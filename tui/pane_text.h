/* pane_text.h - panes of text: the guest console, the command log and
 * the lesson. */
#ifndef VMS_TUI_PANE_TEXT_H
#define VMS_TUI_PANE_TEXT_H

#include "tui/pane.h"

extern const struct pane_ops pane_console_ops, pane_log_ops, pane_lesson_ops;

/* Turn lesson text into what pane_wrap() shows: lines of a paragraph
 * joined by blanks, blank lines kept, indented lines kept as they are.
 * Writes at most @len bytes (NUL included). */
void pane_text_reflow(const char *text, char *out, size_t len);

#endif
