/* cmd.h - the command table of the debugger's language.
 *
 * One table (cmd.c) lists every command: its name (gdb's first), aliases
 * (gdb abbreviations, Bochs and QEMU monitor names), argument synopsis,
 * one-line help and details.  The parser (session_exec), `help`, the
 * readline/TUI completion (session_complete) and docs/COMMANDS.md
 * (cmd_write_markdown, `vmscope help --markdown`) are all generated from it.
 */
#ifndef VMS_DBG_CMD_H
#define VMS_DBG_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "debugger/session.h"

struct cmd_ctx;

/* What a command's arguments complete to. */
enum cmd_complete { CC_NONE, CC_LOCATION, CC_EXPR, CC_FILE, CC_EVENT, CC_DEVICE };

/* Command groups, in the order help and the reference list them. */
enum cmd_group { CG_RUN, CG_BREAK, CG_DATA, CG_CPU, CG_MEMORY, CG_MACHINE, CG_SESSION,
                 CG_COUNT };

struct dbg_cmd {
    const char *name;        /* "info registers": one or two words */
    const char *aliases;     /* space-separated; two-word ones joined by '_' */
    const char *args;        /* synopsis of the arguments, "" none */
    const char *help;        /* one line */
    const char *details;     /* more (may be NULL) */
    enum cmd_group group;
    enum cmd_complete complete;
    bool repeat;             /* an empty line repeats it (interactive only) */
    bool format;             /* takes a /FMT suffix (x, print, display) */
    int (*run)(struct cmd_ctx *c);
};

extern const struct dbg_cmd dbg_cmds[];
extern const unsigned dbg_ncmds;
extern const char *const cmd_group_names[CG_COUNT];

/* Find the command a line starts with; *rest points after its name (and
 * after a /FMT suffix, stored in @fmt).  NULL when unknown or ambiguous
 * (then @err says which). */
const struct dbg_cmd *cmd_find(const char *line, const char **rest, char *fmt, size_t fmtlen,
                               char *err, size_t errlen);

/* The reference in Markdown (docs/COMMANDS.md). */
void cmd_write_markdown(struct dbg_out *out);

#endif
