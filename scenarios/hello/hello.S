/* hello.S - a 512-byte boot sector that says hello over the serial port.
 *
 * How it starts (the same under vmscope and under QEMU + SeaBIOS): the 512
 * bytes of this sector are at 0000:7C00, the CPU is in real mode, CS:IP is
 * 0000:7C00 and DL holds the boot drive (0x80 = first hard disk).  Nothing
 * else may be assumed: vmscope has NO BIOS, so this program never calls one
 * (no int 0x10, no int 0x13) and programs the 16550A UART itself.  It then
 * prints a few facts it can observe, takes a software interrupt and a divide
 * error through interrupt vectors it installs itself, and ends the machine
 * by writing to QEMU's isa-debug-exit port 0xF4.
 *
 * Real mode (Intel SDM Vol. 3, ch. 21 "8086 emulation"): linear address =
 * segment * 16 + offset; interrupts use the IVT at linear 0: entry n is 4
 * bytes, offset then segment, at address n*4.
 */
	.code16

	.equ COM1,          0x3F8
	.equ UART_THR,      COM1 + 0   /* transmit holding register (DLAB=0) */
	.equ UART_DLL,      COM1 + 0   /* divisor latch low  (DLAB=1) */
	.equ UART_IER,      COM1 + 1   /* interrupt enable   (DLAB=0) */
	.equ UART_DLM,      COM1 + 1   /* divisor latch high (DLAB=1) */
	.equ UART_FCR,      COM1 + 2   /* FIFO control */
	.equ UART_LCR,      COM1 + 3   /* line control */
	.equ UART_MCR,      COM1 + 4   /* modem control */
	.equ UART_LSR,      COM1 + 5   /* line status */
	.equ LCR_DLAB,      0x80       /* divisor latch access */
	.equ LCR_8N1,       0x03       /* 8 data bits, no parity, 1 stop bit */
	.equ FCR_ENABLE_CLEAR, 0x07    /* enable FIFOs, clear RX and TX FIFOs */
	.equ MCR_DTR_RTS,   0x03
	.equ LSR_THRE,      0x20       /* THR empty: we may write a byte */
	.equ DIV_115200,    1          /* 1.8432 MHz / (16 * 115200) */

	.equ CR0_PE,        0x0001     /* CR0 bit 0: protection enable */
	.equ DEBUG_EXIT,    0xF4       /* write v: exit with status (v<<1)|1 */
	.equ EXIT_OK,       0x10       /* -> exit status 33 */
	.equ VEC_DE,        0x00       /* #DE divide error */
	.equ VEC_SOFT,      0x30       /* a free vector for our software int */

/* PUTS "text": print a string literal.  The text is placed right after the
 * call; puts_inline prints it and returns to the byte after its NUL.  (One
 * 3-byte call per message: space is tight in 510 bytes.) */
	.macro PUTS text
	call	puts_inline
	.asciz	"\text"
	.endm

	.text
	.globl	_start
_start:
	cli
	/* Observe what the loader gave us before we change anything. */
	mov	%cs, %bx		/* CS as given */
	call	1f			/* pushes the IP of label 1 */
1:	pop	%di
	sub	$(1b - _start), %di	/* IP of _start */
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7C00, %sp		/* stack grows down below the sector */
	cld
	push	%di			/* keep IP, CS and DL for later */
	push	%bx
	push	%dx

	/* Program the 16550A from a table of (port offset, value) pairs:
	 * no interrupts, 115200 baud, 8N1, FIFOs on. */
	mov	$uart_setup, %si
	mov	$((uart_setup_end - uart_setup) / 2), %cx
2:	lodsw				/* AL = offset, AH = value */
	movzbw	%al, %dx
	add	$COM1, %dx
	mov	%ah, %al
	out	%al, %dx
	loop	2b

	PUTS	"hello from a boot sector, no BIOS\nDL (boot drive) = "
	pop	%ax
	call	hex8
	PUTS	"\nCS:IP at entry = "
	pop	%ax
	call	hex16
	PUTS	":"
	pop	%ax
	call	hex16

	PUTS	"\nCR0.PE = "
	mov	%cr0, %eax
	and	$CR0_PE, %al
	call	hex8
	PUTS	" (real mode: linear = seg*16 + off)\n0000:7DFE = "
	/* The same two bytes through two different segment:offset pairs. */
	mov	0x7DFE, %ax
	call	hex16
	PUTS	" = 07C0:01FE = "
	mov	$0x07C0, %ax
	mov	%ax, %es
	mov	%es:0x01FE, %ax
	call	hex16

	/* A software interrupt through an IVT entry we fill in ourselves
	 * (ES was 0x07C0: use DS = 0). */
	movw	$soft_handler, VEC_SOFT*4	/* IVT[0x30].offset  */
	movw	%ds, VEC_SOFT*4+2		/* IVT[0x30].segment */
	PUTS	"\nint 0x30"
	int	$VEC_SOFT
	PUTS	" -> back\n"

	/* A fault: divide by zero raises #DE, vector 0.  The CPU pushes FLAGS,
	 * CS and the IP of the faulting DIV itself (not the next one). */
	movw	$de_handler, VEC_DE*4
	movw	%ds, VEC_DE*4+2
	PUTS	"div by 0"
	mov	$1, %ax
	xor	%cl, %cl
fault_div:
	div	%cl			/* F6 F1: 2 bytes */
	PUTS	" -> skipped\nexit 0x10\n"

	mov	$EXIT_OK, %al
	out	%al, $DEBUG_EXIT
3:	cli
	hlt
	jmp	3b

soft_handler:
	PUTS	" -> IVT[0x30] handler at "
	mov	$soft_handler, %ax
	call	hex16
	iret

de_handler:
	push	%bp
	mov	%sp, %bp		/* 2(%bp)=IP 4(%bp)=CS 6(%bp)=FLAGS */
	PUTS	" -> #DE, IVT[0], pushed IP = "
	mov	2(%bp), %ax
	call	hex16			/* = fault_div */
	addw	$2, 2(%bp)		/* skip the 2-byte div and return */
	pop	%bp
	iret

/* puts_inline: print the NUL-terminated string that follows the call. */
puts_inline:
	pop	%si
1:	lodsb
	test	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	jmp	*%si

/* putc: AL = byte.  Waits for LSR.THRE, then writes THR. Keeps all regs. */
putc:
	push	%dx
	push	%ax
	mov	$UART_LSR, %dx
1:	in	%dx, %al
	test	$LSR_THRE, %al
	jz	1b
	pop	%ax
	mov	$UART_THR, %dx
	out	%al, %dx
	pop	%dx
	ret

/* hex16: print AX as 4 hex digits; hex8: AL as 2. */
hex8:
	mov	%al, %ah
	mov	$2, %cx
	jmp	hexn
hex16:
	mov	$4, %cx
hexn:
	rol	$4, %ax			/* next digit into the low nibble */
	push	%ax
	and	$0x0F, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	1f
	add	$('A' - '9' - 1), %al
1:	call	putc
	pop	%ax
	loop	hexn
	ret

uart_setup:
	.byte	UART_IER - COM1, 0
	.byte	UART_LCR - COM1, LCR_DLAB
	.byte	UART_DLL - COM1, DIV_115200
	.byte	UART_DLM - COM1, 0
	.byte	UART_LCR - COM1, LCR_8N1
	.byte	UART_FCR - COM1, FCR_ENABLE_CLEAR
	.byte	UART_MCR - COM1, MCR_DTR_RTS
uart_setup_end:

	/* Bytes 510-511: the boot signature 0x55 0xAA (little-endian 0xAA55). */
	.section .sig, "a"
	.byte	0x55, 0xAA
