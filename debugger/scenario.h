/* scenario.h - finding a scenario (a guest image plus its metadata) by name.
 *
 * A scenario directory holds scenario.conf ("key=value" lines: image=,
 * kind=, title=, expect_exit=, mem=, cpus=, symbols= for an image that
 * carries none (the debugger loads them), and disk= once per extra disk
 * image attached after the boot disk), the image, its .lst and .sym.  An
 * image run by its path takes the disk=, cpus= and symbols= lines of the
 * scenario.conf next to it that names it, so both ways of running a
 * scenario get the same machine.  A name is looked up in $VMSCOPE_SCENARIOS, then build/scenarios next to the
 * program, then ../share/vmscope/scenarios from the program's directory,
 * then $(PREFIX)/share/vmscope/scenarios.
 */
#ifndef VMS_SCENARIO_H
#define VMS_SCENARIO_H

#include <limits.h>
#include <stdbool.h>

#include "machine/err.h"

#define SCENARIO_MAX_DISKS 2

struct scenario {
    char name[64];
    char dir[PATH_MAX];
    char image[PATH_MAX];     /* full path of the image */
    char kind[16];            /* boot, multiboot, elf64, flat (informative) */
    char title[128];
    char mem[32];             /* suggested --mem, "" if none */
    int expect_exit;          /* -1 if not given */
    unsigned cpus;            /* suggested --cpus (vCPUs), 0 if none */
    char disk[SCENARIO_MAX_DISKS][PATH_MAX];  /* disk= lines, full paths */
    unsigned ndisks;
    char symbols[PATH_MAX];   /* symbols= (an `nm -n` listing), full path; "" none */
    char cmdline[512];        /* cmdline= (kernel arguments after the image name) */
    bool has_cmdline;         /* cmdline= given (even empty) */
};

/* Resolve @arg: an existing file is an image (no metadata); otherwise a
 * scenario name.  @argv0 locates the build tree.  -VMS_ERR_NOTFOUND with
 * a one-line detail when neither exists. */
int scenario_resolve(const char *arg, const char *argv0, struct scenario *out)
    VMS_MUST_CHECK;

#endif
