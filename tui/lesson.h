/* lesson.h - lesson texts: steps bound to conditions in the guest.
 *
 * A scenario may carry a lesson (scenarios/NAME/lesson.txt, installed next
 * to the image).  The format is described in docs/LESSONS.md; in short:
 *
 *   title: Hello from a boot sector
 *
 *   == The first instruction
 *   when: start
 *   Text, wrapped to the pane.  A blank line separates paragraphs;
 *     lines indented by two spaces are shown as they are.
 *   ask: Which port will the next OUT write to?
 *   answer: 0x3f8 | 1016
 *   reveal:
 *   Shown after the student answered.
 *
 * `when:` binds the step to a condition in the debugger's language:
 * `start` (the first step only, and its default), `break EXPR` (a breakpoint; EXPR as in the
 * `break` command: a symbol, *ADDR, an expression), `event FILTER` (an
 * event breakpoint: "mode protected", "exception 14", "cr3", ...), `exit`
 * (the VM ended) or `manual` (the student moves on with `lesson next`;
 * the default after the first step).
 * The TUI arms the next step's condition as a breakpoint; when the guest
 * stops there, the lesson advances.
 *
 * This module parses and keeps the progress; binding conditions to the
 * session is the TUI's job (tui.c).  It does not know about curses.
 */
#ifndef VMS_TUI_LESSON_H
#define VMS_TUI_LESSON_H

#include <stdbool.h>
#include <stddef.h>

#include "machine/err.h"

enum lesson_when {
    LW_START,       /* shown as soon as the previous step is */
    LW_BREAK,       /* a breakpoint at cond (an expression) */
    LW_EVENT,       /* an event breakpoint, cond is the filter */
    LW_EXIT,        /* the VM ended */
    LW_MANUAL,      /* only `lesson next` */
};

#define LESSON_COND_MAX 128
#define LESSON_TITLE_MAX 96

struct lesson_step {
    char title[LESSON_TITLE_MAX];
    enum lesson_when when;
    char cond[LESSON_COND_MAX];
    char *text;               /* body (owned; "" when none) */
    char *question;           /* owned, NULL: no question */
    char answers[LESSON_COND_MAX]; /* accepted answers, '|'-separated; "" any */
    char *reveal;             /* shown after the answer (owned; "" none) */
    unsigned line;            /* where the step starts in the file */
};

struct lesson {
    char title[LESSON_TITLE_MAX];
    struct lesson_step *step; /* owned array */
    unsigned nsteps;
};

/* Parse lesson text (@len bytes; need not be NUL-terminated).  @name is
 * used in error messages ("hello/lesson.txt:12: unknown condition").
 * -VMS_ERR_SYNTAX / NOMEM with a vms_lasterr() detail; @l is then empty. */
int lesson_parse(struct lesson *l, const char *text, size_t len, const char *name)
    VMS_MUST_CHECK;
/* The same from a file.  -VMS_ERR_NOTFOUND when it does not exist. */
int lesson_load(struct lesson *l, const char *path) VMS_MUST_CHECK;
void lesson_fini(struct lesson *l);

const char *lesson_when_name(enum lesson_when w);

/* Does @answer match one of the step's accepted answers?  Comparison
 * ignores case and surrounding blanks; numbers compare by value (so
 * "0x3F8", "1016" and "0x03f8" are the same answer).  True for any
 * answer when the step lists none. */
bool lesson_answer_ok(const struct lesson_step *st, const char *answer);

/* ---- progress ---- */

enum lesson_phase {
    LP_READING,     /* the step's text is shown; waiting for the next step */
    LP_ASKING,      /* the question waits for an answer */
    LP_REVEALED,    /* answered: the reveal text is shown */
    LP_DONE,        /* past the last step */
};

struct lesson_progress {
    const struct lesson *l;
    unsigned cur;             /* current step */
    enum lesson_phase phase;
    char answer[128];         /* the student's answer to the current step */
    bool correct;
    unsigned answered, right; /* totals */
};

/* Start at step 0 (shown at once, whatever its condition). */
void lesson_begin(struct lesson_progress *p, const struct lesson *l);
/* Move to the next step (its condition was reached).  Returns false at
 * the end (phase LP_DONE). */
bool lesson_advance(struct lesson_progress *p);
/* Go back one step (the student re-reads); false at the first. */
bool lesson_back(struct lesson_progress *p);
/* Record the answer to the current question; returns whether it is
 * right.  Only in LP_ASKING (else false, nothing recorded). */
bool lesson_answer(struct lesson_progress *p, const char *answer);
const struct lesson_step *lesson_current(const struct lesson_progress *p);
/* The step whose condition is to be armed now (the one after the
 * current), or NULL. */
const struct lesson_step *lesson_pending(const struct lesson_progress *p);

#endif
