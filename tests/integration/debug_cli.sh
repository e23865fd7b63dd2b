# debug_cli.sh - the `vmscope debug` front end: statuses, -ex, source,
# errors in one line, and docs/COMMANDS.md generated from the command table.
. tests/testlib.sh

# docs/COMMANDS.md is exactly what the command table generates
"$PROG" help --markdown >"$TMP/commands.md"
if cmp -s "$TMP/commands.md" docs/COMMANDS.md; then ok "docs/COMMANDS.md is up to date"
else fail "docs/COMMANDS.md is stale: run ./vmscope help --markdown > docs/COMMANDS.md"; fi
grep -q '^### `info tab`' "$TMP/commands.md" && grep -q '`info mem`' "$TMP/commands.md" &&
    ok "reference lists info tab with its QEMU alias" || fail "reference lacks info tab/info mem"

# -ex commands run in order; quit ends with status 0
"$PROG" debug -ex 'stepi 2' -ex 'print/x $ip' -ex quit hello >"$TMP/ex.out" 2>&1
st=$?
[ "$st" = 0 ] || fail "-ex ... quit: status $st"
grep -q '^Stepped 2 instructions to 0x7c03' "$TMP/ex.out" && grep -q '^0x7c03$' "$TMP/ex.out" &&
    ok "-ex runs commands in order" || fail "-ex output: $(cat "$TMP/ex.out")"

# without --batch, -ex goes on after a failing command (as gdb), status 1
"$PROG" debug -ex 'print 1/0' -ex 'print 6*7' -ex quit hello >"$TMP/ex2.out" 2>&1
st=$?
[ "$st" = 1 ] && grep -q '^division by zero$' "$TMP/ex2.out" && grep -q '^0x2a (42)$' "$TMP/ex2.out" &&
    ok "-ex continues after an error" || fail "-ex after an error: status $st: $(cat "$TMP/ex2.out")"

# an unknown command fails the batch with status 1 and one line
printf 'stepi\nfrobnicate 3\nstepi\n' >"$TMP/bad.gdb"
expect_status 1 "unknown command fails the batch" "$PROG" debug --batch "$TMP/bad.gdb" hello
grep -q 'undefined command: "frobnicate"' "$TMP/out" && ! grep -q 'Stepped 1 instruction to 0x7c03' "$TMP/out" &&
    ok "the batch stops at the bad line" || fail "bad command output: $(cat "$TMP/out")"

# bad expressions and addresses: one line, non-zero status, no crash
for cmd in 'print 1 +' 'print nosuchsym' 'x/4x 0xffffffffffff0000' 'break *(1/0)' \
           'catch bogus' 'info gdt 99999' 'set $nosuchreg = 1' 'x/0x 0' 'stepi 0' \
           'condition 42 1' 'delete 42' 'vcpu vm7.3' 'watch 0x1000 0' 'finish' 'info'; do
    printf '%s\n' "$cmd" >"$TMP/one.gdb"
    "$PROG" debug --batch "$TMP/one.gdb" hello >"$TMP/one.out" 2>&1
    st=$?
    if [ "$st" = 1 ]; then ok "'$cmd' fails cleanly"; else fail "'$cmd': status $st: $(tail -3 "$TMP/one.out")"; fi
done

# SEG:OFF locations (Bochs): real-mode segment * 16 + offset
"$PROG" debug -ex 'break 0x07c0:0x65' -ex 'x/1i 0x7c0:0x65' -ex quit hello >"$TMP/seg.out" 2>&1
grep -q '^Breakpoint 1 at 0x7c65 <_start+101>$' "$TMP/seg.out" && grep -q 'b 0x7c65 <_start+101>:' "$TMP/seg.out" &&
    ok "SEG:OFF locations" || fail "SEG:OFF: $(cat "$TMP/seg.out")"

# source runs a file inside a session
printf 'stepi 3\n' >"$TMP/inner.gdb"
printf 'source %s\nprint/x $pc\n' "$TMP/inner.gdb" >"$TMP/outer.gdb"
"$PROG" debug --batch "$TMP/outer.gdb" hello >"$TMP/src.out" 2>&1
grep -q '^0x7c06$' "$TMP/src.out" && ok "source" || fail "source: $(cat "$TMP/src.out")"

# catch triple: a real-mode guest with an empty IVT faults three times
boot_sector "$TMP/tf.img" <<'ASM'
    .code16
    .globl _start
_start:
    lidt idtr
    int $3
1:  jmp 1b
idtr: .word 0
      .long 0
    .org 510
    .byte 0x55, 0xaa
ASM
printf 'catch triple\ncontinue\ninfo vms\n' >"$TMP/tf.gdb"
"$PROG" debug --batch "$TMP/tf.gdb" "$TMP/tf.img" >"$TMP/tf.out" 2>&1
grep -q '^Event breakpoint 1: .*shutdown vm0: triple fault' "$TMP/tf.out" && grep -q 'vm0: shutdown' "$TMP/tf.out" &&
    ok "catch triple stops at the shutdown" || fail "catch triple: $(cat "$TMP/tf.out")"

# a missing image is one line and status 2
expect_status 2 "missing image" "$PROG" debug --batch /dev/null /nonexistent/image.bin
[ "$(wc -l <"$TMP/err")" -eq 1 ] && ok "one line for a missing image" || fail "missing image: $(cat "$TMP/err")"
finish
