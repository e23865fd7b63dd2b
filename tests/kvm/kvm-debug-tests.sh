#!/bin/sh
# kvm-debug-tests.sh - debugger sessions and the teaching kernel's
# deterministic configuration on the KVM engine, against the same on
# Unicorn (POSIX sh and busybox: runs in the nested test guest, called
# from tests/kvm/guest-init.sh after kvm-tests.sh).
#
#   kvm-debug-tests.sh --make-refs PROG SCNDIR REFDIR
#       Unicorn's results (made on the host, where Unicorn is fast):
#       REFDIR/debug/NAME.txt, the transcript of `PROG debug --batch` over
#       tests/kvm/debug/NAME.gdb; REFDIR/debug/kernel-coop.{out,status,io},
#       the teaching kernel booted with disk1-coop.img on one CPU.
#   kvm-debug-tests.sh --run PROG SCNDIR REFDIR
#       The same with --engine kvm.  Transcripts: equal after the
#       normalisation below.  kernel-coop: the same output, status and
#       sequence of port-I/O/MMIO events and injections (none: no timer).
# The scripts name their scenario as tests/debugger/*.gdb do ("# scenario:
# NAME [OPTIONS]"); each says what it leaves out of the golden script it
# comes from, and why.  Exit: 0 pass, 1 fail.
set -u
mode=$1 PROG=$2 SCN=$3 REFS=$4
DIR=$(dirname "$0")/debug
TMP=${TMPDIR:-/tmp}/kvm-debug-tests.$$
mkdir -p "$TMP" "$REFS/debug"
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok()   { echo "ok: $*"; }

# transcript ENGINE SCRIPT OUT: the batch session's stdout, then its status.
transcript() {
    s=$(basename "$2" .gdb)
    set -- "$1" "$2" "$3" $(sed -n 's/^# scenario: //p' "$2" | head -n 1)
    eng=$1 script=$2 out=$3
    shift 3
    scn=${1:-$s}
    [ $# -gt 0 ] && shift
    timeout 600 "$PROG" debug --engine "$eng" "$@" --batch "$script" "$scn" >"$out" 2>"$TMP/$s.err"
    echo "status $?" >>"$out"
}

# What differs by engine by design, and only that (docs/KVM-DEBUG.md):
#  - t= of events: virtual time is host time on KVM (docs/KVM.md);
#  - event numbers (#N): the stream holds exception/softint/syscall events
#    on Unicorn only and scheduler events that follow host time on KVM;
#  - where a pio/mmio event stop lands: Unicorn stops at the next block
#    boundary (docs/DEBUGGER.md), KVM after the instruction that exited;
#    the event itself (kind, port, value, RIP where it happened) stays.
normalise() {
    sed -E -e 's/ t=[0-9]+ns / t=*ns /g' -e 's/#[0-9]+ (vm[0-9])/#* \1/g' \
        -e 's/\(event #[0-9]+\)/(event #*)/g' \
        -e '/^Event breakpoint [0-9]+: .* (pio|mmio) .*; stopped at /{s/; stopped at .*/; stopped at */;n;s/^=> .*/=> */;}' "$1"
}

# The I/O events of a JSON Lines trace, per vCPU (as kvm-tests.sh).
io_events() {
    sed -n -E -e 's/.*"kind":"(pio|mmio)".*"vcpu":([0-9]+).*"addr":([0-9]+),"size":([0-9]+),"dir":"([a-z]+)","value":([0-9]+).*/cpu\2 \1 \3 \4 \5 \6/p' \
        -e 's/.*"kind":"inject".*"vcpu":([0-9]+).*"rip":([0-9]+),"vector":([0-9]+).*/cpu\1 inject \3 at \2/p' "$1" |
        sort -s -k1,1
}

# kernel_coop ENGINE PREFIX: the teaching kernel with the boot option
# sched.cfg = cooperative (docs/KERNEL.md) on one CPU: no timer, so
# nothing in it depends on when an interrupt arrives.
kernel_coop() {
    K=$SCN/kernel
    timeout 600 "$PROG" run --engine "$1" --cpus 1 --disk "$K/disk0.img" --disk "$K/disk1-coop.img" \
        --snapshot --timeout 300 --trace "$2.jsonl" >"$2.out" 2>"$TMP/coop.err" </dev/null
    echo $? >"$2.status"
    io_events "$2.jsonl" >"$2.io"
    rm -f "$2.jsonl"
}

if [ "$mode" = --make-refs ]; then
    for g in "$DIR"/*.gdb; do
        transcript unicorn "$g" "$REFS/debug/$(basename "$g" .gdb).txt"
    done
    kernel_coop unicorn "$REFS/debug/kernel-coop"
    rm -rf "$TMP"
    exit 0
fi

for g in "$DIR"/*.gdb; do
    n=$(basename "$g" .gdb)
    ref=$REFS/debug/$n.txt
    [ -f "$ref" ] || transcript unicorn "$g" "$ref"
    t0=$(date +%s)
    transcript kvm "$g" "$TMP/$n.txt"
    normalise "$ref" >"$TMP/$n.want"
    normalise "$TMP/$n.txt" >"$TMP/$n.got"
    if cmp -s "$TMP/$n.want" "$TMP/$n.got"; then
        ok "debug $n: the KVM session's transcript is Unicorn's ($(wc -l <"$TMP/$n.got") lines, $(( $(date +%s) - t0 )) s)"
    else
        fail "debug $n: the KVM session's transcript differs from Unicorn's ($(( $(date +%s) - t0 )) s):"
        diff "$TMP/$n.want" "$TMP/$n.got" | head -n 40
        head -c 300 "$TMP/$n.err"
    fi
done

# What KVM cannot report is said, not silently never stopped at.
printf 'catch exception de\ncatch interrupt\n' >"$TMP/catch.gdb"
"$PROG" debug --engine kvm --batch "$TMP/catch.gdb" hello >"$TMP/catch.out" 2>&1
grep -q "^Note: the kvm engine does not report exception events .*: this catch will not stop" "$TMP/catch.out" &&
    grep -q "^Note: the kvm engine does not report softint events .*: only the other kinds stop" "$TMP/catch.out" &&
    ok "debug: catch of exception/softint events on KVM says they are not reported" ||
    fail "debug: no note for events KVM does not report: $(head -c 300 "$TMP/catch.out")"

# The deterministic configuration of the teaching kernel, event for event.
R=$REFS/debug/kernel-coop
[ -f "$R.io" ] || kernel_coop unicorn "$R"
kernel_coop kvm "$TMP/coop"
st=$(cat "$TMP/coop.status")
[ "$st" = "$(cat "$R.status")" ] && ok "kernel, cooperative: exit status $st on both engines" ||
    fail "kernel, cooperative: status $st on KVM, $(cat "$R.status") on Unicorn: $(head -c 300 "$TMP/coop.err")"
grep -q "sched: cooperative" "$TMP/coop.out" || fail "kernel, cooperative: the kernel did not read sched.cfg"
cmp -s "$R.out" "$TMP/coop.out" && ok "kernel, cooperative: serial output identical ($(wc -c <"$TMP/coop.out") bytes)" ||
    { fail "kernel, cooperative: serial output differs"; diff "$R.out" "$TMP/coop.out" | head -n 10; }
nio=$(wc -l <"$TMP/coop.io")
[ "$nio" -gt 1000 ] || fail "kernel, cooperative: only $nio I/O events on KVM"
cmp -s "$R.io" "$TMP/coop.io" && ok "kernel, cooperative: $nio port-I/O/MMIO events and $(grep -c ' inject ' "$TMP/coop.io") injections identical" ||
    { fail "kernel, cooperative: I/O events differ (KVM $nio, Unicorn $(wc -l <"$R.io"))"; diff "$R.io" "$TMP/coop.io" | head -n 10; }
rm -rf "$TMP"
echo "kvm-debug-tests: $fails failure(s)"
[ "$fails" -eq 0 ]
