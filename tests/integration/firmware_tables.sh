#!/bin/sh
# firmware_tables.sh - the tables a kernel looks for survive the firmware.
#
# The MP floating pointer lives in the EBDA and, as a copy, in the BIOS
# area (kernels scan 0xF0000-0xFFFFF when the EBDA holds none); the ACPI
# RSDP lives in 0xE0000-0xFFFFF.  The firmware's ROM image covers the whole
# F segment, so the platform writes the tables after it: check both copies
# and the RSDP as a guest would find them, for a 1- and a 4-vCPU VM.
. tests/testlib.sh

# The three places, read by one debugger session per VM size.
dump() {  # dump CPUS -> the debugger's transcript
    "$PROG" debug --cpus "$1" -ex 'xp/4c 0x9fc10' -ex 'xp/4c 0xf8000' -ex 'xp/8c 0xe0000' \
        -ex quit hello 2>&1
}
bytes() {  # bytes ADDR < transcript -> the characters shown there, one line
    sed -n "s/^$1:[[:space:]]*//p" | tr -d "'0-9\t "
}

for cpus in 1 4; do
    dump "$cpus" >"$TMP/t$cpus"
    got=$(bytes 0x9fc10 <"$TMP/t$cpus")
    [ "$got" = "_MP_" ] && ok "$cpus vCPU(s): MP floating pointer in the EBDA" ||
        fail "$cpus vCPU(s): EBDA at 0x9fc10 holds '$got', not _MP_"
    got=$(bytes 0xf8000 <"$TMP/t$cpus")
    [ "$got" = "_MP_" ] && ok "$cpus vCPU(s): MP floating pointer copy in the BIOS area" ||
        fail "$cpus vCPU(s): 0xf8000 holds '$got', not _MP_ (overwritten by the ROM?)"
    got=$(bytes 0xe0000 <"$TMP/t$cpus")
    [ "$got" = "RSDPTR" ] && ok "$cpus vCPU(s): ACPI RSDP" ||
        fail "$cpus vCPU(s): 0xe0000 holds '$got', not 'RSD PTR '"
done
finish
