/* trapentry.S - interrupt/exception entry stubs and the ring switch.
 *
 * On an interrupt or exception through an interrupt gate the CPU pushes
 * (SDM Vol. 3, 6.12.1, figure 6-4):
 *     from ring 3:  SS, ESP, EFLAGS, CS, EIP [, error code]   (on TSS.ESP0)
 *     from ring 0:           EFLAGS, CS, EIP [, error code]   (same stack)
 * Only #DF(8), #TS(10), #NP(11), #SS(12), #GP(13), #PF(14), #AC(17) and
 * #CP(21) push an error code; the other stubs push a 0 in its place so that
 * every trap frame has the same shape (struct trapframe in kernel.c).
 */
	.equ KDATA_SEL, 0x10

	.macro VEC_NOERR n
	.globl	vec\n
vec\n:	pushl	$0
	pushl	$\n
	jmp	trap_common
	.endm

	.macro VEC_ERR n
	.globl	vec\n
vec\n:	pushl	$\n			/* the CPU pushed the error code */
	jmp	trap_common
	.endm

	.text
	VEC_NOERR 0
	VEC_NOERR 1
	VEC_NOERR 2
	VEC_NOERR 3
	VEC_NOERR 4
	VEC_NOERR 5
	VEC_NOERR 6
	VEC_NOERR 7
	VEC_ERR   8
	VEC_NOERR 9
	VEC_ERR   10
	VEC_ERR   11
	VEC_ERR   12
	VEC_ERR   13
	VEC_ERR   14
	VEC_NOERR 15
	VEC_NOERR 16
	VEC_ERR   17
	VEC_NOERR 18
	VEC_NOERR 19
	VEC_NOERR 20
	VEC_ERR   21
	.irp n, 22,23,24,25,26,27,28,29,30,31
	VEC_NOERR \n
	.endr
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	VEC_NOERR \n
	.endr
	VEC_NOERR 128

/* Save the rest of the interrupted state, call trap(tf), restore, iret. */
trap_common:
	pushl	%ds
	pushl	%es
	pushl	%fs
	pushl	%gs
	pushal
	mov	$KDATA_SEL, %ax		/* kernel data segment */
	mov	%ax, %ds
	mov	%ax, %es
	pushl	%esp			/* argument: struct trapframe * */
	call	trap
	addl	$4, %esp
	.globl	trap_return
trap_return:
	popal
	popl	%gs
	popl	%fs
	popl	%es
	popl	%ds
	addl	$8, %esp		/* vector and error code */
	iret

/* void enter_user(uint32_t eip, uint32_t esp, uint32_t cs, uint32_t ss,
 *                 uint32_t eflags)
 * Drop to ring 3 with an IRET whose frame we build by hand (the same frame
 * an interrupt from ring 3 would have pushed).  Returns when the user task
 * calls exit: exit_to_kernel() comes back here. */
	.globl	enter_user
enter_user:
	pushl	%ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	mov	%esp, kernel_saved_esp
	mov	20(%esp), %eax		/* eip */
	mov	24(%esp), %ebx		/* esp */
	mov	28(%esp), %ecx		/* cs */
	mov	32(%esp), %edx		/* ss */
	mov	36(%esp), %esi		/* eflags */
	mov	%dx, %ds		/* user data segments */
	mov	%dx, %es
	mov	%dx, %fs
	mov	%dx, %gs
	pushl	%edx			/* SS */
	pushl	%ebx			/* ESP */
	pushl	%esi			/* EFLAGS */
	pushl	%ecx			/* CS: RPL 3 -> privilege change */
	pushl	%eax			/* EIP */
	.globl	iret_to_user
iret_to_user:
	iret

/* void exit_to_kernel(void): abandon the trap frame on the ring-0 stack and
 * return from enter_user() on the kernel's own stack. */
	.globl	exit_to_kernel
exit_to_kernel:
	mov	kernel_saved_esp, %esp
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret

	.bss
	.balign	4
kernel_saved_esp:
	.long	0

/* void idle_wait(void): sleep until one interrupt has been handled.
 * STI enables interrupts only after the next instruction (the "interrupt
 * shadow", SDM Vol. 2, STI), so no interrupt can slip in between STI and
 * HLT; the only place an interrupt is taken is the HLT, and the interrupted
 * EIP the CPU pushes is always idle_after_hlt. */
	.text
	.globl	idle_wait, idle_after_hlt
idle_wait:
	sti
	hlt
idle_after_hlt:
	cli
	ret
