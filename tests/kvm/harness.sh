#!/bin/sh
# harness.sh - run the KVM tests inside a Linux guest that has /dev/kvm,
# on any machine that can run QEMU (DESIGN.md "Testing KVM").
#
# Debian's own kernel (linux-image-amd64) boots under QEMU's software
# emulation with AMD SVM and nested paging; its kvm and kvm-amd modules
# give the guest a real /dev/kvm.  The initramfs holds busybox-static, the
# modules, vmscope and the KVM test program with the shared libraries they
# use, the scenario images and the Unicorn engine's reference results for
# them (made here on the host, where Unicorn runs at full speed).  The
# guest runs tests/kvm/kvm-tests.sh and prints "KVMTEST-RESULT: <status>"
# on the serial console; that status is ours.
#
# Packages are fetched with `apt-get download` into $KVM_CACHE (default
# build/kvm-cache) and unpacked with dpkg-deb: nothing is installed.
#
# Usage: sh tests/kvm/harness.sh [--bench]   (BUILD, PROG as for run_tests.sh)
#   --bench: run build/bench/bench_kvm in the guest instead of the tests.
# Exit: 0 pass, 1 fail, 77 skip (QEMU or the packages are not available).
set -u
BUILD=${BUILD:-build}
PROG=${PROG:-./vmscope}
CACHE=${KVM_CACHE:-build/kvm-cache}   # shared by the normal and ASan builds
WORK=$BUILD/kvm-nested
KVMTEST=$BUILD/kvm/kvmtest
MODE=test
[ "${1:-}" = --bench ] && MODE=bench && KVMTEST=$BUILD/bench/bench_kvm
QEMU=${QEMU:-qemu-system-x86_64}
GUEST_TIMEOUT=${KVM_GUEST_TIMEOUT:-600}

skip() { echo "SKIP: $*"; exit 77; }
die()  { echo "FAIL: $*"; exit 1; }

command -v "$QEMU" >/dev/null 2>&1 || skip "$QEMU is not installed: the nested KVM tests cannot run"
command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
    skip "apt-get/dpkg-deb missing: cannot fetch Debian's kernel for the nested KVM tests"
[ -x "$PROG" ] || die "$PROG is not built"
[ -x "$KVMTEST" ] || die "$KVMTEST is not built"

# ---- packages (cached) ----
mkdir -p "$CACHE"
fetch() {   # fetch PACKAGE: download into the cache unless it is there
    ls "$CACHE/$1"_*.deb >/dev/null 2>&1 && return 0
    (cd "$CACHE" && apt-get download "$1" >/dev/null 2>&1)
}
if ! ls "$CACHE"/linux-image-*-amd64_*.deb >/dev/null 2>&1; then
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
    [ -n "$kpkg" ] || skip "apt-cache does not know linux-image-amd64 (no Debian archive configured)"
    fetch "$kpkg" || skip "apt-get download $kpkg failed (offline?)"
fi
fetch busybox-static || skip "apt-get download busybox-static failed (offline?)"
kdeb=$(ls "$CACHE"/linux-image-*-amd64_*.deb | grep -v 'linux-image-amd64_' | head -n 1)
bdeb=$(ls "$CACHE"/busybox-static_*.deb | head -n 1)

# ---- unpack what is needed, once per package version ----
KX=$CACHE/unpacked
stamp="$KX/.from-$(basename "$kdeb")"
if [ ! -f "$stamp" ]; then
    rm -rf "$KX"; mkdir -p "$KX"
    dpkg-deb -x "$kdeb" "$KX" && dpkg-deb -x "$bdeb" "$KX" || die "dpkg-deb -x failed"
    touch "$stamp"
fi
kver=$(ls "$KX/lib/modules" | head -n 1)
vmlinuz="$KX/boot/vmlinuz-$kver"
[ -f "$vmlinuz" ] || die "no vmlinuz in $kdeb"
# The uncompressed vmlinux (PVH entry) boots in ~3 s instead of ~5.5 s:
# cut the xz stream out of the bzImage (what scripts/extract-vmlinux does).
vmlinux="$CACHE/vmlinux-$kver"
if [ ! -s "$vmlinux" ] && command -v xz >/dev/null 2>&1; then
    off=$(LC_ALL=C grep -obUa "$(printf '\3757zXZ')" "$vmlinuz" | head -n 1 | cut -d: -f1)
    [ -n "$off" ] && tail -c +$((off + 1)) "$vmlinuz" | xz -dc 2>/dev/null >"$vmlinux.tmp"
    if [ -s "$vmlinux.tmp" ] && head -c 4 "$vmlinux.tmp" | grep -q ELF; then mv "$vmlinux.tmp" "$vmlinux"
    else rm -f "$vmlinux.tmp"; fi
fi
kernel=$vmlinuz
[ -s "$vmlinux" ] && kernel=$vmlinux

# ---- the initramfs ----
rm -rf "$WORK"; mkdir -p "$WORK/root/bin" "$WORK/root/lib/modules" "$WORK/root/t" "$WORK/refs"
R=$WORK/root
cp "$KX/bin/busybox" "$R/bin/busybox"
# Plain .ko (Debian 12) or compressed .ko.xz/.ko.zst (newer kernels):
# busybox insmod wants them plain.
for m in irqbypass kvm ccp kvm-amd; do
    f=$(find "$KX/lib/modules/$kver/kernel" -name "$m.ko*" | head -n 1)
    case $f in
        *.ko) cp "$f" "$R/lib/modules/$m.ko" ;;
        *.ko.xz) xz -dc "$f" >"$R/lib/modules/$m.ko" ;;
        *.ko.zst) zstd -qdc "$f" >"$R/lib/modules/$m.ko" ;;
        *) die "module $m.ko missing from $kdeb" ;;
    esac || die "cannot unpack $f"
done
# Binaries with their shared libraries and loader, at the same paths.
# Fixed names inside (the ASan build's program is vmscope-asan).
cp "$PROG" "$R/t/vmscope"
cp "$KVMTEST" "$R/t/$([ $MODE = bench ] && echo bench_kvm || echo kvmtest)"
for b in "$PROG" "$KVMTEST"; do
    for lib in $(ldd "$b" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
        mkdir -p "$R$(dirname "$lib")"
        [ -f "$R$lib" ] || cp -L "$lib" "$R$lib"
    done
done
mkdir -p "$R/t/tests/kvm" "$R/t/build" "$R/t/refs"
cp tests/kvm/kvm-tests.sh tests/kvm/kvm-debug-tests.sh "$R/t/tests/kvm/"
cp -R tests/kvm/debug "$R/t/tests/kvm/"
cp -R "$BUILD/scenarios" "$R/t/build/" 2>/dev/null || cp -R build/scenarios "$R/t/build/"
# Unicorn's results for every scenario, the reference the guest compares with.
[ $MODE = bench ] || sh tests/kvm/kvm-tests.sh --make-refs "$PROG" "$R/t/build/scenarios" "$R/t/refs" ||
    die "cannot make the Unicorn reference results"
[ $MODE = bench ] || sh tests/kvm/kvm-debug-tests.sh --make-refs "$PROG" "$R/t/build/scenarios" "$R/t/refs" ||
    die "cannot make the Unicorn debugger transcripts"
cp tests/kvm/guest-init.sh "$R/init"
chmod 755 "$R/init" "$R/bin/busybox"
(cd "$R" && find . | "$OLDPWD/$R/bin/busybox" cpio -o -H newc 2>/dev/null) >"$WORK/initramfs.cpio" ||
    die "cannot build the initramfs"

# ---- boot ----
echo "booting $(basename "$kernel") under $QEMU (TCG, -cpu qemu64,+svm,+npt)"
start=$(date +%s)
timeout "$GUEST_TIMEOUT" "$QEMU" -accel tcg -cpu qemu64,+svm,+npt -smp 1 -m 1024 \
    -nodefaults -display none -serial stdio -no-reboot \
    -kernel "$kernel" -initrd "$WORK/initramfs.cpio" \
    -append "console=ttyS0 quiet panic=-1 rdinit=/init vmscope.mode=$MODE" </dev/null >"$WORK/console.log" 2>&1
qrc=$?
sed 's/\r$//' "$WORK/console.log" | grep -v '^\[' | sed -n '/^KVMTEST-BEGIN/,/^KVMTEST-RESULT/p'
echo "guest ran $(( $(date +%s) - start )) s (qemu status $qrc); console: $WORK/console.log"
rc=$(sed -n 's/^KVMTEST-RESULT: \([0-9]*\).*/\1/p' "$WORK/console.log" | tail -n 1)
if [ -z "$rc" ]; then
    tail -n 30 "$WORK/console.log"
    [ $qrc -eq 124 ] && die "the guest did not finish in $GUEST_TIMEOUT s"
    die "the guest did not report a result"
fi
exit "$rc"
