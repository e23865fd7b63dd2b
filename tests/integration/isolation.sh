# isolation.sh - a guest's triple fault stops that VM only; halts, limits
# and timeouts end with their documented statuses.
. tests/testlib.sh

# Real mode with an empty IVT limit: INT3 -> #GP -> #DF -> triple fault.
boot_sector "$TMP/triple.img" <<'ASM'
    .code16
    lidt idtr0
    int3
1:  jmp 1b
idtr0: .word 0
    .long 0
    .org 510
    .byte 0x55, 0xaa
ASM
expect_status 4 "triple fault alone" "$PROG" run "$TMP/triple.img"
grep -q "vm0: triple fault.* at RIP=" "$TMP/err" || fail "triple fault message: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "triple fault: one line wanted: $(cat "$TMP/err")"

hello="$SCN/hello/$(conf hello image)"
"$PROG" run "$TMP/triple.img" "$hello" "$TMP/triple.img" >"$TMP/mix.out" 2>"$TMP/mix.err"
grep -q "vm0: triple fault" "$TMP/mix.err" || fail "vm0 should triple fault: $(cat "$TMP/mix.err")"
grep -q "vm2: triple fault" "$TMP/mix.err" || fail "vm2 should triple fault"
grep -q "vm1" "$TMP/mix.err" && fail "vm1 should run undisturbed: $(cat "$TMP/mix.err")"
sed -n 's/^\[vm1\] //p' "$TMP/mix.out" >"$TMP/vm1.out"
"$PROG" run "$hello" >"$TMP/hello.out" 2>/dev/null
cmp -s "$TMP/vm1.out" "$TMP/hello.out" && ok "hello next to two crashing VMs prints its full output" ||
    fail "vm1 output differs from a lone hello run"

boot_sector "$TMP/cli_hlt.img" <<'ASM'
    .code16
    cli
    hlt
    .org 510
    .byte 0x55, 0xaa
ASM
expect_status 0 "cli; hlt is a clean halt" "$PROG" run "$TMP/cli_hlt.img"

boot_sector "$TMP/sti_hlt.img" <<'ASM'
    .code16
    sti
1:  hlt
    jmp 1b
    .org 510
    .byte 0x55, 0xaa
ASM
expect_status 12 "sti; hlt with nothing to wake it" "$PROG" run "$TMP/sti_hlt.img"

boot_sector "$TMP/spin.img" <<'ASM'
    .code16
1:  inc %ax
    jmp 1b
    .org 510
    .byte 0x55, 0xaa
ASM
expect_status 8 "instruction limit" "$PROG" run --max-insns 100000 "$TMP/spin.img"
expect_status 6 "timeout" "$PROG" run --timeout 0.5 "$TMP/spin.img"
finish
