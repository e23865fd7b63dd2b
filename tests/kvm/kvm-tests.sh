#!/bin/sh
# kvm-tests.sh - the KVM engine against the Unicorn engine (POSIX sh and
# busybox, so it runs inside the nested test guest too).
#
#   kvm-tests.sh --make-refs PROG SCNDIR REFDIR
#       Unicorn's results for every scenario: REFDIR/NAME.out (serial
#       output), NAME.status (exit status), NAME.io (the port-I/O and MMIO
#       events: kind, port or address, size, direction, value; and the
#       interrupt injections: vector, RIP).
#       REFDIR/hostile/*.img: 40 boot sectors of pseudo-random bytes.
#   kvm-tests.sh --run PROG SCNDIR REFDIR [KVMTEST]
#       Every scenario on KVM gives the same three (references made first
#       where missing); the random guests end with a documented status on
#       KVM; then the KVM test program runs (state round trip, single step,
#       debug registers, engine migration, errors).
# Exit: 0 pass, 1 fail.
set -u
mode=$1 PROG=$2 SCN=$3 REFS=$4 KVMTEST=${5:-}
TMP=${TMPDIR:-/tmp}/kvm-tests.$$
mkdir -p "$TMP" "$REFS"
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok()   { echo "ok: $*"; }

# The I/O events of a JSON Lines trace, one per line, without times or
# RIPs, with the PIC's and APICs' injections (vector and the RIP the
# interrupt arrived at: no in-kernel irqchip, so they are vmscope's own).
# Each vCPU's events in stream order, one vCPU after the other: how the
# vCPUs of an SMP guest interleave depends on when each was scheduled
# (host time on KVM), what each one does must not.
io_events() {
    sed -n -E -e 's/.*"kind":"(pio|mmio)".*"vcpu":([0-9]+).*"addr":([0-9]+),"size":([0-9]+),"dir":"([a-z]+)","value":([0-9]+).*/cpu\2 \1 \3 \4 \5 \6/p' \
        -e 's/.*"kind":"inject".*"vcpu":([0-9]+).*"rip":([0-9]+),"vector":([0-9]+).*/cpu\1 inject \3 at \2/p' "$1" |
        sort -s -k1,1
}

image_of() {   # image_of NAME
    img=$(sed -n 's/^image=//p' "$SCN/$1/scenario.conf" | head -n 1)
    echo "$SCN/$1/$img"
}

# run_engine ENGINE NAME OUTPREFIX
run_engine() {
    "$PROG" run --engine "$1" --timeout 120 --trace "$3.jsonl" "$(image_of "$2")" \
        >"$3.out" 2>"$3.err"
    echo $? >"$3.status"
    io_events "$3.jsonl" >"$3.io"
    rm -f "$3.jsonl"
}

make_ref() {   # make_ref NAME
    [ -f "$REFS/$1.io" ] && return 0
    run_engine unicorn "$1" "$REFS/$1"
}

scenarios() {
    for d in "$SCN"/*/; do
        [ -f "$d/scenario.conf" ] && basename "$d"
    done
}

# The random guests of tests/integration/hostile.sh (same seeds).
make_hostile() {
    [ -d "$REFS/hostile" ] && return 0
    mkdir -p "$REFS/hostile"
    for seed in $(seq 1 40); do
        awk -v seed="$seed" 'BEGIN { srand(seed); for (i = 0; i < 510; i++) printf "%c", int(rand() * 256) }' \
            LC_ALL=C >"$REFS/hostile/$seed.img"
        printf '\125\252' >>"$REFS/hostile/$seed.img"
    done
}

# A hostile guest may crash only its own VM: every run ends with a status
# of docs/RUN.md; 10 (engine failure) only with KVM's own words for what
# it cannot run (an instruction it cannot emulate, a refused entry).
hostile() {
    bad=0
    for img in "$REFS"/hostile/*.img; do
        timeout 60 "$PROG" run --engine kvm --max-insns 300000 --timeout 20 "$img" \
            >/dev/null 2>"$TMP/h.err" </dev/null
        st=$?
        case $st in
            0|1|3|4|6|8|12|[13579]|[1-9][13579]|1[0-9][13579]|2[0-4][13579]|25[135]) ;;
            10) grep -q "kvm: internal error\|kvm: VM entry failed" "$TMP/h.err" ||
                    { fail "$(basename "$img"): engine failure: $(head -c 300 "$TMP/h.err")"; bad=1; } ;;
            *) fail "$(basename "$img"): status $st: $(head -c 300 "$TMP/h.err")"; bad=1 ;;
        esac
        if grep -q "Sanitizer\|runtime error" "$TMP/h.err"; then
            fail "$(basename "$img"): sanitizer report: $(head -c 300 "$TMP/h.err")"; bad=1
        fi
    done
    [ $bad -eq 0 ] && ok "40 random guests on KVM ended with documented statuses"
}

if [ "$mode" = --make-refs ]; then
    for s in $(scenarios); do make_ref "$s" || exit 1; done
    make_hostile
    exit 0
fi

n=0
t0=$(date +%s)
for s in $(scenarios); do
    n=$((n + 1))
    make_ref "$s"
    run_engine kvm "$s" "$TMP/$s"
    want=$(cat "$REFS/$s.status") got=$(cat "$TMP/$s.status")
    [ "$got" = "$want" ] && ok "$s: exit status $got on both engines" ||
        fail "$s: exit status $got on KVM, $want on Unicorn: $(head -c 300 "$TMP/$s.err")"
    cmp -s "$REFS/$s.out" "$TMP/$s.out" && ok "$s: serial output identical ($(wc -c <"$TMP/$s.out") bytes)" || {
        fail "$s: serial output differs"; diff "$REFS/$s.out" "$TMP/$s.out" | head -n 10; }
    nio=$(wc -l <"$TMP/$s.io")
    [ "$nio" -gt 0 ] || fail "$s: no I/O events on KVM"
    # A guest whose output does not depend on timing but whose I/O does
    # (a preemptive kernel: which CPU runs what, how often it polls):
    # io=timing-dependent in its scenario.conf.
    if grep -q '^io=timing-dependent' "$SCN/$s/scenario.conf"; then
        ok "$s: $nio port-I/O/MMIO events on KVM (their sequence depends on timing: not compared)"
        continue
    fi
    ninj=$(grep -c ' inject ' "$TMP/$s.io")
    cmp -s "$REFS/$s.io" "$TMP/$s.io" && ok "$s: $nio port-I/O/MMIO events and injections ($ninj) identical" || {
        fail "$s: I/O events differ (KVM $nio, Unicorn $(wc -l <"$REFS/$s.io"))"
        diff "$REFS/$s.io" "$TMP/$s.io" | head -n 10; }
done
[ "$n" -ge 3 ] || fail "only $n scenarios found in $SCN"
echo "  ($(( $(date +%s) - t0 )) s)"
make_hostile
hostile
echo "  ($(( $(date +%s) - t0 )) s)"

# Several KVM VMs in one vmscope, sharing two simulated pCPUs with short
# slices: each VM's I/O events and injections are the single run's.
"$PROG" run --engine kvm --vms 3 --pcpus 2 --quantum 20000 --timeout 120 \
    --trace "$TMP/multi.jsonl" "$(image_of protected)" >/dev/null 2>"$TMP/multi.err"
st=$?
[ $st -eq "$(cat "$REFS/protected.status")" ] || fail "3 VMs on KVM: status $st: $(head -c 300 "$TMP/multi.err")"
for vm in 0 1 2; do
    grep "\"vm\":$vm," "$TMP/multi.jsonl" >"$TMP/multi.$vm.jsonl"
    io_events "$TMP/multi.$vm.jsonl" >"$TMP/multi.$vm.io"
    cmp -s "$TMP/multi.$vm.io" "$REFS/protected.io" &&
        ok "3 VMs x 2 pCPUs on KVM: vm$vm's $(wc -l <"$TMP/multi.$vm.io") I/O events and injections are the single run's" ||
        fail "3 VMs on KVM: vm$vm's I/O events differ from the single run's"
done
rm -f "$TMP"/multi.*

echo "  ($(( $(date +%s) - t0 )) s)"
if [ -n "$KVMTEST" ]; then
    "$KVMTEST" "$SCN" "$REFS" || fail "$KVMTEST failed"
fi
rm -rf "$TMP"
echo "kvm-tests: $fails failure(s)"
[ "$fails" -eq 0 ]
