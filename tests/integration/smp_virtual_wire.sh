# smp_virtual_wire.sh - the 8259 reaches the boot CPU through LINT0 in
# ExtINT mode (virtual wire, the state a BIOS leaves), with the local APIC
# software-enabled too; masking LINT0 cuts it off.  The guest (protected
# mode, no paging) counts PIT ticks taken through the 8259, masks LINT0,
# then waits for a local APIC one-shot timer: it exits with 0x10 (status 33)
# when no 8259 interrupt arrived after the mask, else 0x11 (35), or 0x12
# (37) when the first ticks never came.  Run on vmscope and QEMU alike.
. tests/testlib.sh

boot_sector "$TMP/vw.img" <<'EOF' || { fail "cannot assemble"; finish; }
	.code16
	.globl	_start
_start:	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0x7000, %sp
	lgdtl	gdtdesc
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$8, $pm
	.code32
pm:	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7000, %esp
	/* IDT at 0x1000: vector 0x20 -> pit_isr, 0x30 -> timer_isr, 0xFF -> spurious */
	mov	$pit_isr, %eax
	mov	$0x20, %edx
	call	gate
	mov	$timer_isr, %eax
	mov	$0x30, %edx
	call	gate
	mov	$spurious_isr, %eax
	mov	$0xFF, %edx
	call	gate
	lidt	idtdesc
	/* 8259: ICW1-4 (vectors 0x20/0x28), only IRQ0 unmasked; PIT 1 kHz */
	mov	$0x11, %al
	out	%al, $0x20
	out	%al, $0xA0
	mov	$0x20, %al
	out	%al, $0x21
	mov	$0x28, %al
	out	%al, $0xA1
	mov	$4, %al
	out	%al, $0x21
	mov	$2, %al
	out	%al, $0xA1
	mov	$1, %al
	out	%al, $0x21
	out	%al, $0xA1
	mov	$0xFE, %al
	out	%al, $0x21
	mov	$0xFF, %al
	out	%al, $0xA1
	mov	$0x34, %al
	out	%al, $0x43
	mov	$0xA9, %al			/* 1193 = 0x04A9: ~1 kHz */
	out	%al, $0x40
	mov	$0x04, %al
	out	%al, $0x40
	/* local APIC on, LINT0 ExtINT unmasked (virtual wire) */
	movl	$0x1FF, 0xFEE000F0
	movl	$0x700, 0xFEE00350
	/* phase 1: three PIT ticks through the 8259 and LINT0 */
	movl	$2000000, %ecx
1:	sti
	nop
	cli
	cmpl	$3, ticks
	jae	2f
	loop	1b
	mov	$0x12, %al
	out	%al, $0xf4
2:	/* phase 2: mask LINT0, then wait 20 ms (LAPIC one-shot) */
	movl	$0x10700, 0xFEE00350
	mov	ticks, %ebx
	movl	$0x0B, 0xFEE003E0		/* divide by 1 */
	movl	$0x30, 0xFEE00320		/* one-shot, vector 0x30 */
	movl	$20000000, 0xFEE00380
3:	sti
	hlt
	cli
	cmpl	$0, done
	je	3b
	mov	$0x10, %al
	cmp	ticks, %ebx
	je	4f
	mov	$0x11, %al
4:	out	%al, $0xf4
	hlt

gate:	/* %eax = handler, %edx = vector */
	lea	0x1000(,%edx,8), %edi
	mov	%ax, (%edi)
	movw	$8, 2(%edi)
	movw	$0x8E00, 4(%edi)
	shr	$16, %eax
	mov	%ax, 6(%edi)
	ret
pit_isr:
	incl	ticks
	push	%eax
	mov	$0x20, %al
	out	%al, $0x20			/* 8259 EOI */
	pop	%eax
	iret
timer_isr:
	movl	$1, done
	movl	$0, 0xFEE000B0			/* LAPIC EOI */
	iret
spurious_isr:
	iret
	.balign	4
ticks:	.long	0
done:	.long	0
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

timeout 60 "$PROG" run --timeout 30 "$TMP/vw.img" >/dev/null 2>"$TMP/vw.err" </dev/null
st=$?
[ "$st" = 33 ] && ok "vmscope: 8259 through LINT0, cut off when LINT0 is masked" ||
    fail "vmscope: status $st (33 expected; 35: interrupts after the mask; 37: none before): $(head -c 200 "$TMP/vw.err")"
"$PROG" run --timeout 30 --cpus 2 "$TMP/vw.img" >/dev/null 2>&1 </dev/null
st=$?
[ "$st" = 33 ] && ok "same with 2 vCPUs" || fail "2 vCPUs: status $st"

QEMU=${QEMU:-qemu-system-x86_64}
if command -v "$QEMU" >/dev/null 2>&1; then
    timeout 60 "$QEMU" -accel tcg -nodefaults -display none -no-reboot -serial null \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -drive format=raw,file="$TMP/vw.img",if=ide \
        </dev/null >/dev/null 2>&1
    st=$?
    [ "$st" = 33 ] && ok "QEMU agrees" || fail "QEMU: status $st"
fi
finish
