/* session_priv.h - the session's insides, shared by its modules
 * (session.c: life cycle, execution control, breakpoints; views.c: the
 * view models; cmd.c: the command language).  Not for clients. */
#ifndef VMS_SESSION_PRIV_H
#define VMS_SESSION_PRIV_H

#include <capstone/capstone.h>
#include <limits.h>
#include <signal.h>

#include "debugger/scenario.h"
#include "debugger/session.h"
#include "machine/hv.h"

#define SESSION_MAX_BP    128
#define SESSION_MAX_IBRK  4
#define SESSION_MAX_DISPLAY 16
#define SESSION_LINE_MAX  512

#define SESSION_MAX_DEVREGS 256

/* The last write to each device register (session_device_regs). */
struct session_devreg {
    uint16_t vm;
    char dev[16];
    struct dbg_devreg r;
};

/* A gdb `display`: a command run after every stop. */
struct session_display {
    int id;
    char cmd[128];
};

struct session {
    struct session_config cfg;      /* strings point into the arrays below */
    char target[PATH_MAX];
    char symfile[PATH_MAX];
    char engine_name[32];
    char argv0[PATH_MAX];
    struct scenario sc;
    const struct vcpu_ops *engine;
    struct hv *hv;
    struct symtab syms;
    char desc[256];
    csh cs;                         /* capstone, detail on */

    unsigned cur_vm, cur_vcpu;
    struct cpu_state cpu;           /* current vCPU state cache */
    bool cpu_valid;
    /* states at the last two stops, for the changed-set */
    struct cpu_state stop_cpu, prev_cpu;
    bool have_stop, have_prev;
    unsigned stop_vm, stop_vcpu, prev_vm, prev_vcpu;
    struct dbg_stop last;
    struct dbg_bp stop_bp;          /* the breakpoint of the last stop (even if deleted) */

    struct dbg_bp bp[SESSION_MAX_BP];
    unsigned nbp;
    int next_id;
    /* internal breakpoints of next/finish/until (linear) */
    uint64_t ibrk[SESSION_MAX_IBRK];
    unsigned nibrk;
    /* fingerprint of the debug state each vCPU has, to skip set_debug */
    uint64_t applied[HV_MAX_VMS][VM_MAX_VCPUS];
    bool applied_valid[HV_MAX_VMS][VM_MAX_VCPUS];
    bool stepping[HV_MAX_VMS][VM_MAX_VCPUS];
    /* An engine refused breakpoints (-VMS_ERR_UNSUPPORTED: e.g. KVM
     * nested under emulation, where DR0-3 never fire): the session
     * single-steps and compares each new pc instead (session.c). */
    bool step_breaks;

    struct session_devreg devreg[SESSION_MAX_DEVREGS];
    unsigned ndevreg, devreg_last;
    struct ev_sink sink;
    bool running;                   /* inside a resume: the sink may stop us */
    bool ev_hit;
    int ev_bp;
    struct event ev;
    volatile sig_atomic_t interrupt;

    struct dbg_out *out;            /* output of the command being run */
    bool console_mid;               /* guest output ended mid-line */
    unsigned console_vm;            /* ... of this VM */
    bool batch;
    char last_line[SESSION_LINE_MAX];
    uint64_t last_x;                /* $_ : the last address x examined */
    uint64_t next_x;                /* where a bare `x` continues */
    char x_fmt;                     /* last x format letter, size letter */
    char x_size;
    struct session_display display[SESSION_MAX_DISPLAY];
    unsigned ndisplay;
    int next_display;
    unsigned source_depth;
    char complete[160];             /* session_complete()'s result */
};

/* The current vCPU and its VM. */
struct vm *session_cur_vm(struct session *s);
/* Refresh the state cache if needed; NULL on engine failure. */
const struct cpu_state *session_state(struct session *s);
/* Linear address of the current instruction. */
uint64_t session_pc(struct session *s);
/* Linear address of CS:@rip in state @c. */
uint64_t dbg_code_linear(const struct cpu_state *c, uint64_t rip);
/* Word size of the current mode in bytes (2, 4, 8). */
unsigned session_word(struct session *s);
/* Reload the hidden part of segment @seg from selector @sel (real mode:
 * base = sel << 4; else the GDT/LDT descriptor). */
int session_load_seg(struct session *s, struct cpu_state *c, int seg, uint16_t sel);
/* Bytes the function at @pc has pushed since its first instruction, when
 * pc is in its straight-line start (decoded from the symbol; word @w). */
bool session_prologue_depth(struct session *s, uint64_t pc, unsigned w, int64_t *delta);
/* Is @ret (an offset in CS) a return address worth following: mapped, and
 * inside a symbol when the image has symbols? */
bool session_plausible_return(struct session *s, const struct cpu_state *c, uint64_t ret);
/* Print "=> 0x7c05 <start+5>:\tmov ax, 0x10" for the current pc. */
void session_print_pc_line(struct session *s, struct dbg_out *out);

#endif
