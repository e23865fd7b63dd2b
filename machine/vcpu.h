/* vcpu.h - one virtual CPU and the engine interface behind it.
 *
 * An engine (Unicorn, KVM) is chosen once, when the vCPU is created, by
 * the ops table it is given; nothing else in vmscope asks which engine it
 * is.  Engines translate whatever stopped the guest into one struct
 * vcpu_exit.  Port I/O and MMIO are synchronous: the engine fills an exit
 * and calls vcpu->io(vcpu, &exit) (the run loop's single handler) and, for
 * reads, hands exit.value to the guest.  Everything else ends run().
 */
#ifndef VMS_VCPU_H
#define VMS_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "x86.h"

struct vm;
struct vcpu;

enum vcpu_exit_kind {
    VEXIT_NONE,
    VEXIT_BUDGET,    /* the instruction budget is spent */
    VEXIT_KICK,      /* vcpu_kick() asked the guest to stop (IRQ raised, UI) */
    VEXIT_PIO,       /* port I/O (synchronous, through vcpu->io) */
    VEXIT_MMIO,      /* MMIO (synchronous, through vcpu->io) */
    VEXIT_HLT,       /* HLT executed; RIP is after it */
    VEXIT_STEP,      /* single step completed */
    VEXIT_BREAK,     /* breakpoint at RIP (not executed yet) */
    VEXIT_WATCH,     /* watchpoint: addr/size/write/value say which access;
                        the access has completed, RIP is after it */
    VEXIT_SHUTDOWN,  /* triple fault: the VM must shut down */
    VEXIT_ERROR,     /* engine failure; text says what */
};

struct vcpu_exit {
    enum vcpu_exit_kind kind;
    uint64_t executed;   /* instructions retired by this run() */
    uint64_t rip;        /* RIP of the instruction that exited */
    /* PIO / MMIO */
    uint64_t addr;       /* port or guest-physical address */
    uint64_t value;      /* written value, or the value read (set by io) */
    uint8_t size;        /* 1, 2, 4, 8 */
    bool write;
    char text[96];       /* SHUTDOWN / ERROR: the reason, one line */
};

/* Debug requests an engine honours (vcpu_ops.set_debug).  Breakpoints are
 * on linear addresses (CS.base + RIP), checked before the instruction
 * executes.  Watchpoints are on linear addresses, or on guest-physical
 * addresses when @phys is set; the run ends with VEXIT_WATCH after the
 * access.  Engines with fewer hardware slots than asked (KVM: 4 debug
 * registers, aligned lengths 1/2/4/8) return -VMS_ERR_RANGE. */
#define VCPU_MAX_BREAK 64
#define VCPU_MAX_WATCH 16

enum vcpu_watch_kind { WATCH_WRITE = 1, WATCH_READ = 2, WATCH_ACCESS = 3 };

struct vcpu_watch {
    uint64_t addr, len;
    unsigned kind;           /* enum vcpu_watch_kind bits */
    bool phys;               /* addr is guest-physical */
};

struct vcpu_debug {
    unsigned nbreak;
    uint64_t brk[VCPU_MAX_BREAK];
    unsigned nwatch;
    struct vcpu_watch watch[VCPU_MAX_WATCH];
};

/* Why an interrupt is being delivered (for the event stream). */
enum vcpu_irq_source { IRQSRC_PIC, IRQSRC_APIC, IRQSRC_NMI };

struct vcpu_ops {
    const char *name;                 /* "unicorn", "kvm", "kvm-irqchip" */
    /* The interrupt controllers (8259 pair, I/O APIC, local APICs) live in
     * the engine, not in vmscope (KVM's in-kernel irqchip, --kvm-irqchip):
     * device IRQ lines go to the engine (platform_route_irqs), the engine
     * starts application processors itself (they are runnable from the
     * start and wait for INIT/SIPI inside the engine), injections are not
     * seen by vmscope, and the VM cannot move to another engine. */
    bool kernel_irqchip;
    /* Create the engine state for @v (memory comes from v->vm). */
    int (*create)(struct vcpu *v);
    /* Release everything create() made; safe on a half-created vCPU. */
    void (*destroy)(struct vcpu *v);
    /* Run until an exit or until @budget instructions are spent; fill @ex
     * (ex->executed always set).  Returns 0, or -VMS_ERR_x on engine
     * failure (ex->kind = VEXIT_ERROR with text). */
    int (*run)(struct vcpu *v, uint64_t budget, struct vcpu_exit *ex);
    /* Read / write the complete architectural state. */
    int (*get_state)(struct vcpu *v, struct cpu_state *s);
    int (*set_state)(struct vcpu *v, const struct cpu_state *s);
    /* True when the guest accepts a maskable interrupt now (IF=1 and no
     * STI/MOV SS interrupt shadow).  An engine with kernel_irqchip says
     * true: it decides itself once the vCPU runs. */
    bool (*can_inject)(struct vcpu *v);
    /* Deliver external interrupt @vector at this instruction boundary. */
    int (*inject)(struct vcpu *v, uint8_t vector);
    /* NMI (SDM Vol. 3A 6.7.1): true when the guest takes one now (not
     * while an NMI handler runs, i.e. until its IRET, nor in an STI/MOV SS
     * shadow; IF does not matter); inject_nmi delivers it through vector 2
     * and blocks further NMIs until the next IRET.  NULL: no NMIs. */
    bool (*can_inject_nmi)(struct vcpu *v);
    int (*inject_nmi)(struct vcpu *v);
    /* Enable or disable single-stepping: run() then ends with VEXIT_STEP
     * after each instruction. */
    int (*set_step)(struct vcpu *v, bool on);
    /* Replace the vCPU's breakpoints and watchpoints with @d (NULL or
     * empty: none).  Resuming at a breakpoint's own address executes that
     * instruction (the breakpoint fires again only when it is reached
     * anew). */
    int (*set_debug)(struct vcpu *v, const struct vcpu_debug *d);
    /* The host wrote guest RAM [gpa, gpa+len): forget stale translations. */
    void (*mem_written)(struct vcpu *v, uint64_t gpa, uint64_t len);
    /* Event kinds (bits 1u << enum ev_kind, machine/event.h) this engine
     * cannot report because the CPU handles them without an exit; 0: it
     * reports every kind. */
    uint32_t unreported_events;
};

struct vcpu {
    struct vm *vm;
    const struct vcpu_ops *ops;
    void *engine;             /* engine-private state, owned by ops */
    unsigned index;           /* within the VM */
    /* Synchronous I/O handler: the run loop's exit switch. */
    void (*io)(struct vcpu *v, struct vcpu_exit *ex);
    /* Report something the engine did by itself (EV_EXCEPTION, EV_SOFTINT,
     * EV_SYSCALL): the VM fills vm/vcpu/vtime/seq and emits it. */
    void (*note)(struct vcpu *v, struct event *e);
    /* Set from any thread (signal-safe): stop at the next block boundary
     * with VEXIT_KICK.  Engines poll it. */
    volatile int kick;
    /* An engine's word that vcpu_kick() zeroes too (NULL: none): the
     * Unicorn engine's per-block fast path compares only with it. */
    volatile uint64_t *kick_limit;
    /* Scheduler state */
    bool halted;              /* in HLT, waiting for an interrupt */
    bool runnable;            /* started (APs wait for INIT/SIPI) */
    bool scheduled;           /* on a pCPU in the current round */
    uint64_t run_start;       /* VM time (ns) when the current run() began:
                                 synchronous I/O sees run_start + the
                                 instructions retired so far */
    uint64_t insns;           /* instructions retired, total */
    uint64_t exits;           /* exits handled, total */
};

static inline void vcpu_kick(struct vcpu *v)
{
    v->kick = 1;
    if (v->kick_limit)
        *v->kick_limit = 0;
}

/* The engines vmscope has.  kvm_vcpu_ops may be absent (NULL engine
 * table) on hosts without KVM support compiled in. */
extern const struct vcpu_ops uc_vcpu_ops;

#endif
