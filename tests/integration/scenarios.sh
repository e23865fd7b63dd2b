# scenarios.sh - every scenario on the Unicorn engine: serial output and
# exit status equal the committed golden transcript (QEMU's, see oracle.sh).
. tests/testlib.sh

n=0
for s in $(scenarios); do
    n=$((n + 1))
    img="$SCN/$s/$(conf "$s" image)"
    want=$(conf "$s" expect_exit)
    cpus=$(conf "$s" cpus)
    timeout 120 "$PROG" run --engine unicorn --timeout 60 --cpus "${cpus:-1}" "$img" >"$TMP/$s.out" 2>"$TMP/$s.err"
    got=$?
    [ "$got" = "$want" ] || fail "$s: exit status $got, wanted $want: $(head -c 300 "$TMP/$s.err")"
    if cmp -s "$TMP/$s.out" "scenarios/$s/expected.txt"; then ok "$s output"
    else fail "$s: output differs from scenarios/$s/expected.txt:"; diff "scenarios/$s/expected.txt" "$TMP/$s.out" | head -20; fi
done
[ "$n" -ge 3 ] || fail "only $n scenarios built"
finish
