/* bios.S - vmscope's firmware ROM: a small real-mode BIOS (docs/PC.md).
 *
 * Linked at offset 0 of segment 0xF000 (physical 0xF0000-0xFFFFF).  vmscope
 * copies it into guest RAM and points the interrupt vector table at the
 * entries listed in rom_vectors.  Nearly every service is a trap to
 * vmscope: the entry saves the caller's registers on the caller's stack
 * (a "frame"), writes the frame's physical address to the hypercall port
 * PORT_FWCALL with one 32-bit OUT, and vmscope reads the frame, does the
 * work (disk, screen, keyboard, memory map), writes the results back into
 * the frame and returns from the OUT.  The ROM then restores the registers
 * from the frame and IRETs.  So in the event stream a BIOS call is a
 * software interrupt, one port write, and the device event that says what
 * the firmware did ("bios int13 AH=02 ...").
 *
 * The frame, from SS:SP upwards (struct fw_frame in machine/firmware.h):
 *   +0  EDI ESI EBP ESP EBX EDX ECX EAX   (PUSHAD)
 *   +32 ES  +34 DS  +36 return address into the entry stub
 *   +38 vector word   +40 IP CS FLAGS of the INT (CF/ZF results go here)
 * The vector word's high bits are vmscope's answer besides the registers:
 *   FW_WAIT: nothing to return yet (int 16h with an empty keyboard
 *     buffer): enable interrupts, HLT until one arrives, then ask again.
 *   FW_COPY: copy the block described by the mailbox at FW_DATA (source
 *     seg:off, destination seg:off, count) with REP MOVSB, then trap again
 *     with FW_COPY still set so vmscope continues.  Disk data reaches
 *     guest memory through this copy, made by the guest CPU itself, so the
 *     CPU engine sees the stores (code overwritten by a boot loader that
 *     loads over itself is re-translated).
 *
 * The constants below must equal machine/memmap.h (checked by vmscope when
 * it installs the ROM: see rom_header).
 */
	.code16

	.equ PORT_FWCALL,   0x7F0       /* memmap.h PORT_FWCALL */
	.equ FW_DATA_SEG,   0xE800      /* memmap.h MM_FW_DATA >> 4 */
	.equ FW_WAIT,       0x8000      /* vector word: HLT, then ask again */
	.equ FW_COPY,       0x4000      /* vector word: copy, then trap again */
	.equ FRAME_VEC,     38          /* offset of the vector word in the frame */
	.equ MB_SRC,        0           /* mailbox: source offset, segment */
	.equ MB_DST,        4           /* destination offset, segment */
	.equ MB_COUNT,      8           /* bytes */
	.equ PIC1_CMD,      0x20
	.equ PIC2_CMD,      0xA0
	.equ PIC_EOI,       0x20        /* OCW2: non-specific end of interrupt */
	.equ BDA_SEG,       0x40
	.equ BDA_TICKS,     0x6C        /* 0x46C: timer ticks since midnight */
	.equ BDA_MIDNIGHT,  0x70        /* 0x470: day rolled over */
	.equ TICKS_PER_DAY, 0x1800B0    /* 18.2065 Hz * 86400 s */
	.equ BOOT_SEG,      0x0000
	.equ BOOT_OFF,      0x7C00
	.equ BOOT_MAGIC,    0xAA55      /* AX from int 19h when a sector was loaded */

	.text
	.globl	rom_start
rom_start:

/* ---- the header vmscope reads (offset 0) ---- */
rom_header:
	.ascii	"VMSBIOS1"              /* magic + layout version */
	.word	PORT_FWCALL
	.word	FW_DATA_SEG
	.word	rom_vectors             /* (vector, offset) pairs */
	.word	(rom_vectors_end - rom_vectors) / 3
	.word	iret_stub               /* every other vector */
	.word	sysconf_table           /* int 15h AH=C0h */

/* Vectors pointing into this ROM; all others point at iret_stub. */
rom_vectors:
	.byte	0x08
	.word	irq0
	.byte	0x09
	.word	irq1
	.irp	v, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F
	.byte	\v
	.word	irq_master
	.endr
	.irp	v, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77
	.byte	\v
	.word	irq_slave
	.endr
	.irp	v, 0x10, 0x11, 0x12, 0x13, 0x15, 0x16, 0x18, 0x1A
	.byte	\v
	.word	svc_\v
	.endr
	.byte	0x19
	.word	int19
rom_vectors_end:

/* int 15h AH=C0h: system configuration (IBM PS/2 BIOS interface) */
sysconf_table:
	.word	8                       /* bytes that follow */
	.byte	0xFC                    /* model: AT */
	.byte	0x00                    /* submodel */
	.byte	0x01                    /* BIOS revision */
	.byte	0x70                    /* 2nd 8259, RTC, int 15h/4Fh */
	.byte	0x40                    /* feature byte 2: int 16h/09h */
	.byte	0x00, 0x00, 0x00

/* ---- the trap ---- */

/* Save the caller's registers as a frame, trap to vmscope, act on its
 * answer, restore.  Called by the entry stubs with the vector pushed. */
fw_trap:
	pushw	%ds
	pushw	%es
	pushal
1:	xorl	%eax, %eax              /* EAX = SS * 16 + SP: the frame */
	movw	%ss, %ax
	shll	$4, %eax
	movzwl	%sp, %edx
	addl	%edx, %eax
	movw	$PORT_FWCALL, %dx
	outl	%eax, %dx               /* vmscope does the work here */
	movw	%sp, %bp
	testw	$FW_COPY, FRAME_VEC(%bp)
	jnz	2f
	testw	$FW_WAIT, FRAME_VEC(%bp)
	jz	3f
	andw	$~FW_WAIT, FRAME_VEC(%bp)
	sti                             /* wait for an interrupt (a key) */
	hlt
	cli
	jmp	1b
2:	movw	$FW_DATA_SEG, %ax       /* copy as the mailbox says */
	movw	%ax, %ds
	movw	MB_COUNT, %cx
	lesw	MB_DST, %di
	ldsw	MB_SRC, %si
	cld
	rep movsb
	jmp	1b
3:	popal
	popw	%es
	popw	%ds
	ret

/* ---- service entries: int 10h, 11h, 12h, 13h, 15h, 16h, 18h, 1Ah ---- */

	.irp	v, 0x10, 0x11, 0x12, 0x13, 0x15, 0x16, 0x18, 0x1A
svc_\v:
	pushw	$\v
	call	fw_trap
	addw	$2, %sp                 /* the flags come from the frame: IRET */
	iret
	.endr

/* int 19h: load the boot sector of disk 0 at 0000:7C00 and jump to it
 * with DL = 0x80, as a BIOS bootstrap does. */
int19:
	pushw	$0x19
	call	fw_trap
	addw	$2, %sp
	cmpw	$BOOT_MAGIC, %ax
	jne	9f
	ljmp	$BOOT_SEG, $BOOT_OFF
9:	cli                             /* vmscope has stopped the VM */
	hlt
	jmp	9b

/* ---- hardware interrupts ---- */

/* IRQ 0, 18.2 times a second: count ticks in the BIOS data area, call the
 * user hook int 1Ch, end of interrupt.  No trap: nothing to virtualize. */
irq0:
	pushw	%ds
	pushl	%eax
	movw	$BDA_SEG, %ax
	movw	%ax, %ds
	movl	BDA_TICKS, %eax
	incl	%eax
	cmpl	$TICKS_PER_DAY, %eax
	jb	1f
	xorl	%eax, %eax
	movb	$1, BDA_MIDNIGHT
1:	movl	%eax, BDA_TICKS
	int	$0x1C
	movb	$PIC_EOI, %al
	outb	%al, $PIC1_CMD
	popl	%eax
	popw	%ds
	iret

/* IRQ 1: vmscope reads the scan code from the i8042 and puts the key
 * into the BIOS keyboard buffer (int 16h reads it from there). */
irq1:
	pushw	$0x09
	call	fw_trap
	addw	$2, %sp
	pushw	%ax
	movb	$PIC_EOI, %al
	outb	%al, $PIC1_CMD
	popw	%ax
	iret

/* Other IRQs without a handler: just acknowledge them. */
irq_master:
	pushw	%ax
	movb	$PIC_EOI, %al
	outb	%al, $PIC1_CMD
	popw	%ax
	iret

irq_slave:
	pushw	%ax
	movb	$PIC_EOI, %al
	outb	%al, $PIC2_CMD
	outb	%al, $PIC1_CMD
	popw	%ax
	iret

iret_stub:
	iret

/* ---- the reset vector (F000:FFF0): bootstrap from disk ---- */
reset:
	cli
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$BOOT_OFF, %sp
	int	$0x19

	.org	0xFFF0
	ljmp	$0xF000, $reset
	.ascii	"11/27/26"              /* BIOS date at F000:FFF5 */
	.byte	0
	.byte	0xFC                    /* model byte at F000:FFFE: AT */
	.byte	0
