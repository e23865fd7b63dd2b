/* entry.S - kernel entry, trap entry and exit, the idle loop, and the
 * real-mode trampoline application processors start in.
 *
 * boot.S jumps to _start in 32-bit protected mode, paging off, with its
 * flat GDT (0x08 code, 0x10 data) and interrupts disabled.
 */
	.equ SEL_KCODE, 0x08
	.equ SEL_KDATA, 0x10
	.equ CR0_PE,    0x00000001
	.equ CR0_WP,    0x00010000
	.equ CR0_PG,    0x80000000

	.section .text.entry, "ax"
	.code32
	.globl	_start
_start:
	mov	$boot_stack_top, %esp
	/* zero .bss: the boot sector loaded only the file's bytes */
	mov	$_bss_start, %edi
	mov	$_bss_end, %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	cld
	rep stosb
	call	kmain
1:	cli
	hlt
	jmp	1b

/* ---- trap entry ----
 * The CPU pushes (SDM Vol. 3A 6.12.1): SS, ESP (only when coming from
 * ring 3: then on the stack TSS.ESP0 names), EFLAGS, CS, EIP and, for
 * some exceptions, an error code.  Each stub pushes a 0 when there is no
 * error code, then its vector number, so every frame has the same shape
 * (struct trapframe in kernel.h). */
	.macro VEC n
	.globl	vec\n
vec\n:
	.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushl	$0
	.endif
	pushl	$\n
	jmp	alltraps
	.endm
	.macro VECPTR n
	.long	vec\n
	.endm

	.text
	.altmacro
	.set	i, 0
	.rept	256
	VEC	%i
	.set	i, i + 1
	.endr

/* Save everything, take the big kernel lock in trap(tf), and resume the
 * frame trap() returns: the same one, or another process's (a switch). */
alltraps:
	pushl	%ds
	pushl	%es
	pushl	%fs
	pushl	%gs
	pushal
	mov	$SEL_KDATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	pushl	%esp			/* argument: struct trapframe * */
	call	trap
	mov	%eax, %esp		/* the frame to resume */
	/* Release the big kernel lock only now: we are on the stack of the
	 * process we resume, so another CPU may take the one we left. */
	movl	$0, klock_word
	.globl	trapret
trapret:
	popal
	popl	%gs
	popl	%fs
	popl	%es
	popl	%ds
	addl	$8, %esp		/* vector number and error code */
	iret

/* The idle loop: each CPU's "process" when nothing else is runnable.  It
 * waits for an interrupt with STI;HLT (no interrupt can slip in between:
 * STI delays them by one instruction) and lets trap() pick work. */
	.globl	idle_loop
idle_loop:
	call	idle_check		/* the BSP ends the run when all exited */
	sti
	hlt
	cli
	jmp	idle_loop

/* ---- the AP trampoline (Intel MP Spec 1.4, B.4) ----
 * Copied to AP_TRAMPOLINE (0x7000) by smp_start_ap().  The STARTUP IPI
 * with vector 0x07 starts the AP in real mode at CS:IP = 0700:0000.  It
 * loads the kernel GDT, turns protection on, and far-jumps to ap_entry32
 * (an absolute 32-bit address, fine: paging is still off). */
	.code16
	.globl	ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	mov	%cs, %ax
	mov	%ax, %ds		/* DS = 0x0700: offsets below are relative */
	lgdtl	ap_gdt_desc - ap_trampoline
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$SEL_KCODE, $ap_entry32
	.balign	4
ap_gdt_desc:
	.word	0x17			/* the boot GDT: null, code, data */
	.long	ap_boot_gdt
ap_trampoline_end:

	.code32
ap_entry32:
	mov	$SEL_KDATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%ax, %ax
	mov	%ax, %fs
	mov	%ax, %gs
	mov	ap_stack, %esp		/* smp_start_ap() allocated it */
	mov	ap_pgdir, %eax		/* the kernel page directory */
	mov	%eax, %cr3
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_WP), %eax
	mov	%eax, %cr0
	call	ap_main
2:	cli
	hlt
	jmp	2b

	.section .rodata
	.balign	4
	.globl	vectors
vectors:
	.set	i, 0
	.rept	256
	VECPTR	%i
	.set	i, i + 1
	.endr

	.balign	8
ap_boot_gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF	/* code: P, DPL 0, exec/read, G, D */
	.quad	0x00CF92000000FFFF	/* data: P, DPL 0, read/write, G, B */

	.data
	.balign	4
	.globl	ap_stack, ap_pgdir, klock_word
ap_stack:	.long	0
ap_pgdir:	.long	0
klock_word:	.long	0

	.bss
	.balign	16
boot_stack:
	.skip	8192
	.globl	boot_stack_top
boot_stack_top:
