/* disk.S - a boot loader and a tour of the PC firmware and devices.
 *
 * Disk 0 holds this program: the boot sector (stage 1) and stage 2 right
 * after it.  The firmware loads the boot sector at 0000:7C00 with DL = the
 * boot drive; stage 1 loads stage 2 with int 13h AH=02h (CHS) and jumps to
 * it.  Stage 2 calls the BIOS the way course boot loaders do - int 13h
 * (CHS, EDD extensions on disks 0 and 1), int 15h (E820 memory map, A20),
 * int 16h (keyboard buffer), int 10h (teletype, cursor, scrolling) - then
 * drives the hardware directly: the ATA disk 1 through PIO (IDENTIFY, READ
 * and WRITE SECTORS, FLUSH CACHE, an address beyond the end), the VGA
 * CRTC cursor registers, the CMOS RTC and the i8042.  Everything it
 * learns goes to COM1; it ends with QEMU's debug-exit port.
 *
 * The output only contains what every PC BIOS agrees on (vmscope's own
 * firmware and SeaBIOS under QEMU): memory sizes and tick counts differ,
 * so they are tested, not printed.
 */
	.code16

	.equ COM1,        0x3F8
	.equ UART_LSR,    COM1 + 5
	.equ LSR_THRE,    0x20        /* transmit holding register empty */
	.equ DEBUG_EXIT,  0xF4        /* write v: exit status (v << 1) | 1 */
	.equ EXIT_OK,     0x10        /* -> 33 */
	.equ EXIT_FAIL,   0x01        /* -> 3 */
	.equ BUF,         0x9000      /* scratch sector buffers */
	.equ BUF2,        0xA000
	.equ SMAP,        0x534D4150
	.equ ATA_DATA,    0x1F0
	.equ ATA_COUNT,   0x1F2
	.equ ATA_LBA0,    0x1F3
	.equ ATA_LBA1,    0x1F4
	.equ ATA_LBA2,    0x1F5
	.equ ATA_DEV,     0x1F6
	.equ ATA_CMD,     0x1F7       /* status on reads */
	.equ ATA_ALT,     0x3F6       /* alternate status */
	.equ ATA_BSY,     0x80
	.equ ATA_DRQ,     0x08
	.equ ATA_ERR,     0x01
	.equ DEV_SLAVE,   0xB0        /* obsolete bits + DEV=1 */
	.equ DEV_SLAVE_LBA, 0xF0      /* + LBA */
	.equ CRTC_INDEX,  0x3D4
	.equ CRTC_DATA,   0x3D5
	.equ VGA_SEG,     0xB800

/* PRINT "text": print a string literal placed after the call. */
	.macro PRINT text
	call	print_inline
	.asciz	"\text"
	.endm

/* ===================== stage 1: the boot sector ===================== */
	.section .boot, "ax"
	.globl	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7C00, %sp
	cld
	movb	%dl, boot_drive
	call	uart_init
	PRINT	"disk: boot sector at 0000:7C00, DL="
	movb	boot_drive, %al
	call	hex8
	/* int 13h AH=02h: stage 2 from cylinder 0, head 0, sector 2 on */
	movb	$0x02, %ah
	movb	$stage2_sectors, %al
	movw	$0x0002, %cx
	xorb	%dh, %dh
	movb	boot_drive, %dl
	movw	$0x7E00, %bx
	int	$0x13
	jc	1f
	cmpb	$stage2_sectors, %al
	jne	1f
	jmp	stage2
1:	PRINT	"\nint 13h AH=02h failed\n"
	jmp	fail

uart_init:
	movw	$uart_setup, %si
	movw	$5, %cx
1:	lodsw				/* AL = port offset, AH = value */
	movzbw	%al, %dx
	addw	$COM1, %dx
	movb	%ah, %al
	outb	%al, %dx
	loop	1b
	ret
uart_setup:				/* no interrupts, 115200 8N1, FIFOs */
	.byte 1, 0x00, 3, 0x80, 0, 0x01, 3, 0x03, 2, 0x07

putc:					/* AL */
	pushw	%dx
	pushw	%ax
	movw	$UART_LSR, %dx
1:	inb	%dx, %al
	testb	$LSR_THRE, %al
	jz	1b
	popw	%ax
	movw	$COM1, %dx
	outb	%al, %dx
	popw	%dx
	ret

puts:					/* DS:SI, NUL-terminated */
	lodsb
	testb	%al, %al
	jz	1f
	call	putc
	jmp	puts
1:	ret

print_inline:				/* the string after the call */
	popw	%si
	call	puts
	pushw	%si
	ret

hex16:					/* AX */
	pushw	%ax
	movb	%ah, %al
	call	hex8
	popw	%ax
hex8:					/* AL */
	pushw	%ax
	shrb	$4, %al
	call	hex4
	popw	%ax
hex4:
	pushw	%ax
	andb	$0x0F, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	1f
	addb	$('A' - '9' - 1), %al
1:	call	putc
	popw	%ax
	ret

fail:
	movb	$EXIT_FAIL, %al
	outb	%al, $DEBUG_EXIT
	cli
	hlt

boot_drive:
	.byte	0

	.section .sig, "a"
	.byte	0x55, 0xAA

/* ===================== stage 2 ===================== */
	.text
stage2:
	PRINT	"\nstage 2: loaded by int 13h AH=02h at 0000:7E00\n"
	call	disk_params
	call	edd
	call	edd_disk1
	call	bad_drive
	call	e820
	call	a20
	call	keyboard
	call	video
	call	ata_pio
	call	rtc
	call	i8042
	PRINT	"done\n"
	movb	$EXIT_OK, %al
	outb	%al, $DEBUG_EXIT
	cli
	hlt

yes_no:					/* ZF set: "yes\n", else "no\n" */
	jnz	1f
	PRINT	"yes\n"
	ret
1:	PRINT	"no\n"
	ret

/* ---- int 13h ---- */

disk_params:
	movb	$0x08, %ah
	movb	boot_drive, %dl
	xorw	%di, %di
	int	$0x13
	jc	fail
	PRINT	"int 13h AH=08h: heads "
	movb	%dh, %al
	incb	%al
	call	hex8
	PRINT	", sectors per track "
	movb	%cl, %al
	andb	$0x3F, %al
	call	hex8
	PRINT	", hard disks "
	movb	%dl, %al
	call	hex8
	PRINT	"\n"
	xorw	%ax, %ax
	movw	%ax, %es
	ret

edd:
	movb	$0x41, %ah
	movw	$0x55AA, %bx
	movb	boot_drive, %dl
	int	$0x13
	jc	fail
	PRINT	"int 13h AH=41h: EDD extensions present: "
	cmpw	$0xAA55, %bx
	call	yes_no
	/* AH=42h: LBA 1 of disk 0 must be the first sector of stage 2 */
	movw	$1, dap_count
	movw	$BUF, dap_off
	movl	$1, dap_lba
	movb	$0x42, %ah
	movb	boot_drive, %dl
	movw	$dap, %si
	int	$0x13
	jc	fail
	PRINT	"int 13h AH=42h: LBA 1 equals stage 2 in memory: "
	movw	$BUF, %si
	movw	$0x7E00, %di
	movw	$512, %cx
	repe cmpsb
	call	yes_no
	ret

/* Read LBA @EAX of disk 1 (0x81) into BUF with AH=42h. */
read_disk1:
	movl	%eax, dap_lba
	movw	$1, dap_count
	movw	$BUF, dap_off
	movb	$0x42, %ah
	movb	$0x81, %dl
	movw	$dap, %si
	int	$0x13
	jc	fail
	ret

edd_disk1:
	movl	$5, %eax
	call	read_disk1
	PRINT	"int 13h AH=42h drive 81h LBA 5: \""
	movw	$BUF, %si
	call	puts
	PRINT	"\"\n"
	/* AH=43h: write LBA 6 from BUF2, then read it back */
	movw	$msg_written13, %si
	movw	$BUF2, %di
	movw	$32, %cx
	rep movsb
	movw	$1, dap_count
	movw	$BUF2, dap_off
	movl	$6, dap_lba
	movw	$0x4300, %ax
	movb	$0x81, %dl
	movw	$dap, %si
	int	$0x13
	jc	fail
	movl	$6, %eax
	call	read_disk1
	PRINT	"int 13h AH=43h then AH=42h drive 81h LBA 6: \""
	movw	$BUF, %si
	call	puts
	PRINT	"\"\n"
	ret

bad_drive:
	movw	$0x0201, %ax
	movw	$0x0001, %cx
	xorb	%dh, %dh
	movb	$0x85, %dl
	movw	$BUF, %bx
	int	$0x13
	sbbw	%ax, %ax			/* AX = -CF */
	pushw	%ax
	PRINT	"int 13h AH=02h drive 85h: carry set: "
	popw	%ax
	cmpw	$0xFFFF, %ax
	call	yes_no
	ret

/* ---- int 15h ---- */

e820:
	xorl	%ebx, %ebx
	movb	$0, e820_low
	movb	$0, e820_high
	movw	$32, e820_left
1:	movl	$0xE820, %eax
	movl	$SMAP, %edx
	movl	$20, %ecx
	movw	$BUF, %di
	int	$0x15
	jc	3f
	cmpl	$SMAP, %eax
	jne	3f
	cmpl	$1, BUF + 16			/* type 1: usable RAM */
	jne	2f
	cmpl	$0, BUF + 4			/* base high */
	jne	2f
	cmpl	$0, BUF				/* at 0: at least 636 KiB */
	jne	4f
	cmpl	$0x9F000, BUF + 8
	jb	2f
	movb	$1, e820_low
	jmp	2f
4:	cmpl	$0x100000, BUF			/* at 1 MiB: at least 16 MiB */
	jne	2f
	cmpl	$0x1000000, BUF + 8
	jb	2f
	movb	$1, e820_high
2:	decw	e820_left
	jz	3f
	testl	%ebx, %ebx
	jnz	1b
3:	PRINT	"int 15h E820h: usable RAM from 0 (>= 636 KiB): "
	cmpb	$1, e820_low
	call	yes_no
	PRINT	"int 15h E820h: usable RAM from 1 MiB (>= 16 MiB): "
	cmpb	$1, e820_high
	call	yes_no
	ret

a20:
	movw	$0x2401, %ax
	int	$0x15
	sbbw	%ax, %ax
	pushw	%ax
	PRINT	"int 15h AX=2401h (A20 on): carry clear: "
	popw	%ax
	testw	%ax, %ax
	call	yes_no
	movw	$0x2402, %ax
	int	$0x15
	pushw	%ax
	PRINT	"int 15h AX=2402h: A20 is on: "
	popw	%ax
	cmpb	$1, %al
	call	yes_no
	ret

/* ---- int 16h: put a key into the BIOS buffer and read it back ---- */

keyboard:
	movb	$0x01, %ah
	int	$0x16
	pushfw
	PRINT	"int 16h AH=01h: buffer empty: "
	popfw
	call	yes_no
	movb	$0x05, %ah
	movw	$0x2D78, %cx			/* scan 2Dh, 'x' */
	int	$0x16
	PRINT	"int 16h AH=05h stored 2D78, AH=01h sees "
	movb	$0x01, %ah
	int	$0x16
	call	hex16
	PRINT	", AH=00h reads "
	xorb	%ah, %ah
	int	$0x16
	call	hex16
	PRINT	"\n"
	ret

/* ---- int 10h and the CRTC ---- */

crtc_cursor:				/* AX = CRTC 0Eh:0Fh */
	movw	$CRTC_INDEX, %dx
	movb	$0x0E, %al
	outb	%al, %dx
	incw	%dx
	inb	%dx, %al
	movb	%al, %ah
	decw	%dx
	movb	$0x0F, %al
	outb	%al, %dx
	incw	%dx
	inb	%dx, %al
	ret

tty:					/* DS:SI through int 10h AH=0Eh */
	lodsb
	testb	%al, %al
	jz	1f
	movb	$0x0E, %ah
	xorb	%bh, %bh
	int	$0x10
	jmp	tty
1:	ret

get_cursor:				/* print int 10h AH=03h row, column */
	movb	$0x03, %ah
	xorb	%bh, %bh
	int	$0x10
	PRINT	"row "
	movb	%dh, %al
	call	hex8
	PRINT	" col "
	movb	%dl, %al
	call	hex8
	ret

video:
	movw	$0x0003, %ax			/* mode 3: 80x25 text, clear */
	int	$0x10
	movw	$msg_vga, %si
	call	tty
	PRINT	"int 10h AH=0Eh \"Hello, VGA\": cursor "
	call	get_cursor
	PRINT	", CRTC cursor "
	call	crtc_cursor
	call	hex16
	PRINT	"\nscreen row 0: \""
	pushw	%ds
	movw	$VGA_SEG, %ax
	movw	%ax, %ds
	xorw	%si, %si
	movw	$10, %cx
1:	lodsw					/* AL = character, AH = attribute */
	call	putc
	loop	1b
	movb	1, %al				/* attribute of cell 0 */
	popw	%ds
	pushw	%ax
	PRINT	"\" attribute "
	popw	%ax
	call	hex8
	PRINT	"\n"
	movw	$msg_vga2, %si			/* CR LF '>' */
	call	tty
	PRINT	"int 10h CR LF '>': cursor "
	call	get_cursor
	PRINT	"\n"
	movw	$0x0601, %ax			/* scroll the screen up one line */
	movb	$0x07, %bh
	xorw	%cx, %cx
	movw	$0x184F, %dx
	int	$0x10
	pushw	%ds
	movw	$VGA_SEG, %ax
	movw	%ax, %ds
	movb	0, %al
	popw	%ds
	pushw	%ax
	PRINT	"int 10h AH=06h scroll up: row 0 now starts with '"
	popw	%ax
	call	putc
	PRINT	"'\n"
	movb	$0x02, %ah			/* cursor to row 2, column 5 */
	xorb	%bh, %bh
	movw	$0x0205, %dx
	int	$0x10
	PRINT	"int 10h AH=02h row 2 col 5: CRTC cursor "
	call	crtc_cursor
	call	hex16
	PRINT	"\n"
	ret

/* ---- ATA PIO on disk 1, the primary slave ---- */

ata_wait:				/* until BSY clears; AL = status */
	movw	$ATA_ALT, %dx
	inb	%dx, %al			/* 400 ns after selecting */
	inb	%dx, %al
	inb	%dx, %al
	inb	%dx, %al
	movl	$1000000, %ecx
	movw	$ATA_CMD, %dx
1:	inb	%dx, %al
	testb	$ATA_BSY, %al
	jz	2f
	loopl	1b
	PRINT	"ATA: timeout\n"
	jmp	fail
2:	ret

ata_status:				/* print AL masked to BSY DRDY DRQ ERR */
	andb	$0xC9, %al
	jmp	hex8

/* Select the slave, LBA @EAX, @BL sectors, command @BH. */
ata_command:
	pushl	%eax
	movw	$ATA_DEV, %dx
	shrl	$24, %eax
	andb	$0x0F, %al
	orb	$DEV_SLAVE_LBA, %al
	outb	%al, %dx
	call	ata_wait
	popl	%eax
	movw	$ATA_LBA0, %dx
	outb	%al, %dx
	incw	%dx
	shrl	$8, %eax
	outb	%al, %dx
	incw	%dx
	shrl	$8, %eax
	outb	%al, %dx
	movw	$ATA_COUNT, %dx
	movb	%bl, %al
	outb	%al, %dx
	movw	$ATA_CMD, %dx
	movb	%bh, %al
	outb	%al, %dx
	jmp	ata_wait

ata_read_sector:			/* one sector into ES:DI */
	call	ata_wait
	testb	$ATA_DRQ, %al
	jz	fail
	movw	$ATA_DATA, %dx
	movw	$256, %cx
	rep insw
	ret

ata_pio:
	movw	$ATA_DEV, %dx
	movb	$DEV_SLAVE, %al
	outb	%al, %dx
	call	ata_wait
	movw	$ATA_CMD, %dx
	movb	$0xEC, %al			/* IDENTIFY DEVICE */
	outb	%al, %dx
	PRINT	"ATA IDENTIFY slave: status "
	call	ata_wait
	call	ata_status
	movw	$BUF, %di
	call	ata_read_sector
	PRINT	", after the data "
	call	ata_wait
	call	ata_status
	PRINT	"\nATA IDENTIFY: LBA28 sectors "
	movw	BUF + 2 * 61, %ax
	call	hex16
	movw	BUF + 2 * 60, %ax
	call	hex16
	PRINT	", LBA supported: "
	testw	$0x0200, BUF + 2 * 49
	setz	%al
	cmpb	$0, %al
	call	yes_no
	PRINT	"ATA IDENTIFY: cylinders "
	movw	BUF + 2 * 1, %ax
	call	hex16
	PRINT	" heads "
	movw	BUF + 2 * 3, %ax
	call	hex16
	PRINT	" sectors per track "
	movw	BUF + 2 * 6, %ax
	call	hex16
	PRINT	"\n"
	/* READ SECTORS: LBA 7 and 8 */
	movl	$7, %eax
	movw	$0x2002, %bx
	call	ata_command
	movw	$BUF, %di
	call	ata_read_sector
	movw	$BUF2, %di
	call	ata_read_sector
	PRINT	"ATA READ SECTORS LBA 7+8: \""
	movw	$BUF, %si
	call	puts
	PRINT	"\" \""
	movw	$BUF2, %si
	call	puts
	PRINT	"\", status "
	call	ata_wait
	call	ata_status
	PRINT	"\n"
	/* WRITE SECTORS LBA 9, FLUSH CACHE, read it back */
	movw	$msg_written_ata, %si
	movw	$BUF, %di
	movw	$512, %cx
	rep movsb
	movl	$9, %eax
	movw	$0x3001, %bx
	call	ata_command
	testb	$ATA_DRQ, %al
	jz	fail
	movw	$BUF, %si
	movw	$ATA_DATA, %dx
	movw	$256, %cx
	rep outsw
	PRINT	"ATA WRITE SECTORS LBA 9: status "
	call	ata_wait
	call	ata_status
	movw	$ATA_CMD, %dx
	movb	$0xE7, %al			/* FLUSH CACHE */
	outb	%al, %dx
	PRINT	", FLUSH CACHE: status "
	call	ata_wait
	call	ata_status
	movl	$9, %eax
	movw	$0x2001, %bx
	call	ata_command
	movw	$BUF2, %di
	call	ata_read_sector
	PRINT	", read back \""
	movw	$BUF2, %si
	call	puts
	PRINT	"\"\n"
	/* a sector beyond the end of the 32-sector disk */
	movl	$40, %eax
	movw	$0x2001, %bx
	call	ata_command
	PRINT	"ATA READ SECTORS LBA 40 (beyond the end): ERR set: "
	call	ata_wait
	testb	$ATA_ERR, %al
	setz	%al
	cmpb	$0, %al
	call	yes_no
	ret

/* ---- CMOS RTC and the i8042 ---- */

cmos:					/* AL = CMOS register AL */
	outb	%al, $0x70
	inb	$0x71, %al
	ret

rtc:
	PRINT	"RTC: register B "
	movb	$0x0B, %al
	call	cmos
	call	hex8
	PRINT	", D "
	movb	$0x0D, %al
	call	cmos
	call	hex8
	PRINT	", century "
	movb	$0x32, %al
	call	cmos
	call	hex8
	PRINT	"\n"
	ret

kbc_read:				/* AL = the next byte from port 60h */
	movl	$1000000, %ecx
1:	inb	$0x64, %al
	testb	$0x01, %al			/* OBF */
	jnz	2f
	loopl	1b
	PRINT	"i8042: no reply\n"
	jmp	fail
2:	inb	$0x60, %al
	ret

i8042:
	movb	$0xAA, %al			/* controller self test */
	outb	%al, $0x64
	call	kbc_read
	pushw	%ax
	PRINT	"i8042 self test: "
	popw	%ax
	call	hex8
	movb	$0xD0, %al			/* read the output port */
	outb	%al, $0x64
	call	kbc_read
	pushw	%ax
	PRINT	", output port A20 bit: "
	popw	%ax
	shrb	$1, %al
	andb	$1, %al
	call	hex8
	PRINT	"\n"
	ret

	.section .rodata
msg_written13:
	.asciz	"written by int 13h AH=43h"
	.fill	6, 1, 0
msg_written_ata:
	.asciz	"written by ATA PIO"
	.fill	512 - 19, 1, 0
msg_vga:
	.asciz	"Hello, VGA"
msg_vga2:
	.asciz	"\r\n>"

	.data
	.balign	4
dap:					/* EDD disk address packet */
	.byte	0x10, 0
dap_count:
	.word	0
dap_off:
	.word	0
dap_seg:
	.word	0
dap_lba:
	.long	0, 0
e820_left:
	.word	0
e820_low:
	.byte	0
e820_high:
	.byte	0
