# testlib.sh - helpers for integration tests (sourced).
BUILD=${BUILD:-build}
PROG=${PROG:-./vmscope}
SCN=build/scenarios
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmscope-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok()   { echo "ok: $*"; }

# expect_status WANT DESC CMD... : run CMD, compare its exit status
expect_status() {
    want=$1; desc=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$desc (status $got)"
    else fail "$desc: status $got, wanted $want; stderr: $(head -c 300 "$TMP/err")"; fi
}

# Assemble a 16-bit boot sector from stdin into $1 (GNU as + objcopy).
boot_sector() {
    out=$1
    cat >"$TMP/bs.S"
    as --32 -o "$TMP/bs.o" "$TMP/bs.S" &&
    ld -m elf_i386 -Ttext=0x7c00 --oformat=binary -o "$out" "$TMP/bs.o"
}

scenarios() {
    for d in "$SCN"/*/; do
        [ -f "$d/scenario.conf" ] && basename "$d"
    done
}

# The QEMU drive options for a boot scenario: its image as IDE disk 0 and
# every disk= image after it, snapshot=on (QEMU never writes them).
qemu_drives() {  # qemu_drives NAME
    echo "-drive format=raw,file=$SCN/$1/$(conf "$1" image),if=ide,index=0,snapshot=on"
    u=1
    for d in $(sed -n 's/^disk=//p' "$SCN/$1/scenario.conf"); do
        echo "-drive format=raw,file=$SCN/$1/$d,if=ide,index=$u,snapshot=on"
        u=$((u + 1))
    done
}

conf() {  # conf NAME KEY
    sed -n "s/^$2=//p" "$SCN/$1/scenario.conf" | head -n 1
}

finish() {
    if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
    exit 0
}
