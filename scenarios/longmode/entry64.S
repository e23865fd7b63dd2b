/* entry64.S - 64-bit entry points of the `longmode` guest: kernel start,
 * exception/interrupt stubs, the SYSCALL entry, and the ring switches.
 *
 * Interrupts in 64-bit mode (Intel SDM Vol. 3, 6.14): the CPU always pushes
 * SS, RSP, RFLAGS, CS, RIP (even without a privilege change), after
 * aligning RSP to 16 bytes, on
 *   - the stack named by the gate's IST field (1-7) if it is non-zero,
 *   - else TSS.RSP0 when coming from ring 3,
 *   - else the current stack.
 * Then the error code, for the vectors that have one (see protected/).
 */
	.equ KDATA_SEL, 0x10

	.text
	.code64
/* Called from boot.S with RSP = kstack_top, in the higher half. */
	.globl	kentry64
kentry64:
	lea	_bss_start(%rip), %rdi	/* zero .bss */
	lea	_bss_end(%rip), %rcx
	sub	%rdi, %rcx
	shr	$3, %rcx
	xor	%eax, %eax
	cld
	rep stosq
	call	kmain
1:	cli
	hlt
	jmp	1b

	.macro VEC_NOERR n
	.globl	vec\n
vec\n:	pushq	$0
	pushq	$\n
	jmp	trap_common
	.endm
	.macro VEC_ERR n
	.globl	vec\n
vec\n:	pushq	$\n
	jmp	trap_common
	.endm

	.irp n, 0,1,2,3,4,5,6,7
	VEC_NOERR \n
	.endr
	VEC_ERR   8
	VEC_NOERR 9
	.irp n, 10,11,12,13,14
	VEC_ERR \n
	.endr
	VEC_NOERR 15
	VEC_NOERR 16
	VEC_ERR   17
	.irp n, 18,19,20
	VEC_NOERR \n
	.endr
	VEC_ERR   21
	.irp n, 22,23,24,25,26,27,28,29,30,31
	VEC_NOERR \n
	.endr

/* Push the general registers (struct trapframe in kernel.c), call
 * trap(tf), pop them, drop vector and error code, IRETQ. */
trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	mov	%rsp, %rdi		/* 5 + 2 + 15 pushes = 176 bytes: aligned */
	call	trap
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector, error code */
	iretq

/* SYSCALL (SDM Vol. 2, SYSCALL): RCX = user RIP, R11 = user RFLAGS,
 * RFLAGS &= ~IA32_FMASK, CS = STAR[47:32], SS = STAR[47:32] + 8, RIP =
 * IA32_LSTAR.  RSP is NOT changed: still the user stack, so switch first.
 * Convention here: RAX = number, RDI, RSI = arguments, RAX = result. */
	.globl	syscall_entry
syscall_entry:
	mov	%rsp, user_rsp(%rip)
	lea	syscall_stack_top(%rip), %rsp
	pushq	user_rsp(%rip)
	pushq	%rcx			/* user RIP */
	pushq	%r11			/* user RFLAGS */
	pushq	%rsi
	pushq	%rdi
	pushq	%rax
	mov	%rsp, %rdi		/* struct syscall_frame * */
	call	syscall_c
	popq	%rax			/* result (the C code may change it) */
	popq	%rdi
	popq	%rsi
	popq	%r11
	popq	%rcx
	popq	%rsp			/* back to the user stack */
	/* SYSRET: RIP = RCX, RFLAGS = R11, CS = STAR[63:48] + 16 | 3,
	 * SS = STAR[63:48] + 8 | 3. */
	.globl	sysret_to_user
sysret_to_user:
	sysretq

/* void enter_user(uint64_t rip, uint64_t rsp, uint64_t cs, uint64_t ss,
 *                 uint64_t rflags): an IRETQ frame built by hand.
 * Returns when the user program calls exit (exit_to_kernel). */
	.globl	enter_user
enter_user:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	mov	%rsp, kernel_saved_rsp(%rip)
	mov	%ecx, %eax
	mov	%eax, %ds		/* user data selector, RPL 3 */
	mov	%eax, %es
	pushq	%rcx			/* SS */
	pushq	%rsi			/* RSP */
	pushq	%r8			/* RFLAGS */
	pushq	%rdx			/* CS */
	pushq	%rdi			/* RIP */
	.globl	iretq_to_user
iretq_to_user:
	iretq

	.globl	exit_to_kernel
exit_to_kernel:
	mov	kernel_saved_rsp(%rip), %rsp
	mov	$KDATA_SEL, %eax
	mov	%eax, %ds
	mov	%eax, %es
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret

	.bss
	.balign	16
	.globl	kstack_top, syscall_stack_top
kstack:	.skip	16384
kstack_top:
	.skip	8192
syscall_stack_top:
user_rsp:	.quad	0
kernel_saved_rsp:	.quad	0

/* void df_demo(void): divide by zero while IDT[0] is marked not present.
 * Delivering the #DE then raises #NP, and a contributory exception during
 * the delivery of another contributory exception is a double fault
 * (SDM Vol. 3, 6.15, table 6-5).  The saved CS:RIP of a #DF is undefined,
 * so the #DF handler does not resume "after the instruction": it returns
 * to df_recover on the stack saved here, like longjmp. */
	.text
	.globl	df_demo, df_div, df_recover, df_saved_rsp
df_demo:
	mov	%rsp, df_saved_rsp(%rip)
	mov	$1, %eax
	mov	$0, %edx
	mov	$0, %ecx
df_div:
	divl	%ecx
df_recover:
	ret

	.bss
	.balign	8
df_saved_rsp:	.quad	0
