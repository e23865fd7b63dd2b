/* engine.c - engine selection: the only place that knows there are two. */
#include "engine.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm_engine.h"
#include "uc_engine.h"

#define KVM_DEVICE "/dev/kvm"

const char *engine_unicorn_version(void)
{
    return uc_engine_version();
}

int engine_kvm_probe(char *why, size_t len)
{
    return kvm_engine_probe(why, len);
}

/* The engine tables by name ("auto" is not one of them). */
static const struct vcpu_ops *const engines[] = { &uc_vcpu_ops, &kvm_vcpu_ops };

const struct vcpu_ops *engine_by_name(const char *name)
{
    for (unsigned i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
        if (!strcmp(engines[i]->name, name))
            return engines[i];
    return NULL;
}

int engine_choose(const char *name, const struct vcpu_ops **ops, char *why, size_t len)
{
    char kvm_why[160];

    why[0] = '\0';
    if (!strcmp(name, "unicorn")) {
        *ops = &uc_vcpu_ops;
        return 0;
    }
    if (!strcmp(name, "kvm")) {
        int err = engine_kvm_probe(kvm_why, sizeof(kvm_why));
        if (err < 0) {
            snprintf(why, len, "--engine kvm: %s", kvm_why);
            return err;
        }
        *ops = &kvm_vcpu_ops;
        return 0;
    }
    if (strcmp(name, "auto")) {
        snprintf(why, len, "--engine: '%s' is not auto, unicorn or kvm", name);
        return -VMS_ERR_INVAL;
    }
    int err = engine_kvm_probe(kvm_why, sizeof(kvm_why));
    if (err == 0) {
        *ops = &kvm_vcpu_ops;
        return 0;
    }
    *ops = &uc_vcpu_ops;
    /* A /dev/kvm that is there but unusable (permissions, old API) is
     * worth a word: the user can fix it.  Its absence, the common case on
     * machines without virtualization, is not; nor is a KVM-PVM one,
     * which is no CPU for these guests whatever the user does. */
    if (err == -VMS_ERR_NOKVM && access(KVM_DEVICE, F_OK) == 0)
        snprintf(why, len, "%s; using the Unicorn engine", kvm_why);
    return 0;
}

int engine_kernel_irqchip(const struct vcpu_ops **ops, char *why, size_t len)
{
    if (*ops == &kvm_vcpu_ops || *ops == &kvm_irqchip_vcpu_ops) {
        *ops = &kvm_irqchip_vcpu_ops;
        return 0;
    }
    snprintf(why, len, "--kvm-irqchip needs the KVM engine, not %s%s", (*ops)->name,
             *ops == &uc_vcpu_ops ? " (KVM's in-kernel interrupt controllers)" : "");
    return -VMS_ERR_INVAL;
}
