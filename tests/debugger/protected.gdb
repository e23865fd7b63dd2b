# protected: multiboot ELF32, paging turned on by the kernel, ring 3,
# faults.  Mode catch, page walks, GDT/IDT/TSS, watchpoints, finish.
info registers
catch mode
continue
creg
pagewalk 0xc0001280
pagewalk 0x10
pagewalk 0xc0003000 user write
info tab
delete
break kputs
continue
bt
finish
info gdt
info tss
delete
watch $esp-4
continue
delete
rwatch 0xc0002c08
catch exception pf
continue
continue
info breakpoints
delete
tbreak user_main
continue
info registers cs ss esp
stack 2
catch interrupt 0x80
continue
disassemble $pc 3
info idt 0x80 1
pbreak 0x101b50
info breakpoints
delete
catch pio 0xf4 write
continue
info mtree
info device debugexit
delete
continue
