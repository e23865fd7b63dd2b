/* boot.S - the boot sector of disk 0 (the first 512 bytes of disk0.img).
 *
 * The firmware (SeaBIOS under QEMU, vmscope's ROM) loads this sector at
 * 0000:7C00 and jumps to it in real mode with DL = the BIOS drive number
 * (0x80).  We:
 *   1. set up segments and a stack below 0x7C00, program COM1 and print;
 *   2. load the kernel (KERNEL_SECTORS sectors, from LBA 1) to physical
 *      0x10000 through the firmware's int 13h, one sector per call: the
 *      LBA extension (AH=42h, after AH=41h says it is there) when present,
 *      else plain CHS reads (AH=02h) with the geometry from AH=08h;
 *   3. ask the firmware to enable A20 (int 15h AX=2401h);
 *   4. switch to 32-bit protected mode with a flat GDT and jump to 0x10000.
 * KERNEL_SECTORS is passed in by kernel.mk (-D) from the kernel's size.
 * Built with -DFORCE_CHS (disk0-chs.img), it never uses the extension, so
 * the tests exercise the CHS path of the firmware too.
 *
 * References: Phoenix "Enhanced Disk Drive Specification" 3.0 (int 13h
 * AH=41h/42h and the disk address packet), IBM PC BIOS int 13h AH=02h/08h,
 * Intel SDM Vol. 3A 9.9.1 (switching to protected mode).
 */
	.equ KERNEL_SEG,  0x1000	/* kernel load segment: physical 0x10000 */
	.equ KERNEL_PHYS, 0x10000
	.equ COM1,        0x3F8
	.equ LSR_THRE,    0x20
	.equ CR0_PE,      1
	.equ CODE_SEL,    0x08
	.equ DATA_SEL,    0x10

	.code16
	.section .text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7C00, %sp
	ljmp	$0, $norm		/* CS:IP = 0000:7Cxx whatever we got */
	/* Interrupts stay off to the end: nothing here waits for one, and
	 * the firmware's PIT tick would land wherever host time puts it on
	 * KVM (docs/KERNEL.md, "Cooperative scheduling"). */
norm:
	mov	%dl, drive

	/* COM1: 115200 8N1, FIFOs on (same values as scenarios/common/uart.c) */
	mov	$uart_init, %si
1:	lodsb				/* register offset, 0xFF ends */
	cmp	$0xFF, %al
	je	2f
	mov	$COM1 >> 8, %dh
	add	$COM1 & 0xFF, %al
	mov	%al, %dl
	lodsb
	out	%al, %dx
	jmp	1b
2:	mov	$msg_hello, %si
	call	puts

	/* int 13h AH=41h: are the EDD (LBA) extensions there?  BX=AA55h
	 * back and bit 0 of CX (extended disk access) set means yes. */
	mov	$0x41, %ah
	mov	$0x55AA, %bx
	mov	drive, %dl
	int	$0x13
	jc	3f
	cmp	$0xAA55, %bx
	jne	3f
	test	$1, %cl
	jz	3f
#ifndef FORCE_CHS
	movb	$1, use_lba
#endif
3:	/* int 13h AH=08h: geometry, for the CHS fallback.  CL bits 5-0 =
	 * sectors per track, DH = last head. */
	mov	$0x08, %ah
	mov	drive, %dl
	xor	%di, %di		/* ES:DI = 0 (some BIOSes want it) */
	int	$0x13
	jc	4f
	and	$0x3F, %cl
	mov	%cl, spt
	inc	%dh
	mov	%dh, heads
4:
	/* Read sectors LBA 1..KERNEL_SECTORS to KERNEL_SEG:0, 512 bytes each:
	 * the segment in the packet moves by 0x20 (512 / 16) per sector. */
read_loop:
	cmpw	$KERNEL_SECTORS + 1, dap_lba
	jae	loaded
	call	read_sector
	jc	disk_error
	incw	dap_lba
	addw	$0x20, dap_seg
	jmp	read_loop

loaded:
	mov	$msg_loaded, %si
	call	puts
	mov	$0x2401, %ax		/* int 15h AX=2401h: enable A20 */
	int	$0x15

	cli
	lgdt	gdt_desc
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmp	$CODE_SEL, $pm32	/* reload CS: now 32-bit code */

disk_error:
	mov	$msg_diskerr, %si
	call	puts
halt:	cli
	hlt
	jmp	halt

/* read_sector: the sector dap_lba to dap_seg:0.  CF=1 on failure. */
read_sector:
	cmpb	$0, use_lba
	je	chs_read
	mov	$dap, %si		/* AH=42h: DS:SI = disk address packet */
	mov	$0x42, %ah
	mov	drive, %dl
	int	$0x13
	jnc	5f
chs_read:
	/* LBA -> CHS: sector = LBA % spt + 1, track = LBA / spt,
	 * head = track % heads, cylinder = track / heads. */
	mov	dap_lba, %ax
	xor	%dx, %dx
	movzbw	spt, %cx
	jcxz	6f			/* no geometry: give up */
	div	%cx
	inc	%dl
	mov	%dl, %cl		/* CL bits 5-0: sector */
	xor	%dx, %dx
	movzbw	heads, %bx
	div	%bx			/* AX = cylinder, DX = head */
	mov	%al, %ch		/* CH: cylinder bits 7-0 */
	shl	$6, %ah
	or	%ah, %cl		/* CL bits 7-6: cylinder bits 9-8 */
	mov	%dl, %dh
	mov	drive, %dl
	mov	dap_seg, %es
	xor	%bx, %bx
	mov	$0x0201, %ax		/* AH=02h read, AL=1 sector */
	int	$0x13
	push	$0
	pop	%es
5:	ret
6:	stc
	ret

/* puts: print the NUL-terminated string at DS:SI on COM1 (polling LSR). */
puts:	lodsb
	test	%al, %al
	jz	8f
	mov	%al, %ah
	mov	$COM1 + 5, %dx
7:	in	%dx, %al
	test	$LSR_THRE, %al
	jz	7b
	mov	$COM1, %dx
	mov	%ah, %al
	out	%al, %dx
	jmp	puts
8:	ret

	.code32
pm32:	mov	$DATA_SEL, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	mov	$0x7C00, %esp
	mov	$KERNEL_PHYS, %eax
	jmp	*%eax			/* kernel entry.S: _start */

/* ---- data ---- */
	.balign	4
/* Disk address packet (EDD 3.0): size, 0, count, buffer offset:segment,
 * 64-bit LBA.  We keep the loop state in it. */
dap:	.byte	0x10, 0
	.word	1
	.word	0
dap_seg: .word	KERNEL_SEG
dap_lba: .long	1, 0

/* Flat GDT: 0x08 code and 0x10 data, base 0, limit 4 GiB (SDM 3.4.5). */
	.balign	8
gdt:	.quad	0
	.quad	0x00CF9A000000FFFF	/* code: P, DPL 0, exec/read, G, D */
	.quad	0x00CF92000000FFFF	/* data: P, DPL 0, read/write, G, B */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt

uart_init:	/* (register offset, value) pairs */
	.byte	1, 0x00			/* IER: no interrupts */
	.byte	3, 0x80			/* LCR: DLAB */
	.byte	0, 0x01			/* DLL: divisor 1 = 115200 */
	.byte	1, 0x00			/* DLM */
	.byte	3, 0x03			/* LCR: 8N1 */
	.byte	2, 0x07			/* FCR: FIFO on, clear both */
	.byte	4, 0x03			/* MCR: DTR RTS */
	.byte	0xFF

drive:	.byte	0
use_lba: .byte	0
spt:	.byte	0
heads:	.byte	0
msg_hello:   .asciz "boot0: loading the kernel from disk 0 through int 13h\n"
msg_loaded:  .asciz "boot0: kernel loaded at 0x10000, entering protected mode\n"
msg_diskerr: .asciz "boot0: disk read error\n"

	.section .sig, "a"
	.byte	0x55, 0xAA
