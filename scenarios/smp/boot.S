/* boot.S - entry of the `smp` guest, the AP start-up trampoline and the
 * interrupt stubs.
 *
 * The boot CPU enters at _start from a Multiboot v1 loader (32-bit
 * protected mode, paging off, interrupts off; Multiboot 0.6.96, 3.2).
 * An application processor starts in real mode at AP_START:0000 after
 * INIT/STARTUP (Intel SDM Vol. 3A 8.4.4.1: a STARTUP IPI with vector VV
 * starts it at VV00:0000); the boot CPU copied ap_tramp there first.
 */
	.equ MB_MAGIC,  0x1BADB002
	.equ MB_FLAGS,  0
	.equ AP_START,  0x8000		/* STARTUP vector 0x08 */
	.equ KCODE,     0x08		/* our GDT: flat 32-bit code */
	.equ KDATA,     0x10		/* flat data */
	.equ CR0_PE,    0x1

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl	_start
_start:
	cli
	mov	$(bsp_stack + 4096), %esp
	/* zero .bss */
	mov	$_bss_start, %edi
	mov	$_bss_end, %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	cld
	rep stosb
	call	load_segments
	call	bsp_main
1:	cli
	hlt
	jmp	1b

/* Load our own GDT (never rely on the loader's) and reload every
 * segment register from it. */
	.globl	load_segments
load_segments:
	lgdt	gdt_desc
	ljmp	$KCODE, $1f
1:	mov	$KDATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	ret

/* ---- AP start-up code: copied to AP_START, runs in real mode ---- */
	.code16
	.globl	ap_tramp, ap_tramp_end
ap_tramp:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	lgdtl	AP_START + (tramp_gdt_desc - ap_tramp)
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$KCODE, $ap_entry32
	.balign	4
tramp_gdt_desc:				/* a copy reachable with DS = 0 */
	.word	gdt_end - gdt - 1
	.long	gdt
ap_tramp_end:

	.code32
ap_entry32:
	mov	$KDATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	mov	ap_stack_top, %esp	/* set by the boot CPU before STARTUP */
	call	ap_main
1:	cli
	hlt
	jmp	1b

/* ---- interrupt stubs: save registers, call the C handler, IRET ---- */
	.macro STUB name, handler
	.globl	\name
\name:
	pushal
	cld
	call	\handler
	popal
	iret
	.endm

	STUB	isr_timer, on_timer
	STUB	isr_ipi, on_ipi
	STUB	isr_ipi_all, on_ipi_all
	STUB	isr_pit, on_pit
	STUB	isr_spurious, on_spurious
	STUB	isr_other, on_other
	STUB	isr_nmi, on_nmi

	.data
	.balign	8
gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF	/* 0x08: code, base 0, 4 GiB, 32-bit */
	.quad	0x00CF92000000FFFF	/* 0x10: data, base 0, 4 GiB */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.bss
	.balign	4096
	.globl	bsp_stack
bsp_stack:
	.skip	4096
