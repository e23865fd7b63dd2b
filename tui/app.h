/* app.h - `vmscope [options] IMAGE|SCENARIO`: the TUI on a real terminal.
 *
 * Parses the options, builds the debugger session with the guest's
 * console going to a text buffer, finds the scenario's lesson, takes the
 * terminal (tui/term.h) and runs the loop: render, flush, run a slice of
 * the guest when running, read a key.  docs/TUI.md is the user's guide.
 */
#ifndef VMS_TUI_APP_H
#define VMS_TUI_APP_H

/* Run the TUI; returns the process exit status (0, 2 for bad usage or
 * image, 128+N when signal N ended it). */
int tui_main(int argc, char **argv);

/* Print the key reference (Markdown, as in docs/TUI.md); returns 0. */
int tui_help_keys(void);

/* True when this build has a TUI (for `make run`). */
int tui_available(void);

#endif
