/* engine.h - choosing a vCPU engine, once, by name.
 *
 * "auto" takes KVM when /dev/kvm opens and works, else Unicorn; "unicorn"
 * and "kvm" force one.  Nothing else in vmscope asks which engine runs.
 */
#ifndef VMS_ENGINE_H
#define VMS_ENGINE_H

#include <stddef.h>

#include "err.h"
#include "vcpu.h"

/* Pick the engine for @name.  On success *ops is set and @why holds a
 * one-line note for the user, or "" (e.g. a fallback from KVM to Unicorn
 * is always said, never silent).  On failure returns -VMS_ERR_x and @why
 * says why in one line. */
int engine_choose(const char *name, const struct vcpu_ops **ops, char *why, size_t len)
    VMS_MUST_CHECK;

/* --kvm-irqchip: turn the engine engine_choose() gave into its variant
 * with KVM's in-kernel interrupt controllers.  -VMS_ERR_INVAL with a
 * one-line @why when *ops is not the KVM engine (e.g. --engine unicorn, or
 * auto without a usable KVM). */
int engine_kernel_irqchip(const struct vcpu_ops **ops, char *why, size_t len)
    VMS_MUST_CHECK;

/* The engine called @name ("unicorn", "kvm"), or NULL. */
const struct vcpu_ops *engine_by_name(const char *name);

/* Probe /dev/kvm: 0 when usable, else -VMS_ERR_NOKVM (or UNSUPPORTED for
 * KVM-PVM) with @why filled. */
int engine_kvm_probe(char *why, size_t len);

/* "2.1.4": the libunicorn this binary runs with. */
const char *engine_unicorn_version(void);

#endif
