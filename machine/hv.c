/* hv.c - the hypervisor's run loop over simulated physical CPUs. */
#include "hv.h"

#include <stdlib.h>
#include <string.h>

#include "memmap.h"

int hv_create(struct hv **out, const struct hv_config *cfg)
{
    if (cfg->npcpu == 0 || cfg->npcpu > HV_MAX_PCPUS)
        return vms_seterr(VMS_ERR_INVAL, "%u physical CPUs: 1 to %u are supported",
                          cfg->npcpu, HV_MAX_PCPUS);
    struct hv *hv = calloc(1, sizeof(*hv));
    if (!hv)
        return -VMS_ERR_NOMEM;
    hv->npcpu = cfg->npcpu;
    hv->exact_slices = cfg->exact_slices;
    ev_init(&hv->ev);
    sched_init(&hv->sched, cfg->policy ? cfg->policy : &sched_round_robin,
               cfg->quantum ? cfg->quantum : HV_DEFAULT_QUANTUM);
    *out = hv;
    return 0;
}

void hv_destroy(struct hv *hv)
{
    if (!hv)
        return;
    for (unsigned i = 0; i < hv->nvm; i++)
        vm_destroy(hv->vm[i]);
    free(hv);
}

int hv_add_vm(struct hv *hv, struct vm *vm)
{
    if (hv->nvm == HV_MAX_VMS)
        return vms_seterr(VMS_ERR_INVAL, "more than %d VMs", HV_MAX_VMS);
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        int err = sched_add(&hv->sched, vm->vcpu[i]);
        if (err < 0)
            return err;
    }
    hv->vm[hv->nvm++] = vm;
    return 0;
}

bool hv_any_running(const struct hv *hv)
{
    for (unsigned i = 0; i < hv->nvm; i++)
        if (hv->vm[i]->state == VM_RUNNING)
            return true;
    return false;
}

void hv_stop_all(struct hv *hv, enum vm_state state, int status, const char *why)
{
    for (unsigned i = 0; i < hv->nvm; i++)
        vm_stop(hv->vm[i], state, status, "%s: %s", hv->vm[i]->name, why);
}

/* Can @v use a pCPU now?  (Also used as the policy's filter.) */
static bool vcpu_eligible(struct vcpu *v)
{
    if (v->vm->state != VM_RUNNING || !v->runnable || v->scheduled)
        return false;
    return !v->halted || (vm_irq_pending(v) && v->ops->can_inject(v)) || vm_nmi_ready(v);
}

/* The budget for the next run(): the rest of the slice, cut at the VM's
 * next timer deadline and its instruction limit. */
static uint64_t run_budget(struct vcpu *v, uint64_t left)
{
    struct vm *vm = v->vm;
    uint64_t now = vclock_now(&vm->clock);
    uint64_t deadline = vclock_next_deadline(&vm->clock);
    uint64_t budget = left / VCLOCK_NS_PER_INSN;

    if (deadline != VCLOCK_NEVER) {
        uint64_t until = deadline > now ? (deadline - now) / VCLOCK_NS_PER_INSN : 0;
        if (until < budget)
            budget = until;
    }
    if (vm->insn_limit && vm->insn_limit - vm->insns < budget)
        budget = vm->insn_limit - vm->insns;
    return budget ? budget : 1;
}

static bool is_debug_exit(enum vcpu_exit_kind k)
{
    return k == VEXIT_STEP || k == VEXIT_BREAK || k == VEXIT_WATCH;
}

/* Run @v once: inject what is pending, run, account, handle the exit.
 * Returns the virtual ns consumed, or UINT64_MAX when the vCPU blocks.
 * The exit is left in @ex. */
static uint64_t run_once(struct hv *hv, struct vcpu *v, uint64_t left, struct vcpu_exit *out)
{
    struct vm *vm = v->vm;
    struct vcpu_exit ex;

    if (vm_try_inject(v) < 0) {
        vm_stop(vm, VM_FAILED, VMS_STATUS_ENGINE, "%s: cannot inject: %s",
                vm->name, vms_lasterr(VMS_ERR_ENGINE));
        return UINT64_MAX;
    }
    if (v->halted || !v->runnable)   /* an AP that got INIT waits for STARTUP */
        return UINT64_MAX;
    memset(&ex, 0, sizeof(ex));
    memset(out, 0, sizeof(*out));
    v->kick = 0;
    v->run_start = vclock_now(&vm->clock);
    int err = v->ops->run(v, run_budget(v, left), &ex);
    if (err < 0 && ex.kind != VEXIT_ERROR) {
        ex.kind = VEXIT_ERROR;
        snprintf(ex.text, sizeof(ex.text), "%s", vms_lasterr(err));
    }
    uint64_t ns = ex.executed * VCLOCK_NS_PER_INSN;
    v->insns += ex.executed;
    vm->insns += ex.executed;
    vclock_advance_to(&vm->clock, v->run_start + ns);
    vm_handle_exit(v, &ex);
    vm_check_control(v);
    if (vm->insn_limit && vm->insns >= vm->insn_limit)
        vm_stop(vm, VM_LIMIT, VMS_STATUS_INSN_LIMIT,
                "%s: instruction limit %llu reached", vm->name,
                (unsigned long long)vm->insn_limit);
    if (is_debug_exit(ex.kind)) {
        hv->dbg_vcpu = v;
        hv->dbg_exit = ex;
        hv->dbg_stop = 1;
    }
    *out = ex;
    return ns ? ns : 1;
}

bool hv_run_vcpu(struct hv *hv, struct vcpu *v, uint64_t budget, struct vcpu_exit *ex)
{
    memset(ex, 0, sizeof(*ex));
    if (v->vm->state != VM_RUNNING || !v->runnable)
        return false;   /* an AP waiting for INIT/SIPI does not run */
    if (budget == 0)
        budget = 1;
    uint64_t left = budget > UINT64_MAX / VCLOCK_NS_PER_INSN ? UINT64_MAX - 1
                                                             : budget * VCLOCK_NS_PER_INSN;
    return run_once(hv, v, left, ex) != UINT64_MAX;
}

void hv_dbg_clear(struct hv *hv)
{
    hv->dbg_stop = 0;
    hv->dbg_vcpu = NULL;
    memset(&hv->dbg_exit, 0, sizeof(hv->dbg_exit));
}

/* The only vCPU of the only VM keeps its pCPU for up to ALONE_QUANTA
 * quanta in one slice: no other vCPU could be scheduled in between, and
 * ending a slice costs a few microseconds of host time (on Unicorn the
 * exact last instructions run under a code hook, which translates their
 * block twice): ~2% of a compute-bound guest at the default 1 ms quantum.
 * Timer deadlines still end each run exactly, so the guest sees the same
 * thing; the trace has fewer sched events. */
#define ALONE_QUANTA 16u

/* Give @v one slice on @pcpu.  Returns the virtual ns it used. */
static uint64_t run_slice(struct hv *hv, struct vcpu *v, unsigned pcpu)
{
    struct vm *vm = v->vm;
    uint64_t quantum = hv->sched.ops->quantum(&hv->sched, v);
    uint64_t used = 0;

    if (!hv->exact_slices && hv->nvm == 1 && vm->nvcpu == 1 &&
        quantum <= UINT64_MAX / ALONE_QUANTA)
        quantum *= ALONE_QUANTA;

    vclock_advance_to(&vm->clock, hv->now);
    struct event e = { .kind = EV_SCHED, .pcpu = (uint16_t)pcpu };
    snprintf(e.text, sizeof(e.text), "%s.vcpu%u on pcpu%u (%s)", vm->name, v->index,
             pcpu, v->halted ? "woken" : hv->sched.ops->name);
    vm_note(v, &e);
    while (used < quantum && vm->state == VM_RUNNING && !hv->stop && !hv->dbg_stop) {
        struct vcpu_exit ex;
        uint64_t ns = run_once(hv, v, quantum - used, &ex);
        if (ns == UINT64_MAX)
            break;
        used += ns;
    }
    hv->sched.ops->account(&hv->sched, v, used);
    return used;
}

/* Nobody could run: jump host time to the earliest timer of any VM, or
 * declare the VMs stuck when nothing will ever happen. */
static void idle_advance(struct hv *hv)
{
    uint64_t next = VCLOCK_NEVER;

    for (unsigned i = 0; i < hv->nvm; i++) {
        struct vm *vm = hv->vm[i];
        if (vm->state == VM_RUNNING && vclock_next_deadline(&vm->clock) < next)
            next = vclock_next_deadline(&vm->clock);
    }
    if (next == VCLOCK_NEVER) {
        for (unsigned i = 0; i < hv->nvm; i++)
            vm_stop_idle(hv->vm[i]);
        return;
    }
    if (next > hv->now)
        hv->now = next;
    for (unsigned i = 0; i < hv->nvm; i++)
        if (hv->vm[i]->state == VM_RUNNING)
            vclock_advance_to(&hv->vm[i]->clock, hv->now);
}

bool hv_round(struct hv *hv)
{
    struct vcpu *ran[HV_MAX_PCPUS];
    uint64_t longest = 0;
    unsigned n = 0;

    for (unsigned p = 0; p < hv->npcpu && !hv->stop && !hv->dbg_stop; p++) {
        struct vcpu *v = hv->sched.ops->pick(&hv->sched, p, vcpu_eligible);
        if (!v)
            break;
        v->scheduled = true;
        ran[n++] = v;
        uint64_t used = run_slice(hv, v, p);
        if (used > longest)
            longest = used;
    }
    for (unsigned i = 0; i < n; i++)
        ran[i]->scheduled = false;
    hv->rounds++;
    if (n == 0)
        idle_advance(hv);
    else
        hv->now += longest;
    return hv_any_running(hv);
}
