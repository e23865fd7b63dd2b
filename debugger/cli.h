/* cli.h - the line-mode front end of the debugger: `vmscope debug`.
 *
 *   vmscope debug [options] IMAGE|SCENARIO
 *     --batch FILE   run FILE's commands, print a deterministic transcript
 *                    (each command echoed as "(vmscope) CMD"), exit
 *     -ex CMD        run CMD first (repeatable; with no --batch the REPL
 *                    follows unless a command quits)
 *   vmscope help --markdown   the command reference (docs/COMMANDS.md)
 * Interactive mode is a readline REPL with a history file ($VMSCOPE_HISTORY
 * or ~/.vmscope_history) and completion from the command table.
 */
#ifndef VMS_DBG_CLI_H
#define VMS_DBG_CLI_H

/* Run `vmscope debug` with @argv[0] == "debug"; returns the process
 * status (0 ok, 1 a command failed in batch mode, 2 usage or bad image). */
int dbg_cli_main(int argc, char **argv, const char *argv0);

/* `vmscope help [--markdown]`: the command reference on stdout. */
int dbg_cli_help(int argc, char **argv);

#endif
