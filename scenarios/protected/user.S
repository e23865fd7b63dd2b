/* user.S - the ring-3 task of the `protected` guest.
 *
 * It lives in its own pages (.user, mapped U/S=1 read-only; the stack in
 * .ustack, U/S=1 writable).  It may only use `int 0x80` (the one IDT gate
 * with DPL 3) to ask the kernel for anything:
 *     EAX = system call number, EBX, ECX = arguments, result in EAX.
 * Then it tries three things ring 3 may not do, each a fault the kernel
 * reports and skips (see FAULT_SITE in kernel.c for the fix-up table).
 */
	.equ SYS_WRITE,  1
	.equ SYS_GETPID, 2
	.equ SYS_EXIT,   3
	.equ VEC_TIMER,  0x20

/* FAULT name, insn: emit `insn` at a global label `name` and a fix-up entry
 * {fault EIP, resume EIP, name} the kernel's trap handler looks up. */
	.macro FAULT name, insn:vararg
	.globl	\name
\name:	\insn
.Lresume\@:
	.pushsection .rodata
.Lname\@: .asciz "\name"
	.popsection
	.pushsection .fixup, "a"
	.long	\name, .Lresume\@, .Lname\@
	.popsection
	.endm

	.section .user.text, "ax"
	.globl	user_main
user_main:
	mov	$SYS_WRITE, %eax
	mov	$msg, %ebx
	mov	$msg_len, %ecx
	int	$0x80

	mov	$SYS_GETPID, %eax
	int	$0x80

	/* Read a kernel variable: its page is present but supervisor-only. */
	FAULT	user_read_kernel, movl kernel_secret, %eax
	/* Write our own code page: user-accessible but read-only. */
	FAULT	user_write_code, movl $0, user_main
	/* `int 0x20` names a gate with DPL 0 < CPL 3. */
	FAULT	user_int_dpl0, int $VEC_TIMER
	/* `cli` needs CPL <= IOPL, and IOPL is 0. */
	FAULT	user_cli, cli

	mov	$SYS_EXIT, %eax
	mov	$7, %ebx
	int	$0x80
1:	jmp	1b			/* not reached */

	.section .user.rodata, "a"
msg:	.ascii	"hello from ring 3!"
	.equ	msg_len, . - msg

	.section .ustack, "aw", @nobits
	.balign	4096
	.globl	user_stack, user_stack_top
user_stack:
	.skip	4096
user_stack_top:
