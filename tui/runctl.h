/* runctl.h - the TUI's execution control and the lesson's conditions.
 *
 * Stepping keys call the session directly; continuous running is done in
 * slices (session_run_slice) between key polls so the UI stays live, and
 * animation is one step per tick.  Every stop goes through
 * runctl_stopped(), which reports it, refreshes the views and moves the
 * lesson on when the stop is the pending step's condition.
 */
#ifndef VMS_TUI_RUNCTL_H
#define VMS_TUI_RUNCTL_H

#include <stdbool.h>

#include "debugger/session.h"
#include "tui/keys.h"

struct tui;

/* step, next, finish (the keys). */
void runctl_step(struct tui *t, enum tui_action a);
/* Start a continuous run / toggle animation. */
void runctl_continue(struct tui *t);
void runctl_animate(struct tui *t);
/* Stop a continuous run or an animation (a key was pressed). */
void runctl_halt(struct tui *t, const char *why);
/* The due work of a run (see tui_tick). */
int runctl_tick(struct tui *t);
/* Report a stop (rc < 0: the command could not run). */
void runctl_stopped(struct tui *t, int rc, const struct dbg_stop *why);
/* A stop made by a typed command (its output is already in the log):
 * refresh the views and let the lesson see it. */
void runctl_note_stop(struct tui *t, const struct dbg_stop *why);
/* Toggle a breakpoint at linear address @pc. */
void runctl_toggle_break(struct tui *t, uint64_t pc);
/* Are any VMs still running (so quitting should ask)? */
bool runctl_vms_alive(struct tui *t);

/* ---- the lesson ---- */

/* Load @path and show step 0, arming step 1's condition. */
int runctl_lesson_load(struct tui *t, const char *path) VMS_MUST_CHECK;
/* `lesson next` / `lesson back` / `lesson restart`. */
void runctl_lesson_next(struct tui *t);
void runctl_lesson_back(struct tui *t);
void runctl_lesson_restart(struct tui *t);
/* The student's answer to the current question. */
void runctl_lesson_answer(struct tui *t, const char *answer);
/* The prompt label for the current state ("answer> " while asking). */
void runctl_prompt_label(struct tui *t);

#endif
