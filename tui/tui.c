/* tui.c - the TUI's state, key dispatch, its own commands, rendering. */
#include "tui/tui.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/keys.h"
#include "tui/pane_cpu.h"
#include "tui/pane_sys.h"
#include "tui/pane_text.h"
#include "tui/prompt.h"
#include "tui/runctl.h"

#define LOG_LINES 2000
#define SLICE_DEFAULT 20000ull

static uint64_t monotonic_ms(void *opaque)
{
    struct timespec ts;

    (void)opaque;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t tui_now(const struct tui *t)
{
    return t->cfg.clock_ms(t->cfg.clock_opaque);
}

void tui_touch(struct tui *t)
{
    t->gen++;
}

void tui_message(struct tui *t, bool error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(t->status, sizeof(t->status), fmt, ap);
    va_end(ap);
    t->status_error = error;
    textbuf_line(&t->log, error ? 'E' : 'M', t->status);
    if (t->cfg.transcript)
        fprintf(t->cfg.transcript, "%s\n", t->status);
}

/* Every pane, in the order `help` lists them. */
static const struct pane_ops *const pane_registry[] = {
    &pane_lesson_ops, &pane_regs_ops, &pane_disasm_ops, &pane_stack_ops,
    &pane_memory_ops, &pane_pagewalk_ops, &pane_events_ops, &pane_devices_ops,
    &pane_vms_ops, &pane_console_ops, &pane_log_ops,
};
static const unsigned pane_registry_count = sizeof(pane_registry) / sizeof(pane_registry[0]);

static const struct pane_ops *pane_find(const char *name)
{
    for (unsigned i = 0; i < pane_registry_count; i++)
        if (!strcmp(pane_registry[i]->name, name))
            return pane_registry[i];
    return NULL;
}

const char *tui_pane_names(char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < pane_registry_count && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", pane_registry[i]->name);
        used += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

/* ---- create / destroy ---- */

static const char *complete(void *session, const char *line, unsigned i)
{
    return session_complete(session, line, i);
}

static int create_panes(struct tui *t)
{
    for (unsigned i = 0; i < pane_registry_count && i < TUI_PANES; i++) {
        struct pane *p = &t->pane[i];
        p->ops = pane_registry[i];
        p->sel = -1;
        p->gen = UINT64_MAX;
        if (p->ops->create && !(p->state = p->ops->create()))
            return -VMS_ERR_NOMEM;
    }
    return 0;
}

int tui_create(struct tui **out, const struct tui_config *cfg)
{
    struct tui *t = calloc(1, sizeof(*t));
    int rc;

    *out = NULL;
    if (!t)
        return -VMS_ERR_NOMEM;
    t->cfg = *cfg;
    if (!t->cfg.clock_ms)
        t->cfg.clock_ms = monotonic_ms;
    if (!t->cfg.slice_insns)
        t->cfg.slice_insns = SLICE_DEFAULT;
    t->s = cfg->session;
    t->console = cfg->console;
    t->rate = TUI_ANIMATE_DEFAULT;
    t->input = cfg->input & (SESSION_INPUT_SERIAL | SESSION_INPUT_KBD);
    dbg_evfilter_any(&t->evfilter);
    if ((rc = screen_create(&t->scr, cfg->w, cfg->h, cfg->unicode)) < 0)
        goto err;
    if ((rc = textbuf_init(&t->log, LOG_LINES)) < 0)
        goto err_screen;
    if ((rc = create_panes(t)) < 0 || (rc = prompt_init(cfg->history)) < 0)
        goto err_panes;
    prompt_set_completer(complete, t->s);
    if (cfg->lesson && (rc = runctl_lesson_load(t, cfg->lesson)) < 0)
        goto err_panes;
    if ((rc = tui_set_layout(t, cfg->layout ? cfg->layout
                                            : t->has_lesson ? "lesson" : "cpu")) < 0)
        goto err_panes;
    runctl_prompt_label(t);
    snprintf(t->status, sizeof(t->status), "%s", session_last_stop(t->s)->line);
    *out = t;
    return 0;
err_panes:
    lesson_fini(&t->lesson);
    for (unsigned i = 0; i < TUI_PANES; i++)
        if (t->pane[i].ops && t->pane[i].ops->destroy)
            t->pane[i].ops->destroy(t->pane[i].state);
    textbuf_fini(&t->log);
err_screen:
    screen_destroy(t->scr);
err:
    free(t);
    return rc;
}

void tui_destroy(struct tui *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < TUI_PANES; i++)
        if (t->pane[i].ops && t->pane[i].ops->destroy)
            t->pane[i].ops->destroy(t->pane[i].state);
    lesson_fini(&t->lesson);
    textbuf_fini(&t->log);
    screen_destroy(t->scr);
    prompt_fini();
    free(t);
}

/* ---- layouts and focus ---- */

static struct rect pane_area(const struct tui *t)
{
    return (struct rect){ 0, 1, t->scr->w, t->scr->h - 3 };
}

static void relayout(struct tui *t)
{
    t->nslots = layout_compute(&t->layout, pane_area(t), t->slot, TUI_PANES);
    if (t->focus >= t->nslots)
        t->focus = 0;
}

int tui_set_layout(struct tui *t, const char *name)
{
    const struct layout_def *d = layout_find_builtin(name);
    struct layout l;
    const char *leaves[TUI_PANES];
    char names[200];

    int rc = layout_parse(&l, d ? d->name : "custom", d ? d->spec : name);
    if (rc < 0)
        return rc;
    int n = layout_leaves(&l, leaves, TUI_PANES);
    for (int i = 0; i < n; i++)
        if (!pane_find(leaves[i]))
            return vms_seterr(VMS_ERR_NOTFOUND, "layout: no pane called '%s' (panes: %s)",
                              leaves[i], tui_pane_names(names, sizeof(names)));
    t->layout = l;
    t->layout_index = -1;
    for (unsigned i = 0; d && i < layout_builtin_count; i++)
        if (&layout_builtin[i] == d)
            t->layout_index = (int)i;
    t->focus = 0;
    t->zoom = false;
    relayout(t);
    return 0;
}

struct pane *tui_pane(struct tui *t, const char *name)
{
    for (unsigned i = 0; i < TUI_PANES; i++)
        if (t->pane[i].ops && !strcmp(t->pane[i].ops->name, name))
            return &t->pane[i];
    return NULL;
}

struct pane *tui_focused(struct tui *t)
{
    return t->nslots ? tui_pane(t, t->slot[t->focus].name) : NULL;
}

void tui_resize(struct tui *t, int w, int h)
{
    if (w < 1 || h < 1 || (w == t->scr->w && h == t->scr->h))
        return;
    if (screen_resize(t->scr, w, h) < 0)
        return;
    relayout(t);
}

static void cycle_layout(struct tui *t, int index)
{
    if (index < 0)
        index = (t->layout_index + 1) % (int)layout_builtin_count;
    if ((unsigned)index >= layout_builtin_count)
        return;
    if (tui_set_layout(t, layout_builtin[index].name) == 0)
        tui_message(t, false, "layout %s: %s", layout_builtin[index].name,
                    layout_builtin[index].what);
}

/* ---- actions ---- */

static bool pane_action(struct tui *t, enum tui_action a)
{
    struct pane *p = tui_focused(t);

    if (!p)
        return false;
    if (p->ops->key)
        return p->ops->key(p, t, a);
    return pane_scroll_key(p, a, 0);
}

static void toggle_break(struct tui *t)
{
    uint64_t pc;

    if (!pane_disasm_selected(tui_pane(t, "disasm"), t, &pc)) {
        tui_message(t, true, "no instruction selected");
        return;
    }
    runctl_toggle_break(t, pc);
}

static void ask_quit(struct tui *t)
{
    if (runctl_vms_alive(t)) {
        t->confirm_quit = true;
        tui_message(t, false, "The VM is still running. Quit? (y/n)");
    } else {
        t->quit = true;
    }
}

static void vcpu_next(struct tui *t)
{
    struct dbg_vcpu_info v[TUI_MAX_VMS];
    int n = session_vcpus(t->s, v, TUI_MAX_VMS), cur = 0;

    for (int i = 0; i < n; i++)
        if (v[i].current)
            cur = i;
    if (n <= 1) {
        tui_message(t, false, "only one vCPU");
        return;
    }
    cur = (cur + 1) % n;
    if (session_select(t->s, v[cur].vm, v[cur].index) == 0)
        tui_message(t, false, "showing vm%u vcpu%u", v[cur].vm, v[cur].index);
    tui_touch(t);
}

/* ---- the console pane: VGA or serial, typing to the guest ---- */

static const char *const input_names[] = { "auto", "serial", "kbd", "both" };

unsigned tui_input_where(struct tui *t)
{
    if (t->input)
        return t->input;
    return tui_console_vga(t) ? SESSION_INPUT_KBD : SESSION_INPUT_SERIAL;
}

static void toggle_console_view(struct tui *t)
{
    t->console_view = tui_console_vga(t) ? CONSOLE_SERIAL : CONSOLE_VGA;
    tui_message(t, false, "console: %s (o toggles)",
                t->console_view == CONSOLE_VGA ? "the VGA text screen" : "the serial log (COM1)");
    tui_touch(t);
}

static void toggle_typing(struct tui *t)
{
    unsigned vm, vcpu;

    t->typing = !t->typing;
    if (!t->typing) {
        tui_message(t, false, "keys are the TUI's again");
        return;
    }
    t->at_prompt = false;
    for (int i = 0; i < t->nslots; i++)
        if (!strcmp(t->slot[i].name, "console"))
            t->focus = i;
    session_current(t->s, &vm, &vcpu);
    unsigned where = tui_input_where(t);
    tui_message(t, false, "typing to vm%u's %s%s%s (F5 runs it, Esc ends)", vm,
                where & SESSION_INPUT_KBD ? "keyboard" : "",
                where == (SESSION_INPUT_KBD | SESSION_INPUT_SERIAL) ? " and " : "",
                where & SESSION_INPUT_SERIAL ? "COM1" : "");
}

/* A key as the byte a terminal would send; -1 when it has none. */
static int key_byte(int key)
{
    switch (key) {
    case TK_ENTER: return '\r';
    case TK_BACKSPACE: return '\b';
    case TK_TAB: return '\t';
    default: return key >= 0 && key < 0x7F ? key : -1;
    }
}

/* Give the guest what it takes now of the typed bytes (COM1 without its
 * FIFO holds one byte): the rest waits for the next tick, so nothing
 * typed is lost while the guest is slow to read. */
static void flush_typed(struct tui *t)
{
    unsigned vm, vcpu;

    if (!t->ntyped)
        return;
    session_current(t->s, &vm, &vcpu);
    int took = session_type(t->s, vm, t->typed, t->ntyped, tui_input_where(t));
    if (took < 0) {
        tui_message(t, true, "type: %s", vms_lasterr(took));
        t->ntyped = 0;
        return;
    }
    memmove(t->typed, t->typed + took, t->ntyped - (size_t)took);
    t->ntyped -= (size_t)took;
}

/* Queue @n bytes for the current VM (where tui_input_where() says). */
static void type_bytes(struct tui *t, const uint8_t *buf, size_t n)
{
    if (n > sizeof(t->typed) - t->ntyped) {
        tui_message(t, true, "%zu typed key(s) dropped: the guest is not reading them",
                    n - (sizeof(t->typed) - t->ntyped));
        n = sizeof(t->typed) - t->ntyped;
    }
    memcpy(t->typed + t->ntyped, buf, n);
    t->ntyped += n;
    flush_typed(t);
}

/* Typing mode: printable keys, Enter, Backspace and Tab go to the guest
 * (true); Esc ends the mode; function keys keep their actions. */
static bool typing_key(struct tui *t, int key)
{
    if (key == TK_ESC) {
        toggle_typing(t);
        return true;
    }
    int b = key_byte(key);
    if (b < 0 || keys_lookup(key, true) != ACT_NONE)
        return false;
    uint8_t byte = (uint8_t)b;
    type_bytes(t, &byte, 1);
    return true;
}

static void do_action(struct tui *t, enum tui_action a)
{
    switch (a) {
    case ACT_CONTINUE: runctl_continue(t); break;
    case ACT_STEP: case ACT_NEXT: case ACT_FINISH: runctl_step(t, a); break;
    case ACT_BREAK: toggle_break(t); break;
    case ACT_ANIMATE: runctl_animate(t); break;
    case ACT_FASTER: t->rate = t->rate < 50 ? t->rate * 2 : 100;
        tui_message(t, false, "animate: %u steps/s", t->rate); break;
    case ACT_SLOWER: t->rate = t->rate > 1 ? t->rate / 2 : 1;
        tui_message(t, false, "animate: %u steps/s", t->rate); break;
    case ACT_FOCUS_NEXT: if (t->nslots) t->focus = (t->focus + 1) % t->nslots; break;
    case ACT_FOCUS_PREV: if (t->nslots) t->focus = (t->focus + t->nslots - 1) % t->nslots; break;
    case ACT_ZOOM: t->zoom = !t->zoom; break;
    case ACT_LAYOUT_NEXT: cycle_layout(t, -1); break;
    case ACT_LAYOUT_1: case ACT_LAYOUT_2: case ACT_LAYOUT_3: case ACT_LAYOUT_4:
    case ACT_LAYOUT_5: cycle_layout(t, (int)(a - ACT_LAYOUT_1)); break;
    case ACT_VCPU_NEXT: vcpu_next(t); break;
    case ACT_CONSOLE_VIEW: toggle_console_view(t); break;
    case ACT_TYPE: toggle_typing(t); break;
    case ACT_PROMPT: t->at_prompt = true; break;
    case ACT_HELP: t->help = true; t->help_scroll = 0; break;
    case ACT_REDRAW: term_invalidate(); break;
    case ACT_QUIT: ask_quit(t); break;
    default:
        if (!pane_action(t, a))
            tui_message(t, false, "%s: nothing to do in this pane", keys_action_name(a));
        break;
    }
}

/* ---- mouse ---- */

static void mouse(struct tui *t, const struct tui_mouse *m)
{
    if (m->y >= t->scr->h - 1) {
        t->at_prompt = true;
        return;
    }
    for (int i = 0; i < t->nslots; i++) {
        struct rect r = t->slot[i].r;
        if (m->x < r.x || m->x >= r.x + r.w || m->y < r.y || m->y >= r.y + r.h)
            continue;
        if (m->what == MOUSE_CLICK) {
            t->focus = i;
            t->at_prompt = false;
        } else {
            struct pane *p = tui_pane(t, t->slot[i].name);
            for (int k = 0; k < 3 && p; k++)
                if (!(p->ops->key ? p->ops->key(p, t, m->what == MOUSE_WHEEL_UP ? ACT_UP
                                                                               : ACT_DOWN)
                                  : pane_scroll_key(p, m->what == MOUSE_WHEEL_UP ? ACT_UP
                                                                                 : ACT_DOWN, 0)))
                    break;
        }
        return;
    }
}

/* ---- the prompt ---- */

static void prompt_input(struct tui *t, int key)
{
    char line[1024];

    if (key == TK_ESC) {
        t->at_prompt = false;
        return;
    }
    if (key == TK_CTRL('c')) {
        prompt_clear();
        return;
    }
    prompt_key(key);
    if (!prompt_take_line(line, sizeof(line)))
        return;
    if (t->has_lesson && t->lp.phase == LP_ASKING)
        runctl_lesson_answer(t, line);
    else
        tui_command(t, line);
}

void tui_key(struct tui *t, int key, const struct tui_mouse *m)
{
    if (key == TK_RESIZE || key < 0)
        return;
    if (t->help) {
        /* scrolling keys page through the help, any other key closes it */
        int step = key == TK_DOWN ? 1 : key == TK_UP ? -1 : key == TK_PGDN ? 10
                 : key == TK_PGUP ? -10 : 0;
        if (step) {
            t->help_scroll = t->help_scroll + step < 0 ? 0 : t->help_scroll + step;
            return;
        }
        t->help = false;
        return;
    }
    if (t->confirm_quit) {
        t->confirm_quit = false;
        if (key == 'y' || key == 'Y')
            t->quit = true;
        else
            tui_message(t, false, "not quitting");
        return;
    }
    if (t->typing && !t->at_prompt && key != TK_MOUSE && typing_key(t, key))
        return;
    bool for_prompt = t->at_prompt && key != TK_ESC && key != TK_CTRL('c')
                      && keys_lookup(key, true) == ACT_NONE;
    /* F6/i start typing to a running guest without stopping it */
    if (t->run != RUN_STOPPED && !for_prompt && keys_lookup(key, t->at_prompt) == ACT_TYPE) {
        toggle_typing(t);
        return;
    }
    if (t->run != RUN_STOPPED && !for_prompt) {
        runctl_halt(t, t->run == RUN_ANIMATE ? "animation stopped" : "stopped by a key");
        return;
    }
    if (key == TK_MOUSE) {
        if (m)
            mouse(t, m);
        return;
    }
    enum tui_action a = keys_lookup(key, t->at_prompt);
    if (a != ACT_NONE)
        do_action(t, a);
    else if (t->at_prompt)
        prompt_input(t, key);
    else if (key != TK_ESC) {
        char name[16];
        tui_message(t, false, "%s is not bound: ? lists the keys, : opens the prompt",
                    keys_name(key, name, sizeof(name)));
    }
}

int tui_keys(struct tui *t, const char *script)
{
    int keys[512];
    int n = keys_script(script, keys, 512);

    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        tui_key(t, keys[i], NULL);
        while (t->run == RUN_CONTINUE)
            tui_tick(t);
    }
    return 0;
}

int tui_tick(struct tui *t)
{
    flush_typed(t);
    return runctl_tick(t);
}

/* ---- commands of the TUI itself ---- */

struct tui_cmd {
    const char *name;
    const char *args;
    const char *help;
    void (*fn)(struct tui *t, const char *arg);
};

static void cmd_layout(struct tui *t, const char *arg)
{
    if (!*arg) {
        for (unsigned i = 0; i < layout_builtin_count; i++)
            textbuf_printf(&t->log, 'O', "%u %-11s %s", i + 1, layout_builtin[i].name,
                           layout_builtin[i].what);
        return;
    }
    if (tui_set_layout(t, arg) < 0)
        tui_message(t, true, "%s", vms_lasterr(-VMS_ERR_SYNTAX));
    else
        tui_message(t, false, "layout %s", t->layout.name);
}

static void cmd_focus(struct tui *t, const char *arg)
{
    for (int i = 0; i < t->nslots; i++) {
        if (!strcmp(t->slot[i].name, arg)) {
            t->focus = i;
            t->at_prompt = false;
            return;
        }
    }
    tui_message(t, true, "focus: no pane '%s' in this layout", arg);
}

static void cmd_zoom(struct tui *t, const char *arg)
{
    if (*arg)
        cmd_focus(t, arg);
    t->zoom = !t->zoom;
}

static void cmd_animate(struct tui *t, const char *arg)
{
    if (*arg) {
        long r = strtol(arg, NULL, 0);
        if (r < 1 || r > 100) {
            tui_message(t, true, "animate: the rate is 1-100 steps per second");
            return;
        }
        t->rate = (unsigned)r;
    }
    runctl_animate(t);
}

static bool eval_arg(struct tui *t, const char *what, const char *arg, uint64_t *v)
{
    int rc = session_eval(t->s, arg, v);

    if (rc < 0)
        tui_message(t, true, "%s: %s", what, vms_lasterr(rc));
    return rc == 0;
}

static void cmd_mem(struct tui *t, const char *arg)
{
    bool phys = !strncmp(arg, "phys ", 5);
    uint64_t v;

    if (!eval_arg(t, "mem", phys ? arg + 5 : arg, &v))
        return;
    t->mem_addr = v;
    t->mem_phys = phys;
    t->mem_set = true;
    tui_touch(t);
}

static void cmd_walk(struct tui *t, const char *arg)
{
    uint64_t v;

    if (!*arg) {
        t->walk_set = false;
    } else {
        if (!eval_arg(t, "walk", arg, &v))
            return;
        t->walk_addr = v;
        t->walk_set = true;
    }
    tui_touch(t);
}

static void cmd_events(struct tui *t, const char *arg)
{
    char err[128];
    struct dbg_evfilter f;

    if (!*arg || !strcmp(arg, "all")) {
        dbg_evfilter_any(&t->evfilter);
        t->evfilter_text[0] = '\0';
    } else if (dbg_evfilter_parse(&f, arg, err, sizeof(err)) < 0) {
        tui_message(t, true, "events: %s", err);
        return;
    } else {
        t->evfilter = f;
        snprintf(t->evfilter_text, sizeof(t->evfilter_text), "%s", arg);
    }
    tui_touch(t);
}

static void cmd_device(struct tui *t, const char *arg)
{
    snprintf(t->device, sizeof(t->device), "%s", arg);
    tui_touch(t);
}

static void cmd_lesson(struct tui *t, const char *arg)
{
    if (!strcmp(arg, "next"))
        runctl_lesson_next(t);
    else if (!strcmp(arg, "back"))
        runctl_lesson_back(t);
    else if (!strcmp(arg, "restart"))
        runctl_lesson_restart(t);
    else if (!*arg && tui_set_layout(t, "lesson") == 0)
        t->at_prompt = false;
    else
        tui_message(t, true, "lesson: next, back or restart");
}

static void cmd_answer(struct tui *t, const char *arg)
{
    if (!t->has_lesson || t->lp.phase != LP_ASKING)
        tui_message(t, true, "answer: no question is waiting");
    else
        runctl_lesson_answer(t, arg);
}

static void cmd_keys(struct tui *t, const char *arg)
{
    (void)arg;
    t->help = true;
}

static void cmd_console(struct tui *t, const char *arg)
{
    static const char *const views[] = { "auto", "vga", "serial" };

    for (unsigned i = 0; i < 3; i++)
        if (!strcmp(arg, views[i])) {
            t->console_view = (enum tui_console_view)i;
            tui_touch(t);
            return;
        }
    if (!*arg)
        toggle_console_view(t);
    else
        tui_message(t, true, "console: auto, vga or serial");
}

static void cmd_input(struct tui *t, const char *arg)
{
    for (unsigned i = 0; i < 4; i++)
        if (!strcmp(arg, input_names[i])) {
            t->input = i;
            tui_message(t, false, "typed keys go to: %s", input_names[i]);
            return;
        }
    if (!*arg)
        tui_message(t, false, "typed keys go to: %s (now %s)", input_names[t->input],
                    input_names[tui_input_where(t)]);
    else
        tui_message(t, true, "input: auto, serial, kbd or both");
}

/* `type TEXT`: TEXT to the guest, with \r (Enter), \n, \t, \b and \\. */
static void cmd_type(struct tui *t, const char *arg)
{
    static const char esc_in[] = "rntb\\", esc_out[] = "\r\n\t\b\\";
    uint8_t buf[512];
    size_t n = 0;

    for (const char *p = arg; *p && n < sizeof(buf); p++) {
        const char *e = p[0] == '\\' && p[1] ? strchr(esc_in, p[1]) : NULL;
        buf[n++] = (uint8_t)(e ? esc_out[e - esc_in] : *p);
        p += e != NULL;
    }
    if (n)
        type_bytes(t, buf, n);
}

static void session_command(struct tui *t, const char *line);

/* `run` builds the VMs again (and runs them, as in gdb): their old console
 * output goes first.  The command itself is the debugger's. */
static void cmd_run(struct tui *t, const char *arg)
{
    char line[1100];

    if (t->console)
        textbuf_clear(t->console);
    snprintf(line, sizeof(line), "run %s", arg);
    session_command(t, line);
}

static void cmd_quit(struct tui *t, const char *arg)
{
    (void)arg;
    t->quit = true;
}

static void cmd_continue(struct tui *t, const char *arg)
{
    (void)arg;
    runctl_continue(t);
}

static const struct tui_cmd tui_cmds[] = {
    { "layout", "[NAME|SPEC]", "switch layout (no argument: list them)", cmd_layout },
    { "focus", "PANE", "focus a pane of the layout", cmd_focus },
    { "zoom", "[PANE]", "zoom the focused pane (or PANE) / back", cmd_zoom },
    { "animate", "[RATE]", "step RATE times a second until a key", cmd_animate },
    { "mem", "[phys] EXPR", "show memory at EXPR in the memory pane", cmd_mem },
    { "walk", "[EXPR]", "page walk of EXPR (no argument: of RIP)", cmd_walk },
    { "events", "[FILTER|all]", "filter the events pane", cmd_events },
    { "device", "NAME", "the device shown in detail", cmd_device },
    { "lesson", "[next|back|restart]", "move in the lesson", cmd_lesson },
    { "answer", "TEXT", "answer the lesson's question", cmd_answer },
    { "keys", "", "the key help", cmd_keys },
    { "console", "[vga|serial|auto]", "what the console pane shows", cmd_console },
    { "input", "[auto|serial|kbd|both]", "where typed keys go (F6/i)", cmd_input },
    { "type", "TEXT", "TEXT to the guest (\\r: Enter)", cmd_type },
    { "continue", "", "run in the background (any key stops)", cmd_continue },
    { "c", "", "continue", cmd_continue },
    { "cont", "", "continue", cmd_continue },
    { "run", "", "start the guest over (its console is cleared)", cmd_run },
    { "r", "", "run", cmd_run },
    { "restart", "", "run", cmd_run },
    { "quit", "", "leave vmscope", cmd_quit },
    { "q", "", "quit", cmd_quit },
};

static const struct tui_cmd *find_cmd(const char *line, const char **arg)
{
    size_t n = strcspn(line, " \t");

    for (size_t i = 0; i < sizeof(tui_cmds) / sizeof(tui_cmds[0]); i++) {
        if (strlen(tui_cmds[i].name) == n && !strncmp(line, tui_cmds[i].name, n)) {
            const char *a = line + n;
            while (*a == ' ' || *a == '\t')
                a++;
            *arg = a;
            return &tui_cmds[i];
        }
    }
    return NULL;
}

/* A command of the debugger language: output into the log; a stop it
 * caused goes through the lesson like any other. */
static void session_command(struct tui *t, const char *line)
{
    struct dbg_outbuf ob;
    struct dbg_stop before = *session_last_stop(t->s);

    dbg_outbuf_init(&ob);
    int rc = session_exec(t->s, line, &ob.out);
    if (ob.text && ob.len) {
        textbuf_write(&t->log, 'O', ob.text, ob.len);
        if (t->cfg.transcript)
            fputs(ob.text, t->cfg.transcript);
        char *last = ob.text + ob.len;
        while (last > ob.text && last[-1] == '\n')
            *--last = '\0';
        char *nl = strrchr(ob.text, '\n');
        snprintf(t->status, sizeof(t->status), "%s", nl ? nl + 1 : ob.text);
        t->status_error = rc < 0;
    }
    dbg_outbuf_fini(&ob);
    if (rc == SESSION_QUIT)
        t->quit = true;
    const struct dbg_stop *after = session_last_stop(t->s);
    if (memcmp(&before, after, sizeof(before)) != 0)
        runctl_note_stop(t, after);
    tui_touch(t);
}

void tui_command(struct tui *t, const char *line)
{
    const char *arg;

    while (*line == ' ' || *line == '\t')
        line++;
    textbuf_printf(&t->log, 'C', "%s%s", prompt_label(), line);
    if (t->cfg.transcript)
        fprintf(t->cfg.transcript, "%s%s\n", prompt_label(), line);
    const struct tui_cmd *c = find_cmd(line, &arg);
    if (c)
        c->fn(t, arg);
    else
        session_command(t, line);
}

/* ---- rendering ---- */

static void draw_status(struct tui *t, struct canvas c)
{
    static const char *const run_names[] = { "stopped", "running", "animating" };
    unsigned vm, vcpu;
    char buf[320];

    session_current(t->s, &vm, &vcpu);
    cv_fill(c, (struct rect){ 0, 0, c.r.w, 1 }, ' ', STY_STATUS);
    snprintf(buf, sizeof(buf), " vmscope | %s | vm%u.%u %s | %s | layout %s%s | F1 ? help",
             session_describe(t->s), vm, vcpu,
             x86_mode_name(x86_mode_of(session_cpu(t->s))), run_names[t->run],
             t->layout.name, t->zoom ? " (zoom)" : "");
    cv_text(c, 0, 0, -1, STY_STATUS, buf);
}

static void draw_pane(struct tui *t, struct lay_slot *sl, bool focused)
{
    struct pane *p = tui_pane(t, sl->name);
    struct canvas c = canvas_sub(canvas_of(t->scr), sl->r);
    char title[128], sub[96] = "";

    if (!p || c.r.w < 4 || c.r.h < 3)
        return;
    if (p->gen != t->gen && p->ops->update) {
        p->ops->update(p, t);
        p->gen = t->gen;
    }
    if (p->ops->subtitle)
        p->ops->subtitle(p, t, sub, sizeof(sub));
    snprintf(title, sizeof(title), "%s%s%s", p->ops->title, sub[0] ? ": " : "", sub);
    cv_box(c, title, focused ? STY_FOCUS : STY_BORDER);
    struct canvas in = canvas_sub(c, (struct rect){ 1, 1, c.r.w - 2, c.r.h - 2 });
    p->rows = in.r.h;
    p->ops->draw(p, t, in);
}

static void draw_bottom(struct tui *t)
{
    struct canvas all = canvas_of(t->scr);
    struct canvas msg = canvas_sub(all, (struct rect){ 0, t->scr->h - 2, t->scr->w, 1 });
    struct canvas pr = canvas_sub(all, (struct rect){ 0, t->scr->h - 1, t->scr->w, 1 });
    const char *hint = prompt_hint();

    if (hint[0])
        cv_text(msg, 0, 0, -1, STY_DIM, hint);
    else
        cv_text(msg, 0, 0, -1, t->status_error ? STY_ERROR : STY_NORMAL, t->status);
    prompt_draw(pr, t->at_prompt);
}

static void draw_help(struct tui *t)
{
    char lines[ACT_COUNT + 24][96];
    int n = keys_help_lines(lines, ACT_COUNT);
    int w = 84 < t->scr->w - 2 ? 84 : t->scr->w - 2, h = t->scr->h - 2;
    struct canvas c = canvas_sub(canvas_of(t->scr),
                                 (struct rect){ (t->scr->w - w) / 2, 1, w, h });

    snprintf(lines[n++], 96, "%s", "");
    snprintf(lines[n++], 96, "%s", "Prompt commands of the TUI (others go to the debugger):");
    for (size_t i = 0; i < sizeof(tui_cmds) / sizeof(tui_cmds[0]) && n < ACT_COUNT + 24; i++)
        if (strlen(tui_cmds[i].name) > 2 && strcmp(tui_cmds[i].name, "cont")
            && strcmp(tui_cmds[i].name, "restart"))
            snprintf(lines[n++], 96, "  %-8s %-20s %s", tui_cmds[i].name, tui_cmds[i].args,
                     tui_cmds[i].help);
    cv_fill(c, (struct rect){ 0, 0, w, h }, ' ', STY_NORMAL);
    cv_box(c, "Keys (Down/PgDn: more, any other key closes)", STY_FOCUS);
    if (t->help_scroll > n - (h - 2))
        t->help_scroll = n - (h - 2) > 0 ? n - (h - 2) : 0;
    for (int i = t->help_scroll; i < n && i - t->help_scroll < h - 2; i++)
        cv_text(c, 2, 1 + i - t->help_scroll, w - 4, STY_NORMAL, lines[i]);
}

static void draw_too_small(struct tui *t)
{
    struct canvas c = canvas_of(t->scr);
    char buf[128];

    snprintf(buf, sizeof(buf), "vmscope needs a terminal of at least %dx%d", TUI_MIN_W,
             TUI_MIN_H);
    cv_text(c, 0, 0, -1, STY_ERROR, buf);
    snprintf(buf, sizeof(buf), "this one is %dx%d: please enlarge it", t->scr->w, t->scr->h);
    cv_text(c, 0, 1, -1, STY_NORMAL, buf);
    cv_text(c, 0, 2, -1, STY_DIM, "(q quits)");
    cv_text(c, 0, 3, -1, t->status_error ? STY_ERROR : STY_NORMAL, t->status);
}

void tui_render(struct tui *t)
{
    screen_clear(t->scr);
    if (t->scr->w < TUI_MIN_W || t->scr->h < TUI_MIN_H) {
        draw_too_small(t);
        return;
    }
    draw_status(t, canvas_of(t->scr));
    if (t->zoom && t->nslots) {
        struct lay_slot z = { .name = t->slot[t->focus].name, .r = pane_area(t) };
        draw_pane(t, &z, true);
    } else {
        for (int i = 0; i < t->nslots; i++)
            draw_pane(t, &t->slot[i], i == t->focus && !t->at_prompt);
    }
    draw_bottom(t);
    if (t->help)
        draw_help(t);
    t->last_draw_ms = tui_now(t);
}
