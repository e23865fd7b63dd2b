/* runctl.c - stepping, continuous runs in slices, animation, the lesson. */
#include "tui/runctl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tui/prompt.h"
#include "tui/tui.h"

#define SLICE_MIN 1000ull
#define SLICE_MAX 20000000ull
#define SLICE_FAST_MS 4      /* slices quicker than this grow */
#define SLICE_SLOW_MS 25     /* slices slower than this shrink */

static void lesson_check(struct tui *t, const struct dbg_stop *why);

/* Log and show a stop, then let the views and the lesson catch up. */
void runctl_stopped(struct tui *t, int rc, const struct dbg_stop *why)
{
    t->run = RUN_STOPPED;
    tui_touch(t);
    if (rc < 0) {
        tui_message(t, true, "%s", vms_lasterr(rc));
        return;
    }
    bool bad = why->reason == DSTOP_EXITED || why->reason == DSTOP_ERROR;
    tui_message(t, bad, "%s", why->line);
    lesson_check(t, why);
}

void runctl_note_stop(struct tui *t, const struct dbg_stop *why)
{
    t->run = RUN_STOPPED;
    tui_touch(t);
    lesson_check(t, why);
}

void runctl_step(struct tui *t, enum tui_action a)
{
    struct dbg_stop why;
    int rc;

    if (t->run != RUN_STOPPED)
        runctl_halt(t, "stopped");
    switch (a) {
    case ACT_NEXT: rc = session_next(t->s, 1, &why); break;
    case ACT_FINISH: rc = session_finish(t->s, &why); break;
    default: rc = session_stepi(t->s, 1, &why); break;
    }
    runctl_stopped(t, rc, &why);
}

void runctl_continue(struct tui *t)
{
    if (!runctl_vms_alive(t)) {
        tui_message(t, true, "nothing to run: the VM has ended (`run` starts over)");
        return;
    }
    t->run = RUN_CONTINUE;
    tui_message(t, false, "running (any key stops)");
}

void runctl_animate(struct tui *t)
{
    if (t->run == RUN_ANIMATE) {
        runctl_halt(t, "animation stopped");
        return;
    }
    if (!runctl_vms_alive(t)) {
        tui_message(t, true, "nothing to run: the VM has ended (`run` starts over)");
        return;
    }
    t->run = RUN_ANIMATE;
    t->next_step_ms = tui_now(t);
    tui_message(t, false, "animating at %u steps/s (a stops, +/- change the rate)", t->rate);
}

void runctl_halt(struct tui *t, const char *why)
{
    if (t->run == RUN_STOPPED)
        return;
    t->run = RUN_STOPPED;
    tui_touch(t);
    tui_message(t, false, "%s", why);
}

/* A slice of a continuous run; sized so that one takes a few ms of host
 * time whatever the guest's speed. */
static void continue_slice(struct tui *t)
{
    struct dbg_stop why;
    uint64_t t0 = tui_now(t);
    int rc = session_run_slice(t->s, t->cfg.slice_insns, &why);
    uint64_t ms = tui_now(t) - t0;

    /* A key waiting on the terminal cut the slice short (the session's
     * poll hook): tui_key() decides whether it stops the run (typing at
     * the prompt or to the guest does not). */
    if (rc == 0 && why.reason == DSTOP_INTERRUPT && !term_quit_requested) {
        tui_touch(t);
        return;
    }
    if (rc < 0 || why.reason != DSTOP_NONE) {
        runctl_stopped(t, rc, &why);
        return;
    }
    if (ms < SLICE_FAST_MS && t->cfg.slice_insns < SLICE_MAX)
        t->cfg.slice_insns *= 2;
    else if (ms > SLICE_SLOW_MS && t->cfg.slice_insns > SLICE_MIN)
        t->cfg.slice_insns /= 2;
    tui_touch(t);
}

static int animate_tick(struct tui *t)
{
    uint64_t now = tui_now(t), period = 1000 / (t->rate ? t->rate : 1);
    struct dbg_stop why;

    if (now < t->next_step_ms)
        return (int)(t->next_step_ms - now);
    t->next_step_ms = now + period;
    int rc = session_stepi(t->s, 1, &why);
    if (rc < 0 || why.reason != DSTOP_STEP) {
        runctl_stopped(t, rc, &why);
        return -1;
    }
    tui_touch(t);
    lesson_check(t, &why);
    return (int)period;
}

int runctl_tick(struct tui *t)
{
    switch (t->run) {
    case RUN_CONTINUE:
        continue_slice(t);
        return t->run == RUN_CONTINUE ? 0 : -1;
    case RUN_ANIMATE:
        return animate_tick(t);
    default:
        return -1;
    }
}

void runctl_toggle_break(struct tui *t, uint64_t pc)
{
    const struct dbg_bp *bp = session_bp_at_pc(t->s, pc);
    struct dbg_bp tmpl = { .type = BPT_BREAK, .enabled = true, .addr = pc };
    int id;

    if (bp) {
        id = bp->id;
        if (session_bp_delete(t->s, id) == 0)
            tui_message(t, false, "deleted breakpoint %d at 0x%" PRIx64, id, pc);
        tui_touch(t);
        return;
    }
    snprintf(tmpl.spec, sizeof(tmpl.spec), "*0x%" PRIx64, pc);
    int rc = session_bp_add(t->s, &tmpl, &id);
    if (rc < 0)
        tui_message(t, true, "breakpoint: %s", vms_lasterr(rc));
    else
        tui_message(t, false, "breakpoint %d at 0x%" PRIx64, id, pc);
    tui_touch(t);
}

bool runctl_vms_alive(struct tui *t)
{
    struct dbg_vm_info vm[TUI_MAX_VMS];
    int n = session_vms(t->s, vm, TUI_MAX_VMS);

    for (int i = 0; i < n; i++)
        if (vm[i].state == VM_RUNNING)
            return true;
    return false;
}

/* ---- the lesson ---- */

static void lesson_disarm(struct tui *t)
{
    /* The student may have deleted it already: nothing to undo then. */
    if (t->lesson_bp > 0 && session_bp_find(t->s, t->lesson_bp)
        && session_bp_delete(t->s, t->lesson_bp) < 0)
        t->lesson_bp = 0;
    t->lesson_bp = 0;
    t->lesson_err[0] = '\0';
}

static int arm_break(struct tui *t, const struct lesson_step *st, struct dbg_bp *bp)
{
    int rc = session_eval(t->s, st->cond, &bp->addr);

    if (rc < 0)
        return rc;
    bp->type = BPT_BREAK;
    t->lesson_addr = bp->addr;
    return 0;
}

static int arm_event(struct tui *t, const struct lesson_step *st, struct dbg_bp *bp)
{
    char err[128];

    (void)t;
    bp->type = BPT_EVENT;
    if (dbg_evfilter_parse(&bp->ev, st->cond, err, sizeof(err)) < 0)
        return vms_seterr(VMS_ERR_SYNTAX, "%s", err);
    return 0;
}

/* Arm the pending step's condition as a breakpoint of the session. */
static void lesson_arm(struct tui *t)
{
    const struct lesson_step *st = lesson_pending(&t->lp);
    struct dbg_bp bp = { .enabled = true };
    int rc = 0;

    lesson_disarm(t);
    if (!st || (st->when != LW_BREAK && st->when != LW_EVENT))
        return;
    snprintf(bp.spec, sizeof(bp.spec), "lesson: %s %.100s", lesson_when_name(st->when), st->cond);
    rc = st->when == LW_BREAK ? arm_break(t, st, &bp) : arm_event(t, st, &bp);
    if (rc == 0)
        rc = session_bp_add(t->s, &bp, &t->lesson_bp);
    if (rc < 0) {
        t->lesson_bp = 0;
        snprintf(t->lesson_err, sizeof(t->lesson_err), "cannot arm '%s %s': %s",
                 lesson_when_name(st->when), st->cond, vms_lasterr(rc));
        tui_message(t, true, "lesson: %s (use `lesson next`)", t->lesson_err);
    }
}

static void transcript(struct tui *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void transcript(struct tui *t, const char *fmt, ...)
{
    char buf[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    textbuf_line(&t->log, 'L', buf);
    if (t->cfg.transcript) {
        fprintf(t->cfg.transcript, "%s\n", buf);
        fflush(t->cfg.transcript);
    }
}

/* The current step was entered: announce it, arm the next one. */
static void lesson_entered(struct tui *t)
{
    const struct lesson_step *st = lesson_current(&t->lp);

    if (t->lp.phase == LP_DONE) {
        lesson_disarm(t);
        transcript(t, "# lesson done: %u of %u answers right", t->lp.right, t->lp.answered);
    } else if (st) {
        transcript(t, "# lesson step %u/%u: %s", t->lp.cur + 1, t->lesson.nsteps, st->title);
        lesson_arm(t);
        if (t->lp.phase == LP_ASKING) {
            t->at_prompt = true;
            /* the message line is always visible, the pane may be short */
            snprintf(t->status, sizeof(t->status), "? %s", st->question);
            t->status_error = false;
        }
    }
    runctl_prompt_label(t);
    tui_touch(t);
}

static void lesson_check(struct tui *t, const struct dbg_stop *why)
{
    const struct lesson_step *st = t->has_lesson ? lesson_pending(&t->lp) : NULL;
    bool hit = false;

    if (!st)
        return;
    if (st->when == LW_EXIT)
        hit = why->reason == DSTOP_EXITED;
    else if (t->lesson_bp > 0 && why->bp == t->lesson_bp)
        hit = true;
    else if (st->when == LW_BREAK && t->lesson_bp > 0 && why->pc == t->lesson_addr)
        hit = true;           /* reached by stepping onto it */
    if (!hit)
        return;
    lesson_advance(&t->lp);
    lesson_entered(t);
}

int runctl_lesson_load(struct tui *t, const char *path)
{
    int rc = lesson_load(&t->lesson, path);

    if (rc < 0)
        return rc;
    t->has_lesson = true;
    lesson_begin(&t->lp, &t->lesson);
    lesson_entered(t);
    return 0;
}

void runctl_lesson_next(struct tui *t)
{
    if (!t->has_lesson) {
        tui_message(t, true, "no lesson loaded");
        return;
    }
    if (!lesson_advance(&t->lp))
        tui_message(t, false, "that was the last step");
    lesson_entered(t);
}

void runctl_lesson_back(struct tui *t)
{
    if (!t->has_lesson) {
        tui_message(t, true, "no lesson loaded");
        return;
    }
    if (!lesson_back(&t->lp))
        tui_message(t, false, "this is the first step");
    lesson_entered(t);
}

void runctl_lesson_restart(struct tui *t)
{
    if (!t->has_lesson) {
        tui_message(t, true, "no lesson loaded");
        return;
    }
    lesson_begin(&t->lp, &t->lesson);
    lesson_entered(t);
}

void runctl_lesson_answer(struct tui *t, const char *answer)
{
    const struct lesson_step *st = lesson_current(&t->lp);

    if (!st || t->lp.phase != LP_ASKING)
        return;
    bool right = lesson_answer(&t->lp, answer);
    transcript(t, "# lesson step %u question: %s", t->lp.cur + 1, st->question);
    transcript(t, "# answer: %s (%s)", answer,
               !st->answers[0] ? "noted" : right ? "right" : "not what we expected");
    tui_message(t, !right, "%s", !st->answers[0] ? "answer noted"
                : right ? "right!" : "not quite: read on");
    t->at_prompt = false;
    runctl_prompt_label(t);
    tui_touch(t);
}

void runctl_prompt_label(struct tui *t)
{
    bool asking = t->has_lesson && t->lp.phase == LP_ASKING;

    prompt_set_label(asking ? "answer> " : "(vmscope) ");
}
