/* disk1.S - disk 1 of the disk scenario: 32 sectors, sector N starts with
 * the text "disk1 sector NN" (NUL-padded).  No boot signature. */
	.data
	.irp n, 00,01,02,03,04,05,06,07,08,09,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.ascii "disk1 sector \n"
	.fill 512 - 15, 1, 0
	.endr
	.section .note.GNU-stack,"",@progbits
