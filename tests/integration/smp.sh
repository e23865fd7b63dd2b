# smp.sh - the `smp` scenario on other CPU counts and schedules:
#   - 1, 3 and 4 vCPUs: the same bytes as QEMU with -smp N,sockets=N and
#     single-threaded TCG (see oracle.sh) (the guest starts every AP the MP
#     table lists, one after another);
#   - 2 vCPUs on 2 simulated physical CPUs: the same output as on one;
#   - two runs of the same configuration give the same event trace, byte
#     for byte (virtual time only, so SMP stays deterministic);
#   - the trace shows what the lesson is about: INIT, STARTUP (the second
#     one ignored), the broadcast INIT de-assert with no effect, injections
#     from the local APICs on both vCPUs.
. tests/testlib.sh

QEMU=${QEMU:-qemu-system-x86_64}
IMG=$SCN/smp/smp.elf
[ -f "$IMG" ] || { echo "SKIP: $IMG missing (make scenarios)"; exit 77; }

for n in 1 3 4; do
    "$PROG" run --timeout 60 --cpus "$n" "$IMG" >"$TMP/v$n.out" 2>"$TMP/v$n.err" </dev/null
    st=$?
    [ "$st" -eq 33 ] || fail "--cpus $n: status $st: $(head -c 300 "$TMP/v$n.err")"
    want="smp: $((n - 1)) application processor"
    grep -q "^$want" "$TMP/v$n.out" || fail "--cpus $n: no '$want' line"
    if command -v "$QEMU" >/dev/null 2>&1; then
        timeout 60 "$QEMU" -accel tcg,thread=single -nodefaults -display none -no-reboot -serial stdio \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -m 256 \
            -smp "$n,sockets=$n,cores=1,threads=1" -kernel "$IMG" >"$TMP/q$n.out" 2>/dev/null </dev/null
        cmp -s "$TMP/q$n.out" "$TMP/v$n.out" ||
            fail "--cpus $n: vmscope differs from QEMU: $(diff "$TMP/q$n.out" "$TMP/v$n.out" | head -5)"
    fi
done
ok "1, 3 and 4 vCPUs"

"$PROG" run --timeout 60 --cpus 2 --pcpus 2 "$IMG" >"$TMP/p2.out" 2>/dev/null </dev/null
cmp -s "$TMP/p2.out" scenarios/smp/expected.txt || fail "--pcpus 2: output differs from expected.txt"
ok "2 vCPUs on 2 pCPUs"

# By name, the scenario's cpus=2 is used when --cpus is not given.
"$PROG" run --timeout 60 smp >"$TMP/name.out" 2>/dev/null </dev/null
cmp -s "$TMP/name.out" scenarios/smp/expected.txt || fail "run smp (by name): output differs from expected.txt"
ok "cpus= from scenario.conf"

"$PROG" run --timeout 60 --cpus 2 --trace "$TMP/t1.jsonl" "$IMG" >/dev/null 2>&1 </dev/null
"$PROG" run --timeout 60 --cpus 2 --trace "$TMP/t2.jsonl" "$IMG" >/dev/null 2>&1 </dev/null
cmp -s "$TMP/t1.jsonl" "$TMP/t2.jsonl" || fail "two traced runs differ"
ok "deterministic trace ($(wc -l <"$TMP/t1.jsonl") events)"

t=$TMP/t1.jsonl
grep -q '"text":"lapic1 INIT: waiting for STARTUP"' "$t" || fail "no INIT at lapic1"
grep -q '"text":"lapic1 STARTUP 0x08: start at 0800:0000"' "$t" || fail "no STARTUP at lapic1"
grep -q '"text":"lapic1 STARTUP 0x08 ignored: not waiting"' "$t" || fail "second STARTUP not ignored"
grep -q '"text":"lapic0 INIT level de-assert (no effect)"' "$t" || fail "no INIT de-assert"
grep -q '"kind":"inject","vm":0,"vcpu":1,.*"text":"lapic -> vector 48"' "$t" || fail "no timer injection (vector 0x30) on vcpu 1"
grep -q '"kind":"inject","vm":0,"vcpu":0,.*"text":"lapic -> vector 66"' "$t" || fail "no IPI injection on vcpu 0"
grep -q '"text":"ioapic pin 2 -> fixed vector 0x43 dest 0x01"' "$t" || fail "no PIT message from the I/O APIC"
ok "INIT/STARTUP/IPI/timer events"
finish
