/* boot.S - from the Multiboot entry (32-bit) to 64-bit long mode.
 *
 * A Multiboot v1 loader enters _start in 32-bit protected mode, paging off,
 * flat segments, interrupts off, EAX = 0x2BADB002 (Multiboot spec 3.2).
 * To enter IA-32e mode (Intel SDM Vol. 3, 10.8.5 "Initializing IA-32e
 * Mode"):
 *   1. build 4-level page tables (PML4 -> PDPT -> PD -> PT, SDM 4.5),
 *   2. CR4.PAE = 1,  CR3 = the PML4,
 *   3. EFER.LME = 1 (MSR 0xC0000080; also NXE for the NX bit),
 *   4. CR0.PG = 1: now IA-32e mode is active (EFER.LMA = 1), still running
 *      32-bit code in "compatibility mode",
 *   5. far jump to a code segment with L = 1: 64-bit mode.
 * Then jump to the higher half and call kmain().
 *
 * The start-up map (kmain adds the user pages):
 *   VA 0x000000-0x1FFFFF   identity, 4 KiB pages (pt_low), page 0 absent
 *   VA 0x200000-0x3FFFFF   identity, one 2 MiB page (PD entry with PS = 1)
 *   VA 0xFFFFFFFF80000000- -> PA 0, 8 MiB in 2 MiB pages: the kernel
 */
	.equ MB_MAGIC,     0x1BADB002
	.equ MB_FLAGS,     0
	.equ KOFF,         0xFFFFFFFF80000000
	.equ PG_P,         1 << 0	/* present */
	.equ PG_RW,        1 << 1	/* writable */
	.equ PG_US,        1 << 2	/* user */
	.equ PG_PS,        1 << 7	/* in a PD entry: maps a 2 MiB page */
	.equ CR0_PE,       1 << 0
	.equ CR0_ET,       1 << 4	/* hardwired to 1 */
	.equ CR0_NE,       1 << 5	/* native x87 errors */
	.equ CR0_WP,       1 << 16	/* ring 0 honours read-only pages */
	.equ CR0_PG,       1 << 31
	.equ CR4_PAE,      1 << 5
	.equ MSR_EFER,     0xC0000080
	.equ EFER_LME,     1 << 8	/* long mode enable */
	.equ EFER_NXE,     1 << 11	/* no-execute enable: PTE bit 63 */
	.equ CPUID_EXT_FEATURES, 0x80000001
	.equ CPUID_EDX_LM, 1 << 29	/* long mode supported */
	.equ CPUID_EDX_NX, 1 << 20	/* NX supported */
	.equ BOOT_CS64,    0x08		/* selectors in boot_gdt */
	.equ BOOT_DS,      0x10
	.equ DEBUG_EXIT,   0xF4
	.equ EXIT_NO_LM,   0x7E		/* -> exit status 253 */

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.section .boot.text, "ax"
	.code32
	.globl	_start
_start:
	cli
	mov	%eax, mb_magic_boot
	mov	$boot_stack_top, %esp

	/* Can this CPU do long mode and NX?  (CPUID 0x80000001: EDX.LM, EDX.NX) */
	mov	$CPUID_EXT_FEATURES, %eax
	cpuid
	and	$(CPUID_EDX_LM | CPUID_EDX_NX), %edx
	cmp	$(CPUID_EDX_LM | CPUID_EDX_NX), %edx
	je	1f
	mov	$EXIT_NO_LM, %al
	out	%al, $DEBUG_EXIT
	hlt
1:
	/* Zero the page tables and the boot stack. */
	mov	$_boot_bss_start, %edi
	mov	$_boot_bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	cld
	rep stosl

	/* Each entry is 8 bytes; only the low 4 are needed below 4 GiB.
	 * Upper levels allow everything (P|RW|US); the last level decides. */
	movl	$(pdpt_low + PG_P + PG_RW + PG_US), pml4		/* [0]   */
	movl	$(pdpt_high + PG_P + PG_RW), pml4 + 511 * 8		/* [511] */
	movl	$(pd_low + PG_P + PG_RW + PG_US), pdpt_low		/* [0]   */
	movl	$(pt_low + PG_P + PG_RW), pd_low			/* [0]   */
	movl	$(0x200000 + PG_P + PG_RW + PG_PS), pd_low + 1 * 8	/* [1]   */
	/* 0xFFFFFFFF80000000: PML4 511, PDPT 510, PD 0.. */
	movl	$(pd_high + PG_P + PG_RW), pdpt_high + 510 * 8

	/* pt_low[i] = i * 4 KiB | P | RW for i = 1..511; [0] stays 0. */
	mov	$(pt_low + 8), %edi
	mov	$(0x1000 + PG_P + PG_RW), %eax
	mov	$511, %ecx
2:	mov	%eax, (%edi)
	add	$0x1000, %eax
	add	$8, %edi
	loop	2b

	/* pd_high[i] = i * 2 MiB | P | RW | PS for i = 0..3. */
	mov	$pd_high, %edi
	mov	$(PG_P + PG_RW + PG_PS), %eax
	mov	$4, %ecx
3:	mov	%eax, (%edi)
	add	$0x200000, %eax
	add	$8, %edi
	loop	3b

	mov	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov	$(CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_PE), %eax
	mov	%eax, %cr0		/* IA-32e mode is now active */

	lgdt	boot_gdtr
	ljmp	$BOOT_CS64, $start64

	.code64
start64:
	mov	$BOOT_DS, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	movabs	$kstack_top, %rsp	/* the kernel stack, in the higher half */
	movabs	$kentry64, %rax
	jmp	*%rax

	.section .boot.data, "aw"
	.balign	8
/* A minimal GDT to get into 64-bit mode; kmain() installs the real one.
 * 64-bit code descriptor: P=1, DPL=0, S=1, type=0xA (execute/read), L=1. */
boot_gdt:
	.quad	0
	.quad	0x00209A0000000000	/* 0x08: 64-bit code */
	.quad	0x0000920000000000	/* 0x10: data */
boot_gdtr:
	.word	boot_gdtr - boot_gdt - 1
	.long	boot_gdt
	.globl	mb_magic_boot
mb_magic_boot:
	.long	0

	.section .boot.bss, "aw", @nobits
	.balign	4096
	.globl	pml4, pdpt_low, pd_low, pt_low, pt_user, pdpt_high, pd_high
pml4:		.skip	4096
pdpt_low:	.skip	4096
pd_low:		.skip	4096
pt_low:		.skip	4096
pt_user:	.skip	4096
pdpt_high:	.skip	4096
pd_high:	.skip	4096
boot_stack:	.skip	4096
boot_stack_top:
