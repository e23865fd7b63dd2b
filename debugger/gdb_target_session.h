/* gdb_target_session.h - a gdb_target over a debugger session.
 *
 * gdb then shares the session with vmscope's own debugger: its Z packets
 * become session breakpoints and watchpoints (listed by `monitor info
 * breakpoints`), `monitor CMD` runs any command of the debugger's language
 * (docs/COMMANDS.md: `monitor x/5i $pc` disassembles in the guest's
 * current mode, `monitor info tab`, `monitor catch exception 14`, ...)
 * and the session's event breakpoints stop gdb's `continue` too.  The
 * threads are every vCPU of every VM, VM by VM.
 */
#ifndef VMS_GDB_TARGET_SESSION_H
#define VMS_GDB_TARGET_SESSION_H

#include "debugger/gdb_target.h"
#include "debugger/session.h"

struct gdb_session_target;

extern const struct gdb_target_ops gdb_session_target_ops;

/* A target over @s (which must outlive it). */
int gdb_session_target_create(struct gdb_session_target **out, struct session *s)
    VMS_MUST_CHECK;
void gdb_session_target_destroy(struct gdb_session_target *t);

/* `vmscope debug --gdb SPEC`: serve one gdb connection on @spec (see
 * gdbstub_listen_serve) over @s, with the register layout @arch
 * (gdbstub_parse_arch: --gdb-arch).  When gdb detaches or goes away, the
 * guest runs on to its end.  Returns 0 or a negative error (with a
 * vms_lasterr() line). */
int gdb_session_serve(struct session *s, const char *spec, unsigned arch) VMS_MUST_CHECK;

#endif
