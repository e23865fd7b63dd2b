/* hv.h - the hypervisor: VMs, simulated physical CPUs, the run loop.
 *
 * Host time (hv->now, virtual ns) advances in scheduling rounds.  A VM's
 * clock follows host time: at the start of a slice it is brought up to
 * hv->now (time passes for a VM while it is descheduled, as on a real
 * hypervisor), then advances by the instructions its vCPU retires.  When
 * no vCPU anywhere can run, host time jumps to the earliest timer
 * deadline.  Everything is deterministic: no host clock is read except
 * for --timeout.
 */
#ifndef VMS_HV_H
#define VMS_HV_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "sched.h"
#include "vm.h"

#define HV_MAX_VMS   64
#define HV_MAX_PCPUS 64
#define HV_DEFAULT_QUANTUM 1000000ull   /* 1 ms of virtual time */

struct hv_config {
    unsigned npcpu;
    uint64_t quantum;                  /* virtual ns; 0: default */
    const struct sched_ops *policy;    /* NULL: round-robin */
    bool exact_slices;                 /* every slice one quantum, even for a
                                          lone vCPU (tests counting rounds) */
};

struct hv {
    struct vm *vm[HV_MAX_VMS];
    unsigned nvm;
    unsigned npcpu;
    uint64_t now;                      /* host virtual time, ns */
    uint64_t rounds;
    bool exact_slices;
    struct sched sched;
    struct evstream ev;
    volatile sig_atomic_t stop;        /* set by a signal handler or the UI */
    /* Debugger control (debugger/session.c).  A run that ends with a
     * debug exit (VEXIT_STEP, VEXIT_BREAK, VEXIT_WATCH) ends the slice and
     * the round: dbg_vcpu says which vCPU stopped and dbg_exit how.
     * Setting dbg_stop (an event sink, the UI; then vcpu_kick() the running
     * vCPU) ends them the same way with dbg_vcpu left NULL. */
    volatile sig_atomic_t dbg_stop;
    struct vcpu *dbg_vcpu;
    struct vcpu_exit dbg_exit;
};

/* Create an empty hypervisor (caller owns; hv_destroy releases the VMs). */
int hv_create(struct hv **out, const struct hv_config *cfg) VMS_MUST_CHECK;
void hv_destroy(struct hv *hv);

/* Take ownership of @vm and put its vCPUs under the scheduler. */
int hv_add_vm(struct hv *hv, struct vm *vm) VMS_MUST_CHECK;

/* One scheduling round over every pCPU.  Returns true while some VM is
 * still running. */
bool hv_round(struct hv *hv);

/* True while some VM is running. */
bool hv_any_running(const struct hv *hv);

/* Run only vCPU @v once (inject what is pending, run at most @budget
 * instructions, account, handle the exit, report mode/CR3 changes), as
 * one step of its slice; the exit is copied to @ex.  Host time does not
 * advance.  Returns false, running nothing, when @v cannot run now (its
 * VM has stopped, it waits for INIT/SIPI, or it is halted with no
 * interrupt to take). */
bool hv_run_vcpu(struct hv *hv, struct vcpu *v, uint64_t budget, struct vcpu_exit *ex);

/* Clear the debugger stop state before resuming. */
void hv_dbg_clear(struct hv *hv);

/* Stop every running VM with @state/@status and @why. */
void hv_stop_all(struct hv *hv, enum vm_state state, int status, const char *why);

#endif
