/* user.S - the ring-3 program of the `longmode` guest, at user virtual
 * address 0x400000 (kernel.ld).  It talks to the kernel with SYSCALL only:
 * RAX = number, RDI, RSI = arguments, result in RAX.  Between the calls it
 * tries things ring 3 may not do; each fault is reported by the kernel and
 * skipped through the fix-up table (FAULT below, as in protected/).
 * Only MOV and LEA run before each SYSCALL, so RFLAGS (saved in R11) is
 * exactly what IRETQ/SYSRET gave us.
 */
	.equ SYS_WRITE,   1
	.equ SYS_GETPID,  2
	.equ SYS_EXIT,    3
	.equ USER_STACK,  0x5FF000	/* the user stack page (NX), kernel.c */

/* FAULT name, insn: a fix-up entry {fault RIP, resume RIP, name}. */
	.macro FAULT name, insn:vararg
	.globl	\name
\name:	\insn
.Lresume\@:
	.pushsection .rodata
.Lname\@: .asciz "\name"
	.popsection
	.pushsection .fixup, "a"
	.quad	\name, .Lresume\@, .Lname\@
	.popsection
	.endm

	.section .user.text, "ax"
	.code64
	.globl	user_main
user_main:
	mov	$SYS_WRITE, %eax
	lea	msg(%rip), %rdi
	mov	$msg_len, %esi
	syscall
	mov	$SYS_GETPID, %eax
	syscall

	mov	$1, %eax
	mov	$0, %edx
	mov	$0, %ecx
	FAULT	user_div_zero, divl %ecx
	mov	$0x53, %eax
	FAULT	user_bad_selector, mov %eax, %ds
	FAULT	user_null_read, movq 0x10, %rax
	FAULT	user_read_kernel, movq kernel_secret, %rax
	FAULT	user_write_code, movl $0, user_main(%rip)
	movabs	$0x8000000000000000, %rbx
	FAULT	user_noncanonical, movq (%rbx), %rax
	/* Jump into the stack page: present, user, but NX.  The fault is on
	 * the fetch at the target, so the fix-up entry names the target. */
	mov	$USER_STACK, %ebx
	jmp	*%rbx
user_after_nx:
	.pushsection .rodata
.Lnx_name: .asciz "user_exec_stack"
	.popsection
	.pushsection .fixup, "a"
	.quad	USER_STACK, user_after_nx, .Lnx_name
	.popsection

	mov	$SYS_EXIT, %eax
	mov	$7, %edi
	syscall
1:	jmp	1b

	.section .user.rodata, "a"
msg:	.ascii	"hello from ring 3, in 64-bit mode!"
	.equ	msg_len, . - msg
