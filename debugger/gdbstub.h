/* gdbstub.h - the gdb remote stub: gdb's commands over a gdb_target.
 *
 * One connection at a time, all-stop: while the target runs the stub
 * polls it and watches the socket for Ctrl-C.  Packets served:
 * qSupported, qXfer:features:read (gdbregs.h's description), ?, g/G, p/P,
 * m/M/X (linear addresses), Z0-Z4/z0-z4, s, c, vCont/vCont?, qRcmd
 * (`monitor`), qAttached, qC, qfThreadInfo/qsThreadInfo,
 * qThreadExtraInfo, H, T, QStartNoAckMode, D, k, vKill.  Anything else
 * gets the empty reply ("not supported").  docs/GDB.md has the details.
 */
#ifndef VMS_GDBSTUB_H
#define VMS_GDBSTUB_H

#include <signal.h>
#include <stdbool.h>

#include "debugger/gdb_target.h"
#include "machine/err.h"

enum gdbstub_end {
    GDBSTUB_DETACHED,     /* D: the guest runs on without gdb */
    GDBSTUB_KILLED,       /* k / vKill */
    GDBSTUB_GUEST_ENDED,  /* the guest exited or died; gdb was told */
    GDBSTUB_DISCONNECTED, /* the connection dropped or @quit was set */
};

struct gdbstub_config {
    bool linear_pc;                 /* report CS.base + RIP outside 64-bit mode */
    unsigned arch;                  /* GDBREGS_I386 / GDBREGS_I8086 or 0 (x86-64) */
    volatile sig_atomic_t *quit;    /* set (e.g. by SIGINT) to stop serving; may be NULL */
};

/* Serve gdb on the connected socket @fd until it detaches, kills, the
 * guest ends or the connection drops.  The target must be stopped on
 * entry.  Returns how it ended (never fails: protocol errors are answered
 * with E packets; a broken connection is GDBSTUB_DISCONNECTED).  Does
 * not close @fd. */
enum gdbstub_end gdbstub_serve(int fd, const struct gdb_target_ops *ops, void *target,
                               const struct gdbstub_config *cfg);

/* --gdb-arch: "x86-64" -> 0, "i386" -> GDBREGS_I386, "i8086" ->
 * GDBREGS_I8086 (gdbregs.h); -VMS_ERR_INVAL for anything else. */
int gdbstub_parse_arch(const char *name, unsigned *arch) VMS_MUST_CHECK;

/* Listen on @spec ("PORT": loopback, or "ADDR:PORT"; port 0 picks one),
 * say where on stderr ("vmscope: waiting for gdb on 127.0.0.1:PORT"),
 * accept one connection (@cfg->quit gives up), serve it and close.  A
 * dropped connection detaches the target.  Returns 0 with *@end set, or
 * a negative error (bad spec, cannot listen, interrupted) with a
 * vms_lasterr() line. */
int gdbstub_listen_serve(const char *spec, const struct gdb_target_ops *ops, void *target,
                         const struct gdbstub_config *cfg, enum gdbstub_end *end)
    VMS_MUST_CHECK;

#endif
