# kvm.sh - the KVM engine: every scenario gives Unicorn's serial output,
# exit status and port-I/O/MMIO events; state round trip, single step,
# breakpoints, engine migration both ways, errors (tests/kvm/).
#
# Where this machine's /dev/kvm is hardware KVM the tests run directly.
# They always also run inside a Linux guest with its own /dev/kvm, booted
# under QEMU's software emulation (tests/kvm/harness.sh), so machines
# without KVM test it too.  Skipped (77) only when neither can run.
. tests/testlib.sh

KVMTEST=$BUILD/kvm/kvmtest
mkdir -p "$BUILD/kvm"
# The test program links against the library of this build (ASan or not).
san=""
nm "$BUILD/libvms.a" 2>/dev/null | grep -q __asan_report && san="-fsanitize=address,undefined -fno-omit-frame-pointer"
cc -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -I. $san $(pkg-config --cflags unicorn capstone) \
    -o "$KVMTEST" tests/kvm/kvmtest.c "$BUILD/libvms.a" $(pkg-config --libs unicorn capstone) \
    -lpthread -lm || { echo "FAIL: cannot build $KVMTEST"; exit 1; }

ran=0
if why=$("$KVMTEST" --probe); then
    echo "== direct: this machine's /dev/kvm"
    ran=1
    sh tests/kvm/kvm-tests.sh --run "$PROG" "$SCN" "$TMP/refs" "$KVMTEST" || fail "KVM tests on this machine's /dev/kvm"
else
    echo "not run directly: $why"
fi

echo "== nested: a Linux guest with KVM under QEMU's emulation"
sh tests/kvm/harness.sh
rc=$?
if [ $rc -eq 77 ]; then
    [ $ran -eq 1 ] || { echo "SKIP: no usable /dev/kvm here and QEMU cannot run the nested guest"; exit 77; }
elif [ $rc -ne 0 ]; then
    fail "KVM tests in the nested guest"
else
    ok "KVM tests in the nested guest"
fi
finish
