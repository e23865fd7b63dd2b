# debug_golden.sh - `vmscope debug --batch` over each scenario: the
# transcript (commands, stops, views, guest output) equals the committed
# golden file tests/debugger/NAME.expected, byte for byte, and two runs
# give the same bytes.  NAME.gdb runs over scenario NAME, or over what a
# "# scenario: SCENARIO [OPTIONS]" line in it says.  Regenerate a golden
# after an intended change with:
#   ./vmscope debug [OPTIONS] --batch tests/debugger/NAME.gdb SCENARIO > tests/debugger/NAME.expected
. tests/testlib.sh

n=0
for script in tests/debugger/*.gdb; do
    s=$(basename "$script" .gdb)
    set -- $(sed -n 's/^# scenario: //p' "$script" | head -n 1)
    scn=${1:-$s}
    [ $# -gt 0 ] && shift
    if [ ! -f "$SCN/$scn/scenario.conf" ]; then fail "$s: no scenario $SCN/$scn"; continue; fi
    n=$((n + 1))
    timeout 120 "$PROG" debug --engine unicorn "$@" --batch "$script" "$scn" >"$TMP/$s.out" 2>"$TMP/$s.err"
    got=$?
    [ "$got" = 0 ] || fail "$s: status $got: $(head -c 300 "$TMP/$s.err")"
    if cmp -s "$TMP/$s.out" "tests/debugger/$s.expected"; then ok "$s transcript"
    else fail "$s: transcript differs from tests/debugger/$s.expected:"
         diff "tests/debugger/$s.expected" "$TMP/$s.out" | head -30; fi
    timeout 120 "$PROG" debug --engine unicorn "$@" --batch "$script" "$scn" >"$TMP/$s.out2" 2>&1
    cmp -s "$TMP/$s.out" "$TMP/$s.out2" && ok "$s deterministic" || fail "$s: two runs differ"
done
[ "$n" -ge 4 ] || fail "only $n debugger scripts ran"
finish
