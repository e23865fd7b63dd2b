/* boot.S - Multiboot entry of the `protected` guest.
 *
 * A Multiboot v1 loader (QEMU -kernel, GRUB, vmscope) enters here in 32-bit
 * protected mode with paging off, flat 4 GiB code and data segments,
 * interrupts disabled, EAX = 0x2BADB002 and EBX = the multiboot info
 * (Multiboot Specification 0.6.96, section 3.2 "Machine state").  Nothing
 * else is set up: no stack, no IDT, and the GDT is the loader's, which we
 * must not rely on.
 *
 * This code runs at its physical address.  It builds a first set of page
 * tables (all pages present and writable), turns paging on and jumps to
 * kmain() at its virtual address in the higher half.  kmain() then
 * refines the tables (read-only text, user pages, a NULL guard page).
 */
	.equ MB_MAGIC,   0x1BADB002	/* multiboot header magic */
	.equ MB_FLAGS,   0		/* no alignment/memory-info requests */
	.equ KOFF,       0xBFF00000	/* virtual - physical (see kernel.ld) */
	.equ PTE_P,      0x001		/* present */
	.equ PTE_RW,     0x002		/* writable */
	.equ PTE_US,     0x004		/* user-accessible */
	.equ CR0_PG,     0x80000000	/* CR0 bit 31: paging */
	.equ KPDE,       0xC0000000 >> 22	/* PDE index 0x300 */

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)	/* checksum: the three sum to 0 */

	.section .boot.text, "ax"
	.code32
	.globl	_start
_start:
	cli
	mov	%eax, %ebp			/* keep the multiboot magic */
	mov	$(boot_stack_top - KOFF), %esp	/* physical: paging is off */

	/* Zero .bss (a loader should, but we do not count on it). */
	mov	$(_bss_start - KOFF), %edi
	mov	$(_bss_end - KOFF), %ecx
	sub	%edi, %ecx
	shr	$2, %ecx			/* count of 4-byte words */
	xor	%eax, %eax
	cld
	rep stosl
	mov	%ebp, mb_magic - KOFF

	/* pt_low: identity map of 0-4 MiB, PTE i = (i * 4 KiB) | P | RW.
	 * A 32-bit PTE (SDM Vol. 3, 4.3, table 4-6): bits 31-12 frame,
	 * bit 2 U/S, bit 1 R/W, bit 0 P. */
	mov	$(pt_low - KOFF), %edi
	mov	$(PTE_P | PTE_RW), %eax
	mov	$1024, %ecx
1:	stosl
	add	$4096, %eax
	loop	1b

	/* pt_kern: VA 0xC0000000 + i*4 KiB -> PA 0x100000 + i*4 KiB. */
	mov	$(pt_kern - KOFF), %edi
	mov	$(0x00100000 | PTE_P | PTE_RW), %eax
	mov	$1024, %ecx
2:	stosl
	add	$4096, %eax
	loop	2b

	/* The page directory: PDE 0 -> pt_low, PDE 0x300 -> pt_kern.
	 * U/S and R/W are allowed here; each PTE decides (SDM 4.6). */
	movl	$(pt_low - KOFF + PTE_P + PTE_RW + PTE_US), pgdir - KOFF
	movl	$(pt_kern - KOFF + PTE_P + PTE_RW + PTE_US), pgdir - KOFF + KPDE * 4

	mov	$(pgdir - KOFF), %eax
	mov	%eax, %cr3
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0		/* paging on: this code is identity mapped */

	mov	$boot_stack_top, %esp	/* the same stack, at its virtual address */
	mov	$kmain, %eax
	jmp	*%eax			/* into the higher half */

	.bss
	.balign	16
	.globl	boot_stack_top
boot_stack:
	.skip	8192
boot_stack_top:
