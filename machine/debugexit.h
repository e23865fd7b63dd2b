/* debugexit.h - QEMU's isa-debug-exit device at port 0xF4 (4 ports).
 *
 * A guest ends the run by writing a value v of any width (1, 2 or 4 bytes)
 * anywhere in the range.  QEMU calls exit((v << 1) | 1); the host process
 * then reports that value modulo 256 (POSIX keeps only the low 8 bits of an
 * exit status), so the status a scenario sees is ((v << 1) | 1) & 0xFF:
 * always odd, and 0 can never be reported (writing 0 gives 1).  vmscope
 * reports exactly that number so the same image ends with the same status
 * under vmscope and under qemu-system-x86_64 -device isa-debug-exit.
 * Reads are not decoded (the bus returns all ones, QEMU has no read op).
 */
#ifndef VMS_DEBUGEXIT_H
#define VMS_DEBUGEXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"

struct debugexit {
    struct dev_ctx ctx;                         /* copy; clock/ev may be NULL */
    void (*on_exit)(void *opaque, int status);  /* may be NULL */
    void *opaque;
    bool exited;        /* a write happened */
    int status;         /* status of the last write, 0-255 */
};

/* The exit status QEMU's isa-debug-exit produces for a write of @value. */
int debugexit_status(uint64_t value);

/* @ctx may be NULL.  @on_exit is called for every write, with the status;
 * stopping the VM is the caller's business.  Never fails for valid @d. */
int debugexit_init(struct debugexit *d, const struct dev_ctx *ctx,
                   void (*on_exit)(void *opaque, int status), void *opaque)
    VMS_MUST_CHECK;
/* Map PORT_DEBUG_EXIT..+PORT_DEBUG_EXIT_LEN-1 as "debugexit". */
int debugexit_attach(struct debugexit *d, struct bus *b) VMS_MUST_CHECK;
/* Nothing is owned; present so every init has its destroy. */
void debugexit_destroy(struct debugexit *d);

#endif
