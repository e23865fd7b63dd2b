#!/bin/sh
# gdb.sh - the real gdb against vmscope's stub (`vmscope run --gdb`): break
# at symbols, step across the 32-bit -> 64-bit switch of the longmode
# scenario, read registers (general, control, segment) and memory through
# the guest's page tables (higher half), use a watchpoint, Ctrl-C a running
# guest, and continue to the end with the guest's exit status.
. tests/testlib.sh

command -v gdb >/dev/null 2>&1 || { echo "gdb not installed (tests/deps.sh)"; exit 77; }
ELF=$SCN/longmode/longmode64.elf
[ -f "$ELF" ] || { echo "missing $ELF (make scenarios)"; exit 77; }

# start_vmscope [OPTIONS] SCENARIO: `vmscope run` it with --gdb on a free
# port (port 0: the kernel picks one and vmscope prints it).  Sets PORT
# and VPID.
start_vmscope() {
    rm -f "$TMP/guest.err"      # never read the previous run's port
    "$PROG" run --gdb 127.0.0.1:0 --timeout 120 "$@" >"$TMP/guest.out" 2>"$TMP/guest.err" &
    VPID=$!
    PORT=
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*waiting for gdb on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/guest.err" 2>/dev/null)
        [ -n "$PORT" ] && break
        sleep 0.1
    done
    [ -n "$PORT" ] || { fail "vmscope did not listen: $(cat "$TMP/guest.err")"; kill "$VPID"; finish; }
}

# wait_vmscope: wait for it (a watchdog kills it after 90 s, so a test
# that went wrong cannot hang); sets status.
wait_vmscope() {
    ( sleep 90; kill "$VPID" 2>/dev/null ) &
    watchdog=$!
    wait "$VPID"
    status=$?
    kill "$watchdog" 2>/dev/null
}

# run_gdb SCRIPT: batch gdb on the longmode symbols; output in $TMP/gdb.out
run_gdb() {
    timeout 120 gdb -batch -nx -ex 'set confirm off' -ex 'set pagination off' \
        -ex "target remote 127.0.0.1:$PORT" -x "$1" "$ELF" >"$TMP/gdb.out" 2>&1
    echo "gdb exit $?" >>"$TMP/gdb.out"
}

# expect PATTERN DESC: a line of gdb's output matches the extended regex
expect() {
    if grep -Eq -- "$1" "$TMP/gdb.out"; then ok "$2"
    else fail "$2: no line matches /$1/"; fi
}

# ---- session 1: breakpoints, the mode switch, registers, memory ----
start_vmscope longmode
cat >"$TMP/s1.gdb" <<'EOF'
printf "START PC %#llx ENTRY %#llx\n", $pc, &_start
break boot.S:115
continue
monitor mode
printf "BEFORE CS %#x EFER %#llx CR0 %#llx CR3 %#llx PML4 %#llx\n", $cs, $efer, $cr0, $cr3, &pml4
stepi
printf "AFTER PC %#llx START64 %#llx\n", $pc, &start64
monitor mode
x/2gx &boot_gdt
set var mb_magic_boot = 0x12345678
printf "POKE %#x\n", mb_magic_boot
set var mb_magic_boot = 0x2badb002
break kmain
continue
printf "KMAIN PC %#llx SYM %#llx RSP %#llx\n", $pc, &kmain, $rsp
printf "CODE %#x\n", *(unsigned int *)kmain
info registers rip
p/x $cr0
info threads
delete
watch tss.ist[0]
continue
printf "WATCHED %#llx\n", tss.ist[0]
delete
continue
EOF
run_gdb "$TMP/s1.gdb"
wait_vmscope
cat "$TMP/gdb.out"

expect '^START PC 0x10000c ENTRY 0x10000c$' "gdb attaches at the Multiboot entry _start"
expect '^Breakpoint 1, .*boot\.S:115' "breakpoint at a source line (the far jump into 64-bit code)"
expect '^vcpu0 compat, 32-bit code, paging 4-level' "monitor mode: compatibility mode before the jump"
expect '^BEFORE CS 0x8 EFER 0xd00 CR0 0x80010031 CR3 0x101000 PML4 0x101000$' \
    "control registers: EFER.LME|LMA|NXE, CR0.PG|WP|NE|ET|PE, CR3 = the PML4"
expect '^AFTER PC 0x1000eb START64 0x1000eb$' "stepi across the mode switch lands on start64"
expect '^vcpu0 long64, 64-bit code, paging 4-level' "monitor mode: 64-bit mode after the jump"
expect '<boot_gdt>:[[:space:]]+0x0000000000000000[[:space:]]+0x00209a0000000000' \
    "memory: the boot GDT's 64-bit code descriptor"
expect '^POKE 0x12345678$' "memory write (M packet) reads back"
expect '^Breakpoint 2, kmain \(\)' "breakpoint on a higher-half symbol (kmain)"
expect '^KMAIN PC 0xffffffff80109290 SYM 0xffffffff80109290 RSP 0xffffffff8' \
    "registers in 64-bit mode: RIP and RSP in the higher half"
expect '^CODE 0x' "memory read through the guest's 4-level page tables"
expect '^\$1 = 0x80010031$' "p/x \$cr0"
expect 'Thread 1 \(vcpu0 long64' "info threads shows the vCPU and its mode"
expect 'Hardware watchpoint 3: tss.ist\[0\]' "watchpoint accepted (Z2)"
expect '^New value = [0-9]+$' "the write watchpoint stops after the guest writes tss.ist[0]"
expect '^WATCHED 0xffffffff8' "the value written is a higher-half stack address"
expect 'exited with code 041' "continue to the end: the guest's exit status (33) reaches gdb"
grep -q "reply is too long" "$TMP/gdb.out" && fail "gdb complained about the 'g' packet size"
grep -q "rejected target-supplied description" "$TMP/gdb.out" &&
    fail "gdb rejected the target description"
if [ "$status" -eq 33 ]; then ok "vmscope exits with the guest's status (33)"
else fail "vmscope exit status $status, wanted 33: $(cat "$TMP/guest.err")"; fi

# ---- session 2: real mode with CS != 0, Ctrl-C, linear addresses, kill ----
# The boot sector far-jumps to 07C0:xxxx and spins, so the linear PC
# (CS * 16 + IP) differs from IP: breakpoints and $pc use linear addresses.
boot_sector "$TMP/spin.img" <<'ASM'
    .code16
    ljmp $0x07c0, $(spin - 0x7c00)
spin:
    inc %ax
    jmp spin
    .org 510
    .byte 0x55, 0xaa
ASM
start_vmscope "$TMP/spin.img"
cat >"$TMP/s2.gdb" <<'EOF'
python
# Ctrl-C the way a user does it: SIGINT to gdb one second after the
# guest was resumed (gdb then sends 0x03 to the stub).
import gdb, os, signal, threading
def _resumed(event):
    gdb.events.cont.disconnect(_resumed)
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
gdb.events.cont.connect(_resumed)
end
continue
printf "INTERRUPTED PC %#llx CS %#x\n", $pc, $cs
x/i $pc
monitor mode
break *0x7c05
continue
printf "BP PC %#llx\n", $pc
monitor linear-pc off
maintenance flush register-cache
printf "IP %#llx\n", $pc
monitor why
monitor help
monitor no-such-command
kill
EOF
timeout 60 gdb -batch -nx -ex 'set confirm off' -ex "target remote 127.0.0.1:$PORT" \
    -x "$TMP/s2.gdb" >"$TMP/gdb.out" 2>&1
wait_vmscope
cat "$TMP/gdb.out"
expect 'received signal SIGINT' "Ctrl-C (0x03) stops the spinning guest"
expect '^INTERRUPTED PC 0x7c0[5-8] CS 0x7c0$' "real mode: \$pc is the linear PC (CS 0x7c0)"
expect '^vcpu0 real, 16-bit code, paging none, CS=07c0 base=0x7c00' "monitor mode in real mode"
expect '^Breakpoint 1, 0x0+7c05' "breakpoint on a linear address in real mode is reported as such"
expect '^BP PC 0x7c05$' "stopped at the breakpoint's linear address"
expect '^IP 0x5$' "monitor linear-pc off: \$pc is IP again"
expect '^monitor mode' "monitor help lists the stub's commands"
expect "unknown monitor command 'no-such-command'" "an unknown monitor command is one clear line"
if [ "$status" -eq 130 ]; then ok "kill from gdb stops the guest (status 130)"
else fail "status after kill: $status, wanted 130"; fi

# ---- session 3: `vmscope debug --gdb` on the 32-bit protected scenario:
# gdb shares the debugger session; monitor runs the debugger's language.
PELF=$SCN/protected/protected.elf
rm -f "$TMP/guest.err"
"$PROG" debug --gdb 127.0.0.1:0 protected >"$TMP/guest.out" 2>"$TMP/guest.err" &
VPID=$!
PORT=
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*waiting for gdb on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/guest.err" 2>/dev/null)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { fail "vmscope debug did not listen: $(cat "$TMP/guest.err")"; kill "$VPID"; finish; }
cat >"$TMP/s3.gdb" <<'EOF'
break kmain
continue
printf "KMAIN PC %#llx SYM %#llx\n", $pc, &kmain
monitor x/2i $pc
monitor info gdt
monitor info tab
stepi
printf "STEP PC %#llx\n", $pc
monitor nosuchcmd
p/x $cr0
delete
continue
EOF
# A 32-bit ELF makes gdb pick i386; the stub serves x86-64 (docs/GDB.md).
timeout 60 gdb -batch -nx -ex 'set confirm off' -ex 'set architecture i386:x86-64' \
    -ex "file $PELF" -ex "target remote 127.0.0.1:$PORT" -x "$TMP/s3.gdb" \
    >"$TMP/gdb.out" 2>&1
wait_vmscope
cat "$TMP/gdb.out"
expect '^Breakpoint 1, kmain \(\)' "debug --gdb: breakpoint on kmain (a session breakpoint)"
expect '^KMAIN PC 0xc0001280 SYM 0xc0001280$' "debug --gdb: \$pc at kmain in the higher half (32-bit paging)"
expect '<kmain>:.*push +ebx' "monitor x/2i disassembles 32-bit code with the session's disassembler"
expect 'sel\[0x08\] code32' "monitor info gdt decodes the guest's GDT"
expect '^32-bit paging, cr3 0x' "monitor info tab summarises the page tables"
expect '^STEP PC 0xc0001281$' "stepi through the session"
expect 'undefined command: "nosuchcmd"' "an unknown command is the session's one-line error"
expect '^\$1 = 0x80000011$' "p/x \$cr0 under 32-bit paging"
expect 'exited with code 041' "debug --gdb: continue to the end"
if [ "$status" -eq 0 ]; then ok "vmscope debug --gdb ends with status 0"
else fail "vmscope debug --gdb status $status: $(cat "$TMP/guest.err")"; fi

# ---- session 4: --gdb-arch i8086 (real mode, 16-bit disassembly) and
# --gdb-arch i386 (a 32-bit guest with its 32-bit ELF, no `set architecture`)
start_vmscope --gdb-arch i8086 --max-insns 1000000 "$TMP/spin.img"
cat >"$TMP/s4.gdb" <<'EOF'
x/2i $pc
stepi
printf "I8086 PC %#x CS %#x\n", $pc, $cs
monitor mode
kill
EOF
timeout 60 gdb -batch -nx -ex 'set confirm off' -ex "target remote 127.0.0.1:$PORT" \
    -x "$TMP/s4.gdb" >"$TMP/gdb.out" 2>&1
wait_vmscope
cat "$TMP/gdb.out"
expect '0x7c00:[[:space:]]+ljmp +\$0x7c0,\$0x5' "i8086: gdb disassembles 16-bit code (the far jump)"
expect '0x7c05:[[:space:]]+inc +%ax' "i8086: 16-bit register names"
expect '^I8086 PC 0x7c05 CS 0x7c0$' "i8086: stepi through the far jump, \$pc linear"
expect 'i386 \(as i8086\) register layout' "monitor mode names the layout"

start_vmscope --gdb-arch i386 protected
cat >"$TMP/s5.gdb" <<'EOF'
break kmain
continue
x/2i $pc
info registers eip
p/x $cr0
delete
continue
EOF
timeout 60 gdb -batch -nx -ex 'set confirm off' -ex "file $SCN/protected/protected.elf" \
    -ex "target remote 127.0.0.1:$PORT" -x "$TMP/s5.gdb" >"$TMP/gdb.out" 2>&1
wait_vmscope
cat "$TMP/gdb.out"
expect '^Breakpoint 1, kmain \(\)' "i386: breakpoint with the 32-bit ELF as is"
expect '<kmain>:[[:space:]]+push +%ebx' "i386: gdb disassembles 32-bit code"
expect '^eip +0xc0001280 ' "i386: eip"
expect '^\$1 = 0x80000011$' "i386: control registers too"
expect 'exited with code 041' "i386: continue to the end"
grep -q "reply is too long" "$TMP/gdb.out" && fail "i386: 'g' packet size"
[ "$status" -eq 33 ] && ok "i386: status 33" || fail "i386: status $status"

# ---- a bad --gdb argument is one line and status 2 ----
expect_status 2 "--gdb with a bad port" "$PROG" run --gdb 99999 longmode
grep -q "expected PORT or ADDR:PORT" "$TMP/err" && ok "bad --gdb says what it wants" ||
    fail "bad --gdb message: $(cat "$TMP/err")"
expect_status 2 "--gdb-arch with a bad name" "$PROG" run --gdb 0 --gdb-arch arm longmode
expect_status 2 "debug --gdb-arch with a bad name" "$PROG" debug --gdb 0 --gdb-arch arm longmode

finish
