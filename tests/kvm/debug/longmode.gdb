# scenario: longmode
# tests/debugger/longmode.gdb on both engines, up to ring 3: mode catch,
# 4-level page walks, GDT/TSS/IDT views, breakpoints, finish.  Left out:
#  - break syscall_c (reached through SYSCALL): where KVM refuses
#    breakpoints (nested) the session steps to them, and SYSCALL (FMASK
#    clears TF) ends KVM's trap-flag stepping until the next exit (ring3.gdb
#    steps through IRETQ into ring 3, which works);
#  - catch exception 14: no exception events on KVM (no exit).
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
break show_walk
continue
bt
sreg
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
catch pio 0xf4
continue
delete
continue
