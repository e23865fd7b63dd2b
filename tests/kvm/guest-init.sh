#!/bin/busybox sh
# guest-init.sh - /init of the nested KVM test guest (tests/kvm/harness.sh).
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp && mount -t tmpfs tmp /tmp
# Unicorn reserves a 1 GiB translation buffer at uc_open before vmscope
# shrinks it: let the reservation through in this 1 GiB guest.
echo 1 >/proc/sys/vm/overcommit_memory
# Order matters: kvm needs irqbypass, kvm-amd needs kvm and ccp.
for m in irqbypass kvm ccp kvm-amd; do
    insmod /lib/modules/$m.ko || echo "insmod $m.ko failed"
done
echo KVMTEST-BEGIN
if [ -c /dev/kvm ]; then
    # Breakpoints and watchpoints do not reach user space when KVM runs
    # under QEMU's emulation (DESIGN.md): the tests skip those, only here.
    export VMSCOPE_KVM_NESTED=1 TMPDIR=/tmp
    cd /t
    if grep -q vmscope.mode=bench /proc/cmdline; then
        ./bench_kvm kvm; rc=$?
    else
        sh tests/kvm/kvm-tests.sh --run ./vmscope build/scenarios refs ./kvmtest; rc=$?
        sh tests/kvm/kvm-debug-tests.sh --run ./vmscope build/scenarios refs || rc=1
    fi
else
    echo "no /dev/kvm in the guest: kvm-amd did not load"
    dmesg | grep -i -E 'kvm|svm' | tail -n 5
    rc=1
fi
echo "KVMTEST-RESULT: $rc"
poweroff -f
