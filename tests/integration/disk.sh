# disk.sh - booting from disk images with the firmware: --disk writes reach
# the file, snapshot disks (an image run by name/path) never change, bad
# disk files get one line and status 2, --vga-dump, --rtc, and a guest
# that writes random values to every PC device register cannot bring
# vmscope down.
. tests/testlib.sh

D=$SCN/disk
[ -f "$D/disk0.img" ] && [ -f "$D/disk1.img" ] || { echo "SKIP: make scenarios first"; exit 77; }
sector() {  # sector FILE N: the NUL-terminated text at the start of sector N
    dd if="$1" bs=512 skip="$2" count=1 2>/dev/null | tr -d '\000' | head -c 40
}

# 1. --disk: the firmware boots disk 0; the guest's writes reach disk 1's file.
cp "$D/disk0.img" "$TMP/d0.img"
cp "$D/disk1.img" "$TMP/d1.img"
"$PROG" run --disk "$TMP/d0.img" --disk "$TMP/d1.img" --vga-dump "$TMP/vga.txt" \
    >"$TMP/out" 2>"$TMP/err"
st=$?
[ "$st" = 33 ] && ok "--disk boot: status 33" || fail "--disk boot: status $st: $(head -c 300 "$TMP/err")"
cmp -s "$TMP/out" scenarios/disk/expected.txt && ok "--disk boot: output as under QEMU" ||
    { fail "--disk boot: output differs"; diff scenarios/disk/expected.txt "$TMP/out" | head; }
[ "$(sector "$TMP/d1.img" 9)" = "written by ATA PIO" ] && ok "ATA WRITE SECTORS reached the file" ||
    fail "sector 9 of disk 1 is '$(sector "$TMP/d1.img" 9)'"
[ "$(sector "$TMP/d1.img" 6)" = "written by int 13h AH=43h" ] && ok "int 13h AH=43h reached the file" ||
    fail "sector 6 of disk 1 is '$(sector "$TMP/d1.img" 6)'"
grep -q "sector 40, beyond the end" "$TMP/err" && [ "$(grep -c . "$TMP/err")" = 1 ] &&
    ok "out-of-range sector: one line for the user" || fail "stderr: $(cat "$TMP/err")"
head -n 1 "$TMP/vga.txt" | grep -qx ">" && tail -n 1 "$TMP/vga.txt" | grep -qx "cursor 2,5" &&
    ok "--vga-dump: the screen after the scroll, cursor 2,5" || fail "vga dump: $(cat "$TMP/vga.txt")"

# 2. run by name: snapshot disks, the build's images never change.
sum=$(cat "$D/disk0.img" "$D/disk1.img" | cksum)
"$PROG" run disk >"$TMP/out2" 2>/dev/null
st=$?
[ "$st" = 33 ] && cmp -s "$TMP/out2" scenarios/disk/expected.txt && ok "scenario by name" ||
    fail "scenario by name: status $st"
[ "$(cat "$D/disk0.img" "$D/disk1.img" | cksum)" = "$sum" ] && ok "snapshot: image files unchanged" ||
    fail "the scenario's images were modified"
cp "$D/disk1.img" "$TMP/d1.img"
"$PROG" run --snapshot --disk "$TMP/d0.img" --disk "$TMP/d1.img" >/dev/null 2>&1
cmp -s "$D/disk1.img" "$TMP/d1.img" && ok "--snapshot: --disk files unchanged" || fail "--snapshot wrote the file"

# 3. bad disk files and options: one line on stderr, status 2.
one_line() {  # one_line DESC PATTERN CMD...
    desc=$1; pat=$2; shift 2
    expect_status 2 "$desc" "$@"
    if [ "$(grep -c . "$TMP/err")" = 1 ] && grep -q "$pat" "$TMP/err"; then ok "$desc: one line"
    else fail "$desc: stderr: $(head -c 300 "$TMP/err")"; fi
}
one_line "missing disk" "nope.img: No such file" "$PROG" run --disk "$TMP/nope.img"
head -c 1000 /dev/zero >"$TMP/odd.img"
one_line "size not a multiple of 512" "not a whole number of 512-byte sectors" "$PROG" run --disk "$TMP/odd.img"
head -c 4096 /dev/zero >"$TMP/zero.img"
one_line "no boot signature" "no boot signature" "$PROG" run --disk "$TMP/zero.img"
: >"$TMP/empty.img"
one_line "empty image" "512-byte sectors" "$PROG" run --disk "$TMP/empty.img"
one_line "image used by two VMs" "in use" "$PROG" run --vms 2 --disk "$TMP/d0.img"
one_line "three disks" "at most 2 disks" "$PROG" run --disk a --disk b --disk c
one_line "bad --rtc" "not a time" "$PROG" run --rtc yesterday --disk "$TMP/d0.img"
one_line "bad --input" "not serial, kbd or both" "$PROG" run --input mouse --disk "$TMP/d0.img"

# 4. the keyboard path: typed bytes -> i8042 scan codes -> IRQ 1 -> the
# firmware's int 09h -> BIOS buffer -> int 16h AH=00h (waiting in HLT).
boot_sector "$TMP/kbd.img" <<'EOF'
	.code16
	.globl _start
_start:
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x7000, %sp
	movw $4, %cx
1:	xorb %ah, %ah
	int $0x16
	movw $0x3F8, %dx
	outb %al, %dx
	movb %ah, %al
	addb $0x40, %al			/* the scan code as a character */
	outb %al, %dx
	loop 1b
	movb $0x10, %al
	outb %al, $0xF4
	.org 510
	.byte 0x55, 0xAA
EOF
printf 'aZ\n!' | "$PROG" run --input kbd --max-insns 2000000000 --disk "$TMP/kbd.img" >"$TMP/kbd.out" 2>"$TMP/kbd.err"
st=$?
printf 'a^Zl\r\\!B' >"$TMP/kbd.want"          # scan codes 1Eh 2Ch 1Ch 02h (+40h)
if [ "$st" = 33 ] && cmp -s "$TMP/kbd.out" "$TMP/kbd.want"; then
    ok "--input kbd: int 16h read a, Z, Enter, ! with their scan codes"
else
    fail "--input kbd: status $st, output $(od -An -c "$TMP/kbd.out" | head -2) $(head -c 200 "$TMP/kbd.err")"
fi
printf 'aZ\n!' | "$PROG" run --timeout 2 --disk "$TMP/kbd.img" >"$TMP/kbd.out" 2>/dev/null
st=$?
[ "$st" = 6 ] && [ ! -s "$TMP/kbd.out" ] && ok "--input serial (default): the keyboard gets nothing" ||
    fail "--input serial: status $st, output '$(cat "$TMP/kbd.out")'"

# 5. a hostile guest: random values of random widths to every register of
# the ATA channel, i8042, RTC, VGA, port 0x92 and the firmware's hypercall
# port (random frame addresses), plus BIOS calls with random registers.
hostile() {  # hostile SEED OUT
    boot_sector "$2" <<EOF
	.code16
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ss
	movw \$0x7000, %sp
	movl \$$1, %ebp            /* LCG state */
1:	imull \$1103515245, %ebp, %ebp
	addl \$12345, %ebp
	movl %ebp, %eax
	shrl \$8, %eax
	xorw %bx, %bx
	movb %al, %bl
	andb \$31, %bl
	shlw \$1, %bx
	movw ports(%bx), %dx
	movl %ebp, %eax
	roll \$13, %eax
	cmpw \$0x92, %dx           /* no resets: they would end the run early */
	jne 8f
	andb \$0xFE, %al
8:	cmpw \$0x64, %dx
	jne 9f
	andb \$0x7F, %al
9:	testl \$0x40000, %ebp
	jnz 3f
	testl \$0x20000, %ebp
	jnz 2f
	outb %al, %dx
	jmp 5f
2:	testl \$0x10000, %ebp
	jnz 4f
	outw %ax, %dx
	jmp 5f
4:	outl %eax, %dx
	jmp 5f
3:	testl \$0x80000, %ebp
	jnz 6f
	inb %dx, %al
	jmp 5f
6:	movl %ebp, %ecx           /* a BIOS call with random registers */
	movl %ebp, %edx
	rorl \$7, %edx
	andb \$0x7F, %dl           /* drives 0x00-0x7F fail; | 0x80 below */
	orb \$0x80, %dl
	movw \$0x9000, %bx
	movw %sp, %si
	testb \$1, %ch
	jz 7f
	int \$0x13
	jmp 5f
7:	int \$0x15
5:	jmp 1b
ports:
	.word 0x1F0, 0x1F1, 0x1F2, 0x1F3, 0x1F4, 0x1F5, 0x1F6, 0x1F7
	.word 0x3F6, 0x1F7, 0x1F0, 0x60, 0x64, 0x70, 0x71, 0x71
	.word 0x92, 0x3D4, 0x3D5, 0x3DA, 0x3C0, 0x3C8, 0x3C9, 0x3CE
	.word 0x7F0, 0x7F0, 0x7F1, 0x1F7, 0x70, 0x71, 0x1F0, 0x3D5
	.org 510
	.byte 0x55, 0xAA
EOF
}
cp "$D/disk1.img" "$TMP/h1.img"
for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
    hostile "$seed" "$TMP/h.img" || { fail "seed $seed: cannot assemble"; continue; }
    sz=$(cat "$TMP/h1.img" | wc -c)
    timeout 60 "$PROG" run --max-insns 400000 --timeout 30 --disk "$TMP/h.img" --disk "$TMP/h1.img" \
        >/dev/null 2>"$TMP/h.err" </dev/null
    st=$?
    case $st in
        0|4|6|8|12|[13579]|[1-9][13579]|1[0-9][13579]|2[0-4][13579]|25[135]) ;;
        *) fail "hostile seed $seed: status $st: $(head -c 300 "$TMP/h.err")"; continue ;;
    esac
    grep -q "Sanitizer\|runtime error" "$TMP/h.err" && fail "hostile seed $seed: sanitizer: $(head -c 300 "$TMP/h.err")"
    [ "$(wc -c <"$TMP/h1.img")" = "$sz" ] || fail "hostile seed $seed: disk 1 changed size"
    [ "$(grep -c . "$TMP/h.err")" -le 21 ] || fail "hostile seed $seed: $(grep -c . "$TMP/h.err") lines on stderr"
done
ok "12 hostile device guests ended with documented statuses, disk sizes unchanged"
finish
