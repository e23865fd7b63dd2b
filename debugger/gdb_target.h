/* gdb_target.h - what the gdb stub needs from the thing it debugs.
 *
 * The stub (gdbstub.h) speaks the protocol; a target implements these
 * operations over a machine (gdb_target_vm.h: a VM driven directly) or a
 * debugger session.  CPUs are numbered from 0; the stub presents CPU n
 * to gdb as thread n + 1.  Addresses are linear (virtual, translated by
 * the CPU's current paging); inspection never changes the guest.
 */
#ifndef VMS_GDB_TARGET_H
#define VMS_GDB_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/x86.h"

/* Breakpoint and watchpoint kinds: the numbers of Z0-Z4. */
enum gdb_bp_type {
    GDB_BP_SW = 0,       /* software breakpoint */
    GDB_BP_HW = 1,       /* hardware breakpoint */
    GDB_WP_WRITE = 2,
    GDB_WP_READ = 3,
    GDB_WP_ACCESS = 4,
};

enum gdb_stop_kind {
    GDB_STOP_NONE,       /* still running */
    GDB_STOP_STEP,       /* a single step finished */
    GDB_STOP_BREAK,      /* breakpoint (sw or hw, as set) at the PC */
    GDB_STOP_WATCH,      /* watchpoint hit: type/addr say which */
    GDB_STOP_INTERRUPT,  /* stopped on request (Ctrl-C) */
    GDB_STOP_FAULT,      /* the guest stopped for good (triple fault, engine
                            error, stuck) but its state can still be read:
                            status is a signal number; the next resume
                            reports KILLED */
    GDB_STOP_EXITED,     /* the guest ended: status is the exit status */
    GDB_STOP_KILLED,     /* the guest died (triple fault, engine error) */
};

struct gdb_stop {
    enum gdb_stop_kind kind;
    unsigned cpu;            /* which CPU stopped */
    enum gdb_bp_type type;   /* BREAK: SW or HW; WATCH: the kind of watchpoint */
    uint64_t addr;           /* WATCH: the address accessed */
    int status;              /* EXITED: exit status; KILLED: a signal number */
    char why[208];           /* one line for `monitor why` */
};

/* Output of a monitor command, one piece at a time. */
typedef void (*gdb_out_fn)(void *opaque, const char *text);

struct gdb_target_ops {
    /* Number of CPUs (threads). */
    unsigned (*ncpus)(void *t);
    int (*get_state)(void *t, unsigned cpu, struct cpu_state *s);
    int (*set_state)(void *t, unsigned cpu, const struct cpu_state *s);
    /* Read up to @len bytes at linear @addr as @cpu sees them; returns the
     * number of bytes readable from @addr on (0 when none), or < 0. */
    int (*read_mem)(void *t, unsigned cpu, uint64_t addr, void *buf, size_t len);
    /* Write @len bytes; all or nothing.  Returns 0 or < 0. */
    int (*write_mem)(void *t, unsigned cpu, uint64_t addr, const void *buf, size_t len);
    /* Insert (@insert) or remove a breakpoint/watchpoint.  Returns 0,
     * -VMS_ERR_UNSUPPORTED (gdb then falls back to its own means), or < 0. */
    int (*set_break)(void *t, enum gdb_bp_type type, uint64_t addr, uint64_t len, bool insert);
    /* Resume: single-step @step_cpu (>= 0; the other CPUs stay stopped) or,
     * with @step_cpu < 0, continue every CPU. */
    int (*resume)(void *t, int step_cpu);
    /* Run for a little while (a few ms of host time at most).  Returns 1
     * with @stop filled when the target stopped, 0 while it runs, < 0 on
     * failure. */
    int (*poll)(void *t, struct gdb_stop *stop);
    /* Ask a running target to stop; the next poll() reports it
     * (GDB_STOP_INTERRUPT). */
    void (*interrupt)(void *t);
    /* Run a command of vmscope's debugger language (`monitor CMD`);
     * output through @out.  Returns 0 or < 0 (-VMS_ERR_NOTFOUND: no such
     * command).  May be NULL. */
    int (*monitor)(void *t, const char *cmd, gdb_out_fn out, void *opaque);
    /* gdb detached (@kill false: let the guest run on) or killed it. */
    void (*detach)(void *t, bool kill);
};

#endif
