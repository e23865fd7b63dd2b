# debug_golden.sh - `vmscope debug --batch` over each scenario: the
# transcript (commands, stops, views, guest output) equals the committed
# golden file tests/debugger/NAME.expected, byte for byte.  Regenerate a
# golden after an intended change with:
#   ./vmscope debug --batch tests/debugger/NAME.gdb NAME > tests/debugger/NAME.expected
. tests/testlib.sh

n=0
for script in tests/debugger/*.gdb; do
    s=$(basename "$script" .gdb)
    if [ ! -f "$SCN/$s/scenario.conf" ]; then fail "$s: no scenario build/scenarios/$s"; continue; fi
    n=$((n + 1))
    timeout 120 "$PROG" debug --engine unicorn --batch "$script" "$s" >"$TMP/$s.out" 2>"$TMP/$s.err"
    got=$?
    [ "$got" = 0 ] || fail "$s: status $got: $(head -c 300 "$TMP/$s.err")"
    if cmp -s "$TMP/$s.out" "tests/debugger/$s.expected"; then ok "$s transcript"
    else fail "$s: transcript differs from tests/debugger/$s.expected:"
         diff "tests/debugger/$s.expected" "$TMP/$s.out" | head -30; fi
    # the same script twice gives the same transcript (determinism)
    timeout 120 "$PROG" debug --engine unicorn --batch "$script" "$s" >"$TMP/$s.out2" 2>&1
    cmp -s "$TMP/$s.out" "$TMP/$s.out2" && ok "$s deterministic" || fail "$s: two runs differ"
done
[ "$n" -ge 3 ] || fail "only $n debugger scripts ran"
finish
