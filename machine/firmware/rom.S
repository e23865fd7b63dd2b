/* rom.S - the firmware ROM image (build/machine/firmware/bios.bin, built
 * from bios.S by the Makefile) as read-only data in libvms.a. */
	.section .rodata
	.globl	vms_bios_rom
	.globl	vms_bios_rom_end
	.balign	16
vms_bios_rom:
	.incbin	"bios.bin"
vms_bios_rom_end:
	.section .note.GNU-stack,"",@progbits
