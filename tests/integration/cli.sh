# cli.sh - the command line: help, version, bad input gets one line and status 2.
. tests/testlib.sh

expect_status 0 "--help" "$PROG" --help
grep -q "usage: vmscope run" "$TMP/out" || fail "--help prints usage"
expect_status 0 "--version" "$PROG" --version
grep -q "^vmscope [0-9]" "$TMP/out" || fail "--version prints the version"
grep -q "unicorn 2\.[1-9]" "$TMP/out" || fail "--version names the unicorn version"

one_line_naming() {  # desc file
    n=$(wc -l <"$TMP/err")
    [ "$n" -eq 1 ] || fail "$1: $n lines on stderr, wanted 1: $(cat "$TMP/err")"
    grep -q "$2" "$TMP/err" || fail "$1: stderr does not name $2: $(cat "$TMP/err")"
}

expect_status 2 "missing image" "$PROG" run "$TMP/nonexistent.img"
one_line_naming "missing image" "nonexistent.img"

: >"$TMP/empty.img"
expect_status 2 "empty image" "$PROG" run "$TMP/empty.img"
one_line_naming "empty image" "empty.img"

head -c 512 /dev/zero >"$TMP/nosig.img"
expect_status 2 "boot sector without 0x55AA" "$PROG" run "$TMP/nosig.img"
one_line_naming "no signature" "nosig.img"

printf '\177ELF\001\001\001' >"$TMP/trunc.elf"
expect_status 2 "truncated ELF" "$PROG" run "$TMP/trunc.elf"
one_line_naming "truncated ELF" "trunc.elf"

head -c 600 /dev/urandom >"$TMP/noise.bin"
expect_status 2 "random bytes" "$PROG" run "$TMP/noise.bin"

echo hi >"$TMP/unreadable.img"; chmod 000 "$TMP/unreadable.img"
if [ "$(id -u)" -ne 0 ]; then
    expect_status 2 "unreadable image" "$PROG" run "$TMP/unreadable.img"
fi

expect_status 2 "unknown scenario" "$PROG" run no-such-scenario
one_line_naming "unknown scenario" "no-such-scenario"
expect_status 2 "unknown option" "$PROG" run --bogus hello
expect_status 2 "bad --mem" "$PROG" run --mem lots hello
expect_status 2 "bad --vms" "$PROG" run --vms 0 hello
expect_status 2 "no image" "$PROG" run

if [ ! -e /dev/kvm ]; then
    expect_status 2 "--engine kvm without /dev/kvm" "$PROG" run --engine kvm hello
    one_line_naming "--engine kvm" "/dev/kvm"
fi
finish
