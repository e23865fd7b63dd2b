/* engine.c - engine selection. */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uc_engine.h"

#define KVM_DEVICE "/dev/kvm"
#define KVM_GET_API_VERSION_IOCTL 0xAE00   /* _IO(KVMIO, 0x00) */
#define KVM_API_VERSION_EXPECTED 12

const char *engine_unicorn_version(void)
{
    return uc_engine_version();
}

int engine_kvm_probe(char *why, size_t len)
{
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        if (errno == EACCES)
            snprintf(why, len, KVM_DEVICE " exists but cannot be opened: permission "
                     "denied (add the user to the 'kvm' group)");
        else
            snprintf(why, len, KVM_DEVICE " is not usable: %s", strerror(errno));
        return -VMS_ERR_NOKVM;
    }
    int api = ioctl(fd, KVM_GET_API_VERSION_IOCTL, 0);
    close(fd);
    if (api != KVM_API_VERSION_EXPECTED) {
        snprintf(why, len, KVM_DEVICE " reports API version %d, not %d", api,
                 KVM_API_VERSION_EXPECTED);
        return -VMS_ERR_NOKVM;
    }
    snprintf(why, len, "the KVM engine is not built into this vmscope yet");
    return -VMS_ERR_UNSUPPORTED;
}

int engine_choose(const char *name, const struct vcpu_ops **ops, char *why, size_t len)
{
    char kvm_why[128];

    why[0] = '\0';
    if (!strcmp(name, "unicorn")) {
        *ops = &uc_vcpu_ops;
        return 0;
    }
    if (!strcmp(name, "kvm")) {
        int err = engine_kvm_probe(kvm_why, sizeof(kvm_why));
        snprintf(why, len, "--engine kvm: %s", kvm_why);
        return err < 0 ? err : -VMS_ERR_NOKVM;
    }
    if (strcmp(name, "auto")) {
        snprintf(why, len, "--engine: '%s' is not auto, unicorn or kvm", name);
        return -VMS_ERR_INVAL;
    }
    *ops = &uc_vcpu_ops;
    /* A /dev/kvm that is there but unusable is worth a word; its absence
     * (the common case on this project's machines) is not. */
    if (engine_kvm_probe(kvm_why, sizeof(kvm_why)) == -VMS_ERR_NOKVM &&
        access(KVM_DEVICE, F_OK) == 0)
        snprintf(why, len, "%s; using the Unicorn engine", kvm_why);
    return 0;
}
