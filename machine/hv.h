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
};

struct hv {
    struct vm *vm[HV_MAX_VMS];
    unsigned nvm;
    unsigned npcpu;
    uint64_t now;                      /* host virtual time, ns */
    uint64_t rounds;
    struct sched sched;
    struct evstream ev;
    volatile sig_atomic_t stop;        /* set by a signal handler or the UI */
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

/* Stop every running VM with @state/@status and @why. */
void hv_stop_all(struct hv *hv, enum vm_state state, int status, const char *why);

#endif
