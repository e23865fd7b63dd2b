# longmode: multiboot into 32-bit code that enters long mode; 4-level
# paging with 2 MiB pages, higher half, IST, SYSCALL.
catch mode long
continue
info registers
x/3i $pc
pagewalk $pc
info gdt
delete
break kmain
continue
info registers rip rsp cr3
info tab
pagewalk 0x800000000000
break syscall_c
continue
bt
info tab
pagewalk 0x400000 user
pagewalk 0x5ff000 user write
pagewalk 0x400000 user write
info gdt
info tss
info idt 14 1
finish
info breakpoints
delete
catch exception 14
continue
info events 2 exception
delete
catch pio 0xf4
continue
icount
delete
continue
