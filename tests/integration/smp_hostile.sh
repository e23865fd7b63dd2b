# smp_hostile.sh - a guest that writes pseudo-random values to every local
# APIC and I/O APIC register (and at any byte offset and width), sends
# random ICRs (random INITs and STARTUPs
# that start APs anywhere) and takes whatever interrupts result, on 2 and 4
# vCPUs: vmscope must end with a documented status every time, never a
# signal or a sanitizer report.  Seeds are fixed, so failures reproduce.
. tests/testlib.sh

mkguest() {  # seed out
    boot_sector "$2" <<EOF
	.code16
	.globl	_start
_start:	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	\$0x7000, %sp
	lgdtl	gdtdesc
	mov	%cr0, %eax
	or	\$1, %eax
	mov	%eax, %cr0
	ljmpl	\$8, \$pm
	.code32
pm:	mov	\$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	\$0x7000, %esp
	/* IDT at 0x1000: every vector -> handler (EOI, IRET) */
	mov	\$0x1000, %edi
	mov	\$256, %ecx
1:	mov	\$handler, %eax
	mov	%ax, (%edi)
	movw	\$8, 2(%edi)
	movw	\$0x8E00, 4(%edi)
	shr	\$16, %eax
	mov	%ax, 6(%edi)
	add	\$8, %edi
	loop	1b
	lidt	idtdesc
	mov	\$$1, %ebx
loop:	call	rnd
	and	\$0xFF0, %eax			/* any LAPIC register */
	mov	%eax, %esi
	call	rnd
	mov	%eax, 0xFEE00000(%esi)
	call	rnd
	mov	%al, 0xFEC00000			/* IOREGSEL: any index */
	call	rnd
	mov	%eax, 0xFEC00010		/* IOWIN */
	call	rnd
	mov	0xFEE00000(%esi), %edx		/* and read one back */
	call	rnd
	and	\$0xFFF, %eax			/* any byte offset, any width */
	mov	%eax, %esi
	call	rnd
	movb	%al, 0xFEE00000(%esi)
	movw	0xFEE00000(%esi), %dx
	movl	0xFEE00000(%esi), %edx
	movw	%ax, 0xFEE00000(%esi)
	movl	%eax, 0xFEE00000(%esi)
	movl	0xFEC00000(%esi), %edx
	call	rnd
	test	\$0x3F, %al
	jnz	2f
	call	rnd
	mov	%eax, 0xFEE00310		/* ICR high */
	call	rnd
	and	\$0x000CFFFF, %eax
	mov	%eax, 0xFEE00300		/* ICR low: send */
2:	sti
	nop
	cli
	jmp	loop
rnd:	mov	%ebx, %eax			/* xorshift32 */
	shl	\$13, %eax
	xor	%eax, %ebx
	mov	%ebx, %eax
	shr	\$17, %eax
	xor	%eax, %ebx
	mov	%ebx, %eax
	shl	\$5, %eax
	xor	%eax, %ebx
	mov	%ebx, %eax
	ret
handler:
	movl	\$0, 0xFEE000B0
	iret
	.balign	8
gdt:	.quad	0
	.quad	0x00CF9A000000FFFF
	.quad	0x00CF92000000FFFF
gdtdesc: .word	23
	.long	gdt
idtdesc: .word	0x7FF
	.long	0x1000
	.org	510
	.byte	0x55, 0xAA
EOF
}

for cpus in 2 4; do
    for seed in 1 7 42 1234 31337 8675309; do
        mkguest "$seed" "$TMP/h.img" || { fail "seed $seed: cannot assemble"; continue; }
        timeout 120 "$PROG" run --cpus "$cpus" --max-insns 500000 --timeout 60 "$TMP/h.img" \
            >/dev/null 2>"$TMP/h.err" </dev/null
        st=$?
        case $st in
            0|4|6|8|12|[13579]|[1-9][13579]|1[0-9][13579]|2[0-4][13579]|25[135]) ;;
            *) fail "cpus $cpus seed $seed: status $st: $(head -c 400 "$TMP/h.err")"; continue ;;
        esac
        if grep -q "Sanitizer\|runtime error" "$TMP/h.err"; then
            fail "cpus $cpus seed $seed: sanitizer report: $(head -c 400 "$TMP/h.err")"
        fi
    done
done
ok "12 hostile APIC guests ended with documented statuses"

# The same guest, traced: the APIC traffic is there and INIT/STARTUP made
# application processors run (events from vcpu 1).
mkguest 42 "$TMP/h.img"
"$PROG" run --cpus 2 --max-insns 1000000 --trace "$TMP/h.jsonl" "$TMP/h.img" >/dev/null 2>&1 </dev/null
grep -q '"text":"lapic' "$TMP/h.jsonl" || fail "no lapic device events in the trace"
grep -q '"text":"ioapic' "$TMP/h.jsonl" || fail "no ioapic device events in the trace"
finish
