/* gdb_target_vm.h - a gdb_target over one VM of a hypervisor, driven
 * directly through the vCPU engine interface (machine/vcpu.h).
 *
 * While gdb holds it, the VM runs here instead of in hv_round(): its vCPUs
 * take turns in slices, timers fire on the VM's virtual clock, interrupts
 * are injected as the run loop would (not during a single step, like
 * QEMU's stub), and the run stops at breakpoints, watchpoints, a finished
 * step, Ctrl-C or the end of the guest.  Breakpoints use the engine's
 * set_debug when it has one; otherwise the VM is single-stepped while
 * breakpoints exist and each linear PC is compared (slower, same result).
 */
#ifndef VMS_GDB_TARGET_VM_H
#define VMS_GDB_TARGET_VM_H

#include "debugger/gdb_target.h"
#include "machine/hv.h"

struct gdb_vm_target;

extern const struct gdb_target_ops gdb_vm_target_ops;

/* A target for @vm (owned by @hv, which must outlive the target). */
int gdb_vm_target_create(struct gdb_vm_target **out, struct hv *hv, struct vm *vm)
    VMS_MUST_CHECK;
void gdb_vm_target_destroy(struct gdb_vm_target *t);

#endif
